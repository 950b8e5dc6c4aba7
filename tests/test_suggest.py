"""Which keys and tempi mix, for suggestions."""

from __future__ import annotations

import pytest

from dirigent.suggest import compatible_keys, compatible_tempi


@pytest.mark.parametrize(
    ("a", "b", "notes", "mix"),
    [
        ("Am", "Am", (False, False), True),
        ("Am", "C", (False, False), True),  # relative major
        ("Am", "Em", (False, False), True),  # a fifth up
        ("Am", "F#m", (False, False), False),
        ("Am", "A", (False, False), False),  # A major is no neighbour of A minor
        ("Am", "A", (False, True), True),  # but a bass hit on A sits in A minor
        ("A", "Am", (True, False), True),
        ("Am", "G#", (False, True), False),  # G# is not in A natural minor
        ("C", "F#", (False, True), False),
        ("C", "B", (False, True), True),
        ("F#", "C", (True, True), True),  # two notes: some key holds both
        ("Am", "Cm", (False, True), False),  # a chord stab's minor key stays a key
        (None, "Am", (False, False), True),
        ("Am", "?", (False, False), True),
    ],
)
def test_compatible_keys(a: str | None, b: str, notes: tuple[bool, bool], mix: bool) -> None:
    assert compatible_keys(a, b, notes=notes) is mix


@pytest.mark.parametrize(
    ("a", "b", "lock"),
    [(128.0, 128.0, True), (128.0, 131.0, True), (128.0, 134.0, False), (70.0, 140.0, True)],
)
def test_compatible_tempi(a: float, b: float, lock: bool) -> None:
    assert compatible_tempi(a, b) is lock
