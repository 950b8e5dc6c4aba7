"""Short-time spectra shared by the analysers: framing, magnitude STFT, onset strength."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

N_FFT = 2048
HOP = 512


@dataclass(frozen=True)
class Spectrogram:
    """Magnitude STFT of a mono signal: ``mag`` has shape ``(frames, N_FFT // 2 + 1)``."""

    mag: np.ndarray
    sr: int
    hop: int

    @property
    def frame_rate(self) -> float:
        """Frames per second."""
        return self.sr / self.hop

    @property
    def freqs(self) -> np.ndarray:
        """Centre frequency of each bin (Hz)."""
        return np.fft.rfftfreq(2 * (self.mag.shape[1] - 1), 1 / self.sr)


def to_mono(y: np.ndarray) -> np.ndarray:
    """Average of the channels of ``y`` (shape ``(channels, n)`` or ``(n,)``)."""
    return y if y.ndim == 1 else y.mean(axis=0)


def frame_rms_db(x: np.ndarray, *, frame: int) -> np.ndarray:
    """RMS level (dBFS) of consecutive ``frame``-sample frames of mono ``x``; a partial last
    frame is dropped, a signal shorter than one frame is one frame."""
    n = x.size // frame * frame
    if n == 0:
        return np.array([20 * np.log10(np.sqrt(np.mean(x**2)) + 1e-12)])
    rms = np.sqrt((x[:n].reshape(-1, frame) ** 2).mean(axis=1))
    return 20 * np.log10(rms + 1e-12)


def spectrogram(y: np.ndarray, *, sr: int, n_fft: int = N_FFT, hop: int = HOP) -> Spectrogram:
    """Hann-windowed magnitude STFT of mono ``y``; short signals are zero-padded to one frame."""
    if y.size < n_fft:
        y = np.pad(y, (0, n_fft - y.size))
    frames = sliding_window_view(y.astype(np.float32, copy=False), n_fft)[::hop]
    window = np.hanning(n_fft).astype(np.float32)
    return Spectrogram(np.abs(np.fft.rfft(frames * window, axis=1)), sr, hop)


def onset_strength(spec: Spectrogram) -> np.ndarray:
    """Spectral flux of the log-magnitude spectrum, one value per frame (>= 0)."""
    logmag = np.log1p(100.0 * spec.mag)
    flux = np.maximum(np.diff(logmag, axis=0), 0.0).mean(axis=1)
    return np.concatenate([[0.0], flux])
