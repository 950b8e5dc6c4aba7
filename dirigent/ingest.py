"""Ingest: walk sample folders, analyse what is new in parallel, write the catalog in
transactions, so that a run killed at any moment resumes without duplicates or half rows."""

from __future__ import annotations

import hashlib
import itertools
import logging
import multiprocessing
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable, Container, Generator, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from dirigent.analysis import ANALYSIS_VERSION, Analysis, analyse, analyse_long
from dirigent.audio_io import blocks, decode, is_audio_path, probe, read_excerpt
from dirigent.catalog import Catalog
from dirigent.config import Config
from dirigent.errors import AudioError
from dirigent.path_tags import CategoryTable, PathTags, filing

log = logging.getLogger(__name__)

HASH_CHUNK = 1 << 20
PROBE_ABOVE_BYTES = 32 << 20  # larger files are probed first: long ones are read in blocks
EXCERPT_S = 60.0
BATCH_SIZE = 64
BATCH_SECONDS = 1.0
POOL_MIN_JOBS = 8  # fewer files are analysed in this process: no pool to start


@dataclass(frozen=True)
class Job:
    """One file to look at, with what the worker needs to know."""

    path: str
    size: int
    mtime_ns: int
    filed: str  # what the path's words are read from (:func:`dirigent.path_tags.filing`)
    reanalyse: bool = False  # catalogued by an older analysis: analyse again though known


@dataclass
class Outcome:
    """What a worker found: a known hash, a new stem's row, or an error."""

    job: Job
    hash: str | None = None
    stem: dict[str, Any] | None = None
    error: str | None = None


@dataclass
class IngestReport:
    """Counts of one ingest run, printed as a summary or as JSON."""

    scanned: int = 0
    unchanged: int = 0
    added: int = 0
    linked: int = 0  # audio already catalogued, found at a new path (moved, renamed, copied)
    reanalysed: int = 0  # unchanged files an older Dirigent analysed, analysed anew
    duplicates: int = 0  # files in the catalog that are exact copies of another
    failed: int = 0
    known_failures: int = 0
    removed: int = 0
    seconds: float = 0.0
    errors: list[dict[str, str]] = field(default_factory=list)

    @property
    def files_per_second(self) -> float:
        """Files looked at (analysed, re-analysed, linked or failed) per second of wall time."""
        done = self.added + self.reanalysed + self.linked + self.failed
        return done / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {**asdict(self), "files_per_second": round(self.files_per_second, 1)}


def walk(roots: Iterable[Path]) -> Iterator[tuple[Path, Path]]:
    """(root, file) for the audio files under ``roots`` (files or folders), skipping hidden and
    AppleDouble files."""
    for root in roots:
        if root.is_file():
            if is_audio_path(root):
                yield root, root
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if not name.startswith(".") and is_audio_path(Path(name)):
                    yield root, Path(dirpath) / name


def file_hash(path: Path) -> str:
    """BLAKE2b-128 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.blake2b(digest_size=16)
    with path.open("rb") as f:
        while chunk := f.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# --- worker side: pure work on one file, no catalog access but whether a hash is known ----

_known: Container[str] = frozenset()
_table = CategoryTable()
_stream_above_s = 600.0


def _init_worker(
    known: Container[str], categories: dict[str, tuple[str, ...]], stream_above_s: float
) -> None:
    global _known, _table, _stream_above_s
    _known, _table, _stream_above_s = known, CategoryTable(categories), stream_above_s


def _stem_row(
    digest: str,
    path: Path,
    tags: PathTags,
    fmt: str,
    sr: int,
    channels: int,
    frames: int,
    analysis: Analysis,
) -> dict[str, Any]:
    bpm, bpm_source = analysis.bpm, "audio" if analysis.bpm is not None else None
    if tags.bpm is not None and (analysis.is_loop or tags.is_loop):
        bpm, bpm_source = tags.bpm, "name"
    key, key_source = analysis.key, "audio" if analysis.key is not None else None
    if tags.key is not None:
        key, key_source = tags.key, "name"
    row = asdict(analysis)
    row.update(
        hash=digest,
        path=str(path),
        format=fmt,
        sample_rate=sr,
        channels=channels,
        frames=frames,
        bpm=bpm,
        bpm_source=bpm_source,
        key=key,
        key_source=key_source,
        category=tags.category,
        quality_reasons=list(analysis.quality_reasons),
        descriptors=analysis.descriptors.tolist(),
        analysis_version=ANALYSIS_VERSION,
    )
    return row


def _analyse_file(job: Job) -> Outcome:
    path = Path(job.path)
    tags = _table.classify(job.filed)
    loop_hint = tags.is_loop
    if job.size > PROBE_ABOVE_BYTES:
        info = probe(path)
        if info.duration > _stream_above_s:
            digest = file_hash(path)
            if digest in _known and not job.reanalyse:
                return Outcome(job, digest)
            excerpt_frames = int(EXCERPT_S * info.sr)
            start = max(0, (info.frames - excerpt_frames) // 2)
            excerpt = read_excerpt(path, start=start, frames=excerpt_frames)
            analysis = analyse_long(
                blocks(path),
                excerpt,
                sr=info.sr,
                channels=info.channels,
                duration=info.duration,
                loop_hint=loop_hint,
            )
            return Outcome(
                job,
                digest,
                _stem_row(
                    digest, path, tags, info.format, info.sr, info.channels, info.frames, analysis
                ),
            )
    data = path.read_bytes()
    digest = hashlib.blake2b(data, digest_size=16).hexdigest()
    if digest in _known and not job.reanalyse:
        return Outcome(job, digest)
    y, sr, info = decode(data, path)
    analysis = analyse(y, sr=sr, loop_hint=loop_hint)
    return Outcome(
        job,
        digest,
        _stem_row(digest, path, tags, info.format, sr, y.shape[0], y.shape[1], analysis),
    )


def process(job: Job) -> Outcome:
    """Hash, decode and analyse one file; every failure becomes an outcome, never a raise."""
    try:
        return _analyse_file(job)
    except AudioError as e:
        return Outcome(job, error=str(e))
    except OSError as e:
        return Outcome(job, error=f"cannot read: {e.strerror or e}")
    except MemoryError:
        return Outcome(job, error="out of memory while analysing (raise DIRIGENT_STREAM_ABOVE_S?)")
    except Exception as e:  # an analysis bug must not stop a 10,000-file ingest
        tb = traceback.format_exception_only(type(e), e)[-1].strip()
        return Outcome(job, error=f"internal error: {tb}")


# --- main side: plan, dispatch, write ------------------------------------------------------


class CatalogHashes:
    """The content hashes a catalog holds, looked up one at a time: for the few files analysed
    in this process (a render landing), rather than all of a 100k-stem catalog's fetched
    (90 ms). ``add``: hashes written meanwhile."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.added: set[str] = set()

    def __contains__(self, digest: object) -> bool:
        return digest in self.added or (isinstance(digest, str) and self.catalog.catalogued(digest))

    def add(self, digest: str) -> None:
        self.added.add(digest)


def _outcomes(
    jobs: list[Job], config: Config, known: set[str] | CatalogHashes
) -> Iterator[Outcome]:
    """Outcomes of ``jobs``: from worker processes when ``known`` holds every catalogued hash
    (they get a copy), else in this process."""
    workers = config.workers or os.cpu_count() or 1
    rest = (dict(config.categories), config.stream_above_s)
    if workers > 1 and isinstance(known, set):
        jobs = yield from _in_pools(jobs, workers, (frozenset(known), *rest))
    if jobs:
        _init_worker(known, *rest)
        try:
            yield from map(process, jobs)
        finally:
            _init_worker(frozenset(), *rest)  # no catalog held past this ingest


def _in_pools(
    jobs: list[Job], workers: int, initargs: tuple[Any, ...]
) -> Generator[Outcome, None, list[Job]]:
    """Outcomes of ``jobs`` from worker processes; the jobs left for this process when the
    workers cannot start at all."""
    todo = jobs
    while todo:
        in_flight, rest = yield from _until_a_worker_dies(todo, workers, initargs)
        if not in_flight and len(rest) == len(todo):  # the pool broke before any work began
            log.warning(
                "analysis worker processes could not start (a script that calls ingest must "
                'call it under if __name__ == "__main__":); analysing %d files in this process',
                len(todo),
            )
            return todo
        todo = rest
        for job in in_flight:  # one of them killed its worker: each alone finds out which
            in_work, never_started = yield from _until_a_worker_dies([job], 1, initargs)
            if in_work or never_started:
                yield Outcome(job, error=WORKER_DIED)
    return []


WORKER_DIED = "the analysis process died on this file (a decoder crash or out of memory)"
CHUNK = 4  # files per task sent to a worker
CHUNKS_PER_WORKER = 2  # tasks queued per worker


def _until_a_worker_dies(
    jobs: list[Job], workers: int, initargs: tuple[Any, ...]
) -> Generator[Outcome, None, tuple[list[Job], list[Job]]]:
    """Outcomes of ``jobs`` from a pool of worker processes, until all are done or a worker
    dies (a segfaulting decoder, the kernel's out-of-memory killer): then the jobs that were
    in work, and those never started, are returned for another pool instead of hanging."""
    context = multiprocessing.get_context("spawn")
    started = context.SimpleQueue()
    chunks = (jobs[i : i + CHUNK] for i in range(0, len(jobs), CHUNK))
    running: dict[Future[list[Outcome]], list[Job]] = {}
    with ProcessPoolExecutor(
        min(workers, len(jobs)),
        mp_context=context,
        initializer=_init_reporting_worker,
        initargs=(started, *initargs),
    ) as pool:
        try:
            while True:
                for chunk in itertools.islice(chunks, workers * CHUNKS_PER_WORKER - len(running)):
                    running[pool.submit(_process_reporting, chunk)] = chunk
                if not running:
                    return [], []
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    yield from future.result()
                    del running[future]
        except BrokenProcessPool:
            for future in [f for f in running if f.done() and f.exception() is None]:
                yield from future.result()
                del running[future]
            began = set()
            while not started.empty():
                began.add(started.get())
            lost = [job for chunk in running.values() for job in chunk]
            rest = [job for chunk in chunks for job in chunk]
            in_work = [job for job in lost if job.path in began]
            return in_work, [job for job in lost if job.path not in began] + rest
        finally:
            started.close()


_started: Any = None


def _init_reporting_worker(started: Any, *initargs: Any) -> None:
    global _started
    _started = started
    _init_worker(*initargs)
    parent = multiprocessing.parent_process()
    if parent is not None:  # an ingest killed with -9 leaves no workers behind
        threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()


def _exit_with(parent: Any) -> None:
    parent.join()
    os._exit(1)


def _process_reporting(jobs: list[Job]) -> list[Outcome]:
    """:func:`process` of each job, telling the pool first which file this worker takes on."""
    outcomes = []
    for job in jobs:
        _started.put(job.path)
        outcomes.append(process(job))
    return outcomes


def ingest(
    roots: list[Path],
    catalog: Catalog,
    config: Config,
    *,
    progress: Callable[[int], Any] | None = None,
    on_total: Callable[[int], Any] | None = None,
) -> IngestReport:
    """Bring the catalog up to date with the audio files under ``roots``.

    Unchanged files (same size and mtime) are skipped without reading, unless an older
    analysis catalogued them; changed or new files are hashed, and only audio never seen before
    is analysed. Files that vanished from under ``roots`` are forgotten. ``progress(n)`` is
    called as files complete.
    """
    started = time.perf_counter()
    report = IngestReport()
    roots = [Path(os.path.abspath(r)) for r in roots]
    under = [str(r) for r in roots]  # what the catalog holds of other folders is not read
    files, failed_before = catalog.file_states(under), catalog.error_states(under)
    stale = catalog.stale_analyses(ANALYSIS_VERSION, under)
    max_bytes = int(config.max_file_mb * 1024 * 1024)
    seen: set[str] = set()
    jobs: list[Job] = []
    refused: list[tuple[str, int, int, str]] = []
    for root, path in walk(roots):
        report.scanned += 1
        key = str(path)
        seen.add(key)
        try:
            st = path.stat()
        except OSError as e:
            refused.append((key, 0, 0, f"cannot stat: {e.strerror or e}"))
            continue
        state = (st.st_size, st.st_mtime_ns)
        if key in files and (files[key].size, files[key].mtime_ns) == state:
            if key in stale:
                jobs.append(Job(key, *state, str(filing(path, root)), reanalyse=True))
            else:
                report.unchanged += 1
        elif (
            key in failed_before and (failed_before[key].size, failed_before[key].mtime_ns) == state
        ):
            report.known_failures += 1
        elif st.st_size > max_bytes:
            refused.append(
                (
                    key,
                    *state,
                    f"file is {st.st_size / 2**20:.0f} MB, above "
                    f"DIRIGENT_MAX_FILE_MB={config.max_file_mb:g}",
                )
            )
        else:
            jobs.append(Job(key, *state, str(filing(path, root))))
    if on_total:
        on_total(len(jobs) + len(refused))

    # a few files (a render landing) are analysed in this process and looked up one by one
    known = catalog.hashes() if len(jobs) >= POOL_MIN_JOBS else CatalogHashes(catalog)
    stems: list[dict[str, Any]] = []
    reanalysed: list[dict[str, Any]] = []
    links: list[tuple[str, str, int, int]] = []
    errors: list[tuple[str, int, int, str]] = list(refused)
    last_flush = time.monotonic()

    def flush() -> None:
        nonlocal last_flush
        new_ids = catalog.write(stems, links, errors)
        catalog.update_analyses(reanalysed)
        for digest in new_ids:
            known.add(digest)
        stems.clear()
        reanalysed.clear()
        links.clear()
        errors.clear()
        last_flush = time.monotonic()

    batch_hashes: set[str] = set()
    for outcome in _outcomes(jobs, config, known):
        job = outcome.job
        if job.reanalyse:
            # the old analysis stays where the new one fails or the file changed under us
            if outcome.stem is not None and outcome.stem["hash"] in known:
                reanalysed.append(outcome.stem)
                report.reanalysed += 1
            elif outcome.error is not None:
                report.errors.append({"path": job.path, "reason": f"re-analysis: {outcome.error}"})
        elif outcome.error is not None or outcome.hash is None:
            reason = outcome.error or "internal error: no hash"
            errors.append((job.path, job.size, job.mtime_ns, reason))
            report.failed += 1
            report.errors.append({"path": job.path, "reason": reason})
        else:
            digest = outcome.hash
            if outcome.stem is not None and digest not in known and digest not in batch_hashes:
                stems.append(outcome.stem)
                batch_hashes.add(digest)
                report.added += 1
            else:
                report.linked += 1
            links.append((job.path, digest, job.size, job.mtime_ns))
        if progress:
            progress(1)
        pending = len(links) + len(errors) + len(reanalysed)
        if pending >= BATCH_SIZE or time.monotonic() - last_flush > BATCH_SECONDS:
            flush()
            batch_hashes.clear()
    for refused_path, _, _, reason in refused:
        report.failed += 1
        report.errors.append({"path": refused_path, "reason": reason})
        if progress:
            progress(1)
    flush()

    gone = _under([p for p in (*files, *failed_before) if p not in seen], roots)
    report.removed = catalog.forget(gone)
    table = CategoryTable(config.categories)
    for stem_id, new_path in catalog.orphaned_canonicals():
        root = next((r for r in roots if _under([new_path], [r])), Path(new_path))
        catalog.move(stem_id, new_path, table.classify(filing(new_path, root)).category)
    report.duplicates = len(catalog.duplicates())
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _under(paths: list[str], roots: list[Path]) -> list[str]:
    """Those of ``paths`` (absolute, as :func:`walk` makes them) that are one of ``roots`` or
    lie below one, compared as the platform compares paths: as strings, not a ``Path`` each
    (a render ingested into a 100k-stem catalog: 5 s of ``Path`` objects before)."""
    exact = {os.path.normcase(r) for r in roots}
    below = tuple(os.path.join(r, "") for r in exact)  # "/a/b" -> "/a/b/"; "/" stays
    return [p for p in paths if (c := os.path.normcase(p)) in exact or c.startswith(below)]


def progress_bar(
    quiet: bool,
) -> tuple[Callable[[int], Any], Callable[[int], Any], Callable[[], None]]:
    """(advance, set_total, close) for a tqdm bar on an interactive stderr, no-ops otherwise."""
    if quiet or not sys.stderr.isatty():
        return (lambda n: None), (lambda n: None), (lambda: None)
    from tqdm import tqdm

    bar = tqdm(total=0, unit="file", file=sys.stderr, dynamic_ncols=True)

    def set_total(n: int) -> None:
        bar.total = n
        bar.refresh()

    return bar.update, set_total, bar.close
