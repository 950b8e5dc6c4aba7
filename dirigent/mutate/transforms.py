"""The sound transforms: pure functions over ``(channels, n)`` float arrays with the sample rate
explicit. None modifies its input; each returns a new array (lengths may change where the
transform is about length: pitch as varispeed, stretch)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from dirigent.errors import ParameterError

FADE_S = 0.002  # edges of every cut, so no slice clicks
STRETCH_FFT = 2048
STRETCH_HOP = 512
FILTER_BLOCK = 2048  # samples between coefficient updates of a swept filter (46 ms)
ONSET_HOP = 256  # onset resolution of onset-aware slicing (6 ms): rises in frame energy
ENVELOPE_BLOCK = 32  # samples per step of the transient shaper's envelopes


def _fades(y: np.ndarray, *, sr: int, seconds: float = FADE_S) -> np.ndarray:
    """``y`` with short linear fades in and out (a copy)."""
    n = min(y.shape[-1] // 2, max(1, int(seconds * sr)))
    out = y.copy()
    ramp = np.linspace(0.0, 1.0, n, dtype=y.dtype)
    out[..., :n] *= ramp
    out[..., -n:] *= ramp[::-1]
    return out


def resample(y: np.ndarray, *, factor: float) -> np.ndarray:
    """``y`` with ``factor`` times as many samples (polyphase, anti-aliased); ``factor`` > 1
    plays it back slower and lower at the same rate."""
    from scipy.signal import resample_poly

    if not 0.05 <= factor <= 20:
        raise ParameterError(f"factor={factor} must be in 0.05..20")
    ratio = Fraction(factor).limit_denominator(512)
    return resample_poly(y, ratio.numerator, ratio.denominator, axis=-1).astype(y.dtype)


def pitch(y: np.ndarray, *, sr: int, semitones: float, length: int | None = None) -> np.ndarray:
    """Transpose by ``semitones`` as a sampler does (shorter when higher), then, when
    ``length`` is given, stretch to exactly that many samples (a loop keeps its length, or
    lands on the bars of a new tempo: one stretch for both)."""
    if not -24 <= semitones <= 24:
        raise ParameterError(f"semitones={semitones} must be in -24..24")
    shifted = resample(y, factor=2 ** (-semitones / 12)) if semitones else y.copy()
    if length is None or length == shifted.shape[-1]:
        return shifted
    return stretch(shifted, sr=sr, length=length)


def _wrap(phase: np.ndarray) -> np.ndarray:
    """``phase`` (float32 radians) moved into -pi..pi, in place."""
    phase -= np.float32(2 * np.pi) * np.rint(phase * np.float32(1 / (2 * np.pi)))
    return phase


def stretch(y: np.ndarray, *, sr: int, length: int) -> np.ndarray:
    """Time-stretch to exactly ``length`` samples, keeping the pitch: a phase vocoder whose
    per-bin frequency comes from a second analysis one sample later (no phase unwrapping)."""
    from scipy import fft

    if length < 1:
        raise ParameterError(f"length={length} must be >= 1")
    channels, n = y.shape
    if length == n:
        return y.copy()
    hop_in = STRETCH_HOP * n / length
    window = np.hanning(STRETCH_FFT).astype(np.float32)
    padded = np.pad(y.astype(np.float32), ((0, 0), (STRETCH_FFT, STRETCH_FFT + int(hop_in) + 2)))
    count = -(-(length + STRETCH_FFT) // STRETCH_HOP) + 3
    starts = np.minimum(
        (np.arange(count) * hop_in).astype(np.int64), padded.shape[-1] - STRETCH_FFT - 2
    )
    # each frame and the frame one sample later, from one gather of STRETCH_FFT + 1 samples
    frames = sliding_window_view(padded, STRETCH_FFT + 1, axis=-1)[:, starts]
    spec_a = fft.rfft(frames[..., :-1] * window, axis=-1, workers=-1)  # (channels, count, bins)
    spec_b = fft.rfft(frames[..., 1:] * window, axis=-1, workers=-1)
    # instantaneous frequency per bin from the later frame: radians per sample, times the hop;
    # summed wrapped, so the phase stays small: numpy's cos and sin take a slow path, ten times
    # slower, for float32 arguments beyond some 1e5 radians
    advance = np.angle(spec_b * np.conj(spec_a)) * np.float32(STRETCH_HOP)
    advance[:, 0] = np.angle(spec_a[:, 0])
    phase = _wrap(np.cumsum(_wrap(advance), axis=1))
    magnitude = np.abs(spec_a)
    spec = np.empty_like(spec_a)
    spec.real, spec.imag = magnitude * np.cos(phase), magnitude * np.sin(phase)
    grains = fft.irfft(spec, n=STRETCH_FFT, axis=-1, workers=-1)
    # overlap-add: the hop is a quarter frame, so four shifted block sums rebuild the signal,
    # each quarter windowed as it is added
    quarters = grains.reshape(channels, count, 4, STRETCH_HOP)
    window_quarters = window.reshape(4, STRETCH_HOP)
    out = np.zeros((channels, count + 3, STRETCH_HOP), dtype=np.float32)
    for q in range(4):
        out[:, q : q + count] += quarters[:, :, q] * window_quarters[q]
    norm = float((window**2).sum()) / STRETCH_HOP
    flat = out.reshape(channels, -1)[:, STRETCH_FFT : STRETCH_FFT + length] / norm
    return flat.astype(y.dtype)


def reverse(y: np.ndarray, *, sr: int) -> np.ndarray:
    """Backwards, with short fades so the new start and end do not click."""
    return _fades(y[..., ::-1], sr=sr)


def beat_grid(n: int, *, sr: int, bpm: float, division: int = 4) -> np.ndarray:
    """Sample positions of a grid of ``division`` steps per beat over ``n`` samples."""
    if not 20 <= bpm <= 999:
        raise ParameterError(f"bpm={bpm} must be in 20..999")
    step = 60.0 / bpm / division * sr
    return np.round(np.arange(0, n, step)).astype(np.int64)


def snap_to_onsets(grid: np.ndarray, y: np.ndarray, *, sr: int, tolerance_s: float) -> np.ndarray:
    """Grid positions moved to the strongest onset within ``tolerance_s`` (onset-aware
    slicing: a cut lands just before a hit, not in its middle)."""
    frames = y.shape[-1] // ONSET_HOP
    energy = np.einsum(
        "cfn,cfn->f", *[y[:, : frames * ONSET_HOP].reshape(y.shape[0], frames, -1)] * 2
    )
    level = np.log10(energy + 1e-9)
    strength = np.concatenate([[0.0], np.maximum(np.diff(level), 0.0)])  # rises in level
    floor = 2 * np.median(strength) + 1e-9 if strength.size else 0.0
    out = grid.copy()
    radius = tolerance_s * sr
    for i, g in enumerate(grid[1:], 1):
        first = max(0, int(np.ceil((g - radius) / ONSET_HOP)))
        near = strength[first : int(np.floor((g + radius) / ONSET_HOP)) + 1]
        if near.size and near.max() > floor:
            out[i] = max(out[i - 1] + 1, (first + int(np.argmax(near))) * ONSET_HOP)
    return out


def slices(y: np.ndarray, edges: np.ndarray, *, sr: int) -> list[np.ndarray]:
    """The pieces between ``edges`` (the last runs to the end), each with short fades."""
    bounds = list(edges) + [y.shape[-1]]
    return [
        _fades(y[..., a:b], sr=sr) for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a
    ]


def shuffle(
    y: np.ndarray, *, sr: int, bpm: float, amount: float, rng: np.random.Generator
) -> np.ndarray:
    """Cut on the 16th-note grid (snapped to onsets) and swap ``amount`` of the pieces
    around; the length is kept."""
    grid = snap_to_onsets(beat_grid(y.shape[-1], sr=sr, bpm=bpm), y, sr=sr, tolerance_s=0.012)
    pieces = slices(y, grid, sr=sr)
    order = np.arange(len(pieces))
    moved = rng.permutation(len(pieces))[: int(round(amount * len(pieces)))]
    order[np.sort(moved)] = order[moved]
    out = np.zeros_like(y)
    at = 0
    for slot, i in enumerate(order):
        width = pieces[slot].shape[-1]  # each slot keeps its length: the groove stays put
        piece = pieces[i][..., :width]
        out[..., at : at + piece.shape[-1]] = piece
        at += width
    return out


def stutter(
    y: np.ndarray, *, sr: int, bpm: float, amount: float, rng: np.random.Generator
) -> np.ndarray:
    """On ``amount`` of the 16th-note steps, repeat the step's first 32nd or 64th note
    through the step (the classic roll)."""
    grid = beat_grid(y.shape[-1], sr=sr, bpm=bpm)
    out = y.copy()
    bounds = list(grid) + [y.shape[-1]]
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        if b - a < 8 or rng.random() >= amount:
            continue
        size = max(4, (b - a) // int(rng.choice([2, 4])))
        grain = _fades(y[..., a : a + size], sr=sr, seconds=0.001)
        reps = int(np.ceil((b - a) / size))
        out[..., a:b] = np.tile(grain, reps)[..., : b - a]
    return out


def _biquad(kind: str, hz: float, q: float, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """RBJ cookbook low- or high-pass: (b, a), ``a[0] == 1``."""
    w = 2 * np.pi * min(hz, 0.45 * sr) / sr
    alpha = np.sin(w) / (2 * q)
    cos = np.cos(w)
    if kind == "lowpass":
        b = np.array([(1 - cos) / 2, 1 - cos, (1 - cos) / 2])
    else:
        b = np.array([(1 + cos) / 2, -(1 + cos), (1 + cos) / 2])
    a = np.array([1 + alpha, -2 * cos, 1 - alpha])
    return b / a[0], a / a[0]


def filter_sweep(
    y: np.ndarray, *, sr: int, kind: str, start_hz: float, end_hz: float, q: float
) -> np.ndarray:
    """A low- or high-pass whose cutoff glides (log) from ``start_hz`` to ``end_hz`` over the
    sound, resonance ``q`` (0.7 flat .. 10 singing); state carries across updates."""
    from scipy.signal import lfilter

    if kind not in ("lowpass", "highpass"):
        raise ParameterError(f"kind={kind!r} must be lowpass or highpass")
    if not (20 <= start_hz <= 22000 and 20 <= end_hz <= 22000):
        raise ParameterError(f"cutoffs {start_hz}..{end_hz} Hz must be in 20..22000")
    if not 0.5 <= q <= 20:
        raise ParameterError(f"q={q} must be in 0.5..20")
    n = y.shape[-1]
    blocks = max(1, int(np.ceil(n / FILTER_BLOCK)))
    cutoffs = np.geomspace(start_hz, end_hz, blocks)
    out = np.empty_like(y)
    zi = np.zeros((y.shape[0], 2))
    for i, hz in enumerate(cutoffs):
        start, end = i * FILTER_BLOCK, min(n, (i + 1) * FILTER_BLOCK)
        b, a = _biquad(kind, float(hz), q, sr)
        out[..., start:end], zi = lfilter(b, a, y[..., start:end], axis=-1, zi=zi)
    return out


def drive(y: np.ndarray, *, amount: float) -> np.ndarray:
    """Saturation: tanh of up to 30x gain, level-compensated (amount 0 is clean)."""
    if not 0 <= amount <= 1:
        raise ParameterError(f"amount={amount} must be in 0..1")
    if amount == 0:
        return y.copy()
    gain = 1 + 29 * amount**2
    peak = float(np.abs(y).max()) or 1.0
    shaped = y * (gain / peak)
    np.tanh(shaped, out=shaped)
    shaped *= peak / np.tanh(gain)
    return shaped


def crush(y: np.ndarray, *, bits: float, hold: int) -> np.ndarray:
    """Bit reduction to ``bits`` (4..24) and sample-and-hold decimation by ``hold`` samples."""
    if not 2 <= bits <= 24:
        raise ParameterError(f"bits={bits} must be in 2..24")
    if not 1 <= hold <= 64:
        raise ParameterError(f"hold={hold} must be in 1..64")
    levels = 2 ** (bits - 1)
    if hold > 1:
        out = np.repeat(y[..., ::hold] * levels, hold, axis=-1)[..., : y.shape[-1]]
    else:
        out = y * levels
    np.round(out, out=out)
    out /= levels
    return np.ascontiguousarray(out)


def gate(
    y: np.ndarray, *, sr: int, bpm: float, pattern: np.ndarray, ramp_s: float = 0.003
) -> np.ndarray:
    """Multiply by a 16th-note on/off ``pattern`` (repeating), with ramps between steps."""
    from scipy.ndimage import uniform_filter1d

    grid = beat_grid(y.shape[-1], sr=sr, bpm=bpm)
    lengths = np.diff(np.append(grid, y.shape[-1]))
    on = pattern[np.arange(grid.size) % pattern.size].astype(np.float32)
    gain = np.repeat(on, lengths)
    smooth = uniform_filter1d(gain, size=max(1, int(ramp_s * sr)), mode="nearest")
    return (y * smooth).astype(y.dtype, copy=False)


def block_peaks(y: np.ndarray, *, block: int) -> np.ndarray:
    """Peak magnitude over all channels of ``y`` (channels, n) in each run of ``block``
    samples (the last run may be shorter)."""
    n = y.shape[-1]
    blocks = -(-n // block)
    level = np.pad(np.abs(y).max(axis=0), (0, blocks * block - n)).reshape(blocks, block)
    out = level[:, 0].copy()
    for i in range(1, block):  # column by column: numpy is slow at short inner-axis reductions
        np.maximum(out, level[:, i], out=out)
    return out


def block_ramps(steps: np.ndarray, *, block: int, n: int) -> np.ndarray:
    """``n`` samples from one value per run of ``block`` samples (``block`` even): straight
    lines between the runs' centres, flat before the first centre and after the last. Within
    a run the value stays between the run's own and a neighbour's."""
    padded = np.concatenate([steps[:1], steps, steps[-1:]])
    w = ((np.arange(block) + 0.5) / block).astype(steps.dtype)
    lines = padded[:-1, None] * (1 - w) + padded[1:, None] * w  # centre of run i-1 to run i
    return lines.reshape(-1)[block // 2 : block // 2 + n]


def _envelope(x: np.ndarray, *, sr: float, release_s: float) -> np.ndarray:
    """Peak envelope: instant attack, exponential release (vectorised in blocks)."""
    from scipy.signal import lfilter

    coeff = np.exp(-1.0 / (release_s * sr))
    smoothed = lfilter([1 - coeff], [1, -coeff], np.abs(x))
    return np.maximum(smoothed, np.abs(x) * (1 - coeff))


def transient(y: np.ndarray, *, sr: int, amount: float) -> np.ndarray:
    """Transient shaper: ``amount`` > 0 sharpens attacks (punch), < 0 softens them (-1..1)."""
    if not -1 <= amount <= 1:
        raise ParameterError(f"amount={amount} must be in -1..1")
    if amount == 0:
        return y.copy()
    peaks = block_peaks(y, block=ENVELOPE_BLOCK)  # 0.7 ms steps at 44.1 kHz
    rate = sr / ENVELOPE_BLOCK
    fast = _envelope(peaks, sr=rate, release_s=0.005) + 1e-6
    slow = _envelope(peaks, sr=rate, release_s=0.08) + 1e-6
    gain = np.clip((fast / slow) ** (2 * amount), 0.25, 4.0).astype(y.dtype)
    return y * block_ramps(gain, block=ENVELOPE_BLOCK, n=y.shape[-1])


def layer(y: np.ndarray, other: np.ndarray, *, mix: float) -> np.ndarray:
    """``y`` with ``other`` mixed in at ``mix`` (0..1), looped or cut to ``y``'s length and
    matched to its channels and peak."""
    if not 0 <= mix <= 1:
        raise ParameterError(f"mix={mix} must be in 0..1")
    other = np.atleast_2d(other)
    if other.shape[0] != y.shape[0]:
        other = np.repeat(other.mean(axis=0, keepdims=True), y.shape[0], axis=0)
    if other.shape[-1] < y.shape[-1]:
        other = np.tile(other, -(-y.shape[-1] // max(1, other.shape[-1])))
    other = other[..., : y.shape[-1]]
    scale = (float(np.abs(y).max()) or 1.0) / (float(np.abs(other).max()) or 1.0)
    out = y * np.float32(1 - mix)
    out += other * np.float32(mix * scale)
    return out.astype(y.dtype, copy=False)
