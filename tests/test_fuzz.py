"""Fuzz: 100,000 random and mutated datagrams at a running daemon; it keeps answering, its
memory stays flat, and every message it could not serve got an error."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bridge.osc.client import OscClient
from bridge.osc.server import encode
from dirigent.event_log import FLUSH_S
from tests.test_serve import serving

N = 100_000
SYNC_EVERY = 2_000
SEEDS = [
    encode("/dirigent/search", ("dark hypnotic kick", 5, "kick")),
    encode("/dirigent/search", ("fast percussion loop 130bpm",)),
    encode("/dirigent/like", (3,)),
    encode("/dirigent/skip", (4,)),
    encode("/dirigent/transport/tempo", (128.0,)),
    encode("/dirigent/transport/beat", (17.25,)),
    encode("/dirigent/transport/signature", (7, 8)),
    encode("/dirigent/status", ()),
    encode("/dirigent/search/like", ("12", 3)),
    encode("/dirigent/param", ("filter", 0.3)),
    encode("/dirigent/suggest", (5, 4)),
    encode("/dirigent/knob/drive", (0.2,)),
    encode("/dirigent/stage/select/1", (1.0,)),
    encode("/dirigent/midi/learn", ("gate",)),
    encode("/dirigent/error", ("/x", "client side")),
]


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def datagram(rng: np.random.Generator) -> bytes:
    """Random bytes, a mutated valid message, a truncated one, or an oversized one."""
    kind = rng.integers(5)
    if kind == 0:
        return rng.bytes(int(rng.integers(0, 1500)))
    seed = bytearray(SEEDS[rng.integers(len(SEEDS))])
    if kind == 1:
        for _ in range(int(rng.integers(1, 6))):
            seed[rng.integers(len(seed))] = int(rng.integers(256))
        return bytes(seed)
    if kind == 2:
        return bytes(seed[: rng.integers(len(seed))])
    if kind == 3:
        return bytes(seed) + rng.bytes(int(rng.integers(1, 64)))
    return bytes(seed) * int(rng.integers(200, 400))  # oversized


def sync(client: OscClient) -> None:
    """Wait until the daemon has worked through everything sent so far."""
    client.send("/dirigent/ping")
    while True:
        messages = client.receive(30.0)
        assert messages, "the daemon stopped answering"
        if ("/dirigent/pong", []) in messages:
            return


def settled_rss_kb(client: OscClient, pid: int) -> int:
    """RSS once the daemon is idle and its log written (not in the middle of a flush)."""
    sync(client)
    time.sleep(2 * FLUSH_S + 0.3)
    return rss_kb(pid)


@pytest.mark.slow
def test_fuzz_keeps_the_daemon_alive_and_flat(served_config: Any) -> None:
    rng = np.random.default_rng(2026)
    with serving(served_config, "--rate", "0") as (proc, port), OscClient(port=port) as client:
        for n in range(N):
            client.sock.sendto(datagram(rng), client.daemon)
            if n % SYNC_EVERY == SYNC_EVERY - 1:
                sync(client)
                if n + 1 == 10_000:
                    warm = settled_rss_kb(client, proc.pid)
        after = settled_rss_kb(client, proc.pid)
        assert client.request("/dirigent/ping", until="/dirigent/pong")[-1] == (
            "/dirigent/pong",
            [],
        )
        assert client.search("kick", 3)[-1][0] == "/dirigent/results/end"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        summary = proc.stdout.read() if proc.stdout else ""
    assert after < warm * 1.10, f"RSS grew from {warm} kB to {after} kB"
    datagrams = int(summary.split("stopped; ")[1].split()[0])
    assert datagrams >= N, summary
