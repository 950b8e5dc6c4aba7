"""The embedding interface every backend implements, and the record it embeds stems from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class StemRecord:
    """What a backend may use to embed a catalogued stem (the file or its stored facts)."""

    stem_id: int
    path: Path
    descriptors: np.ndarray | None
    is_loop: bool
    category: str | None
    duration: float


class Embedder(Protocol):
    """Audio and text into one space of unit vectors, compared by cosine similarity."""

    name: str
    dim: int
    version: str  # what its vectors depend on besides the audio (weights, descriptors)

    def embed_audio(self, y: np.ndarray, *, sr: int) -> np.ndarray:
        """Unit vector (dim,) of audio ``y`` of shape ``(channels, n)`` or ``(n,)``."""
        ...

    def embed_text(self, prompt: str) -> np.ndarray:
        """Unit vector (dim,) of a text prompt."""
        ...

    def embed_texts(self, prompts: Sequence[str]) -> np.ndarray:
        """Unit vectors (n, dim) of several prompts."""
        ...

    def embed_stems(self, stems: Sequence[StemRecord]) -> np.ndarray:
        """Unit vectors (n, dim) of catalogued stems (a whole library at a time)."""
        ...

    def explain(self, query: np.ndarray, item: np.ndarray) -> str:
        """A few words on why ``item`` matched ``query`` ("" where the space is opaque)."""
        ...

    def unknown_words(self, prompt: str) -> list[str]:
        """The words of a prompt it does not read ([] where it reads any word)."""
        ...


def normalise(v: np.ndarray) -> np.ndarray:
    """Rows of ``v`` scaled to unit length (zero rows stay zero)."""
    v = np.asarray(v, dtype=np.float32)
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    return np.where(norm > 0, v / np.maximum(norm, 1e-12), v)
