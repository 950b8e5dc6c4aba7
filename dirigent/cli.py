"""The ``dirigent`` command line: the catalog (ingest, stems, errors), search, the daemon
(serve, log, sessions), mutation, separation, and the Ableton installer."""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from dirigent import __version__
from dirigent.config import Config, describe, load_config
from dirigent.errors import DirigentError, ParameterError


def _bpm_range(text: str) -> tuple[float, float]:
    """``"125-135"`` -> (125, 135); ``"128"`` -> (127.5, 128.5)."""
    try:
        if "-" in text.strip("-"):
            lo, hi = (float(x) for x in text.split("-", 1))
        else:
            lo = hi = float(text)
            lo, hi = lo - 0.5, hi + 0.5
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"--bpm {text!r}: use 128 or 125-135") from e
    if not 0 < lo <= hi:
        raise argparse.ArgumentTypeError(f"--bpm {text!r}: low must be > 0 and <= high")
    return lo, hi


def _weight(text: str) -> float:
    """A query weight: a finite number >= 0, for argparse."""
    try:
        weight = float(text)
    except ValueError:
        weight = math.nan
    if not (math.isfinite(weight) and weight >= 0):
        raise argparse.ArgumentTypeError(f"{text!r}: use a number >= 0, such as 0.5")
    return weight


def _key(text: str) -> str:
    """``"Am"``, ``"a minor"``, ``"F#min"``, ``"Eb"``, German ``"Fis-Moll"``, ``"H-Moll"`` -> the
    catalog's key names."""
    from dirigent.path_tags import key_tag

    compact = text.strip().replace(" ", "")
    name = key_tag(compact) or key_tag(compact + "maj")
    if name is None:
        raise argparse.ArgumentTypeError(f"--key {text!r}: use a key such as Am, F#m, C, Eb")
    return name


def _category(text: str) -> str:
    """A category by its name (``"Kick"`` -> ``"kick"``), for argparse."""
    from dirigent.embed.lexicon import category

    try:
        return category(text)
    except ParameterError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _count(text: str) -> int:
    """A count of at least 1, for argparse."""
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: use a whole number of at least 1")
    return n


def _knob(text: str) -> tuple[str, float]:
    """``"pitch=0.625"`` -> ("pitch", 0.625), for argparse; names and ranges are checked with
    the mutation."""
    name, _, value = text.partition("=")
    try:
        return name.strip().lower(), float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: use NAME=VALUE, such as drive=0.4") from None


def _tempo(text: str) -> float:
    """A session tempo in BPM, for argparse."""
    from dirigent.transport import MAX_BPM, MIN_BPM

    try:
        bpm = float(text)
    except ValueError:
        bpm = math.nan
    if not MIN_BPM <= bpm <= MAX_BPM:
        raise argparse.ArgumentTypeError(f"{text!r}: use a tempo in {MIN_BPM:g}..{MAX_BPM:g}")
    return bpm


def _open(config: Config, *, read_only: bool, create: bool = True) -> Any:
    from dirigent.catalog import Catalog

    return Catalog(config.db, read_only=read_only, create=create)


def cmd_config(config: Config, args: argparse.Namespace) -> int:
    """Print every setting, its effective value and where it came from."""
    rows = describe(config)
    if args.json:
        print(json.dumps([{"key": k, "value": v, "source": s} for k, v, s in rows], indent=2))
        return 0
    width = max(len(k) for k, _, _ in rows)
    print(f"# config file: {config.file or 'none found'}")
    for key, value, source in rows:
        print(f"{key:<{width}}  {value}  ({source})")
    return 0


def cmd_migrate(config: Config, args: argparse.Namespace) -> int:
    """Bring the catalog's schema up to date."""
    from dirigent.catalog import SCHEMA_VERSION, migrate

    with _open(config, read_only=False) as catalog:
        applied = migrate(catalog.con)
    print(
        f"{config.db}: schema v{SCHEMA_VERSION}"
        + (f" (applied {', '.join(map(str, applied))})" if applied else " (up to date)")
    )
    return 0


def cmd_ingest(config: Config, args: argparse.Namespace) -> int:
    """Walk folders and catalogue what is new or changed."""
    from dirigent.ingest import ingest, progress_bar

    roots = [Path(p) for p in args.paths] or list(config.library)
    if not roots:
        raise ParameterError("nothing to ingest: give PATH... or set DIRIGENT_LIBRARY")
    missing = [str(r) for r in roots if not r.exists()]
    if missing:
        raise ParameterError(f"no such file or folder: {', '.join(missing)}")
    advance, set_total, close = progress_bar(args.quiet or args.json)
    with _open(config, read_only=False) as catalog:
        try:
            report = ingest(roots, catalog, config, progress=advance, on_total=set_total)
        finally:
            close()
        counts = catalog.counts()
    if args.json:
        print(json.dumps({**report.as_dict(), "catalog": counts}, indent=2))
    elif not args.quiet:
        print(
            f"{report.scanned} files: {report.added} new, {report.linked} already known at a "
            f"new path, {report.unchanged} unchanged, {report.removed} gone"
            + (f", {report.reanalysed} re-analysed" if report.reanalysed else "")
            + f" ({report.seconds:.1f} s, {report.files_per_second:.0f} files/s)"
        )
        print(
            f"catalog {config.db}: {counts['stems']} stems in {counts['files']} files, "
            f"{report.duplicates} duplicates"
        )
    if report.failed or report.known_failures:
        print(
            f"warning: {report.failed + report.known_failures} files could not be catalogued "
            "(see `dirigent errors`)",
            file=sys.stderr,
        )
    return 0


def _fmt(value: Any, spec: str = "") -> str:
    if value is None:
        return "-"
    return format(value, spec)


def _display_path(path: str) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return path


def cmd_stems(config: Config, args: argparse.Namespace) -> int:
    """List the catalog, filtered."""
    from dirigent.catalog import StemFilter
    from dirigent.embed.listen import ListenEmbedder
    from dirigent.search import heard

    loops = True if args.loops else False if args.one_shots else None
    where = StemFilter(args.category, args.bpm, args.key, loops)
    with _open(config, read_only=True) as catalog:
        if args.duplicates:
            pairs = catalog.duplicates()
            if args.json:
                print(json.dumps([{"path": d, "copy_of": c} for d, c in pairs], indent=2))
            for dup, canonical in [] if args.json else pairs:
                print(f"{_display_path(dup)}  ==  {_display_path(canonical)}")
            return 0
        stems = catalog.stems(where)
        by_ear = heard(catalog, ListenEmbedder(), stems)
        for s in stems:
            s["heard"] = by_ear.get(s["id"])
    if args.heard:
        stems = [s for s in stems if s["heard"] == args.heard]
    if args.json:
        print(json.dumps(stems, indent=2, default=str))
        return 0
    print(
        f"{'id':>5} {'category':<8} {'heard':<8} {'type':<8} {'bpm':>6} {'key':<4} {'sec':>6} "
        f"{'LUFS':>6} {'qual':>5}  path"
    )
    for s in stems:
        print(
            f"{s['id']:>5} {_fmt(s['category']):<8} {_fmt(s['heard']):<8} "
            f"{'loop' if s['is_loop'] else 'one-shot':<8} "
            f"{_fmt(s['bpm'], '.1f'):>6} {_fmt(s['key']):<4} {s['duration']:>6.2f} "
            f"{_fmt(s['loudness_lufs'], '.1f'):>6} {s['quality']:>5.2f}  "
            f"{_display_path(s['path'])}"
        )
    print(f"{len(stems)} stems")
    return 0


def cmd_errors(config: Config, args: argparse.Namespace) -> int:
    """List files that could not be catalogued and why."""
    with _open(config, read_only=True) as catalog:
        errors = catalog.errors()
    if args.json:
        print(json.dumps(errors, indent=2, default=str))
        return 0
    for e in errors:
        print(f"{_display_path(e['path'])}: {e['reason']}")
    print(f"{len(errors)} files could not be catalogued")
    return 0


def _searcher(config: Config, args: argparse.Namespace) -> Any:
    from dirigent.embed import load_backend
    from dirigent.search import Searcher

    catalog = _open(config, read_only=False, create=False)  # it logs queries, creates nothing
    return Searcher(
        catalog,
        load_backend(config),
        config.db.parent / "index",
        session=args.session,
        text_weight=getattr(args, "text_weight", 1.0),
        audio_weight=getattr(args, "audio_weight", 1.0),
    )


def cmd_index(config: Config, args: argparse.Namespace) -> int:
    """Embed the catalog with the configured backend and (re)build its Annoy index."""
    searcher = _searcher(config, args)
    with searcher.catalog:
        if args.rebuild:
            searcher.index.meta_path.unlink(missing_ok=True)
        reason = searcher.refresh()
        meta = searcher.index.meta
    why = "rebuilt, as asked" if args.rebuild else f"built: {reason}" if reason else "up to date"
    count = meta.count if meta else 0
    print(f"{config.backend} index: {count} stems, {searcher.backend.dim}-d ({why})")
    return 0


def cmd_search(config: Config, args: argparse.Namespace) -> int:
    """Find stems for a prompt (and example sounds)."""
    if args.text_weight == args.audio_weight == 0:
        raise ParameterError("--text-weight and --audio-weight are both 0: nothing would rank")
    searcher = _searcher(config, args)
    with searcher.catalog:
        # a few stems added since the index was built are scanned beside it (exact);
        # `dirigent index` or the daemon builds it over them
        searcher.refresh(defer_index=True)
        response = searcher.search(
            args.prompt,
            top_k=args.top_k,
            category=args.category,
            min_similarity=args.min_similarity,
            like=args.like,
            discover=args.discover,
        )
    unknown = searcher.backend.unknown_words(response.understood)
    if unknown:
        alone = (
            ""
            if searcher.understands(response.understood) or args.like
            else " (ranked by quality alone)"
        )
        print(f"not understood: {', '.join(unknown)}{alone}", file=sys.stderr)
    if args.json:
        print(json.dumps([asdict(r) for r in response.results], indent=2))
        return 0
    print(
        f"query {response.query_id}: {response.understood!r} "
        f"{response.constraints or ''} ({response.latency_ms:.1f} ms)"
    )
    for r in response.results:
        print(
            f"{r.rank:>3} {r.score:6.3f} {r.stem_id:>6} {_fmt(r.category):<7} "
            f"{_fmt(r.bpm, '.1f'):>6} {_fmt(r.key):<4} {r.duration:6.2f}s "
            f"{'*' if r.new else ' '} {r.explanation:<28} {_display_path(r.path)}"
        )
    if not response.results:
        print(
            f"no stems match: {searcher.why_none(args.prompt, args.category, args.min_similarity)}"
        )
    return 0


def cmd_feedback(config: Config, args: argparse.Namespace) -> int:
    """Like or skip a stem; later searches for the same prompt move accordingly."""
    searcher = _searcher(config, args)
    with searcher.catalog:
        searcher.refresh(defer_index=True)
        searcher.feedback(args.stem_id, args.action, args.query)
    print(f"{args.action} stem {args.stem_id}")
    return 0


def cmd_map(config: Config, args: argparse.Namespace) -> int:
    """Draw the library in 2-D, coloured by category."""
    from dirigent.library_map import draw

    searcher = _searcher(config, args)
    with searcher.catalog:
        searcher.refresh(defer_index=True)
    if not len(searcher):
        raise ParameterError("the catalog is empty: run `dirigent ingest` first")
    out = draw(
        searcher.vectors, [searcher.category(n) for n in range(len(searcher))], Path(args.out)
    )
    print(f"wrote {out} ({len(searcher)} stems, {config.backend} vectors)")
    return 0


def cmd_models_pull(config: Config, args: argparse.Namespace) -> int:
    """Download a LAION CLAP checkpoint into the models folder (needs a network)."""
    from dirigent.embed.clap import HUB_ORGANISATION

    target = config.models / args.name
    try:
        from huggingface_hub import snapshot_download
    except ImportError as e:
        raise DirigentError("pulling models needs: pip install 'dirigent[clap]'") from e
    try:
        snapshot_download(repo_id=f"{HUB_ORGANISATION}/{args.name}", local_dir=target)
    except Exception as e:  # the hub client raises many types for "no network"
        raise DirigentError(
            f"could not download {HUB_ORGANISATION}/{args.name} into {target}: {e}. "
            "Copy the checkpoint folder there by hand on a machine without a network."
        ) from e
    print(f"{HUB_ORGANISATION}/{args.name} -> {target}")
    return 0


def cmd_separate(config: Config, args: argparse.Namespace) -> int:
    """Split full tracks into drums, bass, other and vocals with Demucs; catalogue the stems."""
    from dirigent.ingest import ingest
    from dirigent.separate import load_separator, separate_track
    from dirigent.torch_device import resolve

    tracks = [Path(t) for t in args.tracks]
    missing = [str(t) for t in tracks if not t.is_file()]
    if missing:  # before the model loads, and before any track is split
        raise ParameterError(f"not a file: {', '.join(missing)}")
    model = load_separator(config.models, args.model)
    device = resolve(config.torch_device)
    out_root = Path(args.out) if args.out else config.db.parent / "separated"
    with _open(config, read_only=False) as catalog:
        for track in tracks:
            done = separate_track(model, track, out_root / track.stem, device=device)
            ingest(list(done.stems.values()), catalog, config)
            for source, path in done.stems.items():
                stem = catalog.stem_at(os.path.abspath(path))
                if stem is not None:
                    catalog.add_separation(stem["id"], os.path.abspath(track), source, args.model)
            print(
                f"{_display_path(str(track))}: {done.seconds:.1f} s on {device} -> "
                + ", ".join(f"{s} {_display_path(str(p))}" for s, p in done.stems.items())
            )
    return 0


def _stem_id(catalog: Any, stem: str) -> int:
    """A stem id, or the id of the stem a catalogued file holds."""
    if stem.isdigit():
        return int(stem)
    found = catalog.stem_at(os.path.abspath(stem))
    if found is None:
        raise ParameterError(f"{stem}: neither a stem id nor a catalogued file (dirigent ingest)")
    return int(found["id"])


def cmd_mutate(config: Config, args: argparse.Namespace) -> int:
    """Render a mutation of a catalogued stem to a 24-bit WAV and catalogue it with its parent,
    as the daemon does for a knob turned in Live."""
    from dirigent.mutate import Mutation
    from dirigent.mutate.chain import check
    from dirigent.studio import Request, catalogue, render_request, source_in
    from dirigent.transport import DEFAULT_BPM

    knobs = dict(check(dict(args.knobs)))  # as the render reads them: stretch on or off
    if knobs.get("stretch") and args.tempo is None:
        raise ParameterError("stretch=1 needs --tempo BPM: the tempo the loop is stretched to")
    if knobs.get("layer") and args.layer is None:
        raise ParameterError("layer needs --layer STEM: the stem mixed in")
    out = Path(args.out or config.db.parent / "renders").absolute()
    with _open(config, read_only=False) as catalog:
        source = source_in(catalog, _stem_id(catalog, args.stem))
        layer = source_in(catalog, _stem_id(catalog, args.layer)) if args.layer else None
        mutation = Mutation.of(
            source.stem_id,
            knobs,
            seed=args.seed,
            tempo=args.tempo or source.bpm or DEFAULT_BPM,
            layer_stem=layer.stem_id if layer else None,
        )
        done = render_request(Request(mutation, source, layer, "cli", "cli"), out)
        stem = catalogue(catalog, done, config, args.session)
    if args.json:
        print(
            json.dumps(
                {
                    "path": str(done.path),
                    "stem_id": int(stem["id"]),
                    "parent_id": source.stem_id,
                    "params": dict(mutation.params),
                    "seed": mutation.seed,
                    "bpm": done.bpm,
                    "bars": done.bars,
                    "key": stem["key"],
                    "seconds": round(done.seconds, 3),
                }
            )
        )
        return 0
    tempo = f", {done.bpm:g} BPM, {done.bars:g} bars" if done.bars else ""
    print(
        f"stem {stem['id']} <- stem {source.stem_id} {mutation.describe()}{tempo}: "
        f"{_display_path(str(done.path))} ({done.seconds:.2f} s)"
    )
    return 0


def cmd_serve(config: Config, args: argparse.Namespace) -> int:
    """Run the daemon until SIGINT or SIGTERM."""
    import signal
    import threading

    from bridge.osc.server import OscServer
    from dirigent.daemon import Daemon

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    where = f"{config.osc_listen}:{config.osc_port}"
    daemon = Daemon(config, listen=where)
    try:
        server = OscServer(
            daemon,
            host=config.osc_listen,
            port=config.osc_port,
            reply_port=config.osc_reply_port,
            allow=config.osc_allow,
            rate=config.osc_rate,
        )
    except BaseException:
        daemon.close()
        raise
    if config.midi_input:
        from bridge.midi import mapping as midi_map
        from bridge.midi.controller import MidiController
        from bridge.midi.ports import PortKeeper

        controller = MidiController(daemon, midi_map.load(config.midi_map))
        keeper = PortKeeper(config.midi_input, controller.handle)
        threading.Thread(target=controller.run, args=(stop,), daemon=True).start()
        threading.Thread(target=keeper.run, args=(stop,), daemon=True).start()
    status = daemon.status()
    print(
        f"dirigent serve: ready in {daemon.ready_s:.2f} s: {status['stems']} stems "
        f"({status['backend']}), OSC on {where}, replies to port {config.osc_reply_port}, "
        f"session {daemon.session}",
        flush=True,
    )
    try:
        server.serve(stop)
    finally:
        server.close()
        daemon.close()
        s = server.stats
        print(
            f"dirigent serve: stopped; {s.datagrams} datagrams, {s.messages} messages, "
            f"{s.errors} refused, "
            f"{s.rate_limited} over the rate limit, {s.refused_senders} from unknown senders, "
            f"{s.overflowed} over the backlog; "
            f"{daemon.log.written} events logged ({daemon.log.errors_not_logged} errors over "
            "the logging rate only counted)",
            flush=True,
        )
    return 0


def cmd_log(config: Config, args: argparse.Namespace) -> int:
    """The latest queries (works while the daemon runs: it holds the file only to write)."""
    with _open(config, read_only=True) as catalog:
        rows = catalog.recent_queries(args.last)
    if args.json:
        print(json.dumps(rows, default=str, indent=2))
        return 0
    for r in rows:
        print(
            f"{r['id']:>7} {r['asked_at']:%Y-%m-%d %H:%M:%S} {_fmt(r['client']):<21} "
            f"{r['latency_ms']:7.2f} ms {r['results']:>3} hits  {r['prompt']!r}  "
            f"{_display_path(r['top']) if r['top'] else ''}"
        )
    if not rows:
        print("no queries logged yet")
    return 0


def cmd_sessions(config: Config, args: argparse.Namespace) -> int:
    """List daemon sessions, or replay one: its prompts, results, feedback and cues in order."""
    with _open(config, read_only=True) as catalog:
        if args.replay:
            events = catalog.session_events(args.replay)
            if not events:
                raise ParameterError(f"no events in session {args.replay!r}")
            for at, client, kind, text in events:
                print(f"{at:%H:%M:%S.%f}"[:-3] + f" {client:<21} {kind:<9} {text}")
            return 0
        sessions = catalog.sessions()
    for s in sessions:
        ended = f"{s['ended_at']:%H:%M:%S}" if s["ended_at"] else "running or killed"
        print(
            f"{s['id']}  {s['started_at']:%Y-%m-%d %H:%M:%S} .. {ended}  {s['backend']}  "
            f"{s['stems']} stems  {s['queries']} queries  {s['feedback']} feedback  "
            f"{s['errors']} errors"
        )
    if not sessions:
        print("no daemon sessions yet")
    return 0


def cmd_install_ableton(config: Config, args: argparse.Namespace) -> int:
    """Copy the Remote Script and the Max for Live device into Live's User Library."""
    from dirigent.installer import install, plan, user_library

    dest = Path(args.dest).expanduser() if args.dest else user_library()
    steps = plan(dest)
    for step in steps:
        print(f"{step.action:>9}  {step.target}")
    if args.dry_run:
        print(f"dry run: {sum(s.action != 'unchanged' for s in steps)} files would be written")
        return 0
    written = install(steps)
    print(
        f"{written} files written, {len(steps) - written} unchanged. In Live: Preferences -> "
        "Link, Tempo & MIDI -> Control Surface: Dirigent; then drop Dirigent/dirigent.maxpat "
        "into a Max Audio Effect."
    )
    return 0


def cmd_demo_kit(config: Config, args: argparse.Namespace) -> int:
    """Synthesise the demo construction kit."""
    from dirigent.demo_kit import generate

    files = generate(Path(args.dir), seed=args.seed)
    print(f"wrote {len(files)} files under {args.dir}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="dirigent", description=__doc__)
    parser.add_argument("--version", action="version", version=f"dirigent {__version__}")
    parser.add_argument("--db", metavar="PATH", help="DuckDB catalog (beats DIRIGENT_DB)")
    parser.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(
        name: str, handler: Callable[[Config, argparse.Namespace], int], help: str
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.set_defaults(handler=handler)
        return p

    p = add("config", cmd_config, "show the effective configuration and where each value came from")
    p.add_argument("--json", action="store_true")
    add("migrate", cmd_migrate, "create or upgrade the catalog's schema")
    p = add("ingest", cmd_ingest, "catalogue sample folders (incremental, resumable, parallel)")
    p.add_argument("paths", nargs="*", metavar="PATH", help="folders or files (default: library)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar or summary")
    p.add_argument("--json", action="store_true", help="print a machine-readable summary")
    p.add_argument("--workers", type=int, help="worker processes (default: one per core)")
    p = add("stems", cmd_stems, "list the catalog")
    p.add_argument("--json", action="store_true", help="a JSON array, one object per stem")
    p.add_argument("--category", type=_category, help="the category the path names")
    p.add_argument("--heard", type=_category, help="the category heard, by ear alone")
    p.add_argument("--bpm", type=_bpm_range, metavar="LO-HI", help="e.g. 125-135 or 128")
    p.add_argument("--key", type=_key, help="e.g. Am, F#m, C")
    kind = p.add_mutually_exclusive_group()
    kind.add_argument("--loops", action="store_true", help="only loops")
    kind.add_argument("--one-shots", action="store_true", help="only one-shots")
    p.add_argument("--duplicates", action="store_true", help="list exact duplicate files")
    p = add("errors", cmd_errors, "list files that could not be catalogued")
    p.add_argument("--json", action="store_true")
    p = add("index", cmd_index, "embed the catalog and build the search index")
    p.add_argument("--rebuild", action="store_true", help="rebuild even when up to date")
    p.add_argument("--session", default="default", help=argparse.SUPPRESS)
    p = add("search", cmd_search, "find stems for a prompt")
    p.add_argument("prompt", help='e.g. "dark hypnotic kick", "fast percussion loop 130bpm"')
    p.add_argument("--top-k", type=int, default=10)
    p.add_argument("--category", type=str.lower)
    p.add_argument("--min-similarity", type=float, default=0.01)
    p.add_argument(
        "--like",
        action="append",
        default=[],
        metavar="PATH_OR_STEM_ID",
        help="an example sound (repeatable)",
    )
    p.add_argument("--text-weight", type=_weight, default=1.0, help="the prompt's (>= 0)")
    p.add_argument("--audio-weight", type=_weight, default=1.0, help="the examples' (>= 0)")
    p.add_argument(
        "--discover",
        action="store_true",
        help="at least half the results are stems no search returned before",
    )
    p.add_argument("--session", default="default", help="session name for feedback and log")
    p.add_argument("--json", action="store_true", help="a JSON array, one object per result")
    p = add("feedback", cmd_feedback, "like or skip a search result")
    p.add_argument("stem_id", type=int)
    p.add_argument("action", choices=["like", "skip"])
    p.add_argument("--query", type=int, help="query id (default: the session's last)")
    p.add_argument("--session", default="default")
    p = add("map", cmd_map, "draw the library in 2-D, coloured by category (PNG, SVG, PDF)")
    p.add_argument("--out", default="map.png", help="PNG, or .svg, .pdf, ... by its suffix")
    p.add_argument("--session", default="default", help=argparse.SUPPRESS)
    models = sub.add_parser("models", help="model checkpoints")
    models_sub = models.add_subparsers(dest="models_command", required=True, metavar="COMMAND")
    p = models_sub.add_parser("pull", help="download a CLAP checkpoint (needs a network)")
    p.add_argument("name", help="e.g. larger_clap_music_and_speech")
    p.set_defaults(handler=cmd_models_pull)
    p = add("separate", cmd_separate, "split full tracks into stems with Demucs (extra demucs)")
    p.add_argument("tracks", nargs="+", metavar="TRACK")
    p.add_argument("--out", help="folder for the stems (default: separated/ beside the catalog)")
    p.add_argument("--model", default="htdemucs", help="checkpoint <models>/demucs/NAME.th")
    p = add("mutate", cmd_mutate, "render a mutation of a stem (pitch, stretch, drive, ...)")
    p.add_argument("stem", metavar="STEM", help="a stem id, or a catalogued file")
    p.add_argument(
        "knobs",
        nargs="*",
        type=_knob,
        metavar="NAME=VALUE",
        help="knobs in 0..1 (README, Mutations), e.g. pitch=0.625 (+3 semitones) drive=0.4",
    )
    p.add_argument("--seed", type=int, default=1, help="for slice, stutter and gate (default 1)")
    p.add_argument("--tempo", type=_tempo, help="session tempo in BPM (stretch needs it)")
    p.add_argument("--layer", metavar="STEM", help="the stem the layer knob mixes in")
    p.add_argument("--out", help="folder for the render (default: renders/ beside the catalog)")
    p.add_argument("--session", default="cli", help="session the render is recorded in")
    p.add_argument("--json", action="store_true", help="one JSON object")
    p = add("serve", cmd_serve, "run the daemon: warm index, OSC on UDP (stop with Ctrl-C)")
    p.add_argument("--listen", metavar="HOST", help="bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="UDP port (default 9000)")
    p.add_argument("--reply-port", type=int, help="replies go to this port (default 9001)")
    p.add_argument(
        "--allow", action="append", metavar="ADDRESS", help="allowed client (repeatable)"
    )
    p.add_argument("--rate", type=float, help="messages per second per client (0: no limit)")
    p.add_argument("--midi", metavar="PORT", help="MIDI controller input ('virtual': a new port)")
    p = add("log", cmd_log, "the latest logged queries")
    p.add_argument("--last", type=_count, default=20, help="how many (default 20)")
    p.add_argument("--json", action="store_true")
    p = add("sessions", cmd_sessions, "daemon sessions; --replay ID prints one in order")
    p.add_argument("--replay", metavar="SESSION")
    p = add(
        "install-ableton", cmd_install_ableton, "put the Remote Script and Max device into Live"
    )
    p.add_argument("--dest", help="the User Library (default: Live's, on macOS and Windows)")
    p.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    p = add("demo-kit", cmd_demo_kit, "synthesise a techno construction kit into DIR")
    p.add_argument("dir")
    p.add_argument("--seed", type=int, default=7)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``dirigent`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        flags = {
            "db": args.db,
            "log_level": args.log_level,
            "workers": getattr(args, "workers", None),
            "osc_listen": getattr(args, "listen", None),
            "osc_port": getattr(args, "port", None),
            "osc_reply_port": getattr(args, "reply_port", None),
            "osc_allow": getattr(args, "allow", None),
            "osc_rate": getattr(args, "rate", None),
            "midi_input": getattr(args, "midi", None),
        }
        config = load_config(flags=flags)
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
        logging.getLogger("dirigent").setLevel(config.log_level)
        rc = int(args.handler(config, args))
        sys.stdout.flush()  # a reader gone shows here, where it is caught, not at exit
        return rc
    except DirigentError as e:
        print(f"dirigent: error: {e}", file=sys.stderr)
        return 2 if isinstance(e, ParameterError) else 1
    except KeyboardInterrupt:
        print("dirigent: interrupted; run the same command again to continue", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `dirigent stems | head`: the reader has all it wants
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit
        return 141
    except OSError as e:  # a folder that cannot be made, a file that cannot be written
        logging.getLogger("dirigent").debug("file system error", exc_info=True)
        where = f"{e.filename}: " if e.filename else ""
        print(f"dirigent: error: {where}{e.strerror or e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
