"""The producer's vocabulary (English and German): words onto the dimensions of the default
embedding space, with negation ("not distorted", "ohne Hall", "kein Rauschen")."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from dirigent.errors import ParameterError
from dirigent.path_tags import CATEGORY_WORDS

CATEGORIES = (
    "kick",
    "snare",
    "clap",
    "hihat",
    "cymbal",
    "tom",
    "perc",
    "bass",
    "synth",
    "pad",
    "vocal",
    "fx",
    "drums",
)
# Categories whose key matters: a drum, a hit or a noise without a key fits any key.
TONAL = frozenset({"bass", "synth", "pad", "vocal"})
# The classifier's class for material that is no instrument (single-cycle waveforms, clicks):
# its probability takes up a dimension of its own that no word points at.
OTHER = "other"
TYPES = ("loop", "one-shot")
CONCEPTS = (
    "dark",
    "bright",
    "punchy",
    "soft",
    "boomy",
    "deep",
    "crisp",
    "metallic",
    "distorted",
    "clean",
    "airy",
    "warm",
    "tight",
    "long",
    "short",
    "rolling",
    "hypnotic",
    "industrial",
    "acid",
    "noisy",
    "tonal",
    "rising",
    "fast",
    "wide",
)

# Concept -> words (English, German). Multi-word phrases are matched before single words.
CONCEPT_WORDS: dict[str, tuple[str, ...]] = {
    "dark": (
        "dark",
        "darker",
        "gloomy",
        "murky",
        "moody",
        "sinister",
        "evil",
        "ominous",
        "dunkel",
        "dunkler",
        "dunkle",
        "dunklen",
        "duster",
        "finster",
    ),
    "bright": (
        "bright",
        "brighter",
        "brilliant",
        "shiny",
        "sparkly",
        "glassy",
        "hell",
        "helle",
        "hellen",
        "strahlend",
        "brillant",
    ),
    "punchy": (
        "punchy",
        "punch",
        "hard",
        "hits",
        "hard-hitting",
        "knackig",
        "druckvoll",
        "drückend",
        "hart",
        "harte",
        "harten",
        "wuchtig",
        "impact",
        "thump",
        "thumping",
        "thumpy",
        "knock",
        "knocking",
        "knocky",
        "stampfend",
        "knallig",
    ),
    "soft": ("soft", "gentle", "quiet", "mellow", "weich", "weiche", "sanft", "leise"),
    "boomy": (
        "boomy",
        "boom",
        "booming",
        "rumble",
        "rumbling",
        "big",
        "fat",
        "huge",
        "wummernd",
        "drohnend",
        "fett",
        "fette",
        "dick",
        "gross",
        "grosse",
    ),
    "deep": ("deep", "subby", "low", "tief", "tiefe", "tiefen", "subbass"),
    "crisp": ("crisp", "crispy", "sharp", "clicky", "snappy", "spitz", "scharf", "klar"),
    "metallic": ("metallic", "metal", "clangy", "tin", "metallisch", "blechern", "metall"),
    "distorted": (
        "distorted",
        "distortion",
        "dirty",
        "gritty",
        "saturated",
        "overdriven",
        "crunchy",
        "fuzzy",
        "driven",
        "verzerrt",
        "verzerrung",
        "dreckig",
        "schmutzig",
        "zerre",
        "filthy",
        "crunch",
    ),
    "clean": ("clean", "pure", "pristine", "sine", "sauber", "rein"),
    "airy": ("airy", "air", "breathy", "open", "luftig", "offen", "hauchig"),
    "warm": ("warm", "analog", "analogue", "vintage", "round", "smooth", "tape", "rund", "weich"),
    "tight": (
        "tight",
        "dry",
        "closed",
        "short-decay",
        "eng",
        "trocken",
        "straff",
        "geschlossen",
        "geschlossene",
    ),
    "long": (
        "long",
        "sustain",
        "sustained",
        "legato",
        "ringing",
        "reverb",
        "verb",
        "delay",
        "echo",
        "reverby",
        "wet",
        "lang",
        "lange",
        "langen",
        "ausklingend",
        "hall",
        "verhallt",
        "dub",
        "dubby",
    ),
    "short": (
        "short",
        "staccato",
        "clipped",
        "chop",
        "chops",
        "chopped",
        "kurz",
        "kurze",
        "kurzen",
    ),
    "rolling": (
        "rolling",
        "driving",
        "groovy",
        "groove",
        "swing",
        "swung",
        "shuffle",
        "shuffled",
        "treibend",
        "treibende",
        "rollend",
        "rollende",
        "hardgroove",
    ),
    "hypnotic": (
        "hypnotic",
        "repetitive",
        "trance",
        "trancy",
        "minimal",
        "hypnotisch",
        "hypnotische",
        "monoton",
    ),
    "industrial": (
        "industrial",
        "mechanical",
        "harsh",
        "raw",
        "rough",
        "industriell",
        "mechanisch",
        "roh",
        "rau",
        "schranz",
    ),
    "acid": ("acid", "squelchy", "resonant", "squelch"),
    "noisy": (
        "noisy",
        "noise",
        "hiss",
        "static",
        "lofi",
        "lo-fi",
        "white noise",
        "rauschen",
        "rauschig",
        "verrauscht",
    ),
    "tonal": ("tonal", "melodic", "musical", "harmonic", "melodisch", "melodie", "harmonisch"),
    "rising": (
        "rising",
        "build",
        "buildup",
        "build-up",
        "uplifting",
        "steigend",
        "aufsteigend",
        "anstieg",
        "reverse",  # a reversed hit swells into where it struck: "reverse cymbal"
        "reversed",
        "ruckwarts",
    ),
    "fast": ("fast", "busy", "quick", "roll", "rolls", "schnell", "schnelle"),
    "wide": ("wide", "stereo", "spacious", "lush", "breit", "weit", "raumlich"),
}
TYPE_WORDS: dict[str, tuple[str, ...]] = {
    "loop": ("loop", "loops", "schleife", "groove"),
    "one-shot": ("one-shot", "oneshot", "one shot", "hit", "single", "einzelschlag"),
}
# German and extra names of categories, beside the path table's words.
EXTRA_CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "kick": ("kick drum", "bass drum", "bassdrum", "basstrommel", "fusstrommel", "kicks"),
    "snare": ("snare drum", "schnarrtrommel", "kleine trommel", "trommelwirbel"),
    "clap": ("klatschen", "klatscher", "handklatschen", "finger snap", "fingerschnippen"),
    "hihat": ("hi-hat", "hi hat", "hi hats", "hi-hats"),
    "cymbal": ("becken",),
    "perc": (
        "percussive",
        "perkussion",
        "schlagwerk",
        "kuhglocke",
        "rassel",
        "schellenkranz",
        "tamburin",
        "holzblock",
    ),
    "bass": ("bassline", "basslinie", "bass line", "acid line", "303"),
    "synth": (
        "synthesizer",
        "melody",
        "melodie",
        "bleep",
        "bleeps",
        "blip",
        "blips",
        "guitar",
        "gitarre",
        "brass",
        "horn",
        "horns",
        "sax",
        "saxophone",
        "flute",
        "flote",
        "orgel",
        "klavier",
        "akkord",
        "akkorde",
        "arpeggio",
        "arpeggios",
        "arpeggiator",
        "sequence",
        "sequenz",
        "glocke",
        "glocken",
        "marimba",
        "kalimba",
        "xylophone",
        "vibraphone",
        "mallet",
        "mallets",
    ),
    "pad": ("flache", "teppich", "atmosphere", "atmosphare", "atmospheric"),
    "vocal": ("stimme", "gesang", "sprache", "sprachsample", "sprachfetzen"),
    "fx": (
        "fx",  # the path table's two-letter words are file-name shorthand; this one is spoken
        "effekt",
        "effekte",
        "sound effect",
        "glitch",
        "glitches",
        "glitchy",
        "foley",
        "vinyl",
        "crackle",
        "knistern",
        "downsweep",
        "upsweep",
    ),
    "drums": ("drum loop", "schlagzeug", "beat", "beats", "drums", "fill", "fills"),
}
# Words that name a kind of sound and how it moves: each also means the concept (negative:
# its opposite), beside the category it names.
ALSO_MEANS: dict[str, tuple[str, float]] = {
    "riser": ("rising", 1.0),
    "risers": ("rising", 1.0),
    "uplifter": ("rising", 1.0),
    "downlifter": ("rising", -1.0),
    "upsweep": ("rising", 1.0),
    "downsweep": ("rising", -1.0),
    "303": ("acid", 1.0),
    "acid line": ("acid", 1.0),
    "vinyl": ("noisy", 1.0),
    "crackle": ("noisy", 1.0),
    "knistern": ("noisy", 1.0),
}
# Words that name a sound by the machine or the style it comes from. Beside a category word they
# only colour it ("808 snare": a boomy snare; "gabber bass": a distorted one); alone they mean
# the sound they are known for ("808": the long, boomy sub kick that doubles as a bass).
SIGNATURE_WORDS: dict[str, tuple[tuple[str, float], ...]] = {
    **dict.fromkeys(("808", "808s", "tr-808"), (("boomy", 1.0), ("kick", 0.5), ("bass", 0.5))),
    **dict.fromkeys(("909", "tr-909"), (("punchy", 1.0), ("kick", 0.5), ("hihat", 0.5))),
    **dict.fromkeys(("gabber", "hardcore"), (("distorted", 1.0), ("kick", 1.0))),
    **dict.fromkeys(("hoover", "hoovers"), (("wide", 1.0), ("synth", 1.0))),
    **dict.fromkeys(("growl", "growls", "growling"), (("distorted", 1.0), ("bass", 1.0))),
    **dict.fromkeys(("tribal",), (("rolling", 1.0), ("perc", 1.0))),
    **dict.fromkeys(("jungle", "amen"), (("fast", 1.0), ("drums", 1.0))),
    **dict.fromkeys(("supersaw", "supersaws"), (("wide", 1.0), ("synth", 1.0))),
    **dict.fromkeys(("click", "clicks"), (("short", 1.0), ("perc", 1.0))),
}
NEGATIONS = (
    "not",
    "no",
    "without",
    "less",
    "non",
    "nicht",
    "kein",
    "keine",
    "keinen",
    "ohne",
    "weniger",
)
STOP_WORDS = frozenset(
    {
        "techno",
        "with",
        "and",
        "a",
        "an",
        "the",
        "of",
        "mit",
        "und",
        "ein",
        "eine",
        "einen",
        "der",
        "die",
        "das",
        "sound",
        "sounds",
        "sample",
        "samples",
        "texture",
        "textur",
        "very",
        "sehr",
        "like",
        "wie",
    }
)


@dataclass(frozen=True)
class Term:
    """One understood word: the dimension it names and its sign (-1 when negated)."""

    dimension: str
    weight: float
    word: str


def category(text: str) -> str:
    """A category by its name, any case (``"Kick"`` -> ``"kick"``); a name outside
    :data:`CATEGORIES` is a :class:`ParameterError` that lists them (a typo filters out all)."""
    name = text.strip().lower()
    if name not in CATEGORIES:
        raise ParameterError(f"unknown category {text!r} (one of {', '.join(CATEGORIES)})")
    return name


def _fold(text: str) -> str:
    """Lower case without accents or umlauts: "Düster" -> "duster"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _table() -> dict[str, str]:
    words: dict[str, str] = {}
    for category, ws in CATEGORY_WORDS.items():
        for w in ws:
            if len(w) > 2:  # "bd", "sd", "ch", "oh" are file-name shorthand, not speech
                words.setdefault(w, category)
    for category, ws in EXTRA_CATEGORY_WORDS.items():
        for w in ws:
            words[_fold(w)] = category
    for concept, ws in CONCEPT_WORDS.items():
        for w in ws:
            words[_fold(w)] = concept
    for kind, ws in TYPE_WORDS.items():
        for w in ws:
            words[_fold(w)] = kind
    return words


_WORDS = _table()
_PHRASES = sorted((w for w in _WORDS if " " in w), key=len, reverse=True)
_TOKEN = re.compile(r"[a-z0-9#'_-]+")


def _lookup(word: str) -> str | None:
    """The word, else the word without an inflection ("treibender", "dustere", "kicks")."""
    for cut in range(0, 4 if len(word) > 5 else 2):
        found = _WORDS.get(word[: len(word) - cut])
        if found:
            return found
    return None


def _words(text: str) -> list[str]:
    """The words of a folded prompt; a hyphenated one not known as a whole is read part by part
    ("percussion-schleife", "acid-bass"), a known one as one ("hi-hat", "one-shot")."""
    words = []
    for token in _TOKEN.findall(text):
        word = token.replace("_", " ")
        known = word in NEGATIONS or word in STOP_WORDS or word in SIGNATURE_WORDS
        if "-" in word and not known and not _lookup(word):
            words.extend(part for part in word.split("-") if part)
        else:
            words.append(word)
    return words


@lru_cache(maxsize=4096)  # a query reads its prompt's words more than once; prompts repeat
def understand(prompt: str) -> tuple[tuple[Term, ...], tuple[str, ...]]:
    """Terms a prompt names and the words it did not understand.

    >>> [t.dimension for t in understand("dark hypnotic kick, not distorted")[0]]
    ['dark', 'hypnotic', 'kick', 'distorted']
    """
    text = _fold(prompt)
    for phrase in _PHRASES:
        text = re.sub(rf"\b{re.escape(phrase)}\b", phrase.replace(" ", "_"), text)
    terms: list[Term] = []
    unknown: list[str] = []
    negate = False
    for word in _words(text):
        if word in NEGATIONS:
            negate = True
            continue
        dimension = None if word in STOP_WORDS else _lookup(word)
        sign = -1.0 if negate else 1.0
        if word in SIGNATURE_WORDS:
            terms.extend(Term(d, sign * w, word) for d, w in SIGNATURE_WORDS[word])
        elif dimension:
            terms.append(Term(dimension, sign, word))
            if word in ALSO_MEANS:
                concept, weight = ALSO_MEANS[word]
                terms.append(Term(concept, sign * weight, word))
        elif word not in STOP_WORDS:
            unknown.append(word)
        negate = False
    if any(t.dimension in CATEGORIES and t.word not in SIGNATURE_WORDS for t in terms):
        terms = [t for t in terms if not (t.word in SIGNATURE_WORDS and t.dimension in CATEGORIES)]
    return tuple(terms), tuple(unknown)
