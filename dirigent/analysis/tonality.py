"""Musical key of tonal material: chroma profile matched to Krumhansl-Kessler key profiles."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from dirigent.analysis.spectrum import Spectrogram

PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
# Krumhansl & Kessler (1982) probe-tone ratings, tonic first.
_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
_PROFILES = np.stack(
    [np.roll(_MAJOR, k) for k in range(12)] + [np.roll(_MINOR, k) for k in range(12)]
)
_PROFILES = (_PROFILES - _PROFILES.mean(axis=1, keepdims=True)) / _PROFILES.std(
    axis=1, keepdims=True
)
KEY_NAMES = tuple(PITCH_CLASSES) + tuple(f"{p}m" for p in PITCH_CLASSES)
MIN_HZ, MAX_HZ = 40.0, 4200.0
CHROMA_WINDOW_S = 0.37
MAX_FLATNESS = 0.2  # median spectral flatness above this is noise-like: no key
ROOT_NOTE_SHARE = 0.6  # one pitch class holding this share is a single note, not a key
MIN_CORRELATION = 0.5


def power_spectrum(y: np.ndarray, *, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean power spectrum of mono ``y`` over ~190 ms Hann windows: (freqs in Hz, power).

    Windows this long resolve semitones down to ~45 Hz, where bass notes live.
    """
    n_fft = 1 << max(10, int(np.ceil(np.log2(CHROMA_WINDOW_S * sr))))
    if y.size < n_fft:
        frames = np.pad(y, (0, n_fft - y.size))[None, :]
    else:
        frames = sliding_window_view(y, n_fft)[:: n_fft // 2]
    window = np.hanning(n_fft).astype(np.float32)
    power = (np.abs(np.fft.rfft(frames * window, axis=1)) ** 2).mean(axis=0)
    return np.fft.rfftfreq(n_fft, 1 / sr), power


def _pitch_classes(freqs: np.ndarray, power: np.ndarray) -> np.ndarray:
    """Energy per pitch class (12,), normalised to sum 1, of a power spectrum.

    Each bin between 40 Hz and 4.2 kHz counts for its nearest pitch class, weighted down the
    further it lies from that semitone's centre (A4 = 440 Hz) and by 1/f, so that the upper
    partials of a saw (whose third harmonic is the fifth) do not outvote the notes played.
    """
    band = (freqs >= MIN_HZ) & (freqs <= MAX_HZ)
    semitones = 12 * np.log2(freqs[band] / 440.0)
    nearest = np.round(semitones)
    weight = np.clip(1 - 2 * np.abs(semitones - nearest), 0, 1)
    pitch = (nearest.astype(int) + 9) % 12  # A is 9 when C is 0
    profile = np.bincount(pitch, weights=power[band] * weight / freqs[band], minlength=12)
    total = profile.sum()
    return profile / total if total > 0 else profile


def chroma(y: np.ndarray, *, sr: int) -> np.ndarray:
    """Energy per pitch class (12,) of mono ``y``, normalised to sum 1."""
    return _pitch_classes(*power_spectrum(y, sr=sr))


def spectral_flatness(spec: Spectrogram) -> float:
    """Median over audible frames of geometric / arithmetic mean power (0 tonal, 1 noise)."""
    power = spec.mag.astype(np.float64) ** 2 + 1e-12
    frame_power = power.sum(axis=1)
    power = power[frame_power > 1e-6 * frame_power.max()]
    if power.size == 0:
        return 1.0
    flat = np.exp(np.log(power).mean(axis=1)) / power.mean(axis=1)
    return float(np.median(flat))


def pitch_and_mode(key: str) -> tuple[int, bool] | None:
    """Pitch class (0 = C) and whether minor of a key name ("F#m" -> (6, True)); None for a
    name that is no key."""
    minor = key.endswith("m")
    root = key.removesuffix("m")
    if root not in PITCH_CLASSES:
        return None
    return PITCH_CLASSES.index(root), minor


def relative_key(key: str) -> str | None:
    """The key with the same notes in the other mode ("Am" -> "C", "A" -> "F#m"); None for a
    name that is no key."""
    parsed = pitch_and_mode(key)
    if parsed is None:
        return None
    pitch, minor = parsed
    return PITCH_CLASSES[(pitch + 3) % 12] if minor else f"{PITCH_CLASSES[(pitch + 9) % 12]}m"


def estimate_key(y: np.ndarray, *, sr: int, spec: Spectrogram) -> tuple[str | None, float]:
    """Key of mono ``y`` and the confidence of that answer (0..1).

    Tonal material with several pitch classes gets a key (``"Am"``, ``"F#m"``, ``"C"``) by
    correlation with the Krumhansl-Kessler profiles; a sound dominated by one pitch class (a
    tuned kick, a bass hit) gets its root note (``"F"``); noise-like sound (by the flatness
    of ``spec``, the short-time spectrum of ``y``) gets ``None``.
    """
    if spectral_flatness(spec) > MAX_FLATNESS:
        return None, 0.0
    profile = chroma(y, sr=sr)
    if not profile.any():
        return None, 0.0
    top = int(np.argmax(profile))
    if profile[top] >= ROOT_NOTE_SHARE:
        return PITCH_CLASSES[top], round(float(profile[top]), 3)
    z = (profile - profile.mean()) / (profile.std() + 1e-12)
    scores = _PROFILES @ z / 12
    best = int(np.argmax(scores))
    score = float(scores[best])
    return (KEY_NAMES[best] if score >= MIN_CORRELATION else None), round(score, 3)
