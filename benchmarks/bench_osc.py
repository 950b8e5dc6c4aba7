"""Daemon figures: cold start to ready, RSS, OSC round trip (prompt sent -> results/end
received) at 1k, 10k and 100k synthetic stems next to in-process ranking on the same catalog;
how soon a new stem (a render) is served, next to embedding the whole library anew, and a
burst of 16 with one reload next to a reload per render; CPU while idle; and a load test:
8 client processes, 1,000 searches/s in total for 30 s, next to the daemon's capacity (the
most searches/s it answers when clients wait for nothing) measured in the same run; and how
long one client waits for a ping while another asks for stems like a track the catalog lacks,
next to its pings alone."""

from __future__ import annotations

import multiprocessing as mp
import os
import select
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import soundfile as sf

from bench_search import synthetic_library
from bridge.osc.client import OscClient
from dirigent.catalog import Catalog
from dirigent.config import load_config
from dirigent.embed.listen import ListenEmbedder
from dirigent.ingest import ingest
from dirigent.search import Searcher

SIZES = (1_000, 10_000, 100_000)
ANEW_UP_TO = 10_000  # the baseline (the whole library embedded anew) takes ~1 s per 1,000 stems
BURST = 16  # renders landing together: /dirigent/variations' most
N_QUERIES = 2_000
LOAD_CLIENTS = 8
LOAD_RATE = 1_000  # searches per second, all clients together
LOAD_SECONDS = 30
CAPACITY_SECONDS = 10
CAPACITY_WINDOW = 4  # searches each client keeps in flight while the capacity is measured
IDLE_SECONDS = 5
SETTLE_SECONDS = 2  # after the ready line: the category model's trees are read meanwhile
COLD_STARTS = 3  # the cold start is their median
TRACK_S = 180  # the example file of the stall figure: a 3-minute stereo track, not catalogued
N_PINGS = 200
END = b"/dirigent/results/end\x00\x00\x00"  # address, padded; then ",iif\x00\x00\x00\x00"
PROMPTS = (
    "dark hypnotic techno kick with industrial texture",
    "fast percussion loop 130bpm",
    "rolling bass",
    "open hi-hat",
    "warm pad",
    "metallic clap",
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def synthetic_catalog(n: int, folder: Path, descriptors: np.ndarray, loops: np.ndarray) -> Path:
    """A catalog of ``n`` stems with plausible descriptors (no audio behind them), indexed."""
    db = folder / "stems.duckdb"
    rows, links = [], []
    for i in range(n):
        digest = f"{i:032x}"
        rows.append(
            {
                "hash": digest,
                "path": f"/library/synthetic/{i:06d}.wav",
                "format": "WAV",
                "sample_rate": 44100,
                "channels": 2,
                "frames": 44100,
                "duration": 1.0,
                "peak_dbfs": -1.0,
                "rms_dbfs": -14.0,
                "loudness_lufs": -12.0,
                "is_loop": bool(loops[i]),
                "onsets": 1,
                "bpm": 128.0 if loops[i] else None,
                "bpm_confidence": 0.9 if loops[i] else 0.0,
                "bpm_source": "audio" if loops[i] else None,
                "key": None,
                "key_confidence": 0.0,
                "key_source": None,
                "category": None,
                "quality": 1.0,
                "quality_reasons": [],
                "analysis_version": 1,
                "descriptors": descriptors[i].tolist(),
            }
        )
        links.append((f"/library/synthetic/{i:06d}.wav", digest, 1000, 0))
    with Catalog(db) as catalog:
        catalog.write(rows, links, [])
        Searcher(catalog, ListenEmbedder(), folder / "index").refresh()
    return db


def start(db: Path, library: Path | None = None) -> tuple[subprocess.Popen[str], int, float]:
    """Start the daemon (with ``library`` as its library root); (process, port, seconds from
    spawn to its ready line)."""
    port = free_port()
    env = {**os.environ, "DIRIGENT_LIBRARY": str(library)} if library else None
    started = time.perf_counter()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dirigent.cli",
            "--db",
            str(db),
            "serve",
            "--port",
            str(port),
            "--rate",
            "0",
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=db.parent,
        env=env,
    )
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 60)
    line = proc.stdout.readline() if ready else ""
    if "ready in" not in line:
        proc.kill()
        raise RuntimeError(f"the daemon did not start: {line!r}")
    return proc, port, time.perf_counter() - started


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) that process ``pid`` has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle_cpu_percent(pid: int, seconds: float = IDLE_SECONDS) -> float:
    """Share of one core that process ``pid`` uses while no client asks anything."""
    before = cpu_s(pid)
    time.sleep(seconds)
    return 100 * (cpu_s(pid) - before) / seconds


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def round_trips(port: int, n: int) -> np.ndarray:
    """Milliseconds from sending a prompt to receiving its results/end."""
    times = []
    with OscClient(port=port) as client:
        for i in range(n):
            started = time.perf_counter()
            replies = client.search(PROMPTS[i % len(PROMPTS)], 10)
            times.append((time.perf_counter() - started) * 1000)
            assert replies[-1][0] == "/dirigent/results/end"
    return np.array(times)


def in_process(db: Path, n: int) -> np.ndarray:
    """Milliseconds of Searcher.rank on the same catalog, in this process (the baseline)."""
    with Catalog(db, read_only=True) as catalog:
        searcher = Searcher(catalog, ListenEmbedder(), db.parent / "index")
        searcher.refresh()
    times = []
    for i in range(n):
        started = time.perf_counter()
        searcher.rank(PROMPTS[i % len(PROMPTS)], top_k=10)
        times.append((time.perf_counter() - started) * 1000)
    return np.array(times)


def write_renders(folder: Path, notes: range) -> list[Path]:
    """Half-second renders, one per note (semitones above A1): each its own audio, as the
    catalog keys files by content (the same audio again would be a duplicate, no new stem)."""
    folder.mkdir()
    t = np.arange(22050) / 44100
    paths = []
    for note in notes:
        paths.append(folder / f"render{note:02d}.wav")
        hz = 55 * 2 ** (note / 12)
        sf.write(paths[-1], 0.5 * np.sin(2 * np.pi * hz * t) * np.exp(-t / 0.1), 44100)
    return paths


def serve_renders(db: Path, *, anew: bool) -> dict[str, float]:
    """Seconds until a searcher serves the catalog after renders land: catalogued (ingested),
    embedded on the calibration in place, served. One render: served with the index it had, the
    render scanned beside it, as the daemon serves renders (``one``), and the index built over it
    after that (``indexed``, from the start), against building the index before serving it
    (``first``); with ``anew``, the whole library calibrated and embedded again (``anew``, NaN
    without). A burst of :data:`BURST` served and indexed with one reload, as the daemon serves
    renders that land together (``burst``), against a reload per render (``burst_one_by_one``).
    A render landing as the index over the one before it starts to build: served beside the
    build, as the daemon's indexer builds (``mid_build``), against after it (``after_build``)."""
    # renders are catalogued in the daemon's process, together: no pool of workers
    config = load_config(db.parent, env={}, flags={"db": db, "workers": 1})
    backend = ListenEmbedder()
    backend.warm()  # as the daemon does after its ready line
    import scipy.signal  # noqa: F401  # as imported by the time a render lands (its mutation)

    def served(
        roots: list[Path], catalog: Catalog, *, defer: bool = False, whole: bool = False
    ) -> tuple[float, float]:
        started = time.perf_counter()
        ingest(roots, catalog, config)
        searcher = Searcher(catalog, backend, db.parent / "index")
        if whole:
            searcher.calibration_path.unlink()
        searcher.refresh(defer_index=defer)
        ready = time.perf_counter() - started
        searcher.complete_index()
        return ready, time.perf_counter() - started

    def landing_mid_build(notes: range, catalog: Catalog, *, beside: bool) -> float:
        """Seconds from the start of the index build over ``notes``' first render until the
        second is catalogued and served (its ingest included)."""
        first, second = write_renders(db.parent / f"mid{notes.start}", notes)
        ingest([first], catalog, config)
        building = Searcher(catalog, backend, db.parent / "index")
        building.refresh(defer_index=True)
        started = time.perf_counter()
        builder = threading.Thread(target=building.complete_index)
        builder.start()
        if not beside:
            builder.join()
        ingest([second], catalog, config)
        Searcher(catalog, backend, db.parent / "index").refresh(defer_index=True)
        took = time.perf_counter() - started
        builder.join()
        return took

    with Catalog(db) as catalog:
        one, indexed = served(write_renders(db.parent / "one", range(1)), catalog, defer=True)
        first, _ = served(write_renders(db.parent / "first", range(1, 2)), catalog)
        whole = served([], catalog, whole=True)[0] if anew else float("nan")
        burst, _ = served(write_renders(db.parent / "burst", range(2, 2 + BURST)), catalog)
        each = write_renders(db.parent / "each", range(2 + BURST, 2 + 2 * BURST))
        one_by_one = sum(served([p], catalog)[0] for p in each)
        start = 2 + 2 * BURST
        mid_build = landing_mid_build(range(start, start + 2), catalog, beside=True)
        after_build = landing_mid_build(range(start + 2, start + 4), catalog, beside=False)
    return {
        "one": one,
        "indexed": indexed,
        "first": first,
        "anew": whole,
        "burst": burst,
        "burst_one_by_one": one_by_one,
        "mid_build": mid_build,
        "after_build": after_build,
    }


def load_client(port: int, rate: float, seconds: float, out: mp.Queue) -> None:
    """One paced client: sends at ``rate``/s and matches each results/end to its request
    (the daemon answers a client in order)."""
    client = OscClient(port=port)
    pending: deque[float] = deque()
    ids: list[int] = []
    latencies: list[float] = []
    begin = time.perf_counter()
    stop_sending, deadline = begin + seconds, begin + seconds + 3.0
    n = 0
    while (now := time.perf_counter()) < deadline and (now < stop_sending or pending):
        due = begin + n / rate
        if now >= due and now < stop_sending:
            client.send("/dirigent/search", f"{PROMPTS[n % len(PROMPTS)]} {n % 97}", 10)
            pending.append(now)
            n += 1
            continue
        wait = (due if now < stop_sending else deadline) - now
        if select.select([client.sock], [], [], max(0.0, wait))[0]:
            data = client.sock.recv(65535)
            at = data.find(END)  # the results themselves are not parsed: a cheap client
            if at >= 0:
                ids.append(struct.unpack_from(">i", data, at + len(END) + 8)[0])
                latencies.append((time.perf_counter() - pending.popleft()) * 1000)
    out.put((n, ids, latencies))
    client.close()


def closed_loop_client(port: int, seconds: float, out: mp.Queue) -> None:
    """Keeps :data:`CAPACITY_WINDOW` searches in flight, sending the next as each is answered;
    puts how many were answered."""
    client = OscClient(port=port)
    for n in range(CAPACITY_WINDOW):
        client.send("/dirigent/search", f"{PROMPTS[n % len(PROMPTS)]} {n % 97}", 10)
    n, answered, deadline = CAPACITY_WINDOW, 0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        if select.select([client.sock], [], [], 0.5)[0] and END in client.sock.recv(65535):
            answered += 1
            client.send("/dirigent/search", f"{PROMPTS[n % len(PROMPTS)]} {n % 97}", 10)
            n += 1
    out.put(answered)
    client.close()


def capacity(port: int) -> float:
    """Searches per second the daemon answers when :data:`LOAD_CLIENTS` clients keep it busy."""
    queue: mp.Queue = mp.Queue()
    workers = [
        mp.Process(target=closed_loop_client, args=(port, CAPACITY_SECONDS, queue))
        for _ in range(LOAD_CLIENTS)
    ]
    for w in workers:
        w.start()
    answered = sum(queue.get() for _ in workers)
    for w in workers:
        w.join()
    return answered / CAPACITY_SECONDS


def write_track(path: Path, seconds: float) -> Path:
    """A stereo techno-ish track: a kick on every beat at 128 BPM over a noise bed."""
    sr = 44100
    t = np.arange(int(seconds * sr)) / sr
    beat = t % (60 / 128)
    y = 0.6 * np.sin(2 * np.pi * 50 * beat) * np.exp(-beat / 0.15)
    y += 0.05 * np.random.default_rng(0).standard_normal(t.size)
    path.parent.mkdir(exist_ok=True)
    sf.write(path, np.stack([y, y], axis=1).astype(np.float32), sr)
    return path


def pings(client: OscClient, until: Callable[[], bool] | None = None) -> list[float]:
    """Milliseconds per ping: :data:`N_PINGS` of them, or as many as fit before ``until()``."""
    times: list[float] = []
    while len(times) < N_PINGS if until is None else not until():
        started = time.perf_counter()
        client.request("/dirigent/ping", until="/dirigent/pong", timeout_s=30)
        times.append((time.perf_counter() - started) * 1000)
    return times


def stall(db: Path) -> dict[str, float]:
    """Ping round trips of one client, alone and while another client asks for stems like a
    :data:`TRACK_S`-second track the catalog lacks; and seconds until that answer came."""
    track = write_track(db.parent / "dragged" / "track.wav", TRACK_S)
    proc, port, _ = start(db, library=track.parent)
    try:
        with OscClient(port=port) as pinger, OscClient(port=port) as asker:
            alone = pings(pinger)
            asked = time.perf_counter()
            asker.send("/dirigent/search/like", str(track), 10)
            answer: list[float] = []

            def answered() -> bool:
                for address, args in asker.receive(0):
                    if address == "/dirigent/error":
                        raise RuntimeError(f"the daemon refused the track: {args}")
                    if address == "/dirigent/results/end":
                        answer.append(time.perf_counter() - asked)
                return bool(answer)

            during = pings(pinger, until=answered)
    finally:
        proc.terminate()
        proc.wait(30)
    return {
        "alone_p50": float(np.percentile(alone, 50)),
        "alone_max": max(alone),
        "during_p50": float(np.percentile(during, 50)),
        "during_max": max(during),
        "pings": len(during),
        "answer_s": answer[0],
    }


def load(db: Path) -> None:
    proc, port, _ = start(db)
    most = capacity(port)
    time.sleep(2.0)  # what the capacity clients left in flight is answered and logged
    queue: mp.Queue = mp.Queue()
    workers = [
        mp.Process(target=load_client, args=(port, LOAD_RATE / LOAD_CLIENTS, LOAD_SECONDS, queue))
        for _ in range(LOAD_CLIENTS)
    ]
    for w in workers:
        w.start()
    results = [queue.get() for _ in workers]
    for w in workers:
        w.join()
    proc.terminate()
    proc.wait(30)
    sent = sum(r[0] for r in results)
    ids = [i for r in results for i in r[1]]
    latencies = np.array([x for r in results for x in r[2]])
    with duckdb.connect(str(db), read_only=True) as con:
        logged = {
            r[0]
            for r in con.execute(
                "SELECT id FROM queries WHERE id IN (SELECT unnest(?))", [ids]
            ).fetchall()
        }
    print(
        f"\nload: {LOAD_CLIENTS} client processes, {sent / LOAD_SECONDS:.0f} searches/s for "
        f"{LOAD_SECONDS} s at {db.parent.name} stems"
    )
    print(
        f"{'sent':>8}{'answered':>10}{'lost':>6}{'p50 ms':>9}{'p99 ms':>9}{'in DuckDB':>11}"
        f"{'capacity /s':>13}{'load/capacity':>15}"
    )
    print(
        f"{sent:>8}{len(ids):>10}{sent - len(ids):>6}{np.percentile(latencies, 50):>9.2f}"
        f"{np.percentile(latencies, 99):>9.2f}{len(logged):>11}{most:>13.0f}"
        f"{sent / LOAD_SECONDS / most:>15.0%}"
    )
    print(
        f"capacity: searches/s answered, same daemon, just before, while {LOAD_CLIENTS} clients\n"
        f"keep {CAPACITY_WINDOW} searches each in flight for {CAPACITY_SECONDS} s. Near 100% the "
        "queue, and so the tail, grows with\nany CPU the machine takes from the daemon."
    )


def main() -> None:
    descriptors, loops = synthetic_library(max(SIZES))
    print("\nOSC round trip, prompt sent -> /dirigent/results/end received (top 10, listen)")
    print(
        f"{'stems':>8}{'cold start s':>14}{'then CPU s':>12}{'RSS MB':>8}{'idle CPU %':>12}"
        f"{'OSC p50':>9}"
        f"{'OSC p99':>9}{'in-process p50':>16}{'p99':>7}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        dbs, renders = {}, {}
        for n in SIZES:
            folder = Path(tmp) / str(n)
            folder.mkdir()
            dbs[n] = synthetic_catalog(n, folder, descriptors[:n], loops[:n])
            colds = []
            for _ in range(COLD_STARTS - 1):
                proc, _, cold = start(dbs[n])
                colds.append(cold)
                proc.terminate()
                proc.wait(30)
            proc, port, cold = start(dbs[n])
            cold = float(np.median([*colds, cold]))
            try:
                settle = idle_cpu_percent(proc.pid, SETTLE_SECONDS) * SETTLE_SECONDS / 100
                idle = idle_cpu_percent(proc.pid)
                osc = round_trips(port, N_QUERIES)
                rss = rss_mb(proc.pid)
            finally:
                proc.terminate()
                proc.wait(30)
            base = in_process(dbs[n], N_QUERIES)
            renders[n] = serve_renders(dbs[n], anew=n <= ANEW_UP_TO)
            print(
                f"{n:>8}{cold:>14.2f}{settle:>12.2f}{rss:>8.0f}{idle:>12.1f}"
                f"{np.percentile(osc, 50):>9.2f}"
                f"{np.percentile(osc, 99):>9.2f}{np.percentile(base, 50):>16.2f}"
                f"{np.percentile(base, 99):>7.2f}"
            )
        print(
            "cold start: from spawning `dirigent serve` to its ready line (Python start-up,\n"
            f"imports, catalog, calibration and memory-mapped index), median of {COLD_STARTS};\n"
            f"then CPU: CPU seconds in the {SETTLE_SECONDS} s after it (the category model's "
            "trees are read\nthen, on a thread); RSS after the round trips; idle CPU: share of "
            f"one core over the\n{IDLE_SECONDS} s after those, no client."
        )
        print("\na render lands: seconds until a searcher serves the catalog with it")
        print(
            f"{'stems':>8}{'served s':>10}{'then indexed s':>16}{'baseline: index first s':>25}"
            f"{'ratio':>7}{'baseline: all anew s':>22}{'ratio':>7}"
        )
        for n, r in renders.items():
            anew = (
                f"{'-':>22}{'':>7}"
                if np.isnan(r["anew"])
                else f"{r['anew']:>22.2f}{r['anew'] / r['one']:>7.1f}"
            )
            print(
                f"{n:>8}{r['one']:>10.2f}{r['indexed']:>16.2f}{r['first']:>25.2f}"
                f"{r['first'] / r['one']:>7.1f}{anew}"
            )
        print(
            "served: catalogued, embedded on the library's calibration and scanned beside the\n"
            "index it had, as the daemon serves a render before it announces it; then indexed:\n"
            "until the index is built over it too (after the announcement). Index first: the\n"
            "index built before the render is served. All anew: the whole library calibrated and\n"
            f"embedded again (run up to {ANEW_UP_TO} stems)."
        )
        print("\nrenders land together: seconds until served and indexed")
        print(f"{'stems':>8}{f'{BURST} at once s':>15}{'baseline: one by one s':>24}{'ratio':>8}")
        for n, r in renders.items():
            print(
                f"{n:>8}{r['burst']:>15.2f}{r['burst_one_by_one']:>24.2f}"
                f"{r['burst_one_by_one'] / r['burst']:>8.1f}"
            )
        print(
            f"{BURST} at once: a burst of variations served with one reload, as the daemon\n"
            "serves renders that land together; one by one: a reload per render."
        )
        print("\na render lands as the index over the one before it starts to build")
        print(f"{'stems':>8}{'served s':>10}{'baseline: after the build s':>29}{'ratio':>7}")
        for n, r in renders.items():
            print(
                f"{n:>8}{r['mid_build']:>10.2f}{r['after_build']:>29.2f}"
                f"{r['after_build'] / r['mid_build']:>7.1f}"
            )
        print(
            "served: catalogued and served beside the build, as the daemon's indexer thread\n"
            "builds; after the build: as when the index was built on the thread that serves."
        )
        held = stall(dbs[SIZES[1]])
        print(
            f"\none client's pings while another asks for stems like a {TRACK_S // 60}-minute "
            f"track the catalog lacks ({SIZES[1]} stems)"
        )
        print(
            f"{'alone p50 ms':>14}{'max':>7}{'meanwhile p50 ms':>18}{'max':>8}{'pings':>7}"
            f"{'track answered s':>18}"
        )
        print(
            f"{held['alone_p50']:>14.2f}{held['alone_max']:>7.2f}{held['during_p50']:>18.2f}"
            f"{held['during_max']:>8.2f}{held['pings']:>7.0f}{held['answer_s']:>18.2f}"
        )
        print(
            "the track is listened to on its own thread: the receive loop answers everyone else\n"
            "meanwhile (it did not before: a ping waited for the whole track)."
        )
        load(dbs[max(SIZES)])


if __name__ == "__main__":
    main()
