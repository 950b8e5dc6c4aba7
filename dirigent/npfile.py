"""Reading numpy's ``.npy`` and ``.npz`` files safely from any thread.

numpy parses every array's header with :func:`ast.literal_eval`, and CPython 3.11 keeps the
count of the AST builder's recursion in one place for all threads. Two threads parsing at once
can then fail with ``SystemError: AST constructor recursion depth mismatch`` (the error of
python/cpython#106905): the daemon's start-up and its warm-up thread both read model files.
Every read here holds one lock and reads the arrays it returns before it lets go."""

from __future__ import annotations

import threading
from collections.abc import Collection
from pathlib import Path

import numpy as np

_LOCK = threading.Lock()


def read_npz(path: Path, names: Collection[str] | None = None) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` file by name: all, or those of ``names`` that it holds."""
    with _LOCK, np.load(path) as z:
        return {name: z[name] for name in z.files if names is None or name in names}


def read_npy(path: Path) -> np.ndarray:
    """The array of an ``.npy`` file."""
    with _LOCK:
        return np.load(path)
