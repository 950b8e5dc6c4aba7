"""The daemon's event log: queries, results, feedback, transport changes and errors go into a
queue in memory and one background thread writes them to DuckDB in batches, so answering a
message never waits on disk. The same thread runs the daemon's other catalog work (reloads,
rescans), because it is the one connection the daemon opens, and only for a moment."""

from __future__ import annotations

import datetime as dt
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dirigent.catalog import Catalog, LogBatch
from dirigent.errors import CatalogError

log = logging.getLogger(__name__)

FLUSH_S = 0.5  # longest time an event waits in memory (a kill -9 loses at most this much)
ID_BLOCK = 100_000  # query ids reserved at a time
ERRORS_PER_S = 50  # refused messages logged per second; more are counted, not stored
OPEN_WAIT_S = 0.25  # how long a flush waits for a catalog another process holds

Job = Callable[[Catalog], None]


@dataclass(frozen=True)
class Query:
    """One answered search."""

    id: int
    prompt: str
    params: str
    backend: str
    latency_ms: float
    client: str
    results: tuple[tuple[int, int, float], ...]  # (rank, stem id, score)
    at: dt.datetime


class EventLog:
    """Events of one daemon session, written by a background thread every :data:`FLUSH_S`."""

    def __init__(self, catalog: Catalog, session: str, *, backend: str, listen: str) -> None:
        """Open ``session`` in ``catalog`` (the daemon's, open at start) and reserve its first
        query ids; later writes open the catalog at its path for a moment each."""
        self.db = catalog.path
        self.session = session
        self._events: queue.SimpleQueue[tuple[str, tuple[Any, ...]]] = queue.SimpleQueue()
        self._jobs: queue.SimpleQueue[Job] = queue.SimpleQueue()
        self._pending = LogBatch()
        self._ids: list[range] = []
        self._id_lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dirigent-log", daemon=True)
        self.written = 0
        self.failures = 0
        self.errors_not_logged = 0
        self._error_second, self._errors_this_second = 0, 0
        catalog.open_session(session, backend, listen, os.getpid())
        self._ids.append(catalog.reserve_query_ids(ID_BLOCK))
        self._next = self._ids[0].start

    def start(self) -> None:
        """Start the writer thread."""
        self._thread.start()

    # --- producers (any thread) -------------------------------------------------------------

    def next_query_id(self) -> int:
        """A fresh query id from the reserved blocks."""
        with self._id_lock:
            while self._next >= self._ids[0].stop and len(self._ids) > 1:
                self._ids.pop(0)
                self._next = self._ids[0].start
            query_id = self._next
            self._next += 1
            return query_id

    def query(self, q: Query) -> None:
        """Log an answered search."""
        self._events.put(("query", (q,)))

    def feedback(self, stem_id: int, action: str, query_id: int | None, client: str) -> None:
        """Log a like or skip."""
        self._events.put(("feedback", (stem_id, action, query_id, self.session, _now(), client)))

    def transport(self, what: str, value: tuple[float, ...], client: str) -> None:
        """Log a transport change (tempo, play, signature, a locate) or a switch of the session
        (the stage page's new-sounds toggle): a name and its values."""
        self._events.put(("transport", (self.session, _now(), client, what, list(value))))

    def error(self, address: str, reason: str, client: str) -> None:
        """Log a refused message; a flood (a fuzzer, a broken patch) is logged at
        :data:`ERRORS_PER_S` and the rest only counted."""
        second = int(time.monotonic())
        if second != self._error_second:
            self._error_second, self._errors_this_second = second, 0
        self._errors_this_second += 1
        if self._errors_this_second > ERRORS_PER_S:
            self.errors_not_logged += 1
            return
        self._events.put(("error", (self.session, _now(), client, address, reason)))

    def submit(self, job: Job) -> None:
        """Run ``job(catalog)`` on the writer thread, at once."""
        self._jobs.put(job)
        self._wake.set()

    def close(self, timeout_s: float = 10.0) -> None:
        """Stop the thread after a last flush (retried while another process holds the file)."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)
        else:
            self._turn(final=True)

    # --- the writer thread ------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(FLUSH_S)
            self._wake.clear()
            if not self._stop.is_set():
                self._turn(final=False)
        self._turn(final=True)

    def _drain(self) -> None:
        batch = self._pending
        while True:
            try:
                kind, row = self._events.get_nowait()
            except queue.Empty:
                return
            if kind == "query":
                q: Query = row[0]
                batch.queries.append(
                    (
                        q.id,
                        self.session,
                        q.prompt,
                        q.params,
                        q.backend,
                        q.latency_ms,
                        q.at,
                        q.client,
                    )
                )
                batch.results.extend((q.id, *r) for r in q.results)
            else:
                getattr(batch, kind if kind != "error" else "errors").append(row)

    def _turn(self, *, final: bool) -> None:
        self._drain()
        jobs: list[Job] = []
        while not self._jobs.empty():
            jobs.append(self._jobs.get_nowait())
        low_on_ids = self._next > self._ids[-1].start + ID_BLOCK // 2
        if not (len(self._pending) or jobs or low_on_ids or final):
            return
        attempts = 40 if final else 1
        for attempt in range(attempts):
            try:
                with Catalog(self.db, wait_s=OPEN_WAIT_S, threads=1) as catalog:
                    if len(self._pending):
                        catalog.write_log(self._pending)
                        self.written += len(self._pending)
                        self._pending = LogBatch()
                    if low_on_ids:
                        block = catalog.reserve_query_ids(ID_BLOCK)
                        with self._id_lock:
                            self._ids.append(block)
                    for job in jobs:
                        try:
                            job(catalog)
                        except Exception:
                            log.exception("catalog job failed")
                    jobs = []
                    if final:
                        catalog.close_session(self.session)
                return
            except CatalogError as e:
                self.failures += 1
                if attempt == attempts - 1:
                    log.warning("event log not written yet (%s); kept in memory", e)
        for job in jobs:
            self._jobs.put(job)


def _now() -> dt.datetime:
    return dt.datetime.now()
