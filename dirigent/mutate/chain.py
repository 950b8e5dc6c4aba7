"""A mutation: (source stem, parameters in 0..1, seed) rendered by a fixed chain of
transforms, then finished (loudness matched, true-peak limited, loops made seamless). The
same mutation of the same audio at the same tempo renders the same samples."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from dirigent.analysis.loudness import integrated_loudness, loudness_of_energy, weighted_energy
from dirigent.errors import ParameterError
from dirigent.mutate import transforms as tf

CEILING_DBTP = -0.3  # true peak of every render
SEAM_S = 0.005  # loops: the last 5 ms lead back into the first sample
MAX_OVERS_DB = 6.0  # at most this much lower limiting for inter-sample peaks
MATCH_LU = 0.8  # loudness within this of the source ends the matching (the promise: 1 LU)
LIMIT_HOLDS_S = (0.05, 0.02, 0.01, 0.005, 0.002, 0.0005)  # gentlest first
LIMIT_BLOCK = 16  # samples per gain step of the limiter (0.36 ms at 44.1 kHz)
LIMIT_MARGIN = 10 ** (-0.2 / 20)  # sample peaks held 0.2 dB under the ceiling: room for overs
TP_BLOCK = 32  # true peak: samples per block checked
TP_UP = 4  # true peak: oversampling
TP_REACH = 10  # true peak: input samples the upsampling filter reaches on each side
TP_CHUNK = 16384  # true peak: samples upsampled per matrix product (bounded memory)
TP_RANGE_DB = 3.0  # only samples this close to the sample peak can hide a true-peak over


MAX_SEED = 2**63 - 1  # the catalog keeps a render's seed as a BIGINT


@dataclass(frozen=True)
class Param:
    """One knob: its neutral value and what it does across 0..1."""

    neutral: float
    meaning: str


PARAMS: dict[str, Param] = {
    "pitch": Param(0.5, "transpose -12..+12 semitones (0.5: none); loops keep their length"),
    "stretch": Param(0.0, "on (>= 0.5): a loop is stretched to the session tempo, whole bars"),
    "reverse": Param(0.0, "on (>= 0.5): backwards"),
    "slice": Param(0.0, "share of 16th-note slices (cut at onsets) swapped around"),
    "stutter": Param(0.0, "share of 16th steps that roll their first 32nd or 64th"),
    "filter": Param(0.5, "sweep to a low-pass (below 0.5, darker toward 0) or high-pass (above)"),
    "resonance": Param(0.2, "filter resonance, Q 0.7..9.7"),
    "drive": Param(0.0, "saturation"),
    "crush": Param(0.0, "bit reduction (16 -> 4 bits) and sample-and-hold"),
    "gate": Param(0.0, "share of 16th steps a seeded gate pattern mutes"),
    "transient": Param(0.5, "attack: softer below 0.5, punchier above"),
    "layer": Param(0.0, "mix of the layered stem"),
}


@dataclass(frozen=True)
class Mutation:
    """What a render is made of; stored with the rendered stem so it re-renders identically."""

    stem_id: int
    params: tuple[tuple[str, float], ...]  # the parameters off neutral, sorted by name
    seed: int
    tempo: float  # session tempo (BPM) the render was made for
    layer_stem: int | None = None

    @classmethod
    def of(
        cls,
        stem_id: int,
        params: Mapping[str, float],
        *,
        seed: int,
        tempo: float,
        layer_stem: int | None = None,
    ) -> Mutation:
        """A checked mutation: known names, finite values in 0..1, a whole seed in
        0..:data:`MAX_SEED` (OSC sends it as a float)."""
        return cls(
            stem_id, check(params), whole_number("seed", seed, high=MAX_SEED), tempo, layer_stem
        )

    def value(self, name: str) -> float:
        """A parameter's value (neutral when not set)."""
        return dict(self.params).get(name, PARAMS[name].neutral)

    def describe(self) -> str:
        """A short name for files and logs: ``pitch+3_rev_drive40_s7``."""
        parts = []
        for name, value in self.params:
            if name == "pitch":
                parts.append(f"pitch{semitones(value):+d}")
            elif name in ("stretch", "reverse"):
                parts.append({"stretch": f"{self.tempo:g}bpm", "reverse": "rev"}[name])
            else:
                parts.append(f"{name}{round(100 * value)}")
        return "_".join([*parts, f"s{self.seed}"])


def check(params: Mapping[str, float]) -> tuple[tuple[str, float], ...]:
    """Parameters validated (names from :data:`PARAMS`, finite values in 0..1) and reduced to
    those off neutral, sorted."""
    out = []
    for name, value in params.items():
        if name not in PARAMS:
            raise ParameterError(f"unknown parameter {name!r} (known: {', '.join(PARAMS)})")
        value = float(value)
        if not (math.isfinite(value) and 0.0 <= value <= 1.0):
            raise ParameterError(f"{name}={value} must be in 0..1")
        if name in ("stretch", "reverse"):
            value = 1.0 if value >= 0.5 else 0.0
        if value != PARAMS[name].neutral:
            out.append((name, round(value, 4)))
    return tuple(sorted(out))


def whole_number(name: str, value: object, *, high: int) -> int:
    """``value`` as a whole number in 0..``high`` (OSC sends numbers as floats); a clear error
    that names ``name`` otherwise."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)  # numpy's too
        or not math.isfinite(value)
        or value != int(value)
        or not 0 <= value <= high
    ):
        raise ParameterError(f"{name}={value!r} must be a whole number in 0..{high}")
    return int(value)


def semitones(value: float) -> int:
    """The pitch knob in semitones."""
    return int(round((value - 0.5) * 24))


def render(
    y: np.ndarray,
    *,
    sr: int,
    mutation: Mutation,
    source_bpm: float | None,
    is_loop: bool,
    layer: np.ndarray | None = None,
    match_loudness: bool = True,
    source_lufs: float | None = None,
) -> np.ndarray:
    """Render ``mutation`` of ``y`` (shape ``(channels, n)``); the grid is the source's tempo
    (the session's once stretched to it). The loudness is matched to ``source_lufs`` (the
    catalog's measure of the source) or, when not given, to a measure of ``y``."""
    y = np.atleast_2d(np.asarray(y, dtype=np.float32))
    if y.shape[-1] == 0:
        raise ParameterError("the source has no samples")
    source = y
    rng = np.random.default_rng(mutation.seed)
    value = mutation.value
    bpm = source_bpm or mutation.tempo
    if layer is not None and value("layer") > 0:
        y = tf.layer(y, np.asarray(layer, dtype=np.float32), mix=value("layer"))
    length = y.shape[-1] if is_loop else None  # loops keep their length (or bars): one stretch
    if value("stretch") and is_loop and source_bpm:
        length = bar_length(y.shape[-1], sr=sr, bpm=source_bpm, tempo=mutation.tempo)
        bpm = mutation.tempo
    if semitones(value("pitch")) or (length is not None and length != y.shape[-1]):
        y = tf.pitch(y, sr=sr, semitones=semitones(value("pitch")), length=length)
    if value("slice"):
        y = tf.shuffle(y, sr=sr, bpm=bpm, amount=value("slice"), rng=rng)
    if value("stutter"):
        y = tf.stutter(y, sr=sr, bpm=bpm, amount=value("stutter"), rng=rng)
    if value("reverse"):
        y = tf.reverse(y, sr=sr)
    if value("gate"):
        pattern = rng.random(16) >= value("gate") * 0.8
        pattern[0] = True
        y = tf.gate(y, sr=sr, bpm=bpm, pattern=pattern)
    f = value("filter")
    q = 0.7 + 9 * value("resonance")
    if f < 0.49:
        y = tf.filter_sweep(
            y, sr=sr, kind="lowpass", start_hz=20000, end_hz=max(40.0, 20000 * (f / 0.49) ** 3), q=q
        )
    elif f > 0.51:
        y = tf.filter_sweep(
            y, sr=sr, kind="highpass", start_hz=20, end_hz=20 * 400 ** ((f - 0.51) / 0.49), q=q
        )
    if value("drive"):
        y = tf.drive(y, amount=value("drive"))
    if value("crush"):
        c = value("crush")
        y = tf.crush(y, bits=16 - 12 * c, hold=1 + int(round(15 * c**2)))
    if value("transient") != 0.5:
        y = tf.transient(y, sr=sr, amount=(value("transient") - 0.5) * 2)
    target = None
    if match_loudness:
        target = source_lufs if source_lufs is not None else integrated_loudness(source, sr=sr)
    return finish(y, sr=sr, target_lufs=target, is_loop=is_loop)


def bar_length(n: int, *, sr: int, bpm: float, tempo: float) -> int:
    """Samples of the whole number of bars (4/4) nearest to ``n`` samples at ``bpm``, at
    ``tempo``."""
    bars = max(1, round(n / sr * bpm / 60 / 4))
    return int(round(bars * 4 * 60 / tempo * sr))


@lru_cache(maxsize=1)
def _upsampling_taps() -> np.ndarray:
    """``(2 * TP_REACH + 1, TP_UP)``: the signal upsampled :data:`TP_UP` times at sample
    ``k + p / TP_UP`` is ``x[k - TP_REACH : k + TP_REACH + 1] @ taps[:, p]``. The filter is
    scipy's ``resample_poly`` one, so the readings are the ones it gives."""
    from scipy.signal import firwin

    half = TP_REACH * TP_UP
    h = firwin(2 * half + 1, 1.0 / TP_UP, window=("kaiser", 5.0)) * TP_UP
    taps = np.zeros((2 * TP_REACH + 1, TP_UP), dtype=np.float32)
    for p in range(TP_UP):
        for d in range(-TP_REACH, TP_REACH + 1):
            if 0 <= p + half - TP_UP * d <= 2 * half:
                taps[d + TP_REACH, p] = h[p + half - TP_UP * d]
    return taps


def true_peak(y: np.ndarray) -> float:
    """Peak of ``y`` upsampled 4x (the inter-sample peaks a DAC makes), linear. Only the blocks
    of :data:`TP_BLOCK` samples within :data:`TP_RANGE_DB` of the sample peak, and one block
    either side of them, are upsampled."""
    y = np.atleast_2d(y)
    if not y.size:
        return 0.0
    peaks = tf.block_peaks(y, block=TP_BLOCK)
    top = float(peaks.max())
    if top == 0:
        return 0.0
    hot = peaks >= top * 10 ** (-TP_RANGE_DB / 20)
    hot = hot | np.concatenate([[False], hot[:-1]]) | np.concatenate([hot[1:], [False]])
    edges = np.flatnonzero(np.diff(np.concatenate([[0], hot.astype(np.int8), [0]]))) * TP_BLOCK
    gap = np.zeros((y.shape[0], TP_BLOCK), dtype=np.float32)  # >= TP_REACH: pieces stay apart
    joined = np.concatenate(
        [gap, *(p for a, b in zip(edges[::2], edges[1::2], strict=True) for p in (y[:, a:b], gap))],
        axis=1,
    )
    taps = _upsampling_taps()
    # phase 0 is the sample itself, scaled; the other phases reach TP_REACH - 1 samples back
    between = taps[1:, 1:].T  # (phases 1.., taps)
    width = between.shape[1]
    peak = top * float(taps[TP_REACH, 0])
    stop = joined.shape[-1] - width + 1  # past the last window's start
    for start in range(1, stop, TP_CHUNK):
        m = min(TP_CHUNK, stop - start)
        shifted = np.stack([joined[:, start + d : start + d + m] for d in range(width)], axis=1)
        peak = max(peak, float(np.abs(between @ shifted).max()))
    return peak


def limiter_gain(
    y: np.ndarray, *, sr: int, ceiling_db: float = CEILING_DBTP, hold_s: float = 0.05
) -> np.ndarray:
    """Per-sample gain of a look-ahead peak limiter: it dips smoothly 1.5 ms ahead of each peak
    and holds for ``hold_s`` before it rises, so nothing is clipped; a last static trim catches
    the inter-sample peaks (measured 4x oversampled)."""
    gain, trim = _limiter(y, sr=sr, ceiling_db=ceiling_db, hold_s=hold_s, overs_db=0.0)
    return gain * trim


def _limiter(
    y: np.ndarray, *, sr: int, ceiling_db: float, hold_s: float, overs_db: float
) -> tuple[np.ndarray, float]:
    """(gain holding the sample peaks ``overs_db`` under the ceiling, static trim <= 1 that the
    inter-sample peaks still need)."""
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    ceiling = 10 ** (ceiling_db / 20)
    n = y.shape[-1]
    peaks = tf.block_peaks(y, block=LIMIT_BLOCK)
    room = ceiling * LIMIT_MARGIN * 10 ** (-overs_db / 20)
    need = np.minimum(1.0, room / np.maximum(peaks, 1e-12))
    gain = np.ones(n, dtype=np.float32)
    if need.min() < 1.0:
        ahead = max(1, int(0.0015 * sr / LIMIT_BLOCK))
        hold = max(1, int(hold_s * sr / LIMIT_BLOCK))
        floor = minimum_filter1d(need, size=2 * ahead + 1)  # reaches its floor 1.5 ms early
        held = minimum_filter1d(floor, size=hold, origin=(hold - 1) // 2)  # and holds after
        smooth = np.minimum(uniform_filter1d(held, size=ahead), floor).astype(np.float32)
        # per sample: straight lines between block centres; within a block the gain stays
        # between its own and a neighbour's, whose floor already covers this block's peaks
        gain = tf.block_ramps(smooth, block=LIMIT_BLOCK, n=n)
    peak = true_peak(y * gain)
    return gain, (ceiling / peak if peak > ceiling else 1.0)


def limit(
    y: np.ndarray, *, sr: int, ceiling_db: float = CEILING_DBTP, hold_s: float = 0.05
) -> np.ndarray:
    """``y`` through the limiter of :func:`limiter_gain`."""
    return y * limiter_gain(y, sr=sr, ceiling_db=ceiling_db, hold_s=hold_s)


def seam(y: np.ndarray, *, sr: int) -> np.ndarray:
    """A loop whose last samples glide to its first: no step at the wrap (a linear bridge
    over :data:`SEAM_S`, at most the size of the step)."""
    n = min(y.shape[-1], max(2, int(SEAM_S * sr)))
    step = y[:, :1] - y[:, -1:]
    out = y.copy()
    out[:, -n:] += step * np.linspace(0, 1, n + 1)[1:] * (n / (n + 1))
    return out


def _match(
    y: np.ndarray, energy: np.ndarray, *, sr: int, target: float, level: float
) -> np.ndarray:
    """Gain to the target loudness, then limit; where the limiter takes the loudness back,
    again, with the gentlest hold that gets within :data:`MATCH_LU` (shorter ones only where
    needed)."""
    total: np.ndarray = np.ones(y.shape[-1], dtype=np.float32)
    before_hold: float | None = None
    # how far the inter-sample peaks rise over the sample peaks: limit that much lower. The
    # source's own overs are the first guess (a crushed or driven sound has large ones), so
    # one pass of the limiter mostly does.
    top = float(np.abs(y).max())
    overs_db = min(MAX_OVERS_DB, 20 * np.log10(true_peak(y) / top)) if top > 0 else 0.0
    for hold_s in LIMIT_HOLDS_S:
        for _ in range(3):
            short = target - level
            static = np.float32(10 ** (np.clip(short, -40, 24) / 20))
            y = y * static
            gain, trim = _limiter(
                y, sr=sr, ceiling_db=CEILING_DBTP, hold_s=hold_s, overs_db=overs_db
            )
            gain = gain * np.float32(trim)
            overs_db = min(MAX_OVERS_DB, overs_db - 20 * np.log10(trim))
            y, total = y * gain, total * (static * gain)
            measured = loudness_of_energy(energy * total.astype(np.float64) ** 2, sr=sr)
            if measured is None:
                return y
            level = measured
            if abs(level - target) <= MATCH_LU or abs(short) - abs(target - level) < 0.1:
                break  # matched, or this hold gains no more: a faster one
        if abs(level - target) <= MATCH_LU:
            break
        if before_hold is not None and level - before_hold < 0.1:
            break  # faster holds do not help: inter-sample peaks, not the limiter, set the level
        before_hold = level
    return y


def finish(y: np.ndarray, *, sr: int, target_lufs: float | None, is_loop: bool) -> np.ndarray:
    """Safe output: finite, at ``target_lufs`` (within 1 LU where the ceiling allows; None:
    left as it is), true peak at most :data:`CEILING_DBTP`, loops seamless; float32."""
    if not np.isfinite(y).all():
        y = np.nan_to_num(y, nan=0.0, posinf=0.0, neginf=0.0)
    if is_loop:
        y = seam(y, sr=sr)
    target = target_lufs
    energy = weighted_energy(y, sr=sr)  # loudness after gains: energy * gain**2, no refiltering
    level = loudness_of_energy(energy, sr=sr)
    if target is None or level is None:  # nothing to match (asked not to, or silence)
        y = y * limiter_gain(y, sr=sr)
    else:
        y = _match(y, energy, sr=sr, target=target, level=level)
    if is_loop:
        y = seam(y, sr=sr)
        edge = int(SEAM_S * sr) + 2 * TP_BLOCK  # only the seam changed since the limiter
        peak = true_peak(np.concatenate([y[:, -edge:], y[:, : 2 * TP_BLOCK]], axis=1))
        ceiling = 10 ** (CEILING_DBTP / 20)
        if peak > ceiling:
            y = y * (ceiling / peak)
    return y.astype(np.float32, copy=False)
