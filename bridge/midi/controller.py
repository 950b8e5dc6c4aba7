"""MIDI messages to daemon calls: knobs (mapped, 14-bit, NRPN, soft takeover, learn) and pads. Knob
values are coalesced to the latest per parameter and applied at a fixed rate, so a flood of
CCs costs a handful of parameter changes and never queues renders."""

from __future__ import annotations

import logging
import threading
from typing import Any

from bridge.midi import mapping as midi_map
from dirigent.daemon import Daemon
from dirigent.errors import DirigentError
from dirigent.mutate import PARAMS

log = logging.getLogger(__name__)

TAKEOVER = 0.04  # a knob takes over its parameter once it comes this close to the value
APPLY_HZ = 30.0  # parameter changes per second, at most, whatever the controller sends
CLIENT = "midi"


class MidiController:
    """Turns messages (mido ``Message`` or anything with the same fields) into knob turns,
    learned bindings and pad launches."""

    def __init__(self, daemon: Daemon, mapping: midi_map.Mapping) -> None:
        self.daemon = daemon
        self.mapping = mapping
        self.received = 0
        self.applied = 0
        self._latest: dict[str, float] = {}
        self._sent: dict[str, float] = {}
        self._picked: set[str] = set()
        self._halves: dict[tuple[int, int], int] = {}  # (channel, cc) -> last 7-bit value
        self._nrpn_selected: dict[int, bool] = {}  # channel -> data entry goes to an NRPN
        self._lock = threading.Lock()

    def handle(self, message: Any) -> None:
        """One incoming message; never raises for a message it does not use."""
        self.received += 1
        kind = getattr(message, "type", None)
        if kind == "control_change":
            self._control(message.channel + 1, message.control, message.value)
        elif kind == "note_on" and message.velocity > 0:
            if message.channel + 1 == self.mapping.pad_channel:
                self._pad(message.note)

    def _control(self, channel: int, cc: int, value: int) -> None:
        self._halves[(channel, cc)] = value
        if cc in (midi_map.NRPN_MSB, midi_map.NRPN_LSB, midi_map.RPN_MSB, midi_map.RPN_LSB):
            self._nrpn_selected[channel] = cc in (midi_map.NRPN_MSB, midi_map.NRPN_LSB)
            return  # a parameter is selected: its value follows by data entry
        if cc in (midi_map.DATA_MSB, midi_map.DATA_LSB) and self._nrpn_selected.get(channel):
            self._data_entry(channel, cc)
            return
        learning = self.daemon.learning
        if learning is not None and cc <= 119:
            self._learn(midi_map.Binding(learning, cc, channel), cc)
            return
        for b in self.mapping.controls:
            if (
                b.nrpn is not None
                or b.channel not in (None, channel)
                or cc
                not in (
                    b.cc,
                    b.lsb if b.fourteen_bit else -1,
                )
            ):
                continue
            if b.fourteen_bit:
                msb = self._halves.get((channel, b.cc or 0), 0)
                lsb = self._halves.get((channel, b.lsb), 0)
                position = (msb * 128 + lsb) / 16383
            else:
                position = value / 127
            self._turn(b.param, b.value(position))

    def _data_entry(self, channel: int, cc: int) -> None:
        """A value for the selected NRPN (a new MSB clears the LSB, as MIDI 1.0 has it)."""
        if cc == midi_map.DATA_MSB:
            self._halves[(channel, midi_map.DATA_LSB)] = 0
        number = self._halves.get((channel, midi_map.NRPN_MSB), 0) * 128 + self._halves.get(
            (channel, midi_map.NRPN_LSB), 0
        )
        learning = self.daemon.learning
        if learning is not None:
            self._learn(midi_map.Binding(learning, None, channel, nrpn=number), number, "nrpn")
            return
        msb = self._halves.get((channel, midi_map.DATA_MSB), 0)
        lsb = self._halves.get((channel, midi_map.DATA_LSB), 0)
        for b in self.mapping.controls:
            if b.nrpn == number and b.channel in (None, channel):
                position = (msb * 128 + lsb) / 16383 if b.fourteen_bit else msb / 127
                self._turn(b.param, b.value(position))

    def _learn(self, binding: midi_map.Binding, number: int, kind: str = "cc") -> None:
        self.mapping = self.mapping.bind(binding)
        self._save()
        self.daemon.learned(binding.param, binding.channel or 0, number, kind)

    def _turn(self, param: str, target: float) -> None:
        current = self.daemon.knobs.get(param, PARAMS[param].neutral)
        if param in self._picked and current != self._sent.get(param, current):
            self._picked.discard(param)  # moved elsewhere (OSC, another knob): pick it up again
        if param not in self._picked:
            if abs(target - current) > TAKEOVER:
                return  # soft takeover: the knob is elsewhere; the value does not jump
            self._picked.add(param)
        with self._lock:
            self._latest[param] = target

    def apply(self) -> int:
        """Send the latest value of every knob moved since the last call; returns how many."""
        with self._lock:
            latest, self._latest = self._latest, {}
        for param, value in latest.items():
            try:
                self.daemon.param(param, value, client=CLIENT)
                self._sent[param] = value
                self.applied += 1
            except DirigentError as e:
                log.warning("MIDI %s=%s refused: %s", param, value, e)
        return len(latest)

    def run(self, stop: threading.Event, rate_hz: float = APPLY_HZ) -> None:
        """Apply at ``rate_hz`` until ``stop`` is set."""
        while not stop.wait(1.0 / rate_hz):
            self.apply()
        self.apply()

    def _pad(self, note: int) -> None:
        index = note - self.mapping.first_note
        results = self.daemon.last_results
        if 0 <= index < len(results):
            try:  # on the playback thread: a long file's decoding holds up no knob
                self.daemon.launch_soon(results[index], client=CLIENT)
            except DirigentError as e:
                log.warning("pad %d: %s", index + 1, e)

    def _save(self) -> None:
        if self.mapping.path is not None:
            self.mapping.path.parent.mkdir(parents=True, exist_ok=True)
            self.mapping.path.write_text(midi_map.dump(self.mapping))
