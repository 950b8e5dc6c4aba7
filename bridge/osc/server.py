"""The OSC transport: one UDP socket, datagrams checked (size, sender, rate, address, types)
and routed through the address table; replies go to the sender's host on its reply port.
A client's mistake is answered with /dirigent/error and never reaches the daemon."""

from __future__ import annotations

import ipaddress
import logging
import math
import queue
import select
import socket
import struct
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from pythonosc.osc_packet import OscPacket, ParseError

from bridge.osc.table import BY_ADDRESS, PREFIX, Arg, Reply, Route
from dirigent.daemon import Daemon
from dirigent.errors import ConfigError, DirigentError

log = logging.getLogger(__name__)

MAX_PACKET = 8192  # bytes; a prompt is at most 500 characters
MAX_REPLY = 1400  # bytes per reply datagram: one Ethernet/Wi-Fi frame, no fragments
BUNDLE_HEAD = b"#bundle\x00" + struct.pack(">Q", 1)  # time tag 1: immediately
STOP_POLL_S = 0.1  # how often an idle receive loop and reader look at the stop flag
SEND_WAIT_S = 0.02  # longest wait for room in a full send buffer
MAX_DRAIN = 10_000  # datagrams still answered after SIGTERM
READ_BATCH = 256  # datagrams the reader takes off the socket at one wake-up, at most
MAX_BACKLOG = 50_000  # datagrams read and not yet answered, at most; beyond, they are dropped
MAX_BACKLOG_BYTES = 16 << 20  # ... and their bytes
MAX_CLIENTS = 1024  # remembered senders (oldest forgotten first)
RECEIVE_BUFFER = 4 << 20  # bytes the kernel may hold for the daemon: thousands of messages
ACCEPTED_TAGS = frozenset("ifsdhTF")
INT32 = (-(2**31), 2**31 - 1)


@dataclass
class Client:
    """A sender (host, source port): where its replies go and its rate budget."""

    host: str
    port: int
    reply_port: int
    tokens: float
    seen: float
    messages: int = 0
    listens: bool = False  # receives every announcement (rendered stems), not only its own


@dataclass
class Stats:
    """Counters the status page and the tests read."""

    datagrams: int = 0
    messages: int = 0
    errors: int = 0
    refused_senders: int = 0
    rate_limited: int = 0
    send_failures: int = 0
    overflowed: int = 0  # dropped on arrival: the backlog was full
    by_reason: dict[str, int] = field(default_factory=dict)


class _Ctx:
    """The handler's view of one message's context."""

    def __init__(self, server: OscServer, client: Client, address: str) -> None:
        self.daemon = server.daemon
        self.client = f"{client.host}:{client.port}"
        self._server, self._client, self._address = server, client, address

    def clients(self) -> int:
        return len(self._server.clients)

    def backlog(self) -> tuple[int, int]:
        server = self._server
        waiting = server.backlog()[0] - 1  # this one is read, not yet answered
        return max(0, waiting), server.stats.overflowed

    def set_listening(self, on: bool) -> None:
        self._client.listens = on

    def set_reply_port(self, port: int) -> None:
        if not 0 <= port <= 65535:
            raise ValueError(f"port={port} must be in 0..65535 (0: my source port)")
        self._client.reply_port = port or self._client.port

    def reply_later(self, answer: Future[Any], replies: Callable[[Any], list[Reply]]) -> None:
        server, client, address = self._server, self._client, self._address
        answer.add_done_callback(lambda done: server.answered(client, address, done, replies))


def type_tags(dgram: bytes) -> str:
    """The type tag string of one OSC message datagram (without the comma)."""
    end = dgram.find(b"\x00")
    start = (end // 4 + 1) * 4
    if end < 0 or start >= len(dgram) or dgram[start : start + 1] != b",":
        return ""
    stop = dgram.find(b"\x00", start)
    return dgram[start + 1 : stop if stop >= 0 else len(dgram)].decode("ascii", "replace")


def convert(route: Route, params: Sequence[Any]) -> list[Any]:
    """Arguments checked against the route's table row and converted (TouchOSC sends floats
    for everything: a whole float is accepted as an int)."""
    required = sum(not a.optional for a in route.args)
    extra = len(params) - len(route.args)
    fits = required <= len(params) <= len(route.args) or (
        route.rest and extra >= 0 and extra % len(route.rest) == 0
    )
    if not fits:
        want = " ".join(f"{a.tag}:{a.name}{'?' if a.optional else ''}" for a in route.args)
        if route.rest:
            want += " [" + " ".join(f"{a.tag}:{a.name}" for a in route.rest) + "]..."
        raise TypeError(f"expects ({want.strip() or 'no arguments'}), got {len(params)} arguments")
    out = [_check(arg, value) for arg, value in zip(route.args, params, strict=False)]
    out += [a.default for a in route.args[len(params) :]]
    for i, value in enumerate(params[len(route.args) :]):
        out.append(_check(route.rest[i % len(route.rest)], value))
    return out


def _check(arg: Arg, value: Any) -> Any:
    if arg.tag == "s":
        if not isinstance(value, str):
            raise TypeError(f"{arg.name} must be a string, got {type(value).__name__}")
        return value
    if isinstance(value, bool):
        value = int(value)
    if not isinstance(value, int | float):
        raise TypeError(f"{arg.name} must be a number, got {type(value).__name__}")
    if not math.isfinite(value):
        raise ValueError(f"{arg.name}={value} is not a finite number")
    if arg.tag == "f":
        return float(value)
    if value != int(value) or not INT32[0] <= value <= INT32[1]:
        raise ValueError(f"{arg.name}={value} must be a whole number (int32)")
    return int(value)


def grow_receive_buffer(sock: socket.socket, want: int = RECEIVE_BUFFER) -> int:
    """Ask for ``want`` bytes of receive buffer (halving while the system refuses) and return
    what was granted; warn when it is less: a burst beyond it is dropped by the kernel, and
    Linux caps the request silently at ``net.core.rmem_max`` (208 KiB unless raised)."""
    size = want
    while True:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
            break
        except OSError:  # macOS refuses more than kern.ipc.maxsockbuf allows
            if size <= 1 << 16:
                break
            size //= 2
    granted = int(sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))
    if granted < want:
        log.warning(
            "the OSC receive buffer is %d KiB, not %d KiB: bursts of messages beyond it are "
            "lost; raise the limit (Linux: sysctl -w net.core.rmem_max=%d; macOS: "
            "kern.ipc.maxsockbuf)",
            granted >> 10,
            want >> 10,
            want,
        )
    return granted


def _padded(raw: bytes) -> bytes:
    """OSC string/blob padding: a NUL, then up to a multiple of 4 bytes."""
    return raw + b"\x00" * (4 - len(raw) % 4)


def encode(address: str, args: Sequence[Any]) -> bytes:
    """One OSC 1.0 message (int32 ``i``, float32 ``f``, string ``s``, blob ``b``, ``T``/``F``):
    the replies are on the hot path, so this is a direct packing rather than a builder."""
    tags = [","]
    data = []
    for a in args:
        if isinstance(a, bool):
            tags.append("T" if a else "F")
        elif isinstance(a, int):
            tags.append("i")
            data.append(struct.pack(">i", a))
        elif isinstance(a, float):
            tags.append("f")
            data.append(struct.pack(">f", a))
        elif isinstance(a, str):
            tags.append("s")
            data.append(_padded(a.encode("utf-8")))
        elif isinstance(a, bytes):
            tags.append("b")
            data.append(struct.pack(">i", len(a)) + a + b"\x00" * (-len(a) % 4))
        else:
            raise TypeError(f"cannot send {type(a).__name__} over OSC")
    return _padded(address.encode("utf-8")) + _padded("".join(tags).encode()) + b"".join(data)


def pack(messages: list[bytes], limit: int = MAX_REPLY) -> list[bytes]:
    """Datagrams for the replies to one message: a lone message as it is, several in bundles
    ("#bundle", time tag "immediately") of up to ``limit`` bytes, so a search's results
    arrive together and cost one send."""
    if len(messages) <= 1:
        return messages
    datagrams, current, size = [], [BUNDLE_HEAD], len(BUNDLE_HEAD)
    for m in messages:
        if size + 4 + len(m) > limit and len(current) > 1:
            datagrams.append(b"".join(current))
            current, size = [BUNDLE_HEAD], len(BUNDLE_HEAD)
        current.append(struct.pack(">i", len(m)) + m)
        size += 4 + len(m)
    datagrams.append(b"".join(current))
    return datagrams


class OscServer:
    """Routes datagrams to the daemon. :meth:`handle` is the whole protocol without a socket;
    :meth:`serve` is the receive loop."""

    def __init__(
        self,
        daemon: Daemon,
        *,
        host: str = "127.0.0.1",
        port: int = 9000,
        reply_port: int = 9001,
        allow: Sequence[str] = (),
        rate: float = 1000.0,
    ) -> None:
        try:
            loopback = ipaddress.ip_address(socket.gethostbyname(host)).is_loopback
        except OSError as e:  # a typo, or a host name this machine cannot resolve
            raise ConfigError(f"cannot listen on {host}: {e.strerror or e}") from e
        if not loopback and not allow:
            raise ConfigError(
                f"listening on {host} needs an allowlist of client addresses "
                "(--allow 192.168.1.20 or osc_allow in dirigent.toml)"
            )
        try:
            self.allow = [ipaddress.ip_network(a, strict=False) for a in allow]
        except ValueError as e:
            raise ConfigError(f"allowlist: {e}") from e
        _quiet_python_osc()
        self.daemon = daemon
        self.reply_port = reply_port
        self.rate = rate
        self.clients: OrderedDict[tuple[str, int], Client] = OrderedDict()
        self.stats = Stats()
        # answers finished on another thread, for the receive loop to send: (client, address
        # asked, the answer, how it becomes replies)
        self.finished: queue.SimpleQueue[
            tuple[Client, str, Future[Any], Callable[[Any], list[Reply]]]
        ] = queue.SimpleQueue()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.receive_buffer = grow_receive_buffer(self.sock)
        try:
            self.sock.bind((host, port))
        except OSError as e:
            self.sock.close()
            raise ConfigError(f"cannot listen on {host}:{port}: {e}") from e
        self.address = self.sock.getsockname()
        # the backlog: each counter has one writer (the reader thread, or the receive loop)
        self._read_count = self._read_bytes = self._answered_count = self._answered_bytes = 0

    # --- the protocol -----------------------------------------------------------------------

    def handle(self, data: bytes, sender: tuple[str, int]) -> list[tuple[bytes, tuple[str, int]]]:
        """Datagrams to send in answer to ``data`` from ``sender``."""
        self.stats.datagrams += 1
        host = sender[0]
        if self.allow and not self._allowed(host):
            self.stats.refused_senders += 1
            return []
        client = self._client(sender)
        if not self._spend(client):
            self.stats.rate_limited += 1
            return []
        return self._to(client, self._route(data, client))

    @staticmethod
    def _to(client: Client, replies: list[Reply]) -> list[tuple[bytes, tuple[str, int]]]:
        dest = (client.host, client.reply_port)
        return [(d, dest) for d in pack([encode(address, args) for address, args in replies])]

    def _allowed(self, host: str) -> bool:
        ip = ipaddress.ip_address(host)
        return ip.is_loopback or any(ip in net for net in self.allow)

    def _client(self, sender: tuple[str, int]) -> Client:
        client = self.clients.get(sender)
        now = time.monotonic()
        if client is None:
            client = Client(sender[0], sender[1], self.reply_port, self.rate, now)
            self.clients[sender] = client
            if len(self.clients) > MAX_CLIENTS:
                self.clients.popitem(last=False)
        else:
            self.clients.move_to_end(sender)
        return client

    def _spend(self, client: Client) -> bool:
        """Token bucket: ``rate`` messages per second, bursts up to one second's worth."""
        now = time.monotonic()
        if self.rate <= 0:
            client.seen = now
            return True
        client.tokens = min(self.rate, client.tokens + (now - client.seen) * self.rate)
        client.seen = now
        if client.tokens < 1:
            return False
        client.tokens -= 1
        return True

    def _route(self, data: bytes, client: Client) -> list[Reply]:
        if len(data) > MAX_PACKET:
            return self._error(client, "", f"packet of {len(data)} bytes (at most {MAX_PACKET})")
        try:
            messages = [m.message for m in OscPacket(data).messages]
        except (ParseError, UnicodeDecodeError, ValueError, IndexError, TypeError) as e:
            return self._error(client, "", f"not an OSC packet: {_short(e)}")
        replies: list[Reply] = []
        for message in messages:
            self.stats.messages += 1
            client.messages += 1
            replies += self._dispatch(message.address, message.dgram, message.params, client)
        return replies

    def _dispatch(
        self, address: str, dgram: bytes, params: list[Any], client: Client
    ) -> list[Reply]:
        route = BY_ADDRESS.get(address)
        if route is None:
            return self._error(client, address, "unknown address")
        bad = set(type_tags(dgram)) - ACCEPTED_TAGS
        if bad:
            return self._error(client, address, f"unsupported type tag {''.join(sorted(bad))}")
        ctx = _Ctx(self, client, address)
        return self._guarded(client, address, lambda: route.handler(ctx, *convert(route, params)))

    def _guarded(
        self, client: Client, address: str, answer: Callable[..., list[Reply]], *args: Any
    ) -> list[Reply]:
        """``answer(*args)``, or the error that tells the client why there is none."""
        try:
            return answer(*args)
        except (TypeError, ValueError, DirigentError) as e:
            return self._error(client, address, str(e))
        except Exception as e:  # the receive loop never dies: log it, tell the client
            log.exception("handler of %s failed", address)
            return self._error(client, address, f"internal error: {_short(e)}")

    def _error(self, client: Client, address: str, reason: str) -> list[Reply]:
        self.stats.errors += 1
        kind = reason.split(":")[0].split(" (")[0][:40]
        if len(self.stats.by_reason) < 256 or kind in self.stats.by_reason:
            self.stats.by_reason[kind] = self.stats.by_reason.get(kind, 0) + 1
        safe_address = address.encode("utf-8", "replace").decode("utf-8")[:200]
        self.daemon.error(safe_address, reason, client=f"{client.host}:{client.port}")
        return [(f"{PREFIX}/error", (safe_address, reason[:300]))]

    # --- the socket -------------------------------------------------------------------------

    def serve(self, stop: threading.Event) -> None:
        """Route and reply until ``stop`` is set; then answer what already arrived. A reader
        thread takes datagrams off the socket as they come, so that a burst outlasting the
        kernel's buffer is not lost while a message is being answered. Replies that come later
        (a render is ready) are sent as soon as they are posted: posting one wakes the loop
        with an empty batch, so an idle daemon looks at nothing in between."""
        # a Queue, not a SimpleQueue: in Python 3.11 a signal can leave SimpleQueue.get(timeout)
        # waiting forever (its deadline, once passed, becomes "no deadline")
        inbox: queue.Queue[list[tuple[bytes, tuple[str, int]]]] = queue.Queue()
        self.daemon.wake = lambda: inbox.put([])
        reader = threading.Thread(
            target=self._read, args=(stop, inbox), name="dirigent-osc-read", daemon=True
        )
        reader.start()
        while not stop.is_set():
            try:
                self._handle_all(inbox.get(timeout=STOP_POLL_S))
            except queue.Empty:
                pass
            self.send_later()
        reader.join()
        left = 0
        while left < MAX_DRAIN:
            try:
                batch = inbox.get_nowait()
            except queue.Empty:
                break
            self._handle_all(batch)
            left += len(batch)
        while left < MAX_DRAIN and self._once():
            left += 1
        self.daemon.wake = lambda: None  # no loop reads this inbox any more
        self.send_later()

    def _read(self, stop: threading.Event, inbox: queue.Queue[Any]) -> None:
        """Move datagrams from the socket to ``inbox`` in batches until ``stop`` is set,
        dropping (and counting) those that would grow the backlog past its bounds."""
        self.sock.setblocking(False)
        while not stop.is_set():
            if not select.select([self.sock], [], [], STOP_POLL_S)[0]:
                continue
            batch = []
            for _ in range(READ_BATCH):
                try:
                    data, sender = self.sock.recvfrom(65535)
                except BlockingIOError:
                    break
                except OSError:  # e.g. ICMP port unreachable from an earlier reply
                    continue
                backlog, held = self.backlog()
                if backlog >= MAX_BACKLOG or held + len(data) > MAX_BACKLOG_BYTES:
                    self.stats.overflowed += 1
                    continue
                self._read_count += 1
                self._read_bytes += len(data)
                batch.append((data, sender))
            if batch:
                inbox.put(batch)

    def backlog(self) -> tuple[int, int]:
        """Datagrams read and not yet answered, and their bytes."""
        return self._read_count - self._answered_count, self._read_bytes - self._answered_bytes

    def _handle_all(self, batch: list[tuple[bytes, tuple[str, int]]]) -> None:
        for data, sender in batch:
            self._send(self.handle(data, sender))
            self._answered_count += 1
            self._answered_bytes += len(data)

    def answered(
        self, client: Client, address: str, done: Future[Any], replies: Callable[[Any], list[Reply]]
    ) -> None:
        """An answer finished on another thread: queue it for the receive loop and wake it."""
        self.finished.put((client, address, done, replies))
        self.daemon.wake()

    def later(self) -> list[tuple[bytes, tuple[str, int]]]:
        """Datagrams for the answers finished on another thread and for the daemon's late
        replies, each to its client's reply port."""
        out: list[tuple[bytes, tuple[str, int]]] = []
        while True:
            try:
                asker, asked, done, replies = self.finished.get_nowait()
            except queue.Empty:
                break
            out += self._to(asker, self._guarded(asker, asked, _outcome, done, replies))
        while True:
            try:
                client, address, args, to_listeners = self.daemon.outbox.get_nowait()
            except queue.Empty:
                return out
            host, _, port = client.rpartition(":")
            known = self.clients.get((host, int(port))) if port.isdigit() else None
            dests = {(host or "127.0.0.1", known.reply_port if known else self.reply_port)}
            if to_listeners:
                dests |= {(c.host, c.reply_port) for c in self.clients.values() if c.listens}
            payload = encode(address, args)
            out.extend((payload, dest) for dest in sorted(dests))

    def send_later(self) -> None:
        """Send what :meth:`later` gives."""
        self._send(self.later())

    def _send(self, datagrams: list[tuple[bytes, tuple[str, int]]]) -> None:
        """Send each datagram; a full send buffer is waited for a moment, never longer."""
        for payload, dest in datagrams:
            try:
                self.sock.sendto(payload, dest)
            except BlockingIOError:
                if not select.select([], [self.sock], [], SEND_WAIT_S)[1]:
                    self.stats.send_failures += 1
                    continue
                try:
                    self.sock.sendto(payload, dest)
                except OSError:
                    self.stats.send_failures += 1
            except OSError:
                self.stats.send_failures += 1

    def _once(self) -> bool:
        """Serve one datagram left on the socket; False when none was waiting."""
        try:
            data, sender = self.sock.recvfrom(65535)
        except (TimeoutError, BlockingIOError):
            return False
        except OSError:  # e.g. ICMP port unreachable from an earlier reply
            return True
        self._send(self.handle(data, sender))
        return True

    def close(self) -> None:
        """Close the socket."""
        self.sock.close()


def _outcome(done: Future[Any], replies: Callable[[Any], list[Reply]]) -> list[Reply]:
    """The replies to a finished answer; its error is raised."""
    return replies(done.result())


def _short(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}"[:200]


class _QuietPythonOsc(logging.Filter):
    """python-osc warns on the root logger for each unknown type tag; the server answers those
    itself, and a flood of them must not flood the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "pythonosc" not in record.pathname


def _quiet_python_osc() -> None:
    root = logging.getLogger()
    if not any(isinstance(f, _QuietPythonOsc) for f in root.filters):
        root.addFilter(_QuietPythonOsc())
