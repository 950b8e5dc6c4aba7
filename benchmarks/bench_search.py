"""Search figures: relevance of the default backend on Debian's lmms-common samples under
anonymised file names (next to chance and a file-name-only ranker), category accuracy by ear
on its drum one-shots, descriptor prompts (dark below bright, short below long; no LFO shape
answering "dark"), the share of results new to the user with and without discovery, and
latency and Annoy recall on a synthetic 100k-stem library (next to brute-force numpy in the
same run)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from unittest.mock import patch

import numpy as np
from scipy.signal import resample_poly

from dirigent.analysis import analyse
from dirigent.analysis.descriptors import NAMES
from dirigent.analysis.tonality import KEY_NAMES
from dirigent.audio_io import decode
from dirigent.catalog import Catalog
from dirigent.config import load_config
from dirigent.embed import listen
from dirigent.embed.lexicon import CATEGORIES
from dirigent.embed.listen import ListenEmbedder
from dirigent.ingest import ingest
from dirigent.path_tags import CategoryTable
from dirigent.search import Searcher

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache" / "debian"
PROMPTS = {"kick drum": "kick", "snare": "snare", "hi-hat": "hihat", "bass": "bass", "pad": "pad"}
MONOTONE = (  # (low, high, what the top 10 are compared by)
    ("dark sound", "bright sound", "centroid"),
    ("dark kick", "bright kick", "centroid"),
    ("dark pad", "bright pad", "centroid"),
    ("short", "long", "duration"),
    ("short kick", "long kick", "duration"),
)
CONCEPT_PROMPTS = ("dark", "deep", "dark sound", "distorted", "warm", "short")
NO_INSTRUMENT_FOLDERS = ("shapes", "waveforms")
KAISER = ("kaiser", 10.0)  # the rate converter of a DAW's bounce: ~100 dB stopband
ASKED = 3  # times the discovery session asks each prompt
N_SYNTHETIC = 100_000
N_QUERIES = 2000
FIRST_ASKS = 20  # rounds of the prompts asked with nothing kept for them


def lmms_samples() -> Path | None:
    samples = CACHE / "lmms-common" / "lmms" / "samples"
    if not samples.is_dir():
        script = ROOT / "scripts" / "fetch_debian_samples.sh"
        if (
            subprocess.run([str(script), str(CACHE), "lmms-common"], capture_output=True).returncode
            != 0
        ):
            return None
    return samples


@dataclass(frozen=True)
class Corpus:
    """lmms-common ingested under anonymised names, with the truth its original paths give."""

    db: Path
    truth: dict[str, str | None]  # anonymised path -> category of the original path
    folder: dict[str, str]  # anonymised path -> the top folder of the original ("drums")


@dataclass(frozen=True)
class Relevance:
    """P@10 per prompt and drum one-shot category accuracy of one embedder on the corpus."""

    p10: dict[str, float]
    drum_accuracy: float


def anonymised_corpus(samples: Path, work: Path, *, in_folders: bool = False) -> Corpus:
    """Copy lmms-common under anonymised names (``0123.ogg``) into ``work`` and ingest it;
    ``in_folders``: each in its original top folder (``drums/0123.ogg``)."""
    table = CategoryTable()
    lib = work / ("in-folders" if in_folders else "anonymous")
    lib.mkdir()
    truth: dict[str, str | None] = {}
    folder: dict[str, str] = {}
    files = sorted(p for p in samples.rglob("*") if p.suffix in (".ogg", ".wav", ".flac"))
    order = np.random.default_rng(0).permutation(len(files))
    for n, i in enumerate(order):
        source = files[i]
        rel = source.relative_to(samples)
        target = lib / (rel.parts[0] if in_folders else "") / f"{n:04d}{source.suffix}"
        target.parent.mkdir(exist_ok=True)
        shutil.copy(source, target)
        truth[str(target)] = table.classify(rel).category
        folder[str(target)] = rel.parts[0]
    config = load_config(env={"XDG_CONFIG_HOME": str(work / "x")})
    db = work / f"{lib.name}.duckdb"
    with Catalog(db) as catalog:
        ingest([lib], catalog, config)
    return Corpus(db, truth, folder)


def warm_searcher(corpus: Corpus, backend: ListenEmbedder, index_dir: Path) -> Searcher:
    """A searcher over the corpus with ``backend``'s vectors and index built in ``index_dir``
    (ranking needs no catalog after this)."""
    with Catalog(corpus.db) as catalog:
        searcher = Searcher(catalog, backend, index_dir)
        searcher.refresh()
    return searcher


def measure(corpus: Corpus, searcher: Searcher) -> Relevance:
    """P@10 of :data:`PROMPTS` and drum one-shot accuracy by ear."""
    p10 = {}
    for prompt, category in PROMPTS.items():
        results, _, _ = searcher.rank(prompt, top_k=10)
        p10[prompt] = float(np.mean([corpus.truth[r.path] == category for r in results]))
    drums = drum_one_shots(corpus, searcher)
    heard = [searcher.category(n) for n in drums]
    labels = [corpus.truth[str(searcher.paths[n])] for n in drums]
    accuracy = float(np.mean([h == lb for h, lb in zip(heard, labels, strict=True)]))
    return Relevance(p10, accuracy)


def drum_one_shots(corpus: Corpus, searcher: Searcher) -> list[int]:
    """Rows of the labelled one-shots from the drums folder."""
    return [
        n
        for n, path in enumerate(searcher.paths)
        if corpus.folder[str(path)] == "drums"
        and not searcher.is_loop[n]
        and corpus.truth[str(path)]
    ]


def relevance(samples: Path, work: Path) -> None:
    """P@10 per prompt on anonymised copies, and drum one-shot category accuracy by ear."""
    corpus = anonymised_corpus(samples, work)
    searcher = warm_searcher(corpus, ListenEmbedder(), work / "index")
    figures = measure(corpus, searcher)
    labels = [corpus.truth[str(p)] for p in searcher.paths]
    rng = np.random.default_rng(1)
    print(
        f"\nrelevance: lmms-common, {len(labels)} files under anonymised names "
        "(relevant: the category its original path gives)"
    )
    print(f"{'prompt':<12}{'relevant':>9}{'chance P@10':>13}{'names only':>12}{'listen P@10':>13}")
    for prompt, category in PROMPTS.items():
        relevant = np.array([lb == category for lb in labels])
        # a file-name ranker sees only "0123.ogg": no word matches, so its order is arbitrary
        names_only = np.mean(
            [relevant[rng.permutation(relevant.size)[:10]].mean() for _ in range(200)]
        )
        print(
            f"{prompt:<12}{relevant.sum():>9}{relevant.mean():>13.2f}{names_only:>12.2f}"
            f"{figures.p10[prompt]:>13.2f}"
        )
    drums = drum_one_shots(corpus, searcher)
    majority = max(np.mean([labels[n] == c for n in drums]) for c in CATEGORIES)
    print(
        f"\ndrum one-shots: {len(drums)}; category accuracy by ear {figures.drum_accuracy:.3f} "
        f"({round(figures.drum_accuracy * len(drums))} right; majority-class baseline "
        f"{majority:.2f}; the model never saw lmms-common)"
    )
    as_packs_have_them(corpus, searcher)
    filed = anonymised_corpus(samples, work, in_folders=True)
    kept = measure(filed, warm_searcher(filed, ListenEmbedder(), work / "index-in-folders"))
    print(
        "\nthe same files in their original folders (drums/0123.ogg: a folder's category counts "
        "for half, save drums for a one-shot): P@10 "
        + ", ".join(f"{prompt} {p:.2f}" for prompt, p in kept.p10.items())
        + f"; drum one-shots heard right {kept.drum_accuracy:.3f}"
    )
    descriptor_prompts(corpus, searcher)
    discovery(corpus, work)
    leaning = no_instruments_answering(corpus, searcher)
    with patch.object(listen, "NOT_OTHER", 0.0):  # the baseline: prompts that do not lean away
        fresh = warm_searcher(corpus, ListenEmbedder(), work / "index")  # its own text cache
        baseline = no_instruments_answering(corpus, fresh)
    shapes = sum(corpus.folder[str(p)] in NO_INSTRUMENT_FOLDERS for p in searcher.paths)
    print(
        f"\nno-instrument files ({shapes} of {len(labels)}: LFO shapes and single-cycle tables in "
        f"{' and '.join(f'{f}/' for f in NO_INSTRUMENT_FOLDERS)}) in the top 10"
    )
    print(f"{'prompt':<12}{'listen':>8}{'baseline: no lean':>19}{'chance':>8}")
    chance = 10 * shapes / len(labels)
    for prompt in CONCEPT_PROMPTS:
        print(f"{prompt:<12}{leaning[prompt]:>8}{baseline[prompt]:>19}{chance:>8.1f}")
    print("baseline: the same prompts not leaning away from the no-instrument dimension.")


def _converted(rate: int) -> Callable[[np.ndarray, int], tuple[np.ndarray, int]]:
    def convert(y: np.ndarray, sr: int) -> tuple[np.ndarray, int]:
        step = Fraction(rate, sr)
        return resample_poly(y, step.numerator, step.denominator, axis=1, window=KAISER), rate

    return convert


def _padded(
    lead_s: float, tail_s: float, offset: float = 0.0
) -> Callable[[np.ndarray, int], tuple[np.ndarray, int]]:
    def pad(y: np.ndarray, sr: int) -> tuple[np.ndarray, int]:
        return np.pad(y, ((0, 0), (int(lead_s * sr), int(tail_s * sr)))) + offset, sr

    return pad


# How files of the same sounds differ from pack to pack: rate, lead-in, padding, offset.
AS_PACKS_HAVE_THEM = {
    "converted to 48 kHz (as a DAW bounces)": _converted(48000),
    "converted to 96 kHz": _converted(96000),
    "a 50 ms lead-in of silence": _padded(0.05, 0.0),
    "padded with 1 s of silence": _padded(0.0, 1.0),
    "a DC offset of 0.02, 20 ms lead-in, 0.5 s tail": _padded(0.02, 0.5, 0.02),
}


def as_packs_have_them(corpus: Corpus, searcher: Searcher) -> None:
    """Drum one-shot accuracy by ear with the same files changed as packs differ
    (:data:`AS_PACKS_HAVE_THEM`), next to the files as they are, in the same run."""
    drums = drum_one_shots(corpus, searcher)
    labels = np.array([corpus.truth[str(searcher.paths[n])] for n in drums])
    paths = [Path(searcher.paths[n]) for n in drums]
    decoded = [decode(path.read_bytes(), path)[:2] for path in paths]
    backend = ListenEmbedder()

    def heard(change: Callable[[np.ndarray, int], tuple[np.ndarray, int]]) -> np.ndarray:
        analyses = [analyse(z, sr=rate) for z, rate in (change(y, sr) for y, sr in decoded)]
        x = np.vstack([a.descriptors for a in analyses])
        return backend.heard(x, np.array([a.is_loop for a in analyses]))

    as_is = heard(lambda y, sr: (y, sr))
    print(f"\n{'the drum one-shots':<48}{'heard right':>12}{'heard as the file':>19}")
    right = int(np.sum(as_is == labels))
    print(f"{'as the files are (44.1 kHz but one)':<48}{right:>6} / {len(drums)}")
    for name, change in AS_PACKS_HAVE_THEM.items():
        h = heard(change)
        right, same = int(np.sum(h == labels)), float(np.mean(h == as_is))
        print(f"{name:<48}{right:>6} / {len(drums)}{same:>19.3f}")


def descriptor_prompts(corpus: Corpus, searcher: Searcher) -> None:
    """Mean spectral centroid of the top 10 for dark / bright prompts, mean length for short /
    long: descriptor prompts must be monotone."""
    centroid = NAMES.index("centroid")

    def mean_of(prompt: str, column: str, catalog: Catalog) -> float:
        results, _, _ = searcher.rank(prompt, top_k=10)
        if column == "duration":
            return float(np.mean([r.duration for r in results]))
        ids = np.array(sorted(r.stem_id for r in results))
        return float(2 ** np.mean(catalog.descriptor_matrix(ids)[:, centroid]))

    print(
        "\ndescriptor prompts, top 10: spectral centroid (Hz, geometric mean) or length (s, mean)"
    )
    with Catalog(corpus.db, read_only=True) as catalog:
        for low, high, column in MONOTONE:
            a, b = mean_of(low, column, catalog), mean_of(high, column, catalog)
            print(f"{low:<12}{a:>9.2f}  <  {high:<13}{b:>9.2f}  {'yes' if a < b else 'NO'}")


def discovery(corpus: Corpus, work: Path) -> None:
    """A session that asks the five prompts :data:`ASKED` times each (a fresh log), plain and
    with ``discover``: the share of results new to the user (no search returned them before) and
    P@10, per round."""
    print(
        f"\ndiscovery: the {len(PROMPTS)} prompts asked {ASKED} times, each way on a fresh log; "
        "results new to you (the promise: over 40% with discover) and P@10, per round"
    )
    rounds = range(1, ASKED + 1)
    print(
        f"{'':<24}"
        + "".join(f"{f'new {n}':>8}" for n in rounds)
        + f"{'all':>8}    "
        + "".join(f"{f'P@10 {n}':>8}" for n in rounds)
    )
    for discover in (False, True):
        db = work / f"discovery-{int(discover)}.duckdb"
        shutil.copy(corpus.db, db)
        new, precision = [], []
        with Catalog(db) as catalog:
            searcher = Searcher(
                catalog, ListenEmbedder(), work / f"index-discovery-{int(discover)}"
            )
            searcher.refresh()
            for _ in range(ASKED):
                answers = [
                    (searcher.search(prompt, top_k=10, discover=discover).results, category)
                    for prompt, category in PROMPTS.items()
                ]
                new.append(np.mean([r.new for results, _ in answers for r in results]))
                precision.append(
                    np.mean([corpus.truth[r.path] == c for results, c in answers for r in results])
                )
        name = "with discover" if discover else "plain (the baseline)"
        print(
            f"{name:<24}"
            + "".join(f"{n:>8.0%}" for n in new)
            + f"{np.mean(new):>8.0%}    "
            + "".join(f"{p:>8.2f}" for p in precision)
        )


def no_instruments_answering(corpus: Corpus, searcher: Searcher) -> dict[str, int]:
    """How many of each concept prompt's top 10 are no instrument (lmms-common's LFO shapes and
    single-cycle tables)."""
    return {
        prompt: sum(
            corpus.folder[r.path] in NO_INSTRUMENT_FOLDERS
            for r in searcher.rank(prompt, top_k=10)[0]
        )
        for prompt in CONCEPT_PROMPTS
    }


def synthetic_library(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Descriptors of ``n`` plausible stems: the demo kit's, jittered, and loop flags."""
    from dirigent import demo_kit
    from dirigent.analysis import analyse

    with tempfile.TemporaryDirectory() as tmp:
        kit = demo_kit.generate(Path(tmp))
        base = []
        loops = []
        for f in kit:
            import soundfile as sf

            y, sr = sf.read(f.path, always_2d=True)
            a = analyse(y.T, sr=sr)
            base.append(a.descriptors)
            loops.append(a.is_loop)
    rng = np.random.default_rng(seed)
    base_arr = np.vstack(base)
    pick = rng.integers(0, len(base), n)
    spread = base_arr.std(axis=0) * 0.15
    return (base_arr[pick] + rng.normal(0, 1, (n, base_arr.shape[1])) * spread).astype(
        np.float32
    ), np.array(loops)[pick]


def latency(work: Path) -> None:
    """p50/p99 of in-process ranking at 100k stems, of prompts asked again and asked first;
    Annoy recall@10 against brute force."""
    backend = ListenEmbedder()
    descriptors, loops = synthetic_library(N_SYNTHETIC)
    backend.calibrate(descriptors)
    started = time.perf_counter()
    vectors = backend.vectors(descriptors, loops, [None] * N_SYNTHETIC)
    embed_s = time.perf_counter() - started
    ids = np.arange(1, N_SYNTHETIC + 1)
    # the in-memory state alone: an empty catalog stands by, ranking never reads it
    searcher = Searcher(Catalog(work / "empty.duckdb"), backend, work / "synthetic")
    index = searcher.index
    started = time.perf_counter()
    index.build(ids, vectors, "synthetic")
    build_s = time.perf_counter() - started
    rng = np.random.default_rng(3)
    table = {
        "id": ids,
        "path": np.array([f"/s/{i}.wav" for i in ids], dtype=object),
        "category": np.full(N_SYNTHETIC, "", dtype=object),
        "is_loop": loops,
        "duration": np.ones(N_SYNTHETIC),
        "bpm": np.where(loops, rng.choice([124.0, 128.0, 130.0, 140.0], N_SYNTHETIC), np.nan),
        "key": rng.choice(np.array(("",) + KEY_NAMES, dtype=object), N_SYNTHETIC),
        "quality": rng.random(N_SYNTHETIC),
    }
    searcher.use(table, vectors)

    words = [
        "kick",
        "dark kick",
        "punchy snare",
        "open hi-hat",
        "rolling bass",
        "warm pad",
        "industrial percussion",
        "metallic clap",
        "deep hypnotic kick",
        "bright stab",
    ]
    prompts = [words[i % len(words)] for i in range(N_QUERIES)]
    times, brute_times, recalls = [], [], []
    for prompt in prompts:
        started = time.perf_counter()
        searcher.rank(prompt, top_k=10)
        times.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        exact = ids[np.argpartition(-(vectors @ backend.embed_text(prompt)), 10)[:10]]
        brute_times.append((time.perf_counter() - started) * 1000)
    first_times = []  # a prompt asked for the first time: nothing kept for it yet
    for _ in range(FIRST_ASKS):
        searcher.use(table, vectors)
        for prompt in words:
            started = time.perf_counter()
            searcher.rank(prompt, top_k=10)
            first_times.append((time.perf_counter() - started) * 1000)
    suggest_times = []
    for row in rng.integers(0, N_SYNTHETIC, 200):
        taste = vectors[rng.integers(0, N_SYNTHETIC, 3)].mean(axis=0)  # three liked stems
        started = time.perf_counter()
        searcher.complements(int(row), taste=taste, top_k=8)
        suggest_times.append((time.perf_counter() - started) * 1000)
    # recall of the index alone (rank also drops hits below --min-similarity)
    queries = [backend.embed_text(w) for w in words]
    queries += [vectors[row] for row in rng.integers(0, N_SYNTHETIC, 500)]  # "more like this"
    for query in queries:
        found, _ = index.query(query, 10)
        exact = ids[np.argpartition(-(vectors @ query), 10)[:10]]
        recalls.append(len(set(exact.tolist()) & set(found.tolist())) / 10)
    print(
        f"\nsynthetic library: {N_SYNTHETIC} stems, {backend.dim}-d; embedding "
        f"{embed_s:.1f} s, Annoy build {build_s:.1f} s"
    )
    print(f"{'search (top 10)':<34}{'p50 ms':>9}{'p99 ms':>9}")
    print(
        f"{'dirigent rank (Annoy, in-process)':<34}{np.percentile(times, 50):>9.2f}"
        f"{np.percentile(times, 99):>9.2f}"
    )
    print(
        f"{'the same, a prompt asked first':<34}{np.percentile(first_times, 50):>9.2f}"
        f"{np.percentile(first_times, 99):>9.2f}"
    )
    print(
        f"{'baseline: brute-force numpy':<34}{np.percentile(brute_times, 50):>9.2f}"
        f"{np.percentile(brute_times, 99):>9.2f}"
    )
    print(
        f"{'suggest (8 complements, a taste)':<34}{np.percentile(suggest_times, 50):>9.2f}"
        f"{np.percentile(suggest_times, 99):>9.2f}"
    )
    print(
        f"asked first: {FIRST_ASKS} rounds of the {len(words)} prompts with nothing kept for them "
        "(as after the\nlibrary changed): a concept beside a category ranks the category's "
        "sounds anew."
    )
    print(
        f"Annoy recall@10 against brute force: {np.mean(recalls):.3f} "
        f"({len(recalls)} queries: {len(words)} prompts and 500 item vectors)"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        samples = lmms_samples()
        if samples is None:
            print("lmms-common could not be fetched: relevance skipped", file=sys.stderr)
        else:
            relevance(samples, work)
        latency(work)


if __name__ == "__main__":
    main()
