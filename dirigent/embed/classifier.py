"""Sound category from timbre descriptors: random forests evaluated in plain numpy.

Trained by ``scripts/train_category_model.py`` (scikit-learn, training time only) on material
that script fetches (Debian's drum kits, SoundFonts and sonic-pi-samples) and on synthesised
sounds; their trees are stored as flat arrays in ``models/category_model.npz``. The model is two
forests over the same classes: a classifier that decides what a sound is, and detectors, one
set of trees per class telling that class from all the others, that rank sounds by a category
(trees grown for one class rank it better than trees that split among all of them)."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dirigent.errors import DirigentError
from dirigent.npfile import read_npz

DEFAULT_MODEL = Path(__file__).resolve().parents[2] / "models" / "category_model.npz"
BATCH_CELLS = 2048 * 800  # samples x trees walked at once: some tens of MB
STEPS = 3  # levels walked between drops of the paths at a leaf
PARTS = ("classifier", "detectors")  # the forests of a model file, each under its own prefix


@dataclass(frozen=True)
class Forest:
    """Trees as flat node arrays; ``roots[t]`` is the first node of tree ``t``.

    A node with ``left == -1`` is a leaf; otherwise a sample goes left when
    ``x[feature[node]] <= threshold[node]``. Without ``detects``, a leaf holds a distribution
    over the classes (``value`` is ``(nodes, classes)``) and the forest's probabilities are their
    mean over the trees. With it, tree ``t`` tells class ``detects[t]`` from all others, a leaf
    holds that class's probability (``value`` is ``(nodes, 1)``), and each class's probability is
    the mean over its own trees. ``value`` may be float16 (as a model file stores it, and as
    :func:`load` keeps it: half the memory); it is summed in float32, where float16 is exact.
    """

    roots: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    classes: tuple[str, ...]
    descriptor_version: int
    detects: np.ndarray | None = None
    # what :meth:`leaves` walks, made from ``left`` and ``right`` (:meth:`__post_init__`)
    _child: np.ndarray = field(init=False, repr=False, compare=False)
    _inner: np.ndarray = field(init=False, repr=False, compare=False)

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities, shape ``(n, len(classes))``, of descriptors ``(n, d)``."""
        x = np.atleast_2d(np.asarray(x, dtype=np.float32))
        out = np.empty((x.shape[0], len(self.classes)), dtype=np.float32)
        if self.detects is not None:
            shares = np.eye(len(self.classes), dtype=np.float32)[self.detects]
            shares /= np.maximum(shares.sum(axis=0), 1)  # (trees, classes): mean over its trees
        batch = max(1, BATCH_CELLS // self.roots.size)
        for start in range(0, x.shape[0], batch):
            node = self.leaves(x[start : start + batch])
            if self.detects is None:
                out[start : start + batch] = self.value[node].mean(axis=0, dtype=np.float32)
            else:
                out[start : start + batch] = (
                    shares.T @ self.value[node, 0].astype(np.float32, copy=False)
                ).T
        return out

    def leaves(self, x: np.ndarray) -> np.ndarray:
        """The leaf each of ``x``'s rows reaches in each tree, ``(trees, n)``.

        The paths are laid out tree by tree, so that consecutive steps read one tree's nodes
        (few, in cache), not a node of every tree in turn; a step reads both children as one
        array; the paths already at a leaf (which leads to itself) are dropped every
        :data:`STEPS` steps: 1.5 (the detectors' shallow trees) to 2 times (the classifier's)
        faster than a row-major walk that drops them at every step."""
        child, inner, feature = self._child, self._inner, self.feature
        n, d = x.shape
        flat = np.ascontiguousarray(x, dtype=np.float32).ravel()
        node = np.repeat(self.roots, n)
        offset = np.tile(np.arange(n, dtype=np.int32) * d, self.roots.size)
        walking = np.flatnonzero(inner[node])
        while walking.size:
            at, row = node[walking], offset[walking]
            for _ in range(STEPS):  # right where not x <= threshold (a NaN goes right)
                at = child[2 * at + ~(flat[row + feature[at]] <= self.threshold[at])]
            node[walking] = at
            walking = walking[inner[at]]
        return node.reshape(self.roots.size, n)

    def __post_init__(self) -> None:
        """What :meth:`leaves` walks, made with the forest (its memory taken once, at load):
        each node's children, left then right (a leaf's both itself), and which nodes are not
        leaves."""
        own = np.arange(self.left.size, dtype=np.int32)
        inner = self.left >= 0
        left, right = np.where(inner, self.left, own), np.where(inner, self.right, own)
        child = np.stack([left, right], axis=1).astype(np.int32, copy=False).ravel()
        object.__setattr__(self, "_child", child)
        object.__setattr__(self, "_inner", inner)

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """The arrays :func:`load` reads back, named ``prefix_...``."""
        arrays = {
            "roots": self.roots,
            "feature": self.feature,
            "threshold": self.threshold,
            "left": self.left,
            "right": self.right,
            "value": self.value.astype(np.float16),
            "classes": np.array(self.classes),
            "descriptor_version": np.array(self.descriptor_version),
        }
        if self.detects is not None:
            arrays["detects"] = self.detects
        return {f"{prefix}_{key}": a for key, a in arrays.items()}


@dataclass(frozen=True)
class CategoryModel:
    """What the listen backend hears: ``classifier`` decides a sound's category,
    ``detectors`` rank sounds by one; both over the same classes and descriptors."""

    classifier: Forest
    detectors: Forest
    digest: str = ""  # of the file it was loaded from: vectors made by other trees are stale

    def __post_init__(self) -> None:
        if (self.classifier.classes, self.classifier.descriptor_version) != (
            self.detectors.classes,
            self.detectors.descriptor_version,
        ):
            raise DirigentError("the classifier and the detectors know different classes")

    @property
    def classes(self) -> tuple[str, ...]:
        return self.classifier.classes

    @property
    def descriptor_version(self) -> int:
        return self.classifier.descriptor_version

    def save(self, path: Path) -> None:
        """Write both forests as one compressed ``.npz``."""
        np.savez_compressed(
            path, **self.classifier.arrays(PARTS[0]), **self.detectors.arrays(PARTS[1])
        )


@dataclass(frozen=True)
class ModelFile:
    """What a model file holds, but its trees: enough to name the vectors it makes (20 ms,
    against 140 to 230 ms to read the trees)."""

    digest: str
    classes: tuple[str, ...]
    descriptor_version: int


def _read(path: Path, names: Collection[str] | None = None) -> tuple[str, dict[str, np.ndarray]]:
    """(digest, arrays) of a model file: all its arrays, or those of ``names``; a clear error
    names a missing or old file."""
    if not path.is_file():
        raise DirigentError(
            f"category model {path} is missing: run `python scripts/train_category_model.py`"
        )
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    z = read_npz(path, names)
    if f"{PARTS[1]}_roots" not in z:
        raise DirigentError(
            f"category model {path} has no detectors (an older format): retrain it with "
            "`python scripts/train_category_model.py`"
        )
    return digest, z


def identify(path: Path = DEFAULT_MODEL) -> ModelFile:
    """Read a model file's digest, classes and descriptor version; a clear error names a
    missing or old file."""
    names = (f"{PARTS[1]}_roots", f"{PARTS[0]}_classes", f"{PARTS[0]}_descriptor_version")
    digest, z = _read(path, names)
    classes = tuple(str(c) for c in z[f"{PARTS[0]}_classes"])
    return ModelFile(digest, classes, int(z[f"{PARTS[0]}_descriptor_version"]))


def load(path: Path = DEFAULT_MODEL) -> CategoryModel:
    """Load what :meth:`CategoryModel.save` wrote; a clear error names a missing or old file."""
    digest, z = _read(path)
    classifier, detectors = (
        Forest(
            z[f"{part}_roots"],
            z[f"{part}_feature"],
            z[f"{part}_threshold"],
            z[f"{part}_left"],
            z[f"{part}_right"],
            z[f"{part}_value"],
            tuple(str(c) for c in z[f"{part}_classes"]),
            int(z[f"{part}_descriptor_version"]),
            z[f"{part}_detects"] if f"{part}_detects" in z else None,
        )
        for part in PARTS
    )
    return CategoryModel(classifier, detectors, digest)
