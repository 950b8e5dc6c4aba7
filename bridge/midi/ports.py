"""MIDI input ports (mido over python-rtmidi): opened by name or as a virtual port, watched,
and re-opened when a controller is unplugged and plugged back; an absent port or a machine
without MIDI is a clear message, never a crash."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from dirigent.errors import ConfigError

log = logging.getLogger(__name__)

VIRTUAL = "virtual"  # midi_input = "virtual": a port named "Dirigent" other software can open
VIRTUAL_NAME = "Dirigent"
RETRY_S = 2.0  # how often an absent port is looked for
MAX_RETRY_S = 60.0  # on a machine with no MIDI at all, the looks back off to this (each one
# can print the MIDI system's own complaint to stderr)


class MidiUnavailable(ConfigError):
    """The machine has no MIDI system to ask (no ALSA sequencer, no CoreMIDI)."""


def input_names() -> list[str]:
    """The MIDI inputs this machine has (raises MidiUnavailable where there is no MIDI)."""
    import mido

    try:
        return list(mido.get_input_names())
    except Exception as e:  # rtmidi without ALSA sequencer / CoreMIDI: a SystemError
        raise MidiUnavailable(f"MIDI is not available on this machine ({e})") from e


def open_input(name: str, callback: Callable[[Any], None]) -> Any:
    """Open input ``name`` (or the virtual port) delivering messages to ``callback``."""
    import mido

    if name == VIRTUAL:
        try:
            return mido.open_input(VIRTUAL_NAME, virtual=True, callback=callback)
        except Exception as e:
            raise ConfigError(f"cannot create the virtual MIDI port {VIRTUAL_NAME!r}: {e}") from e
    names = input_names()
    match = next((n for n in names if n == name), None) or next(
        (n for n in names if name.lower() in n.lower()), None
    )
    if match is None:
        listed = ", ".join(names) or "none"
        raise ConfigError(f"no MIDI input named {name!r} (inputs: {listed})")
    try:
        return mido.open_input(match, callback=callback)
    except Exception as e:
        raise ConfigError(f"cannot open MIDI input {match!r}: {e}") from e


class PortKeeper:
    """Keeps input ``name`` open: reports why it cannot (once per reason) and re-opens it when
    it comes back."""

    def __init__(self, name: str, callback: Callable[[Any], None]) -> None:
        self.name, self.callback = name, callback
        self.port: Any = None
        self.problem: str | None = None
        self.unavailable = False  # the last look found no MIDI system at all
        self.opened = 0

    def check(self) -> None:
        """Open the port if closed; close it if it vanished."""
        if self.port is not None and self.name != VIRTUAL:
            try:
                present = any(self.name.lower() in n.lower() for n in input_names())
            except ConfigError:
                present = False
            if not present:
                log.warning("MIDI input %r went away; waiting for it", self.name)
                self.port.close()
                self.port = None
        if self.port is None:
            try:
                self.port = open_input(self.name, self.callback)
                self.opened += 1
                self.problem, self.unavailable = None, False
                log.info("MIDI input %r open", self.name)
            except ConfigError as e:
                if str(e) != self.problem:
                    log.warning("%s", e)
                self.problem = str(e)
                self.unavailable = isinstance(e, MidiUnavailable)

    def run(self, stop: threading.Event) -> None:
        """Check every :data:`RETRY_S` (backing off to :data:`MAX_RETRY_S` while the machine
        has no MIDI at all) until ``stop``; then close."""
        wait = RETRY_S
        self.check()
        while not stop.wait(wait):
            self.check()
            wait = min(2 * wait, MAX_RETRY_S) if self.unavailable else RETRY_S
        if self.port is not None:
            self.port.close()
