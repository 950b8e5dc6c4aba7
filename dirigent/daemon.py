"""The daemon's engine: the warm backend and index, the transport clock and the event log,
behind plain methods that the bridges call and that return values (no sockets here)."""

from __future__ import annotations

import ctypes
import datetime as dt
import fcntl
import itertools
import json
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

import numpy as np

from dirigent.catalog import MAX_STEM_ID, Catalog
from dirigent.config import Config
from dirigent.embed import lexicon, load_backend
from dirigent.embed.base import Embedder
from dirigent.embed.listen import ListenEmbedder
from dirigent.errors import DirigentError, ParameterError
from dirigent.event_log import EventLog, Query
from dirigent.mutate import PARAMS, Mutation
from dirigent.mutate.chain import check, whole_number
from dirigent.mutate.transforms import resample
from dirigent.paths import inside
from dirigent.playback import Sink
from dirigent.search import MIN_SIMILARITY, Constraints, Result, Searcher
from dirigent.studio import Rendered, Request, Source, Studio, catalogue
from dirigent.transport import JUMP_BEATS, TransportClock

log = logging.getLogger(__name__)

RELOAD_CHECK_S = 1.0  # how often the catalog files are looked at for changes (ingest, rescan)
MAX_PROMPT_CHARS = 500
MAX_TOP_K = 100
MAX_VARIATIONS = 16
MAX_LISTENING = 4  # example files waiting to be listened to ("more like" a file not catalogued)
PLAYBACK_SR = 44100
STAGE_PRESETS = (  # the prompts a stage tablet's preset buttons ask for
    "dark hypnotic techno kick",
    "rolling bass loop",
    "crisp closed hi-hat",
    "industrial percussion loop",
    "warm pad",
    "acid synth stab",
    "metallic clap",
    "noise riser",
)
STAGE_ROWS = 8  # results a stage page shows
VARIED_PARAMS = ("pitch", "slice", "stutter", "filter", "drive", "crush", "gate", "transient")


class DaemonBusy(DirigentError):
    """Another daemon serves the same catalog."""


@dataclass(frozen=True)
class Answer:
    """What a search returns to a client."""

    query_id: int
    results: list[Result]
    latency_ms: float
    not_understood: tuple[str, ...] = ()  # words of the prompt the backend did not read
    why_none: str = ""  # why a search found nothing ("no stem is in F#m; here: ...")


def _hold_lock(db: Path) -> IO[str]:
    """An exclusive lock next to the catalog for as long as the daemon lives (the kernel drops
    it when the process dies, kill -9 included)."""
    path = db.with_name(db.name + ".serve.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
        handle.seek(0)
        holder = handle.read().strip() or "?"
        handle.close()
        raise DaemonBusy(f"another Dirigent daemon (pid {holder}) serves {db}") from e
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def _return_freed_memory() -> None:
    """Hand the heap that loading freed back to the system (glibc keeps it otherwise), so the
    daemon's resident size is what it serves from, not what it read on the way."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to trim
        pass


def _check_top_k(top_k: int) -> None:
    if not 1 <= top_k <= MAX_TOP_K:
        raise ParameterError(f"top_k={top_k} must be in 1..{MAX_TOP_K}")


def _signature(db: Path) -> tuple[tuple[int, int] | None, ...]:
    """(size, modification time) of the catalog file and its write-ahead log (None: absent or
    unreadable, which a watcher thread must outlive); any write to the catalog, by this process
    or another, changes it."""
    out: list[tuple[int, int] | None] = []
    for path in (db, db.with_name(db.name + ".wal")):
        try:
            st = path.stat()
        except OSError:
            out.append(None)
        else:
            out.append((st.st_size, st.st_mtime_ns))
    return tuple(out)


class Daemon:
    """Loads the configured backend and the catalog's index once and answers from memory."""

    def __init__(self, config: Config, *, listen: str = "", now: Any = time.monotonic) -> None:
        self.config = config
        self.now = now
        self.started = now()
        self._lock_file = _hold_lock(config.db)
        try:
            self.backend = load_backend(config)
            self.index_dir = config.db.parent / "index"
            self.session = f"{dt.datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}"
            with Catalog(config.db) as catalog:
                self.searcher = self._load(catalog, self.backend)
                self.log = EventLog(catalog, self.session, backend=self.backend.name, listen=listen)
        except BaseException:
            self._lock_file.close()
            raise
        self.clock = TransportClock()
        self.reloads = 0
        self.recent: dict[int, tuple[int, str]] = {}  # stem id -> (query id, prompt) last shown
        # replies that come later (a render is ready): (client, address, args, also to the
        # clients that listen to every announcement) for the bridge to send
        self.outbox: queue.SimpleQueue[tuple[str, str, tuple[Any, ...], bool]] = queue.SimpleQueue()
        self.wake: Callable[[], None] = lambda: None  # the bridge's: a late reply is waiting
        self._landed: queue.SimpleQueue[Rendered] = queue.SimpleQueue()  # renders to catalogue
        self.folder = (config.db.parent / "sessions" / self.session).absolute()
        self.knobs: dict[str, float] = {}  # the session's mutation knobs (/dirigent/param, MIDI)
        # (stem, seed, client, layer stem) the knobs shape
        self.current: tuple[int, int, str, int | None] | None = None
        self._seeds = itertools.count(1)
        self.studio = Studio(self.folder, on_render=self._rendered, on_error=self._render_failed)
        self.sink: Sink | None = None  # opened on the first /dirigent/play
        self._launcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dirigent-play")
        self._listener = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dirigent-listen")
        # index builds (seconds at 100k stems) beside the log thread: renders landing meanwhile
        # are catalogued and served without waiting for them
        self._indexer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dirigent-index")
        self._listening = threading.BoundedSemaphore(MAX_LISTENING)
        self.last_results: list[int] = []  # the latest answer's stems: what MIDI pads play
        self.selected = 0  # the chosen row of the latest answer (stage page)
        self.stage_discovers = False  # the stage presets favour sounds no search returned
        self.learning: str | None = None  # a parameter waiting for the next moved control
        self._learner = ""
        self._stop = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="dirigent-watch", daemon=True)
        self.log.start()
        # stems a stop left scanned beside the index (renders announced, not yet indexed) are
        # served at once; the index over them is built beside the first answers
        self._index_later()
        self._watcher.start()
        self.ready_s = now() - self.started
        self._warmer: threading.Thread | None = None
        if isinstance(self.backend, ListenEmbedder):  # its trees, read beside the first answers
            self._warmer = threading.Thread(
                target=self.backend.warm, name="dirigent-warm", daemon=True
            )
            self._warmer.start()

    def _load(self, catalog: Catalog, backend: Embedder) -> Searcher:
        """A searcher over the catalog; stems only added since the index was built are scanned
        beside it (:meth:`_build_index` builds it over them)."""
        searcher = Searcher(catalog, backend, self.index_dir, session="daemon")
        searcher.refresh(defer_index=True)
        _return_freed_memory()
        return searcher

    # --- catalog changes --------------------------------------------------------------------

    def _watch(self) -> None:
        """Have the catalog checked for changes when its files changed: an idle daemon does
        not open the catalog every second."""
        seen: tuple[tuple[int, int] | None, ...] | None = None
        while not self._stop.wait(RELOAD_CHECK_S):
            files = _signature(self.config.db)
            if files != seen:
                seen = files
                self.log.submit(self._reload_and_index)

    def _reload_if_changed(self, catalog: Catalog) -> None:
        """Swap in a new searcher when the catalog changed; queries keep being answered by the
        old one until the swap (one reference assignment). Stems only added are scanned beside
        the old index until :meth:`_build_index`."""
        old = self.searcher
        if catalog.library_state(old.key) == old.state:
            return
        # the listen backend's calibration belongs to the library it was taken on: a new backend
        # for the new library, with the same category model (34 MB, not read again)
        backend = (
            ListenEmbedder(old.backend.model)
            if isinstance(old.backend, ListenEmbedder)
            else old.backend
        )
        new = self._load(catalog, backend)
        for key, events in old.feedback_of.items():  # feedback not yet flushed stays in force
            known = set(new.feedback_of.get(key, []))
            new.feedback_of.setdefault(key, []).extend(e for e in events if e not in known)
        new.returned |= old.returned
        self.searcher, self.backend = new, backend
        self.reloads += 1
        log.info("catalog changed: now serving %d stems", len(new))

    def _index_later(self) -> None:
        """Have the index built over the stems scanned beside it, on the indexer thread."""
        self._indexer.submit(self._build_index)

    def _build_index(self) -> None:
        """Build the served searcher's index over the stems scanned beside it, if any (queries
        go on); not while renders wait to be catalogued: the last of them asks again."""
        if self._landed.empty():
            try:
                self.searcher.complete_index()
            except Exception:  # the stems stay served beside the old index; the next asks again
                log.exception("building the index failed")

    def _reload_and_index(self, catalog: Catalog) -> None:
        """Serve the catalog's changes at once, then index them."""
        self._reload_if_changed(catalog)
        self._index_later()

    def rescan(self) -> None:
        """Ingest the configured library roots again (on the log thread), then reload."""
        from dirigent.ingest import ingest

        roots = [r for r in self.config.library if r.is_dir()]
        if not roots:
            raise ParameterError("no library roots are configured (DIRIGENT_LIBRARY)")

        def job(catalog: Catalog) -> None:
            ingest(roots, catalog, self.config)
            self._reload_and_index(catalog)

        self.log.submit(job)

    # --- what clients ask -------------------------------------------------------------------

    def search(
        self,
        prompt: str,
        *,
        top_k: int = 10,
        category: str = "",
        discover: bool = False,
        client: str = "",
    ) -> Answer:
        """Rank the library for a prompt; the query is logged in the background. ``discover``:
        at least half the results are stems no search returned before, where enough are
        similar enough."""
        if not prompt.strip():
            raise ParameterError("prompt is empty")
        if len(prompt) > MAX_PROMPT_CHARS:
            raise ParameterError(f"prompt of {len(prompt)} characters (at most {MAX_PROMPT_CHARS})")
        return self._answer(prompt, prompt, top_k, category, (), client, discover)

    def more_like(
        self, example: str, *, top_k: int = 10, discover: bool = False, client: str = ""
    ) -> Future[Answer]:
        """Stems that sound like ``example`` (``discover``: as :meth:`search`). A stem id or a
        catalogued path is answered at once (the future is done). An audio file inside the
        library roots that the catalog lacks is listened to first, on its own thread: that
        takes seconds for a full track, in which every other message is still answered."""
        if example.isdigit():
            if int(example) not in self.searcher.row_of:
                raise ParameterError(f"no stem with id {example}")
        elif self.searcher.row_of_file(Path(example)) is None:
            return self._listen_to(inside(example, self.config.library), top_k, discover, client)
        answer: Future[Answer] = Future()
        answer.set_result(
            self._answer("", f"like {example}", top_k, "", (example,), client, discover)
        )
        return answer

    def _listen_to(self, example: Path, top_k: int, discover: bool, client: str) -> Future[Answer]:
        """:meth:`more_like` of a file, answered on the listen thread. Ranking there reads the
        searcher only; what the answer records (recent stems, results shown, the log) are
        single dict, set and queue operations, which the receive loop's own answers do too."""
        _check_top_k(top_k)
        size_mb = example.stat().st_size / 2**20
        if size_mb > self.config.max_file_mb:
            raise ParameterError(
                f"{example.name} is {size_mb:.0f} MB, above "
                f"DIRIGENT_MAX_FILE_MB={self.config.max_file_mb:g}"
            )
        if not self._listening.acquire(blocking=False):
            raise ParameterError(
                f"already listening to {MAX_LISTENING} example files: "
                "ask again when one is answered"
            )
        like = str(example)

        def listen() -> Answer:
            try:
                return self._answer("", f"like {like}", top_k, "", (like,), client, discover)
            except DirigentError as e:  # told later: the reason names the file
                raise ParameterError(f"{example.name}: {e}") from e

        answer = self._listener.submit(listen)
        answer.add_done_callback(lambda _: self._listening.release())
        return answer

    def _answer(
        self,
        prompt: str,
        logged_as: str,
        top_k: int,
        category: str,
        like: tuple[str, ...],
        client: str,
        discover: bool = False,
    ) -> Answer:
        _check_top_k(top_k)
        category = lexicon.category(category) if category else category
        started = time.perf_counter()
        searcher = self.searcher
        results, words, constraints = searcher.rank(
            prompt,
            top_k=top_k,
            category=category or None,
            min_similarity=MIN_SIMILARITY,
            like=like,
            discover=discover,
            explain=False,
        )
        if words and constraints == Constraints() and not searcher.understands(words):
            # the answer would be the library's best sounds, whatever was asked for
            raise ParameterError(
                f"no word of {prompt!r} is understood: name a sound (kick, bass, pad ...) "
                "or how it sounds (dark, punchy, long ...)"
            )
        latency = (time.perf_counter() - started) * 1000
        params = {
            "top_k": top_k,
            "category": category or None,
            "like": list(like),
            "discover": discover,
        }
        answer = replace(
            self._logged(logged_as, params, results, latency, client),
            not_understood=tuple(searcher.backend.unknown_words(words)),
            why_none="" if results else searcher.why_none(prompt, category or None, MIN_SIMILARITY),
        )
        for r in results:
            self.recent[r.stem_id] = (answer.query_id, logged_as)
        return answer

    def _logged(
        self,
        logged_as: str,
        params: dict[str, Any],
        results: list[Result],
        latency: float,
        client: str,
    ) -> Answer:
        """Log an answer in the background; its results become the last results (pads), and
        are no longer new to the user (as the log tells a later start)."""
        query_id = self.log.next_query_id()
        self.log.query(
            Query(
                query_id,
                logged_as,
                json.dumps(params),
                self.searcher.backend.name,
                latency,
                client,
                tuple((r.rank, r.stem_id, r.score) for r in results),
                dt.datetime.now(),
            )
        )
        self.last_results = [r.stem_id for r in results]
        self.searcher.returned.update(r.stem_id for r in results)
        return Answer(query_id, results, latency)

    def feedback(self, stem_id: int, action: str, *, client: str = "") -> int | None:
        """Like or skip a stem; it applies to the latest query that showed it (returned)."""
        if stem_id not in self.searcher.row_of:
            raise ParameterError(f"no stem with id {stem_id}")
        query_id, prompt = self.recent.get(stem_id, (None, None))
        if prompt is not None:
            self.searcher.remember(prompt, stem_id, action)
        self.log.feedback(stem_id, action, query_id, client)
        return query_id

    def tempo(self, bpm: float, *, client: str = "") -> None:
        """Session tempo (BPM)."""
        self.clock.set_tempo(bpm, now=self.now())
        self.log.transport("tempo", (bpm,), client)

    def beat(self, beat: float, *, client: str = "") -> None:
        """Song position report (beats); only locates are logged, not every tick."""
        before = self.clock.beat_at(self.now())
        self.clock.set_beat(beat, now=self.now())
        if abs(beat - before) > JUMP_BEATS:
            self.log.transport("locate", (beat,), client)

    def play(self, playing: bool, *, client: str = "") -> None:
        """Transport started (True) or stopped."""
        self.clock.set_playing(playing, now=self.now())
        self.log.transport("play", (float(playing),), client)

    def signature(self, numerator: int, denominator: int, *, client: str = "") -> None:
        """Time signature."""
        self.clock.set_signature(numerator, denominator)
        self.log.transport("signature", (float(numerator), float(denominator)), client)

    # --- mutation -----------------------------------------------------------------------------

    def _source(self, stem_id: int) -> Source:
        searcher = self.searcher
        if stem_id not in searcher.row_of:
            raise ParameterError(f"no stem with id {stem_id}")
        n = searcher.row_of[stem_id]
        bpm, lufs = float(searcher.bpm[n]), float(searcher.loudness[n])
        return Source(
            stem_id,
            Path(str(searcher.paths[n])),
            None if np.isnan(bpm) else bpm,
            bool(searcher.is_loop[n]),
            None if np.isnan(lufs) else lufs,
        )

    def mutate(
        self,
        stem_id: int,
        params: dict[str, float],
        *,
        client: str = "",
        target: str = "",
        variant: bool = False,
    ) -> Mutation:
        """Queue a render of a stem with the session's knobs; the message's parameters turn
        those knobs first, as a controller would (a variant's stay its own). ``seed`` and
        ``layer_stem`` may be given as parameters too. The render is announced when ready."""
        params = dict(params)
        seed = params.pop("seed", next(self._seeds))
        layer_id = params.pop("layer_stem", None)
        layer = (
            self._source(whole_number("layer_stem", layer_id, high=MAX_STEM_ID))
            if layer_id is not None
            else None
        )
        mutation = Mutation.of(
            stem_id,
            {**self.knobs, **params},
            seed=seed,
            tempo=self.clock.tempo,
            layer_stem=layer.stem_id if layer else None,
        )
        source = self._source(stem_id)
        if not variant:
            self.knobs.update({name: float(value) for name, value in params.items()})
            self.current = (stem_id, mutation.seed, client, layer.stem_id if layer else None)
        self.studio.request(
            Request(mutation, source, layer, client, target or f"{client}/{stem_id}")
        )
        return mutation

    def param(self, name: str, value: float, *, client: str = "") -> None:
        """Set a session knob; the stem the knobs shape re-renders (coalesced, paced)."""
        check({name: value})
        self.knobs[name] = float(value)
        if self.current is not None:
            stem_id, seed, owner, layer = self.current
            again: dict[str, float] = {"seed": seed}
            if layer is not None:
                again["layer_stem"] = layer
            self.mutate(stem_id, again, client=owner or client, target="knobs")

    def variations(self, stem_id: int, count: int, *, client: str = "") -> list[Mutation]:
        """``count`` seeded variants of a stem, each a few knobs turned at random."""
        if not 1 <= count <= MAX_VARIATIONS:
            raise ParameterError(f"count={count} must be in 1..{MAX_VARIATIONS}")
        out = []
        for _ in range(count):
            seed = next(self._seeds)
            rng = np.random.default_rng(seed)
            names = rng.choice(VARIED_PARAMS, size=int(rng.integers(2, 4)), replace=False)
            params = {str(n): round(float(rng.uniform(0.15, 0.85)), 2) for n in names}
            params["seed"] = seed
            out.append(
                self.mutate(
                    stem_id,
                    params,
                    client=client,
                    target=f"{client}/{stem_id}/{seed}",
                    variant=True,
                )
            )
        return out

    def _rendered(self, done: Rendered) -> None:
        """Hand a finished render to the log thread, which catalogues it, serves it, then
        announces it: a client may play or search it the moment it hears of it."""
        self._landed.put(done)
        self.log.submit(self._serve_renders)

    def _serve_renders(self, catalog: Catalog) -> None:
        """Catalogue every render landed by now (one ingest) with its parent, serve them all
        with one reload and announce each, then index them. A burst of variations costs an
        ingest and a reload or two, not one each, and a knob turned on and on is still
        announced as its renders land. The reload scans the new stems beside the index it had:
        the index build (seconds in a 100k-stem library) comes after, on the indexer thread."""
        from dirigent.ingest import ingest

        landed = []
        while True:
            try:
                landed.append(self._landed.get_nowait())
            except queue.Empty:
                break
        if not landed:
            return
        try:  # one ingest for them all, in this process: a pool of workers starts in seconds
            ingest([done.path for done in landed], catalog, replace(self.config, workers=1))
        except Exception:  # each is catalogued alone below, and fails alone
            log.exception("cataloguing %d renders together failed", len(landed))
        ready = []
        for done in landed:
            try:
                ready.append((done, catalogue(catalog, done, self.config, self.session)))
            except ParameterError as e:
                self._render_failed(done.request, str(e))
            except Exception as e:  # one render must not cost the others
                log.exception("cataloguing the render %s failed", done.path)
                reason = f"the render {done.path} could not be catalogued: {type(e).__name__}: {e}"
                self._render_failed(done.request, reason)
        if not ready:
            return
        self._reload_if_changed(catalog)  # searchable now, indexed below
        launch_beat, _ = self.next_bar()
        for done, stem in ready:
            self._post(
                (
                    done.request.client,
                    "/dirigent/stem/ready",
                    (
                        str(done.path),
                        int(stem["id"]),
                        float(done.bpm or 0.0),
                        float(done.bars),
                        stem["key"] or "",
                        float(launch_beat),
                    ),
                    True,
                )
            )
        self._index_later()

    def _post(self, reply: tuple[str, str, tuple[Any, ...], bool]) -> None:
        """Put a late reply (client, address, arguments, also to listeners) in the outbox and
        wake the bridge to send it."""
        self.outbox.put(reply)
        self.wake()

    def _render_failed(self, request: Request, reason: str) -> None:
        self.log.error("/dirigent/mutate", reason, request.client)
        self._post((request.client, "/dirigent/error", ("/dirigent/mutate", reason), False))

    def suggest(self, stem_id: int, *, top_k: int = 8, client: str = "") -> Answer:
        """Stems that complete ``stem_id`` (answered like a search)."""
        _check_top_k(top_k)
        searcher = self.searcher
        if stem_id not in searcher.row_of:
            raise ParameterError(f"no stem with id {stem_id}")
        started = time.perf_counter()
        liked = [
            searcher.row_of[i]
            for events in searcher.feedback_of.values()
            for i, action in events
            if action == "like" and i in searcher.row_of
        ]
        taste = searcher.vectors[liked].mean(axis=0) if liked else None
        picks = searcher.complements(searcher.row_of[stem_id], taste=taste, top_k=top_k)
        results = [searcher.result(rank, row, score) for rank, (row, score) in enumerate(picks, 1)]
        latency = (time.perf_counter() - started) * 1000
        return self._logged(f"suggest {stem_id}", {"top_k": top_k}, results, latency, client)

    # --- live playback ------------------------------------------------------------------------

    def launch(
        self, stem_id: int, *, loop: int = -1, slot: str = "main", client: str = ""
    ) -> tuple[float, float]:
        """Start a stem on the next bar (looping if it is a loop, unless ``loop`` is 0 or 1);
        returns (beat, seconds from now) of the launch."""
        from dirigent.playback import Player, open_output
        from dirigent.studio import load

        source = self._source(stem_id)
        y, sr = load(source)
        if self.sink is None:
            self.sink = open_output(
                Player(sr=PLAYBACK_SR), device=self.config.audio_device, folder=self.folder
            )
        player = self.sink.player
        if sr != player.sr:
            y = resample(y, factor=player.sr / sr)
        now = self.now()
        beat, at = self.clock.next_bar(now)
        looping = source.is_loop if loop not in (0, 1) else bool(loop)
        player.schedule(y, start=self.sink.sample_at(at), loop=looping, slot=slot or "main")
        self.log.transport("launch", (float(stem_id), beat), client)
        return beat, at - now

    def launch_soon(
        self, stem_id: int, *, loop: int = -1, slot: str = "main", client: str = ""
    ) -> None:
        """:meth:`launch` on the playback thread, so decoding a long file holds up no other
        reply; its answer (``/dirigent/play/scheduled`` or ``/dirigent/error``) comes through
        the outbox. An unknown stem or loop flag is refused at once."""
        if loop not in (-1, 0, 1):
            raise ParameterError(f"loop={loop} must be 1 (loop), 0 (once) or -1 (as the stem is)")
        self._source(stem_id)

        def job() -> None:
            try:
                beat, in_s = self.launch(stem_id, loop=loop, slot=slot, client=client)
            except DirigentError as e:
                self.log.error("/dirigent/play", str(e), client)
                self._post((client, "/dirigent/error", ("/dirigent/play", str(e)), False))
                return
            reply = (stem_id, float(beat), float(in_s))
            self._post((client, "/dirigent/play/scheduled", reply, False))

        self._launcher.submit(job)

    def stop_playback(self, *, client: str = "") -> None:
        """Fade out everything playing."""
        if self.sink is not None:
            self.sink.player.stop()
        self.log.transport("stop", (), client)

    # --- the stage page (a tablet: buttons and faders send floats) ---------------------------

    def preset(self, number: int, *, client: str = "") -> Answer:
        """Search for stage preset ``number`` (1-based)."""
        if not 1 <= number <= len(STAGE_PRESETS):
            raise ParameterError(f"preset {number} must be in 1..{len(STAGE_PRESETS)}")
        self.selected = 0
        return self.search(
            STAGE_PRESETS[number - 1],
            top_k=STAGE_ROWS,
            discover=self.stage_discovers,
            client=client,
        )

    def discover_on_stage(self, on: bool, *, client: str = "") -> None:
        """Whether the stage presets answer, from now on, with at least half their rows new to
        the user (a preset pressed again shows other sounds)."""
        self.stage_discovers = on
        self.log.transport("stage discover", (float(on),), client)

    def select(self, row: int) -> int:
        """Choose result ``row`` (1-based) of the last answer; returns its stem id."""
        if not 1 <= row <= len(self.last_results):
            raise ParameterError(
                f"row {row} is empty (the last answer has {len(self.last_results)})"
            )
        self.selected = row - 1
        return self.last_results[self.selected]

    def selected_stem(self) -> int:
        """The chosen result of the last answer."""
        if not self.last_results:
            raise ParameterError("nothing found yet: search or press a preset first")
        return self.last_results[min(self.selected, len(self.last_results) - 1)]

    # --- MIDI learn ---------------------------------------------------------------------------

    def midi_learn(self, param: str, *, client: str = "") -> None:
        """Bind ``param`` to the next control moved on the MIDI controller."""
        if param not in PARAMS:
            raise ParameterError(f"unknown parameter {param!r} (known: {', '.join(PARAMS)})")
        self.learning, self._learner = param, client

    def learned(self, param: str, channel: int, control: int, kind: str = "cc") -> None:
        """The MIDI bridge bound a control (``kind`` "cc" or "nrpn"): tell whoever asked."""
        self.learning = None
        reply = (param, channel, control, kind)
        self._post((self._learner, "/dirigent/midi/learned", reply, False))

    def next_bar(self) -> tuple[float, float]:
        """(beat, seconds from now) of the next bar line."""
        now = self.now()
        beat, at = self.clock.next_bar(now)
        return beat, at - now

    def client_error(self, address: str, reason: str, *, client: str = "") -> None:
        """A client (the Remote Script, the Max device) reports what failed on its side."""
        self.log.error(address[:200], f"client: {reason[:300]}", client)

    def error(self, address: str, reason: str, *, client: str = "") -> None:
        """Log a refused message."""
        self.log.error(address, reason, client)

    def status(self) -> dict[str, Any]:
        """What a status page shows."""
        meta = self.searcher.index.meta
        return {
            "backend": self.backend.name,
            "stems": len(self.searcher),
            "index_age_s": round(time.time() - meta.built_at, 1) if meta else -1.0,
            "uptime_s": round(self.now() - self.started, 1),
            "session": self.session,
            "tempo": self.clock.tempo,
            "playing": self.clock.playing,
            "reloads": self.reloads,
        }

    def close(self) -> None:
        """Stop rendering, launching and watching, flush the log, release the lock."""
        self.studio.close()
        self._launcher.shutdown(wait=True)
        self._listener.shutdown(wait=True, cancel_futures=True)
        if self.sink is not None:
            self.sink.close()
        self._stop.set()
        self._watcher.join(5)
        self.log.close()
        self._indexer.shutdown(wait=True, cancel_futures=True)
        if self._warmer is not None:  # no read of the model outlives the daemon
            self._warmer.join()
        self._lock_file.close()
