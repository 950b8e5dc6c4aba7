"""The MIDI mapping file (TOML): which control moves which mutation parameter, over what range
and with what curve; which channel's notes are pads.

    [[control]]
    param = "filter"      # a mutation parameter
    cc = 74               # 0..119 (for 14-bit: the MSB controller; lsb = cc + 32 by default)
    channel = 1           # 1..16; leave out for any channel
    min = 0.0             # the parameter value at the bottom of the knob
    max = 1.0             # ... and at the top
    curve = "linear"      # linear, exp (fine at the bottom), log (fine at the top)
    fourteen_bit = false

    [[control]]
    param = "drive"
    nrpn = 1030           # instead of cc: an NRPN parameter 0..16383 (CC 99/98 select it);
    fourteen_bit = true   # its value comes by data entry, CC 6 (and CC 38 when 14-bit)

    [pads]
    channel = 10
    first_note = 36       # this note plays result 1, the next result 2, ...
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from dirigent.errors import ConfigError
from dirigent.mutate import PARAMS

CURVES = ("linear", "exp", "log")
NRPN_MSB, NRPN_LSB = 99, 98  # select a non-registered parameter
RPN_MSB, RPN_LSB = 101, 100  # select a registered one (Dirigent binds none)
DATA_MSB, DATA_LSB = 6, 38  # data entry for the selected parameter


@dataclass(frozen=True)
class Binding:
    """One control bound to one parameter."""

    param: str
    cc: int | None  # 0..119; None for an NRPN binding
    channel: int | None = None  # 1..16, None: any
    low: float = 0.0
    high: float = 1.0
    curve: str = "linear"
    fourteen_bit: bool = False
    nrpn: int | None = None  # 0..16383: bound to this NRPN instead of a controller

    @property
    def control(self) -> tuple[str, int]:
        """What moves it: ("cc", number) or ("nrpn", number)."""
        return ("nrpn", self.nrpn) if self.nrpn is not None else ("cc", self.cc or 0)

    @property
    def lsb(self) -> int:
        """The LSB controller of a 14-bit pair (-1 for an NRPN binding)."""
        return -1 if self.cc is None else self.cc + 32

    def value(self, position: float) -> float:
        """The parameter value for a knob ``position`` in 0..1."""
        shaped = {
            "linear": position,
            "exp": position**2,
            "log": math.sqrt(position),
        }[self.curve]
        return self.low + (self.high - self.low) * shaped


@dataclass(frozen=True)
class Mapping:
    """All bindings and the pad settings."""

    controls: tuple[Binding, ...] = ()
    pad_channel: int = 10
    first_note: int = 36
    path: Path | None = field(default=None, compare=False)

    def bind(self, binding: Binding) -> Mapping:
        """A mapping where ``binding`` replaces what the same control or parameter had."""
        kept = tuple(
            b
            for b in self.controls
            if b.param != binding.param
            and (b.control, b.channel) != (binding.control, binding.channel)
        )
        return replace(self, controls=(*kept, binding))


def _binding(raw: Any, where: str) -> Binding:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: a [[control]] must be a table")
    known = {"param", "cc", "nrpn", "channel", "min", "max", "curve", "fourteen_bit"}
    unknown = set(raw) - known
    if unknown:
        raise ConfigError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    param = raw.get("param")
    if param not in PARAMS:
        raise ConfigError(f"{where}: param {param!r} is not one of {', '.join(PARAMS)}")
    cc, nrpn = raw.get("cc"), raw.get("nrpn")
    if (cc is None) == (nrpn is None):
        raise ConfigError(f"{where}: give a cc or an nrpn (one of them)")
    if cc is not None and (not isinstance(cc, int) or not 0 <= cc <= 119):
        raise ConfigError(f"{where}: cc={cc!r} must be a controller number 0..119")
    if nrpn is not None and (not isinstance(nrpn, int) or not 0 <= nrpn <= 16383):
        raise ConfigError(f"{where}: nrpn={nrpn!r} must be a parameter number 0..16383")
    channel = raw.get("channel")
    if channel is not None and (not isinstance(channel, int) or not 1 <= channel <= 16):
        raise ConfigError(f"{where}: channel={channel!r} must be 1..16")
    low, high = float(raw.get("min", 0.0)), float(raw.get("max", 1.0))
    if not (0 <= low <= 1 and 0 <= high <= 1):
        raise ConfigError(f"{where}: min and max must be in 0..1")
    curve = raw.get("curve", "linear")
    if curve not in CURVES:
        raise ConfigError(f"{where}: curve={curve!r} must be one of {', '.join(CURVES)}")
    fourteen = bool(raw.get("fourteen_bit", False))
    if fourteen and cc is not None and cc > 31:
        raise ConfigError(f"{where}: a 14-bit control's MSB must be cc 0..31")
    return Binding(str(param), cc, channel, low, high, curve, fourteen, nrpn)


def load(path: Path) -> Mapping:
    """Read a mapping file; a missing file is an empty mapping."""
    if not path.exists():
        return Mapping(path=path)
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"MIDI mapping {path}: {e}") from e
    controls = tuple(
        _binding(raw, f"{path} control {i + 1}") for i, raw in enumerate(data.get("control", []))
    )
    pads = data.get("pads", {})
    channel, first = pads.get("channel", 10), pads.get("first_note", 36)
    if not (isinstance(channel, int) and 1 <= channel <= 16):
        raise ConfigError(f"{path}: pads channel={channel!r} must be 1..16")
    if not (isinstance(first, int) and 0 <= first <= 127):
        raise ConfigError(f"{path}: pads first_note={first!r} must be 0..127")
    return Mapping(controls, channel, first, path)


def dump(mapping: Mapping) -> str:
    """The mapping as TOML (MIDI learn writes it back)."""
    lines = ["# Dirigent MIDI mapping (written by MIDI learn; edit freely)", ""]
    for b in mapping.controls:
        kind, number = b.control
        lines += ["[[control]]", f'param = "{b.param}"', f"{kind} = {number}"]
        if b.channel is not None:
            lines.append(f"channel = {b.channel}")
        lines += [f"min = {b.low}", f"max = {b.high}", f'curve = "{b.curve}"']
        lines += [f"fourteen_bit = {'true' if b.fourteen_bit else 'false'}", ""]
    lines += ["[pads]", f"channel = {mapping.pad_channel}", f"first_note = {mapping.first_note}"]
    return "\n".join(lines) + "\n"
