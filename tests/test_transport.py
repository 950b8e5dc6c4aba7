"""The transport clock: position, tempo changes, jitter smoothing, locates, next bar."""

from __future__ import annotations

import numpy as np
import pytest

from dirigent.errors import ParameterError
from dirigent.transport import TransportClock


def playing(bpm: float = 120.0, at: float = 0.0) -> TransportClock:
    clock = TransportClock()
    clock.set_tempo(bpm, now=at)
    clock.set_beat(0.0, now=at)
    clock.set_playing(True, now=at)
    return clock


def test_position_runs_at_tempo_and_freezes_when_stopped() -> None:
    clock = playing(128.0)
    assert clock.beat_at(15.0) == pytest.approx(32.0)  # 128 BPM: 32 beats in 15 s
    clock.set_playing(False, now=15.0)
    assert clock.beat_at(99.0) == pytest.approx(32.0)


def test_tempo_change_keeps_the_position_and_bends_the_line() -> None:
    clock = playing(120.0)
    clock.set_tempo(60.0, now=2.0)  # 4 beats so far, then one beat per second
    assert clock.beat_at(5.0) == pytest.approx(7.0)


def test_jittery_reports_are_smoothed(rng: np.random.Generator) -> None:
    clock = playing(120.0)
    errors = []
    for n in range(1, 200):
        t = n * 0.05
        clock.set_beat(t * 2 + rng.normal(0, 0.05), now=t)  # true position + 25 ms of jitter
        errors.append(abs(clock.beat_at(t) - t * 2))
    assert np.mean(errors[50:]) < 0.05 * 0.6  # smoothed: well under the report jitter


def test_a_jump_is_a_locate() -> None:
    clock = playing(120.0)
    clock.set_beat(64.0, now=1.0)
    assert clock.beat_at(1.0) == pytest.approx(64.0)


@pytest.mark.parametrize(
    ("numerator", "denominator", "beat", "bar"),
    [(4, 4, 5.0, 8.0), (4, 4, 8.0, 12.0), (3, 4, 4.0, 6.0), (7, 8, 1.0, 3.5)],
)
def test_next_bar(numerator: int, denominator: int, beat: float, bar: float) -> None:
    clock = playing(120.0)
    clock.set_signature(numerator, denominator)
    clock.set_beat(beat, now=10.0)
    at_beat, at_time = clock.next_bar(10.0)
    assert at_beat == pytest.approx(bar)
    assert at_time == pytest.approx(10.0 + (bar - beat) * 0.5)


def test_next_bar_while_stopped_is_now() -> None:
    clock = TransportClock()
    assert clock.next_bar(3.0)[1] == 3.0


@pytest.mark.parametrize(
    ("call", "value"),
    [
        (lambda c: c.set_tempo(float("nan"), now=0), "tempo=nan"),
        (lambda c: c.set_tempo(5.0, now=0), "tempo=5.0"),
        (lambda c: c.set_beat(float("inf"), now=0), "beat=inf"),
        (lambda c: c.set_signature(0, 4), "numerator=0"),
        (lambda c: c.set_signature(4, 3), "denominator=3"),
    ],
)
def test_bad_cues_are_refused_with_the_value_named(call, value: str) -> None:
    clock = TransportClock()
    with pytest.raises(ParameterError, match=value):
        call(clock)
    assert clock == TransportClock()  # nothing changed
