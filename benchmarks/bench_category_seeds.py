"""How much the relevance figures move with the category model's training seed.

Trains the shipped recipe (scripts/train_category_model.py, never on lmms-common) once per
seed (seed s: the forests of material draws 8s to 8s+7) and measures each model as `make bench`
measures the shipped one: P@10 per prompt and drum one-shot accuracy by ear on lmms-common
under anonymised names. The shipped model is seed 0's; this says whether a figure is the
recipe's or the seed's.

    make bench-seeds          # SEEDS=4 by default; about ten minutes per seed on 2 cores
    python benchmarks/bench_category_seeds.py --first 2 --seeds 2   # seeds 2 and 3 alone
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

from bench_search import (
    CACHE,
    PROMPTS,
    ROOT,
    Relevance,
    anonymised_corpus,
    lmms_samples,
    measure,
    warm_searcher,
)
from dirigent.embed import classifier
from dirigent.embed.listen import ListenEmbedder

sys.path.insert(0, str(ROOT / "scripts"))
import train_category_model  # noqa: E402  (a script, not a package)


def row(name: str, r: Relevance) -> str:
    """One line of the table: P@10 per prompt, then drum accuracy."""
    p10 = "".join(f"{r.p10[p]:>10.2f}" for p in PROMPTS)
    return f"{name:<10}{p10}{r.drum_accuracy:>10.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=4, help="how many seeds to train")
    parser.add_argument("--first", type=int, default=0, help="the first of them")
    args = parser.parse_args()
    samples = lmms_samples()
    if samples is None:
        sys.exit("lmms-common could not be fetched")
    train_category_model.fetch(CACHE)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        corpus = anonymised_corpus(samples, work)
        print(f"{'model':<10}" + "".join(f"{p:>10}" for p in PROMPTS) + f"{'drum acc':>10}")
        shipped = measure(corpus, warm_searcher(corpus, ListenEmbedder(), work / "shipped"))
        print(row("shipped", shipped), flush=True)
        seeds = []
        for seed in range(args.first, args.first + args.seeds):
            path = work / f"model-{seed}.npz"
            train_category_model.train(CACHE, seed).save(path)
            backend = ListenEmbedder(classifier.load(path))
            seeds.append(measure(corpus, warm_searcher(corpus, backend, work / f"index-{seed}")))
            print(row(f"seed {seed}", seeds[-1]), flush=True)
        figures = np.array([[*r.p10.values(), r.drum_accuracy] for r in seeds])
        for name, reduce in (("mean", np.mean), ("min", np.min), ("max", np.max)):
            print(f"{name:<10}" + "".join(f"{v:>10.2f}" for v in reduce(figures, axis=0)))


if __name__ == "__main__":
    main()
