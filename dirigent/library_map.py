"""The library as a 2-D map (principal components of the vectors), coloured by category: the
"stem explorer" view. Needs matplotlib (extra ``map``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from dirigent.errors import DirigentError, ParameterError


def project(vectors: np.ndarray) -> np.ndarray:
    """First two principal components of ``vectors`` (n, d) -> (n, 2)."""
    centred = vectors - vectors.mean(axis=0)
    if centred.shape[0] < 2:
        return np.zeros((centred.shape[0], 2))
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return centred @ vt[:2].T


def draw(
    vectors: np.ndarray,
    categories: Sequence[str | None],
    out: Path,
    title: str = "Dirigent library map",
) -> Path:
    """Scatter the projected vectors, one colour per category with a legend; write a PNG (or
    the format ``out``'s suffix names: SVG, PDF, ...)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.backend_bases import FigureCanvasBase
    except ImportError as e:
        raise DirigentError("the map needs matplotlib: pip install 'dirigent[map]'") from e
    formats = FigureCanvasBase.get_supported_filetypes()  # what savefig writes, by suffix
    if out.suffix and out.suffix[1:].lower() not in formats:
        raise ParameterError(
            f"cannot draw a map as {out.suffix!r}: name a file ending in one of "
            + ", ".join(f".{f}" for f in sorted(formats))
        )
    points = project(vectors)
    labels = [c or "unknown" for c in categories]
    fig, ax = plt.subplots(figsize=(9, 7), dpi=110)
    palette = plt.get_cmap("tab20")
    for n, name in enumerate(sorted(set(labels))):
        mask = np.array([lb == name for lb in labels])
        ax.scatter(
            points[mask, 0],
            points[mask, 1],
            s=18,
            alpha=0.8,
            color=palette(n % 20),
            label=f"{name} ({int(mask.sum())})",
        )
    ax.set_title(f"{title}: {len(labels)} stems")
    ax.set_xlabel("component 1")
    ax.set_ylabel("component 2")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False, fontsize=8)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out
