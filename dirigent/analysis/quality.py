"""Technical quality of a sample: a score in 0..1 and the reasons that lowered it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dirigent.analysis.spectrum import frame_rms_db

CLIP_LEVEL = 0.999
CLIP_RUN = 3  # this many consecutive samples at full scale count as one clipped run
DC_LIMIT = 0.01
SILENCE_DBFS = -60.0
LEAD_SILENCE_S = 0.05
TRAIL_SILENCE_S = 1.0
TAIL_S = 0.01
TRUNCATED_TAIL_DB = -24.0  # a one-shot whose last 10 ms are this loud vs its peak is cut off
NOISE_FLOOR_DBFS = -60.0  # a one-shot should decay below this...
NOISE_STEADY_DB = 3.0  # ...unless its last quarter holds steady (hiss, hum)...
NOISE_BELOW_PEAK_DB = 30.0  # ...well under the content (a sustained pad is not noise)
MIN_SR = 44100


@dataclass(frozen=True)
class Quality:
    """``score`` is the product of the penalties; each reason names what was found."""

    score: float
    reasons: tuple[str, ...]


def _clipped_runs(y: np.ndarray) -> int:
    hot = np.abs(y) >= CLIP_LEVEL
    if not hot.any():
        return 0
    runs = 0
    for channel in np.atleast_2d(hot):
        edges = np.diff(np.concatenate([[0], channel.astype(np.int8), [0]]))
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        runs += int(np.count_nonzero(ends - starts >= CLIP_RUN))
    return runs


def assess(y: np.ndarray, *, sr: int, is_loop: bool) -> Quality:
    """Check clipping, DC offset, silence, truncated tail, noise floor, sample rate and stereo.

    Parameters
    ----------
    y : np.ndarray, shape (channels, n)
        Samples in -1..1.
    sr : int
        Sample rate (Hz).
    is_loop : bool
        Loops are not expected to decay, so tail and noise-floor checks apply to one-shots.
    """
    y = np.atleast_2d(y)
    reasons: list[str] = []
    penalty: list[float] = []

    def flag(reason: str, cost: float) -> None:
        reasons.append(reason)
        penalty.append(cost)

    runs = _clipped_runs(y)
    if runs:
        flag(f"clipping ({runs} runs at full scale)", min(0.5, 0.1 + 0.02 * runs))
    dc = float(np.abs(y.mean(axis=1)).max())
    if dc > DC_LIMIT:
        flag(f"DC offset {dc:.3f}", min(0.3, 5 * dc))

    mono = y.mean(axis=0)
    frame = max(1, sr // 100)
    levels = frame_rms_db(mono, frame=frame)
    audible = np.flatnonzero(levels > SILENCE_DBFS)
    if np.abs(y).max(initial=0.0) < 10 ** (SILENCE_DBFS / 20):
        flag(f"silent (peak below {SILENCE_DBFS:.0f} dBFS)", 1.0)
    if audible.size:
        lead = audible[0] * frame / sr
        trail = (levels.size - 1 - audible[-1]) * frame / sr
        if lead > LEAD_SILENCE_S:
            flag(f"leading silence {lead:.2f} s", min(0.3, 0.1 + lead / 10))
        if trail > TRAIL_SILENCE_S:
            flag(f"trailing silence {trail:.2f} s", min(0.2, 0.05 + trail / 50))
    if not is_loop and mono.size > 4 * frame:
        peak = float(np.abs(mono).max()) + 1e-12
        tail = mono[-max(1, int(TAIL_S * sr)) :]
        tail_db = 20 * np.log10(np.sqrt(np.mean(tail**2)) / peak + 1e-12)
        if tail_db > TRUNCATED_TAIL_DB:
            flag(f"truncated tail ({tail_db:.0f} dB below peak at the end)", 0.25)
        floor = float(levels.min())
        tail_levels = levels[-max(1, levels.size // 4) :]
        steady = float(tail_levels.max() - tail_levels.min()) < NOISE_STEADY_DB
        below_content = floor < 20 * np.log10(peak) - NOISE_BELOW_PEAK_DB
        if levels.size >= 50 and floor > NOISE_FLOOR_DBFS and steady and below_content:
            flag(f"noise floor {floor:.0f} dBFS", min(0.3, 0.1 + (floor - NOISE_FLOOR_DBFS) / 100))
    if sr < MIN_SR:
        flag(f"sample rate {sr} Hz below 44.1 kHz", 0.15)
    if y.shape[0] == 2:
        left, right = y
        energy = float(np.sum(left**2) + np.sum(right**2))
        if energy > 0:
            if np.array_equal(left, right):
                flag("stereo file with identical channels (dual mono)", 0.05)
            elif min(np.sum(left**2), np.sum(right**2)) < 1e-6 * energy:
                flag("stereo file with one silent channel", 0.3)
            else:
                corr = float(np.sum(left * right) / np.sqrt(np.sum(left**2) * np.sum(right**2)))
                if corr < -0.5:
                    flag(f"channels out of phase (correlation {corr:.2f})", 0.3)

    score = float(np.prod([1 - p for p in penalty])) if penalty else 1.0
    return Quality(round(score, 3), tuple(reasons))
