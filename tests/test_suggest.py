"""Which keys and tempi mix, for suggestions."""

from __future__ import annotations

import numpy as np
import pytest

from dirigent.suggest import compatible_keys, compatible_tempi, suggest


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


def test_suggestions_take_keys_tempi_taste_and_categories_in_turn() -> None:
    # row 0: a pad loop in A minor at 128 BPM; it calls for a bass, then a kick, then a synth
    rows = [
        ("pad", "Am", 128.0, True, 0.0),
        ("bass", "A", np.nan, False, 0.9),  # a bass hit on A: in A minor
        ("bass", "G#", np.nan, False, 1.0),  # G# is not
        ("bass", "C", 128.0, True, 0.5),  # the relative major
        ("bass", "Em", 131.0, True, 0.7),  # a fifth up, within 3 %
        ("bass", "Am", 134.0, True, 1.0),  # tempi that do not lock
        ("kick", "", 64.0, True, 0.6),  # half time
        ("kick", "", 100.0, True, 1.0),
        ("kick", "", 90.0, False, 0.8),  # a one-shot has no tempo to lock
        ("synth", "F#m", 128.0, True, 1.0),
        ("synth", "", 128.0, True, 0.4),  # an unknown key mixes with anything
    ]
    categories, keys, bpm, is_loop, quality = (np.array(c) for c in zip(*rows, strict=True))
    vectors = np.eye(len(rows), dtype=np.float32)

    def picks(taste: np.ndarray | None) -> list[int]:
        found = suggest(
            row=0,
            categories=categories,
            keys=keys,
            bpm=bpm.astype(float),
            is_loop=is_loop.astype(bool),
            quality=quality.astype(float),
            vectors=vectors,
            taste=taste,
            top_k=10,
        )
        return [r for r, _ in found]

    assert picks(None) == [1, 8, 10, 4, 6, 3]
    assert picks(vectors[3])[:3] == [3, 8, 10]  # what the user liked comes first
