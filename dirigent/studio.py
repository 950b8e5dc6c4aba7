"""The studio: renders mutations into the session folder on one worker thread. Requests for the
same target coalesce (the latest wins) and renders are paced to a maximum rate, so a flood of
knob moves never queues up; each finished render is handed to a callback."""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import soundfile as sf

from dirigent.audio_io import decode
from dirigent.errors import DirigentError, ParameterError
from dirigent.mutate import Mutation, render
from dirigent.mutate.transforms import resample

if TYPE_CHECKING:
    from dirigent.catalog import Catalog
    from dirigent.config import Config

log = logging.getLogger(__name__)

MAX_RENDERS_PER_S = 8.0  # knob-driven re-renders, at most


@dataclass(frozen=True)
class Source:
    """A catalogued stem to render from."""

    stem_id: int
    path: Path
    bpm: float | None
    is_loop: bool
    lufs: float | None = None  # integrated loudness the catalog measured


@dataclass(frozen=True)
class Request:
    """Render ``mutation`` of ``source`` for ``client``; requests with the same ``target``
    replace each other while waiting."""

    mutation: Mutation
    source: Source
    layer: Source | None
    client: str
    target: str


@dataclass(frozen=True)
class Rendered:
    """A finished render: the WAV written and what it holds."""

    request: Request
    path: Path
    sr: int
    frames: int
    bpm: float | None
    bars: float
    seconds: float  # time the render took


def source_in(catalog: Catalog, stem_id: int) -> Source:
    """A catalogued stem as a render's source; a clear error where the catalog has none."""
    row = catalog.source_of(stem_id)
    if row is None:
        raise ParameterError(f"no stem with id {stem_id}")
    return Source(
        stem_id, Path(row["path"]), row["bpm"], bool(row["is_loop"]), row["loudness_lufs"]
    )


def file_name(source: Path, mutation: Mutation) -> str:
    """``<source name>__<what changed>.wav``, safe on every file system."""
    stem = re.sub(r"[^A-Za-z0-9._+-]+", "_", source.stem)[:80]
    return f"{stem}__{mutation.describe()}.wav"


def load(source: Source) -> tuple[np.ndarray, int]:
    """The source's audio, (channels, n) float32, and its rate."""
    try:
        y, sr, _ = decode(source.path.read_bytes(), source.path)
    except OSError as e:
        raise DirigentError(f"cannot read stem {source.stem_id} ({source.path}): {e}") from e
    return y, sr


def render_request(request: Request, folder: Path) -> Rendered:
    """Render a request into ``folder`` (24-bit WAV, written whole or not at all)."""
    started = time.perf_counter()
    y, sr = load(request.source)
    layer = None
    if request.layer is not None:
        layer, layer_sr = load(request.layer)
        if layer_sr != sr:
            layer = resample(layer, factor=sr / layer_sr)
    mutation = request.mutation
    out = render(
        y,
        sr=sr,
        mutation=mutation,
        source_bpm=request.source.bpm,
        is_loop=request.source.is_loop,
        layer=layer,
        source_lufs=request.source.lufs,
    )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / file_name(request.source.path, mutation)
    tmp = path.with_suffix(f".tmp{os.getpid()}.wav")
    sf.write(tmp, out.T, sr, subtype="PCM_24")
    os.replace(tmp, path)
    stretched = bool(mutation.value("stretch")) and request.source.is_loop and request.source.bpm
    bpm = mutation.tempo if stretched else request.source.bpm
    bars = out.shape[-1] / sr * bpm / 60 / 4 if bpm and request.source.is_loop else 0.0
    return Rendered(
        request, path, sr, out.shape[-1], bpm, round(bars, 3), time.perf_counter() - started
    )


def catalogue(catalog: Catalog, done: Rendered, config: Config, session: str) -> dict[str, Any]:
    """Record the mutation that made a render (ingested alone unless it already is) with its
    parent; the render's catalog row (id, bpm, key, duration, is_loop)."""
    from dirigent.ingest import ingest

    stem = catalog.stem_at(str(done.path))
    if stem is None:
        ingest([done.path], catalog, config)
        stem = catalog.stem_at(str(done.path))
    if stem is None:
        raise ParameterError(f"the render {done.path} could not be catalogued (gone or unreadable)")
    m = done.request.mutation
    catalog.add_mutation(
        stem["id"], m.stem_id, json.dumps(dict(m.params)), m.seed, m.tempo, m.layer_stem, session
    )
    return stem


class Studio:
    """One render thread with a coalescing queue."""

    def __init__(
        self,
        folder: Path,
        *,
        on_render: Callable[[Rendered], None],
        on_error: Callable[[Request, str], None],
        max_rate: float = MAX_RENDERS_PER_S,
    ) -> None:
        self.folder = folder
        self.on_render, self.on_error = on_render, on_error
        self.interval = 1.0 / max_rate
        self._pending: dict[str, Request] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._last = 0.0
        self.renders = 0
        self.coalesced = 0
        self._thread = threading.Thread(target=self._run, name="dirigent-studio", daemon=True)
        self._thread.start()

    def request(self, request: Request) -> None:
        """Queue a render; one still waiting for the same target is replaced."""
        with self._lock:
            if self._pending.pop(request.target, None) is not None:
                self.coalesced += 1
            self._pending[request.target] = request
        self._wake.set()

    @property
    def waiting(self) -> int:
        """Renders queued and not started."""
        with self._lock:
            return len(self._pending)

    def _next(self) -> Request | None:
        with self._lock:
            if not self._pending:
                self._wake.clear()
                return None
            target = next(iter(self._pending))
            return self._pending.pop(target)

    def _run(self) -> None:
        while not self._stop.is_set():
            request = self._next()
            if request is None:
                self._wake.wait(0.5)
                continue
            pause = self._last + self.interval - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            self._last = time.monotonic()
            try:
                done = render_request(request, self.folder)
            except DirigentError as e:
                self.on_error(request, str(e))
                continue
            except Exception as e:  # a render bug must not stop the studio
                log.exception("render of stem %s failed", request.source.stem_id)
                self.on_error(request, f"internal error: {type(e).__name__}: {e}")
                continue
            self.renders += 1
            try:
                self.on_render(done)
            except Exception:
                log.exception("announcing a render failed")

    def close(self) -> None:
        """Stop after the render in progress."""
        self._stop.set()
        self._wake.set()
        self._thread.join(10)
