"""Demucs separation with a small, randomly initialised HTDemucs built here (no weights can be
downloaded): block-wise processing, the CLI, cataloguing with the parent track, clear errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

pytest.importorskip("demucs", reason="the demucs extra is not installed")

from dirigent.errors import ConfigError  # noqa: E402
from dirigent.separate import checkpoint_path, load_separator, separate_track  # noqa: E402

SOURCES = ["drums", "bass", "other", "vocals"]


def tiny_checkpoint(models: Path, name: str = "tiny") -> Path:
    """A 25k-parameter HTDemucs of the real architecture, saved as Demucs packages its models."""
    import torch
    from demucs.htdemucs import HTDemucs

    torch.manual_seed(0)
    kwargs = dict(
        sources=SOURCES,
        audio_channels=2,
        channels=8,
        depth=2,
        nfft=512,
        t_layers=1,
        t_heads=1,
        dconv_comp=4,
        segment=4,
        samplerate=44100,
    )
    model = HTDemucs(**kwargs)
    path = checkpoint_path(models, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"klass": HTDemucs, "args": (), "kwargs": kwargs, "state": model.state_dict()}, path)
    return path


def track(path: Path, seconds: float, sr: int = 44100) -> Path:
    rng = np.random.default_rng(1)
    t = np.arange(int(seconds * sr)) / sr
    y = 0.3 * np.sin(2 * np.pi * 55 * t) + 0.1 * rng.normal(size=t.size) * (
        np.sin(2 * np.pi * 2 * t) > 0
    )
    sf.write(path, np.vstack([y, y]).T, sr, subtype="PCM_16")
    return path


def test_a_track_is_separated_block_by_block(tmp_path: Path) -> None:
    tiny_checkpoint(tmp_path / "models")
    model = load_separator(tmp_path / "models", "tiny")
    blocks: list[int] = []
    done = separate_track(
        model,
        track(tmp_path / "song.wav", 5.0),
        tmp_path / "out",
        block_s=2.0,
        on_block=blocks.append,
    )
    assert blocks == [0, 1, 2]  # never more than 2 s (+ context) in memory
    assert set(done.stems) == set(SOURCES)
    for path in done.stems.values():
        info = sf.info(path)
        assert info.frames == 5 * 44100 and info.channels == 2 and info.subtype == "PCM_24"
        assert np.isfinite(sf.read(path)[0]).all()


def test_separate_catalogues_the_stems_with_their_track(
    tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    tiny_checkpoint(tmp_path / "models")
    monkeypatch.setenv("DIRIGENT_MODELS", str(tmp_path / "models"))
    song = track(tmp_path / "song.wav", 3.0)
    rc, _, err = cli("separate", str(song), str(tmp_path / "typo.wav"), "--model", "tiny")
    assert rc == 2 and f"not a file: {tmp_path / 'typo.wav'}" in err
    assert not (tmp_path / "separated").exists()  # no track is split before all are there
    rc, out, err = cli("separate", str(song), "--model", "tiny", "--out", str(tmp_path / "stems"))
    assert rc == 0, err
    assert "drums" in out and "vocals" in out
    from dirigent.catalog import Catalog

    with Catalog(tmp_path / "stems.duckdb", read_only=True) as catalog:
        parts = catalog.separations_of(str(song.resolve()))
    assert set(parts) == set(SOURCES)


def test_a_missing_checkpoint_names_the_file(
    tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigError, match=r"demucs/htdemucs\.th is missing: download"):
        load_separator(tmp_path / "models")
    monkeypatch.setenv("DIRIGENT_MODELS", str(tmp_path / "models"))
    rc, _, err = cli("separate", str(track(tmp_path / "a.wav", 1.0)))
    assert rc == 1 and "htdemucs.th is missing" in err
