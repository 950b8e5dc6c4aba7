"""LAION CLAP backend (extra ``clap``): a Hugging Face-format checkpoint (``ClapModel``, e.g.
laion/larger_clap_music_and_speech) loaded from a local folder, never from a hub at run time.
Audio is embedded at 48 kHz in 10 s windows, mean-pooled over a file's windows."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy.signal import resample_poly

from dirigent.audio_io import decode
from dirigent.embed.base import StemRecord, normalise
from dirigent.errors import DirigentError

SR = 48000
WINDOW_S = 10.0
MAX_WINDOWS = 12  # two minutes: longer files are represented by evenly spread windows
HUB_ORGANISATION = "laion"


def missing_checkpoint(path: Path) -> DirigentError:
    """The error for a checkpoint that is not on disk, with how to get it."""
    return DirigentError(
        f"CLAP checkpoint not found at {path} (needs config.json and the model weights). "
        f"Where a network exists: `dirigent models pull {path.name}`, or download "
        f"{HUB_ORGANISATION}/{path.name} from Hugging Face into that folder; or set "
        'backend = "listen" to search offline.'
    )


class ClapEmbedder:
    """Text and audio through a CLAP model's two towers into its shared projection space."""

    name = "clap"

    def __init__(self, model: Any, processor: Any) -> None:
        self.model = model.eval()
        self.processor = processor
        self.dim = int(model.config.projection_dim)
        self.version = str(getattr(model.config, "_name_or_path", "")) or "unnamed"

    @classmethod
    def from_directory(cls, path: Path) -> ClapEmbedder:
        """Load model and processor from ``path`` (local files only)."""
        if not (path / "config.json").is_file():
            raise missing_checkpoint(path)
        try:
            from transformers import ClapModel, ClapProcessor
        except ImportError as e:
            raise DirigentError("the CLAP backend needs: pip install 'dirigent[clap]'") from e
        try:
            model = ClapModel.from_pretrained(path, local_files_only=True)
            processor = ClapProcessor.from_pretrained(path, local_files_only=True)
        except (OSError, ValueError) as e:
            raise DirigentError(f"cannot load the CLAP checkpoint in {path}: {e}") from e
        return cls(model, processor)

    @staticmethod
    def _features(output: Any) -> np.ndarray:
        tensor = output if hasattr(output, "detach") else output.pooler_output
        return tensor.detach().cpu().numpy().astype(np.float32)

    def windows(self, y: np.ndarray, *, sr: int) -> list[np.ndarray]:
        """Mono 48 kHz windows of at most 10 s covering ``y`` (evenly spread when long)."""
        mono = np.atleast_2d(y).mean(axis=0)
        if sr != SR:
            divisor = np.gcd(int(sr), SR)
            mono = resample_poly(mono, SR // divisor, int(sr) // divisor)
        size = int(WINDOW_S * SR)
        starts = list(range(0, max(1, mono.size - size // 4), size)) or [0]
        if len(starts) > MAX_WINDOWS:
            starts = [starts[int(i)] for i in np.linspace(0, len(starts) - 1, MAX_WINDOWS)]
        return [mono[s : s + size].astype(np.float32) for s in starts]

    def embed_audio(self, y: np.ndarray, *, sr: int) -> np.ndarray:
        """Mean of the window embeddings, unit length."""
        import torch

        windows = self.windows(y, sr=sr)
        inputs = self.processor(audio=windows, sampling_rate=SR, return_tensors="pt")
        with torch.no_grad():
            output = self.model.get_audio_features(
                input_features=inputs["input_features"], is_longer=inputs.get("is_longer")
            )
        return normalise(self._features(output).mean(axis=0))

    def embed_texts(self, prompts: Sequence[str]) -> np.ndarray:
        """Unit vectors of prompts."""
        import torch

        inputs = self.processor(text=list(prompts), return_tensors="pt", padding=True)
        with torch.no_grad():
            output = self.model.get_text_features(
                input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"]
            )
        return normalise(self._features(output))

    def embed_text(self, prompt: str) -> np.ndarray:
        """Unit vector of one prompt."""
        return self.embed_texts([prompt])[0]

    def embed_stems(self, stems: Sequence[StemRecord]) -> np.ndarray:
        """Vectors of catalogued stems, read from their files."""
        vectors = []
        for stem in stems:
            try:
                y, sr, _ = decode(stem.path.read_bytes(), stem.path)
            except OSError as e:
                raise DirigentError(f"cannot read {stem.path} to embed it: {e}") from e
            vectors.append(self.embed_audio(y, sr=sr))
        return np.vstack(vectors) if vectors else np.zeros((0, self.dim), dtype=np.float32)

    def explain(self, query: np.ndarray, item: np.ndarray) -> str:
        """CLAP's space has no named dimensions: the similarity is the explanation."""
        return f"clap {float(query @ item):.2f}"
