"""docs/osc.md, generated from the address table (a test fails when the file differs):

python -m bridge.osc.docs > docs/osc.md
"""

from __future__ import annotations

from bridge.osc.server import MAX_PACKET
from bridge.osc.table import ERROR, ROUTES, Arg


def _arg(a: Arg) -> str:
    text = f"{a.tag}:{a.name}"
    return f"[{text}={a.default!r}]" if a.optional else text


def render() -> str:
    """The OSC reference as Markdown."""
    lines = [
        "# OSC reference",
        "",
        "Generated from `bridge/osc/table.py` by `python -m bridge.osc.docs`; do not edit.",
        "",
        "The daemon (`dirigent serve`) listens on UDP `127.0.0.1:9000` and answers on the",
        "sender's host at the reply port (9001 unless the client sends `/dirigent/reply_port`),",
        "the convention of Max's `udpsend`/`udpreceive` and of TouchOSC. Type tags: `i` int32,",
        "`f` float32 (an int is accepted), `s` UTF-8 string; an `i` argument also takes a whole",
        "float, as TouchOSC sends floats. Bundles are accepted; their time tags are ignored",
        f"(messages run on arrival). Packets over {MAX_PACKET} bytes are refused.",
        "",
        "| address | arguments | replies | meaning |",
        "|---|---|---|---|",
    ]
    for r in ROUTES:
        args = " ".join(_arg(a) for a in r.args) or "-"
        if r.rest:
            args += " [" + " ".join(f"{a.tag}:{a.name}" for a in r.rest) + "]..."
        replies = "<br>".join(f"`{x}`" for x in r.replies) or "-"
        lines.append(f"| `{r.address}` | {args} | {replies} | {r.meaning} |")
    lines += [
        "",
        "## Arguments",
        "",
    ]
    for r in ROUTES:
        for a in (*r.args, *r.rest):
            lines.append(f"- `{r.address}` `{a.name}`: {a.meaning}")
    lines += [
        "",
        "## Errors",
        "",
        f"Any message that cannot be served gets exactly one `{ERROR}` and changes nothing:",
        "an unknown address, a wrong type or number of arguments, an oversized packet,",
        "bad UTF-8, NaN or infinity, a value out of range, a path outside the library roots.",
        "Undecodable packets answer with an empty address. Senders beyond the allowlist and",
        "messages over the per-client rate limit are dropped without a reply, and counted.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(), end="")
