"""Analysis on synthesised audio with known answers, and on the demo kit without its names."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from scipy.signal import resample_poly

from dirigent import demo_kit
from dirigent.analysis import analyse, sounding
from dirigent.analysis.descriptors import BAND_NAMES, NAMES
from dirigent.analysis.quality import assess
from dirigent.analysis.tonality import relative_key
from dirigent.audio_io import decode
from dirigent.embed import classifier


def click_loop(*, sr: int, bpm: float, beats: int, rng: np.random.Generator) -> np.ndarray:
    """A loop of kick-like thumps on every beat and softer hats on the off-beats."""
    k = demo_kit.kick(sr=sr, rng=rng, decay=0.2)
    h = demo_kit.hat(sr=sr, rng=rng, decay=0.03)
    beat = 60 / bpm
    hits = [(i * beat, k) for i in range(beats)] + [
        (i * beat + beat / 2, 0.4 * h) for i in range(beats)
    ]
    return demo_kit._place(int(round(beats * beat * sr)), hits, sr=sr)[None, :]


@pytest.mark.parametrize("bpm", [124, 128, 133, 140, 150])
def test_loop_bpm_in_the_techno_octave(sr: int, bpm: float, rng: np.random.Generator) -> None:
    a = analyse(click_loop(sr=sr, bpm=bpm, beats=8, rng=rng), sr=sr)
    assert a.is_loop
    assert a.bpm == pytest.approx(bpm, abs=0.5)


def test_half_time_loop_reads_in_the_techno_octave(rng: np.random.Generator) -> None:
    # kicks on beats 1 and 3 only, hats on every beat: 140 BPM, not 70
    sr, bpm = 44100, 140
    beat = 60 / bpm
    k = demo_kit.kick(sr=sr, rng=rng, decay=0.2)
    h = demo_kit.hat(sr=sr, rng=rng, decay=0.03)
    hits = [(i * beat, k) for i in range(0, 8, 2)] + [(i * beat, 0.5 * h) for i in range(8)]
    y = demo_kit._place(int(round(8 * beat * sr)), hits, sr=sr)[None, :]
    assert analyse(y, sr=sr, loop_hint=True).bpm == pytest.approx(140, abs=0.5)


def test_one_shots_have_no_bpm(sr: int, rng: np.random.Generator) -> None:
    a = analyse(demo_kit.kick(sr=sr, rng=rng)[None, :], sr=sr)
    assert not a.is_loop and a.bpm is None


def minor_triad(
    key: str, *, octave: int, seconds: float, sr: int, rng: np.random.Generator
) -> np.ndarray:
    """A minor chord on the key's root, as a synth plays it."""
    root = demo_kit.root_midi(key, octave)
    notes = [root, root + 3, root + 7]
    return demo_kit.chord(
        sr=sr, rng=rng, notes=notes, seconds=seconds, attack=0.005, release=0.2, cutoff=3000
    )


@pytest.mark.parametrize("key", ["Am", "Cm", "F#m", "Dm"])
def test_minor_chord_key(sr: int, key: str, rng: np.random.Generator) -> None:
    y = minor_triad(key, octave=3, seconds=2.0, sr=sr, rng=rng)
    assert analyse(y, sr=sr).key == key


def test_noise_has_no_key(sr: int, rng: np.random.Generator) -> None:
    assert analyse(rng.standard_normal((1, sr)) * 0.3, sr=sr).key is None


@pytest.mark.parametrize("maker", [demo_kit.ride, demo_kit.hat, demo_kit.clap, demo_kit.shaker])
def test_unpitched_one_shots_have_no_key(maker, sr: int, rng: np.random.Generator) -> None:
    # a ride's inharmonic partials once read as "C": a key filter would have let it through
    a = analyse(np.atleast_2d(maker(sr=sr, rng=rng)), sr=sr)
    assert not a.is_loop and a.key is None


def test_pitched_one_shots_keep_their_note_or_chord(sr: int, rng: np.random.Generator) -> None:
    tom = demo_kit.tom(sr=sr, rng=rng, pitch=110.0)  # A2
    bass = demo_kit.bass_note(sr=sr, rng=rng, note=33, seconds=0.6, cutoff=800, wave="saw")
    stab = minor_triad("Cm", octave=4, seconds=0.6, sr=sr, rng=rng)
    assert [analyse(np.atleast_2d(y), sr=sr).key for y in (tom, bass, stab)] == ["A", "A", "Cm"]


def test_what_a_sound_is_does_not_depend_on_its_gain(sr: int, rng: np.random.Generator) -> None:
    y = click_loop(sr=sr, bpm=128, beats=8, rng=rng)
    loud, quiet = analyse(y, sr=sr), analyse(0.05 * y, sr=sr)
    np.testing.assert_allclose(quiet.descriptors, loud.descriptors, rtol=1e-4, atol=1e-4)
    assert (quiet.is_loop, quiet.bpm, quiet.onsets) == (loud.is_loop, loud.bpm, loud.onsets)
    assert quiet.peak_dbfs == pytest.approx(loud.peak_dbfs - 26.0, abs=0.1)  # levels stay levels


@pytest.mark.parametrize("rate", [48000, 96000])
def test_what_a_sound_is_does_not_depend_on_its_file_rate(
    rate: int, rng: np.random.Generator
) -> None:
    """Sounds converted from 44.1 kHz to a higher rate (as a DAW bounces them) are heard as
    themselves: each far closer to its 44.1 kHz original than to any other sound, most all but
    the same (a one-shot's last 10 ms frame still falls where its length puts it), with the
    same onsets and category."""
    sounds = [
        demo_kit.kick(sr=44100, rng=rng),
        demo_kit.snare(sr=44100, rng=rng),
        demo_kit.clap(sr=44100, rng=rng),
        demo_kit.hat(sr=44100, rng=rng),
        demo_kit.tom(sr=44100, rng=rng),
        demo_kit.rim(sr=44100, rng=rng),
        demo_kit.shaker(sr=44100, rng=rng),
        demo_kit.bass_note(sr=44100, rng=rng, note=36),
    ]
    base = [analyse(y[None, :], sr=44100) for y in sounds]
    other = [
        analyse(resample_poly(y, rate // 300, 147, window=("kaiser", 10.0))[None, :], sr=rate)
        for y in sounds
    ]
    assert [a.onsets for a in other] == [a.onsets for a in base]
    x, x_rate = (np.vstack([a.descriptors for a in analyses]) for analyses in (base, other))
    apart = np.linalg.norm(x[:, None] - x[None], axis=2)
    np.fill_diagonal(apart, np.inf)
    share = np.linalg.norm(x_rate - x, axis=1) / apart.min(axis=1)
    assert share.max() < 0.3 and np.median(share) < 0.02
    model = classifier.load().classifier
    assert (model.probabilities(x_rate).argmax(1) == model.probabilities(x).argmax(1)).all()


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda y, sr: np.pad(y, ((0, 0), (sr // 20, 0))), id="50 ms lead-in"),
        pytest.param(lambda y, sr: np.pad(y, ((0, 0), (0, sr))), id="padded by 1 s"),
        pytest.param(lambda y, sr: np.pad(y, ((0, 0), (sr // 10, sr))) - 0.02, id="offset"),
        pytest.param(
            lambda y, sr: np.pad(y, ((0, 0), (sr // 50, 0))) + 0.05, id="offset, short lead-in"
        ),
    ],
)
def test_a_one_shot_is_heard_without_the_silence_and_offset_around_it(
    change: Callable[[np.ndarray, int], np.ndarray], sr: int, rng: np.random.Generator
) -> None:
    """Packs pad one-shots to a fixed length, exports start late, old samplers leave an offset
    (read from the silence it sits on): none of it changes what the sound is heard as. The
    file's own length stays its length."""
    sounds = [
        demo_kit.kick(sr=sr, rng=rng),
        demo_kit.snare(sr=sr, rng=rng),
        demo_kit.hat(sr=sr, rng=rng),
        demo_kit.rim(sr=sr, rng=rng),
    ]
    for y in (0.8 * s[None, :] for s in sounds):
        clean, changed = analyse(y, sr=sr), analyse(change(y, sr), sr=sr)
        assert not changed.is_loop
        np.testing.assert_allclose(changed.descriptors, clean.descriptors, rtol=0.02, atol=0.05)
        assert changed.duration == pytest.approx(change(y, sr).shape[1] / sr, abs=1e-4)


@pytest.mark.parametrize("offset", [0.0, 0.03])
def test_a_click_in_silence_is_the_click(offset: float, sr: int) -> None:
    """A sound shorter than the 10 ms windows that find it is cut to its own samples."""
    y = np.full((2, sr), offset)
    y[:, sr // 2 : sr // 2 + sr // 500] += 0.5
    assert sounding(y, sr=sr).shape == (2, sr // 500)
    np.testing.assert_allclose(sounding(y, sr=sr), 0.5)
    assert np.isfinite(analyse(y, sr=sr).descriptors).all()


def test_silence_and_a_constant_are_analysed(sr: int) -> None:
    for y in (np.zeros((1, sr)), np.full((1, sr), 0.2)):
        assert sounding(y, sr=sr).shape == y.shape
        assert np.isfinite(analyse(y, sr=sr).descriptors).all()


def test_a_loop_keeps_its_length_and_its_silence(sr: int, rng: np.random.Generator) -> None:
    """A loop's bars are its length: a break at its end is part of it."""
    y = click_loop(sr=sr, bpm=128, beats=8, rng=rng)
    with_break = np.concatenate([y, np.zeros_like(y[:, : y.shape[1] // 4])], axis=1)
    a = analyse(with_break, sr=sr, loop_hint=True)
    assert a.is_loop
    duration = a.descriptors[NAMES.index("log_duration")]
    assert duration == pytest.approx(np.log10(with_break.shape[1] / sr), abs=1e-3)


def test_input_is_not_modified(rng: np.random.Generator) -> None:
    y = rng.standard_normal((2, 44100)).astype(np.float32) * 0.1
    before = y.copy()
    analyse(y, sr=44100)
    np.testing.assert_array_equal(y, before)


def test_tiny_single_cycle_waveform_is_analysed() -> None:
    y = np.sin(2 * np.pi * np.arange(256) / 256)[None, :].astype(np.float32)
    a = analyse(y, sr=44100)
    assert a.duration == pytest.approx(256 / 44100, abs=1e-4) and a.loudness_lufs is not None


@pytest.mark.parametrize("sr", [8000, 16000, 22050])
def test_low_sample_rates_are_described(sr: int) -> None:
    """Bands above Nyquist (an old 8 or 16 kHz sample) hold no energy instead of failing."""
    t = np.arange(sr) / sr
    y = (np.sin(2 * np.pi * 110 * t) * np.exp(-3 * t))[None, :]
    d = analyse(y, sr=sr).descriptors
    bands = d[[NAMES.index(f"band_{b}") for b in BAND_NAMES]]
    assert np.isfinite(d).all() and bands.sum() == pytest.approx(1, abs=1e-4)
    assert bands[BAND_NAMES.index("bass")] > 0.9 and (bands >= 0).all()
    if sr < 20000:
        assert bands[BAND_NAMES.index("air")] < 1e-6  # all but the rate converter's leak


# --- quality -------------------------------------------------------------------------------


def decaying(sr: int, rng: np.random.Generator, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    tone = np.sin(2 * np.pi * 220 * t) + 0.01 * rng.standard_normal(t.size)
    return 0.5 * tone * np.exp(-t / 0.08)


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda y, sr: np.clip(y * 8, -1, 1), "clipping"),
        (lambda y, sr: y + 0.05, "DC offset"),
        (lambda y, sr: np.concatenate([np.zeros(int(0.3 * sr)), y]), "leading silence"),
        (lambda y, sr: np.concatenate([y, np.zeros(int(2 * sr))]), "trailing silence"),
        (lambda y, sr: y[: int(0.05 * sr)], "truncated tail"),
        (lambda y, sr: y + 0.003 * np.sin(2 * np.pi * 50 * np.arange(y.size) / sr), "noise floor"),
        (lambda y, sr: y * 1e-4, "silent"),
        (lambda y, sr: np.zeros(1), "silent"),
    ],
    ids=["clip", "dc", "lead", "trail", "truncated", "hum", "silent", "one-sample"],
)
def test_quality_flags(sr: int, rng: np.random.Generator, mutate, reason: str) -> None:
    clean = decaying(sr, rng)
    assert assess(clean[None, :], sr=sr, is_loop=False).score == 1.0
    q = assess(mutate(clean, sr)[None, :], sr=sr, is_loop=False)
    assert q.score < 1.0
    assert any(r.startswith(reason) for r in q.reasons), q.reasons


def test_quality_stereo_and_rate_flags(rng: np.random.Generator) -> None:
    y = decaying(22050, rng)
    assert any("below 44.1 kHz" in r for r in assess(y[None, :], sr=22050, is_loop=False).reasons)
    y = decaying(44100, rng)
    for stereo, reason in [
        (np.stack([y, y]), "identical channels"),
        (np.stack([y, np.zeros_like(y)]), "one silent channel"),
        (np.stack([y, -y * 0.9]), "out of phase"),
        (np.stack([y, -y]), "out of phase"),
    ]:
        q = assess(stereo, sr=44100, is_loop=False)
        assert any(reason in r for r in q.reasons), q.reasons
        assert not any(r.startswith("silent") for r in q.reasons), q.reasons  # loud channels


# --- the demo kit with its names hidden: the analysis must listen ----------------------------


def test_demo_kit_by_ear(kit: list[demo_kit.KitFile]) -> None:
    loops_right = bpm_right = key_right = 0
    with_bpm = [f for f in kit if f.bpm]
    with_key = [f for f in kit if f.key]
    for f in kit:
        y, sr, _ = decode(f.path.read_bytes(), f.path)
        a = analyse(y, sr=sr, loop_hint=False)  # no path hints at all
        loops_right += a.is_loop == f.is_loop
        bpm_right += bool(f.bpm and a.bpm and abs(a.bpm - f.bpm) < 1)
        key_right += bool(f.key and a.key == f.key)
    assert loops_right / len(kit) >= 0.95
    assert bpm_right / len(with_bpm) >= 0.9
    assert key_right / len(with_key) >= 0.75


@pytest.mark.parametrize(
    ("key", "relative"),
    [
        ("Am", "C"),
        ("C", "Am"),
        ("F#m", "A"),
        ("A#m", "C#"),
        ("D#", "Cm"),
        ("B", "G#m"),
        ("H", None),
    ],
)
def test_relative_key_holds_the_same_notes(key: str, relative: str | None) -> None:
    assert relative_key(key) == relative
    if relative:
        assert relative_key(relative) == key
