"""Tempo (BPM) of loops and onset counts, from the onset-strength envelope."""

from __future__ import annotations

import math

import numpy as np

MIN_BPM = 50.0
MAX_BPM = 220.0
PRIOR_BPM = 128.0  # techno's centre: the octave nearest it wins between 64, 128 and 256
PRIOR_OCTAVES = 0.45  # width of the log-normal tempo prior, in octaves
SNAP_TOLERANCE = 0.03  # a loop whose length is this close to whole beats is snapped to them
OFF_GRID = 0.6  # loops are cut to whole beats: a tempo that leaves a fraction is unlikely...
WHOLE_BARS = 1.15  # ...and whole 4/4 bars are likelier still


def autocorrelation(x: np.ndarray) -> np.ndarray:
    """Normalised autocorrelation of ``x`` (lag 0 == 1), computed by FFT."""
    x = x - x.mean()
    n = 1 << (2 * x.size - 1).bit_length()
    spectrum = np.fft.rfft(x, n)
    ac = np.fft.irfft(spectrum * np.conj(spectrum), n)[: x.size]
    return ac / ac[0] if ac[0] > 0 else np.zeros_like(ac)


def _at(ac: np.ndarray, lag: float) -> float:
    """``ac`` linearly interpolated at a fractional lag; 0 past its end."""
    i = int(lag)
    if i + 1 >= ac.size:
        return 0.0
    frac = lag - i
    return float((1 - frac) * ac[i] + frac * ac[i + 1])


def _prior(bpm: float) -> float:
    return math.exp(-0.5 * (math.log2(bpm / PRIOR_BPM) / PRIOR_OCTAVES) ** 2)


def estimate_bpm(
    envelope: np.ndarray, *, frame_rate: float, duration: float
) -> tuple[float | None, float]:
    """Tempo of a loop in BPM and a confidence in 0..1.

    Parameters
    ----------
    envelope : np.ndarray, shape (frames,)
        Onset strength.
    frame_rate : float
        Envelope frames per second.
    duration : float
        Loop length in seconds; a loop cut to whole beats fixes the tempo exactly, so a
        candidate within 3 % of ``60 * beats / duration`` is snapped to it.

    The confidence is the autocorrelation at one beat, two beats or one bar, whichever is
    highest: a syncopated percussion loop repeats by the bar, not by the beat.

    Candidates are the autocorrelation peaks and the whole-beat fits of the loop length; each
    is scored by the autocorrelation at its period and at twice its period, times a log-normal
    prior around 128 BPM that settles half/double-time ambiguity toward 120-150 BPM, times
    how well the loop length divides into whole beats and bars.
    """
    if envelope.size < 8 or not np.any(envelope > 0):
        return None, 0.0
    ac = autocorrelation(envelope)
    lo, hi = 60 * frame_rate / MAX_BPM, 60 * frame_rate / MIN_BPM
    candidates = set()
    lags = np.arange(max(1, int(lo)), min(ac.size - 1, int(hi) + 1))
    if lags.size:
        peaks = lags[(ac[lags] > ac[lags - 1]) & (ac[lags] >= ac[lags + 1])]
        for p in peaks:
            den = ac[p - 1] - 2 * ac[p] + ac[p + 1]
            shift = 0.5 * (ac[p - 1] - ac[p + 1]) / den if den < 0 else 0.0
            candidates.add(60 * frame_rate / (p + shift))
    beats_lo = math.ceil(duration * MIN_BPM / 60)
    beats_hi = math.floor(duration * MAX_BPM / 60)
    candidates.update(60 * n / duration for n in range(max(beats_lo, 1), beats_hi + 1))
    if not candidates:
        return None, 0.0

    def strength(bpm: float) -> float:
        lag = 60 * frame_rate / bpm
        beats = duration * bpm / 60
        whole = round(beats)
        fit = OFF_GRID if abs(beats - whole) > SNAP_TOLERANCE * beats or whole == 0 else 1.0
        fit *= WHOLE_BARS if whole and whole % 4 == 0 else 1.0
        return fit * (max(0.0, _at(ac, lag)) + 0.5 * max(0.0, _at(ac, 2 * lag)))

    best = max(candidates, key=lambda b: strength(b) * _prior(b))
    beats = round(duration * best / 60)
    if beats and abs(60 * beats / duration - best) / best < SNAP_TOLERANCE:
        best = 60 * beats / duration
    lag = 60 * frame_rate / best
    confidence = min(1.0, max(0.0, *(_at(ac, k * lag) for k in (1, 2, 4))))
    return round(best, 2), round(confidence, 3)


def onset_times(envelope: np.ndarray, *, frame_rate: float) -> np.ndarray:
    """Times (s) of onsets: local maxima of the envelope well above its median, >= 50 ms apart."""
    if envelope.size < 3:
        return np.zeros(0)
    median = float(np.median(envelope))
    spread = float(np.median(np.abs(envelope - median))) + 1e-9
    threshold = max(median + 4 * spread, 0.1 * float(envelope.max()))
    mid = envelope[1:-1]
    peaks = np.flatnonzero((mid > envelope[:-2]) & (mid >= envelope[2:]) & (mid > threshold)) + 1
    kept: list[int] = []
    gap = 0.05 * frame_rate
    for p in peaks:
        if not kept or p - kept[-1] >= gap:
            kept.append(int(p))
    return np.asarray(kept) / frame_rate
