"""`dirigent install-ableton`: the Remote Script into Live's "Remote Scripts" folder of the User
Library and the Max for Live device beside it; a plan first, idempotent, ``--dry-run``."""

from __future__ import annotations

import filecmp
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from dirigent.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "ableton_remote_script" / "Dirigent"
DEVICE = ROOT / "max_for_live"


@dataclass(frozen=True)
class Step:
    """One file to put in place: ``action`` is copy, update or unchanged."""

    action: str
    source: Path
    target: Path


def user_library(platform: str = sys.platform, home: Path | None = None) -> Path:
    """Live's default User Library on macOS and Windows."""
    home = home or Path.home()
    if platform == "darwin":
        return home / "Music" / "Ableton" / "User Library"
    if platform.startswith("win"):
        return home / "Documents" / "Ableton" / "User Library"
    raise ConfigError(f"Ableton Live does not run on {platform}: give the User Library with --dest")


def plan(dest: Path) -> list[Step]:
    """What installing into User Library ``dest`` would do."""
    pairs = [(SCRIPT, dest / "Remote Scripts" / "Dirigent"), (DEVICE, dest / "Dirigent")]
    steps = []
    for source_root, target_root in pairs:
        for source in sorted(source_root.rglob("*")):
            if not source.is_file() or "__pycache__" in source.parts:
                continue
            target = target_root / source.relative_to(source_root)
            if not target.exists():
                action = "copy"
            elif filecmp.cmp(source, target, shallow=False):
                action = "unchanged"
            else:
                action = "update"
            steps.append(Step(action, source, target))
    return steps


def install(steps: list[Step]) -> int:
    """Carry out a plan; returns how many files were written."""
    written = 0
    for step in steps:
        if step.action == "unchanged":
            continue
        step.target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(step.source, step.target)
        written += 1
    return written
