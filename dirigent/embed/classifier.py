"""Sound category from timbre descriptors: a random forest evaluated in plain numpy.

Trained by ``scripts/train_category_model.py`` (scikit-learn, training time only) on material
that script fetches (Debian's drum kits, SoundFonts and sonic-pi-samples) and on synthesised
sounds; its trees are stored as flat arrays in ``models/category_model.npz``."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dirigent.errors import DirigentError

DEFAULT_MODEL = Path(__file__).resolve().parents[2] / "models" / "category_model.npz"
BATCH = 2048


@dataclass(frozen=True)
class Forest:
    """Trees as flat node arrays; ``roots[t]`` is the first node of tree ``t``.

    A node with ``left == -1`` is a leaf whose class distribution is ``value[node]``;
    otherwise a sample goes left when ``x[feature[node]] <= threshold[node]``.
    """

    roots: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    classes: tuple[str, ...]
    descriptor_version: int
    digest: str = ""  # of the file it was loaded from: vectors made by other trees are stale

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities, shape ``(n, len(classes))``, of descriptors ``(n, d)``."""
        x = np.atleast_2d(np.asarray(x, dtype=np.float32))
        out = np.empty((x.shape[0], len(self.classes)), dtype=np.float32)
        for start in range(0, x.shape[0], BATCH):
            chunk = x[start : start + BATCH]
            rows = np.arange(chunk.shape[0])[:, None]
            node = np.broadcast_to(self.roots, (chunk.shape[0], self.roots.size)).copy()
            while True:
                inner = self.left[node] >= 0
                if not inner.any():
                    break
                go_left = chunk[rows, self.feature[node]] <= self.threshold[node]
                step = np.where(go_left, self.left[node], self.right[node])
                node = np.where(inner, step, node)
            out[start : start + BATCH] = self.value[node].mean(axis=1)
        return out

    def save(self, path: Path) -> None:
        """Write the trees as a compressed ``.npz``."""
        np.savez_compressed(
            path,
            roots=self.roots,
            feature=self.feature,
            threshold=self.threshold,
            left=self.left,
            right=self.right,
            value=self.value.astype(np.float16),
            classes=np.array(self.classes),
            descriptor_version=np.array(self.descriptor_version),
        )


def load(path: Path = DEFAULT_MODEL) -> Forest:
    """Load trees written by :meth:`Forest.save`; a clear error names a missing file."""
    if not path.is_file():
        raise DirigentError(
            f"category model {path} is missing: run `python scripts/train_category_model.py`"
        )
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    with np.load(path) as z:
        return Forest(
            z["roots"],
            z["feature"],
            z["threshold"],
            z["left"],
            z["right"],
            z["value"].astype(np.float32),
            tuple(str(c) for c in z["classes"]),
            int(z["descriptor_version"]),
            digest,
        )
