"""Embedding backends: audio and text into one vector space (default: listen; extra: CLAP)."""

from __future__ import annotations

from dirigent.config import Config
from dirigent.embed.base import Embedder


def load_backend(config: Config) -> Embedder:
    """The configured backend, ready to embed (heavy imports only for the one chosen)."""
    if config.backend == "clap":
        from dirigent.embed import clap
        from dirigent.torch_device import resolve

        return clap.load(config.models / config.clap_model, resolve(config.torch_device))
    from dirigent.embed.listen import ListenEmbedder

    return ListenEmbedder()
