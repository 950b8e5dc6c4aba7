"""LAION CLAP backend (extra ``clap``): a Hugging Face-format checkpoint (``ClapModel``, e.g.
laion/larger_clap_music_and_speech) loaded from a local folder, or one of LAION's original
``.pt`` checkpoints through the ``laion-clap`` package where it is installed; never from a hub
at run time. Audio is embedded at 48 kHz in 10 s windows, mean-pooled over a file's windows."""

from __future__ import annotations

import os
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
    if path.suffix == ".pt":
        what = "LAION checkpoint"
        how = f"download {path.name} from LAION's CLAP releases (lukewys/laion_clap) to that path"
    else:
        what = "CLAP checkpoint (needs config.json and the model weights)"
        how = (
            f"`dirigent models pull {path.name}`, or download {HUB_ORGANISATION}/{path.name} "
            "from Hugging Face into that folder"
        )
    return DirigentError(
        f"{what} not found at {path}. Where a network exists: {how}; or set "
        'backend = "listen" to search offline.'
    )


class ClapEmbedder:
    """Text and audio through a CLAP model's two towers into its shared projection space."""

    name = "clap"

    def __init__(self, model: Any, processor: Any, device: str = "cpu") -> None:
        self.device = device
        self.model = model.to(device).eval()
        self.processor = processor
        self.dim = int(model.config.projection_dim)
        self.version = str(getattr(model.config, "_name_or_path", "")) or "unnamed"

    @classmethod
    def from_directory(cls, path: Path, device: str = "cpu") -> ClapEmbedder:
        """Load model and processor from ``path`` (local files only), to run on ``device``."""
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
        return cls(model, processor, device)

    def _on_device(self, inputs: Any) -> dict[str, Any]:
        return {k: v.to(self.device) if hasattr(v, "to") else v for k, v in inputs.items()}

    @staticmethod
    def _features(output: Any) -> np.ndarray:
        tensor = output if hasattr(output, "detach") else output.pooler_output
        return tensor.detach().cpu().numpy().astype(np.float32)

    def window_vectors(self, windows: list[np.ndarray]) -> np.ndarray:
        """One projection per 48 kHz window, ``(windows, dim)``."""
        import torch

        inputs = self._on_device(
            self.processor(audio=windows, sampling_rate=SR, return_tensors="pt")
        )
        with torch.no_grad():
            output = self.model.get_audio_features(
                input_features=inputs["input_features"], is_longer=inputs.get("is_longer")
            )
        return self._features(output)

    def embed_texts(self, prompts: Sequence[str]) -> np.ndarray:
        """Unit vectors of prompts."""
        import torch

        inputs = self._on_device(
            self.processor(text=list(prompts), return_tensors="pt", padding=True)
        )
        with torch.no_grad():
            output = self.model.get_text_features(
                input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"]
            )
        return normalise(self._features(output))

    def embed_audio(self, y: np.ndarray, *, sr: int) -> np.ndarray:
        """Mean of the window embeddings, unit length."""
        return normalise(self.window_vectors(windows(y, sr=sr)).mean(axis=0))

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

    def unknown_words(self, prompt: str) -> list[str]:
        """None: CLAP's tokenizer reads any word."""
        return []


class LaionCheckpointEmbedder(ClapEmbedder):
    """One of LAION's original ``.pt`` checkpoints (``630k-audioset-best.pt``,
    ``music_audioset_epoch_15_esc_90.14.pt``, ...) through the ``laion-clap`` package."""

    def __init__(self, module: Any, version: str, device: str = "cpu") -> None:
        self.device = device
        self.module = module
        self.version = version
        self.dim = int(module.model_cfg["embed_dim"])

    @classmethod
    def from_checkpoint(cls, path: Path, device: str = "cpu") -> LaionCheckpointEmbedder:
        """Build the checkpoint's architecture (its name says which: "fusion", "music") and
        load its weights; the package's text tower comes from the Hugging Face cache."""
        if not path.is_file():
            raise missing_checkpoint(path)
        try:
            import laion_clap
        except ImportError as e:
            raise DirigentError(
                f"{path.name} is one of LAION's original checkpoints: it needs the laion-clap "
                "package (pip install laion-clap), or use a Hugging Face-format folder instead"
            ) from e
        fusion = "fusion" in path.name
        audio_model = "HTSAT-base" if path.name.startswith("music") else "HTSAT-tiny"
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # its roberta-base: from the cache only
        try:
            module = laion_clap.CLAP_Module(enable_fusion=fusion, device=device, amodel=audio_model)
            module.load_ckpt(str(path), verbose=False)
        except (OSError, RuntimeError, ValueError, KeyError) as e:
            raise DirigentError(
                f"cannot load {path} with laion-clap ({audio_model}, fusion {fusion}); it builds "
                f"its text tower from roberta-base in the Hugging Face cache: {e}"
            ) from e
        return cls(module, path.name, device)

    def window_vectors(self, windows: list[np.ndarray]) -> np.ndarray:
        """One projection per 48 kHz window (shorter ones repeat-padded by the package)."""
        import torch

        with torch.no_grad():
            return np.asarray(self.module.get_audio_embedding_from_data(x=windows), np.float32)

    def embed_texts(self, prompts: Sequence[str]) -> np.ndarray:
        """Unit vectors of prompts."""
        import torch

        with torch.no_grad():
            vectors = self.module.get_text_embedding(list(prompts))
        return normalise(np.asarray(vectors, dtype=np.float32))


def windows(y: np.ndarray, *, sr: int) -> list[np.ndarray]:
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


def load(path: Path, device: str = "cpu") -> ClapEmbedder:
    """The CLAP checkpoint at ``path``: a ``.pt`` file (LAION's own), else a Hugging Face
    folder; run on the torch ``device``."""
    if path.suffix == ".pt":
        return LaionCheckpointEmbedder.from_checkpoint(path, device)
    return ClapEmbedder.from_directory(path, device)
