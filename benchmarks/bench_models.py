"""Speed of the torch models on each device torch sees: Demucs separation of a stereo track
and CLAP embedding of audio windows and prompts, on randomly initialised models of the real
architectures (the compute is the weights' shape, not their values), the CPU as the baseline
in the same run. Not part of `make bench` (minutes on a small CPU): `make bench-models`."""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from dirigent.embed.clap import SR, ClapEmbedder, windows
from dirigent.separate import separate_block


def devices() -> list[str]:
    return ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def timed(fn, repeats: int) -> float:
    """Median seconds of ``repeats`` runs after one warm-up."""
    fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        times.append(time.perf_counter() - started)
    return float(np.median(times))


def demucs_model():
    from demucs.htdemucs import HTDemucs

    torch.manual_seed(0)
    return HTDemucs(sources=["drums", "bass", "other", "vocals"]).eval()


def clap_model() -> ClapEmbedder:
    """ClapConfig's defaults (the clap-htsat-unfused architecture: HTSAT audio tower, RoBERTa
    text tower, 512-d projection) with a tokenizer built here."""
    from transformers import (
        ClapConfig,
        ClapFeatureExtractor,
        ClapModel,
        ClapProcessor,
        RobertaTokenizer,
    )

    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    vocab = {t: i for i, t in enumerate(["<s>", "<pad>", "</s>", "<unk>", "<mask>", *letters])}
    vocab.update({"Ġ" + c: len(vocab) + i for i, c in enumerate(letters)})
    torch.manual_seed(0)
    processor = ClapProcessor(
        feature_extractor=ClapFeatureExtractor(truncation="rand_trunc"),
        tokenizer=RobertaTokenizer(vocab=vocab, merges=[]),
    )
    return ClapEmbedder(ClapModel(ClapConfig()), processor)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=30.0, help="track length for Demucs")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    track = (0.1 * rng.standard_normal((2, int(args.seconds * 44100)))).astype(np.float32)
    audio = (0.1 * rng.standard_normal(int(8 * 10 * SR))).astype(np.float32)  # 8 windows
    prompts = [f"dark hypnotic techno kick number {i}" for i in range(64)]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads; devices: {devices()}")
    print(f"\n{'model / work':<44}{'device':>8}{'seconds':>10}{'x real time':>13}{'rate':>16}")
    model = demucs_model()
    clap = clap_model()
    cut = windows(audio[None], sr=SR)
    for device in devices():
        s = timed(lambda d=device: separate_block(model, track, device=d), args.repeats)
        print(
            f"{f'HTDemucs, {args.seconds:.0f} s stereo 44.1 kHz':<44}{device:>8}{s:>10.2f}"
            f"{args.seconds / s:>13.1f}{'':>16}"
        )
        clap.device = device
        clap.model.to(device)
        s = timed(lambda: clap.window_vectors(cut), args.repeats)
        print(
            f"{'CLAP audio, 8 windows of 10 s':<44}{device:>8}{s:>10.3f}{80 / s:>13.1f}"
            f"{f'{len(cut) / s:.1f} windows/s':>16}"
        )
        s = timed(lambda: clap.embed_texts(prompts), args.repeats)
        print(
            f"{'CLAP text, 64 prompts':<44}{device:>8}{s:>10.3f}{'':>13}"
            f"{f'{len(prompts) / s:.0f} prompts/s':>16}"
        )


if __name__ == "__main__":
    main()
