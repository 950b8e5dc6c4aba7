"""The daemon's engine: the warm backend and index, the transport clock and the event log,
behind plain methods that the bridges call and that return values (no sockets here)."""

from __future__ import annotations

import ctypes
import datetime as dt
import fcntl
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from dirigent.catalog import Catalog
from dirigent.config import Config
from dirigent.embed import load_backend
from dirigent.embed.base import Embedder
from dirigent.errors import DirigentError, ParameterError
from dirigent.event_log import EventLog, Query
from dirigent.paths import inside
from dirigent.search import MIN_SIMILARITY, Result, Searcher
from dirigent.transport import JUMP_BEATS, TransportClock

log = logging.getLogger(__name__)

RELOAD_CHECK_S = 1.0  # how often the catalog is checked for changes (ingest, rescan)
MAX_PROMPT_CHARS = 500
MAX_TOP_K = 100


class DaemonBusy(DirigentError):
    """Another daemon serves the same catalog."""


@dataclass(frozen=True)
class Answer:
    """What a search returns to a client."""

    query_id: int
    results: list[Result]
    latency_ms: float


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
            with Catalog(config.db) as catalog:
                self.searcher = self._load(catalog, self.backend)
            self.session = f"{dt.datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}"
            self.log = EventLog(config.db, self.session, backend=self.backend.name, listen=listen)
        except BaseException:
            self._lock_file.close()
            raise
        self.clock = TransportClock()
        self.reloads = 0
        self.recent: dict[int, tuple[int, str]] = {}  # stem id -> (query id, prompt) last shown
        self._stop = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="dirigent-watch", daemon=True)
        self.log.start()
        self._watcher.start()
        self.ready_s = now() - self.started

    def _load(self, catalog: Catalog, backend: Embedder) -> Searcher:
        searcher = Searcher(catalog, backend, self.index_dir, session="daemon")
        searcher.refresh()
        _return_freed_memory()
        return searcher

    # --- catalog changes --------------------------------------------------------------------

    def _watch(self) -> None:
        while not self._stop.wait(RELOAD_CHECK_S):
            self.log.submit(self._reload_if_changed)

    def _reload_if_changed(self, catalog: Catalog) -> None:
        """Swap in a new searcher when the catalog changed; queries keep being answered by the
        old one until the swap (one reference assignment)."""
        old = self.searcher
        if catalog.library_state(old.backend.name) == old.state:
            return
        backend = load_backend(self.config) if hasattr(old.backend, "calibrate") else old.backend
        new = self._load(catalog, backend)
        for key, events in old.feedback_of.items():  # feedback not yet flushed stays in force
            known = set(new.feedback_of.get(key, []))
            new.feedback_of.setdefault(key, []).extend(e for e in events if e not in known)
        new.returned |= old.returned
        self.searcher, self.backend = new, backend
        self.reloads += 1
        log.info("catalog changed: now serving %d stems", len(new))

    def rescan(self) -> None:
        """Ingest the configured library roots again (on the log thread), then reload."""
        from dirigent.ingest import ingest

        roots = [r for r in self.config.library if r.is_dir()]
        if not roots:
            raise ParameterError("no library roots are configured (DIRIGENT_LIBRARY)")

        def job(catalog: Catalog) -> None:
            ingest(roots, catalog, self.config)
            self._reload_if_changed(catalog)

        self.log.submit(job)

    # --- what clients ask -------------------------------------------------------------------

    def search(
        self, prompt: str, *, top_k: int = 10, category: str = "", client: str = ""
    ) -> Answer:
        """Rank the library for a prompt; the query is logged in the background."""
        if not prompt.strip():
            raise ParameterError("prompt is empty")
        if len(prompt) > MAX_PROMPT_CHARS:
            raise ParameterError(f"prompt of {len(prompt)} characters (at most {MAX_PROMPT_CHARS})")
        return self._answer(prompt, prompt, top_k, category, (), client)

    def more_like(self, example: str, *, top_k: int = 10, client: str = "") -> Answer:
        """Stems that sound like ``example``: a stem id, a catalogued path, or an audio file
        inside the library roots."""
        if not example.isdigit():
            catalogued = str(Path(example).expanduser().resolve()) in self.searcher.row_of_path
            example = example if catalogued else str(inside(example, self.config.library))
        elif int(example) not in self.searcher.row_of:
            raise ParameterError(f"no stem with id {example}")
        return self._answer("", f"like {example}", top_k, "", (example,), client)

    def _answer(
        self,
        prompt: str,
        logged_as: str,
        top_k: int,
        category: str,
        like: tuple[str, ...],
        client: str,
    ) -> Answer:
        if not 1 <= top_k <= MAX_TOP_K:
            raise ParameterError(f"top_k={top_k} must be in 1..{MAX_TOP_K}")
        started = time.perf_counter()
        searcher = self.searcher
        results, _, _ = searcher.rank(
            prompt,
            top_k=top_k,
            category=category or None,
            min_similarity=MIN_SIMILARITY,
            like=like,
            explain=False,
        )
        latency = (time.perf_counter() - started) * 1000
        query_id = self.log.next_query_id()
        params = json.dumps({"top_k": top_k, "category": category or None, "like": list(like)})
        self.log.query(
            Query(
                query_id,
                logged_as,
                params,
                searcher.backend.name,
                latency,
                client,
                tuple((r.rank, r.stem_id, r.score) for r in results),
                dt.datetime.now(),
            )
        )
        for r in results:
            self.recent[r.stem_id] = (query_id, logged_as)
        searcher.returned.update(r.stem_id for r in results)
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

    def next_bar(self) -> tuple[float, float]:
        """(beat, seconds from now) of the next bar line."""
        now = self.now()
        beat, at = self.clock.next_bar(now)
        return beat, at - now

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
        """Stop watching, flush the log, release the lock."""
        self._stop.set()
        self._watcher.join(5)
        self.log.close()
        self._lock_file.close()
