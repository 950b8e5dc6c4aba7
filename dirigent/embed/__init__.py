"""Embedding backends: audio and text into one vector space (default: listen; extra: CLAP)."""

from __future__ import annotations

from dirigent.config import Config
from dirigent.embed.base import Embedder


def load_backend(config: Config) -> Embedder:
    """The configured backend, ready to embed (heavy imports only for the one chosen)."""
    if config.backend == "clap":
        from dirigent.embed import clap

        return clap.load(config.models / config.clap_model)
    from dirigent.embed.listen import ListenEmbedder

    return ListenEmbedder()
