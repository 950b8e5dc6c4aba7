"""Where the torch models (CLAP, Demucs) run: the ``torch_device`` setting made concrete."""

from __future__ import annotations

from dirigent.errors import ConfigError


def resolve(name: str) -> str:
    """``auto``: the first CUDA GPU, else Apple's GPU, else the CPU. A named device must be
    there: asking for a GPU that torch cannot see is a configuration error, not a slow run."""
    import torch

    mps = getattr(torch.backends, "mps", None)
    has_mps = mps is not None and mps.is_available()
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "mps" if has_mps else "cpu"
    if name.startswith("cuda"):
        index = int(name.partition(":")[2] or 0)
        if index >= torch.cuda.device_count():
            seen = torch.cuda.device_count()
            raise ConfigError(f"torch_device = {name!r}, but torch sees {seen} CUDA GPU(s)")
    if name == "mps" and not has_mps:
        raise ConfigError("torch_device = 'mps', but torch sees no Apple GPU")
    return name
