"""The contract: every address and type tag the Remote Script, the Max device and the TouchOSC
layout send exists in the daemon's OSC table, and every reply the daemon sends is handled by
one of them. Renaming an address in the table fails here."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from bridge.osc.table import BY_ADDRESS, Route, reply_addresses
from dirigent.config import load_config

ROOT = Path(__file__).resolve().parents[1]
JS = (ROOT / "max_for_live" / "dirigent.js").read_text()
PATCH = json.loads((ROOT / "max_for_live" / "dirigent.maxpat").read_text())
LAYOUT = ET.parse(ROOT / "bridge" / "layouts" / "dirigent" / "index.xml").getroot()


def remote_script() -> tuple[dict[str, str], tuple[str, ...]]:
    sys.path.insert(0, str(ROOT / "ableton_remote_script"))
    from Dirigent.core import HANDLES, SENDS

    return SENDS, HANDLES


def js_table(name: str) -> str:
    match = re.search(rf"var {name} = (\{{.*?\}}|\[.*?\]);", JS, re.DOTALL)
    assert match, f"dirigent.js declares no {name}"
    return match.group(1)


def max_device() -> tuple[dict[str, str], list[str]]:
    sends = dict(re.findall(r'"(/dirigent/[a-z_/0-9]+)":\s*"([ifs]*)"', js_table("SENDS")))
    handles = re.findall(r'"(/dirigent/[a-z_/0-9]+)"', js_table("HANDLES"))
    return sends, handles


def touchosc() -> list[tuple[str, str]]:
    """(control type, address) of every control with an address (captions have none)."""
    out = []
    for c in LAYOUT.iter("control"):
        address = base64.b64decode(c.get("osc_cs", "")).decode()
        if address:
            out.append((c.get("type", ""), address))
    return out


def accepts(route: Route, tags: str) -> bool:
    """Whether ``route`` takes arguments typed ``tags`` (an int where a float is wanted is fine)."""
    fixed = [a.tag for a in route.args]
    required = sum(not a.optional for a in route.args)
    extra = tags[len(fixed) :]
    if route.rest:
        ok_extra = all(t == route.rest[i % len(route.rest)].tag for i, t in enumerate(extra))
    else:
        ok_extra = not extra
    head = tags[: len(fixed)]
    if len(head) < required or not ok_extra:
        return False
    return all(t == f or (f == "f" and t == "i") for t, f in zip(head, fixed, strict=False))


@pytest.mark.parametrize("client", ["remote script", "max device"])
def test_every_sent_address_and_type_is_in_the_table(client: str) -> None:
    sends = remote_script()[0] if client == "remote script" else max_device()[0]
    assert sends
    for address, tags in sends.items():
        assert address in BY_ADDRESS, f"{client} sends {address}, which the daemon does not know"
        assert accepts(BY_ADDRESS[address], tags), f"{client}: {address} with ({tags})"


def test_the_js_sends_only_what_it_declares() -> None:
    sends, _ = max_device()
    used = set(re.findall(r'send\("(/dirigent/[a-z_/0-9]+)"', JS))
    assert used and used <= set(sends), used - set(sends)


def test_the_touchosc_layout_speaks_the_table() -> None:
    controls = touchosc()
    replies = reply_addresses()
    senders = [(kind, a) for kind, a in controls if kind != "labelh"]
    assert len(senders) >= 30
    for kind, address in senders:
        assert address in BY_ADDRESS, f"TouchOSC {kind} sends {address}, unknown to the daemon"
        assert accepts(BY_ADDRESS[address], "f"), f"TouchOSC sends one float to {address}"
    for kind, address in controls:
        if kind == "labelh":
            assert address in replies, f"TouchOSC label listens on {address}; nothing sends it"


def test_every_reply_is_handled_by_a_client() -> None:
    handled = set(remote_script()[1]) | set(max_device()[1]) | {a for _, a in touchosc()}
    # a tablet highlights the row it pressed by itself: /stage/selected is for scripts
    missing = reply_addresses() - handled - {"/dirigent/stage/selected"}
    assert not missing, f"replies no client handles: {sorted(missing)}"


def test_the_max_patch_uses_the_configured_ports_and_the_js_functions() -> None:
    config = load_config(env={})
    boxes = [b["box"] for b in PATCH["patcher"]["boxes"]]
    texts = [b.get("text", "") for b in boxes]
    assert f"udpsend 127.0.0.1 {config.osc_port}" in texts
    assert f"udpreceive {config.osc_reply_port}" in texts
    functions = set(re.findall(r"^function (\w+)\(", JS, re.MULTILINE))
    messages = [b["text"] for b in boxes if b["maxclass"] == "message" and b["text"]]
    prepends = [t.split()[1] for t in texts if t.startswith("prepend ")]
    for word in [m.split()[0] for m in messages] + prepends:
        assert word in functions, f"the patch sends {word!r} to dirigent.js: no such function"
    ids = {b["id"] for b in boxes}
    for line in PATCH["patcher"]["lines"]:
        assert line["patchline"]["source"][0] in ids
        assert line["patchline"]["destination"][0] in ids


def test_the_js_turns_hfs_paths_into_posix() -> None:
    assert "function posix(" in JS and 'p.indexOf(":/")' in JS  # "Macintosh HD:/Users/..."


@pytest.mark.skipif(shutil.which("node") is None, reason="no node to run the device's JavaScript")
@pytest.mark.parametrize(
    ("given", "posix"),
    [
        ("Macintosh HD:/Users/me/My Kit/Bass Loop.wav", "/Users/me/My Kit/Bass Loop.wav"),
        ("/Users/me/My Kit/Bass Loop.wav", "/Users/me/My Kit/Bass Loop.wav"),
        ("C:/Samples/kick 01.wav", "C:/Samples/kick 01.wav"),
    ],
)
def test_the_device_converts_paths_as_live_needs(given: str, posix: str) -> None:
    source = re.search(r"function posix\(path\) \{.*?\n\}", JS, re.DOTALL)
    assert source
    run = subprocess.run(
        ["node", "-e", f"{source.group(0)}\nprocess.stdout.write(posix({json.dumps(given)}));"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert run.stdout == posix
