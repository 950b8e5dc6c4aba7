"""Analysis of one stem: levels, loudness, one-shot vs loop, BPM, key and quality."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from dirigent.analysis import descriptors
from dirigent.analysis.loudness import LoudnessMeter, to_db
from dirigent.analysis.quality import assess
from dirigent.analysis.spectrum import onset_strength, spectrogram, to_mono
from dirigent.analysis.tempo import estimate_bpm, onset_times
from dirigent.analysis.tonality import estimate_key

# 2: one-shots without a pitch (hats, claps, shakers, rides) get no key; onsets, tempo, key
# and descriptors are taken at full scale, whatever the gain; 3: a silent file scores 0; 4: heard
# at ANALYSIS_SR whatever the file's rate, a one-shot's descriptors without the silence around it
# and without a DC offset
ANALYSIS_VERSION = 4
MIN_LOOP_S = 1.0
MIN_LOOP_ONSETS = 4
MIN_LOOP_CONFIDENCE = 0.3
MIN_KEY_S = 0.1
# A one-shot whose periodicity after the peak stays below this is unpitched: any key its
# spectrum suggests is an accident of the noise's colour.
MIN_ONE_SHOT_HARMONICITY = 0.2
_HARMONICITY = descriptors.NAMES.index("harmonicity")
SUSTAIN_DB = -20.0  # a loop is still playing at its end; a one-shot has decayed
# Every sound is heard at this rate: the same sound in a 48 or 96 kHz file gets the onsets, the
# descriptors and so the category it gets at 44.1 kHz (spectra and frames count samples).
ANALYSIS_SR = 44100
# Kaiser window of the rate converter: ~100 dB stopband, so a hi-hat's content above 22 kHz
# does not alias into the near-empty low bands that the log-mel shape reads.
RESAMPLE_KAISER_BETA = 10.0
# A one-shot's 10 ms windows this far under its loudest are silence around it (a pack's padding
# to a fixed length, an export's lead-in), not part of the sound.
SILENCE_DB = -80.0


@dataclass(frozen=True)
class Analysis:
    """Facts about one stem's audio. Levels in dBFS, loudness in LUFS, times in seconds."""

    duration: float
    peak_dbfs: float | None
    rms_dbfs: float | None
    loudness_lufs: float | None
    is_loop: bool
    onsets: int
    bpm: float | None
    bpm_confidence: float
    key: str | None
    key_confidence: float
    quality: float
    quality_reasons: tuple[str, ...]
    descriptors: np.ndarray  # see dirigent.analysis.descriptors.NAMES


@dataclass(frozen=True)
class Levels:
    """Sample peak, RMS and integrated loudness."""

    peak_dbfs: float | None
    rms_dbfs: float | None
    loudness_lufs: float | None


def measure_levels(blocks: Iterable[np.ndarray], *, sr: int, channels: int) -> Levels:
    """Levels over ``(channels, n)`` blocks, so any length is measured in bounded memory."""
    meter = LoudnessMeter(sr=sr, channels=channels)
    peak, squares, n = 0.0, 0.0, 0
    for block in blocks:
        b = block.astype(np.float64, copy=False)
        peak = max(peak, float(np.abs(b).max(initial=0.0)))
        squares += float(np.einsum("cn,cn->", b, b))
        n += b.size
        meter.process(b)
    rms = (squares / n) ** 0.5 if n else 0.0
    return Levels(_round(to_db(peak)), _round(to_db(rms)), _round(meter.integrated()))


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def _sustained(mono: np.ndarray, *, sr: int) -> bool:
    """True when the last tenth still holds energy within 20 dB of the loudest tenth."""
    tenths = np.array_split(mono, 10)
    energy = np.array([float(np.var(t)) if t.size else 0.0 for t in tenths])  # an offset holds none
    if energy.max() <= 0:
        return False
    return bool(10 * np.log10(energy[-1] / energy.max() + 1e-12) > SUSTAIN_DB)


def at_analysis_rate(y: np.ndarray, *, sr: int) -> np.ndarray:
    """``(channels, n)`` audio at ``sr`` converted to :data:`ANALYSIS_SR` (polyphase)."""
    from scipy.signal import resample_poly  # as the loudness meter's filter, on first use

    ratio = Fraction(ANALYSIS_SR, sr).limit_denominator(1000)
    window = ("kaiser", RESAMPLE_KAISER_BETA)
    return resample_poly(
        y, ratio.numerator, ratio.denominator, axis=-1, window=window, padtype="edge"
    )


def sounding(y: np.ndarray, *, sr: int) -> np.ndarray:
    """A one-shot as it sounds: the silence before and after it cut off, and the DC offset that
    silence sits at (where there is 10 ms of it) taken out, so that neither a file's padding nor
    an old sampler's offset changes what it is heard as.

    The sound spans the 10 ms windows within :data:`SILENCE_DB` of the loudest (each window's
    level taken about its own mean, so that an offset does not make silence sound; one window
    per sample, so wherever a file's frames would fall), from its first to its last sample
    that strays that far from the silence's level."""
    window = int(descriptors.FRAME_S * sr)
    mono = to_mono(y).astype(np.float64)
    held = np.pad(mono, window - 1, mode="edge")
    sums = np.cumsum(np.concatenate([[0.0], held]))
    squares = np.cumsum(np.concatenate([[0.0], held**2]))
    mean = (sums[window:] - sums[:-window]) / window
    power = (squares[window:] - squares[:-window]) / window - mean**2  # window k ends at sample k
    # what the running sums leave of a constant: nothing varies below it
    rounding = 1e-10 * float(np.abs(mono).max(initial=0.0)) ** 2
    if power.max() <= rounding:
        return y
    floor = max(power.max() * 10 ** (SILENCE_DB / 10), rounding)
    loud = np.flatnonzero(power >= floor)
    start, end = max(loud[0] - window + 1, 0), min(loud[-1] + 1, mono.size)
    silence = np.concatenate([y[:, :start], y[:, end:]], axis=1)
    offset = np.median(silence, axis=1) if silence.shape[1] >= window else np.zeros(y.shape[0])
    strays = np.flatnonzero(np.abs(mono[start:end] - offset.mean()) >= np.sqrt(floor))
    if strays.size:
        start, end = start + strays[0], start + strays[-1] + 1
    return y[:, start:end] - offset[:, None]


def _one_shot_descriptors(y: np.ndarray, *, sr: int) -> np.ndarray:
    """Descriptors of a one-shot as it sounds (:func:`sounding`, found at the file's own rate,
    where its padding is exact), heard at :data:`ANALYSIS_SR`."""
    sound = sounding(y, sr=sr)
    if sr != ANALYSIS_SR:
        sound, sr = at_analysis_rate(sound, sr=sr), ANALYSIS_SR
    spec = spectrogram(to_mono(sound), sr=sr)
    onsets = int(onset_times(onset_strength(spec), frame_rate=spec.frame_rate).size)
    return descriptors.describe(
        sound, sr=sr, spec=spec, onsets=onsets, duration=sound.shape[1] / sr
    )


@dataclass(frozen=True)
class Music:
    """What the analysers hear beyond levels."""

    is_loop: bool
    onsets: int
    bpm: float | None
    bpm_confidence: float
    key: str | None
    key_confidence: float
    descriptors: np.ndarray


def analyse_music(y: np.ndarray, *, sr: int, duration: float, loop_hint: bool) -> Music:
    """One-shot vs loop, onset count, BPM (loops only), key and timbre descriptors, from
    ``(channels, n)`` audio.

    ``duration`` is the whole file's length (``y`` may be an excerpt of it); ``loop_hint``
    is what the path says ("Loops/...", "_loop_").
    """
    peak = float(np.abs(y).max(initial=0.0))
    if peak > 0:  # what a sound is does not depend on its gain (onsets and flux would)
        y = y / peak
    file_y, file_sr = y, sr
    if sr != ANALYSIS_SR:
        y, sr = at_analysis_rate(y, sr=sr), ANALYSIS_SR
    mono = to_mono(y)
    spec = spectrogram(mono, sr=sr)
    envelope = onset_strength(spec)
    onsets = int(onset_times(envelope, frame_rate=spec.frame_rate).size)
    bpm, confidence = estimate_bpm(envelope, frame_rate=spec.frame_rate, duration=duration)
    is_loop = loop_hint or (
        duration >= MIN_LOOP_S
        and onsets >= MIN_LOOP_ONSETS
        and confidence >= MIN_LOOP_CONFIDENCE
        and _sustained(mono, sr=sr)
    )
    if is_loop:  # a loop's bars are its length: a break at its end is part of it
        vector = descriptors.describe(y, sr=sr, spec=spec, onsets=onsets, duration=duration)
    else:
        bpm, confidence = None, 0.0
        vector = _one_shot_descriptors(file_y, sr=file_sr)
    pitched = is_loop or vector[_HARMONICITY] >= MIN_ONE_SHOT_HARMONICITY
    key, key_confidence = (
        estimate_key(mono, sr=sr, spec=spec) if duration >= MIN_KEY_S and pitched else (None, 0.0)
    )
    return Music(is_loop, onsets, bpm, confidence, key, key_confidence, vector)


def analyse(y: np.ndarray, *, sr: int, loop_hint: bool = False) -> Analysis:
    """Analyse a whole stem held in memory.

    Parameters
    ----------
    y : np.ndarray, shape (channels, n)
        Finite samples in -1..1 (float32 or float64); not modified.
    sr : int
        Sample rate (Hz).
    loop_hint : bool
        The path names the file a loop.
    """
    y = np.atleast_2d(y)
    duration = y.shape[1] / sr
    levels = measure_levels([y], sr=sr, channels=y.shape[0])
    music = analyse_music(y, sr=sr, duration=duration, loop_hint=loop_hint)
    quality = assess(y, sr=sr, is_loop=music.is_loop)
    return _combine(duration, levels, music, quality.score, quality.reasons)


def analyse_long(
    blocks: Iterable[np.ndarray],
    excerpt: np.ndarray,
    *,
    sr: int,
    channels: int,
    duration: float,
    loop_hint: bool = False,
) -> Analysis:
    """Analyse a file too long to hold: levels over all ``blocks``, the rest on ``excerpt``."""
    levels = measure_levels(blocks, sr=sr, channels=channels)
    music = analyse_music(excerpt, sr=sr, duration=excerpt.shape[1] / sr, loop_hint=loop_hint)
    quality = assess(excerpt, sr=sr, is_loop=True)
    reasons = (*quality.reasons, "long file: quality checked on an excerpt")
    return _combine(duration, levels, music, quality.score, reasons)


def _combine(
    duration: float, levels: Levels, music: Music, quality: float, reasons: tuple[str, ...]
) -> Analysis:
    return Analysis(
        round(duration, 4),
        levels.peak_dbfs,
        levels.rms_dbfs,
        levels.loudness_lufs,
        music.is_loop,
        music.onsets,
        music.bpm,
        music.bpm_confidence,
        music.key,
        music.key_confidence,
        quality,
        reasons,
        music.descriptors,
    )
