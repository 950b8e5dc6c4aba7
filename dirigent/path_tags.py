"""What a file's path says: category and loop flag (by one extendable word table), and the
tempo and key that sample kits write into names ("Bass_Loop_128_Am.wav")."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath

# Category -> words that name it in file and folder names (lower case, joined without
# separators: "hi-hat" and "Hi Hat" are both seen as "hihat"). Users extend it under
# [categories] in dirigent.toml.
CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "kick": ("kick", "kicks", "kik", "bd", "bassdrum", "bassdrums", "kickdrum", "bombo"),
    "snare": ("snare", "snares", "snr", "sd", "snaredrum"),
    "clap": ("clap", "claps", "clp", "handclap", "snap", "snaps", "fingersnap"),
    "hihat": (
        "hihat",
        "hihats",
        "hat",
        "hats",
        "hh",
        "hhat",
        "closedhat",
        "openhat",
        "ch",
        "oh",
        "hatclosed",
        "hatopen",
        "chh",
        "ohh",
    ),
    "cymbal": ("cymbal", "cymbals", "crash", "crashes", "ride", "rides", "cym", "splash", "china"),
    "tom": ("tom", "toms", "floortom", "tomhi", "tomlow", "tommid"),
    "perc": (
        "perc",
        "percs",
        "percussion",
        "shaker",
        "shakers",
        "rim",
        "rimshot",
        "sidestick",
        "conga",
        "congas",
        "bongo",
        "bongos",
        "cowbell",
        "clave",
        "claves",
        "clav",
        "wood",
        "woodblock",
        "tambourine",
        "tamb",
        "triangle",
        "cabasa",
        "guiro",
        "block",
        "agogo",
        "maraca",
        "maracas",
        "djembe",
        "cajon",
        "timbale",
        "timbales",
        "tabla",
        "darbuka",
        "dunun",
        "dununba",
        "sangban",
        "kenkeni",
    ),
    "bass": (
        "bass",
        "basses",
        "sub",
        "subbass",
        "reese",
        "bassline",
        "basslines",
        "303",
        "tb303",
        "lowend",
    ),
    "synth": (
        "synth",
        "synths",
        "lead",
        "leads",
        "stab",
        "stabs",
        "chord",
        "chords",
        "arp",
        "arps",
        "pluck",
        "plucks",
        "keys",
        "organ",
        "piano",
        "bell",
        "bells",
        "seq",
    ),
    "pad": (
        "pad",
        "pads",
        "string",
        "strings",
        "drone",
        "drones",
        "atmo",
        "atmos",
        "ambient",
        "ambience",
        "texture",
        "textures",
        "choir",
    ),
    "vocal": (
        "vocal",
        "vocals",
        "vox",
        "voice",
        "voices",
        "spoken",
        "chant",
        "chants",
        "acapella",
        "speech",
    ),
    "fx": (
        "fx",
        "sfx",
        "effect",
        "effects",
        "riser",
        "risers",
        "uplifter",
        "downlifter",
        "sweep",
        "sweeps",
        "impact",
        "impacts",
        "crashfx",
        "whoosh",
        "zap",
        "laser",
        "transition",
        "explosion",
        "boom",
    ),
    "drums": (
        "drum",
        "drums",
        "drumloop",
        "drumloops",
        "beat",
        "beats",
        "break",
        "breaks",
        "breakbeat",
        "groove",
        "grooves",
        "top",
        "tops",
    ),
}

# Words that make a file a loop, whatever its category.
LOOP_WORDS: tuple[str, ...] = (
    "loop",
    "loops",
    "lp",
    "beat",
    "beats",
    "break",
    "breaks",
    "breakbeat",
    "groove",
    "grooves",
    "drumloop",
    "drumloops",
    "bassline",
    "basslines",
    "top",
    "tops",
)

# Inside a drum folder, some names mean a drum sound: "Drums/Nasty Bass" is a bass drum.
DRUM_FAMILY = frozenset({"kick", "snare", "clap", "hihat", "cymbal", "tom", "perc", "drums"})
IN_DRUM_FOLDER: dict[str, str] = {"bass": "kick", "fx": "perc", "synth": "perc"}

_SPLIT = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_DIGITS = re.compile(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])")
_MIN_SUBSTRING = 4


_BPM_TAG = re.compile(r"(?<![0-9.])(\d{2,3}(?:\.\d+)?)\s*-?\s*bpm", re.IGNORECASE)
_BARE_BPM = re.compile(r"(?:^|[_\s-])(\d{2,3})(?:[_\s-]|$)")
_KEY_TAG = re.compile(
    r"(?:^|[_\s-])([A-H])(#|b|is|es|s)?[_\s-]?(m|min|minor|maj|major|moll|dur)?(?=[_\s.-]|$)",
    re.IGNORECASE,
)
TAG_BPM_RANGE = (60.0, 200.0)
_SHARPS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11, "H": 11}  # H: German B
_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


@dataclass(frozen=True)
class PathTags:
    """What a path says about a stem."""

    category: str | None
    is_loop: bool
    words: tuple[str, ...]
    bpm: float | None = None
    key: str | None = None


def bpm_tag(name: str, *, is_loop: bool) -> float | None:
    """Tempo written in a file name: "128bpm", "128 BPM", or a bare 60..200 number in a loop."""
    match = _BPM_TAG.search(name) or (_BARE_BPM.search(name) if is_loop else None)
    if not match:
        return None
    bpm = float(match.group(1))
    return bpm if TAG_BPM_RANGE[0] <= bpm <= TAG_BPM_RANGE[1] else None


def key_tag(name: str) -> str | None:
    """Key written in a file name as a separate token: "Am", "F#m", "C_maj", "Ebmin", or German
    "Fis-Moll", "Es-Dur", "H-Moll" (B minor), "B-Dur" (B flat: Moll and Dur name notes the German
    way)."""
    match = _KEY_TAG.search(name)
    if not match:
        return None
    root, accidental = match.group(1).upper(), (match.group(2) or "").lower()
    mode = (match.group(3) or "").lower()
    if accidental == "" and not mode:
        return None  # a lone capital letter is too often something else ("Kick_B_01")
    german = mode in ("moll", "dur")
    if accidental == "s" and not (german and root in "EA"):
        return None  # "Es", "As" (E and A flat) only before Moll or Dur
    german_b = german and root == "B" and accidental == ""
    flat_or_sharp = {"#": 1, "is": 1, "b": -1, "es": -1, "s": -1}.get(accidental, 0)
    pitch = _SHARPS[root] + flat_or_sharp - german_b
    return _NAMES[pitch % 12] + ("m" if mode in ("m", "min", "minor", "moll") else "")


def filing(path: str | PurePath, root: str | PurePath) -> PurePath:
    """What of ``path`` (found under ``root``, a folder or the file itself) is the library's
    own filing: the root's name and the folders below it. The folders above the root are the
    machine's ("/home/tom", "/tmp/tmpk5sd31at"), and their words say nothing of the sound."""
    return PurePath(path).relative_to(PurePath(root).parent)


def words_of(name: str) -> list[str]:
    """Lower-case words of one path component: ``"HiHat_Closed01"`` -> ``["hi", "hat", ...]``."""
    spaced = _CAMEL.sub(" ", name)
    return [w for part in _SPLIT.split(spaced.lower()) for w in _DIGITS.sub(" ", part).split() if w]


class CategoryTable:
    """Word -> category lookup built from the default table and the user's additions."""

    def __init__(self, extra: Mapping[str, Sequence[str]] | None = None) -> None:
        table = {c: list(ws) for c, ws in CATEGORY_WORDS.items()}
        for category, ws in (extra or {}).items():
            table.setdefault(category, []).extend(w.lower() for w in ws)
        self.categories = tuple(table)
        self._word: dict[str, str] = {}
        for category, ws in table.items():
            for w in ws:
                self._word.setdefault(w, category)
        user = {w.lower(): c for c, ws in (extra or {}).items() for w in ws}
        self._word.update(user)
        self._long = sorted(
            (w for w in self._word if len(w) >= _MIN_SUBSTRING), key=len, reverse=True
        )

    def _match(self, words: list[str]) -> str | None:
        """Longest evidence first: joined pairs ("hi"+"hat"), single words, then substrings."""
        for a, b in zip(words, words[1:], strict=False):
            if a + b in self._word and not (a.isdigit() or b.isdigit()):  # "SN3_03" is no 303
                return self._word[a + b]
        for w in words:
            if w in self._word:
                return self._word[w]
        for w in words:
            for known in self._long:
                if known in w and len(w) > len(known):
                    return self._word[known]
        return None

    def classify(self, path: str | PurePath) -> PathTags:
        """Category of a file from its name and its folders: every part of ``path`` is read,
        so pass what :func:`filing` keeps of an absolute path.

        The nearest folder that names a category is the library's own filing and wins over
        the file name ("Basses/pluck" is a bass), except in drum folders, where the name
        says which drum ("Drums/Kick 01" is a kick, "Drums/Nasty Bass" a bass drum).
        """
        parts = PurePath(path).parts
        stem = PurePath(parts[-1]).stem if parts else ""
        per_part = [words_of(c) for c in (stem, *reversed(parts[:-1]))]
        named = self._match(per_part[0])
        filed = next((c for c in map(self._match, per_part[1:]) if c), None)
        if filed is None or named == filed:
            category = named or filed
        elif filed in DRUM_FAMILY:
            category = named if named in DRUM_FAMILY else IN_DRUM_FOLDER.get(named or "", filed)
        else:
            category = filed
        all_words = tuple(w for ws in per_part for w in ws)
        joined = {a + b for ws in per_part for a, b in zip(ws, ws[1:], strict=False)}
        is_loop = any(w in LOOP_WORDS or "loop" in w for w in all_words) or bool(
            joined & set(LOOP_WORDS)
        )
        return PathTags(category, is_loop, all_words, bpm_tag(stem, is_loop=is_loop), key_tag(stem))
