"""BS.1770 loudness against the standard's reference and pyloudnorm."""

from __future__ import annotations

import numpy as np
import pyloudnorm
import pytest

from dirigent.analysis import measure_levels
from dirigent.analysis.loudness import LoudnessMeter, integrated_loudness
from dirigent.errors import ParameterError


def test_full_scale_1k_sine_reads_minus_3_lufs(sr: int) -> None:
    t = np.arange(sr * 3) / sr
    assert integrated_loudness(np.sin(2 * np.pi * 997 * t), sr=sr) == pytest.approx(-3.01, abs=0.05)


def test_agrees_with_pyloudnorm(sr: int, rng: np.random.Generator) -> None:
    y = rng.standard_normal((2, sr * 5)) * np.linspace(0.02, 0.3, sr * 5)
    reference = pyloudnorm.Meter(sr).integrated_loudness(y.T)
    assert integrated_loudness(y, sr=sr) == pytest.approx(reference, abs=0.1)


def test_block_feeding_equals_one_block(rng: np.random.Generator) -> None:
    sr = 44100
    y = rng.standard_normal((2, sr * 4)) * 0.1
    meter = LoudnessMeter(sr=sr, channels=2)
    for start in range(0, y.shape[1], 3001):
        meter.process(y[:, start : start + 3001])
    assert meter.integrated() == pytest.approx(integrated_loudness(y, sr=sr), abs=1e-6)


def test_silence_has_no_loudness() -> None:
    assert integrated_loudness(np.zeros((1, 44100)), sr=44100) is None


def test_short_one_shot_is_measured_over_its_length() -> None:
    sr = 44100
    t = np.arange(int(0.1 * sr)) / sr
    loud = integrated_loudness(0.5 * np.sin(2 * np.pi * 997 * t), sr=sr)
    assert loud == pytest.approx(-3.01 - 6.02, abs=0.3)


def test_levels_of_a_known_signal() -> None:
    sr = 48000
    t = np.arange(sr) / sr
    y = 0.5 * np.sin(2 * np.pi * 1000 * t)[None, :]
    levels = measure_levels([y], sr=sr, channels=1)
    assert levels.peak_dbfs == pytest.approx(-6.02, abs=0.01)
    assert levels.rms_dbfs == pytest.approx(-9.03, abs=0.01)


@pytest.mark.parametrize(("sr", "channels"), [(4000, 1), (44100, 3)])
def test_bad_meter_parameters(sr: int, channels: int) -> None:
    with pytest.raises(ParameterError):
        LoudnessMeter(sr=sr, channels=channels)
