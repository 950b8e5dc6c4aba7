"""The sound engine: every parameter renders safe audio (finite, true peak <= -0.3 dBTP,
loudness matched, seamless loops), deterministically; the musical promises hold."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import resample_poly

from dirigent import demo_kit
from dirigent.analysis.loudness import integrated_loudness
from dirigent.errors import ParameterError
from dirigent.mutate import PARAMS, Mutation, render
from dirigent.mutate import transforms as tf
from dirigent.mutate.chain import MAX_SEED, bar_length, true_peak

BPM = 128.0


def drum_loop(sr: int, lufs: float = -14.0) -> np.ndarray:
    """Two bars, stereo, at a sample pack's usual loudness."""
    mono = demo_kit.drum_loop(sr=sr, rng=np.random.default_rng(5), bpm=BPM, bars=2, style=2)
    y = np.vstack([mono, np.roll(mono, 32)])
    return (y * 10 ** ((lufs - integrated_loudness(y, sr=sr)) / 20)).astype(np.float32)


def true_peak_db(y: np.ndarray) -> float:
    """An independent true-peak reading: the whole signal upsampled 4x."""
    return 20 * np.log10(np.abs(resample_poly(y, 4, 1, axis=-1)).max())


EXTREMES = [
    (name, value) for name in PARAMS for value in (0.0, 1.0) if value != PARAMS[name].neutral
]


@pytest.mark.parametrize(("name", "value"), EXTREMES, ids=[f"{n}={v:g}" for n, v in EXTREMES])
def test_every_parameter_renders_safe_audio(sr: int, name: str, value: float) -> None:
    y = drum_loop(sr)
    other = np.roll(y, sr // 3, axis=-1) * 0.5
    mutation = Mutation.of(1, {name: value}, seed=11, tempo=132.0)
    out = render(y, sr=sr, mutation=mutation, source_bpm=BPM, is_loop=True, layer=other)
    assert out.dtype == np.float32 and np.isfinite(out).all()
    assert true_peak_db(out) <= -0.3 + 0.01
    assert abs(integrated_loudness(out, sr=sr) - integrated_loudness(y, sr=sr)) <= 1.0
    steps = np.abs(np.diff(out, axis=-1))
    wrap = np.abs(out[:, 0] - out[:, -1])
    assert (wrap <= np.percentile(steps, 99.9, axis=-1) + 1e-4).all(), "a click at the wrap"


def test_the_same_mutation_renders_the_same_samples() -> None:
    y = drum_loop(44100)
    params = {"slice": 0.7, "stutter": 0.5, "gate": 0.5, "drive": 0.4, "pitch": 0.6}
    first = render(
        y,
        sr=44100,
        mutation=Mutation.of(3, params, seed=9, tempo=BPM),
        source_bpm=BPM,
        is_loop=True,
    )
    again = render(
        y,
        sr=44100,
        mutation=Mutation.of(3, params, seed=9, tempo=BPM),
        source_bpm=BPM,
        is_loop=True,
    )
    other = render(
        y,
        sr=44100,
        mutation=Mutation.of(3, params, seed=10, tempo=BPM),
        source_bpm=BPM,
        is_loop=True,
    )
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_stretch_lands_a_loop_on_whole_bars_of_the_session_tempo(sr: int) -> None:
    y = drum_loop(sr)  # 2 bars at 128
    out = render(
        y,
        sr=sr,
        mutation=Mutation.of(1, {"stretch": 1.0}, seed=0, tempo=124.0),
        source_bpm=BPM,
        is_loop=True,
    )
    assert out.shape[-1] == round(2 * 4 * 60 / 124.0 * sr)
    assert bar_length(y.shape[-1], sr=sr, bpm=BPM, tempo=124.0) == out.shape[-1]


def test_one_shots_keep_their_length_and_pitch_like_a_sampler(sr: int) -> None:
    t = np.arange(sr // 2) / sr
    tone = np.vstack([0.5 * np.sin(2 * np.pi * 220 * t) * np.exp(-t / 0.2)] * 2).astype(np.float32)
    same = render(
        tone,
        sr=sr,
        mutation=Mutation.of(1, {"stretch": 1.0}, seed=0, tempo=140.0),
        source_bpm=None,
        is_loop=False,
    )
    assert same.shape == tone.shape
    up = render(
        tone,
        sr=sr,
        mutation=Mutation.of(1, {"pitch": 1.0}, seed=0, tempo=140.0),
        source_bpm=None,
        is_loop=False,
    )
    assert abs(up.shape[-1] - tone.shape[-1] / 2) <= 2  # an octave up plays twice as fast
    spectrum = np.abs(np.fft.rfft(up[0]))
    assert abs(np.argmax(spectrum) * sr / up.shape[-1] - 440) < 10


def test_a_loop_transposed_keeps_its_length_and_moves_its_pitch() -> None:
    sr = 44100
    t = np.arange(2 * sr) / sr
    tone = np.vstack([0.5 * np.sin(2 * np.pi * 220 * t)] * 2).astype(np.float32)
    out = render(
        tone,
        sr=sr,
        mutation=Mutation.of(1, {"pitch": 0.5 + 7 / 24}, seed=0, tempo=BPM),
        source_bpm=BPM,
        is_loop=True,
    )
    assert out.shape == tone.shape
    spectrum = np.abs(np.fft.rfft(out[0, sr // 2 : -sr // 2]))
    assert abs(np.argmax(spectrum) * sr / (out.shape[-1] - sr) - 220 * 2 ** (7 / 12)) < 3


def test_true_peak_reads_what_upsampling_the_whole_signal_reads(
    rng: np.random.Generator,
) -> None:
    sr = 44100
    t = np.arange(sr // 4) / sr
    signals = [
        rng.normal(0, 0.3, (2, 5000)),
        np.sign(rng.normal(0, 1, (1, 3000))) * 0.9,  # square-ish: large inter-sample overs
        0.8 * np.sin(2 * np.pi * sr / 4 * t + np.pi / 4)[None],  # peaks fall between samples
        drum_loop(sr),
        np.zeros((1, 40)) + np.eye(1, 40, 17),  # one click: the filter's own taps
    ]
    for y in signals:
        y = y.astype(np.float32)
        expected = np.abs(resample_poly(y, 4, 1, axis=-1)).max()
        assert true_peak(y) == pytest.approx(expected, rel=1e-5)


def test_transforms_do_what_they_say(rng: np.random.Generator) -> None:
    sr = 44100
    noise = rng.normal(0, 0.2, (2, sr)).astype(np.float32)
    np.testing.assert_array_equal(
        tf.reverse(noise, sr=sr)[:, 200:-200], noise[:, ::-1][:, 200:-200]
    )
    dark = tf.filter_sweep(noise, sr=sr, kind="lowpass", start_hz=500, end_hz=500, q=0.7)
    high = lambda x: np.abs(np.fft.rfft(x[0]))[5000:].sum()  # noqa: E731 - energy above ~5 kHz
    assert high(dark) < 0.05 * high(noise)
    crushed = tf.crush(noise, bits=4, hold=1)
    assert np.unique(crushed).size <= 16 + 1
    gated = tf.gate(noise, sr=sr, bpm=120, pattern=np.array([True, False] * 8))
    step = sr // 8  # 16th notes at 120 BPM
    assert np.abs(gated[:, step + 500 : 2 * step - 500]).max() == 0
    assert tf.stretch(noise, sr=sr, length=30000).shape == (2, 30000)
    np.testing.assert_array_equal(tf.stutter(noise, sr=sr, bpm=120, amount=0.0, rng=rng), noise)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"wobble": 0.5}, "unknown parameter 'wobble'"),
        ({"drive": float("nan")}, "drive=nan"),
        ({"pitch": 1.5}, "pitch=1.5"),
        ({"gate": -0.1}, "gate=-0.1"),
    ],
)
def test_bad_parameters_are_refused_by_name(params: dict[str, float], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        Mutation.of(1, params, seed=0, tempo=BPM)


@pytest.mark.parametrize("seed", [-1, 2.5, float("nan"), float("inf"), True, "3", MAX_SEED + 1])
def test_a_seed_that_is_no_whole_number_in_range_is_refused(seed: object) -> None:
    with pytest.raises(ParameterError, match=f"seed={seed!r} must be a whole number"):
        Mutation.of(1, {}, seed=seed, tempo=BPM)  # type: ignore[arg-type]


def test_a_seed_sent_as_a_float_is_the_whole_number() -> None:
    assert Mutation.of(1, {}, seed=3.0, tempo=BPM).seed == 3  # OSC sends numbers as floats
    assert Mutation.of(1, {}, seed=MAX_SEED, tempo=BPM).seed == MAX_SEED


def test_describe_names_what_changed() -> None:
    m = Mutation.of(
        4, {"pitch": 0.625, "reverse": 1.0, "drive": 0.4, "filter": 0.5}, seed=7, tempo=BPM
    )
    assert m.describe() == "drive40_pitch+3_rev_s7"


@pytest.mark.parametrize("name", ["pitch", "filter"])
def test_a_hot_source_keeps_the_ceiling_before_the_loudness(name: str) -> None:
    y = drum_loop(48000, lufs=-9.0)  # mastered-loud: the ceiling binds before the match
    value = 0.0 if name == "pitch" else 1.0
    out = render(
        y,
        sr=48000,
        mutation=Mutation.of(1, {name: value}, seed=1, tempo=BPM),
        source_bpm=BPM,
        is_loop=True,
    )
    assert true_peak_db(out) <= -0.3 + 0.01
    assert abs(integrated_loudness(out, sr=48000) - integrated_loudness(y, sr=48000)) <= 2.5
