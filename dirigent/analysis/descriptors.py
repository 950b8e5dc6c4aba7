"""Timbre descriptors: a fixed vector of interpretable numbers per sound (brightness, band
energies, attack, decay, pitch drop, noisiness, ...) plus a coarse log-mel spectrum.

They feed the category classifier and the concept space of the default embedding backend."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from dirigent.analysis.spectrum import Spectrogram, frame_rms_db
from dirigent.analysis.tempo import autocorrelation

DESCRIPTOR_VERSION = 5  # 5: measured at full scale, whatever the gain
BANDS_HZ = (60.0, 150.0, 400.0, 1500.0, 5000.0, 10000.0)  # edges of 7 bands
BAND_NAMES = ("sub", "bass", "lowmid", "mid", "highmid", "high", "air")
N_MEL = 20
MEL_MAX_HZ = 10000.0  # below Nyquist of 22.05 kHz files, common in older libraries
ATTACK_S = 0.05
INFRASONIC_HZ = 25.0
ENVELOPE_MS = (20, 50, 100, 200, 400, 800)  # where the level is read after the onset
FLOOR_DB = -80.0
SCALAR_NAMES = (
    "log_duration",  # log10 seconds
    "centroid",  # log2 Hz, energy-weighted over frames
    "rolloff",  # log2 Hz below which 85 % of the energy lies
    "bandwidth",  # log2 Hz
    "flatness",  # 0 tonal .. 1 noise
    *(f"band_{b}" for b in BAND_NAMES),  # share of energy per band
    "log_attack",  # log10 seconds from start to the loudest 10 ms frame
    "log_decay",  # log10 seconds from the peak until 20 dB below it
    "log_temporal_centroid",  # log10 seconds
    "crest_db",  # peak over RMS
    "zcr",  # zero crossings per sample
    "onset_rate",  # onsets per second
    "harmonicity",  # strongest normalised autocorrelation at 40..1000 Hz periods
    "pitch_drop",  # semitones the low spectral peak falls over the first 100 ms
    "flux",  # mean positive spectral change, normalised
    "centroid_slope",  # octaves the centroid moves from the first to the last third
    "level_slope",  # dB the level moves from the first to the last third
    "width",  # side / mid energy (0 mono)
    "tail_db",  # level of the last 10 ms below the loudest 10 ms (0: ends at full level)
    "dc",  # |mean| / RMS: 1 for a control signal (an LFO shape), ~0 for sound
    "infrasonic",  # share of power below 25 Hz (a slow control shape, a one-cycle table)
    *(f"level_{ms}ms" for ms in ENVELOPE_MS),  # dB under the peak, this long after the onset
    "log_rise",  # log10 seconds from the onset (-40 dB) to within 10 dB of the peak
    "sustain",  # share of the frames after the onset within 10 dB of the peak
    "timbre_motion",  # spread (octaves) of the centroid over the frames within 20 dB of the peak
)
NAMES = (
    *SCALAR_NAMES,
    *(f"mel_{i:02d}" for i in range(N_MEL)),  # log-mel shape of the whole sound
    *(f"attack_mel_{i:02d}" for i in range(N_MEL)),  # log-mel shape of the first 50 ms
)
SIZE = len(NAMES)
FRAME_S = 0.01


@lru_cache(maxsize=8)
def _mel_matrix(sr: int, n_bins: int) -> np.ndarray:
    """Triangular mel filters, shape (n_bins, N_MEL), for an rfft of ``2 * (n_bins - 1)``."""
    freqs = np.linspace(0, sr / 2, n_bins)
    top = min(MEL_MAX_HZ, sr / 2)
    mel = np.linspace(0, 2595 * np.log10(1 + top / 700), N_MEL + 2)
    hz = 700 * (10 ** (mel / 2595) - 1)
    weights = np.zeros((n_bins, N_MEL), dtype=np.float32)
    for i in range(N_MEL):
        lo, mid, hi = hz[i], hz[i + 1], hz[i + 2]
        rise = (freqs - lo) / (mid - lo)
        fall = (hi - freqs) / (hi - mid)
        weights[:, i] = np.clip(np.minimum(rise, fall), 0, None)
    return weights


def _harmonicity(segment: np.ndarray, *, sr: int) -> float:
    if segment.size < int(sr / 40) * 2:
        segment = np.pad(segment, (0, int(sr / 40) * 2 - segment.size))
    ac = autocorrelation(segment)
    lo, hi = int(sr / 1000), int(sr / 40)
    return float(np.clip(ac[lo:hi].max(), 0, 1))


def _infrasonic_share(mono: np.ndarray, *, sr: int) -> float:
    """Share of the (mean-removed) power below :data:`INFRASONIC_HZ`, from the first 2 s."""
    x = mono[: 2 * sr] - mono[: 2 * sr].mean()
    n = 1 << int(np.ceil(np.log2(max(x.size, sr // 5))))  # >= 5 Hz bins, a fast FFT size
    power = np.abs(np.fft.rfft(x, n=n)) ** 2
    cut = int(INFRASONIC_HZ * n / sr) + 1
    return float(power[1:cut].sum() / (power[1:].sum() + 1e-12))


def _low_peak_hz(mag_frame: np.ndarray, freqs: np.ndarray) -> float:
    band = (freqs >= 30) & (freqs <= 400)
    return float(freqs[band][np.argmax(mag_frame[band])])


def describe(
    y: np.ndarray, *, sr: int, spec: Spectrogram, onsets: int, duration: float
) -> np.ndarray:
    """Descriptor vector (float32, :data:`SIZE`) of a sound.

    Parameters
    ----------
    y : np.ndarray, shape (channels, n)
        The sound (or an excerpt of a long file).
    sr : int
        Sample rate (Hz).
    spec : Spectrogram
        Magnitude STFT of the mono mix of ``y`` (shared with the other analysers).
    onsets : int
        Onsets found in ``y``.
    duration : float
        Length of the whole file in seconds.
    """
    y = np.atleast_2d(y)
    mono = y.mean(axis=0)
    power = spec.mag.astype(np.float64) ** 2
    freqs = spec.freqs
    frame_energy = power.sum(axis=1)
    total = frame_energy.sum() + 1e-12
    weights = frame_energy / total
    spectrum = power.sum(axis=0) + 1e-12
    centroid_t = (power @ freqs) / (frame_energy + 1e-12)
    centroid = float(weights @ centroid_t) + 1.0
    cumulative = np.cumsum(spectrum) / spectrum.sum()
    rolloff = float(freqs[min(int(np.searchsorted(cumulative, 0.85)), freqs.size - 1)]) + 1.0
    spread = np.sqrt(np.maximum((power @ freqs**2) / (frame_energy + 1e-12) - centroid_t**2, 0))
    bandwidth = float(weights @ spread) + 1.0
    loud = frame_energy > 1e-6 * frame_energy.max() if frame_energy.max() > 0 else frame_energy > 0
    if loud.any():
        p = power[loud] + 1e-12
        flat = np.exp(np.log(p).mean(axis=1)) / p.mean(axis=1)
        flatness = float(np.average(flat, weights=frame_energy[loud]))
    else:
        flatness = 1.0
    edges = np.concatenate([[0], np.searchsorted(freqs, BANDS_HZ), [freqs.size]])
    bands = np.array([spectrum[a:b].sum() for a, b in zip(edges[:-1], edges[1:], strict=True)])
    bands /= spectrum.sum()

    env = frame_rms_db(mono, frame=max(1, int(FRAME_S * sr)))
    peak_i = int(np.argmax(env))
    after = np.flatnonzero(env[peak_i:] < env[peak_i] - 20)
    decay_frames = after[0] if after.size else env.size - peak_i
    lin = 10 ** (env / 20)
    times = (np.arange(env.size) + 0.5) * FRAME_S
    temporal_centroid = float((lin * times).sum() / (lin.sum() + 1e-12))
    peak = float(np.abs(mono).max()) + 1e-12
    rms = float(np.sqrt(np.mean(mono**2))) + 1e-12
    zcr = float(np.mean(np.abs(np.diff(np.signbit(mono).astype(np.int8))))) if mono.size > 1 else 0

    start = int(peak_i * FRAME_S * sr)
    harmonicity = _harmonicity(mono[start : start + int(0.2 * sr)], sr=sr)
    peak_frame = min(int(peak_i * FRAME_S * spec.frame_rate), spec.mag.shape[0] - 1)
    later = min(peak_frame + int(0.1 * spec.frame_rate), spec.mag.shape[0] - 1)
    f_start = _low_peak_hz(spec.mag[peak_frame], freqs)
    f_late = _low_peak_hz(spec.mag[later], freqs)
    pitch_drop = float(np.clip(12 * np.log2(f_start / f_late), 0, 36)) if later > peak_frame else 0

    logmag = np.log1p(spec.mag)
    flux = float(np.maximum(np.diff(logmag, axis=0), 0).mean()) if spec.mag.shape[0] > 1 else 0.0
    thirds = np.array_split(np.arange(spec.mag.shape[0]), 3)
    if all(t.size for t in thirds):
        c0 = float(np.average(centroid_t[thirds[0]], weights=frame_energy[thirds[0]] + 1e-12))
        c2 = float(np.average(centroid_t[thirds[2]], weights=frame_energy[thirds[2]] + 1e-12))
        centroid_slope = float(np.log2((c2 + 1) / (c0 + 1)))
        e0, e2 = (frame_energy[t].mean() + 1e-12 for t in (thirds[0], thirds[2]))
        level_slope = float(10 * np.log10(e2 / e0))
    else:
        centroid_slope = level_slope = 0.0
    if y.shape[0] == 2:
        mid_e = float(np.sum((y[0] + y[1]) ** 2)) + 1e-12
        width = float(np.sum((y[0] - y[1]) ** 2)) / mid_e
    else:
        width = 0.0

    filters = _mel_matrix(spec.sr, freqs.size)
    mel = np.log10(spectrum.astype(np.float32) @ filters + 1e-10)
    mel = mel - mel.mean()
    onset_frame = int(np.argmax(frame_energy > 0.1 * frame_energy.max())) if total > 1e-12 else 0
    attack_frames = power[onset_frame : onset_frame + max(1, int(ATTACK_S * spec.frame_rate))]
    attack = np.log10(attack_frames.sum(axis=0).astype(np.float32) @ filters + 1e-10)
    attack = attack - attack.mean()

    top = float(env.max())
    onset_i = int(np.argmax(env >= top - 40))
    levels = [
        float(env[i] - top) if (i := onset_i + round(ms / 1000 / FRAME_S)) < env.size else FLOOR_DB
        for ms in ENVELOPE_MS
    ]
    rise_frames = int(np.argmax(env[onset_i:] >= top - 10))
    sustain = float(np.mean(env[onset_i:] >= top - 10))
    frame_db = 10 * np.log10(frame_energy + 1e-20)
    steady = frame_db >= frame_db.max() - 20
    timbre_motion = float(np.std(np.log2(centroid_t[steady] + 1.0))) if steady.sum() > 1 else 0.0

    scalars = [
        np.log10(max(duration, 1e-3)),
        np.log2(centroid),
        np.log2(rolloff),
        np.log2(bandwidth),
        flatness,
        *bands,
        np.log10(max(peak_i * FRAME_S, FRAME_S / 2)),
        np.log10(max(decay_frames * FRAME_S, FRAME_S / 2)),
        np.log10(max(temporal_centroid, FRAME_S / 2)),
        20 * np.log10(peak / rms),
        zcr,
        onsets / max(duration, 1e-3),
        harmonicity,
        pitch_drop,
        flux,
        centroid_slope,
        float(np.clip(level_slope, -60, 60)),
        min(width, 4.0),
        float(np.clip(env[-1] - env[peak_i], -80, 0)),
        min(abs(float(mono.mean())) / rms, 1.0),
        _infrasonic_share(mono, sr=sr),
        *np.clip(levels, FLOOR_DB, 0),
        np.log10(max(rise_frames * FRAME_S, FRAME_S / 2)),
        sustain,
        timbre_motion,
    ]
    return np.concatenate(
        [np.asarray(scalars, dtype=np.float32), mel.astype(np.float32), attack.astype(np.float32)]
    )
