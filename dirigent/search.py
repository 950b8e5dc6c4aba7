"""Search: a prompt's hard constraints filter, its words (and example sounds) rank, feedback
moves the query, and every query and result is logged to the catalog."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from dirigent.analysis import analyse
from dirigent.analysis.descriptors import DESCRIPTOR_VERSION
from dirigent.audio_io import decode
from dirigent.catalog import Catalog
from dirigent.embed.base import Embedder, StemRecord, normalise
from dirigent.errors import AudioError, ParameterError
from dirigent.index import VectorIndex
from dirigent.path_tags import key_tag

LIKE_WEIGHT = 0.75  # Rocchio: pull toward what was liked for this prompt...
SKIP_WEIGHT = 0.25  # ...and away from what was skipped
DISCOVERY_BONUS = 0.1  # added to stems no search has returned before, with ``discover``
SHORT_S = 1.0  # "short" as a constraint: one-shots up to this long
BPM_TOLERANCE = 0.03
CANDIDATES_PER_RESULT = 8
MIN_SIMILARITY = 0.01  # hits must share something with the query

_BPM = re.compile(r"\b(?:at\s+)?(\d{2,3}(?:\.\d+)?)\s*-?\s*bpm\b", re.IGNORECASE)
_KEY = re.compile(
    r"\b(?:in\s+)?([a-g](?:#|b|\s*sharp|\s*flat)?)\s*(minor|major|min|maj|moll|dur|m)\b"
    r"|\bin\s+([a-g](?:#|b)?)\b",
    re.IGNORECASE,
)
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


def parse_prompt(prompt: str) -> tuple[Constraints, str]:
    """Hard constraints in a prompt ("130bpm", "in A minor", "one-shot", "loop", "short") and
    the words left to embed (type and length words stay: they also describe the sound)."""
    bpm = None
    if m := _BPM.search(prompt):
        bpm = float(m.group(1))
        prompt = prompt[: m.start()] + prompt[m.end() :]
    key = None
    if m := _KEY.search(prompt):
        root = (m.group(1) or m.group(3) or "").replace(" ", "").lower()
        root = root.replace("sharp", "#").replace("flat", "b")
        mode = (m.group(2) or "").lower()
        minor = mode in ("minor", "min", "moll", "m")
        key = key_tag(f"_{root.upper()[:1]}{root[1:]}{'min' if minor else 'maj'}_")
        prompt = prompt[: m.start()] + prompt[m.end() :]
    loop = False if _ONE_SHOT.search(prompt) else True if _LOOP.search(prompt) else None
    short = bool(_SHORT.search(prompt)) and loop is not True
    return Constraints(bpm, key, loop, short), " ".join(prompt.split())


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
        self.index = VectorIndex(index_dir, backend.name, backend.dim)
        self.index_dir = index_dir
        self.rows: list[dict[str, Any]] = []
        self.vectors = np.zeros((0, backend.dim), dtype=np.float32)
        self.row_of: dict[int, int] = {}
        self.categories: list[str | None] = []
        self._columns()
        self.returned: set[int] = set()
        self.feedback_of: dict[str, list[tuple[int, str]]] = {}
        self.prompt_of: dict[int, str] = {}
        self.state = ""

    # --- keeping vectors and index in step with the catalog ---------------------------------

    def refresh(self) -> str | None:
        """Serve the stored vectors and index when they match the catalog; otherwise embed
        what is missing (the listen backend re-embeds all: its concepts are percentiles of the
        library) and rebuild the index. Returns why something was rebuilt, else None."""
        state = self.catalog.library_state(self.backend.name)
        if state == self.state:
            return None
        self.rows = self.catalog.stem_table()
        self._fill_missing_features()
        ids = [r["id"] for r in self.rows]
        stored = self.catalog.vectors(self.backend.name)
        calibration = self.index_dir / f"{self.backend.name}.calibration.npz"
        listens = hasattr(self.backend, "calibrate")
        why = self.index.load(self.catalog.library_state(self.backend.name))
        if why is None and set(stored) == set(ids) and (not listens or calibration.exists()):
            if listens:
                self.backend.load_calibration(calibration)  # type: ignore[attr-defined]
        elif ids:
            self.index_dir.mkdir(parents=True, exist_ok=True)
            if listens:
                self.backend.calibrate(  # type: ignore[attr-defined]
                    np.vstack([r["descriptors"] for r in self.rows])
                ).save(calibration)
                todo = self.rows
            else:
                todo = [r for r in self.rows if r["id"] not in stored]
            if todo:
                vectors = self.backend.embed_stems(self._records(todo))
                todo_ids = [r["id"] for r in todo]
                self.catalog.set_vectors(self.backend.name, todo_ids, vectors, replace_all=listens)
                stored.update(zip(todo_ids, vectors, strict=True))
        self.vectors = (
            np.vstack([stored[i] for i in ids]).astype(np.float32)
            if ids
            else np.zeros((0, self.backend.dim), dtype=np.float32)
        )
        self.row_of = {i: n for n, i in enumerate(ids)}
        heard = (
            self.backend.categories(self.vectors)  # type: ignore[attr-defined]
            if hasattr(self.backend, "categories")
            else [None] * len(ids)
        )
        self.categories = [h or r["category"] for h, r in zip(heard, self.rows, strict=True)]
        self._columns()
        self.state = self.catalog.library_state(self.backend.name)
        if why is not None and ids:
            self.index.build(np.asarray(ids), self.vectors, self.state)
        self.returned = self.catalog.ever_returned()
        self.feedback_of = self.catalog.feedback_by_prompt()
        return why

    def _fill_missing_features(self) -> None:
        """Analyse stems stored before descriptors existed (or with older ones)."""
        stale = [r for r in self.rows if r["descriptor_version"] != DESCRIPTOR_VERSION]
        done = []
        for r in stale:
            try:
                y, sr, _ = decode(Path(r["path"]).read_bytes(), Path(r["path"]))
            except (OSError, AudioError):
                continue
            r["descriptors"] = analyse(y, sr=sr).descriptors.tolist()
            r["descriptor_version"] = DESCRIPTOR_VERSION
            done.append((r["id"], DESCRIPTOR_VERSION, r["descriptors"]))
        if done:
            self.catalog.set_features(done)
        self.rows = [r for r in self.rows if r["descriptor_version"] == DESCRIPTOR_VERSION]

    @staticmethod
    def _records(rows: Sequence[dict[str, Any]]) -> list[StemRecord]:
        return [
            StemRecord(
                r["id"],
                Path(r["path"]),
                np.asarray(r["descriptors"], np.float32),
                bool(r["is_loop"]),
                r["category"],
                float(r["duration"]),
            )
            for r in rows
        ]

    # --- the query ---------------------------------------------------------------------------

    def like_vector(self, like: str) -> np.ndarray:
        """Vector of an example: a stem id, a catalogued path, or an audio file on disk."""
        if like.isdigit() and int(like) in self.row_of:
            return self.vectors[self.row_of[int(like)]]
        path = Path(like).expanduser()
        if str(path.resolve()) in self.row_of_path:
            return self.vectors[self.row_of_path[str(path.resolve())]]
        if not path.is_file():
            raise ParameterError(f"--like {like!r} is neither a stem id nor an audio file")
        y, sr, _ = decode(path.read_bytes(), path)
        return self.backend.embed_audio(y, sr=sr)

    def _columns(self) -> None:
        """The filterable facts as numpy columns (filters are array operations, not loops)."""
        rows = self.rows
        self.row_of_path = {r["path"]: n for n, r in enumerate(rows)}
        self.ids = np.array([r["id"] for r in rows], dtype=np.int64)
        self.bpm = np.array([np.nan if r["bpm"] is None else r["bpm"] for r in rows])
        self.keys = np.array([r["key"] or "" for r in rows], dtype=object)
        self.is_loop = np.array([bool(r["is_loop"]) for r in rows])
        self.duration = np.array([r["duration"] for r in rows], dtype=np.float64)
        self.quality = np.array([r["quality"] for r in rows], dtype=np.float64)
        self.category_column = np.array([c or "" for c in self.categories], dtype=object)

    def _mask(self, c: Constraints) -> np.ndarray | None:
        """Rows that pass the hard filters; None when nothing is filtered."""
        if c == Constraints():
            return None
        mask = np.ones(len(self.rows), dtype=bool)
        if c.bpm is not None:
            with np.errstate(invalid="ignore"):
                mask &= np.abs(self.bpm - c.bpm) <= BPM_TOLERANCE * c.bpm
        if c.key is not None:
            mask &= self.keys == c.key
        if c.loop is not None:
            mask &= self.is_loop == c.loop
        if c.short:
            mask &= self.duration <= SHORT_S
        if c.category is not None:
            mask &= self.category_column == c.category
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
            {k: v for k, v in asdict(constraints).items() if v not in (None, False)},
        )

    def rank(
        self,
        prompt: str,
        *,
        top_k: int = 10,
        category: str | None = None,
        min_similarity: float = MIN_SIMILARITY,
        like: Sequence[str] = (),
        discover: bool = False,
    ) -> tuple[list[Result], str, Constraints]:
        """The ranking alone, in memory: no catalog access (call :meth:`refresh` first)."""
        if not 1 <= top_k <= 1000:
            raise ParameterError(f"top_k={top_k} must be in 1..1000")
        constraints, words = parse_prompt(prompt)
        if category:
            constraints = replace(constraints, category=category.lower())
        query = self.text_weight * self.backend.embed_text(words) if words else None
        if like:
            examples = np.mean([self.like_vector(x) for x in like], axis=0)
            audio = self.audio_weight * normalise(examples)
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
        mask = self._mask(constraints)
        hits = []
        for stem_id, score in self._candidates(query, mask, top_k + len(skipped), discover):
            if stem_id in skipped or (query is not None and score < min_similarity):
                continue
            bonus = DISCOVERY_BONUS if discover and stem_id not in self.returned else 0.0
            hits.append((stem_id, score, score + bonus))
        hits.sort(key=lambda h: -h[2])
        results = []
        for rank, (stem_id, score, _) in enumerate(hits[:top_k], 1):
            n = self.row_of[stem_id]
            r = self.rows[n]
            why = self.backend.explain(query, self.vectors[n]) if query is not None else "quality"
            results.append(
                Result(
                    rank,
                    stem_id,
                    r["path"],
                    round(float(score), 4),
                    self.categories[n],
                    r["bpm"],
                    r["key"],
                    round(r["duration"], 3),
                    bool(r["is_loop"]),
                    why,
                    stem_id not in self.returned,
                )
            )
        return results, words, constraints

    def _candidates(
        self, query: np.ndarray | None, mask: np.ndarray | None, k: int, discover: bool
    ) -> list[tuple[int, float]]:
        """(stem id, cosine) best first: the index when nothing is filtered out, else an exact
        scan of the stems that pass the filters."""
        if query is None:
            order = np.argsort(-self.quality)
            if mask is not None:
                order = order[mask[order]]
            return [(int(self.ids[n]), float(self.quality[n])) for n in order[:k]]
        want = k * CANDIDATES_PER_RESULT if discover else k
        if mask is None and self.index.meta is not None:
            found, scores = self.index.query(query, want)
            return list(zip(found.tolist(), scores.tolist(), strict=True))
        rows = np.flatnonzero(mask) if mask is not None else np.arange(len(self.rows))
        scores = self.vectors[rows] @ query
        top = np.argsort(-scores)[:want]
        return [(int(self.ids[rows[n]]), float(scores[n])) for n in top]

    def feedback(self, stem_id: int, action: str, query_id: int | None = None) -> None:
        """Like or skip a stem (for the given query, else the session's last); the next search
        for the same prompt moves toward liked and away from skipped sounds."""
        query_id = query_id or self.catalog.last_query(self.session)
        self.catalog.add_feedback(stem_id, action, query_id, self.session)
        prompt = self.prompt_of.get(query_id) if query_id else None
        if prompt is None and query_id:
            prompt = self.catalog.prompt_of(query_id)
        if prompt is not None:
            self.remember(prompt, stem_id, action)

    def remember(self, prompt: str, stem_id: int, action: str) -> None:
        """In memory only: later searches for ``prompt`` move toward a liked stem and leave out
        a skipped one."""
        self.feedback_of.setdefault(_key(prompt), []).append((stem_id, action))


def _key(prompt: str) -> str:
    """Feedback is shared between queries whose prompts match after folding case and spaces."""
    return " ".join(prompt.lower().split())
