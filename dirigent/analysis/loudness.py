"""Level measures: sample peak, RMS and integrated loudness after ITU-R BS.1770-4 (LUFS)."""

from __future__ import annotations

import math

import numpy as np

from dirigent.errors import ParameterError

ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
STEP_S = 0.1  # gating blocks of 400 ms overlap by 75 %, so they advance in 100 ms steps
BLOCK_STEPS = 4

# K-weighting as two biquads defined by their analogue prototypes (BS.1770, pre-filter and
# RLB high-pass), so the filter holds at any sample rate, not only at 48 kHz.
_SHELF_GAIN_DB = 3.99984385397
_SHELF_Q = 0.7071752369554193
_SHELF_HZ = 1681.974450955533
_SHELF_VB_EXPONENT = 0.4996667741545416
_HIGHPASS_Q = 0.5003270373253953
_HIGHPASS_HZ = 38.13547087613982


def k_weighting_sos(sr: int) -> np.ndarray:
    """Second-order sections of the K-weighting filter at sample rate ``sr`` (Hz)."""
    if sr < 8000:
        raise ParameterError(f"sr={sr} must be >= 8000 Hz for K-weighting")
    k = math.tan(math.pi * _SHELF_HZ / sr)
    vh = 10 ** (_SHELF_GAIN_DB / 20)
    vb = vh**_SHELF_VB_EXPONENT
    a0 = 1 + k / _SHELF_Q + k * k
    shelf = [
        (vh + vb * k / _SHELF_Q + k * k) / a0,
        2 * (k * k - vh) / a0,
        (vh - vb * k / _SHELF_Q + k * k) / a0,
        1.0,
        2 * (k * k - 1) / a0,
        (1 - k / _SHELF_Q + k * k) / a0,
    ]
    k = math.tan(math.pi * _HIGHPASS_HZ / sr)
    a0 = 1 + k / _HIGHPASS_Q + k * k
    highpass = [1.0, -2.0, 1.0, 1.0, 2 * (k * k - 1) / a0, (1 - k / _HIGHPASS_Q + k * k) / a0]
    return np.array([shelf, highpass])


class LoudnessMeter:
    """Integrated loudness of a signal fed block by block (a 1-hour file never sits in memory).

    Feed ``(channels, n)`` blocks to :meth:`process`, read :meth:`integrated` at the end.
    """

    def __init__(self, *, sr: int, channels: int) -> None:
        if channels not in (1, 2):
            raise ParameterError(f"channels={channels} must be 1 or 2")
        self.sr = sr
        self._sos = k_weighting_sos(sr)
        self._zi = np.zeros((self._sos.shape[0], channels, 2))
        self._step = max(1, round(STEP_S * sr))
        self._pending = np.zeros(0)
        self._steps: list[np.ndarray] = []
        self._total_energy = 0.0
        self._total_n = 0

    def process(self, y: np.ndarray) -> None:
        """Add a block of shape ``(channels, n)``."""
        from scipy.signal import sosfilt  # imported on first use: the daemon never meters

        filtered, self._zi = sosfilt(self._sos, y, axis=-1, zi=self._zi)
        energy = np.einsum("cn,cn->n", filtered, filtered)
        self._total_energy += float(energy.sum())
        self._total_n += energy.size
        energy = np.concatenate([self._pending, energy])
        whole = energy.size // self._step * self._step
        if whole:
            self._steps.append(energy[:whole].reshape(-1, self._step).sum(axis=1))
        self._pending = energy[whole:]

    def integrated(self) -> float | None:
        """Gated integrated loudness in LUFS; ``None`` for digital silence.

        A signal shorter than one 400 ms gating block is measured as a single block over its
        whole length, so one-shots get a comparable value.
        """
        steps = np.concatenate(self._steps) if self._steps else np.zeros(0)
        return _gated(steps, self._step, self._total_energy, self._total_n)


def _gated(steps: np.ndarray, step: int, total_energy: float, total_n: int) -> float | None:
    """BS.1770 gating over 100 ms step energies (400 ms blocks, absolute and relative gate)."""
    if steps.size < BLOCK_STEPS:
        if total_n == 0 or total_energy <= 0:
            return None
        return _lufs(total_energy / total_n)
    window = np.convolve(steps, np.ones(BLOCK_STEPS), mode="valid")
    z = window / (BLOCK_STEPS * step)
    with np.errstate(divide="ignore"):
        levels = -0.691 + 10 * np.log10(z)
    z = z[levels > ABSOLUTE_GATE_LUFS]
    if z.size == 0:
        return None
    gate = _lufs(float(z.mean())) + RELATIVE_GATE_LU
    with np.errstate(divide="ignore"):
        z = z[-0.691 + 10 * np.log10(z) > gate]
    return _lufs(float(z.mean()))


def weighted_energy(y: np.ndarray, *, sr: int) -> np.ndarray:
    """K-weighted energy per sample, summed over the channels of ``y`` (channels, n): what
    :func:`loudness_of_energy` measures; a gain ``g`` on ``y`` scales it by ``g**2``."""
    from scipy.signal import sosfilt

    filtered = sosfilt(k_weighting_sos(sr), np.atleast_2d(y), axis=-1)
    return np.einsum("cn,cn->n", filtered, filtered)


def loudness_of_energy(energy: np.ndarray, *, sr: int) -> float | None:
    """Integrated loudness (LUFS) from :func:`weighted_energy` (gain changes need no refilter)."""
    step = max(1, round(STEP_S * sr))
    whole = energy.size // step * step
    steps = energy[:whole].reshape(-1, step).sum(axis=1) if whole else np.zeros(0)
    return _gated(steps, step, float(energy.sum()), int(energy.size))


def _lufs(mean_square: float) -> float:
    return -0.691 + 10 * math.log10(mean_square)


def integrated_loudness(y: np.ndarray, *, sr: int) -> float | None:
    """Integrated loudness (LUFS) of ``y``, shape ``(channels, n)`` or ``(n,)``."""
    y = np.atleast_2d(y)
    meter = LoudnessMeter(sr=sr, channels=y.shape[0])
    meter.process(y)
    return meter.integrated()


def to_db(amplitude: float) -> float | None:
    """Amplitude ratio in dB (dBFS for full scale 1.0); ``None`` for zero."""
    return 20 * math.log10(amplitude) if amplitude > 0 else None
