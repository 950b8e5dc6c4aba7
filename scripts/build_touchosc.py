"""Write the TouchOSC stage layout: bridge/layouts/dirigent/index.xml (readable, checked by the
contract test) and bridge/layouts/dirigent.touchosc (the zip TouchOSC's editor opens). A page
of preset prompts, the result rows with select and launch buttons, like/skip/mutate, a
toggle for new sounds, and a fader per mutation knob. Controls send on their own address, as
TouchOSC does (captions have none):

    python scripts/build_touchosc.py
"""

from __future__ import annotations

import base64
import zipfile
from pathlib import Path
from xml.sax.saxutils import quoteattr

from dirigent.daemon import STAGE_PRESETS, STAGE_ROWS
from dirigent.mutate import PARAMS

FOLDER = Path(__file__).resolve().parents[1] / "bridge" / "layouts"
WIDTH, HEIGHT = 1024, 768


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def control(
    kind: str, name: str, x: int, y: int, w: int, h: int, address: str, **extra: str
) -> str:
    attrs = {
        "name": b64(name),
        "x": str(x),
        "y": str(y),
        "w": str(w),
        "h": str(h),
        "color": extra.pop("color", "yellow"),
        "scalef": "0.0",
        "scalet": "1.0",
        "osc_cs": b64(address),
        "type": kind,
        **extra,
    }
    return "<control " + " ".join(f"{k}={quoteattr(v)}" for k, v in attrs.items()) + " ></control>"


def layout() -> str:
    controls = []
    for n, prompt in enumerate(STAGE_PRESETS, 1):
        x = 10 + (n - 1) * 126
        controls.append(
            control(
                "push", f"preset{n}", x, 10, 120, 60, f"/dirigent/stage/preset/{n}", color="blue"
            )
        )
        controls.append(
            control(
                "labelh",
                f"preset{n}label",
                x,
                72,
                120,
                20,
                "",
                text=b64(prompt[:22]),
                size="11",
                background="false",
                outline="false",
            )
        )
    for n in range(1, STAGE_ROWS + 1):
        y = 100 + (n - 1) * 50
        controls.append(control("push", f"select{n}", 10, y, 60, 44, f"/dirigent/stage/select/{n}"))
        controls.append(
            control(
                "labelh",
                f"row{n}",
                76,
                y,
                500,
                44,
                f"/dirigent/stage/row/{n}",
                text=b64(""),
                size="14",
                background="true",
                outline="false",
                color="gray",
            )
        )
        controls.append(
            control(
                "push", f"launch{n}", 582, y, 80, 44, f"/dirigent/stage/launch/{n}", color="green"
            )
        )
    for i, (name, address) in enumerate(
        (
            ("like", "/dirigent/stage/like"),
            ("skip", "/dirigent/stage/skip"),
            ("mutate", "/dirigent/stage/mutate"),
        )
    ):
        controls.append(control("push", name, 10 + i * 220, 510, 210, 60, address, color="orange"))
    controls.append(
        control("toggle", "discover", 10, 580, 60, 60, "/dirigent/stage/discover", color="blue")
    )
    controls.append(
        control(
            "labelh",
            "discoverlabel",
            76,
            580,
            380,
            60,
            "",
            text=b64("new sounds: presets show what you have not heard"),
            size="14",
            background="false",
            outline="false",
        )
    )
    for i, name in enumerate(PARAMS):
        x = 680 + (i % 6) * 56
        y = 100 if i < 6 else 420
        controls.append(
            control("faderv", name, x, y, 50, 280, f"/dirigent/knob/{name}", color="purple")
        )
        controls.append(
            control(
                "labelh",
                f"{name}label",
                x,
                y + 284,
                50,
                20,
                "",
                text=b64(name),
                size="10",
                background="false",
                outline="false",
            )
        )
    page = (
        f'<tabpage name="{b64("Stage")}" scalef="0.0" scalet="1.0" >'
        + "".join(controls)
        + "</tabpage>"
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<layout version="16" mode="3" w="{WIDTH}" h="{HEIGHT}" orientation="horizontal">'
        f"{page}</layout>\n"
    )


if __name__ == "__main__":
    folder = FOLDER / "dirigent"
    folder.mkdir(parents=True, exist_ok=True)
    xml = layout()
    (folder / "index.xml").write_text(xml)
    with zipfile.ZipFile(FOLDER / "dirigent.touchosc", "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo("index.xml", date_time=(2026, 1, 1, 0, 0, 0))
        z.writestr(info, xml)
    print(folder / "index.xml")
