"""Search: a prompt's hard constraints filter, its words (and example sounds) rank, feedback
moves the query, and every query and result is logged to the catalog."""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import numpy as np

from dirigent.analysis import analyse
from dirigent.analysis.descriptors import DESCRIPTOR_VERSION
from dirigent.analysis.tonality import relative_key
from dirigent.audio_io import decode
from dirigent.catalog import Catalog
from dirigent.embed.base import Embedder, StemRecord, normalise
from dirigent.embed.lexicon import CATEGORIES, TONAL, understand
from dirigent.errors import AudioError, ParameterError
from dirigent.index import VectorIndex
from dirigent.path_tags import key_tag
from dirigent.suggest import suggest

if TYPE_CHECKING:
    from dirigent.embed.listen import ListenEmbedder

K = TypeVar("K")
V = TypeVar("V")

LIKE_WEIGHT = 0.75  # Rocchio: pull toward what was liked for this prompt...
SKIP_WEIGHT = 0.25  # ...and away from what was skipped
DISCOVERY_SHARE = 0.5  # with ``discover``: of the results, at least this share new to the user
SHORT_S = 1.0  # "short" as a constraint: one-shots up to this long
BPM_TOLERANCE = 0.03
CANDIDATES_PER_RESULT = 8
MIN_SIMILARITY = 0.01  # hits must share something with the query
TEXT_CACHE = 4096  # prompt vectors kept
TOP_BLOCK = 64  # scores per block when picking the best of many
SUBSETS = 16  # filters whose passing rows and vectors are kept: prompts repeat on stage
SUBSET_SHARE = 0.5  # the kept vectors hold at most this share of the library's, all together
# a concept named beside one category ranks that category's sounds among themselves too
# ("bright kick": bright for a kick, ``ListenEmbedder.within``): what it adds to each is kept for
# this many (category, concepts), and its best sounds for this many queries
LEANS = 32
LEANED = 256
# stems catalogued since the index was built that a deferring refresh scans exactly beside it
# until it is rebuilt (a render lands in a second, not after an index build of seconds)
UNINDEXED_SHARE = 0.05

_BPM = re.compile(r"\b(?:at\s+)?(\d{2,3}(?:\.\d+)?)\s*-?\s*bpm\b", re.IGNORECASE)
_KEY = re.compile(
    r"\b(?:in\s+)?([a-g](?:#|b|\s*sharp|\s*flat)?)\s*-?\s*(minor|major|min|maj|m)\b"
    r"|\bin\s+([a-g](?:#|b)?)\b",
    re.IGNORECASE,
)
# "Moll" and "Dur" call for German names (``key_tag`` reads them): H is B, B is B flat, -is
# sharpens, -es or -s flattens ("Fis-Moll", "Es-Dur", "h-moll"); "F#-Moll", "Bb moll" also
_GERMAN_KEY = re.compile(r"\b(?:in\s+)?([a-h])(is|es|s|#|b)?\s*-?\s*(moll|dur)\b", re.IGNORECASE)
_ONE_SHOT = re.compile(r"\b(?:one[\s-]?shots?|oneshots?|hits?)\b", re.IGNORECASE)
_LOOP = re.compile(r"\b(?:loops?|schleifen?)\b", re.IGNORECASE)
_SHORT = re.compile(r"\b(?:short|kurz(?:e|en|er)?)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Constraints:
    """Hard filters read from a prompt and from options."""

    bpm: float | None = None
    key: str | None = None
    loop: bool | None = None
    short: bool = False
    category: str | None = None
    exclude: tuple[str, ...] = ()  # categories the prompt says no to ("no kick")

    def active(self) -> dict[str, Any]:
        """The filters set, by name ("loop": False asks for one-shots)."""
        return {k: v for k, v in asdict(self).items() if v is not None and (v or k == "loop")}


def parse_prompt(prompt: str) -> tuple[Constraints, str]:
    """Hard constraints in a prompt ("130bpm", "in A minor", "one-shot", "loop", "short", "no
    kick") and the words left to embed (type, length and negated words stay: they also
    describe the sound)."""
    bpm = None
    if m := _BPM.search(prompt):
        bpm = float(m.group(1))
        prompt = prompt[: m.start()] + prompt[m.end() :]
    key = None
    if m := _GERMAN_KEY.search(prompt):
        key = key_tag(f"_{m.group(1)}{m.group(2) or ''}{m.group(3)}_")
    elif m := _KEY.search(prompt):
        root = (m.group(1) or m.group(3) or "").replace(" ", "").lower()
        root = root.replace("sharp", "#").replace("flat", "b")
        minor = (m.group(2) or "").lower() in ("minor", "min", "m")
        key = key_tag(f"_{root.upper()[:1]}{root[1:]}{'min' if minor else 'maj'}_")
    if m and key:
        prompt = prompt[: m.start()] + prompt[m.end() :]
    loop = False if _ONE_SHOT.search(prompt) else True if _LOOP.search(prompt) else None
    short = bool(_SHORT.search(prompt)) and loop is not True
    exclude = tuple(
        dict.fromkeys(
            t.dimension
            for t in understand(prompt)[0]
            if t.weight <= -1 and t.dimension in CATEGORIES
        )
    )
    return Constraints(bpm, key, loop, short, exclude=exclude), " ".join(prompt.split())


@dataclass
class Result:
    """One hit, as the CLI and the OSC bridge show it."""

    rank: int
    stem_id: int
    path: str
    score: float
    category: str | None
    bpm: float | None
    key: str | None
    duration: float
    is_loop: bool
    explanation: str
    new: bool


@dataclass
class Response:
    """A search's results, its id in the log and how long it took."""

    query_id: int
    results: list[Result]
    latency_ms: float
    understood: str
    constraints: dict[str, Any] = field(default_factory=dict)


def vectors_key(backend: Embedder) -> str:
    """Where a backend's vectors are kept in the catalog: its name and version, so vectors made
    by other weights or older descriptors are never served (they are made anew)."""
    return f"{backend.name}@{backend.version}"


def heard(
    catalog: Catalog, backend: ListenEmbedder, stems: Sequence[dict[str, Any]]
) -> dict[int, str | None]:
    """Stem id -> the category by ear alone of each of ``stems`` (catalog rows with ``id``,
    ``category``, ``is_loop``): read back from the backend's vectors where they are current,
    else heard anew from the stored descriptors. None where no instrument is heard; stems whose
    descriptors are older than this analysis are left out."""
    ids = np.array([s["id"] for s in stems], dtype=np.int64)
    of = {s["id"]: s for s in stems}
    embedded, vectors = catalog.vector_matrix(vectors_key(backend), ids)
    named = [of[i]["category"] for i in embedded.tolist()]
    found, descriptors = catalog.current_descriptors(ids[~np.isin(ids, embedded)])
    is_loop = np.array([of[i]["is_loop"] for i in found.tolist()], dtype=bool)
    by_ear = dict(zip(embedded.tolist(), backend.heard_in(vectors, named), strict=True))
    by_ear.update(zip(found.tolist(), backend.heard(descriptors, is_loop), strict=True))
    return {i: str(c) or None for i, c in by_ear.items()}


class Searcher:
    """Holds one backend's vectors and index warm over a writable catalog."""

    def __init__(
        self,
        catalog: Catalog,
        backend: Embedder,
        index_dir: Path,
        session: str = "default",
        text_weight: float = 1.0,
        audio_weight: float = 1.0,
    ) -> None:
        self.catalog = catalog
        self.backend = backend
        self.session = session
        self.text_weight = text_weight
        self.audio_weight = audio_weight
        self.key = vectors_key(backend)
        # the index and the rows it lacks, scanned exactly beside it: one tuple, swapped whole
        self.served: tuple[VectorIndex, np.ndarray] = (
            VectorIndex(index_dir, backend.name, backend.dim),
            np.zeros(0, np.int64),
        )
        self.index_dir = index_dir
        self.calibration_path = index_dir / f"{backend.name}.calibration.npz"  # listen backend
        # prompts repeat (a set on stage, a patch's buttons): their vectors are kept
        self._embed_text = lru_cache(maxsize=TEXT_CACHE)(backend.embed_text)
        self.use(_empty_table(), np.zeros((0, backend.dim), dtype=np.float32))
        self.returned: set[int] = set()
        self.feedback_of: dict[str, list[tuple[int, str]]] = {}
        self.prompt_of: dict[int, str] = {}
        self.state = ""

    def __len__(self) -> int:
        return int(self.ids.size)

    @property
    def index(self) -> VectorIndex:
        """The Annoy index served (it may lack the rows of :attr:`served`'s second part)."""
        return self.served[0]

    # --- keeping vectors and index in step with the catalog ---------------------------------

    def refresh(self, *, defer_index: bool = False) -> str | None:
        """Serve the stored vectors and index when they match the catalog; otherwise embed
        what is missing and rebuild the index (the listen backend re-embeds all when the
        library changed too much for its calibration: its concepts are percentiles of the
        library). With ``defer_index``, stems only added since the index was built (at most
        :data:`UNINDEXED_SHARE`) are scanned exactly beside it instead, until
        :meth:`complete_index`. Returns why something was rebuilt, else None."""
        name = self.key
        state = self.catalog.library_state(name)  # taken again only after a write here
        if state == self.state:
            return None
        table = self.catalog.stem_columns()
        if (table["descriptor_version"] != DESCRIPTOR_VERSION).any():
            table = self._fill_missing_features(table)
            state = self.catalog.library_state(name)
        ids = table["id"].astype(np.int64)
        calibration = self.calibration_path
        listens = hasattr(self.backend, "calibrate")
        self.served = (self.index, np.zeros(0, np.int64))
        why = self.index.load(state)
        if why is None and not np.array_equal(self.index.ids, ids):
            why = "index holds other stems than the catalog"
        if why is None and listens and not calibration.exists():
            why = "calibration missing"
        if why is None:
            if listens:
                self.backend.load_calibration(calibration)  # type: ignore[attr-defined]
            vectors = self.index.stored_vectors()
            if vectors is None:
                _, vectors = self.catalog.vector_matrix(name, ids)
        elif ids.size:
            self.index_dir.mkdir(parents=True, exist_ok=True)
            stored_ids, stored = self.catalog.vector_matrix(name, ids)
            todo = ~np.isin(ids, stored_ids)
            renew = listens and not self._calibration_fits(calibration, ids.size, todo.sum())
            todo |= renew
            descriptors = self.catalog.descriptor_matrix(ids[todo]) if listens else None
            if renew:
                taken = self.backend.calibrate(descriptors)  # type: ignore[attr-defined]
            vectors = np.zeros((ids.size, self.backend.dim), dtype=np.float32)
            if not todo.all():
                vectors[~todo] = stored  # ids and stored_ids both ascend
            if todo.any():
                fresh = self.backend.embed_stems(self._records(table, todo, descriptors))
                self.catalog.set_vectors(name, ids[todo].tolist(), fresh, replace_all=renew)
                state = self.catalog.library_state(name)
                vectors[todo] = fresh
                if listens and not renew:
                    self.backend.count_in_place(int(todo.sum()), calibration)  # type: ignore[attr-defined]
            if renew:  # saved once the vectors made on it are: a stop while embedding (a
                # minute in a 100k-stem library) leaves the old calibration and its vectors
                taken.save(calibration)
            unindexed = self._unindexed(ids, vectors) if defer_index and not renew else None
            if unindexed is None:
                self.index.build(ids, vectors, state)
            else:
                self.served = (self.index, unindexed)
                why = f"{why}; {unindexed.size} stems scanned beside it until it is rebuilt"
        else:
            vectors = np.zeros((0, self.backend.dim), dtype=np.float32)
        self.use(table, vectors)
        self.state = state
        self._embed_text.cache_clear()  # a recalibrated backend may read words anew
        self.returned = self.catalog.ever_returned()
        self.feedback_of = self.catalog.feedback_by_prompt()
        return why

    def _unindexed(self, ids: np.ndarray, vectors: np.ndarray) -> np.ndarray | None:
        """The rows the index on disk lacks, when it holds just the vectors of stems all still
        served and they are few; else None (it must be rebuilt)."""
        index = self.index
        if index.load(None) is not None or not np.isin(index.ids, ids).all():
            return None
        rows = np.searchsorted(ids, index.ids)  # both ascend
        held = np.zeros(ids.size, dtype=bool)
        held[rows] = True
        lacking = np.flatnonzero(~held)  # a mask, not setdiff1d: 0.2 ms, not 90, at 100k stems
        if lacking.size > UNINDEXED_SHARE * ids.size or not index.holds(vectors[rows]):
            return None
        return lacking

    def complete_index(self) -> bool:
        """Build the index over every row when some are scanned beside it, and swap it in
        (queries go on meanwhile); False when there was nothing to do."""
        index, unindexed = self.served
        if not unindexed.size:
            return False
        complete = VectorIndex(self.index_dir, index.backend, index.dim)
        complete.build(self.ids, self.vectors, self.state)
        self.served = (complete, np.zeros(0, np.int64))
        return True

    def use(self, table: dict[str, np.ndarray], vectors: np.ndarray) -> None:
        """Serve ``vectors`` (n, dim) of the stems in ``table`` (columns as
        :meth:`Catalog.stem_columns` gives them); filters are array operations, not loops."""
        self.ids = table["id"].astype(np.int64)
        self.vectors = vectors
        self.paths = table["path"]
        self.bpm = table["bpm"].astype(np.float64)
        self.keys = table["key"].astype(str)  # str, not object, arrays: compared 4x faster
        self.is_loop = table["is_loop"].astype(bool)
        self.duration = table["duration"].astype(np.float64)
        self.quality = table["quality"].astype(np.float64)
        self.loudness = table.get("loudness", np.full(self.ids.size, np.nan)).astype(np.float64)
        named = table["category"].astype(str)
        if hasattr(self.backend, "categories"):
            heard = self.backend.categories(vectors)
            self.category_column = np.where(heard != "", heard, named)
        else:
            self.category_column = named
        if np.any(np.diff(self.ids) <= 0):
            raise ValueError("stems are served by ascending id")
        self.row_of = Rows(self.ids)
        self._subsets: OrderedDict[tuple[Constraints, bool], Subset] = OrderedDict()
        self._subsets_lock = threading.Lock()  # the listen thread ranks too
        self._leans: Kept[tuple[str, tuple[tuple[int, float], ...]], Lean] = Kept(LEANS)
        self._best_within: Kept[tuple[Any, ...], tuple[np.ndarray, np.ndarray]] = Kept(LEANED)

    def complements(
        self, row: int, *, taste: np.ndarray | None, top_k: int
    ) -> list[tuple[int, float]]:
        """(row, score) of stems that complete ``row``: :func:`dirigent.suggest.suggest` over
        the served stems."""
        return suggest(
            row=row,
            categories=self.category_column,
            keys=self.keys,
            bpm=self.bpm,
            is_loop=self.is_loop,
            quality=self.quality,
            vectors=self.vectors,
            taste=taste,
            top_k=top_k,
        )

    def category(self, row: int) -> str | None:
        """Category of a row: heard by the backend, else from the path ("" -> None)."""
        return str(self.category_column[row]) or None

    def _fill_missing_features(self, table: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Analyse stems stored before descriptors existed (or with older ones); stems that
        cannot be analysed now are left out."""
        stale = np.flatnonzero(table["descriptor_version"] != DESCRIPTOR_VERSION)
        done = []
        for n in stale:
            path = Path(str(table["path"][n]))
            try:
                y, sr, _ = decode(path.read_bytes(), path)
            except (OSError, AudioError):
                continue
            done.append(
                (int(table["id"][n]), DESCRIPTOR_VERSION, analyse(y, sr=sr).descriptors.tolist())
            )
            table["descriptor_version"][n] = DESCRIPTOR_VERSION
        if done:
            self.catalog.set_features(done)
        keep = table["descriptor_version"] == DESCRIPTOR_VERSION
        return {k: v[keep] for k, v in table.items()}

    @staticmethod
    def _records(
        table: dict[str, np.ndarray], rows: np.ndarray, descriptors: np.ndarray | None
    ) -> list[StemRecord]:
        """Records of the ``rows`` (a mask) of ``table``; ``descriptors`` are those rows'."""
        return [
            StemRecord(
                int(table["id"][n]),
                Path(str(table["path"][n])),
                None if descriptors is None else descriptors[i],
                bool(table["is_loop"][n]),
                str(table["category"][n]) or None,
                float(table["duration"][n]),
            )
            for i, n in enumerate(np.flatnonzero(rows))
        ]

    def _calibration_fits(self, path: Path, size: int, new: int) -> bool:
        """Load the saved calibration if it still stands for the library."""
        if not path.exists():
            return False
        self.backend.load_calibration(path)  # type: ignore[attr-defined]
        return bool(self.backend.calibration.fits(size, int(new)))  # type: ignore[attr-defined]

    # --- the query ---------------------------------------------------------------------------

    def _file_vector(self, like: str) -> np.ndarray:
        """Vector of an example the catalog does not hold: an audio file on disk."""
        path = Path(like).expanduser()
        if not path.is_file() and like.isdigit():
            raise ParameterError(f"--like {like}: no stem with id {like} (nor a file of that name)")
        if not path.is_file():
            raise ParameterError(f"--like {like!r} is neither a stem id nor an audio file")
        y, sr, _ = decode(path.read_bytes(), path)
        return self.backend.embed_audio(y, sr=sr)

    def _example_row(self, like: str) -> int | None:
        """The row of an example the catalog holds (a stem id or its file), else None."""
        if like.isdigit() and int(like) in self.row_of:
            return self.row_of[int(like)]
        return self.row_of_file(Path(like))

    def row_of_file(self, path: Path) -> int | None:
        """The row of a catalogued file (any spelling of its path), else None."""
        found = np.flatnonzero(self.paths == str(path.expanduser().resolve()))  # 1 ms at 100k
        return int(found[0]) if found.size else None

    def _mask(self, c: Constraints, words: str = "") -> np.ndarray | None:
        """Rows that pass the hard filters; None when nothing is filtered. ``words``, the rest
        of the prompt, says whether a key filter asks for a tonal sound."""
        if c == Constraints():
            return None
        mask = np.ones(self.ids.size, dtype=bool)
        if c.bpm is not None:
            with np.errstate(invalid="ignore"):
                mask &= np.abs(self.bpm - c.bpm) <= BPM_TOLERANCE * c.bpm
        if c.key is not None:
            # the relative key holds the same notes ("in A minor" takes a loop in C); a
            # one-shot's key without "m" is the root note of a single pitch, not a key: "in A
            # minor" takes a bass hit on A, as "in A" does, not one on C
            tonic, relative = c.key.removesuffix("m"), relative_key(c.key)
            in_key = (
                (self.keys == c.key)
                | ((self.keys == relative) & (self.is_loop | str(relative).endswith("m")))
                | (~self.is_loop & (self.keys == tonic))
            )
            if not _asks_tonal(c, words):  # "percussion loop in A minor": drums fit any key
                in_key |= (self.keys == "") & ~np.isin(self.category_column, list(TONAL))
            mask &= in_key
        if c.loop is not None:
            mask &= self.is_loop == c.loop
        if c.short:
            mask &= self.duration <= SHORT_S
        if c.category is not None:
            mask &= self.category_column == c.category
        if c.exclude:
            mask &= ~np.isin(self.category_column, list(c.exclude))
        return mask

    def search(
        self,
        prompt: str,
        *,
        top_k: int = 10,
        category: str | None = None,
        min_similarity: float = MIN_SIMILARITY,
        like: Sequence[str] = (),
        discover: bool = False,
    ) -> Response:
        """Rank the library for a prompt (and examples), then log the query and its results."""
        started = time.perf_counter()
        results, words, constraints = self.rank(
            prompt,
            top_k=top_k,
            category=category,
            min_similarity=min_similarity,
            like=like,
            discover=discover,
        )
        latency = (time.perf_counter() - started) * 1000
        params = json.dumps(
            {
                "top_k": top_k,
                "category": category,
                "like": list(like),
                "discover": discover,
                "min_similarity": min_similarity,
            }
        )
        query_id = self.catalog.log_query(
            self.session,
            prompt,
            params,
            self.backend.name,
            latency,
            [(r.rank, r.stem_id, r.score) for r in results],
        )
        self.prompt_of[query_id] = prompt
        self.returned.update(r.stem_id for r in results)
        return Response(
            query_id,
            results,
            round(latency, 3),
            words,
            constraints.active(),
        )

    def why_none(
        self, prompt: str, category: str | None = None, min_similarity: float = MIN_SIMILARITY
    ) -> str:
        """Why a search found nothing: a filter no stem passes (and what the library holds
        instead), filters no stem passes together, or words nothing is similar enough to."""
        constraints, words = _constraints(prompt, category)
        active = constraints.active()
        for name, value in active.items():
            alone = Constraints(**{name: value})  # type: ignore[arg-type]
            if not self._mask(alone, words).any():  # type: ignore[union-attr]
                return f"no stem is {_describe(name, value)}{self._held(name)}"
        both = " and ".join(_describe(name, value) for name, value in active.items())
        passing = self._mask(constraints, words)
        if passing is not None and not passing.any():
            return f"no stem is {both} at once"
        among = f" that is {both} ({int(passing.sum())} in all)" if passing is not None else ""
        return (
            f"no stem{among} is similar enough to {repr(words) if words else 'the examples'} "
            f"(similarity >= {min_similarity:g})"
        )

    def _held(self, name: str) -> str:
        """What the library holds instead of a filter's value ("; here: kick, snare")."""
        if name == "category":
            here = sorted({str(c) for c in self.category_column if c})
        elif name == "key":
            here = sorted({str(k) for k in self.keys if k})
        elif name == "bpm" and np.isfinite(self.bpm).any():
            return f"; tempos here: {np.nanmin(self.bpm):.0f} to {np.nanmax(self.bpm):.0f} BPM"
        else:
            return ""
        return f"; here: {', '.join(here)}" if here else ""

    def understands(self, words: str) -> bool:
        """Whether the backend reads anything in ``words`` (the listen backend makes words it
        does not know a vector of zeros; CLAP reads every word)."""
        return bool(np.any(self._embed_text(words)))

    def rank(
        self,
        prompt: str,
        *,
        top_k: int = 10,
        category: str | None = None,
        min_similarity: float = MIN_SIMILARITY,
        like: Sequence[str] = (),
        discover: bool = False,
        explain: bool = True,
    ) -> tuple[list[Result], str, Constraints]:
        """The ranking alone, in memory: no catalog access (call :meth:`refresh` first).
        ``explain=False`` leaves the explanations out (the OSC replies carry none)."""
        if not 1 <= top_k <= 1000:
            raise ParameterError(f"top_k={top_k} must be in 1..1000")
        constraints, words = _constraints(prompt, category)
        query = self.text_weight * self._embed_text(words) if words else None
        example_rows = [self._example_row(x) for x in like]  # None: a file the catalog lacks
        if like:
            heard = [
                self._file_vector(x) if r is None else self.vectors[r]
                for x, r in zip(like, example_rows, strict=True)
            ]
            audio = self.audio_weight * normalise(np.mean(heard, axis=0))
            query = audio if query is None else query + audio
        liked: list[int] = []
        skipped: set[int] = set()
        for stem_id, action in self.feedback_of.get(_key(prompt), []):
            if stem_id in self.row_of:
                if action == "like":
                    liked.append(stem_id)
                else:
                    skipped.add(stem_id)
        skipped -= set(liked)
        if query is not None and np.any(query):
            query = normalise(query)
            if liked:
                rows = [self.row_of[i] for i in liked]
                query = query + LIKE_WEIGHT * normalise(self.vectors[rows].mean(axis=0))
            if skipped:
                rows = [self.row_of[i] for i in skipped]
                query = query - SKIP_WEIGHT * normalise(self.vectors[rows].mean(axis=0))
            query = normalise(query)
        else:
            query = None
        passing = self._passing(constraints, words)
        # "more like this" answers with other sounds: an example is not its own result
        left_out = skipped | {int(self.ids[r]) for r in example_rows if r is not None}
        # a prompt that only says no ("no kick", "not distorted") shares nothing with what it
        # wants: its best are the least like what it refuses, whatever their score
        terms = understand(words)[0] if words and not like else ()
        floor = -np.inf if terms and all(t.weight < 0 for t in terms) else min_similarity
        within = getattr(self.backend, "within", None)
        lean = within(words) if within is not None and query is not None and words else None
        want = top_k + len(left_out)
        # a filtered scan is exact and costs the same for more candidates, which the lean moves
        wide = discover or (lean is not None and passing is not None)
        found = self._candidates(query, passing, want, wide)
        if lean is not None and query is not None:
            found = self._leaned(found, query, want if passing is None else 0, *lean)
        hits = [
            (stem_id, score)
            for stem_id, score in found
            if stem_id not in left_out and (query is None or score >= floor)
        ]
        if discover:
            hits = _discovering(hits, top_k, self.returned)
        results = []
        for rank, (stem_id, score) in enumerate(hits[:top_k], 1):
            n = self.row_of[stem_id]
            why = "quality" if query is None else ""
            if explain and query is not None:
                why = self.backend.explain(query, self.vectors[n])
            results.append(self.result(rank, n, score, why))
        return results, words, constraints

    def result(self, rank: int, row: int, score: float, why: str = "") -> Result:
        """Row ``row`` as the ``rank``-th result."""
        bpm = float(self.bpm[row])
        stem_id = int(self.ids[row])
        return Result(
            rank,
            stem_id,
            str(self.paths[row]),
            round(float(score), 4),
            self.category(row),
            None if np.isnan(bpm) else bpm,
            str(self.keys[row]) or None,
            round(float(self.duration[row]), 3),
            bool(self.is_loop[row]),
            why,
            stem_id not in self.returned,
        )

    def _passing(self, c: Constraints, words: str) -> Subset | None:
        """The rows that pass the hard filters, with their vectors where they are kept (for
        the latest :data:`SUBSETS` filters, up to :data:`SUBSET_SHARE` of the library's vectors
        in all); None when nothing is filtered."""
        if c == Constraints():
            return None
        key = (c, c.key is not None and _asks_tonal(c, words))  # all the mask reads of words
        with self._subsets_lock:
            if (kept := self._subsets.get(key)) is not None:
                self._subsets.move_to_end(key)
                return kept
        rows = np.flatnonzero(self._mask(c, words))
        budget = int(self.ids.size * SUBSET_SHARE)
        kept = Subset(rows, np.asfortranarray(self.vectors[rows]) if rows.size <= budget else None)
        with self._subsets_lock:
            self._subsets[key] = kept
            while (
                len(self._subsets) > SUBSETS
                or sum(s.rows.size for s in self._subsets.values() if s.vectors is not None)
                > budget
            ):
                self._subsets.popitem(last=False)
        return kept

    def _leaned(
        self,
        hits: list[tuple[int, float]],
        query: np.ndarray,
        k: int,
        category: str,
        concepts: dict[int, float],
    ) -> list[tuple[int, float]]:
        """``hits`` with the sounds heard as ``category`` also ranked among themselves by the
        named concepts (``ListenEmbedder.within``), best first; with ``k``, the best ``k`` of
        that category's sounds join them, scored exactly (the index found the best by cosine
        alone). Both the lift and those best are kept: a prompt repeats."""
        named = tuple(sorted(concepts.items()))
        lean = self._lean(category, named)
        if not lean.rows.size:
            return hits
        scored = dict(hits)
        rows = np.searchsorted(self.ids, np.fromiter(scored, dtype=np.int64, count=len(scored)))
        at = np.minimum(np.searchsorted(lean.rows, rows), lean.rows.size - 1)
        for stem_id, n, member in zip(scored, at, lean.rows[at] == rows, strict=True):
            if member:
                scored[stem_id] += float(lean.lift[n])
        if k:
            key = (query.tobytes(), category, named, k)
            if (best := self._best_within.get(key)) is None:
                scores = self.vectors.take(lean.rows, axis=0) @ query + lean.lift
                top = _top(scores, k)
                best = (self.ids[lean.rows[top]], scores[top])
                self._best_within.put(key, best)
            scored.update(zip(best[0].tolist(), best[1].tolist(), strict=True))
        return sorted(scored.items(), key=lambda h: -h[1])

    def _lean(self, category: str, concepts: tuple[tuple[int, float], ...]) -> Lean:
        """The rows heard as ``category`` and what naming ``concepts`` (dimension, weight)
        beside it adds to each (``ListenEmbedder.lift_within``; never less than nothing, so the
        index's best by cosine and the category's best lifted hold the best of all); kept for
        the latest :data:`LEANS`."""
        key = (category, concepts)
        if (kept := self._leans.get(key)) is not None:
            return kept
        rows = np.flatnonzero(self.category_column == category)
        confidence = self.vectors[rows, CATEGORIES.index(category)]
        lift = np.zeros(rows.size, dtype=np.float32)
        for dimension, weight in concepts:  # "not distorted": the least distorted are lifted
            concept = np.sign(weight) * self.vectors[rows, dimension]
            lift += abs(weight) * self.backend.lift_within(concept, confidence)  # type: ignore[attr-defined]
        kept = Lean(rows, lift)
        self._leans.put(key, kept)
        return kept

    def _candidates(
        self, query: np.ndarray | None, passing: Subset | None, k: int, wide: bool
    ) -> list[tuple[int, float]]:
        """(stem id, cosine) best first: the index when nothing is filtered out, else an exact
        scan of the stems that pass the filters; ``wide``: :data:`CANDIDATES_PER_RESULT` times
        as many, for a step that reorders them."""
        want = k * CANDIDATES_PER_RESULT if wide else k
        index, unindexed = self.served
        if query is not None and passing is None and index.meta is not None:
            found, scores = index.query(query, want)
            hits = list(zip(found.tolist(), scores.tolist(), strict=True))
            if unindexed.size:  # stems catalogued since the index was built: scanned exactly
                extra = self.vectors[unindexed] @ query
                top = _top(extra, want)
                hits += zip(self.ids[unindexed[top]].tolist(), extra[top].tolist(), strict=True)
                hits = sorted(hits, key=lambda h: -h[1])[:want]
            return hits
        rows = passing.rows if passing is not None else np.arange(self.ids.size)
        if query is None:
            top = rows[_top(self.quality[rows], want)]
            return [(int(self.ids[n]), float(self.quality[n])) for n in top]
        if passing is None:
            scores = self.vectors @ query
        elif passing.vectors is not None:  # a column per dimension: a prompt names a few
            named = np.flatnonzero(query)
            if named.size * 2 < query.size:
                scores = passing.vectors[:, named] @ query[named]
            else:  # examples and feedback weigh every dimension
                scores = passing.vectors @ query
        else:  # most of the library passes: one pass over all, no copy of the rows
            scores = (self.vectors @ query)[rows]
        top = _top(scores, want)
        return [(int(self.ids[rows[n]]), float(scores[n])) for n in top]

    def feedback(self, stem_id: int, action: str, query_id: int | None = None) -> None:
        """Like or skip a stem (for the given query, else the session's last); the next search
        for the same prompt moves toward liked and away from skipped sounds. A query id that
        was never logged is a :class:`ParameterError`: the feedback would move nothing."""
        asked = query_id is not None
        query_id = query_id if asked else self.catalog.last_query(self.session)
        prompt = None
        if query_id is not None:
            prompt = self.prompt_of.get(query_id) or self.catalog.prompt_of(query_id)
        if asked and prompt is None:
            raise ParameterError(f"no query {query_id}: `dirigent log` lists the latest")
        self.catalog.add_feedback(stem_id, action, query_id, self.session)
        if prompt is not None:
            self.remember(prompt, stem_id, action)

    def remember(self, prompt: str, stem_id: int, action: str) -> None:
        """In memory only: later searches for ``prompt`` move toward a liked stem and leave out
        a skipped one."""
        self.feedback_of.setdefault(_key(prompt), []).append((stem_id, action))


@dataclass(frozen=True)
class Subset:
    """Rows that pass a filter, and their vectors copied together, column by column (None: too
    many to keep)."""

    rows: np.ndarray
    vectors: np.ndarray | None


class Kept(Generic[K, V]):
    """The values of the latest ``size`` keys asked for, safe across threads (the listen
    thread ranks too)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._values)

    def get(self, key: K) -> V | None:
        """The value kept for ``key`` (now the latest asked for), else None."""
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        """Keep ``value`` for ``key``, forgetting the longest unasked beyond ``size``."""
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self.size:
                self._values.popitem(last=False)


class Rows(Mapping[int, int]):
    """Stem id -> row of the served stems, read from their ids (ascending) as it is asked: a
    dict of them would take 11 MB at 100k stems."""

    def __init__(self, ids: np.ndarray) -> None:
        self.ids = ids

    def __getitem__(self, stem_id: int) -> int:
        if not isinstance(stem_id, int | float | np.number):
            raise KeyError(stem_id)
        n = int(np.searchsorted(self.ids, stem_id))
        if n == self.ids.size or self.ids[n] != stem_id:
            raise KeyError(stem_id)
        return n

    def __iter__(self) -> Iterator[int]:
        return iter(self.ids.tolist())

    def __len__(self) -> int:
        return int(self.ids.size)


@dataclass(frozen=True)
class Lean:
    """The rows heard as one category (ascending) and what the concepts a prompt names beside
    it add to the score of each."""

    rows: np.ndarray
    lift: np.ndarray


def _constraints(prompt: str, category: str | None) -> tuple[Constraints, str]:
    """The prompt's constraints with the category option added, and the words to embed."""
    constraints, words = parse_prompt(prompt)
    if category:
        constraints = replace(constraints, category=category.lower())
    return constraints, words


def _asks_tonal(c: Constraints, words: str) -> bool:
    """Whether a search asks for a sound whose key matters (a bass, a pad ...)."""
    return c.category in TONAL or any(
        t.weight > 0 and t.dimension in TONAL for t in understand(words)[0]
    )


def _describe(name: str, value: Any) -> str:
    """A filter in words: "a 'pad'", "in F#m", "at 140 BPM (+-3%)"."""
    if name == "category":
        return f"a {value!r}"
    if name == "key":
        return f"in {value}"
    if name == "bpm":
        return f"at {value:g} BPM (+-{BPM_TOLERANCE:.0%})"
    if name == "loop":
        return "a loop" if value else "a one-shot"
    if name == "exclude":
        return f"other than {' or '.join(value)}"
    return f"short (up to {SHORT_S:g} s)"


def _discovering(
    hits: list[tuple[int, float]], k: int, returned: set[int]
) -> list[tuple[int, float]]:
    """The best ``k`` of ``hits`` (stem id, score; best first) of which at least
    :data:`DISCOVERY_SHARE` are new to the user (no search returned them before), where that
    many new ones are among the hits: the best new ones, then the best of the rest, by score."""
    new = [h for h in hits if h[0] not in returned][: math.ceil(DISCOVERY_SHARE * k)]
    taken = {stem_id for stem_id, _ in new}
    rest = [h for h in hits if h[0] not in taken][: k - len(new)]
    return sorted(new + rest, key=lambda h: -h[1])


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` highest scores, best first.

    Of many scores, only the ``k`` blocks of :data:`TOP_BLOCK` with the highest maxima can hold
    the best ``k``: those blocks are partitioned, not all the scores (exact, ~8x faster at
    100k)."""
    if scores.size <= k:
        candidates = np.arange(scores.size)
    elif scores.size > 4 * k * TOP_BLOCK:
        whole = scores.size - scores.size % TOP_BLOCK
        maxima = scores[:whole].reshape(-1, TOP_BLOCK).max(axis=1)
        blocks = np.argpartition(-maxima, k - 1)[:k]
        inside = (blocks[:, None] * TOP_BLOCK + np.arange(TOP_BLOCK)).ravel()
        pool = np.concatenate([inside, np.arange(whole, scores.size)])  # and the ragged tail
        candidates = pool[np.argpartition(-scores[pool], k - 1)[:k]]
    else:
        candidates = np.argpartition(-scores, k - 1)[:k]
    return candidates[np.lexsort((candidates, -scores[candidates]))]


def _empty_table() -> dict[str, np.ndarray]:
    return {
        "id": np.zeros(0, np.int64),
        "path": np.zeros(0, object),
        "category": np.zeros(0, object),
        "is_loop": np.zeros(0, bool),
        "duration": np.zeros(0),
        "bpm": np.zeros(0),
        "key": np.zeros(0, object),
        "quality": np.zeros(0),
        "descriptor_version": np.zeros(0, np.int32),
    }


def _key(prompt: str) -> str:
    """Feedback is shared between queries whose prompts match after folding case and spaces."""
    return " ".join(prompt.lower().split())
