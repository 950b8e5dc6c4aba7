"""Search by ear: lexicon, prompt constraints, the index, ranking, feedback and discovery."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dirigent import demo_kit, search
from dirigent.analysis import analyse
from dirigent.analysis.descriptors import NAMES
from dirigent.analysis.tonality import relative_key
from dirigent.catalog import Catalog
from dirigent.config import load_config
from dirigent.embed import classifier, lexicon
from dirigent.embed.lexicon import CATEGORIES, CONCEPTS, OTHER, TONAL, TYPES, understand
from dirigent.embed.listen import DIMENSIONS, WITHIN, Calibration, ListenEmbedder
from dirigent.errors import DirigentError, ParameterError
from dirigent.index import VectorIndex
from dirigent.ingest import ingest
from dirigent.npfile import read_npz
from dirigent.search import (
    SUBSET_SHARE,
    SUBSETS,
    Constraints,
    Kept,
    Rows,
    Searcher,
    _discovering,
    _top,
    parse_prompt,
)
from tests.conftest import assert_fully_indexed, write_bass_renders


@pytest.mark.parametrize(
    ("prompt", "dimensions"),
    [
        (
            "dark hypnotic techno kick with industrial texture",
            [("dark", 1), ("hypnotic", 1), ("kick", 1), ("industrial", 1)],
        ),
        ("Hi-Hat, not distorted", [("hihat", 1), ("distorted", -1)]),
        ("eine düstere Bassdrum, nicht verzerrt", [("dark", 1), ("kick", 1), ("distorted", -1)]),
        ("dunkler treibender Bass", [("dark", 1), ("rolling", 1), ("bass", 1)]),
        ("snares", [("snare", 1)]),
        ("crisp closed hi-hat", [("crisp", 1), ("tight", 1), ("hihat", 1)]),
        ("open hat", [("airy", 1), ("hihat", 1)]),
        ("Snare ohne Hall", [("snare", 1), ("long", -1)]),
        ("dark riser", [("dark", 1), ("fx", 1), ("rising", 1)]),
        ("no downlifter", [("fx", -1), ("rising", 1)]),
        ("303", [("bass", 1), ("acid", 1)]),
        ("dub chord ohne vinyl", [("long", 1), ("synth", 1), ("fx", -1), ("noisy", -1)]),
        ("schranz kick", [("industrial", 1), ("kick", 1)]),
        ("glitch", [("fx", 1)]),
        ("Klatschen mit Echo", [("clap", 1), ("long", 1)]),
        ("dunkle Akkorde, Arpeggio", [("dark", 1), ("synth", 1), ("synth", 1)]),
        ("white noise riser", [("noisy", 1), ("fx", 1), ("rising", 1)]),
        ("reverse cymbal", [("rising", 1), ("cymbal", 1)]),
        ("snare roll, shuffled", [("snare", 1), ("fast", 1), ("rolling", 1)]),
        ("lush marimba", [("wide", 1), ("synth", 1)]),
        ("Fingerschnippen", [("clap", 1)]),
        ("vocal chop", [("vocal", 1), ("short", 1)]),
        ("thumping kick, not filthy", [("punchy", 1), ("kick", 1), ("distorted", -1)]),
        ("tape chords, lo-fi", [("warm", 1), ("synth", 1), ("noisy", 1)]),
        ("sine bass with sustain", [("clean", 1), ("bass", 1), ("long", 1)]),
        ("stampfende Bassdrum", [("punchy", 1), ("kick", 1)]),
        ("rauschige Flöte", [("noisy", 1), ("synth", 1)]),
        ("Kuhglocke, Rassel", [("perc", 1), ("perc", 1)]),  # not a bell of a synth
        ("tiefe Basstrommel", [("deep", 1), ("kick", 1)]),
        ("Sprachfetzen", [("vocal", 1)]),
        # a hyphenated word not known as one is read part by part; hi-hat and lo-fi are words
        ("treibende Percussion-Schleife", [("rolling", 1), ("perc", 1), ("loop", 1)]),
        ("Acid-Bass, non-distorted", [("acid", 1), ("bass", 1), ("distorted", -1)]),
        ("lo-fi hi-hat", [("noisy", 1), ("hihat", 1)]),
    ],
)
def test_lexicon(prompt: str, dimensions: list[tuple[str, int]]) -> None:
    terms, _ = understand(prompt)
    assert [(t.dimension, int(t.weight)) for t in terms] == dimensions


@pytest.mark.parametrize(
    ("prompt", "dimensions"),
    [
        ("808", [("boomy", 1.0), ("kick", 0.5), ("bass", 0.5)]),  # alone: its sub kick / bass
        ("TR-808 snare", [("boomy", 1.0), ("snare", 1.0)]),  # beside a category: a colour
        ("punchy 808 Kick", [("punchy", 1.0), ("boomy", 1.0), ("kick", 1.0)]),
        ("no 808", [("boomy", -1.0), ("kick", -0.5), ("bass", -0.5)]),
        ("909 hats", [("punchy", 1.0), ("hihat", 1.0)]),
        ("gabber", [("distorted", 1.0), ("kick", 1.0)]),
        ("gabber bass", [("distorted", 1.0), ("bass", 1.0)]),
        ("hoover", [("wide", 1.0), ("synth", 1.0)]),
        ("jungle break", [("fast", 1.0), ("drums", 1.0)]),
        ("amen", [("fast", 1.0), ("drums", 1.0)]),
        ("supersaw lead", [("wide", 1.0), ("synth", 1.0)]),
        ("minimal click", [("hypnotic", 1.0), ("short", 1.0), ("perc", 1.0)]),
    ],
)
def test_a_machine_or_style_means_its_sound_alone_and_colours_a_category(
    prompt: str, dimensions: list[tuple[str, float]]
) -> None:
    terms, unknown = understand(prompt)
    assert [(t.dimension, t.weight) for t in terms] == dimensions and not unknown


def test_every_dimension_is_understood_by_its_own_name() -> None:
    for name in (*CATEGORIES, *CONCEPTS, *TYPES):
        terms, unknown = understand(name.upper())
        assert [t.dimension for t in terms][:1] == [name] and not unknown, name


def test_a_category_option_is_a_category_by_name_in_any_case_and_a_typo_lists_them() -> None:
    assert [lexicon.category(c.upper()) for c in CATEGORIES] == list(CATEGORIES)
    assert lexicon.category(" Hihat ") == "hihat"
    for typo in ("kik", "hi-hat", "other", ""):  # a word a prompt knows is not a category name
        with pytest.raises(ParameterError, match=f"unknown category {typo!r} \\(one of kick, "):
            lexicon.category(typo)


@pytest.mark.parametrize(
    ("prompt", "constraints", "words"),
    [
        ("fast percussion loop 130bpm", Constraints(bpm=130, loop=True), "fast percussion loop"),
        ("kick at 128 BPM", Constraints(bpm=128), "kick"),
        ("dark pad in A minor", Constraints(key="Am"), "dark pad"),
        ("bass in F# minor", Constraints(key="F#m"), "bass"),
        ("dark pad in A-minor", Constraints(key="Am"), "dark pad"),
        # German names with Moll and Dur: H is B, B is B flat, -is sharp, -es or -s flat
        ("Bass in a-Moll", Constraints(key="Am"), "Bass"),
        ("Pad in fis-moll", Constraints(key="F#m"), "Pad"),
        ("Bass in H-Moll", Constraints(key="Bm"), "Bass"),
        ("Bass in b-Moll", Constraints(key="A#m"), "Bass"),
        ("Stab in Es-Dur", Constraints(key="D#"), "Stab"),
        ("Stab in Des Dur", Constraints(key="C#"), "Stab"),
        ("Bass in F#-Moll", Constraints(key="F#m"), "Bass"),  # an English name, a German mode
        ("Bass in Bb moll", Constraints(key="A#m"), "Bass"),
        ("stab in C", Constraints(key="C"), "stab"),
        ("one-shot kick", Constraints(loop=False), "one-shot kick"),
        ("short clap", Constraints(short=True), "short clap"),
        ("punchy kick", Constraints(), "punchy kick"),
        ("dark loop, no kick", Constraints(loop=True, exclude=("kick",)), "dark loop, no kick"),
        (
            "ohne Snare, nicht verzerrt",
            Constraints(exclude=("snare",)),
            "ohne Snare, nicht verzerrt",
        ),
        ("no 808", Constraints(), "no 808"),  # a colour said no to, not every kick and bass
    ],
)
def test_parse_prompt(prompt: str, constraints: Constraints, words: str) -> None:
    assert parse_prompt(prompt) == (constraints, words)


# --- the index ------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [5, 10, 300, 4096, 40_000, 40_037])
@pytest.mark.parametrize("k", [1, 10, 80])
def test_top_is_exact(n: int, k: int, rng: np.random.Generator) -> None:
    scores = rng.standard_normal(n).astype(np.float32)
    scores[rng.integers(0, n, n // 10)] = scores.max()  # ties at the top
    scores[-3:] = [5.0, 4.0, 5.0] if n > 3 else scores[-3:]  # the best in the ragged tail
    top = _top(scores, k)
    assert len(set(top.tolist())) == top.size == min(k, n)
    np.testing.assert_array_equal(scores[top], np.sort(scores)[::-1][: min(k, n)])


def test_index_round_trip_and_refusals(tmp_path: Path, rng: np.random.Generator) -> None:
    ids = np.arange(100, 300)
    vectors = rng.standard_normal((200, 16)).astype(np.float32)
    index = VectorIndex(tmp_path, "test", 16)
    index.build(ids, vectors, "state-1")
    assert not list(tmp_path.glob("*tmp*"))
    found, scores = index.query(vectors[5], 3)
    assert found[0] == 105 and scores[0] == pytest.approx(1.0, abs=1e-4)

    fresh = VectorIndex(tmp_path, "test", 16)
    assert fresh.load("state-1") is None
    assert "stale" in (VectorIndex(tmp_path, "test", 16).load("state-2") or "")
    assert "dim" not in (VectorIndex(tmp_path, "test", 8).load("state-1") or "dim")
    meta = json.loads(index.meta_path.read_text())
    index.meta_path.write_text(json.dumps({**meta, "checksum": "0f" * 16}))  # BLAKE2b, before
    assert "older Dirigent" in (VectorIndex(tmp_path, "test", 16).load("state-1") or "")
    index.meta_path.write_text(json.dumps(meta))
    data = bytearray(index.ann_path.read_bytes())
    data[100:108] = b"garbage!"
    index.ann_path.write_bytes(bytes(data))
    assert "corrupt" in (VectorIndex(tmp_path, "test", 16).load("state-1") or "")
    index.meta_path.write_text("{not json")
    assert "unreadable" in (VectorIndex(tmp_path, "test", 16).load("state-1") or "")


def test_filtered_searches_kept_for_repeats_answer_as_a_fresh_scan(
    tmp_path: Path, rng: np.random.Generator
) -> None:
    """Each filter's passing rows and vectors are kept for the prompts that repeat; answers
    stay those of an exact scan of the rows that pass, whatever came before, and what is
    kept stays within its bounds."""
    n, backend = 3000, ListenEmbedder()
    loops = rng.random(n) < 0.4
    vectors = np.asarray(
        [v / np.linalg.norm(v) for v in rng.standard_normal((n, backend.dim))], dtype=np.float32
    )
    searcher = Searcher(Catalog(tmp_path / "empty.duckdb"), backend, tmp_path / "index")
    searcher.use(
        {
            "id": np.arange(1, n + 1),
            "path": np.array([f"/s/{i}.wav" for i in range(n)], dtype=object),
            "category": rng.choice(np.array(["kick", "bass", "pad", ""], dtype=object), n),
            "is_loop": loops,
            "duration": rng.uniform(0.1, 4.0, n),
            "bpm": np.where(loops, rng.choice([124.0, 128.0, 140.0], n), np.nan),
            "key": rng.choice(np.array(["", "A", "Am", "C", "F#m"], dtype=object), n),
            "quality": rng.random(n),
        },
        vectors,
    )
    prompts = [
        "dark loop 128bpm",
        "bass loop in A minor",  # a tonal ask: drums without a key are left out...
        "loop in A minor",  # ...and here they fit
        "short punchy one-shot",
        "no kick",
        "warm loop",
        *(f"kick {bpm} bpm" for bpm in range(100, 160, 2)),  # more filters than are kept
    ]
    for prompt in [*prompts, *reversed(prompts), *prompts[:6]]:
        constraints, words = parse_prompt(prompt)
        passing = np.flatnonzero(searcher._mask(constraints, words))
        query = searcher._embed_text(words)
        expected = passing[_top(vectors[passing] @ query, 10)]
        results, _, _ = searcher.rank(prompt, top_k=10, min_similarity=-1.0)
        assert [r.stem_id for r in results] == (expected + 1).tolist(), prompt
        example = vectors[rng.integers(n)]  # "more like this": every dimension weighs
        expected = passing[_top(vectors[passing] @ example, 10)]
        found = searcher._candidates(example, searcher._passing(constraints, words), 10, False)
        assert [i for i, _ in found] == (expected + 1).tolist(), prompt
    kept = searcher._subsets.values()
    assert len(kept) <= SUBSETS
    assert sum(s.rows.size for s in kept if s.vectors is not None) <= n * SUBSET_SHARE


def _table(n: int) -> dict[str, np.ndarray]:
    """Columns of ``n`` stems as the catalog gives them, no category named (heard only)."""
    return {
        "id": np.arange(1, n + 1),
        "path": np.array([f"/s/{i}.wav" for i in range(n)], dtype=object),
        "category": np.full(n, "", dtype=object),
        "is_loop": np.zeros(n, dtype=bool),
        "duration": np.ones(n),
        "bpm": np.full(n, np.nan),
        "key": np.full(n, "", dtype=object),
        "quality": np.ones(n),
    }


def test_kept_values_forget_the_longest_unasked() -> None:
    kept: Kept[str, int] = Kept(2)
    kept.put("a", 1)
    kept.put("b", 2)
    assert kept.get("a") == 1  # now the latest asked for
    kept.put("c", 3)
    assert (kept.get("a"), kept.get("b"), kept.get("c"), len(kept)) == (1, None, 3, 2)


def test_rows_of_stem_ids_answer_as_a_dict_would() -> None:
    ids = np.array([3, 7, 20, 21], dtype=np.int64)
    rows = Rows(ids)
    assert dict(rows) == {3: 0, 7: 1, 20: 2, 21: 3}
    assert rows[20] == 2 and rows[np.int64(7)] == 1 and 21 in rows and len(rows) == 4
    for missing in (0, 5, 22, 7.5, float("nan"), "7", None):
        assert missing not in rows
        with pytest.raises(KeyError):
            rows[missing]  # type: ignore[index]


def test_stems_are_served_by_ascending_id(tmp_path: Path) -> None:
    searcher = Searcher(Catalog(tmp_path / "empty.duckdb"), ListenEmbedder(), tmp_path / "i")
    table = {**_table(3), "id": np.array([1, 3, 2])}
    with pytest.raises(ValueError, match="ascending"):
        searcher.use(table, np.zeros((3, searcher.backend.dim), dtype=np.float32))


def test_leaned_searches_kept_for_repeats_answer_as_an_exact_scan(
    tmp_path: Path, rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A concept named beside one category lifts that category's sounds by their rank among
    them; the lifts and best sounds kept for repeated prompts answer as a fresh exact scan
    would, in any order, also after the library changed, and stay within their bounds."""
    monkeypatch.setattr(search, "LEANS", 2)
    monkeypatch.setattr(search, "LEANED", 3)
    n, backend = 3000, ListenEmbedder()
    searcher = Searcher(Catalog(tmp_path / "empty.duckdb"), backend, tmp_path / "index")
    table = _table(n)
    prompts = ["bright kick", "dark punchy kick", "warm pad", "kick, not distorted", "deep bass"]

    def exact(prompt: str, vectors: np.ndarray) -> list[int]:
        category, concepts = ListenEmbedder.within(prompt)  # type: ignore[misc]
        scores = vectors @ backend.embed_text(prompt)
        members = np.flatnonzero(backend.categories(vectors) == category)
        confidence = vectors[members, CATEGORIES.index(category)]
        for dimension, weight in concepts.items():  # "not distorted": the least distorted
            values = np.sign(weight) * vectors[members, dimension]
            scores[members] += abs(weight) * ListenEmbedder.lift_within(values, confidence)
        return (_top(scores, 10) + 1).tolist()

    for _ in range(2):  # a changed library: nothing kept from the one before is served
        vectors = rng.standard_normal((n, backend.dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        searcher.use(table, vectors)
        for prompt in [*prompts, *reversed(prompts)]:  # the last kept are asked first next
            results, _, _ = searcher.rank(prompt, top_k=10, min_similarity=-1.0)
            assert [r.stem_id for r in results] == exact(prompt, vectors), prompt
        assert len(searcher._leans) <= 2 and len(searcher._best_within) <= 3


# --- searching a kit whose file names say nothing -------------------------------------------


@pytest.fixture(scope="module")
def anonymous(kit, tmp_path_factory: pytest.TempPathFactory):
    """The demo kit copied as 0000.wav, 0001.wav, ..., ingested; (searcher, truth by stem id)."""
    root = tmp_path_factory.mktemp("anon")
    lib = root / "lib"
    lib.mkdir()
    truth_by_path = {}
    for i, f in enumerate(sorted(kit, key=lambda f: f.path.name)):
        target = lib / f"{i:04d}.wav"
        shutil.copy(f.path, target)
        truth_by_path[str(target)] = f
    config = load_config(env={"XDG_CONFIG_HOME": str(root / "x")})
    catalog = Catalog(root / "stems.duckdb")
    ingest([lib], catalog, config)
    searcher = Searcher(catalog, ListenEmbedder(), root / "index")
    searcher.refresh()
    truth = {
        int(i): truth_by_path[str(p)] for i, p in zip(searcher.ids, searcher.paths, strict=True)
    }
    yield searcher, truth
    catalog.close()


def test_vectors_of_another_model_are_made_anew(kit, tmp_path: Path) -> None:
    config = load_config(env={"XDG_CONFIG_HOME": str(tmp_path)})
    with Catalog(tmp_path / "c.duckdb") as catalog:
        ingest([kit[0].path.parents[2] / "One Shots"], catalog, config)
        first = Searcher(catalog, ListenEmbedder(), tmp_path / "index")
        first.refresh()
        model = classifier.load()
        # an upgrade: other trees (each leaf's classes in reverse) under another digest
        reversed_leaves = replace(model.classifier, value=model.classifier.value[:, ::-1].copy())
        other = replace(model, classifier=reversed_leaves, digest="upgraded")
        upgraded = Searcher(catalog, ListenEmbedder(other), tmp_path / "index")
        assert upgraded.refresh() is not None
        assert not np.allclose(upgraded.vectors, first.vectors)
        np.testing.assert_allclose(
            catalog.vector_matrix(upgraded.key, upgraded.ids)[1], upgraded.vectors
        )
        assert catalog.vector_matrix(first.key, first.ids)[0].size == 0  # the old ones dropped
        back = Searcher(catalog, ListenEmbedder(), tmp_path / "index")
        assert back.refresh() is not None
        np.testing.assert_allclose(back.vectors, first.vectors, atol=1e-6)


def test_a_few_new_stems_are_embedded_on_the_calibration_in_place(
    kit, tmp_path: Path, rng: np.random.Generator
) -> None:
    config = load_config(env={"XDG_CONFIG_HOME": str(tmp_path)})
    one_shots = kit[0].path.parents[2] / "One Shots"
    renders = tmp_path / "renders"
    with Catalog(tmp_path / "c.duckdb") as catalog:
        ingest([one_shots], catalog, config)
        first = Searcher(catalog, ListenEmbedder(), tmp_path / "index")
        first.refresh()
        calibration = first.calibration_path
        taken = Calibration.load(calibration)
        size = len(first)

        def add(n: int) -> Searcher:
            write_bass_renders(renders, n, rng)
            ingest([renders], catalog, config)
            searcher = Searcher(catalog, ListenEmbedder(), tmp_path / "index")
            assert searcher.refresh() is not None  # a new index
            return searcher

        renders.mkdir()
        later = add(max(1, size // 20))  # a few renders: 5 % more stems
        kept = Calibration.load(calibration)
        np.testing.assert_array_equal(kept.quantiles, taken.quantiles)
        assert kept.n == size and kept.added == len(later) - size > 0
        np.testing.assert_array_equal(later.vectors[:size], first.vectors)  # not made anew
        fresh = later.vectors[size:]
        heard = later.backend.categories(fresh)
        assert np.sum(heard == "bass") >= len(fresh) - 1  # heard, in place
        grown = add(size // 5)  # the library grew by more than 10 %: calibrated anew
        anew = Calibration.load(calibration)
        assert anew.n == len(grown) and anew.added == 0
        assert not np.allclose(grown.vectors[:size], first.vectors)


def test_stems_added_since_the_index_was_built_are_scanned_beside_it_until_it_is_rebuilt(
    kit, tmp_path: Path, rng: np.random.Generator
) -> None:
    config = load_config(env={"XDG_CONFIG_HOME": str(tmp_path)})
    renders = tmp_path / "renders"
    renders.mkdir()
    prompts = ("bass", "deep bass", "kick", "bright hi-hat", "long pad")
    with Catalog(tmp_path / "c.duckdb") as catalog:
        ingest([kit[0].path.parents[2] / "One Shots"], catalog, config)
        Searcher(catalog, ListenEmbedder(), tmp_path / "index").refresh()

        def add(n: int) -> list[Path]:
            made = write_bass_renders(renders, n, rng)
            ingest([renders], catalog, config)
            return made

        def served(defer: bool) -> tuple[Searcher, str | None]:
            searcher = Searcher(catalog, ListenEmbedder(), tmp_path / "index")
            return searcher, searcher.refresh(defer_index=defer)

        def ranked(searcher: Searcher) -> list[list[int]]:
            return [[r.stem_id for r in searcher.rank(p, top_k=8)[0]] for p in prompts]

        indexed = len(served(False)[0])
        added = add(2)
        deferred, why = served(True)
        index, unindexed = deferred.served
        assert why is not None and why.endswith("2 stems scanned beside it until it is rebuilt")
        assert index.meta is not None and index.meta.count == indexed == len(deferred) - 2
        assert {str(deferred.paths[n]) for n in unindexed} == {str(p) for p in added}
        exact = Searcher(catalog, ListenEmbedder(), tmp_path / "exact")
        (tmp_path / "exact").mkdir()
        shutil.copy(deferred.calibration_path, exact.calibration_path)
        exact.refresh()  # the same vectors, and an index of its own over every stem
        np.testing.assert_array_equal(exact.vectors, deferred.vectors)
        assert ranked(deferred) == ranked(exact)
        assert set(ranked(deferred)[0]) & {int(deferred.ids[n]) for n in unindexed}  # basses
        assert deferred.complete_index() and not deferred.complete_index()
        assert_fully_indexed(deferred)
        assert ranked(deferred) == ranked(exact)
        assert served(True)[1] is None  # the index on disk is whole again

        added[0].unlink()  # a stem gone: the index holds it, so it is built anew
        add(1)
        rebuilt, _ = served(True)
        assert rebuilt.index.meta is not None and rebuilt.index.meta.count == len(rebuilt)
        add(max(3, len(rebuilt) // 10))  # more than UNINDEXED_SHARE new: built anew too
        rebuilt, _ = served(True)
        assert rebuilt.index.meta is not None and rebuilt.index.meta.count == len(rebuilt)
        changed = rebuilt.vectors[:1] * np.float32(0.5) + rebuilt.vectors[1:2]
        catalog.set_vectors(rebuilt.key, [int(rebuilt.ids[0])], changed, replace_all=False)
        add(1)  # one new, and an indexed stem's vector is not the one in the index: built anew
        rebuilt, _ = served(True)
        assert rebuilt.index.meta is not None and rebuilt.index.meta.count == len(rebuilt)


def test_an_index_holds_the_vectors_it_was_built_from_and_no_others(
    tmp_path: Path, rng: np.random.Generator
) -> None:
    vectors = rng.standard_normal((50, 8)).astype(np.float32)
    index = VectorIndex(tmp_path, "listen", 8)
    index.build(np.arange(1, 51), vectors, "state")
    assert index.holds(vectors)
    changed = vectors.copy()
    changed[7, 3] += 1e-3
    assert not index.holds(changed) and not index.holds(vectors[:49])


def test_an_index_keeps_its_vectors_and_hands_them_back_only_while_they_are_its_own(
    tmp_path: Path, rng: np.random.Generator
) -> None:
    vectors = rng.standard_normal((40, 8)).astype(np.float32)
    VectorIndex(tmp_path, "listen", 8).build(np.arange(1, 41), vectors, "state")
    reader = VectorIndex(tmp_path, "listen", 8)
    assert reader.stored_vectors() is None  # nothing loaded: nothing to vouch for
    assert reader.load("state") is None
    kept = reader.stored_vectors()
    assert kept is not None and kept.dtype == np.float32
    np.testing.assert_array_equal(kept, vectors)
    other = vectors.copy()
    other[3, 2] += 1e-3
    np.save(reader.vectors_path, other)  # same shape, other numbers
    assert reader.stored_vectors() is None
    np.save(reader.vectors_path, vectors[:39])
    assert reader.stored_vectors() is None
    np.save(reader.vectors_path, vectors.astype(np.float64))  # the same numbers, not float32
    assert reader.stored_vectors() is None
    reader.vectors_path.write_bytes(b"not numpy")
    assert reader.stored_vectors() is None
    reader.vectors_path.unlink()  # as an index built before the file was kept
    assert reader.stored_vectors() is None


def test_a_searcher_serves_the_catalogs_vectors_whether_or_not_its_index_kept_them(
    kit, tmp_path: Path
) -> None:
    config = load_config(env={"XDG_CONFIG_HOME": str(tmp_path)})
    with Catalog(tmp_path / "c.duckdb") as catalog:
        ingest([kit[0].path.parents[2] / "One Shots"], catalog, config)
        built = Searcher(catalog, ListenEmbedder(), tmp_path / "index")
        built.refresh()
        _, stored = catalog.vector_matrix(built.key, built.ids)
        kept = built.index.vectors_path
        for damage in (None, lambda: np.save(kept, stored[::-1].copy()), kept.unlink):
            if damage:
                damage()
            served = Searcher(catalog, ListenEmbedder(), tmp_path / "index")
            assert served.refresh() is None  # the index is served, not rebuilt
            np.testing.assert_array_equal(served.vectors, stored)
            assert [r.stem_id for r in served.rank("kick", top_k=5)[0]] == [
                r.stem_id for r in built.rank("kick", top_k=5)[0]
            ]


def test_a_load_beside_a_build_in_the_same_process_never_reads_its_files_half_swapped(
    tmp_path: Path, rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The daemon builds on its indexer thread while its log thread loads: a load waits for
    the swap of the three files instead of calling a half-swapped index corrupt."""
    from dirigent import index as index_module

    vectors = rng.standard_normal((60, 8)).astype(np.float32)
    VectorIndex(tmp_path, "listen", 8).build(np.arange(50), vectors[:50], "old")
    swapping, go = threading.Event(), threading.Event()
    swap = os.replace

    def slow_replace(src: Any, dst: Any) -> None:
        swap(src, dst)
        if str(dst).endswith(".ann"):  # the first of three swapped in
            swapping.set()
            go.wait(10)

    monkeypatch.setattr(index_module.os, "replace", slow_replace)
    builder = threading.Thread(
        target=VectorIndex(tmp_path, "listen", 8).build, args=(np.arange(60), vectors, "new")
    )
    builder.start()
    assert swapping.wait(10)
    loaded: list[str | None] = []
    loader = threading.Thread(
        target=lambda: loaded.append(VectorIndex(tmp_path, "listen", 8).load(None))
    )
    loader.start()
    loader.join(0.3)  # given the time to read the half-swapped files
    go.set()
    builder.join(10)
    loader.join(10)
    assert loaded == [None]
    reader = VectorIndex(tmp_path, "listen", 8)
    assert reader.load("new") is None and reader.ids.size == 60


def test_two_builds_at_once_in_one_process_keep_apart_and_the_last_swapped_in_stays(
    tmp_path: Path, rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full rebuild on the log thread (the library recalibrated) may meet a build on the
    indexer thread: each writes its own temporary files."""
    from dirigent import index as index_module

    vectors = rng.standard_normal((60, 8)).astype(np.float32)
    written, go = threading.Event(), threading.Event()
    checksum = index_module._checksum

    def held_checksum(path: Path) -> str:
        if threading.current_thread().name == "first":
            written.set()  # its index is written to a temporary file, nothing swapped in yet
            go.wait(10)
        return checksum(path)

    monkeypatch.setattr(index_module, "_checksum", held_checksum)
    failed: list[BaseException] = []

    def build(n: int, state: str) -> None:
        try:
            VectorIndex(tmp_path, "listen", 8).build(np.arange(n), vectors[:n], state)
        except BaseException as e:  # reported below
            failed.append(e)

    first = threading.Thread(target=build, args=(50, "first"), name="first")
    first.start()
    assert written.wait(10)
    build(60, "second")
    go.set()
    first.join(10)
    assert failed == [] and not list(tmp_path.glob("*tmp*"))
    reader = VectorIndex(tmp_path, "listen", 8)
    assert reader.load("first") is None and reader.ids.size == 50


def test_a_build_removes_what_a_build_killed_long_ago_left_and_nothing_else(
    tmp_path: Path, rng: np.random.Generator
) -> None:
    left = [tmp_path / name for name in ("listen.ann.tmp99-1", "listen.ids.tmp99-1.npy")]
    running = tmp_path / "listen.ann.tmp98-1"  # another process's build, under way
    other = tmp_path / "clap.ann.tmp97-1"  # another backend's: its own builds see to it
    for path in (*left, running, other):
        path.write_bytes(b"partial")
    hours_ago = time.time() - 2 * 3600
    for path in (*left, other):
        os.utime(path, (hours_ago, hours_ago))
    VectorIndex(tmp_path, "listen", 8).build(
        np.arange(20), rng.standard_normal((20, 8)).astype(np.float32), "state"
    )
    assert not any(path.exists() for path in left)
    assert running.exists() and other.exists()


def test_a_stop_while_calibrating_anew_keeps_the_old_calibration_and_its_vectors(
    kit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_config(env={"XDG_CONFIG_HOME": str(tmp_path)})
    with Catalog(tmp_path / "c.duckdb") as catalog:
        ingest([kit[0].path.parents[2] / "One Shots"], catalog, config)
        first = Searcher(catalog, ListenEmbedder(), tmp_path / "index")
        first.refresh()
        before = first.calibration_path.read_bytes()
        ingest([kit[0].path.parents[2] / "Loops"], catalog, config)  # far more than a tenth

        def stopped(*_: object) -> None:
            raise KeyboardInterrupt  # the daemon stopped mid-way

        monkeypatch.setattr(ListenEmbedder, "embed_stems", stopped)
        with pytest.raises(KeyboardInterrupt):
            Searcher(catalog, ListenEmbedder(), tmp_path / "index").refresh()
        assert first.calibration_path.read_bytes() == before
        np.testing.assert_array_equal(catalog.vector_matrix(first.key, first.ids)[1], first.vectors)
        monkeypatch.undo()
        again = Searcher(catalog, ListenEmbedder(), tmp_path / "index")
        again.refresh()
        assert Calibration.load(again.calibration_path).n == len(again) > len(first)


def test_a_calibration_stands_for_its_library_within_a_tenth(
    tmp_path: Path, rng: np.random.Generator
) -> None:
    calibration = Calibration.of(rng.standard_normal((200, len(NAMES))).astype(np.float32))
    assert calibration.n == 200
    assert calibration.fits(200, 0) and calibration.fits(220, 20) and calibration.fits(180, 0)
    assert not calibration.fits(221, 21) and not calibration.fits(179, 0)
    assert not calibration.fits(200, 21)  # as many gone as came, but a tenth of it is new
    renewed = replace(calibration, added=15)  # renewed a few at a time: it adds up
    assert renewed.fits(200, 5) and not renewed.fits(200, 6)
    renewed.save(tmp_path / "c.npz")
    assert Calibration.load(tmp_path / "c.npz").added == 15
    z = read_npz(tmp_path / "c.npz")  # a file from before the size was kept
    np.savez(tmp_path / "old.npz", **{k: z[k] for k in ("mean", "scale", "quantiles")})
    assert not Calibration.load(tmp_path / "old.npz").fits(200, 0)


def no_instruments(sr: int) -> tuple[np.ndarray, np.ndarray]:
    """One cycle of a saw, as wavetable packs hold it, and a trance-gate LFO shape."""
    table = (2 * np.arange(2048) / 2048 - 1) * 0.8
    step = 1.875 / 16
    t = np.arange(int(sr * 1.875)) / sr
    return table, (np.floor(t / step) % 2 == 0) * (1 - np.mod(t, step) / step)


def test_a_sound_heard_as_no_instrument_gives_its_length_to_other(
    sr: int, rng: np.random.Generator
) -> None:
    table, gate = no_instruments(sr)
    bass = demo_kit.bass_note(sr=sr, rng=rng, note=36, seconds=0.5, cutoff=900, wave="saw")
    backend = ListenEmbedder()
    descriptors = np.vstack(
        [analyse(np.atleast_2d(y), sr=sr).descriptors for y in (table, gate, bass)]
    )
    backend.calibrate(descriptors)
    vectors = backend.vectors(descriptors, np.zeros(3, dtype=bool), [None] * 3)
    other = vectors[:, DIMENSIONS.index(OTHER)]
    assert other[0] > 0.5 and other[1] > 0.5 and other[2] < 0.1
    assert list(backend.categories(vectors)) == ["", "", "bass"]
    assert np.argmax(vectors @ backend.embed_text("bass")) == 2


def test_the_category_trees_are_read_once_and_only_when_a_sound_is_embedded(
    monkeypatch: pytest.MonkeyPatch, sr: int, rng: np.random.Generator
) -> None:
    load, loads = classifier.load, []

    def slow_load(*args: Any) -> classifier.CategoryModel:
        loads.append(threading.current_thread().name)
        time.sleep(0.2)  # threads asking meanwhile wait for this one read
        return load(*args)

    monkeypatch.setattr(classifier, "load", slow_load)
    backend = ListenEmbedder()
    assert backend.version.endswith(classifier.identify().digest)  # named without the trees
    assert np.any(backend.embed_text("dark kick")) and loads == []
    threads = [threading.Thread(target=backend.warm) for _ in range(3)]
    for t in threads:
        t.start()
    kick = demo_kit.kick(sr=sr, rng=rng)
    vector = backend.embed_audio(kick, sr=sr)
    for t in threads:
        t.join()
    assert len(loads) == 1 and list(backend.categories(vector)) == ["kick"]
    renamed = replace(backend.model, digest="retrained")  # the file replaced since the start
    monkeypatch.setattr(classifier, "load", lambda *args: renamed)
    with pytest.raises(DirigentError, match="changed since this backend named its vectors"):
        ListenEmbedder().warm()


def test_what_a_sound_is_heard_as_is_read_back_from_its_vector_whatever_its_name(
    sr: int, rng: np.random.Generator
) -> None:
    sounds = [
        demo_kit.kick(sr=sr, rng=rng),
        demo_kit.snare(sr=sr, rng=rng),
        demo_kit.bass_note(sr=sr, rng=rng, note=36, seconds=0.5, cutoff=900, wave="saw"),
        no_instruments(sr)[0],
        demo_kit.drum_loop(sr=sr, rng=rng, bpm=128, bars=1, style=1),
        demo_kit.kick(sr=sr, rng=rng),
    ]
    is_loop = np.array([False, False, False, False, True, False])
    names = ["snare", None, "kick", "bass", "hihat", "drums"]  # the files' names say otherwise
    backend = ListenEmbedder()
    descriptors = np.vstack([analyse(np.atleast_2d(y), sr=sr).descriptors for y in sounds])
    backend.calibrate(descriptors)
    vectors = backend.vectors(descriptors, is_loop, names)
    heard = backend.heard(descriptors, is_loop)
    assert list(heard) == ["kick", "snare", "bass", "", "drums", "kick"]
    assert list(backend.heard_in(vectors, names)) == list(heard)
    categories = backend.categories(vectors)
    assert list(categories[:5]) != list(heard[:5])  # the names swayed the vectors
    assert categories[5] == "kick"  # a one-shot filed under "Drums" is some drum, no drum loop


def test_the_trees_are_walked_as_one_path_at_a_time_walks_them(
    monkeypatch: pytest.MonkeyPatch, sr: int, rng: np.random.Generator
) -> None:
    model = classifier.load()
    x = np.vstack(
        [
            analyse(np.atleast_2d(demo_kit.kick(sr=sr, rng=rng)), sr=sr).descriptors,
            analyse(np.atleast_2d(demo_kit.hat(sr=sr, rng=rng)), sr=sr).descriptors,
            rng.normal(size=len(NAMES)),
        ]
    ).astype(np.float32)
    x[2, ::3] = np.nan  # goes right where x <= threshold is false
    monkeypatch.setattr(classifier, "BATCH_CELLS", 2 * 800)  # several batches, too
    for forest in (model.classifier, model.detectors):
        expected = np.empty((forest.roots.size, len(x)), dtype=np.int64)
        for t, root in enumerate(forest.roots):
            for n, row in enumerate(x):
                node = int(root)
                while forest.left[node] >= 0:
                    goes_left = row[forest.feature[node]] <= forest.threshold[node]
                    node = int(forest.left[node] if goes_left else forest.right[node])
                expected[t, n] = node
        np.testing.assert_array_equal(forest.leaves(x), expected)
        value = forest.value[expected].astype(np.float64)  # (trees, n, classes or 1)
        if forest.detects is None:
            want = value.mean(axis=0)
        else:
            want = np.stack(
                [value[forest.detects == c, :, 0].mean(axis=0) for c in range(len(forest.classes))],
                axis=1,
            )
        np.testing.assert_allclose(forest.probabilities(x), want, atol=1e-6)


def test_a_sound_heard_as_other_more_than_any_category_has_none() -> None:
    backend = ListenEmbedder()
    vectors = np.zeros((3, len(DIMENSIONS)), dtype=np.float32)
    bass, other, kick = (DIMENSIONS.index(d) for d in ("bass", OTHER, "kick"))
    vectors[:, bass] = 0.3
    vectors[0, other] = 0.6  # a table the classifier hears mostly as no instrument
    vectors[1, other] = 0.2
    vectors[2, [other, kick]] = 0.2, 0.1
    assert list(backend.categories(vectors)) == ["", "bass", "bass"]


def test_a_prompt_asks_for_a_sound_not_a_control_shape(sr: int, rng: np.random.Generator) -> None:
    sounds = [
        *no_instruments(sr),  # the darkest, deepest things in the library, and no sound
        demo_kit.bass_note(sr=sr, rng=rng, note=36, seconds=0.5, cutoff=900, wave="saw"),
        demo_kit.kick(sr=sr, rng=rng),
        demo_kit.hat(sr=sr, rng=rng),
        demo_kit.snare(sr=sr, rng=rng),
        demo_kit.chord(
            sr=sr, rng=rng, notes=[45, 52, 57], seconds=4, attack=1, release=1.5, cutoff=1200
        ),
    ]
    backend = ListenEmbedder()
    descriptors = np.vstack([analyse(np.atleast_2d(y), sr=sr).descriptors for y in sounds])
    backend.calibrate(descriptors)
    vectors = backend.vectors(descriptors, np.zeros(len(sounds), dtype=bool), [None] * len(sounds))
    for prompt in ("dark", "deep", "dark sound", "short"):
        ranked = np.argsort(-(vectors @ backend.embed_text(prompt)))
        assert set(ranked[:3].tolist()).isdisjoint({0, 1}), prompt


def test_every_vector_is_unit_length(anonymous) -> None:
    searcher, _ = anonymous
    assert searcher.vectors.shape[1] == searcher.backend.dim
    np.testing.assert_allclose(np.linalg.norm(searcher.vectors, axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize(
    "prompt,category",
    [
        ("kick drum", "kick"),
        ("snare", "snare"),
        ("pad", "pad"),
        ("clap", "clap"),
        ("hi-hat", "hihat"),
    ],
)
def test_finds_the_category_by_ear(anonymous, prompt: str, category: str) -> None:
    searcher, truth = anonymous
    results, _, _ = searcher.rank(prompt, top_k=3)
    assert [truth[r.stem_id].category for r in results] == [category] * 3


def test_an_808_is_a_kick_or_a_bass(anonymous) -> None:
    searcher, truth = anonymous
    results, _, _ = searcher.rank("808", top_k=5)
    assert {truth[r.stem_id].category for r in results} <= {"kick", "bass"}


def test_a_drum_loop_answers_percussion_before_a_bass_loop(anonymous) -> None:
    searcher, truth = anonymous
    results, _, _ = searcher.rank("percussion loop", top_k=20)
    heard = [truth[r.stem_id].category for r in results]
    assert heard[:2] == ["perc", "perc"]
    assert heard.index("drums") < heard.index("bass")


def test_dark_is_darker_than_bright_and_short_shorter_than_long(anonymous) -> None:
    searcher, _ = anonymous
    centroid = NAMES.index("centroid")

    def mean_of(prompt: str, column: str) -> float:
        results, _, _ = searcher.rank(prompt, top_k=10)
        if column == "duration":
            return float(np.mean([r.duration for r in results]))
        ids = np.array(sorted(r.stem_id for r in results))
        return float(searcher.catalog.descriptor_matrix(ids)[:, centroid].mean())

    assert mean_of("dark sound", "centroid") < mean_of("bright sound", "centroid")
    assert mean_of("dark kick", "centroid") < mean_of("bright kick", "centroid")
    assert mean_of("short", "duration") < mean_of("long", "duration")


@pytest.mark.parametrize(
    ("prompt", "lean"),
    [
        ("bright kick", ("kick", {"bright": 1.0})),
        (
            "dark punchy kick, not distorted",
            ("kick", {"dark": 1.0, "punchy": 1.0, "distorted": -1.0}),
        ),
        ("kick", None),  # no concept
        ("bright", None),  # no category
        ("bright kick and snare", None),  # two categories: which one's kicks?
        ("no kick, bright", None),  # a category said no to
    ],
)
def test_a_concept_beside_one_category_ranks_within_it(
    prompt: str, lean: tuple[str, dict[str, float]] | None
) -> None:
    found = ListenEmbedder.within(prompt)
    if lean is None:
        assert found is None
    else:
        assert found == (lean[0], {DIMENSIONS.index(c): w for c, w in lean[1].items()})


def test_a_concepts_lift_within_a_category_follows_its_percentile_and_confidence() -> None:
    bright = np.array([0.1, 0.3, 0.2, 0.05], dtype=np.float32)  # of the sounds heard as kicks
    kick = np.array([0.8, 0.8, 0.4, 0.8], dtype=np.float32)
    lift = ListenEmbedder.lift_within(bright, kick)
    # percentiles among the kicks 1/3, 1, 2/3, 0; the half-sure kick counts a quarter
    np.testing.assert_allclose(lift, WITHIN * np.array([1 / 3, 1.0, 2 / 3 * 0.25, 0.0]), rtol=1e-6)
    assert ListenEmbedder.lift_within(bright[:0], kick[:0]).size == 0


def test_bright_kick_puts_a_brighter_kick_first_than_dark_kick(anonymous) -> None:
    """Every kick is dark in a whole library: "bright kick" means bright for a kick."""
    searcher, _ = anonymous
    centroid = NAMES.index("centroid")

    def first_kick(prompt: str) -> float:
        results, _, _ = searcher.rank(prompt, top_k=10)
        kick = next(r.stem_id for r in results if r.category == "kick")
        return float(searcher.catalog.descriptor_matrix(np.array([kick]))[0, centroid])

    assert first_kick("dark kick") < first_kick("bright kick")


def test_constraints_filter(anonymous) -> None:
    searcher, truth = anonymous
    results, _, _ = searcher.rank("loop 128bpm", top_k=20)
    assert results and all(r.is_loop and abs(r.bpm - 128) <= 128 * 0.03 for r in results)
    results, _, _ = searcher.rank("bass", top_k=5, category="bass")
    assert results and {r.category for r in results} == {"bass"}


def test_in_a_minor_takes_one_shots_on_a(anonymous) -> None:
    searcher, _ = anonymous
    notes = {str(k) for k, loop in zip(searcher.keys, searcher.is_loop, strict=True) if not loop}
    note = next(k for k in sorted(notes) if k and not k.endswith("m"))
    results, _, constraints = searcher.rank(f"in {note} minor", top_k=100)
    assert constraints.key == f"{note}m"
    relative = relative_key(f"{note}m")  # the same notes: "in A minor" takes C major
    keyed = {(r.key, r.is_loop) for r in results if r.key}
    assert (note, False) in keyed and keyed <= {
        (note, False),
        (f"{note}m", False),
        (f"{note}m", True),
        (relative, True),  # a one-shot "C" is a note, not the key of C major
    }
    # a stem without a key passes only where keys do not matter: drums, hits, noise
    assert not {r.category for r in results if not r.key} & TONAL


def test_a_key_takes_its_relative_key_and_drums_without_a_key(anonymous) -> None:
    searcher, _ = anonymous
    loop_keys = searcher.keys[searcher.is_loop]
    minor = next(str(k) for k in loop_keys if str(k).endswith("m"))
    major = relative_key(minor)
    results, _, _ = searcher.rank(f"loop in {major} major", top_k=100)
    assert minor in {r.key for r in results}  # the same notes
    assert {r.key for r in results} <= {major, minor, None}
    unpitched = {
        int(i)
        for i, k, loop, c in zip(
            searcher.ids, searcher.keys, searcher.is_loop, searcher.category_column, strict=True
        )
        if loop and not k and c not in TONAL
    }
    assert unpitched and unpitched <= {r.stem_id for r in results}  # fit any key
    bass, _, _ = searcher.rank(f"bass loop in {major} major", top_k=100)
    assert bass and all(r.key for r in bass)  # a bass asked for in a key: no drum fits


def test_a_category_said_no_to_is_left_out(anonymous) -> None:
    searcher, _ = anonymous
    for prompt in ("no kick", "dark one-shot, no kick", "kein Bass"):
        results, _, constraints = searcher.rank(prompt, top_k=20)
        refused = constraints.exclude[0]
        assert len(results) == 20, prompt  # "no kick" alone is an answer, not an empty list
        assert refused not in {r.category for r in results}, prompt
    results, _, _ = searcher.rank("not distorted", top_k=10)
    assert len(results) == 10  # no category refused: ranked by how little it is distorted


def test_an_empty_answer_says_why(anonymous) -> None:
    searcher, _ = anonymous
    tempo = round(float(np.nanmax(searcher.bpm)))
    cases = [
        ("kick at 400 bpm", None, "no stem is at 400 BPM (+-3%); tempos here: "),
        ("kick", "bogus", "no stem is a 'bogus'; here: bass, "),
        (
            f"one-shot at {tempo} bpm",
            None,
            f"no stem is at {tempo} BPM (+-3%) and a one-shot at once",
        ),
    ]
    for prompt, category, why in cases:
        results, _, _ = searcher.rank(prompt, category=category)
        assert results == [] and why in searcher.why_none(prompt, category), prompt


def test_an_example_that_is_neither_a_stem_nor_a_file_is_named(anonymous) -> None:
    searcher, _ = anonymous
    with pytest.raises(ParameterError, match="no stem with id 99999"):
        searcher.rank("kick", like=["99999"])
    with pytest.raises(ParameterError, match="neither a stem id nor an audio file"):
        searcher.rank("kick", like=["no such file.wav"])


def test_like_an_audio_file_outside_the_catalog(anonymous, tmp_path: Path) -> None:
    searcher, truth = anonymous
    from dirigent import demo_kit
    from tests.conftest import write

    kick = write(
        tmp_path / "my kick.wav",
        demo_kit.kick(sr=44100, rng=np.random.default_rng(99), decay=0.3),
        44100,
    )
    results, _, _ = searcher.rank("", top_k=3, like=[str(kick)])
    assert truth[results[0].stem_id].category == "kick"


def test_likes_bring_unseen_neighbours_in(anonymous) -> None:
    searcher, _ = anonymous
    prompt = "metallic"
    first = searcher.search(prompt, top_k=10)
    seen = {r.stem_id for r in first.results}
    liked = [r.stem_id for r in first.results[:3]]
    neighbours = set()
    for stem_id in liked:
        sims = searcher.vectors @ searcher.vectors[searcher.row_of[stem_id]]
        ranked = [int(i) for i in np.argsort(-sims)]
        ids = list(searcher.row_of)
        neighbours.update([ids[i] for i in ranked if ids[i] not in seen][:3])
    for stem_id in liked:
        searcher.feedback(stem_id, "like", first.query_id)
    second = searcher.search(prompt, top_k=10)
    assert {r.stem_id for r in second.results} & neighbours


def test_skipped_stems_leave_the_prompt(anonymous) -> None:
    searcher, _ = anonymous
    first = searcher.search("crisp", top_k=5)
    searcher.feedback(first.results[0].stem_id, "skip", first.query_id)
    second = searcher.search("crisp", top_k=5)
    assert first.results[0].stem_id not in {r.stem_id for r in second.results}


@pytest.mark.parametrize("prompt", ["warm", "loop"])  # "loop" alone: ranked by quality
def test_discovery_shows_the_best_unseen_stems_in_half_the_rows(anonymous, prompt: str) -> None:
    searcher, _ = anonymous
    searcher.search(prompt, top_k=6)
    for _ in range(2):  # asked again, and again: each time half the rows are new
        seen = set(searcher.returned)
        ranked, _, _ = searcher.rank(prompt, top_k=60)
        best_unseen = [r.stem_id for r in ranked if r.stem_id not in seen][:3]
        discovered = searcher.search(prompt, top_k=6, discover=True).results
        new = [r.stem_id for r in discovered if r.stem_id not in seen]
        assert new == best_unseen and [r.new for r in discovered].count(True) == 3
        assert [r.score for r in discovered] == sorted((r.score for r in discovered), reverse=True)
        assert [r.rank for r in discovered] == [1, 2, 3, 4, 5, 6]


def test_discovery_fills_with_the_best_seen_where_few_are_new() -> None:
    hits = [(stem, 1 - stem / 100) for stem in range(20)]  # best first
    assert _discovering(hits, 6, set()) == hits[:6]
    assert _discovering(hits, 6, set(range(10))) == [*hits[:3], *hits[10:13]]
    assert _discovering(hits, 6, set(range(19))) == [*hits[:5], hits[19]]
    assert _discovering(hits, 5, set(range(20))) == hits[:5]
    assert _discovering(hits[:2], 6, {0}) == hits[:2]


def test_queries_and_results_are_logged(anonymous) -> None:
    searcher, _ = anonymous
    response = searcher.search("deep kick", top_k=4)
    con = searcher.catalog.con
    assert con.execute(
        "SELECT prompt FROM queries WHERE id = ?", [response.query_id]
    ).fetchone() == ("deep kick",)
    assert con.execute(
        "SELECT count(*) FROM results WHERE query_id = ?", [response.query_id]
    ).fetchone() == (4,)


def test_cli_search_json(cli, kit) -> None:
    root = kit[0].path.parents[2]
    cli("ingest", str(root), "--quiet")
    rc, out, err = cli("search", "punchy kick", "--json", "--top-k", "4")
    assert rc == 0, err
    results = json.loads(out)
    assert len(results) == 4
    assert {"path", "stem_id", "score", "category", "explanation"} <= set(results[0])
    assert results[0]["category"] == "kick"
    rc, out, _ = cli("feedback", str(results[1]["stem_id"]), "like")
    assert rc == 0 and "like" in out
    rc, _, err = cli("feedback", "999999", "like")
    assert rc == 1 and "no stem with id 999999" in err
    rc, _, err = cli("feedback", str(results[1]["stem_id"]), "skip", "--query", "999999")
    assert rc == 2 and "no query 999999" in err  # it would move nothing
    rc, _, err = cli("search", "kick", "--text-weight", "-1")
    assert rc == 2 and "use a number >= 0" in err
    rc, _, err = cli("search", "kick", "--text-weight", "0", "--audio-weight", "0")
    assert rc == 2 and "nothing would rank" in err
    rc, out, _ = cli("search", "kick", "--category", "Bogus")
    assert rc == 0 and "no stems match: no stem is a 'bogus'; here: " in out and "kick" in out
    rc, out, err = cli("search", "dusty kick zzyzx")
    assert rc == 0 and "not understood: dusty, zzyzx\n" in err and "kick" in out
    rc, out, err = cli("search", "dusty", "--json")
    assert rc == 0 and "not understood: dusty (ranked by quality alone)" in err
    assert json.loads(out)  # the JSON on stdout stays clean


def test_cli_search_scans_a_few_new_stems_beside_the_index_and_index_builds_it(
    cli, kit, tmp_path: Path, rng: np.random.Generator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dirigent import search

    monkeypatch.setattr(search, "UNINDEXED_SHARE", 0.5)  # a small library: 2 stems are many
    cli("ingest", str(kit[0].path.parents[2]), "--quiet")
    rc, out, _ = cli("index")
    assert rc == 0
    meta = tmp_path / "index" / "listen.json"
    built = meta.read_text()
    renders = tmp_path / "renders"
    renders.mkdir()
    added = write_bass_renders(renders, 2, rng)
    cli("ingest", str(renders), "--quiet")
    rc, out, err = cli("search", "bass", "--json", "--top-k", "20")
    assert rc == 0, err
    assert {str(p) for p in added} <= {r["path"] for r in json.loads(out)}  # found...
    assert meta.read_text() == built  # ...without building the index anew
    rc, out, _ = cli("index")
    assert rc == 0 and f"{len(kit) + 2} stems" in out and meta.read_text() != built
    assert "(built: " in out
    rc, out, _ = cli("index")
    assert rc == 0 and out.endswith("(up to date)\n")
    rc, out, _ = cli("index", "--rebuild")
    assert rc == 0 and out.endswith("(rebuilt, as asked)\n")


def test_a_file_system_error_is_a_message_not_a_traceback(cli, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    rc, _, err = cli("demo-kit", str(tmp_path / "file" / "kit"))
    assert rc == 1 and err.startswith(f"dirigent: error: {tmp_path / 'file' / 'kit'}")
    assert err.endswith(": Not a directory\n") and "Traceback" not in err


def test_reading_commands_start_no_catalog_where_there_is_none(cli, tmp_path: Path) -> None:
    for command in (["search", "kick"], ["feedback", "1", "like"], ["index"], ["map"]):
        rc, _, err = cli(*command)
        assert rc == 1 and "no catalog at" in err and "dirigent ingest" in err, command
    assert not (tmp_path / "stems.duckdb").exists()


def test_map_draws_every_category(anonymous, tmp_path: Path) -> None:
    from dirigent.library_map import draw, project

    searcher, _ = anonymous
    points = project(searcher.vectors)
    assert points.shape == (len(searcher), 2)
    out = draw(searcher.vectors, list(searcher.category_column), tmp_path / "map.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.stat().st_size > 10_000
    svg = draw(searcher.vectors, list(searcher.category_column), tmp_path / "map.svg")
    assert b"<svg" in svg.read_bytes()[:1000]
    with pytest.raises(ParameterError, match="cannot draw a map as '.txt': .* .png, "):
        draw(searcher.vectors, list(searcher.category_column), tmp_path / "map.txt")
    assert not (tmp_path / "map.txt").exists()


def test_explanation_keeps_the_negation(anonymous) -> None:
    searcher, _ = anonymous
    results, _, _ = searcher.rank("kick, not distorted", top_k=5)
    explained = " ".join(r.explanation for r in results)
    assert "not distorted" in explained
    assert " distorted" not in explained.replace("not distorted", "")


def test_explanation_names_a_category_once(anonymous) -> None:
    """The classifier's and the detectors' blocks both carry "kick": one reason, said once."""
    searcher, _ = anonymous
    results, _, _ = searcher.rank("dark kick", top_k=5)
    for result in results:
        reasons = result.explanation.split(" · ")
        assert reasons[0] == "kick" and len(reasons) == len(set(reasons)), result.explanation
