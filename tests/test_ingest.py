"""Ingest end to end through the CLI: incremental, moves, duplicates, bad files, kills."""

from __future__ import annotations

import json
import os
import shutil
import signal
import struct
import time
from pathlib import Path

import numpy as np
import pytest

from dirigent.analysis import ANALYSIS_VERSION
from dirigent.catalog import Catalog
from dirigent.ingest import WORKER_DIED, _under
from tests.conftest import dirigent_subprocess, write
from tests.test_audio_io import bad_files


@pytest.fixture
def library(tmp_path: Path, kit) -> Path:
    """A writable copy of the demo kit."""
    root = tmp_path / "library"
    shutil.copytree(kit[0].path.parents[2], root)
    return root


def stems_json(cli, *args: str) -> list[dict]:
    rc, out, _ = cli("stems", "--json", *args)
    assert rc == 0
    return json.loads(out)


def test_ingest_catalogues_the_kit_with_truth_from_names(cli, library: Path, kit) -> None:
    rc, out, err = cli("ingest", str(library), "--json")
    assert rc == 0, err
    report = json.loads(out)
    assert report["added"] == len(kit) and report["failed"] == 0
    stems = stems_json(cli)
    assert len(stems) == len(kit)
    truth = {f.path.relative_to(kit[0].path.parents[2]): f for f in kit}
    for s in stems:
        f = truth[Path(s["path"]).relative_to(library)]
        assert s["category"] == f.category
        assert s["is_loop"] == f.is_loop
        for field in (
            "path",
            "hash",
            "duration",
            "loudness_lufs",
            "quality",
            "peak_dbfs",
            "rms_dbfs",
            "sample_rate",
            "channels",
            "format",
            "quality_reasons",
        ):
            assert field in s
        if f.bpm:
            assert s["bpm"] == pytest.approx(f.bpm, abs=0.01)
        if f.key:
            assert s["key"] == f.key


def test_filters(cli, library: Path) -> None:
    cli("ingest", str(library), "--quiet")
    kicks = stems_json(cli, "--category", "Kick")
    assert kicks and {s["category"] for s in kicks} == {"kick"}
    rc, _, err = cli("stems", "--category", "kik")  # a typo is an error, not an empty list
    assert rc == 2 and "unknown category 'kik' (one of kick, snare" in err
    mid = stems_json(cli, "--bpm", "125-135")
    assert mid and all(125 <= s["bpm"] <= 135 for s in mid)
    am = stems_json(cli, "--key", "A minor")
    assert am and {s["key"] for s in am} == {"Am"}
    assert stems_json(cli, "--key", "a-Moll") == am  # German, as prompts and file names take it
    loops = stems_json(cli, "--loops")
    assert loops and all(s["is_loop"] for s in loops)
    rc, _, err = cli("stems", "--bpm", "fast")
    assert rc == 2 and "use 128 or 125-135" in err


def test_stems_show_the_category_heard_beside_the_one_the_path_names(
    cli, tmp_path: Path, kit
) -> None:
    """Copied under numbered names, the kit's sounds have no category by path; by ear they
    are heard as what they are, and ``--heard`` lists those heard as one."""
    anonymous = tmp_path / "anonymous"
    anonymous.mkdir()
    truth = {}
    for n, f in enumerate(kit):
        shutil.copy(f.path, anonymous / f"{n:03d}{f.path.suffix}")
        truth[str(anonymous / f"{n:03d}{f.path.suffix}")] = f.category
    cli("ingest", str(anonymous), "--quiet")
    stems = stems_json(cli)
    assert len(stems) == len(kit) and all(s["category"] is None for s in stems)
    right = [s["heard"] == truth[s["path"]] for s in stems]
    assert sum(right) >= 0.9 * len(stems)  # the model learnt variants of the kit's sounds
    rc, out, _ = cli("stems", "--heard", "Kick", "--json")
    kicks = {s["path"] for s in json.loads(out)}
    assert rc == 0 and kicks == {s["path"] for s in stems if s["heard"] == "kick"}
    assert {p for p, c in truth.items() if c == "kick"} & kicks
    assert cli("stems", "--heard", "kik")[0] == 2
    with Catalog(tmp_path / "stems.duckdb") as catalog:  # descriptors of an older analysis
        catalog.con.execute("UPDATE features SET version = version - 1 WHERE stem_id = ?", [1])
    heard = {s["id"]: s["heard"] for s in stems_json(cli)}
    assert heard[1] is None and all(heard[s["id"]] == s["heard"] for s in stems[1:])
    assert cli("index")[0] == 0  # analyses stem 1 anew; now read back from the vectors
    with Catalog(tmp_path / "stems.duckdb", read_only=True) as catalog:
        assert catalog.con.execute("SELECT count(DISTINCT stem_id) FROM embeddings").fetchone() == (
            len(stems),
        )
    assert [s["heard"] for s in stems_json(cli)] == [s["heard"] for s in stems]


def test_a_reader_that_stops_early_is_no_error(tmp_path: Path, kit_catalog: Path) -> None:
    """``dirigent stems | head -1``: the listing ends quietly when its reader has enough."""
    child = dirigent_subprocess("--db", str(kit_catalog / "stems.duckdb"), "stems", cwd=tmp_path)
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()  # as head does once it has its line: here before the first one
    assert child.wait(timeout=60) == 141
    assert child.stderr.read() == ""


def test_second_run_reads_nothing(cli, library: Path) -> None:
    cli("ingest", str(library), "--quiet")
    rc, out, _ = cli("ingest", str(library), "--json")
    report = json.loads(out)
    assert report["unchanged"] == report["scanned"] and report["added"] == 0


def test_files_an_older_analysis_catalogued_are_analysed_anew(cli, library: Path) -> None:
    cli("ingest", str(library), "--quiet")
    cli("index")
    before = {s["hash"]: s for s in stems_json(cli)}
    with Catalog(library.parent / "stems.duckdb") as catalog:  # as an older Dirigent left it
        catalog.con.execute(
            "UPDATE stems SET analysis_version = analysis_version - 1, key = 'C', "
            "key_source = 'audio' WHERE path LIKE '%Hat%'"
        )
        stale = catalog.stale_analyses(ANALYSIS_VERSION)
        vectors_before = catalog.con.execute("SELECT count(*) FROM embeddings").fetchone()[0]
    assert stale and all("Hat" in Path(p).name for p in stale)
    rc, out, _ = cli("ingest", str(library), "--json")
    report = json.loads(out)
    assert (report["reanalysed"], report["added"]) == (len(stale), 0)
    assert report["unchanged"] == report["scanned"] - len(stale)
    after = {s["hash"]: s for s in stems_json(cli)}
    assert {h: s["id"] for h, s in after.items()} == {h: s["id"] for h, s in before.items()}
    for h, stem in after.items():
        assert stem["key"] == before[h]["key"]  # the hats' "C" is gone again
    with Catalog(library.parent / "stems.duckdb") as catalog:
        assert not catalog.stale_analyses(ANALYSIS_VERSION)
        vectors = catalog.con.execute("SELECT count(*) FROM embeddings").fetchone()[0]
    assert vectors == vectors_before - len(stale)  # made from the old analysis: dropped
    rc, out, _ = cli("ingest", str(library), "--json")
    assert json.loads(out)["reanalysed"] == 0


def test_rename_move_copy_delete_and_edit(cli, library: Path, rng: np.random.Generator) -> None:
    cli("ingest", str(library), "--quiet")
    before = {s["hash"]: s for s in stems_json(cli)}
    kick = next(library.rglob("*Kick_01*"))
    moved = library / "Moved" / "renamed kick.wav"
    moved.parent.mkdir()
    kick.rename(moved)
    shutil.copy(next(library.rglob("*Snare_01*")), library / "snare copy.wav")
    next(library.rglob("*Clap_02*")).unlink()
    hat = next(library.rglob("*Closed_Hat_01*"))
    write(hat, rng.standard_normal(4410) * 0.1, 44100)
    rc, out, _ = cli("ingest", str(library), "--json")
    report = json.loads(out)
    # added: the edited hat; linked: the moved kick and the snare copy; removed: the clap's
    # path and the kick's old path
    assert (report["added"], report["linked"], report["removed"]) == (1, 2, 2)
    assert report["duplicates"] == 1
    after = {s["hash"]: s for s in stems_json(cli)}
    kick_stem = next(s for s in after.values() if s["path"] == str(moved))
    assert kick_stem["id"] == before[kick_stem["hash"]]["id"]  # a move is not a new stem
    assert kick_stem["category"] == "kick"  # re-derived from the new path (file name)
    # the clap is gone, and the hat's new audio takes the place of its old audio
    assert len(after) == len(before) - 1
    rc, out, _ = cli("stems", "--duplicates", "--json")
    assert [Path(d["path"]).name for d in json.loads(out)] == ["snare copy.wav"]


def test_only_files_at_or_below_the_roots_count_as_gone_from_them() -> None:
    paths = ["/lib/kicks/a.wav", "/lib/kicks2/b.wav", "/lib/kicks", "/lib/k.wav", "/other/c.wav"]
    assert _under(paths, [Path("/lib/kicks")]) == ["/lib/kicks/a.wav", "/lib/kicks"]
    assert _under(paths, [Path("/lib/k.wav"), Path("/other")]) == ["/lib/k.wav", "/other/c.wav"]
    assert _under(paths, [Path("/")]) == paths


@pytest.mark.parametrize("name", ["kicks", "ΣΑΣ Kİcks"])  # lower() differs in DuckDB and Python
def test_ingesting_one_folder_forgets_nothing_of_a_sibling_that_shares_its_prefix(
    cli, tmp_path: Path, rng: np.random.Generator, name: str
) -> None:
    kicks, kicks2 = tmp_path / name, tmp_path / f"{name}2"
    for folder in (kicks, kicks2):
        write(folder / "a.wav", rng.standard_normal(4410) * 0.1, 44100)
    cli("ingest", str(kicks), str(kicks2), "--quiet")
    (kicks / "a.wav").unlink()
    rc, out, _ = cli("ingest", str(kicks), "--json")
    assert rc == 0 and json.loads(out)["removed"] == 1
    assert [s["path"] for s in stems_json(cli)] == [str(kicks2 / "a.wav")]


def test_the_folders_above_the_roots_name_no_sound(
    cli, tmp_path: Path, rng: np.random.Generator
) -> None:
    """Only a root's own name and the folders below it are the library's filing: "tom" and
    "sd" above it (a home folder, a temporary folder's random name) make no toms or snares."""
    above = tmp_path / "tom" / "sd 01"
    files = {
        "Kicks/0001.wav": "kick",  # the root's own name files it
        "Kicks/Hard/0002.wav": "kick",
        "lib/0003.wav": None,
        "lib/untitled/0004.wav": None,
        "Claps/0005.wav": None,  # ingested by itself: its name alone says what it is
    }
    for n, name in enumerate(files):
        write(above / name, rng.standard_normal(4410 + n) * 0.1, 44100)
    roots = [above / "Kicks", above / "lib", above / "Claps" / "0005.wav"]
    cli("ingest", *map(str, roots), "--quiet")
    category = {s["path"]: s["category"] for s in stems_json(cli)}
    assert category == {str(above / name): c for name, c in files.items()}
    # a stem whose file is gone takes its copy's path, filed the same way
    shutil.copy(above / "lib" / "0003.wav", above / "lib" / "untitled" / "copy.wav")
    (above / "lib" / "0003.wav").unlink()
    cli("ingest", *map(str, roots), "--quiet")
    moved = next(s for s in stems_json(cli) if s["path"].endswith("copy.wav"))
    assert moved["category"] is None


def test_bad_files_are_rows_not_crashes(
    cli, tmp_path: Path, library: Path, rng: np.random.Generator, monkeypatch
) -> None:
    bad = bad_files(library, rng)
    hour = library / "bad" / "one hour.wav"
    sparse_hour_wav(hour, seconds=3600)
    monkeypatch.setenv("DIRIGENT_MAX_FILE_MB", "300")
    rc, out, err = cli("ingest", str(library), "--json")
    assert rc == 0
    report = json.loads(out)
    assert report["failed"] == len(bad) + 1
    assert f"warning: {len(bad) + 1} files could not be catalogued" in err
    rc, out, _ = cli("errors", "--json")
    reasons = {Path(e["path"]).name: e["reason"] for e in json.loads(out)}
    for path, words in bad.values():
        assert words in reasons[path.name]
    assert "above DIRIGENT_MAX_FILE_MB=300" in reasons["one hour.wav"]
    assert report["added"] == len(list((library / "One Shots").rglob("*.wav"))) + len(
        list((library / "Loops").rglob("*.wav"))
    )
    # unchanged bad files are not retried, and stay reported
    rc, out, err = cli("ingest", str(library), "--json")
    assert json.loads(out)["known_failures"] == len(bad) + 1 and rc == 0


def sparse_hour_wav(path: Path, *, seconds: int, sr: int = 44100, channels: int = 2) -> None:
    """A valid 16-bit WAV of ``seconds`` of silence, written sparsely (no disk used)."""
    data_bytes = seconds * sr * channels * 2
    header = (
        b"RIFF"
        + struct.pack("<I", 36 + data_bytes)
        + b"WAVE"
        + b"fmt "
        + struct.pack("<IHHIIHH", 16, 1, channels, sr, sr * channels * 2, channels * 2, 16)
        + b"data"
        + struct.pack("<I", data_bytes)
    )
    with path.open("wb") as f:
        f.write(header)
        f.truncate(len(header) + data_bytes)


def test_long_file_is_analysed_in_blocks(cli, tmp_path: Path, monkeypatch) -> None:
    sr = 44100
    t = np.arange(sr * 40) / sr
    y = 0.25 * np.sin(2 * np.pi * 110 * t)
    path = write(tmp_path / "lib" / "long drone.wav", y, sr, "PCM_16")
    monkeypatch.setenv("DIRIGENT_STREAM_ABOVE_S", "30")
    monkeypatch.setattr("dirigent.ingest.PROBE_ABOVE_BYTES", 1024)
    monkeypatch.setattr("dirigent.ingest.EXCERPT_S", 5.0)
    rc, _, err = cli("ingest", str(path.parent), "--quiet", "--workers", "1")
    assert rc == 0, err
    (stem,) = stems_json(cli)
    assert stem["duration"] == pytest.approx(40, abs=0.01)
    assert stem["peak_dbfs"] == pytest.approx(-12.04, abs=0.05)
    assert "long file: quality checked on an excerpt" in stem["quality_reasons"]


def many_one_shots(root: Path, n: int) -> None:
    """``n`` distinct short one-shots (distinct audio, so distinct hashes), 100 per folder."""
    sr = 44100
    t = np.arange(int(0.15 * sr)) / sr
    for i in range(n):
        y = np.sin(2 * np.pi * (60 + i) * t) * np.exp(-t / 0.05)
        write(root / f"pack{i // 100}" / f"kick_{i:04d}.wav", y, sr, "PCM_16")


# Loaded by every Python started with this folder on PYTHONPATH (the ingest's workers too):
# decoding a file named "poison" kills the process, as a crashing decoder or the kernel's
# out-of-memory killer would.
POISON = """
import os, signal
import dirigent.ingest

_decode = dirigent.ingest.decode

def decode(data, path):
    if "poison" in str(path):
        os.kill(os.getpid(), signal.SIGKILL)
    return _decode(data, path)

dirigent.ingest.decode = decode
"""


def ingest_beside(site_code: str, root: Path, tmp_path: Path) -> tuple[dict, str]:
    """(JSON report, stderr) of `dirigent ingest --workers 2` in a child process in which
    ``site_code`` runs first (as sitecustomize, in the workers too)."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(site_code)
    path = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
    child = dirigent_subprocess(
        *("--db", str(tmp_path / "c.duckdb"), "ingest", str(root), "--json", "--workers", "2"),
        cwd=tmp_path,
        env={"PYTHONPATH": path},
    )
    try:
        out, err = child.communicate(timeout=120)
    finally:
        child.kill()
    assert child.returncode == 0, err
    return json.loads(out), err


def test_a_file_that_kills_its_worker_is_an_error_not_a_hang(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    many_one_shots(root, 40)
    poison = write(root / "pack0" / "poison.wav", np.full(4410, 0.1), 44100, "PCM_16")
    report, _ = ingest_beside(POISON, root, tmp_path)
    assert report["added"] == 40 and report["failed"] == 1
    assert report["errors"] == [{"path": str(poison), "reason": WORKER_DIED}]


def children(pid: int) -> list[int]:
    """Processes ``pid`` started (Linux /proc)."""
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def alive(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie waiting to be reaped does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.slow
def test_kill_9_during_ingest_then_resume(tmp_path: Path) -> None:
    root = tmp_path / "many"
    n = 600
    many_one_shots(root, n)
    db = tmp_path / "kill.duckdb"
    orphans: list[int] = []
    for delay in (1.0, 1.6, 2.2):
        child = dirigent_subprocess("--db", str(db), "ingest", str(root), "--quiet", cwd=tmp_path)
        time.sleep(delay)
        if child.poll() is None:
            orphans += children(child.pid)
            os.kill(child.pid, signal.SIGKILL)
        child.wait()
    deadline = time.monotonic() + 10
    while any(map(alive, orphans)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert orphans and not any(map(alive, orphans))  # the workers went with their ingest
    child = dirigent_subprocess("--db", str(db), "ingest", str(root), "--json", cwd=tmp_path)
    out, err = child.communicate(timeout=300)
    assert child.returncode == 0, err
    assert json.loads(out)["catalog"]["stems"] == n
    with Catalog(db, read_only=True) as catalog:
        con = catalog.con
        assert con.execute("SELECT count(*), count(DISTINCT hash) FROM stems").fetchone() == (n, n)
        assert con.execute("SELECT count(*), count(DISTINCT path) FROM files").fetchone() == (n, n)
        assert con.execute(
            "SELECT count(*) FROM stems WHERE id NOT IN (SELECT stem_id FROM files)"
        ).fetchone() == (0,)


# Loaded by every Python started with this folder on PYTHONPATH: the ingest's worker processes
# fail as they start, as they do where a script calls ingest without `if __name__ ==
# "__main__":` (each worker re-runs the script and stops there).
NO_WORKERS = """
import multiprocessing
import dirigent.ingest

_init_worker = dirigent.ingest._init_worker

def init_worker(*args):
    if multiprocessing.parent_process() is not None:
        raise RuntimeError("this worker cannot start")
    _init_worker(*args)

dirigent.ingest._init_worker = init_worker
"""


def test_workers_that_cannot_start_leave_the_ingest_to_this_process(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    many_one_shots(root, 20)
    report, err = ingest_beside(NO_WORKERS, root, tmp_path)
    assert report["added"] == 20 and report["failed"] == 0
    assert "worker processes could not start" in err


def test_a_few_files_are_checked_against_the_catalog_one_by_one_not_all_of_its_hashes(
    library: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rng: np.random.Generator
) -> None:
    """A render landing in a 100k-stem catalog: its hash is looked up, not all 100k fetched
    (90 ms); audio catalogued before, or twice in the batch, is still linked, not added."""
    from dirigent import ingest as ingest_module
    from dirigent.config import load_config

    config = load_config(env={"XDG_CONFIG_HOME": str(tmp_path)})
    with Catalog(tmp_path / "c.duckdb") as catalog:
        ingest_module.ingest([library], catalog, config)
        stems = len(catalog.hashes())
        analysed: list[str] = []
        analyse = ingest_module.analyse
        monkeypatch.setattr(Catalog, "hashes", lambda self: pytest.fail("all hashes fetched"))
        monkeypatch.setattr(
            ingest_module, "analyse", lambda y, **kw: analysed.append("x") or analyse(y, **kw)
        )
        renders = tmp_path / "renders"
        new = write(renders / "render.wav", rng.standard_normal(4410) * 0.1, 44100)
        shutil.copy(new, renders / "render again.wav")
        shutil.copy(next(library.rglob("*Snare_01*")), renders / "snare copy.wav")
        report = ingest_module.ingest([renders], catalog, config)
        assert (report.added, report.linked, report.failed) == (1, 2, 0)
        assert len(analysed) == 2  # the render, once per copy; the snare copy is not analysed
        monkeypatch.undo()
        assert len(catalog.hashes()) == stems + 1
