"""Reading audio files: WAV, AIFF, FLAC, OGG and MP3 through libsndfile, others through
librosa/audioread where installed. Every failure is an :class:`AudioError` that says why."""

from __future__ import annotations

import io
import struct
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from dirigent.errors import AudioError

AUDIO_EXTENSIONS = frozenset(
    {".wav", ".wave", ".aif", ".aiff", ".aifc", ".flac", ".ogg", ".oga", ".mp3"}
)
MAX_CHANNELS = 2


@dataclass(frozen=True)
class AudioInfo:
    """What a file's header says: container format, rate, channel and frame counts."""

    format: str
    sr: int
    channels: int
    frames: int

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.frames / self.sr


def is_audio_path(path: Path) -> bool:
    """True for the file extensions Dirigent ingests."""
    return path.suffix.lower() in AUDIO_EXTENSIONS


# WAVE_FORMAT_OGG_VORBIS_MODE_* tags: an Ogg Vorbis stream stored as a WAV's data chunk.
_OGG_IN_WAV_TAGS = frozenset({0x674F, 0x6750, 0x6751, 0x676F, 0x6770, 0x6771})


def _chunks(data: bytes, size_format: str = "<I") -> Iterator[tuple[bytes, int, int]]:
    """(id, payload start, payload length) of each chunk of a RIFF (``<I``) or IFF (``>I``) file."""
    pos = 12
    while pos + 8 <= len(data):
        chunk_id = data[pos : pos + 4]
        (length,) = struct.unpack(size_format, data[pos + 4 : pos + 8])
        yield chunk_id, pos + 8, length
        pos += 8 + length + (length & 1)


def ogg_in_wav(data: bytes) -> bytes | None:
    """The Ogg stream inside a WAV with an Ogg Vorbis format tag, else ``None``."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return None
    tag = None
    for chunk_id, start, length in _chunks(data):
        if chunk_id == b"fmt " and length >= 2:
            (tag,) = struct.unpack("<H", data[start : start + 2])
        elif chunk_id == b"data" and tag in _OGG_IN_WAV_TAGS:
            return data[start : start + length]
    return None


def _declared_shortfall(head: bytes, size: int) -> tuple[int, int] | None:
    """(declared, present) bytes of the audio chunk of a WAV or AIFF whose data is cut short."""
    if len(head) < 12:
        return None
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        size_format, data_id = "<I", b"data"
    elif head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        size_format, data_id = ">I", b"SSND"
    else:
        return None
    for chunk_id, start, length in _chunks(head, size_format):
        if chunk_id == data_id:
            present = size - start
            return (length, present) if present < length else None
    return None


def _check_complete(head: bytes, size: int) -> None:
    """Raise for a WAV or AIFF whose audio chunk is shorter than its header declares."""
    shortfall = _declared_shortfall(head, size)
    if shortfall:
        declared, present = shortfall
        raise AudioError(
            f"truncated: header declares {declared} bytes of audio, file holds {max(present, 0)}"
        )


def _check(info: AudioInfo, path: Path) -> None:
    if info.frames <= 0:
        raise AudioError("no audio frames (header holds 0 samples)")
    if info.channels > MAX_CHANNELS:
        raise AudioError(
            f"{info.channels} channels at {info.sr} Hz: Dirigent catalogues mono and stereo "
            "stems; bounce or split multichannel files first"
        )
    if info.sr < 8000:
        raise AudioError(f"sample rate {info.sr} Hz is below 8 kHz")


def _check_finite(y: np.ndarray) -> None:
    if not np.isfinite(y).all():
        bad = int(np.count_nonzero(~np.isfinite(y)))
        raise AudioError(f"{bad} samples are NaN or infinite")


def _fallback_decode(data: bytes, path: Path) -> tuple[np.ndarray, int]:
    """librosa (audioread/ffmpeg) for what libsndfile cannot read; optional dependency."""
    try:
        import librosa
    except ImportError as e:
        raise AudioError("format not recognised by libsndfile (install librosa for more)") from e
    with warnings.catch_warnings():  # that it falls back to audioread, which is deprecated
        warnings.simplefilter("ignore")
        try:
            y, sr = librosa.load(path, sr=None, mono=False)
        except Exception as e:  # audioread raises many unrelated types, some with no message
            why = f": {e}" if str(e) else ""
            raise AudioError(f"not audio that libsndfile or audioread can decode{why}") from e
    return np.atleast_2d(y).astype(np.float32), int(sr)


def decode(data: bytes, path: Path) -> tuple[np.ndarray, int, AudioInfo]:
    """Decode a whole file held in memory to ``(channels, n)`` float32 samples.

    Raises
    ------
    AudioError
        For empty, truncated, unrecognised, multichannel, silent-header or non-finite audio.
    """
    if not data:
        raise AudioError("empty file (0 bytes)")
    _check_complete(data[:65536], len(data))
    wrapped = ogg_in_wav(data)
    try:
        with sf.SoundFile(io.BytesIO(wrapped or data)) as f:
            info = AudioInfo("WAV/OGG" if wrapped else f.format, f.samplerate, f.channels, f.frames)
            _check(info, path)
            y = np.ascontiguousarray(f.read(dtype="float32", always_2d=True).T)
    except sf.LibsndfileError as e:
        if path.suffix.lower() in (".wav", ".aif", ".aiff", ".flac"):
            kind = path.suffix[1:].upper()
            raise AudioError(f"not a readable {kind} file: {e.error_string}") from e
        y, sr = _fallback_decode(data, path)
        info = AudioInfo(path.suffix[1:].upper(), sr, y.shape[0], y.shape[1])
        _check(info, path)
    if y.shape[1] == 0:
        raise AudioError("no audio frames could be decoded")
    _check_finite(y)
    return y, info.sr, info


def probe(path: Path) -> AudioInfo:
    """Header facts of a file on disk, without decoding it."""
    with path.open("rb") as f:
        head = f.read(65536)
    _check_complete(head, path.stat().st_size)
    try:
        i = sf.info(str(path))
    except sf.LibsndfileError as e:
        raise AudioError(f"not a readable audio file: {e}") from e
    info = AudioInfo(i.format, i.samplerate, i.channels, i.frames)
    _check(info, path)
    return info


def blocks(path: Path, *, seconds: float = 10.0) -> Iterator[np.ndarray]:
    """``(channels, n)`` float32 blocks of a long file, in order, checked for NaN/inf."""
    try:
        with sf.SoundFile(str(path)) as f:
            size = max(1, int(seconds * f.samplerate))
            for block in f.blocks(blocksize=size, dtype="float32", always_2d=True):
                block = np.ascontiguousarray(block.T)
                _check_finite(block)
                yield block
    except sf.LibsndfileError as e:
        raise AudioError(f"read failed: {e}") from e


def read_excerpt(path: Path, *, start: int, frames: int) -> np.ndarray:
    """``frames`` samples from frame ``start`` as ``(channels, n)`` float32."""
    try:
        with sf.SoundFile(str(path)) as f:
            f.seek(start)
            y = np.ascontiguousarray(f.read(frames, dtype="float32", always_2d=True).T)
    except sf.LibsndfileError as e:
        raise AudioError(f"read failed: {e}") from e
    _check_finite(y)
    return y
