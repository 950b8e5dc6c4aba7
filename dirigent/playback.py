"""Live playback: a mixer of voices that start on an exact sample (the next bar of the transport
clock), loop, and crossfade when a slot is replaced; played through sounddevice, or, with no
PortAudio or no device, written to a file sink that records what would have been heard and
where each launch started, to the sample."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import soundfile as sf

from dirigent.errors import ParameterError

log = logging.getLogger(__name__)

BLOCK = 512  # frames per output block
CROSSFADE_S = 0.01
MAX_SLOTS = 16  # slots sounding at once: a client that names a new slot per launch cannot pile
# up voices until the audio callback overruns
KEPT_LAUNCHES = 256  # the latest launches a player remembers: a daemon runs for days
FILE_SINK_MAX_S = 600.0  # the file sink keeps this much audio (160 MB), then logs launches only
FILE_SINK_TICK_S = 0.1  # the file sink renders what is due this often: no one listens, and a
# launch lands on its sample whenever the block holding it is rendered


@dataclass
class Voice:
    """A stem playing in a slot from sample ``start`` (absolute, at the output rate)."""

    samples: np.ndarray  # (channels, n) float32
    start: int
    loop: bool
    fade_in: int = 0  # frames of fade-in from ``start``
    stop_at: int | None = None  # absolute sample where a fade-out of ``fade_in`` frames ends


@dataclass(frozen=True)
class Launch:
    """Where a stem started: the slot, the absolute sample, and the time it stands for."""

    slot: str
    sample: int
    seconds: float
    frames: int
    loop: bool


class Player:
    """Mixes voices block by block; all positions are absolute sample indices."""

    def __init__(self, *, sr: int, channels: int = 2, crossfade_s: float = CROSSFADE_S) -> None:
        self.sr, self.channels = sr, channels
        self.crossfade = max(1, int(crossfade_s * sr))
        self.position = 0
        self.voices: dict[str, list[Voice]] = {}
        self.launches: deque[Launch] = deque(maxlen=KEPT_LAUNCHES)  # the latest
        self.launched = 0  # launches in all
        self._lock = threading.Lock()

    def schedule(
        self, samples: np.ndarray, *, start: int, loop: bool, slot: str = "main"
    ) -> Launch:
        """Start ``samples`` at absolute sample ``start`` in ``slot``; what played there fades
        out over the crossfade as the new stem fades in."""
        samples = np.atleast_2d(np.asarray(samples, dtype=np.float32))
        if samples.shape[-1] == 0:
            raise ParameterError("nothing to play: the stem has no samples")
        if samples.shape[0] != self.channels:
            samples = np.repeat(samples.mean(axis=0, keepdims=True), self.channels, axis=0)
        with self._lock:
            if slot not in self.voices and len(self.voices) >= MAX_SLOTS:
                raise ParameterError(
                    f"{MAX_SLOTS} slots are playing: stop one, or launch into one of them"
                )
            start = max(start, self.position)
            fade = self.crossfade if self.voices.get(slot) else 0
            for old in self.voices.get(slot, []):
                if old.stop_at is None or old.stop_at > start + fade:
                    old.stop_at = start + max(fade, 1)
            self.voices.setdefault(slot, []).append(Voice(samples, start, loop, fade))
            launch = Launch(slot, start, start / self.sr, samples.shape[-1], loop)
            self.launches.append(launch)
            self.launched += 1
        return launch

    def launches_since(self, count: int) -> tuple[list[Launch], int]:
        """The launches after the first ``count`` (those still remembered), and how many there
        have been in all."""
        with self._lock:
            new = min(self.launched - count, len(self.launches))
            return list(self.launches)[len(self.launches) - new :], self.launched

    def stop(self, slot: str | None = None) -> None:
        """Fade out a slot (or all) from the current position."""
        with self._lock:
            for name, voices in self.voices.items():
                if slot is None or name == slot:
                    for v in voices:
                        v.stop_at = self.position + self.crossfade

    def render(self, frames: int) -> np.ndarray:
        """The next ``frames`` of output, (channels, frames) float32."""
        out = np.zeros((self.channels, frames), dtype=np.float32)
        with self._lock:
            a, b = self.position, self.position + frames
            for slot, voices in list(self.voices.items()):
                for v in voices:
                    _mix(out, v, a, b, self.crossfade)
                alive = [v for v in voices if not _finished(v, b)]
                if alive:
                    self.voices[slot] = alive
                else:
                    del self.voices[slot]
            self.position = b
        np.clip(out, -1.0, 1.0, out=out)
        return out


def _finished(v: Voice, now: int) -> bool:
    if v.stop_at is not None and now >= v.stop_at:
        return True
    return not v.loop and now >= v.start + v.samples.shape[-1]


def _mix(out: np.ndarray, v: Voice, a: int, b: int, crossfade: int) -> None:
    """Add the part of voice ``v`` that falls in [a, b) to ``out``."""
    lo = max(a, v.start)
    hi = b if v.stop_at is None else min(b, v.stop_at)
    if not v.loop:
        hi = min(hi, v.start + v.samples.shape[-1])
    if hi <= lo:
        return
    idx = np.arange(lo, hi) - v.start
    n = v.samples.shape[-1]
    chunk = v.samples[:, idx % n] if v.loop else v.samples[:, idx]
    gain = np.ones(hi - lo, dtype=np.float32)
    if v.fade_in:
        gain *= np.clip(idx / v.fade_in, 0, 1)
    if v.stop_at is not None:
        gain *= np.clip((v.stop_at - np.arange(lo, hi)) / crossfade, 0, 1)
    out[:, lo - a : hi - a] += chunk * gain


class Sink(Protocol):
    """Where the player's blocks go; knows which output sample plays at a monotonic time."""

    player: Player

    def sample_at(self, t: float) -> int: ...

    def close(self) -> None: ...


class FileSink:
    """No sound card: writes the output (24-bit WAV) and the launches (JSON lines, with the
    sample each started on) as a stream would have played them, paced in real time by a
    thread, or advanced by hand (``realtime=False``: tests drive :meth:`advance`)."""

    def __init__(self, player: Player, folder: Path, *, t0: float, realtime: bool = True) -> None:
        self.player, self.t0 = player, t0
        folder.mkdir(parents=True, exist_ok=True)
        self.wav_path = folder / "playback.wav"
        self.launch_path = folder / "playback.launches.jsonl"
        self._wav = sf.SoundFile(
            self.wav_path, "w", samplerate=player.sr, channels=player.channels, subtype="PCM_24"
        )
        self._written = 0
        self._stop = threading.Event()
        self._thread = None
        if realtime:
            self._thread = threading.Thread(target=self._run, name="dirigent-sink", daemon=True)
            self._thread.start()

    def sample_at(self, t: float) -> int:
        """The output sample that plays at monotonic time ``t``."""
        return int(round((t - self.t0) * self.player.sr))

    def advance(self, frames: int) -> None:
        """Render ``frames`` more output; write it while the file holds less than
        :data:`FILE_SINK_MAX_S` (a daemon left running must not fill the disk)."""
        room = int(FILE_SINK_MAX_S * self.player.sr) - self._wav.frames
        if 0 < room <= frames:
            log.warning(
                "%s holds %.0f s of playback; later launches are logged only",
                self.wav_path,
                FILE_SINK_MAX_S,
            )
        done = 0
        while done < frames:
            n = min(BLOCK, frames - done)
            block = self.player.render(n)
            if done < room:
                self._wav.write(block[:, : room - done].T)
            done += n
        self._log_launches()

    def _log_launches(self) -> None:
        launches, self._written = self.player.launches_since(self._written)
        if launches:
            with self.launch_path.open("a") as f:
                for launch in launches:
                    f.write(json.dumps(launch.__dict__) + "\n")

    def _run(self) -> None:
        while not self._stop.is_set():
            due = self.sample_at(time.monotonic()) - self.player.position
            if due >= BLOCK:
                self.advance(due - due % BLOCK)
            self._stop.wait(FILE_SINK_TICK_S)

    def close(self) -> None:
        """Stop and close the files."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self._log_launches()
        self._wav.close()


class DeviceSink:
    """A sounddevice output stream whose callback pulls the player's blocks."""

    def __init__(self, player: Player, device: str | int | None) -> None:
        import sounddevice as sd  # PortAudio: absent on servers, present on stage

        self.player = player
        self._stream: Any = sd.OutputStream(
            samplerate=player.sr,
            channels=player.channels,
            blocksize=BLOCK,
            dtype="float32",
            device=device,
            callback=self._callback,
        )
        self.t0 = time.monotonic()
        self._stream.start()

    def _callback(self, outdata: np.ndarray, frames: int, timing: Any, status: Any) -> None:
        outdata[:] = self.player.render(frames).T

    def sample_at(self, t: float) -> int:
        """The output sample that plays at monotonic time ``t`` (latency included)."""
        latency = float(self._stream.latency)
        return int(round((t - self.t0 - latency) * self.player.sr))

    def close(self) -> None:
        """Stop the stream."""
        self._stream.stop()
        self._stream.close()


def open_output(player: Player, *, device: str, folder: Path) -> Sink:
    """The sound card (``device``: a name, an index, or "" for the default), or the file sink
    in ``folder`` when there is no PortAudio, no such device, or ``device == "file"``."""
    if device != "file":
        try:
            return DeviceSink(player, int(device) if device.isdigit() else (device or None))
        except Exception as e:  # no sounddevice or PortAudio (ImportError, OSError), no device
            log.warning("no audio output (%s): playing into %s", e, folder / "playback.wav")
    return FileSink(player, folder, t0=time.monotonic())
