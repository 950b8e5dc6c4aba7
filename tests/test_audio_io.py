"""Reading audio: formats, the Ogg-in-WAV container, and every kind of bad file."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from dirigent.audio_io import blocks, decode, ogg_in_wav, probe
from dirigent.errors import AudioError
from tests.conftest import write


@pytest.mark.parametrize(
    ("ext", "fmt", "subtype"),
    [
        ("wav", "WAV", "PCM_16"),
        ("aiff", "AIFF", "PCM_24"),
        ("flac", "FLAC", "PCM_16"),
        ("ogg", "OGG", "VORBIS"),
        ("mp3", "MP3", "MPEG_LAYER_III"),
        ("wav", "WAV", "FLOAT"),
    ],
)
def test_formats_decode(
    tmp_path: Path, rng: np.random.Generator, ext: str, fmt: str, subtype: str
) -> None:
    y = (rng.standard_normal((2, 22050)) * 0.1).astype(np.float32)
    path = tmp_path / f"x.{ext}"
    sf.write(path, y.T, 44100, format=fmt, subtype=subtype)
    out, sr, info = decode(path.read_bytes(), path)
    assert sr == 44100 and out.shape[0] == 2 and info.format == fmt
    assert abs(out.shape[1] - 22050) < 2000  # lossy codecs pad a little


def wrap_ogg_in_wav(ogg: bytes, sr: int) -> bytes:
    """A WAV whose fmt tag is WAVE_FORMAT_OGG_VORBIS_MODE_1 and whose data is an Ogg stream."""
    fmt = struct.pack("<HHIIHH", 0x674F, 1, sr, sr * 2, 2, 16)
    chunks = b"fmt " + struct.pack("<I", len(fmt)) + fmt
    chunks += b"data" + struct.pack("<I", len(ogg)) + ogg + (b"\0" if len(ogg) % 2 else b"")
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks


def test_ogg_stream_inside_wav_is_unwrapped(tmp_path: Path, rng: np.random.Generator) -> None:
    ogg_path = write(tmp_path / "a.ogg", rng.standard_normal(44100) * 0.1, 44100, "VORBIS")
    wrapped = wrap_ogg_in_wav(ogg_path.read_bytes(), 44100)
    assert ogg_in_wav(wrapped) == ogg_path.read_bytes()
    y, sr, info = decode(wrapped, tmp_path / "kick04.ogg")
    assert info.format == "WAV/OGG" and sr == 44100 and y.shape[1] > 40000


def bad_files(tmp_path: Path, rng: np.random.Generator) -> dict[str, tuple[Path, str]]:
    """The corrupt-file corpus: name -> (path, words the error must contain)."""
    d = tmp_path / "bad"
    good = rng.standard_normal(44100) * 0.1
    out: dict[str, tuple[Path, str]] = {}
    data = write(d / "whole.wav", good, 44100, "PCM_16").read_bytes()
    (d / "truncated.wav").write_bytes(data[: len(data) // 3])
    out["truncated wav"] = (d / "truncated.wav", "truncated")
    aiff = write(d / "whole.aiff", good, 44100, "PCM_16").read_bytes()
    (d / "truncated.aiff").write_bytes(aiff[: len(aiff) // 2])
    out["truncated aiff"] = (d / "truncated.aiff", "truncated")
    (d / "whole.wav").unlink()
    (d / "whole.aiff").unlink()
    (d / "empty.wav").write_bytes(b"")
    out["zero-length"] = (d / "empty.wav", "empty file")
    (d / "notes.wav").write_text("these are my notes, not audio\n" * 20)
    out["wrong extension"] = (d / "notes.wav", "not a readable WAV file: Format not recognised")
    nan = good.copy()
    nan[100:110] = np.nan
    nan[200] = np.inf
    out["nan/inf"] = (write(d / "nan.wav", nan, 44100, "FLOAT"), "NaN or infinite")
    out["0 samples"] = (write(d / "zero.wav", np.zeros(0), 44100, "PCM_16"), "no audio frames")
    out["8ch 192k"] = (
        write(d / "surround.wav", rng.standard_normal((8, 1920)) * 0.1, 192000, "PCM_24"),
        "8 channels at 192000 Hz",
    )
    return out


def test_every_bad_file_is_a_clear_error(tmp_path: Path, rng: np.random.Generator) -> None:
    for name, (path, words) in bad_files(tmp_path, rng).items():
        with pytest.raises(AudioError, match=words):
            decode(path.read_bytes(), path)
        if name not in ("zero-length", "wrong extension", "nan/inf"):
            with pytest.raises(AudioError, match=words):
                probe(path)


def test_a_file_no_decoder_reads_is_a_clear_error_without_warnings(
    tmp_path: Path, recwarn: pytest.WarningsRecorder
) -> None:
    path = tmp_path / "notes.mp3"  # libsndfile fails, then librosa's audioread fallback
    path.write_text("these are my notes, not audio\n" * 20)
    with pytest.raises(AudioError, match="^not audio that libsndfile or audioread can decode"):
        decode(path.read_bytes(), path)
    assert not recwarn.list, [str(w.message) for w in recwarn.list]


def test_blocks_stream_a_file(tmp_path: Path, rng: np.random.Generator) -> None:
    y = rng.standard_normal((2, 44100 * 3)).astype(np.float32) * 0.1
    path = write(tmp_path / "long.wav", y, 44100, "FLOAT")
    got = np.concatenate(list(blocks(path, seconds=0.7)), axis=1)
    np.testing.assert_array_equal(got, y)
