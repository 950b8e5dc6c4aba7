"""Every address of the OSC table, sent well-typed values at their extremes: each is answered
(a reply or a clear /dirigent/error), never with an internal error or an exception's name, now
or when its render lands."""

from __future__ import annotations

import re
from typing import Any

from bridge.osc.server import OscServer
from bridge.osc.table import ROUTES
from tests.conftest import ask, decode, later

EXTREMES = {
    "i": (-(2**31), -1, 1, 0, 2**31 - 1),  # 1: a stem of the kit, a count
    "f": (-3.4e38, -1.0, 0.0, 0.5, 1e30),
    "s": ("", " ", "x" * 2000, "../../../etc/passwd", "Ünïcödé ✓", "-1", "1e30"),
}
# what a bug answers with: "internal error: ...", or an exception's name ("ValueError: ...")
BUG = re.compile(r"internal error|\b[A-Z]\w*(Error|Exception)\b")
PAIRS = tuple(
    (name, value)
    for name in ("seed", "layer_stem", "pitch", "stretch", "wobble", "")
    for value in (-1.0, 0.5, 2.5, 1e30)
)


def cases() -> list[tuple[str, tuple[Any, ...]]]:
    """(address, args): each argument at each of its extremes, the others at a mild value."""
    out = []
    for route in ROUTES:
        mild = [EXTREMES[a.tag][2] for a in route.args]  # 1, 0.0, ""
        out.append((route.address, tuple(mild)))
        for n, arg in enumerate(route.args):
            for value in EXTREMES[arg.tag]:
                out.append((route.address, (*mild[:n], value, *mild[n + 1 :])))
        if route.rest:
            for pair in PAIRS:
                out.append((route.address, (*mild, *pair)))
    return out


def test_no_extreme_value_makes_an_internal_error(server: OscServer) -> None:
    replies = []
    for address, args in cases():
        answer = ask(server, address, *args)
        if any(reply == "/dirigent/mutate/queued" for reply, _ in answer):
            answer += later(server)  # the render: announced, or an error
        replies += [(address, args, reply) for reply in answer]
    replies += [("later", (), reply) for reply in decode(server.later())]
    internal = [r for r in replies if r[2][0] == "/dirigent/error" and BUG.search(str(r[2][1]))]
    assert not internal, "\n".join(map(str, internal))
    assert {r[2][0] for r in replies} >= {"/dirigent/stem/ready", "/dirigent/results/end"}
