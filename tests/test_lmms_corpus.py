"""Debian's lmms-common samples: a real, labelled corpus fetched at test time (not committed)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from dirigent.audio_io import is_audio_path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache" / "debian"
SAMPLES = CACHE / "lmms-common" / "lmms" / "samples"

pytestmark = pytest.mark.network


@pytest.fixture(scope="module")
def corpus() -> Path:
    """The unpacked samples folder, fetched once with scripts/fetch_debian_samples.sh."""
    if not SAMPLES.is_dir():
        if shutil.which("apt-get") is None or shutil.which("dpkg") is None:
            pytest.skip("needs apt-get and dpkg to fetch Debian's lmms-common")
        result = subprocess.run(
            [str(ROOT / "scripts" / "fetch_debian_samples.sh"), str(CACHE), "lmms-common"],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            pytest.skip(f"lmms-common could not be fetched: {result.stderr.strip()[-200:]}")
    return SAMPLES


EXPECTED = {  # folder -> the categories its files may get from their paths
    "drums": {"kick", "snare", "clap", "hihat", "cymbal", "tom", "perc"},
    "basses": {"bass"},
    "stringsnpads": {"pad"},
    "effects": {"fx"},
}


def test_every_lmms_sample_is_catalogued(cli, corpus: Path) -> None:
    files = [p for p in corpus.rglob("*") if p.is_file() and is_audio_path(p)]
    assert len(files) >= 200
    rc, out, err = cli("ingest", str(corpus), "--json")
    assert rc == 0, err
    report = json.loads(out)
    assert report["failed"] == 0, report["errors"]
    assert report["catalog"]["files"] == len(files)

    rc, out, _ = cli("stems", "--json")
    stems = json.loads(out)
    by_path = {Path(s["path"]).relative_to(corpus): s for s in stems}
    copies = {
        Path(d["path"]).relative_to(corpus)
        for d in json.loads(cli("stems", "--duplicates", "--json")[1])
    }
    assert len(by_path) + len(copies) == len(files)
    for rel, s in by_path.items():
        folder = rel.parts[0]
        if folder in EXPECTED:
            assert s["category"] in EXPECTED[folder], (rel, s["category"])
        if folder in ("beats", "bassloops"):
            assert s["is_loop"] and s["bpm"] is not None and 60 <= s["bpm"] <= 200, rel
    kicks = [r for r, s in by_path.items() if r.parts[0] == "drums" and "kick" in r.name]
    assert all(by_path[r]["category"] == "kick" for r in kicks)
