"""The default embedding backend, "listen": offline, no weights to download, no torch.

A sound becomes an interpretable vector: what it is (category probabilities from the audio
classifier, then each category's probability from its own detector, both blended with the
category its file name gives where it gives one), whether it is a loop, and how it sounds on
~24 producer concepts (dark, punchy, metallic, ...), each a percentile within the user's own
library. A prompt becomes a vector on the same dimensions through the producer lexicon.
Similarity is the cosine of the two."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from dirigent.analysis import analyse
from dirigent.analysis.descriptors import DESCRIPTOR_VERSION, NAMES
from dirigent.embed import classifier
from dirigent.embed.base import StemRecord, normalise
from dirigent.embed.lexicon import CATEGORIES, CONCEPTS, OTHER, TYPES, understand
from dirigent.errors import DirigentError
from dirigent.npfile import read_npz

W_CATEGORY = 1.0
# The detectors' block, against the classifier's. On held-out kits of the training material any
# weight from 0 to 1.2 ranks as well (mean average precision within 0.002); on unlike material
# (lmms-common, README) 0.8 and 1 lift pad and bass prompts, and 0.8 did best there.
W_DETECT = 0.8
W_TYPE = 0.4
W_CONCEPT = 0.2
TEXT_CONCEPT = 1.0  # a concept named in a prompt weighs like a category named in it
NAME_WEIGHT = 0.5  # share of the category a file name decides, where it names one
QUANTILES = np.linspace(0, 1, 101)
VECTOR_LAYOUT = 4  # how a sound becomes a vector; 2: "other" carries the model's probability;
# 3: the detectors' block follows the classifier's; 4: a one-shot's "drums" name counts for none
RECALIBRATE_SHARE = 0.1  # stems added or gone since the calibration before it is taken anew:
# one new render is embedded on the calibration in place, not the whole library again
MIN_CATEGORY = 0.2  # a vector leaning less than this to any category has none
# A concept named beside one category ("bright kick": bright for a kick) also ranks that
# category's sounds by it among themselves: this weight times the sound's percentile of the
# concept among the sounds heard as the category, times the square of its share of the
# category (a sound barely heard as one is barely moved); one said no to ("not distorted")
# lifts those with the least of it. A concept alone is a percentile in the whole library,
# where every kick is dark: without this, which kicks make a top 10 was the category's
# confidence alone. On lmms-common's 25 pairs of five categories and five opposed concepts,
# 0.1 puts every pair in order (23 before) and moves precision little (of 50 top tens, 6 lose
# a hit and 5 gain one: 0.856 against 0.860).
WITHIN = 0.1
# A category a prompt names also reaches, at this share, the one a producer takes in its place:
# a drum loop answers "percussion loop" better than a bass loop does.
RELATED: dict[str, dict[str, float]] = {"perc": {"drums": 0.5}, "drums": {"perc": 0.5}}

# Concept -> weights on standardised descriptors; each concept is the percentile, within the
# library, of this weighted sum.
_D = {name: i for i, name in enumerate(NAMES)}
CONCEPT_RECIPES: dict[str, dict[str, float]] = {
    "bright": {"centroid": 1.0, "rolloff": 0.5, "band_high": 0.5, "band_air": 0.5},
    "dark": {"centroid": -1.0, "rolloff": -0.5, "band_high": -0.5, "band_air": -0.5},
    "punchy": {"crest_db": 0.6, "log_attack": -1.0, "band_bass": 0.4, "log_decay": -0.3},
    "soft": {"crest_db": -0.6, "log_attack": 1.0, "band_bass": -0.4},
    "boomy": {"band_sub": 0.7, "band_bass": 0.7, "log_decay": 0.5},
    "deep": {"band_sub": 1.0, "centroid": -0.5},
    "crisp": {"band_high": 0.6, "band_air": 0.4, "log_attack": -0.6, "log_decay": -0.3},
    "metallic": {"band_highmid": 0.6, "band_high": 0.3, "flatness": -0.4, "harmonicity": 0.3},
    "distorted": {"crest_db": -0.8, "bandwidth": 0.5, "zcr": 0.3, "flatness": 0.3},
    "clean": {"crest_db": 0.8, "bandwidth": -0.5, "zcr": -0.3, "flatness": -0.3},
    "airy": {"band_air": 1.0, "flatness": 0.3},
    "warm": {"band_lowmid": 0.7, "band_bass": 0.3, "band_high": -0.5, "band_air": -0.3},
    "tight": {"log_decay": -1.0, "log_duration": -0.5},
    "long": {"log_duration": 1.0, "log_decay": 0.5},
    "short": {"log_duration": -1.0, "log_decay": -0.5},
    "rolling": {"onset_rate": 1.0, "band_bass": 0.3},
    "hypnotic": {"onset_rate": 0.4, "level_slope": -0.3, "log_duration": 0.4, "harmonicity": 0.3},
    "industrial": {"crest_db": -0.5, "band_highmid": 0.4, "centroid": -0.3, "flatness": 0.4},
    "acid": {"flux": 0.6, "harmonicity": 0.5, "band_mid": 0.5, "band_bass": 0.3},
    "noisy": {"flatness": 1.0, "harmonicity": -0.3},
    "tonal": {"harmonicity": 1.0, "flatness": -0.5},
    "rising": {"level_slope": 1.0, "centroid_slope": 1.0},
    "fast": {"onset_rate": 1.0},
    "wide": {"width": 1.0},
}
# No word points at OTHER: it takes up the length of vectors of sounds that are no instrument,
# so they match nothing much; and every prompt leans away from it by NOT_OTHER (a term weighs
# 1), as every prompt asks for a sound, while an LFO shape or a single-cycle table is the
# darkest, deepest, shortest thing in a library. On lmms-common 0.25 to 0.5 keep those out of
# the top 10 of concept prompts at unchanged P@10; 1 costs "kick drum" a hit. The detectors'
# block repeats the category names.
NOT_OTHER = 0.5
DIMENSIONS = (*CATEGORIES, OTHER, *CATEGORIES, OTHER, *TYPES, *CONCEPTS)
DETECTED = len(CATEGORIES) + 1  # where the detectors' block starts
TYPES_AT = 2 * DETECTED  # where the loop / one-shot block starts
HEARD = np.array([*CATEGORIES, ""])  # what the classifier's block names; other: none


def _name_counts(name: str | None, is_loop: bool) -> bool:
    """Whether a file-name category takes its share of a sound's category: not "drums" (a
    drum loop) for a one-shot, which is filed under "Drums" as some drum, not as a loop."""
    return name in CATEGORIES and (name != "drums" or is_loop)


@dataclass(frozen=True)
class Calibration:
    """Descriptor mean and spread and the quantiles of every concept's raw score, all taken
    over one library of ``n`` sounds; ``save``/``load`` keep it beside the index."""

    mean: np.ndarray
    scale: np.ndarray
    quantiles: np.ndarray  # (len(CONCEPTS), len(QUANTILES))
    n: int = 0  # sounds it was taken over (0: unknown, a file from before it was kept)
    added: int = 0  # sounds embedded on it since, in place

    @classmethod
    def of(cls, descriptors: np.ndarray) -> Calibration:
        """Calibration over a library's descriptors ``(n, d)``."""
        mean = descriptors.mean(axis=0)
        scale = descriptors.std(axis=0) + 1e-6
        raw = _raw_concepts((descriptors - mean) / scale)
        return cls(mean, scale, np.quantile(raw, QUANTILES, axis=0).T, len(descriptors))

    def fits(self, size: int, new: int) -> bool:
        """Whether it still stands for a library now of ``size`` sounds with ``new`` more to
        embed: a library that grew, shrank or was renewed by more than
        :data:`RECALIBRATE_SHARE` since is calibrated anew (and all its vectors made anew)."""
        share = RECALIBRATE_SHARE * self.n
        return self.n > 0 and abs(size - self.n) <= share and self.added + new <= share

    def save(self, path: Path) -> None:
        """Write as ``.npz``."""
        np.savez(path, **asdict(self))

    @classmethod
    def load(cls, path: Path) -> Calibration:
        """Read what :meth:`save` wrote."""
        z = read_npz(path)
        counts = [int(z[k]) if k in z else 0 for k in ("n", "added")]
        return cls(z["mean"], z["scale"], z["quantiles"], *counts)


def _raw_concepts(z: np.ndarray) -> np.ndarray:
    weights = np.zeros((len(NAMES), len(CONCEPTS)), dtype=np.float32)
    for j, concept in enumerate(CONCEPTS):
        for name, w in CONCEPT_RECIPES[concept].items():
            weights[_D[name], j] = w
    return z @ weights


class ListenEmbedder:
    """Categories (classifier, then detectors) + loop flag + calibrated concepts, from timbre
    descriptors."""

    name = "listen"
    dim = len(DIMENSIONS)

    def __init__(self, model: classifier.CategoryModel | None = None) -> None:
        """On ``model``, or on the shipped model file, whose trees are read the first time a
        sound is embedded (or by :meth:`warm`): vectors already stored need only its name."""
        facts = model or classifier.identify()
        if facts.descriptor_version != DESCRIPTOR_VERSION:
            raise DirigentError(
                f"category model was trained on descriptors v{facts.descriptor_version}, "
                f"this Dirigent computes v{DESCRIPTOR_VERSION}: retrain it"
            )
        self.version = f"v{VECTOR_LAYOUT}.descriptors-v{DESCRIPTOR_VERSION}.model-{facts.digest}"
        self.calibration: Calibration | None = None
        self._class_index = [
            facts.classes.index(c) if c in facts.classes else -1 for c in (*CATEGORIES, OTHER)
        ]
        self._digest = facts.digest
        self._model = model
        self._model_lock = threading.Lock()

    @property
    def model(self) -> classifier.CategoryModel:
        """The category model (its trees read from the file the first time); a file replaced
        since its vectors were named is refused, as its trees would make other vectors."""
        with self._model_lock:
            if self._model is None:
                model = classifier.load()
                if model.digest != self._digest:
                    raise DirigentError(
                        f"the category model {classifier.DEFAULT_MODEL} changed since this "
                        "backend named its vectors: restart to serve the new one"
                    )
                self._model = model
            return self._model

    def warm(self) -> None:
        """Read the category model's trees now, not when the first sound is embedded."""
        _ = self.model

    def calibrate(self, descriptors: np.ndarray) -> Calibration:
        """Take the library's descriptors as the reference for concept percentiles."""
        self.calibration = Calibration.of(descriptors)
        return self.calibration

    def load_calibration(self, path: Path) -> None:
        """Use a calibration saved beside the index."""
        self.calibration = Calibration.load(path)

    def count_in_place(self, count: int, path: Path) -> None:
        """Count ``count`` sounds embedded on the calibration in place (against the share
        after which it is taken anew) and save it to ``path``."""
        if self.calibration is None:
            raise DirigentError("no calibration to count against")
        self.calibration = replace(self.calibration, added=self.calibration.added + count)
        self.calibration.save(path)

    def categories(self, vectors: np.ndarray) -> np.ndarray:
        """The category each vector leans to most; "" where none stands out, or where the
        classifier hears no instrument (``other``) more than any category: a single-cycle table
        heard 0.6 other and 0.3 bass is no bass, and must not pass a ``--category bass``
        filter."""
        vectors = np.atleast_2d(vectors)
        block = vectors[:, : len(CATEGORIES) + 1]  # the classifier's categories, then other
        best = block.argmax(axis=1)
        strength = block.max(axis=1) / np.maximum(np.linalg.norm(vectors, axis=-1), 1e-9)
        return np.where(strength > MIN_CATEGORY, HEARD[best], "")

    def heard(self, descriptors: np.ndarray, is_loop: np.ndarray) -> np.ndarray:
        """The category each sound is heard as, by ear alone (its name plays no part); ""
        where the classifier hears no instrument (``other``) more than any category."""
        return HEARD[
            self.category_probabilities(np.atleast_2d(descriptors), is_loop).argmax(axis=1)
        ]

    @staticmethod
    def heard_in(vectors: np.ndarray, named: Sequence[str | None]) -> np.ndarray:
        """What :meth:`heard` says of the sounds that :meth:`vectors` made these of, with these
        file-name categories, read back from the vectors (no trees walked): the classifier's
        block with the name's share taken out. The type block, ``W_TYPE`` in one of its two
        entries before the vector was scaled to unit length, gives the scale."""
        vectors = np.atleast_2d(vectors)
        if not vectors.size:  # none stored: (0, 0)
            return np.zeros(0, dtype=str)
        scale = vectors[:, TYPES_AT : TYPES_AT + 2].max(axis=1) / W_TYPE
        block = vectors[:, :DETECTED] / (W_CATEGORY * np.maximum(scale, 1e-12))[:, None]
        loops = vectors[:, TYPES_AT] > vectors[:, TYPES_AT + 1]
        for row, name in enumerate(named):
            if _name_counts(name, bool(loops[row])):
                block[row, CATEGORIES.index(name)] -= NAME_WEIGHT
        return HEARD[block.argmax(axis=1)]

    def category_probabilities(self, descriptors: np.ndarray, is_loop: np.ndarray) -> np.ndarray:
        """Probabilities over :data:`CATEGORIES` and ``other`` (no instrument: an oscillator
        table, a click), by ear; one-shots cannot be drum loops."""
        return self._arrange(self.model.classifier.probabilities(descriptors), is_loop)

    def detections(self, descriptors: np.ndarray, is_loop: np.ndarray) -> np.ndarray:
        """Each category's probability from its own detector, laid out as
        :meth:`category_probabilities`."""
        return self._arrange(self.model.detectors.probabilities(descriptors), is_loop)

    def _arrange(self, p: np.ndarray, is_loop: np.ndarray) -> np.ndarray:
        out = np.zeros((p.shape[0], len(CATEGORIES) + 1), dtype=np.float32)
        for j, i in enumerate(self._class_index):
            if i >= 0:
                out[:, j] = p[:, i]
        out[~np.asarray(is_loop, dtype=bool), CATEGORIES.index("drums")] = 0
        return out

    def concepts(self, descriptors: np.ndarray) -> np.ndarray:
        """Concept scores in 0..1 (percentiles in the calibrated library), ``(n, concepts)``."""
        calibration = self.calibration or Calibration.of(np.atleast_2d(descriptors))
        raw = _raw_concepts((np.atleast_2d(descriptors) - calibration.mean) / calibration.scale)
        return np.stack(
            [
                np.interp(raw[:, j], calibration.quantiles[j], QUANTILES)
                for j in range(len(CONCEPTS))
            ],
            axis=1,
        ).astype(np.float32)

    def vectors(
        self, descriptors: np.ndarray, is_loop: np.ndarray, named: Sequence[str | None]
    ) -> np.ndarray:
        """Unit vectors of sounds from their descriptors, loop flags and file-name categories."""
        descriptors = np.atleast_2d(descriptors)
        categories = self.category_probabilities(descriptors, is_loop)
        detected = self.detections(descriptors, is_loop)
        for row, name in enumerate(named):
            if _name_counts(name, bool(is_loop[row])):
                for block in (categories, detected):
                    block[row] *= 1 - NAME_WEIGHT
                    block[row, CATEGORIES.index(name)] += NAME_WEIGHT
        loops = np.asarray(is_loop, dtype=np.float32)[:, None]
        types = np.hstack([loops, 1 - loops])
        concepts = 2 * self.concepts(descriptors) - 1
        return normalise(
            np.hstack(
                [
                    W_CATEGORY * categories,
                    W_DETECT * detected,
                    W_TYPE * types,
                    W_CONCEPT * concepts,
                ]
            )
        )

    def embed_stems(self, stems: Sequence[StemRecord]) -> np.ndarray:
        """Vectors of catalogued stems from their stored descriptors."""
        if any(s.descriptors is None for s in stems):
            raise DirigentError("the listen backend embeds stems from stored descriptors")
        descriptors = np.vstack([s.descriptors for s in stems])  # type: ignore[misc]
        return self.vectors(
            descriptors, np.array([s.is_loop for s in stems]), [s.category for s in stems]
        )

    def embed_audio(self, y: np.ndarray, *, sr: int) -> np.ndarray:
        """Vector of a sound not in the catalog (a ``--like`` file), analysed here."""
        analysis = analyse(np.atleast_2d(y), sr=sr)
        return self.vectors(analysis.descriptors[None], np.array([analysis.is_loop]), [None])[0]

    def embed_texts(self, prompts: Sequence[str]) -> np.ndarray:
        """Vectors of prompts through the lexicon; a prompt with no known word is all zeros."""
        out = np.zeros((len(prompts), self.dim), dtype=np.float32)
        weight = {
            **dict.fromkeys(CATEGORIES, W_CATEGORY),
            **dict.fromkeys(TYPES, W_TYPE),
            **dict.fromkeys(CONCEPTS, TEXT_CONCEPT),
        }
        for row, prompt in enumerate(prompts):
            for term in understand(prompt)[0]:
                w = term.weight * weight[term.dimension]
                targets = {term.dimension: 1.0, **RELATED.get(term.dimension, {})}
                for dimension, share in targets.items():
                    out[row, DIMENSIONS.index(dimension)] += w * share
                    if dimension in CATEGORIES:
                        detector = DETECTED + CATEGORIES.index(dimension)
                        out[row, detector] += term.weight * share * W_DETECT
            if np.any(out[row]):
                other = DIMENSIONS.index(OTHER)
                out[row, other] -= NOT_OTHER
                out[row, DETECTED + other] -= NOT_OTHER * W_DETECT
        return normalise(out)

    def embed_text(self, prompt: str) -> np.ndarray:
        """Vector of one prompt."""
        return self.embed_texts([prompt])[0]

    @staticmethod
    def within(prompt: str) -> tuple[str, dict[int, float]] | None:
        """For a prompt that names one category and concepts ("bright kick", "kick, not
        distorted"): the category and each concept's dimension with its weight (below 0: said
        no to), which rank the category's sounds among themselves (:data:`WITHIN`); else
        None."""
        terms = understand(prompt)[0]
        named = {t.dimension for t in terms if t.dimension in CATEGORIES and t.weight > 0}
        concepts: dict[int, float] = {}
        for t in terms:
            if t.dimension in CONCEPTS:
                at = DIMENSIONS.index(t.dimension)
                concepts[at] = concepts.get(at, 0.0) + t.weight
        concepts = {at: w for at, w in concepts.items() if w}
        return (named.pop(), concepts) if len(named) == 1 and concepts else None

    @staticmethod
    def lift_within(concept: np.ndarray, confidence: np.ndarray) -> np.ndarray:
        """What a concept named beside a category adds to the score of each of the sounds
        heard as it, from their values of the concept and of the category: :data:`WITHIN` x
        its percentile of the concept among them x the square of its share of the category (of
        the surest one's)."""
        if not concept.size:
            return np.zeros(0, dtype=np.float32)
        percentile = np.empty(concept.size, dtype=np.float32)
        percentile[np.argsort(concept, kind="stable")] = np.arange(concept.size)
        percentile /= max(concept.size - 1, 1)
        share = confidence / max(float(confidence.max()), 1e-9)
        return (WITHIN * percentile * share**2).astype(np.float32)

    def unknown_words(self, prompt: str) -> list[str]:
        """The words its lexicon does not know ("dusty" in "dusty kick")."""
        return list(understand(prompt)[1])

    def explain(self, query: np.ndarray, item: np.ndarray) -> str:
        """The dimensions that carried the match, strongest first ("kick · dark · punchy")."""
        contribution, item = query * item, item.copy()
        for block in (contribution, item):  # a category counts once: both blocks together
            block[: len(CATEGORIES)] += block[DETECTED : DETECTED + len(CATEGORIES)]
            block[DETECTED : 2 * DETECTED] = 0
        order = np.argsort(-contribution)[:3]
        order = order[contribution[order] > 0]  # the positive ones sort first
        if not order.size:
            order = np.argsort(-item)[:2]
        return " · ".join(("not " if query[i] < 0 else "") + DIMENSIONS[i] for i in order)
