"""`dirigent serve` as a process over real UDP: answers, logs, shuts down cleanly, refuses a
second daemon, reloads after a concurrent ingest, survives kill -9, and talks to liblo."""

from __future__ import annotations

import os
import select
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest

from bridge.osc.client import OscClient
from dirigent.event_log import FLUSH_S
from tests.conftest import (
    assert_fully_indexed,
    caught_up,
    dirigent_subprocess,
    index_builds,
    write,
    write_bass_renders,
)

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def read_line(proc: subprocess.Popen[str], timeout_s: float = 30.0) -> str:
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout_s)
    if not ready:
        raise TimeoutError("the daemon printed nothing")
    return proc.stdout.readline()


@contextmanager
def serving(config: Any, *extra: str) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """``dirigent serve`` on free ports; yields (process, port) once it is ready."""
    port = free_port()
    proc = dirigent_subprocess(
        "--db",
        str(config.db),
        "serve",
        "--port",
        str(port),
        "--reply-port",
        str(free_port()),
        *extra,
        cwd=config.db.parent,
        env={"DIRIGENT_LIBRARY": str(config.library[0]), "XDG_CONFIG_HOME": str(config.db.parent)},
    )
    try:
        line = read_line(proc)
        assert "ready in" in line, line + (proc.stderr.read() if proc.stderr else "")
        yield proc, port
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


def query_count(db: Path) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return int(con.execute("SELECT count(*) FROM queries").fetchone()[0])


def test_serve_answers_and_flushes_its_log_on_sigterm(served_config: Any, cli: Any) -> None:
    with serving(served_config) as (proc, port), OscClient(port=port) as client:
        assert client.request("/dirigent/ping", until="/dirigent/pong") == [("/dirigent/pong", [])]
        prompts = ["dark punchy kick", "rolling bass loop", "open hat"]
        for prompt in prompts:
            replies = client.search(prompt, 3)
            assert replies[-1][0] == "/dirigent/results/end" and replies[-1][1][1] == 3
        stem = replies[0][1][4]
        ok = client.request("/dirigent/like", stem, until="/dirigent/feedback/ok")
        assert ok[-1][1][:2] == [stem, "like"]
        client.send("/dirigent/transport/tempo", 128.0)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
        out = proc.stdout.read() if proc.stdout else ""
        assert "stopped" in out
    rc, out, _ = cli("--db", str(served_config.db), "log", "--last", "5")
    assert rc == 0 and all(p in out for p in prompts)
    for bad in ("0", "-5", "five"):
        rc, out, err = cli("--db", str(served_config.db), "log", "--last", bad)
        assert rc == 2 and "use a whole number of at least 1" in err and not out
    rc, out, _ = cli("--db", str(served_config.db), "sessions")
    session = out.split()[0]
    assert rc == 0 and "3 queries" in out and "1 feedback" in out and "running" not in out
    rc, out, _ = cli("--db", str(served_config.db), "sessions", "--replay", session)
    lines = out.splitlines()
    assert [line.split()[2] for line in lines] == ["query"] * 3 + ["like", "transport"]


def test_a_second_daemon_on_the_same_catalog_is_refused(served_config: Any) -> None:
    with serving(served_config) as (proc, _):
        second = dirigent_subprocess(
            "--db",
            str(served_config.db),
            "serve",
            "--port",
            str(free_port()),
            cwd=served_config.db.parent,
        )
        _, err = second.communicate(timeout=30)
        assert second.returncode == 1
        assert f"another Dirigent daemon (pid {proc.pid}) serves" in err


def write_sub(folder: Path) -> Path:
    """A half-second 45 Hz sub hit in ``folder``: a stem the kit catalog does not hold."""
    t = np.arange(22050) / 44100
    return write(folder / "sub.wav", 0.8 * np.sin(2 * np.pi * 45 * t) * np.exp(-t / 0.2), 44100)


def test_a_concurrent_ingest_is_served_without_a_restart(
    served_config: Any, rng: np.random.Generator
) -> None:
    new = served_config.db.parent / "new"
    write_sub(new)
    with serving(served_config) as (_, port), OscClient(port=port) as client:
        before = client.request("/dirigent/status", until="/dirigent/status/reply")[-1][1][1]
        ingest = dirigent_subprocess(
            "--db", str(served_config.db), "ingest", "-q", str(new), cwd=new
        )
        answered = 0
        while ingest.poll() is None:  # queries keep being answered meanwhile
            answered += client.search("kick", 1)[-1][0] == "/dirigent/results/end"
            time.sleep(0.01)  # a client at 100 queries/s, well inside the rate limit
        assert ingest.returncode == 0, ingest.stderr.read() if ingest.stderr else ""
        deadline = time.monotonic() + 15
        stems = before
        while stems == before and time.monotonic() < deadline:
            time.sleep(0.2)
            stems = client.request("/dirigent/status", until="/dirigent/status/reply")[-1][1][1]
        assert stems == before + 1 and answered > 0
        like = client.request(
            "/dirigent/search/like", str(new / "sub.wav"), 1, until="/dirigent/results/end"
        )  # found by its path: served (a file outside the library roots would be refused)
        assert [address for address, _ in like] == ["/dirigent/result", "/dirigent/results/end"]
        assert like[0][1][1] != str((new / "sub.wav").resolve())  # not its own result


def test_kill_9_under_load_loses_nothing_older_than_a_flush(served_config: Any) -> None:
    answered: list[tuple[float, int]] = []
    with serving(served_config) as (proc, port):
        stop = threading.Event()

        def load() -> None:
            with OscClient(port=port) as client:
                while not stop.is_set():
                    try:
                        replies = client.search("kick", 2)
                    except TimeoutError:  # killed
                        return
                    answered.append((time.monotonic(), replies[-1][1][0]))
                    time.sleep(0.002)

        worker = threading.Thread(target=load)
        worker.start()
        time.sleep(3.0)
        os.kill(proc.pid, signal.SIGKILL)
        killed = time.monotonic()
        stop.set()
        worker.join(10)
    with duckdb.connect(str(served_config.db), read_only=True) as con:
        logged = {r[0] for r in con.execute("SELECT id FROM queries").fetchall()}
        assert con.execute("SELECT count(*) FROM stems").fetchone()[0] > 0
    settled = [q for t, q in answered if t < killed - 2 * FLUSH_S - 0.2]
    assert len(settled) > 50 and set(settled) <= logged
    with serving(served_config) as (_, port), OscClient(port=port) as client:  # restarts fine
        assert client.search("kick", 1)[-1][0] == "/dirigent/results/end"


def liblo_tools() -> tuple[str, str, dict[str, str]] | None:
    """oscsend and oscdump from PATH, else from .cache/liblo (make test fetches them there)."""
    if shutil.which("oscsend") and shutil.which("oscdump"):
        return "oscsend", "oscdump", dict(os.environ)
    local = ROOT / ".cache" / "liblo"
    send, dump = local / "usr/bin/oscsend", local / "usr/bin/oscdump"
    if send.exists() and dump.exists():
        lib = str(next((local / "usr/lib").glob("*-linux-gnu"), local / "usr/lib"))
        env = {**os.environ, "LD_LIBRARY_PATH": lib}
        return str(send), str(dump), env
    return None


def test_liblo_tools_as_the_client(served_config: Any) -> None:
    tools = liblo_tools()
    if tools is None:
        pytest.skip("liblo-tools absent: `apt-get install liblo-tools` or `make test` fetches them")
    oscsend, oscdump, env = tools
    reply_port = free_port()
    port = free_port()
    proc = dirigent_subprocess(
        "--db",
        str(served_config.db),
        "serve",
        "--port",
        str(port),
        "--reply-port",
        str(reply_port),
        cwd=served_config.db.parent,
    )
    dump = subprocess.Popen(
        [oscdump, "-L", str(reply_port)],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert "ready in" in read_line(proc)
        time.sleep(0.3)
        for args in (
            ["/dirigent/ping"],
            ["/dirigent/search", "si", "dark punchy kick", "3"],
            ["/dirigent/search", "sisi", "dark punchy kick", "3", "any", "1"],  # discover
            ["/dirigent/search", "i", "7"],
            ["/dirigent/transport/tempo", "f", "nan"],
            ["/dirigent/nope"],
        ):
            subprocess.run([oscsend, "127.0.0.1", str(port), *args], env=env, check=True)
        time.sleep(1.0)
    finally:
        dump.terminate()
        proc.terminate()
        proc.wait(15)
    out = dump.communicate(timeout=10)[0]
    # oscdump prints "<time tag> <address> <types> <values>"
    lines = [line[line.index("/dirigent") :] for line in out.splitlines() if "/dirigent" in line]
    assert lines[0].startswith("/dirigent/pong")
    results = [line.split() for line in lines if line.startswith("/dirigent/result ")]
    stems, new = [int(r[-2]) for r in results], [r[-1] for r in results]
    assert len(stems) == 6 and new[:3] == ["1", "1", "1"]  # a fresh catalog: all new
    assert len(set(stems[3:]) - set(stems[:3])) >= 2  # asked again to discover: new ones
    assert new[3:].count("1") == len(set(stems[3:]) - set(stems[:3]))
    assert any(line.startswith("/dirigent/results/end iif") for line in lines)
    errors = [line for line in lines if line.startswith("/dirigent/error")]
    assert len(errors) == 3
    assert '"/dirigent/search"' in errors[0] and "must be a string" in errors[0]
    assert '"/dirigent/nope"' in errors[2] and "unknown address" in errors[2]


def test_dirigent_log_reads_while_the_daemon_runs(served_config: Any, cli: Any) -> None:
    with serving(served_config) as (_, port), OscClient(port=port) as client:
        client.search("warm pad", 2)
        time.sleep(2 * FLUSH_S + 0.5)
        rc, out, err = cli("--db", str(served_config.db), "log", "--last", "3")
        assert rc == 0, err
        assert "warm pad" in out
        assert client.search("kick", 1)[-1][0] == "/dirigent/results/end"  # still serving


def served_after(daemon: Any, before: int, *, timeout_s: float) -> int:
    """How many stems ``daemon`` serves once it serves other than ``before`` (or at the
    deadline)."""
    deadline = time.monotonic() + timeout_s
    while len(daemon.searcher) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    return len(daemon.searcher)


def test_an_idle_daemon_opens_the_catalog_only_after_it_changed(
    served_config: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dirigent import daemon as engine
    from dirigent.catalog import Catalog

    checks: list[float] = []
    state = Catalog.library_state
    monkeypatch.setattr(
        Catalog, "library_state", lambda c, b: checks.append(time.monotonic()) or state(c, b)
    )
    monkeypatch.setattr(engine, "RELOAD_CHECK_S", 0.02)
    new = served_config.db.parent / "new"
    write_sub(new)
    daemon = engine.Daemon(served_config)
    try:
        time.sleep(0.3)  # its own first writes (the session, query ids) are looked at
        settled = len(checks)
        time.sleep(0.5)  # 25 looks at the files of an idle catalog
        idle = len(checks) - settled
        before = len(daemon.searcher)
        ingest = dirigent_subprocess(
            "--db", str(served_config.db), "ingest", "-q", str(new), cwd=new
        )
        assert ingest.wait(60) == 0, ingest.stderr.read() if ingest.stderr else ""
        assert served_after(daemon, before, timeout_s=15) == before + 1
    finally:
        daemon.close()
    assert idle <= 1  # one straggler at most; it used to check on every look


def test_a_daemon_serves_stems_added_since_its_index_at_once_and_indexes_them_after(
    served_config: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dirigent.catalog import Catalog
    from dirigent.daemon import Daemon
    from dirigent.ingest import ingest

    renders = served_config.db.parent / "renders"  # announced by the last run, never indexed
    renders.mkdir()
    added = write_bass_renders(renders, 2, np.random.default_rng(4))
    with Catalog(served_config.db) as catalog:
        ingest([renders], catalog, served_config)
    builds = index_builds(monkeypatch)
    daemon = Daemon(served_config)
    try:
        served = {str(p) for p in daemon.searcher.paths}
        assert {str(p) for p in added} <= served  # searchable from the ready line
        assert caught_up(daemon)
        assert builds == [(2, len(daemon.searcher))]
        assert_fully_indexed(daemon.searcher)
    finally:
        daemon.close()


def test_rescan_ingests_the_library_and_reloads(served_config: Any, tmp_path: Path) -> None:
    import dataclasses

    from dirigent.daemon import Daemon

    library = tmp_path / "library"
    noise = np.random.default_rng(3).normal(size=4410)
    write(library / "hat.wav", 0.5 * noise * np.exp(-np.arange(4410) / 300), 44100)
    daemon = Daemon(dataclasses.replace(served_config, library=(library,)))
    try:
        before = len(daemon.searcher)
        daemon.rescan()
        assert served_after(daemon, before, timeout_s=30) == before + 1
    finally:
        daemon.close()


def test_a_closed_daemon_leaves_no_thread_of_its_own_behind(
    served_config: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dirigent.daemon import Daemon
    from dirigent.embed.listen import ListenEmbedder

    warm = ListenEmbedder.warm

    def slow_warm(self: ListenEmbedder) -> None:  # a slow disk: the model still being read
        time.sleep(0.5)
        warm(self)

    monkeypatch.setattr(ListenEmbedder, "warm", slow_warm)
    before = set(threading.enumerate())
    Daemon(served_config).close()
    assert [t.name for t in set(threading.enumerate()) - before if t.is_alive()] == []
