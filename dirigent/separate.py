"""Stem separation with Demucs (extra ``demucs``): a full track into drums, bass, other and
vocals, from a local checkpoint, block by block so a long track never sits in memory whole."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from dirigent.audio_io import probe, read_excerpt
from dirigent.errors import ConfigError, DirigentError
from dirigent.mutate.transforms import resample

BLOCK_S = 30.0  # seconds separated at a time
CONTEXT_S = 2.0  # extra audio on each side of a block, cut away after (no seams)
CHECKPOINT_HELP = (
    "download a Demucs checkpoint where a network exists (for htdemucs: "
    "https://dl.fbaipublicfiles.com/demucs/hybrid_transformer/955717e8-8726e21a.th) and save "
    "it under that name"
)


@dataclass(frozen=True)
class Separated:
    """The stems written for one track."""

    track: Path
    stems: dict[str, Path]  # source name -> WAV
    seconds: float  # length of the track


def checkpoint_path(models: Path, name: str) -> Path:
    """Where the checkpoint ``name`` lives: ``<models>/demucs/<name>.th``."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise ConfigError(f"{name!r} is not a Demucs model name")
    return models / "demucs" / f"{name}.th"


def load_separator(models: Path, name: str = "htdemucs") -> Any:
    """The Demucs model from its local checkpoint, ready for inference (never downloaded)."""
    path = checkpoint_path(models, name)
    if not path.is_file():
        raise ConfigError(f"Demucs checkpoint {path} is missing: {CHECKPOINT_HELP}")
    try:
        import torch  # noqa: F401 - the extra must be installed
        from demucs.states import load_model
    except ImportError as e:
        raise ConfigError(f"Demucs is not installed: pip install -e '.[demucs]' ({e})") from e
    try:
        model = load_model(str(path))
    except Exception as e:
        raise ConfigError(f"Demucs checkpoint {path} cannot be loaded: {e}") from e
    model.eval()
    return model


def separate_block(model: Any, y: np.ndarray, *, device: str = "cpu") -> np.ndarray:
    """Sources of one block at the model's rate: (sources, channels, n) for ``y`` (channels, n),
    computed on the torch ``device``."""
    import torch
    from demucs.apply import apply_model

    channels = model.audio_channels
    if y.shape[0] != channels:
        y = np.repeat(y.mean(axis=0, keepdims=True), channels, axis=0)
    wav = torch.from_numpy(np.ascontiguousarray(y, dtype=np.float32))[None]
    scale = float(wav.abs().max()) or 1.0
    with torch.no_grad():
        out = apply_model(
            model, wav / scale, split=True, overlap=0.25, progress=False, device=device
        )
    return out[0].cpu().numpy() * scale


def separate_track(
    model: Any,
    track: Path,
    out_dir: Path,
    *,
    block_s: float = BLOCK_S,
    on_block: Callable[[int], None] | None = None,
    device: str = "cpu",
) -> Separated:
    """Separate ``track`` into ``out_dir/<source>.wav`` (24-bit, the track's rate), reading and
    writing ``block_s`` at a time with :data:`CONTEXT_S` of context on each side, on the torch
    ``device``."""
    info = probe(track)
    sr, total = info.sr, info.frames
    out_dir.mkdir(parents=True, exist_ok=True)
    sources = list(model.sources)
    paths = {s: out_dir / f"{s}.wav" for s in sources}
    writers = {
        s: sf.SoundFile(p, "w", samplerate=sr, channels=model.audio_channels, subtype="PCM_24")
        for s, p in paths.items()
    }
    try:
        block, context = int(block_s * sr), int(CONTEXT_S * sr)
        for n, start in enumerate(range(0, total, block)):
            lo, hi = max(0, start - context), min(total, start + block + context)
            y = read_excerpt(track, start=lo, frames=hi - lo)
            if sr != model.samplerate:
                y = resample(y, factor=model.samplerate / sr)
            parts = separate_block(model, y, device=device)
            if sr != model.samplerate:
                parts = np.stack([resample(p, factor=sr / model.samplerate) for p in parts])
            keep = parts[..., start - lo : start - lo + min(block, total - start)]
            for s, part in zip(sources, keep, strict=True):
                writers[s].write(np.clip(part, -1, 1).T)
            if on_block:
                on_block(n)
    except DirigentError:
        raise
    except Exception as e:
        raise DirigentError(f"separating {track} failed: {type(e).__name__}: {e}") from e
    finally:
        for w in writers.values():
            w.close()
    return Separated(track, paths, total / sr)
