"""A small blocking OSC client over UDP, as Max for Live or TouchOSC talk to the daemon: the
demo, the tests and the benchmarks drive the daemon with it."""

from __future__ import annotations

import socket
import time
from typing import Any

from pythonosc.osc_packet import OscPacket, ParseError

from bridge.osc.server import encode

Message = tuple[str, list[Any]]


class OscClient:
    """Sends to the daemon and receives its replies on ``reply_port`` (0: any free port, which
    is then announced with ``/dirigent/reply_port 0`` so replies come back to it)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 9000, reply_port: int = 0) -> None:
        self.daemon = (host, port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.sock.bind(("127.0.0.1" if host == "127.0.0.1" else "", reply_port))
        if reply_port == 0:
            self.request("/dirigent/reply_port", 0, until="/dirigent/reply_port/ok")

    def send(self, address: str, *args: Any) -> None:
        """Send one message."""
        self.sock.sendto(encode(address, args), self.daemon)

    def receive(self, timeout_s: float = 2.0) -> list[Message]:
        """The messages of the next datagram (empty on timeout)."""
        self.sock.settimeout(timeout_s)
        try:
            data, _ = self.sock.recvfrom(65535)
        except (TimeoutError, BlockingIOError, ConnectionRefusedError):  # 0 s: nonblocking
            return []
        try:
            return [(m.message.address, m.message.params) for m in OscPacket(data).messages]
        except ParseError:
            return []

    def request(
        self, address: str, *args: Any, until: str, timeout_s: float = 2.0
    ) -> list[Message]:
        """Send and collect replies up to and including ``until`` (or a /dirigent/error)."""
        self.send(address, *args)
        deadline = time.monotonic() + timeout_s
        got: list[Message] = []
        while (left := deadline - time.monotonic()) > 0:
            for message in self.receive(left):
                got.append(message)
                if message[0] in (until, "/dirigent/error"):
                    return got
        raise TimeoutError(f"no {until} within {timeout_s} s after {address} (got {got})")

    def search(self, prompt: str, top_k: int = 10, category: str = "") -> list[Message]:
        """Results of a search, ending with /dirigent/results/end."""
        return self.request(
            "/dirigent/search", prompt, top_k, category, until="/dirigent/results/end"
        )

    def close(self) -> None:
        """Close the socket."""
        self.sock.close()

    def __enter__(self) -> OscClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
