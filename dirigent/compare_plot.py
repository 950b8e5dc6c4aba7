"""Before and after: the waveform and spectrogram of a stem and of its mutation, side by side
(extra ``map``: matplotlib)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dirigent.analysis.spectrum import spectrogram


def draw_before_after(
    before: np.ndarray, after: np.ndarray, *, sr: int, out: Path, title: str = ""
) -> Path:
    """Write a PNG: waveforms on top, log-magnitude spectrograms below (0..sr/2 Hz)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(12, 6), sharex="col")
    for col, (name, y) in enumerate((("before", before), ("after", after))):
        mono = np.atleast_2d(y).mean(axis=0)
        t = np.arange(mono.size) / sr
        axes[0, col].plot(t, mono, linewidth=0.4, color="#333")
        axes[0, col].set_title(name)
        axes[0, col].set_ylim(-1, 1)
        spec = spectrogram(mono, sr=sr)
        db = 20 * np.log10(spec.mag.T + 1e-6)
        axes[1, col].imshow(
            db,
            origin="lower",
            aspect="auto",
            extent=(0, mono.size / sr, 0, sr / 2),
            vmin=db.max() - 90,
            vmax=db.max(),
            cmap="magma",
        )
        axes[1, col].set_xlabel("seconds")
    axes[0, 0].set_ylabel("amplitude")
    axes[1, 0].set_ylabel("Hz")
    fig.suptitle(title)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out
