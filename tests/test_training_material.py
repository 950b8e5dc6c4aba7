"""The category model's training material: SoundFont samples are read from the RIFF tree and
drum samples labelled by name (scripts/train_category_model.py; no scikit-learn needed)."""

from __future__ import annotations

import importlib.util
import re
import struct
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from dirigent.errors import DirigentError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def train():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "train", ROOT / "scripts" / "train_category_model.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["train"] = module
    spec.loader.exec_module(module)
    return module


def _chunk(cid: bytes, data: bytes) -> bytes:
    return cid + struct.pack("<I", len(data)) + data + b"\0" * (len(data) & 1)


def soundfont(samples: list[tuple[str, np.ndarray, int]], rate: int = 44100) -> bytes:
    """A minimal SoundFont 2 file: the smpl chunk and one shdr record per (name, pcm, type)."""
    pcm = b""
    headers = b""
    for name, audio, kind in samples:
        start = len(pcm) // 2
        pcm += (
            np.round(audio * 32768).astype("<i2").tobytes() + b"\0" * 92
        )  # 46 zero points after each
        end = start + audio.size
        headers += struct.pack(
            "<20sIIIIIBbHH", name.encode(), start, end, start, end, rate, 60, 0, 0, kind
        )
    headers += struct.pack("<20sIIIIIBbHH", b"EOS", 0, 0, 0, 0, 0, 0, 0, 0, 0)
    sdta = _chunk(b"LIST", b"sdta" + _chunk(b"smpl", pcm))
    pdta = _chunk(b"LIST", b"pdta" + _chunk(b"shdr", headers))
    body = (
        b"sfbk" + _chunk(b"LIST", b"INFO" + _chunk(b"ifil", struct.pack("<HH", 2, 1))) + sdta + pdta
    )
    return b"RIFF" + struct.pack("<I", len(body)) + body


def hit(rng: np.random.Generator, seconds: float = 0.2) -> np.ndarray:
    n = int(44100 * seconds)
    return rng.uniform(-0.5, 0.5, n) * np.exp(-np.arange(n) / 4000)


def test_soundfont_samples_reads_the_types_asked_for(train, tmp_path: Path, rng) -> None:  # type: ignore[no-untyped-def]
    a, left, right = hit(rng), hit(rng), hit(rng)
    path = tmp_path / "kit.sf2"
    path.write_bytes(
        soundfont(
            [("Mono Kick", a, train.MONO), ("Snr(L)", left, train.LEFT), ("Snr(R)", right, 2)]
        )
    )
    mono = list(train.soundfont_samples(path))
    assert [s[0] for s in mono] == ["Mono Kick"]
    np.testing.assert_allclose(mono[0][1], a, atol=1 / 32768)
    both = list(train.soundfont_samples(path, kinds=(train.MONO, train.LEFT)))
    assert [s[0] for s in both] == ["Mono Kick", "Snr(L)"]
    np.testing.assert_allclose(both[1][1], left, atol=1 / 32768)


def test_drum_samples_are_labelled_by_name_and_layer(
    train, tmp_path: Path, rng, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    names = [
        "36-Pearl22Kick-1",  # layer 1: kept
        "36-Pearl22Kick-2",  # layer 2: left out (layers 1, 3, 5)
        "37-SideStick-3",
        "41-Ludwig16FloorTo-5",
        "42-SabianRockHatCl",  # no layer in the name: kept
        "55-ZildjianA10Spla",
        "60-Paiste-1",  # no GM instrument: left out
        "Orch Bass Drum(L)",  # orchestral: left out
        "Marimba C5(L)",  # pitched, though "rim" is in its name: left out
        "808 Clap",
        "Electronic Snr 1(L)",
        "Cow Bell(L)",  # GM percussion with a space or no drum word
        "High Agogo(L)",
        "Vibra Slap(L)",
        "Vibraphone A(L)",  # pitched: left out
    ]
    sf2 = tmp_path / "kits" / "sounds" / "sf2"
    sf2.mkdir(parents=True)
    kit = [(n, hit(rng), train.LEFT if n.endswith("(L)") else train.MONO) for n in names]
    (sf2 / "Kit.sf2").write_bytes(soundfont(kit))
    monkeypatch.setattr(train, "DRUM_SOUNDFONTS", {"kits": ("Kit.sf2",)})
    got = [(category, group) for _, category, _, group in train.soundfont_drums(tmp_path)]
    assert [c for c, _ in got] == [
        *("kick", "perc", "tom", "hihat", "cymbal", "clap", "snare"),
        *("perc", "perc", "perc"),
    ]
    assert {g for _, g in got} == {"Kit.sf2"}
    for y, _, rate, _ in train.soundfont_drums(tmp_path):
        assert y.shape[0] == 1 and rate == 44100
        assert np.abs(y).max() == pytest.approx(0.8, abs=1e-6)  # normalised like the others


def test_hydrogen_instruments_are_labelled_by_kit_and_file_names(train, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The instrument's name in drumkit.xml and its file name decide together; where the file
    name says nothing or only "beats", the instrument's name alone does."""
    kit = tmp_path / "hydrogen-data" / "Kit"
    kit.mkdir(parents=True)
    instruments = {
        "Snare Roll": "SN3_03.aiff",  # "3" and "03" are no TB-303 (was: kick)
        "Djembe1 Bass": "Djembe1 Bass.wav",  # a hand drum (was: kick)
        "bass drum 1": "beats_06-38.flac",  # the file name says only "beats" (was: left out)
        "Hard_CHH_01.flac": "Hard_CHH_01.flac",  # (was: left out)
        "Click": "click.flac",  # nothing known: left out
    }
    xml = "".join(
        f"<instrument><name>{name}</name><layer><filename>{file}</filename></layer></instrument>"
        for name, file in instruments.items()
    )
    (kit / "drumkit.xml").write_text(
        f"<drumkit_info><instrumentList>{xml}</instrumentList></drumkit_info>"
    )
    for file in instruments.values():
        (kit / file).write_bytes(b"")
    got = {path.name: category for path, category, _ in train.hydrogen(tmp_path)}
    assert got == {
        "SN3_03.aiff": "snare",
        "Djembe1 Bass.wav": "perc",
        "beats_06-38.flac": "kick",
        "Hard_CHH_01.flac": "hihat",
    }


def stump(feature: int, threshold: float, low: list[float], high: list[float], detects=None):  # type: ignore[no-untyped-def]
    """A one-split forest of two classes: ``low`` below the threshold, ``high`` above (a
    detector's leaves: one probability each, of class ``detects[0]``)."""
    from dirigent.analysis.descriptors import DESCRIPTOR_VERSION
    from dirigent.embed.classifier import Forest

    return Forest(
        np.array([0], dtype=np.int32),
        np.array([feature, 0, 0], dtype=np.int16),
        np.array([threshold, 0, 0], dtype=np.float32),
        np.array([1, -1, -1], dtype=np.int32),
        np.array([2, -1, -1], dtype=np.int32),
        np.array([[0.5] * len(low), low, high], dtype=np.float32),
        ("kick", "snare"),
        DESCRIPTOR_VERSION,
        None if detects is None else np.array(detects, dtype=np.int16),
    )


def test_a_transposed_hit_moves_in_pitch_and_length_as_a_sampler_plays_it(train) -> None:  # type: ignore[no-untyped-def]
    sr = 44100
    t = np.arange(int(0.5 * sr)) / sr
    tone = (np.sin(2 * np.pi * 440 * t) * np.exp(-t / 0.2)).astype(np.float32)
    rng = np.random.default_rng(3)
    seen = set()
    for _ in range(12):
        out = train.transposed(tone, sr=sr, rng=rng)
        steps = -12 * np.log2(out.shape[-1] / tone.size)  # higher is shorter
        assert out.shape[0] == 1 and round(steps) in train.TRANSPOSE_STEPS
        assert abs(steps - round(steps)) < 0.01
        spectrum = np.abs(np.fft.rfft(out[0], n=1 << 17))
        heard = np.argmax(spectrum) * sr / (1 << 17)
        assert heard == pytest.approx(440 * 2 ** (round(steps) / 12), rel=0.005)
        seen.add(round(steps))
    assert len(seen) > 2  # the steps are drawn, not one


def test_recorded_hits_are_also_learnt_transposed_but_synthesised_ones_are_not(
    train, monkeypatch: pytest.MonkeyPatch, rng: np.random.Generator
) -> None:  # type: ignore[no-untyped-def]
    snare, bass, kick = (np.atleast_2d(hit(rng)).astype(np.float32) for _ in range(3))
    monkeypatch.setattr(train, "CUT_SHARE", 0.0)
    monkeypatch.setattr(
        train,
        "recorded",
        lambda cache: iter([(snare, "snare", 44100, "kit"), (bass, "bass", 44100, "pi")]),
    )
    monkeypatch.setattr(train, "soundfont", lambda cache, rng: iter([]))
    monkeypatch.setattr(train, "synthesised", lambda rng: iter([(kick, "kick", 44100)]))
    monkeypatch.setattr(train, "soundfont_drums", lambda cache: iter([]))
    x, labels, groups = train.dataset(Path("unused"), seed=0)
    assert list(zip(labels, groups, strict=True)) == [
        ("snare", "kit"),
        ("snare", "kit"),  # the recorded hit, transposed
        ("bass", "pi"),
        ("kick", "synth:0"),
    ]
    from dirigent.analysis.descriptors import NAMES

    duration = NAMES.index("log_duration")
    steps = -12 * (x[1, duration] - x[0, duration]) / np.log10(2)
    assert round(float(steps)) in train.TRANSPOSE_STEPS
    again, _, _ = train.dataset(Path("unused"), seed=0)
    np.testing.assert_array_equal(again, x)


X_STUMPS = np.array([[-1.0, 0.0], [1.0, 0.0], [-1.0, 9.0], [1.0, 9.0]], dtype=np.float32)


def test_combined_forests_average_their_trees(train) -> None:  # type: ignore[no-untyped-def]
    a = stump(0, 0.0, [1.0, 0.0], [0.0, 1.0])
    b = stump(1, 5.0, [0.2, 0.8], [0.6, 0.4])
    both = train.combine([a, b])
    assert both.roots.tolist() == [0, 3]
    np.testing.assert_allclose(
        both.probabilities(X_STUMPS),
        (a.probabilities(X_STUMPS) + b.probabilities(X_STUMPS)) / 2,
        atol=1e-6,
    )
    with pytest.raises(ValueError, match="cannot be averaged"):
        train.combine([a, replace(b, classes=("kick", "hihat"))])
    with pytest.raises(ValueError, match="cannot be averaged"):  # a classifier and a detector
        train.combine([a, stump(0, 0.0, [0.1], [0.9], detects=[0])])


def test_detectors_average_each_class_over_its_own_trees(train, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    kick = train.combine(
        [stump(0, 0.0, [0.9], [0.1], detects=[0]), stump(1, 5.0, [0.5], [0.3], detects=[0])]
    )
    snare = stump(0, 0.0, [0.2], [0.7], detects=[1])
    detectors = train.combine([kick, snare])
    np.testing.assert_allclose(
        detectors.probabilities(X_STUMPS),
        [[0.7, 0.2], [0.3, 0.7], [0.6, 0.2], [0.2, 0.7]],  # kick: mean of its two trees
        atol=1e-6,
    )
    from dirigent.embed import classifier

    model = classifier.CategoryModel(stump(0, 0.0, [1.0, 0.0], [0.0, 1.0]), detectors)
    model.save(tmp_path / "m.npz")  # and both survive the round trip the shipped model takes
    loaded = classifier.load(tmp_path / "m.npz")
    for part in ("classifier", "detectors"):
        np.testing.assert_allclose(
            getattr(loaded, part).probabilities(X_STUMPS),
            getattr(model, part).probabilities(X_STUMPS),
            atol=1e-3,
        )
    with pytest.raises(DirigentError, match="different classes"):
        classifier.CategoryModel(model.classifier, replace(detectors, classes=("kick", "tom")))
    np.savez(tmp_path / "old.npz", **model.classifier.arrays("x"))
    with pytest.raises(DirigentError, match="older format"):
        classifier.load(tmp_path / "old.npz")


def test_make_corpus_fetches_every_package_of_the_material(train) -> None:  # type: ignore[no-untyped-def]
    """`make corpus` runs before any venv exists, so it lists the packages itself: it must
    name every one the training script takes material from."""
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^corpus:\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert recipe, "no corpus target in the Makefile"
    fetched = set(recipe.group(1).replace("\\\n", " ").split())
    assert "lmms-common" in fetched
    assert set(train.PACKAGES) <= fetched, set(train.PACKAGES) - fetched
