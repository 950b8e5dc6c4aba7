"""The stage page's routes, the generated Max patch and TouchOSC layout being current, and
`dirigent install-ableton` (plan, dry run, idempotent install)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ask, later

ROOT = Path(__file__).resolve().parents[1]


def test_generated_device_and_layout_are_current() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    import build_max_device
    import build_touchosc

    patch = json.loads((ROOT / "max_for_live" / "dirigent.maxpat").read_text())
    assert patch == build_max_device.build(), "python scripts/build_max_device.py"
    xml = (ROOT / "bridge" / "layouts" / "dirigent" / "index.xml").read_text()
    assert xml == build_touchosc.layout(), "python scripts/build_touchosc.py"


def test_the_stage_page_searches_selects_likes_and_launches(daemon: Any, server: Any) -> None:
    def press(address: str, value: float = 1.0) -> list[tuple[str, list[Any]]]:
        return ask(server, address, value, sender=("10.0.0.9", 8000))

    assert press("/dirigent/stage/preset/1", 0.0) == []  # the release does nothing
    replies = press("/dirigent/stage/preset/1")
    rows = [args[0] for address, args in replies if address.startswith("/dirigent/stage/row/")]
    assert len(rows) == 8 and rows[0].startswith("1. ")
    assert replies[0][0] == "/dirigent/result"
    [(address, (row, stem))] = press("/dirigent/stage/select/2")
    assert address == "/dirigent/stage/selected" and row == 2 and stem == daemon.last_results[1]
    [(address, args)] = press("/dirigent/stage/like")
    assert address == "/dirigent/feedback/ok" and args[:2] == [stem, "like"]
    assert press("/dirigent/stage/launch/3") == []  # the answer follows from its thread
    [(address, args)] = later(server)
    assert address == "/dirigent/play/scheduled" and args[0] == daemon.last_results[2]
    assert press("/dirigent/knob/drive", 0.25) == [] and daemon.knobs["drive"] == 0.25
    [(address, (where, why))] = press("/dirigent/stage/select/9")
    assert address == "/dirigent/error" and "unknown address" in why


def test_the_stage_toggle_for_new_sounds_changes_what_a_preset_shows(
    daemon: Any, server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    logged: list[tuple[str, tuple[float, ...]]] = []
    monkeypatch.setattr(daemon.log, "transport", lambda what, v, client: logged.append((what, v)))

    def press(address: str, value: float = 1.0) -> list[int]:
        replies = ask(server, address, value, sender=("10.0.0.9", 8000))
        return [args[4] for address, args in replies if address == "/dirigent/result"]

    first = press("/dirigent/stage/preset/5")  # "warm pad"
    assert len(first) == 8 and press("/dirigent/stage/preset/5") == first
    assert press("/dirigent/stage/discover", 1.0) == [] and daemon.stage_discovers
    seen = set(daemon.searcher.returned)
    replies = ask(server, "/dirigent/stage/preset/5", 1.0, sender=("10.0.0.9", 8000))
    again = [args[4] for address, args in replies if address == "/dirigent/result"]
    assert len(set(again) - seen) >= 4  # half the rows: sounds no search returned
    rows = [args[0] for address, args in replies if address.startswith("/dirigent/stage/row/")]
    assert [row.endswith(" · new") for row in rows] == [stem not in seen for stem in again]
    assert press("/dirigent/stage/discover", 0.0) == [] and not daemon.stage_discovers
    assert press("/dirigent/stage/preset/5") == first
    assert logged == [("stage discover", (1.0,)), ("stage discover", (0.0,))]


def test_a_stage_preset_with_no_hit_says_why_on_its_first_row() -> None:
    from bridge.osc.table import _labels
    from dirigent.daemon import Answer

    why = "no stem is in Gm and a loop at once"
    rows = _labels(Answer(1, [], 0.2, why_none=why))
    assert [args for _, args in rows] == [(why,)] + [("",)] * 7


def test_install_ableton_plans_installs_and_is_idempotent(cli: Any, tmp_path: Path) -> None:
    dest = tmp_path / "User Library"
    rc, out, _ = cli("install-ableton", "--dry-run", "--dest", str(dest))
    assert rc == 0 and "dry run" in out and "copy" in out
    assert "Remote Scripts/Dirigent/core.py" in out and "Dirigent/dirigent.maxpat" in out
    assert not dest.exists()
    rc, out, _ = cli("install-ableton", "--dest", str(dest))
    assert rc == 0
    assert (dest / "Remote Scripts" / "Dirigent" / "__init__.py").is_file()
    assert (dest / "Dirigent" / "dirigent.js").is_file()
    assert not list(dest.rglob("__pycache__"))
    rc, out, _ = cli("install-ableton", "--dest", str(dest))
    assert rc == 0 and out.startswith("unchanged") and "0 files written" in out


def test_install_ableton_knows_where_live_keeps_its_library(tmp_path: Path) -> None:
    from dirigent.errors import ConfigError
    from dirigent.installer import user_library

    assert user_library("darwin", tmp_path) == tmp_path / "Music" / "Ableton" / "User Library"
    assert user_library("win32", tmp_path) == tmp_path / "Documents" / "Ableton" / "User Library"
    with pytest.raises(ConfigError, match="--dest"):
        user_library("linux", tmp_path)
