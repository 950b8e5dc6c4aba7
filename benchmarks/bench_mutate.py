"""Mutation figures: render time of a 4-bar 128 BPM stereo 44.1 kHz loop per transform and for
a full chain (with and without stretch to 132 BPM), as milliseconds and real-time factor, next
to a plain copy of the same array (the baseline, same run)."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from dirigent import demo_kit
from dirigent.analysis.loudness import integrated_loudness
from dirigent.mutate import Mutation, render
from dirigent.mutate import transforms as tf
from dirigent.mutate.chain import finish

SR = 44100
BPM = 128.0
REPEATS = 21  # a median of many: a burst of the shared machine moved one of 7 by 2x


def loop() -> np.ndarray:
    mono = demo_kit.drum_loop(sr=SR, rng=np.random.default_rng(0), bpm=BPM, bars=4, style=1)
    return np.vstack([mono, np.roll(mono, 64)]).astype(np.float32)


def timed(fn: Callable[[], object]) -> float:
    """Median milliseconds of ``REPEATS`` runs (after one warm-up)."""
    fn()
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return float(np.median(times))


def main() -> None:
    y = loop()
    seconds = y.shape[-1] / SR
    lufs = integrated_loudness(y, sr=SR)  # what the catalog holds for every stem
    rng = np.random.default_rng(1)
    pattern = rng.random(16) > 0.4
    other = np.roll(y, 5000, axis=-1)
    full = {
        "slice": 0.5,
        "stutter": 0.3,
        "filter": 0.3,
        "resonance": 0.5,
        "drive": 0.5,
        "crush": 0.3,
        "gate": 0.3,
        "transient": 0.7,
        "layer": 0.3,
    }
    cases: list[tuple[str, Callable[[], object]]] = [
        ("baseline: copy of the array", lambda: y.copy()),
        ("pitch +3 (varispeed)", lambda: tf.pitch(y, sr=SR, semitones=3)),
        ("pitch +3 (keep length)", lambda: tf.pitch(y, sr=SR, semitones=3, length=y.shape[-1])),
        (
            "stretch 128 -> 132 BPM",
            lambda: tf.stretch(y, sr=SR, length=int(y.shape[-1] * BPM / 132)),
        ),
        ("reverse", lambda: tf.reverse(y, sr=SR)),
        (
            "slice (onset-aware shuffle)",
            lambda: tf.shuffle(y, sr=SR, bpm=BPM, amount=0.5, rng=np.random.default_rng(2)),
        ),
        (
            "stutter",
            lambda: tf.stutter(y, sr=SR, bpm=BPM, amount=0.3, rng=np.random.default_rng(2)),
        ),
        (
            "filter sweep",
            lambda: tf.filter_sweep(y, sr=SR, kind="lowpass", start_hz=20000, end_hz=400, q=3),
        ),
        ("drive", lambda: tf.drive(y, amount=0.6)),
        ("crush", lambda: tf.crush(y, bits=8, hold=4)),
        ("gate", lambda: tf.gate(y, sr=SR, bpm=BPM, pattern=pattern)),
        ("transient", lambda: tf.transient(y, sr=SR, amount=0.6)),
        ("layer", lambda: tf.layer(y, other, mix=0.3)),
        (
            "finish (loudness, limiter, seam)",
            lambda: finish(y * 2.0, sr=SR, target_lufs=lufs, is_loop=True),
        ),
        (
            "full chain, no stretch or pitch",
            lambda: render(
                y,
                sr=SR,
                mutation=Mutation.of(1, full, seed=3, tempo=132),
                source_bpm=BPM,
                is_loop=True,
                layer=other,
                source_lufs=lufs,
            ),
        ),
        (
            "full chain + pitch +3 + stretch",
            lambda: render(
                y,
                sr=SR,
                mutation=Mutation.of(1, {**full, "pitch": 0.625, "stretch": 1}, seed=3, tempo=132),
                source_bpm=BPM,
                is_loop=True,
                layer=other,
                source_lufs=lufs,
            ),
        ),
    ]
    print(
        f"\nmutation: 4-bar {BPM:g} BPM stereo loop, {SR} Hz, {seconds:.2f} s "
        f"(median of {REPEATS} runs)"
    )
    print(f"{'transform':<34}{'ms':>9}{'x real time':>13}{'x copy':>9}")
    base = None
    for name, fn in cases:
        ms = timed(fn)
        base = base or ms
        print(f"{name:<34}{ms:>9.2f}{seconds * 1000 / ms:>13.0f}{ms / base:>9.0f}")


if __name__ == "__main__":
    main()
