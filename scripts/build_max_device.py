"""Write max_for_live/dirigent.maxpat: the Dirigent device's patch (UI and OSC plumbing); the
logic is in dirigent.js. Generated so the knobs follow the engine's parameter table:

    python scripts/build_max_device.py
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dirigent.embed.lexicon import CATEGORIES
from dirigent.mutate import PARAMS

OUT = Path(__file__).resolve().parents[1] / "max_for_live" / "dirigent.maxpat"
DAEMON_PORT, REPLY_PORT = 9000, 9001
BUTTONS = ("like", "skip", "more", "mutate", "suggest", "audition", "stop", "load", "ping")


class Patch:
    """Boxes and patch cords of a Max patcher."""

    def __init__(self) -> None:
        self.boxes: list[dict[str, Any]] = []
        self.lines: list[dict[str, Any]] = []

    def box(self, maxclass: str, x: float, y: float, **attrs: Any) -> str:
        box_id = f"obj-{len(self.boxes) + 1}"
        box = {"id": box_id, "maxclass": maxclass, "patching_rect": [x, y, 100.0, 22.0]}
        box.update(attrs)
        self.boxes.append({"box": box})
        return box_id

    def obj(self, text: str, x: float, y: float, inlets: int = 1, outlets: int = 1) -> str:
        return self.box("newobj", x, y, text=text, numinlets=inlets, numoutlets=outlets)

    def message(self, text: str, x: float, y: float) -> str:
        return self.box("message", x, y, text=text, numinlets=2, numoutlets=1)

    def cord(self, source: str, outlet: int, dest: str, inlet: int = 0) -> None:
        self.lines.append({"patchline": {"source": [source, outlet], "destination": [dest, inlet]}})


def build() -> dict[str, Any]:
    p = Patch()
    receive = p.obj(f"udpreceive {REPLY_PORT}", 20, 20, outlets=1)
    js = p.obj("js dirigent.js", 20, 300, outlets=4)
    send = p.obj(f"udpsend 127.0.0.1 {DAEMON_PORT}", 20, 360, outlets=0)
    p.cord(receive, 0, js)
    p.cord(js, 0, send)
    results = p.box("umenu", 300, 360, numinlets=1, numoutlets=3, items=[])
    choose = p.obj("prepend choose", 300, 400)
    p.cord(js, 1, results)
    p.cord(results, 0, choose)
    p.cord(choose, 0, js)
    light = p.box("led", 520, 360, numinlets=1, numoutlets=1)
    p.cord(js, 2, light)
    info = p.message("", 560, 360)
    p.cord(js, 3, info)
    prompt = p.box("textedit", 20, 60, numinlets=1, numoutlets=4, text="")
    to_prompt = p.obj("prepend prompt", 20, 90)
    p.cord(prompt, 0, to_prompt)
    p.cord(to_prompt, 0, js)
    top_k = p.box("number", 200, 60, numinlets=1, numoutlets=2, minimum=1, maximum=100)
    to_top_k = p.obj("prepend topk", 200, 90)
    p.cord(top_k, 0, to_top_k)
    p.cord(to_top_k, 0, js)
    menu = p.box("umenu", 300, 60, numinlets=1, numoutlets=3, items=["any", *CATEGORIES])
    to_cat = p.obj("prepend cat", 300, 90)
    p.cord(menu, 1, to_cat)
    p.cord(to_cat, 0, js)
    new_sounds = p.box("toggle", 460, 60, numinlets=1, numoutlets=1)
    to_discover = p.obj("prepend discover", 460, 90)
    p.cord(new_sounds, 0, to_discover)
    p.cord(to_discover, 0, js)
    for i, name in enumerate(BUTTONS):
        p.cord(p.message(name, 20 + 60 * i, 130), 0, js)
    for i, text in enumerate(("variations 4", "target clip", "target simpler")):
        p.cord(p.message(text, 20 + 110 * i, 160), 0, js)
    for i, name in enumerate(PARAMS):
        x = 20 + 70 * i
        dial = p.box(
            "live.dial",
            x,
            200,
            numinlets=1,
            numoutlets=2,
            varname=name,
            parameter_enable=1,
            saved_attribute_attributes={
                "valueof": {
                    "parameter_longname": name,
                    "parameter_shortname": name,
                    "parameter_mmin": 0.0,
                    "parameter_mmax": 1.0,
                    "parameter_initial": [PARAMS[name].neutral],
                    "parameter_initial_enable": 1,
                }
            },
        )
        to_knob = p.obj(f"prepend knob {name}", x, 240)
        p.cord(dial, 0, to_knob)
        p.cord(to_knob, 0, js)
        p.cord(p.message(f"learn {name}", x, 265), 0, js)
    start = p.obj("loadbang", 640, 20, outlets=1)
    metro = p.obj("metro 2000", 640, 50, inlets=2)
    ping = p.message("ping", 640, 80)
    p.cord(start, 0, metro)
    p.cord(metro, 0, ping)
    p.cord(ping, 0, js)
    return {
        "patcher": {
            "fileversion": 1,
            "appversion": {"major": 8, "minor": 6, "revision": 0, "architecture": "x64"},
            "classnamespace": "box",
            "rect": [100.0, 100.0, 1000.0, 460.0],
            "openinpresentation": 0,
            "boxes": p.boxes,
            "lines": p.lines,
            "dependency_cache": [{"name": "dirigent.js", "type": "TEXT", "implicit": 1}],
        }
    }


if __name__ == "__main__":
    OUT.write_text(json.dumps(build(), indent=1) + "\n")
    print(OUT)
