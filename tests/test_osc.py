"""The OSC protocol without a socket: the table, the generated docs, every route, and every
kind of malformed message (one /dirigent/error, nothing else happens)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_packet import OscPacket

from bridge.osc import docs
from bridge.osc import server as server_module
from bridge.osc.client import OscClient
from bridge.osc.server import MAX_PACKET, OscServer, encode, grow_receive_buffer
from bridge.osc.table import BY_ADDRESS, ROUTES
from dirigent.daemon import MAX_LISTENING
from dirigent.errors import ConfigError
from tests.conftest import OSC_CLIENT, ask, decode, later

ROOT = Path(__file__).resolve().parents[1]


def test_docs_are_generated_from_the_table() -> None:
    assert (ROOT / "docs" / "osc.md").read_text() == docs.render(), (
        "docs/osc.md is stale: python -m bridge.osc.docs > docs/osc.md"
    )


def test_table_follows_one_grammar() -> None:
    assert len(BY_ADDRESS) == len(ROUTES)
    for route in ROUTES:
        assert re.fullmatch(r"/dirigent(/[a-z_0-9]+)+", route.address)
        assert all(a.tag in "ifs" for a in route.args)
        optional = [a.optional for a in route.args]
        assert optional == sorted(optional), f"{route.address}: optional arguments come last"


def test_ping_and_status(server: OscServer, daemon: Any) -> None:
    assert ask(server, "/dirigent/ping") == [("/dirigent/pong", [])]
    [(address, args)] = ask(server, "/dirigent/status")
    assert address == "/dirigent/status/reply"
    assert args[0] == "listen" and args[1] == len(daemon.searcher) and args[4] == 1
    assert args[5:] == [0, 0]  # nothing waits behind it, nothing was dropped


def test_search_replies_one_result_per_hit_then_end(server: OscServer) -> None:
    replies = ask(server, "/dirigent/search", "punchy kick", 5)
    assert [a for a, _ in replies] == ["/dirigent/result"] * 5 + ["/dirigent/results/end"]
    ranks = [args[0] for _, args in replies[:-1]]
    assert ranks == [1, 2, 3, 4, 5]
    assert all(Path(args[1]).is_file() for _, args in replies[:-1])
    assert [args[3] for _, args in replies[:-1]].count("kick") >= 4
    query_id, count, latency, not_understood, why_none = replies[-1][1]
    assert count == 5 and query_id > 0 and latency > 0 and not_understood == why_none == ""


def test_a_search_with_no_hit_says_why(server: OscServer) -> None:
    [(end, args)] = ask(server, "/dirigent/search", "kick at 400 bpm", 3)
    assert end == "/dirigent/results/end" and args[1] == 0
    assert args[4].startswith("no stem is at 400 BPM (+-3%); tempos here: ")


def test_search_by_category_and_more_like_this(server: OscServer, daemon: Any) -> None:
    replies = ask(server, "/dirigent/search", "dark", 4, "bass")
    assert {args[3] for _, args in replies[:-1]} == {"bass"}
    capitalised = ask(server, "/dirigent/search", "dark", 4, "Bass")  # as a layout may send it
    assert [args[4] for _, args in capitalised[:-1]] == [args[4] for _, args in replies[:-1]]
    stem = replies[0][1][4]
    like = ask(server, "/dirigent/search/like", str(stem), 3)
    assert [args[3] for _, args in like[:-1]] == ["bass"] * 3  # sounds like the example
    assert stem not in [args[4] for _, args in like[:-1]]  # which is not its own result
    path = replies[0][1][1]
    by_path = ask(server, "/dirigent/search/like", path, 3)[:-1]
    assert [args[4] for _, args in by_path] == [args[4] for _, args in like[:-1]]


@pytest.fixture
def slow_ear(daemon: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """The daemon's backend listens to a file only once the event is set (a long track)."""
    release = threading.Event()
    heard = daemon.searcher.backend.embed_audio

    def slow(y: Any, *, sr: int) -> Any:
        assert release.wait(10)
        return heard(y, sr=sr)

    monkeypatch.setattr(daemon.searcher.backend, "embed_audio", slow)
    yield release
    release.set()  # no listen job outlives the test waiting


@pytest.fixture
def copied_kick(kit: list[Any], served_config: Any) -> Iterator[tuple[Path, Path]]:
    """(a kick of the kit, a copy of it in the library that the catalog lacks)."""
    kick = next(f.path for f in kit if f.category == "kick" and not f.is_loop)
    copy = served_config.library[0] / "dragged in.wav"
    shutil.copy(kick, copy)
    yield kick, copy
    copy.unlink()


def test_a_file_to_listen_to_holds_up_no_other_message(
    server: OscServer, slow_ear: threading.Event, copied_kick: tuple[Path, Path]
) -> None:
    kick, copy = copied_kick
    assert ask(server, "/dirigent/search/like", str(copy), 3) == []  # listened to meanwhile
    assert ask(server, "/dirigent/ping") == [("/dirigent/pong", [])]
    assert ask(server, "/dirigent/search", "bass", 2)[-1][0] == "/dirigent/results/end"
    assert decode(server.later()) == []
    slow_ear.set()
    replies = later(server)
    assert [a for a, _ in replies] == ["/dirigent/result"] * 3 + ["/dirigent/results/end"]
    assert replies[0][1][1] == str(kick.resolve())  # the file it is a copy of sounds the same
    assert [dest for _, dest in server.later()] == []  # sent once


def test_late_replies_go_out_at_once_though_an_idle_loop_looks_up_seldom(
    daemon: Any,
    slow_ear: threading.Event,
    copied_kick: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(server_module, "STOP_POLL_S", 30.0)  # no poll in the test's time
    server = OscServer(daemon, port=0, rate=0)
    stop = threading.Event()
    loop = threading.Thread(target=server.serve, args=(stop,))
    loop.start()
    try:
        with OscClient(port=server.address[1]) as client:
            armed = client.request(
                "/dirigent/midi/learn", "drive", until="/dirigent/midi/learn/armed"
            )
            assert armed == [("/dirigent/midi/learn/armed", ["drive"])]
            daemon.learned("drive", 1, 74)  # the MIDI bridge's thread: posted to the outbox
            assert client.receive(5.0) == [("/dirigent/midi/learned", ["drive", 1, 74, "cc"])]
            client.send("/dirigent/search/like", str(copied_kick[1]), 2)
            time.sleep(0.2)  # being listened to
            slow_ear.set()  # the answer is finished on the listen thread
            replies: list[tuple[str, list[Any]]] = []
            while not replies or replies[-1][0] != "/dirigent/results/end":
                got = client.receive(5.0)
                assert got, replies
                replies += got
            assert [a for a, _ in replies] == ["/dirigent/result"] * 2 + ["/dirigent/results/end"]
            stop.set()
            client.send("/dirigent/ping")  # wakes the loop to stop
    finally:
        stop.set()
        loop.join(40)
        server.close()


def test_files_to_listen_to_are_bounded_and_their_failures_reported(
    server: OscServer, daemon: Any, slow_ear: threading.Event, copied_kick: tuple[Path, Path]
) -> None:
    _, copy = copied_kick
    for _ in range(MAX_LISTENING):
        assert ask(server, "/dirigent/search/like", str(copy), 1) == []
    [(address, args)] = ask(server, "/dirigent/search/like", str(copy), 1)
    assert address == "/dirigent/error" and "already listening to" in args[1]
    slow_ear.set()
    answered = []
    while len(answered) < 2 * MAX_LISTENING:
        answered += later(server)
    assert [a for a, _ in answered] == ["/dirigent/result", "/dirigent/results/end"] * MAX_LISTENING
    broken = copy.with_name("broken.wav")
    broken.write_bytes(b"RIFF\x00\x00")
    try:
        assert ask(server, "/dirigent/search/like", str(broken), 1) == []
        [(address, args)] = later(server)
    finally:
        broken.unlink()
    assert address == "/dirigent/error" and args[0] == "/dirigent/search/like"
    assert args[1].startswith("broken.wav: not a readable WAV file"), args
    daemon.config = replace(daemon.config, max_file_mb=0.01)  # the copy is 0.17 MB
    [(address, args)] = ask(server, "/dirigent/search/like", str(copy), 1)
    assert address == "/dirigent/error" and "above DIRIGENT_MAX_FILE_MB=0.01" in args[1]
    assert ask(server, "/dirigent/ping") == [("/dirigent/pong", [])]


def test_a_file_gone_before_it_is_heard_is_reported(
    server: OscServer, slow_ear: threading.Event, copied_kick: tuple[Path, Path]
) -> None:
    _, copy = copied_kick
    gone = copy.with_name("gone.wav")
    shutil.copy(copy, gone)
    assert ask(server, "/dirigent/search/like", str(copy), 1) == []  # the listen thread waits
    assert ask(server, "/dirigent/search/like", str(gone), 1) == []  # and this one behind it
    gone.unlink()
    slow_ear.set()
    replies = later(server)
    while len(replies) < 3:
        replies += later(server)
    assert [a for a, _ in replies] == [
        "/dirigent/result",
        "/dirigent/results/end",
        "/dirigent/error",
    ]
    address, reason = replies[-1][1]
    assert address == "/dirigent/search/like" and reason.startswith("gone.wav: "), reason
    assert "is neither a stem id nor an audio file" in reason


def test_a_prompt_understood_in_part_is_answered_and_told_what_was_not(server: OscServer) -> None:
    for prompt in ("zzyzx kick", "zzyzx loop"):  # a word it knows, or a filter
        replies = ask(server, "/dirigent/search", prompt, 3)
        assert replies[-1][0] == "/dirigent/results/end" and replies[-1][1][1] == 3, prompt
    *kicks, (end, args) = ask(server, "/dirigent/search", "zzyzx dusty kick", 3)
    assert {args[3] for _, args in kicks} == {"kick"}
    assert end == "/dirigent/results/end" and args[3] == "zzyzx dusty"  # named to the client
    assert ask(server, "/dirigent/search", "dark kick", 3)[-1][1][3] == ""


def test_like_and_skip_change_the_next_search(server: OscServer) -> None:
    first = [args[4] for _, args in ask(server, "/dirigent/search", "open hat", 5)[:-1]]
    [(address, args)] = ask(server, "/dirigent/skip", first[0])
    assert address == "/dirigent/feedback/ok" and args[:2] == [first[0], "skip"] and args[2] > 0
    again = [args[4] for _, args in ask(server, "/dirigent/search", "open hat", 5)[:-1]]
    assert first[0] not in again


def test_searches_asked_to_discover_show_half_new_sounds(server: OscServer, daemon: Any) -> None:
    plain = [args[4] for _, args in ask(server, "/dirigent/search", "metallic", 6)[:-1]]
    same = ask(server, "/dirigent/search", "metallic", 6, "any", 0)[:-1]
    assert [args[4] for _, args in same] == plain  # "any": no category filter; 0: no discovery
    seen = set(daemon.searcher.returned)
    replies = ask(server, "/dirigent/search", "metallic", 6, "", 1)[:-1]
    found = [args[4] for _, args in replies]
    assert len(found) == 6 and len(set(found) - seen) >= 3
    assert [args[5] for _, args in replies] == [int(stem not in seen) for stem in found]
    seen = set(daemon.searcher.returned)
    like = [args[4] for _, args in ask(server, "/dirigent/search/like", str(plain[0]), 6, 1)[:-1]]
    assert len(like) == 6 and len(set(like) - seen) >= 3 and plain[0] not in like
    suggested = [args[4] for _, args in ask(server, "/dirigent/suggest", plain[0], 4)[:-1]]
    assert suggested and set(suggested) <= daemon.searcher.returned  # shown: no longer new


def test_touchosc_floats_are_accepted_where_whole(server: OscServer) -> None:
    replies = ask(server, "/dirigent/search", "kick", 3.0)
    assert replies[-1][0] == "/dirigent/results/end" and replies[-1][1][1] == 3


def test_transport_cues_drive_the_clock(server: OscServer, daemon: Any) -> None:
    assert ask(server, "/dirigent/transport/tempo", 128.0) == []
    assert ask(server, "/dirigent/transport/signature", 3, 4) == []
    assert ask(server, "/dirigent/transport/play", 1) == []
    assert ask(server, "/dirigent/transport/beat", 1.0) == []
    [(address, (beat, seconds))] = ask(server, "/dirigent/transport/next_bar")
    assert address == "/dirigent/transport/next_bar/reply"
    assert beat == pytest.approx(3.0) and 0 < seconds <= 2 * 60 / 128 + 0.05
    assert daemon.clock.tempo == 128.0 and daemon.clock.numerator == 3


def bundle(*messages: bytes) -> bytes:
    from pythonosc.osc_message import OscMessage

    b = OscBundleBuilder(IMMEDIATELY)
    for m in messages:
        b.add_content(OscMessage(m))
    return b.build().dgram


def test_bundles_are_answered_message_by_message(server: OscServer) -> None:
    packet = bundle(encode("/dirigent/ping", ()), encode("/dirigent/search", ("kick", 2)))
    replies = decode(server.handle(packet, OSC_CLIENT))
    assert [a for a, _ in replies] == [
        "/dirigent/pong",
        "/dirigent/result",
        "/dirigent/result",
        "/dirigent/results/end",
    ]


def with_bad_utf8() -> bytes:
    return encode("/dirigent/search", ("kick",)).replace(b"kick", b"k\xffck")


MALFORMED = [
    ("unknown address", encode("/dirigent/nope", ()), "/dirigent/nope", "unknown address"),
    ("not OSC", b"\x00\x01garbage", "", "not an OSC packet"),
    ("empty", b"", "", "not an OSC packet"),
    ("bad UTF-8", with_bad_utf8(), "", "not an OSC packet"),
    ("oversized", encode("/dirigent/search", ("x" * MAX_PACKET,)), "", "bytes (at most"),
    ("wrong type", encode("/dirigent/search", (5,)), "/dirigent/search", "must be a string"),
    ("missing argument", encode("/dirigent/like", ()), "/dirigent/like", "expects (i:stem_id)"),
    ("extra argument", encode("/dirigent/ping", (1,)), "/dirigent/ping", "expects (no"),
    (
        "NaN",
        encode("/dirigent/transport/tempo", (float("nan"),)),
        "/dirigent/transport/tempo",
        "nan",
    ),
    ("inf", encode("/dirigent/transport/beat", (float("inf"),)), "/dirigent/transport/beat", "inf"),
    ("fractional int", encode("/dirigent/like", (2.5,)), "/dirigent/like", "whole number"),
    ("int32 overflow", encode("/dirigent/like", (2.0**40,)), "/dirigent/like", "whole number"),
    ("blob", encode("/dirigent/ping", (b"\x01\x02",)), "/dirigent/ping", "unsupported type tag b"),
    ("top_k range", encode("/dirigent/search", ("kick", 0)), "/dirigent/search", "top_k=0"),
    ("empty prompt", encode("/dirigent/search", ("  ",)), "/dirigent/search", "prompt is empty"),
    (
        "no word understood",
        encode("/dirigent/search", ("zzyzx qwrtp",)),
        "/dirigent/search",
        "no word of 'zzyzx qwrtp' is understood",
    ),
    (
        "unknown category",
        encode("/dirigent/search", ("kick", 5, "kik")),
        "/dirigent/search",
        "unknown category 'kik' (one of kick, snare,",
    ),
    ("unknown stem", encode("/dirigent/like", (999999,)), "/dirigent/like", "no stem with id"),
    ("loop flag", encode("/dirigent/play", (1, 7)), "/dirigent/play", "loop=7 must be 1"),
    (
        "tempo range",
        encode("/dirigent/transport/tempo", (0.5,)),
        "/dirigent/transport/tempo",
        "tempo=",
    ),
    (
        "signature",
        encode("/dirigent/transport/signature", (4, 3)),
        "/dirigent/transport/signature",
        "denominator=3",
    ),
    (
        "path escape",
        encode("/dirigent/search/like", ("../../../etc/passwd",)),
        "/dirigent/search/like",
        "outside the library",
    ),
    ("reply port", encode("/dirigent/reply_port", (70000,)), "/dirigent/reply_port", "port=70000"),
]


@pytest.mark.parametrize(
    ("packet", "address", "reason"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED]
)
def test_malformed_messages_get_one_error_and_change_nothing(
    server: OscServer, daemon: Any, packet: bytes, address: str, reason: str
) -> None:
    clock_before = (daemon.clock.tempo, daemon.clock.numerator, daemon.clock.denominator)
    ids_before = daemon.log.next_query_id()
    [(reply, args)] = decode(server.handle(packet, OSC_CLIENT))
    assert reply == "/dirigent/error"
    assert args[0] == address and reason in args[1], args
    assert (daemon.clock.tempo, daemon.clock.numerator, daemon.clock.denominator) == clock_before
    assert daemon.log.next_query_id() == ids_before + 1  # no query was answered in between
    assert ask(server, "/dirigent/ping") == [("/dirigent/pong", [])]


def test_symlinks_out_of_the_library_are_refused(
    server: OscServer, served_config: Any, tmp_path: Path
) -> None:
    outside = tmp_path / "secret.wav"
    outside.write_bytes(b"RIFF")
    link = served_config.library[0] / "link.wav"
    link.symlink_to(outside)
    try:
        [(reply, args)] = ask(server, "/dirigent/search/like", str(link))
    finally:
        link.unlink()
    assert reply == "/dirigent/error" and "outside the library" in args[1]


class CappedSocket:
    """A socket whose system grants at most ``cap`` bytes of receive buffer: by refusing more
    (macOS) or by granting less than asked, silently (Linux's rmem_max; Linux reports twice
    what it grants)."""

    def __init__(self, cap: int, *, refuses: bool) -> None:
        self.cap, self.refuses, self.size = cap, refuses, 0

    def setsockopt(self, level: int, option: int, size: int) -> None:
        if self.refuses and size > self.cap:
            raise OSError(55, "No buffer space available")
        self.size = size if self.refuses else 2 * min(size, self.cap)

    def getsockopt(self, level: int, option: int) -> int:
        return self.size


@pytest.mark.parametrize(
    ("sock", "granted"),
    [
        (CappedSocket(8 << 20, refuses=False), 8 << 20),  # allowed: Linux reports 2 x 4 MiB
        (CappedSocket(212992, refuses=False), 425984),  # Linux's default rmem_max
        (CappedSocket(3 << 20, refuses=True), 2 << 20),  # refused above 3 MiB: halved to 2
    ],
)
def test_the_receive_buffer_is_grown_and_a_short_one_named(
    sock: CappedSocket, granted: int, caplog: pytest.LogCaptureFixture
) -> None:
    assert grow_receive_buffer(sock, 4 << 20) == granted  # type: ignore[arg-type]
    short = [r.getMessage() for r in caplog.records if "receive buffer" in r.getMessage()]
    assert bool(short) == (granted < 4 << 20), short
    assert all("net.core.rmem_max=4194304" in m for m in short)


@pytest.fixture
def slow_status(daemon: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[OscServer]:
    """A serving OscServer with a kernel receive buffer of a few dozen datagrams, whose daemon
    takes a second to answer /dirigent/status (as a long answer would, the GIL free)."""
    status = daemon.status

    def slow() -> dict[str, Any]:
        time.sleep(1.0)
        return status()

    monkeypatch.setattr(daemon, "status", slow)
    server = OscServer(daemon, port=0, rate=0)
    server.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
    stop = threading.Event()
    loop = threading.Thread(target=server.serve, args=(stop,))
    loop.start()
    yield server
    stop.set()
    loop.join(10)
    server.close()


def burst_behind_a_slow_status(server: OscServer, pings: int) -> list[tuple[str, list[Any]]]:
    """Replies to /dirigent/status and to ``pings`` pings sent while it is being answered
    (slowly), then to a second /dirigent/status sent once all are answered."""
    with OscClient(port=server.address[1]) as client:
        client.send("/dirigent/status")
        time.sleep(0.1)  # the status is being answered
        for _ in range(pings):  # 1,000 a second: a few milliseconds outlast the buffer
            client.send("/dirigent/ping")
            time.sleep(0.001)
        got = []
        while messages := client.receive(2.0):
            got += messages
        got += client.request("/dirigent/status", until="/dirigent/status/reply")
    statuses = [m for m in got if m[0] == "/dirigent/status/reply"]
    assert len(statuses) == 2 and got[0] == statuses[0], got[:3]
    return got


def test_a_burst_longer_than_the_kernel_buffer_is_answered_after_a_slow_message(
    slow_status: OscServer,
) -> None:
    got = burst_behind_a_slow_status(slow_status, 500)
    assert sum(a == "/dirigent/pong" for a, _ in got) == 500
    assert slow_status.stats.overflowed == 0


def test_a_backlog_past_its_bound_is_dropped_counted_and_told(
    slow_status: OscServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server_module, "MAX_BACKLOG", 20)  # the status and 19 pings
    got = burst_behind_a_slow_status(slow_status, 100)
    assert sum(a == "/dirigent/pong" for a, _ in got) == 19
    assert slow_status.stats.overflowed == 81
    first, then = [args[5:] for a, args in got if a == "/dirigent/status/reply"]
    assert first == [19, 81]  # waiting behind it, dropped
    assert then == [0, 81]  # once all are answered


def test_signals_do_not_stall_the_receive_loop(daemon: Any) -> None:
    server = OscServer(daemon, port=0, rate=0)
    stop = threading.Event()
    got: list[tuple[str, list[Any]]] = []

    def client_side() -> None:
        with OscClient(port=server.address[1]) as client:
            for _ in range(300):
                os.kill(os.getpid(), signal.SIGUSR1)
                time.sleep(0.002)
            me = f"127.0.0.1:{client.sock.getsockname()[1]}"
            daemon.outbox.put((me, "/dirigent/pong", (), False))  # a late reply, nothing sent
            got.extend(client.receive(1.0))
            client.send("/dirigent/ping")  # wakes a stalled loop, so that it can stop
            stop.set()

    # a handler that takes a moment, as getting the GIL back can
    previous = signal.signal(signal.SIGUSR1, lambda *_: time.sleep(0.001))
    helper = threading.Thread(target=client_side)
    helper.start()
    try:
        server.serve(stop)  # here, in the main thread, where Python runs signal handlers
    finally:
        signal.signal(signal.SIGUSR1, previous)
        helper.join()
        server.close()
    assert got == [("/dirigent/pong", [])]


def test_rate_limit_drops_and_counts(daemon: Any) -> None:
    s = OscServer(daemon, port=0, rate=20)
    try:
        answered = sum(bool(s.handle(encode("/dirigent/ping", ()), OSC_CLIENT)) for _ in range(100))
    finally:
        s.close()
    assert 20 <= answered < 30 and s.stats.rate_limited == 100 - answered


def test_an_address_to_listen_on_that_does_not_resolve_is_named(daemon: Any) -> None:
    with pytest.raises(ConfigError, match="^cannot listen on 999.1.1.1: "):
        OscServer(daemon, host="999.1.1.1", port=0)


def test_open_listening_needs_an_allowlist(daemon: Any) -> None:
    with pytest.raises(ConfigError, match="allowlist"):
        OscServer(daemon, host="0.0.0.0", port=0)
    s = OscServer(daemon, host="0.0.0.0", port=0, allow=["192.168.1.0/24"], rate=0)
    try:
        ping = encode("/dirigent/ping", ())
        assert s.handle(ping, ("10.0.0.5", 9000)) == []
        assert s.stats.refused_senders == 1
        assert decode(s.handle(ping, ("192.168.1.20", 9000))) == [("/dirigent/pong", [])]
        assert decode(s.handle(ping, ("127.0.0.1", 9000))) == [("/dirigent/pong", [])]
    finally:
        s.close()


def test_replies_go_to_the_senders_host_on_its_reply_port(server: OscServer) -> None:
    ping = encode("/dirigent/ping", ())
    assert server.handle(ping, ("127.0.0.1", 50001))[0][1] == ("127.0.0.1", 9001)
    ok = decode(server.handle(encode("/dirigent/reply_port", (0,)), ("127.0.0.1", 50001)))
    assert ok == [("/dirigent/reply_port/ok", [0])]
    assert server.handle(ping, ("127.0.0.1", 50001))[0][1] == ("127.0.0.1", 50001)
    assert server.handle(ping, ("127.0.0.1", 50002))[0][1] == ("127.0.0.1", 9001)


@pytest.mark.parametrize(
    "args",
    [(), (1, "abc", 2.5, "kick"), ("abcd",), (b"\x01\x02", True, False), (-5, "é", 0.0)],
    ids=["none", "mixed", "aligned string", "blob and bools", "negative and unicode"],
)
def test_our_encoder_writes_what_python_osc_writes(args: tuple[Any, ...]) -> None:
    from pythonosc.osc_message_builder import OscMessageBuilder

    builder = OscMessageBuilder("/dirigent/result")
    for a in args:
        builder.add_arg(a)
    assert encode("/dirigent/result", args) == builder.build().dgram


def test_replies_are_bundled_within_one_frame() -> None:
    from bridge.osc.server import MAX_REPLY, pack

    messages = [
        encode("/dirigent/result", (i, "/x/" + "y" * 100, 0.5, "kick", i)) for i in range(30)
    ]
    datagrams = pack(messages)
    assert len(datagrams) > 1 and all(len(d) <= MAX_REPLY for d in datagrams)
    unpacked = [m.message.params[0] for d in datagrams for m in OscPacket(d).messages]
    assert unpacked == list(range(30))  # all of them, in order
    assert pack(messages[:1]) == messages[:1]  # a lone reply is a plain message
