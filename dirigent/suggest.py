"""Suggestions: stems that complete a stem (a bass and hats for a kick, a kick for a bassline),
in a compatible key and tempo, leaning toward what the user liked."""

from __future__ import annotations

import numpy as np

from dirigent.analysis.tonality import pitch_and_mode
from dirigent.embed.lexicon import TONAL

# what each category calls for, most wanted first
COMPLEMENTS: dict[str, tuple[str, ...]] = {
    "kick": ("bass", "hihat", "clap", "perc"),
    "snare": ("kick", "hihat", "bass"),
    "clap": ("kick", "hihat", "bass"),
    "hihat": ("kick", "bass", "perc"),
    "cymbal": ("kick", "hihat", "bass"),
    "tom": ("kick", "hihat", "perc"),
    "perc": ("kick", "hihat", "bass"),
    "drums": ("bass", "synth", "pad"),
    "bass": ("kick", "hihat", "synth", "pad"),
    "synth": ("bass", "kick", "pad"),
    "pad": ("bass", "kick", "synth"),
    "fx": ("kick", "bass", "pad"),
    "vocal": ("kick", "bass", "pad"),
}
DEFAULT = ("kick", "bass", "hihat", "synth")
TEMPO_TOLERANCE = 0.03


MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10)


def compatible_keys(
    a: str | None, b: str | None, *, notes: tuple[bool, bool] = (False, False)
) -> bool:
    """Keys that mix (the neighbours on the Camelot wheel): the same key, its relative
    major/minor, or a fifth up or down in the same mode. Unknown keys mix with anything.

    ``notes`` says which side is a one-shot, whose key without "m" is the root note of a
    single-pitched sound ("A" for a bass hit), not a major key: a note fits a key whose scale
    holds it, and any two notes fit some key."""
    if not a or not b:
        return True
    pa, pb = pitch_and_mode(a), pitch_and_mode(b)
    if pa is None or pb is None:
        return True
    (ra, minor_a), (rb, minor_b) = pa, pb
    note_a, note_b = notes[0] and not minor_a, notes[1] and not minor_b
    if note_a and note_b:
        return True
    if note_a or note_b:
        (note, _), (root, minor) = (pa, pb) if note_a else (pb, pa)
        return (note - root) % 12 in (MINOR_SCALE if minor else MAJOR_SCALE)
    if minor_a == minor_b:
        return (ra - rb) % 12 in (0, 5, 7)
    minor_root, major_root = (ra, rb) if minor_a else (rb, ra)
    return (minor_root + 3) % 12 == major_root


def compatible_tempi(a: float | None, b: float | None) -> bool:
    """Tempi that lock: equal within 3 %, or half/double time. Unknown tempi lock."""
    return bool(tempi_lock(a, np.array([b], dtype=float))[0])


def tempi_lock(a: float | None, b: np.ndarray) -> np.ndarray:
    """:func:`compatible_tempi` of one tempo with many (NaN or 0: unknown)."""
    if not a or np.isnan(a):
        return np.ones(b.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        lock = np.isnan(b) | (b == 0)
        for f in (0.5, 1.0, 2.0):
            lock |= np.abs(a * f - b) <= TEMPO_TOLERANCE * b
    return lock


def keys_fit(key: str | None, note: bool, keys: np.ndarray, notes: np.ndarray) -> np.ndarray:
    """:func:`compatible_keys` of ``key`` (a one-shot's if ``note``) with each of ``keys``
    (``notes``: which of them are one-shots'), computed once per distinct key."""
    names, code = np.unique(keys.astype(str), return_inverse=True)
    table = np.array(
        [
            [compatible_keys(key, name or None, notes=(note, n)) for n in (False, True)]
            for name in names
        ],
        dtype=bool,
    ).reshape(-1, 2)
    return table[code, notes.astype(np.intp)]


def suggest(
    *,
    row: int,
    categories: np.ndarray,
    keys: np.ndarray,
    bpm: np.ndarray,
    is_loop: np.ndarray,
    quality: np.ndarray,
    vectors: np.ndarray,
    taste: np.ndarray | None,
    top_k: int,
) -> list[tuple[int, float]]:
    """(row, score) of up to ``top_k`` complements of stem ``row``, taking the wanted
    categories in turn; within one, rows that match the user's ``taste`` (the mean vector of
    liked stems) and have good quality come first."""
    wanted = COMPLEMENTS.get(str(categories[row]), DEFAULT)
    score = 0.5 * quality + (vectors @ taste if taste is not None else 0.0)
    picks: dict[str, list[int]] = {}
    for category in wanted:
        rows = np.flatnonzero(categories == category)
        rows = rows[rows != row]
        if categories[row] in TONAL and category in TONAL:
            key = str(keys[row]) or None
            rows = rows[keys_fit(key, not is_loop[row], keys[rows], ~is_loop[rows])]
        if is_loop[row]:
            rows = rows[~is_loop[rows] | tempi_lock(float(bpm[row]), bpm[rows])]
        picks[category] = rows[np.lexsort((rows, -score[rows]))[:top_k]].tolist()
    out: list[tuple[int, float]] = []
    while len(out) < top_k and any(picks.values()):
        for category in wanted:
            if picks[category] and len(out) < top_k:
                r = picks[category].pop(0)
                out.append((r, float(score[r])))
    return out
