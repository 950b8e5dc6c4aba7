"""Shared fixtures: synthesised audio (seeded), a demo kit built once, a CLI runner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from dirigent import demo_kit
from dirigent.cli import main


@pytest.fixture(params=[44100, 48000], ids=["44k1", "48k"])
def sr(request: pytest.FixtureRequest) -> int:
    """Both sample rates producers meet."""
    return int(request.param)


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator: tests are repeatable."""
    return np.random.default_rng(1234)


def write(path: Path, y: np.ndarray, sr: int, subtype: str = "PCM_24") -> Path:
    """Write ``(channels, n)`` or ``(n,)`` audio and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, y.T if y.ndim == 2 else y, sr, subtype=subtype)
    return path


@pytest.fixture(scope="session")
def kit(tmp_path_factory: pytest.TempPathFactory) -> list[demo_kit.KitFile]:
    """The demo kit, generated once per session (read-only for tests)."""
    return demo_kit.generate(tmp_path_factory.mktemp("kit") / "kit")


@pytest.fixture
def cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, str, str]]:
    """Run ``dirigent`` in-process against a catalog in ``tmp_path``; returns (rc, out, err)."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("DIRIGENT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            rc = main(["--db", str(tmp_path / "stems.duckdb"), *args])
        except SystemExit as e:  # argparse rejects bad arguments with exit status 2
            rc = int(e.code or 0)
        out, err = capsys.readouterr()
        return rc, out, err

    return run


def json_out(text: str) -> object:
    """Parse a command's JSON output."""
    return json.loads(text)


def dirigent_subprocess(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """Start the real console entry point in a child process."""
    return subprocess.Popen(
        [sys.executable, "-m", "dirigent.cli", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def kit_root(kit: list[demo_kit.KitFile]) -> Path:
    """The folder the demo kit was generated into."""
    return Path(os.path.commonpath([str(f.path) for f in kit]))


@pytest.fixture(scope="session")
def kit_catalog(kit: list[demo_kit.KitFile], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the demo kit ingested and indexed, built once; copy it before writing."""
    from dirigent.catalog import Catalog
    from dirigent.config import load_config
    from dirigent.embed.listen import ListenEmbedder
    from dirigent.ingest import ingest
    from dirigent.search import Searcher

    root = tmp_path_factory.mktemp("kit-catalog")
    config = load_config(env={"XDG_CONFIG_HOME": str(root / "xdg")})
    with Catalog(root / "stems.duckdb") as catalog:
        ingest([kit_root(kit)], catalog, config)
        Searcher(catalog, ListenEmbedder(), root / "index").refresh()
    return root


@pytest.fixture
def served_config(kit: list[demo_kit.KitFile], kit_catalog: Path, tmp_path: Path) -> Any:
    """A writable copy of the kit catalog and a config pointing at it (library = the kit)."""
    import shutil

    from dirigent.config import load_config

    shutil.copytree(kit_catalog, tmp_path / "db", ignore=shutil.ignore_patterns("xdg"))
    return load_config(
        cwd=tmp_path,
        env={"XDG_CONFIG_HOME": str(tmp_path / "xdg")},
        flags={"db": str(tmp_path / "db" / "stems.duckdb"), "library": [str(kit_root(kit))]},
    )


@pytest.fixture
def daemon(served_config: Any) -> Any:
    """A running daemon engine over the kit catalog (closed after the test)."""
    from dirigent.daemon import Daemon

    d = Daemon(served_config)
    yield d
    d.close()


OSC_CLIENT = ("127.0.0.1", 50000)


def decode(out: list[tuple[bytes, tuple[str, int]]]) -> list[tuple[str, list[Any]]]:
    """The (address, args) messages in the datagrams a server answered with."""
    from pythonosc.osc_packet import OscPacket

    return [(m.message.address, m.message.params) for d, _ in out for m in OscPacket(d).messages]


def ask(
    server: Any, address: str, *args: Any, sender: tuple[str, int] = OSC_CLIENT
) -> list[tuple[str, list[Any]]]:
    """Hand one message to an OSC server's protocol (no socket) and decode its answer."""
    from bridge.osc.server import encode

    return decode(server.handle(encode(address, args), sender))


def later(server: Any, timeout: float = 10.0) -> list[tuple[str, list[Any]]]:
    """The first late replies an OSC server has to send (a render, a launch), waited for."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = decode(server.later())
        if out:
            return out
        time.sleep(0.01)
    raise AssertionError(f"no late reply in {timeout} s")


@pytest.fixture
def server(daemon: Any) -> Any:
    """The OSC protocol over the daemon fixture, without a rate limit."""
    from bridge.osc.server import OscServer

    s = OscServer(daemon, host="127.0.0.1", port=0, reply_port=9001, rate=0)
    yield s
    s.close()


def index_builds(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """(rows scanned beside the index, stems) each time a searcher builds its index over rows
    it scanned beside it, from now on; a small library's few new stems count as few."""
    from dirigent import search

    monkeypatch.setattr(search, "UNINDEXED_SHARE", 0.5)
    builds: list[tuple[int, int]] = []
    complete_index = search.Searcher.complete_index

    def spy(searcher: search.Searcher) -> bool:
        if searcher.served[1].size:
            builds.append((searcher.served[1].size, len(searcher)))
        return complete_index(searcher)

    monkeypatch.setattr(search.Searcher, "complete_index", spy)
    return builds


def write_bass_renders(folder: Path, n: int, rng: np.random.Generator) -> list[Path]:
    """``n`` new bass notes in ``folder``, as renders land."""
    made = []
    for _ in range(n):
        note = int(rng.integers(30, 50))
        y = demo_kit.bass_note(sr=44100, rng=rng, note=note, seconds=0.4, cutoff=800)
        made.append(folder / f"render_{rng.integers(1 << 30)}.wav")
        sf.write(made[-1], y.T, 44100)
    return made


def caught_up(daemon: Any, timeout_s: float = 30.0) -> bool:
    """Whether the daemon's log thread ran every job handed to it before this call (reloads),
    and its indexer every build asked for by then, within ``timeout_s``."""
    import threading

    logged = threading.Event()
    daemon.log.submit(lambda _catalog: logged.set())
    if not logged.wait(timeout_s):
        return False
    indexed = daemon._indexer.submit(lambda: None)
    try:
        indexed.result(timeout_s)
    except TimeoutError:
        return False
    return True


def assert_fully_indexed(searcher: Any) -> None:
    """The searcher's index holds every stem it serves, for the catalog state it serves."""
    index, unindexed = searcher.served
    assert unindexed.size == 0 and index.meta is not None
    assert index.meta.count == len(searcher) and index.meta.state == searcher.state
