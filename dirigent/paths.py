"""Where the daemon may read: paths that arrive in messages are checked against the library
roots after resolving ``..`` and symlinks."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from dirigent.errors import ParameterError


def inside(path: str, roots: Sequence[Path]) -> Path:
    """``path`` resolved, when it lies inside one of ``roots`` (symlinks followed)."""
    if not path or "\x00" in path:
        raise ParameterError("the path is empty or holds a NUL byte")
    resolved = Path(path).expanduser().resolve()
    if not any(resolved.is_relative_to(r.expanduser().resolve()) for r in roots):
        raise ParameterError(f"{path!r} is outside the library roots")
    if not resolved.is_file():
        raise ParameterError(f"{path!r} is not a file")
    return resolved
