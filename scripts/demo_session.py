"""The demo's live part: start `dirigent serve`, drive it over real UDP as the Max for Live
device would (ping, three prompts, a like, a suggestion, more like the liked kick with the
new-sounds toggle on, a mutation played on the next bar), print the conversation, stop the
daemon with SIGTERM and show what DuckDB logged.

    python scripts/demo_session.py --db demo/stems.duckdb [--port 9000] [--reply-port 9001]
"""

from __future__ import annotations

import argparse
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bridge.osc.client import OscClient

PROMPTS = (
    "dark hypnotic techno kick with industrial texture",
    "rolling bass loop in A minor",
    "fast percussion loop 130bpm",
)


def show(direction: str, address: str, args: list[Any] | tuple[Any, ...], root: Path) -> None:
    shown = []
    for a in args:
        if isinstance(a, str) and a.startswith(str(root)):
            a = a[len(str(root)) + 1 :]
        shown.append(
            f'"{a}"' if isinstance(a, str) else f"{a:.3f}" if isinstance(a, float) else str(a)
        )
    print(f"  M4L {direction} {address} {' '.join(shown)}".rstrip())


def converse(
    client: OscClient,
    address: str,
    *args: Any,
    until: str | None,
    root: Path,
    timeout_s: float = 2.0,
) -> list:
    show("->", address, args, root)
    if until is None:
        client.send(address, *args)
        return []
    replies = client.request(address, *args, until=until, timeout_s=timeout_s)
    for reply_address, reply_args in replies:
        show("<-", reply_address, reply_args, root)
    return replies


def before_after(source: Path, rendered: Path) -> None:
    """The waveform-and-spectrogram PNG next to the rendered WAV."""
    from dirigent.audio_io import decode
    from dirigent.compare_plot import draw_before_after

    before, sr, _ = decode(source.read_bytes(), source)
    after, _, _ = decode(rendered.read_bytes(), rendered)
    out = rendered.with_suffix(".before-after.png")
    draw_before_after(before, after, sr=sr, out=out, title=f"{source.name} -> {rendered.name}")
    print(f"  rendered: {rendered}\n  before/after: {out}")


def dirigent(*args: str) -> list[str]:
    return [sys.executable, "-m", "dirigent.cli", *args]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--reply-port", type=int, default=9001)
    args = parser.parse_args()
    db = str(args.db)
    serve = subprocess.Popen(
        dirigent(
            "--db", db, "serve", "--port", str(args.port), "--reply-port", str(args.reply_port)
        ),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert serve.stdout is not None
    if not select.select([serve.stdout], [], [], 30)[0] or "ready" not in (
        line := serve.stdout.readline()
    ):
        serve.kill()
        print("the daemon did not start (is another one running on these ports?)", file=sys.stderr)
        return 1
    print(line.rstrip())
    root = args.db.parent.resolve() / "kit"
    try:
        with OscClient(port=args.port, reply_port=args.reply_port) as client:
            print(
                f"\nconversation (Max for Live: udpsend to :{args.port}, "
                f"udpreceive on :{args.reply_port}):"
            )
            converse(client, "/dirigent/ping", until="/dirigent/pong", root=root)
            converse(client, "/dirigent/transport/tempo", 128.0, until=None, root=root)
            converse(client, "/dirigent/transport/play", 1, until=None, root=root)
            firsts = []
            for prompt in PROMPTS:
                replies = converse(
                    client, "/dirigent/search", prompt, 5, until="/dirigent/results/end", root=root
                )
                firsts.append(replies[0][1] if len(replies) > 1 else None)
            kick, loop = firsts[0], firsts[1]
            if kick is not None:
                converse(
                    client, "/dirigent/like", kick[4], until="/dirigent/feedback/ok", root=root
                )
                converse(
                    client,
                    "/dirigent/suggest",
                    kick[4],
                    4,
                    until="/dirigent/results/end",
                    root=root,
                )
                print("\n  (more like the liked kick, new sounds on: half of the answer unheard)")
                converse(
                    client,
                    "/dirigent/search/like",
                    str(kick[4]),
                    4,
                    1,
                    until="/dirigent/results/end",
                    root=root,
                )
            if loop is not None:
                print("\n  (mutating the bass loop: stretched to 128 BPM, filtered, driven, rolls)")
                replies = converse(
                    client,
                    "/dirigent/mutate",
                    loop[4],
                    *("stretch", 1.0, "filter", 0.3, "resonance", 0.6, "drive", 0.35),
                    *("stutter", 0.25),
                    until="/dirigent/stem/ready",
                    root=root,
                    timeout_s=30.0,
                )
                ready = replies[-1]
                if ready[0] == "/dirigent/stem/ready":
                    rendered = Path(ready[1][0])
                    before_after(Path(loop[1]), rendered)
                    converse(
                        client,
                        "/dirigent/play",
                        ready[1][1],
                        until="/dirigent/play/scheduled",
                        root=root,
                    )
                    time.sleep(2.5)  # let it land on the bar and play a little into the file sink
            converse(
                client,
                "/dirigent/transport/next_bar",
                until="/dirigent/transport/next_bar/reply",
                root=root,
            )
            converse(client, "/dirigent/status", until="/dirigent/status/reply", root=root)
            converse(client, "/dirigent/search", 42, until="/dirigent/results/end", root=root)
    finally:
        time.sleep(0.1)
        serve.send_signal(signal.SIGTERM)
        out, _ = serve.communicate(timeout=30)
        print("\n" + out.strip())
    print("\nwhat DuckDB logged (dirigent log, dirigent sessions --replay):")
    sys.stdout.flush()
    subprocess.run(dirigent("--db", db, "log", "--last", "5"), check=True)
    sessions = subprocess.run(
        dirigent("--db", db, "sessions"), check=True, capture_output=True, text=True
    )
    session = sessions.stdout.split()[0]
    subprocess.run(dirigent("--db", db, "sessions", "--replay", session), check=True)
    return 0 if serve.returncode == 0 else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
