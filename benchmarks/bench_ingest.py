"""Ingest throughput (files/s) for one-shots and 8 s loops, against plain soundfile.read of the
same files measured in the same run. Prints a table; numbers are this machine's, today."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from dirigent import demo_kit
from dirigent.catalog import Catalog
from dirigent.config import load_config
from dirigent.ingest import ingest

N_ONE_SHOTS = 600
N_LOOPS = 150
SR = 44100


def make_one_shots(root: Path) -> None:
    """Kicks, snares, hats and claps of 0.2-0.8 s, each with its own seed (distinct audio)."""
    makers = [demo_kit.kick, demo_kit.snare, demo_kit.hat, demo_kit.clap]
    names = ["Kick", "Snare", "Hat", "Clap"]
    for i in range(N_ONE_SHOTS):
        rng = np.random.default_rng(i)
        y = makers[i % 4](sr=SR, rng=rng)
        folder = root / names[i % 4]
        folder.mkdir(parents=True, exist_ok=True)
        sf.write(folder / f"{names[i % 4]}_{i:04d}.wav", y, SR, subtype="PCM_24")


def make_loops(root: Path) -> None:
    """8 s stereo drum loops at 120 BPM (4 bars), each with its own seed."""
    root.mkdir(parents=True, exist_ok=True)
    for i in range(N_LOOPS):
        rng = np.random.default_rng(10_000 + i)
        y = demo_kit.drum_loop(sr=SR, rng=rng, bpm=120, bars=4, style=i % 4)
        stereo = np.stack([y, np.roll(y, 64)])
        sf.write(root / f"Loop_{i:03d}.wav", stereo.T, SR, subtype="PCM_24")


def read_all(root: Path) -> float:
    """Baseline: soundfile.read of every file, one process; returns files/s."""
    files = sorted(root.rglob("*.wav"))
    start = time.perf_counter()
    for f in files:
        sf.read(f, dtype="float32")
    return len(files) / (time.perf_counter() - start)


def ingest_rate(root: Path, db: Path) -> tuple[float, float]:
    """Dirigent ingest of ``root`` into a new catalog, worker start-up included:
    (first run files/s, unchanged rescan s)."""
    config = load_config()
    with Catalog(db) as catalog:
        report = ingest([root], catalog, config)
        if report.failed:
            raise SystemExit(f"benchmark corpus had failures: {report.errors[:3]}")
        rescan = ingest([root], catalog, config)
    return report.files_per_second, rescan.seconds


def pool_start_seconds() -> float:
    """Wall time to start the worker processes and run one tiny job in each."""
    config = load_config()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for i in range(8):
            sf.write(root / f"k{i}.wav", np.random.default_rng(i).standard_normal(441) * 0.1, SR)
        with Catalog(root / "c.duckdb") as catalog:
            return ingest([root], catalog, config).seconds


def main() -> None:
    print(
        f"machine: {os.cpu_count()} cores; ingest uses {load_config().workers or os.cpu_count()}"
        " worker processes; baseline is one process"
    )
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        for label, make, count in (
            ("one-shots (0.2-1.6 s)", make_one_shots, N_ONE_SHOTS),
            ("loops (8 s stereo)", make_loops, N_LOOPS),
        ):
            root = base / label.split()[0]
            make(root)
            baseline = read_all(root)
            rate, rescan = ingest_rate(root, base / f"{root.name}.duckdb")
            rows.append((label, count, baseline, rate, rate / baseline, rescan))
    start = pool_start_seconds()
    print()
    print(
        f"{'material':<24}{'files':>7}{'sf.read files/s':>17}{'ingest files/s':>16}"
        f"{'ratio':>8}{'rescan s':>10}"
    )
    for label, count, baseline, rate, ratio, rescan in rows:
        print(f"{label:<24}{count:>7}{baseline:>17.0f}{rate:>16.0f}{ratio:>8.2f}{rescan:>10.3f}")
    print(f"\nworker start-up (8 tiny files, included in the rates above): {start:.2f} s")
    print(
        "ratio: ingest (hash + decode + full analysis + DuckDB write) vs bare decoding;"
        "\nrescan: a second ingest of the same, unchanged files (nothing is read)."
    )


if __name__ == "__main__":
    main()
