"""The MIDI bridge with messages injected (no device needed): mapping, curves, 14-bit, soft
takeover, learn, pads, a 5,000 CC/s flood; the real rtmidi port where ALSA exists."""

from __future__ import annotations

import os
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

import mido
import pytest

from bridge.midi import mapping as midi_map
from bridge.midi.controller import MidiController
from bridge.midi.ports import PortKeeper, input_names, open_input
from dirigent.errors import ConfigError


def cc(control: int, value: int, channel: int = 1) -> mido.Message:
    return mido.Message("control_change", channel=channel - 1, control=control, value=value)


def write_map(path: Path, text: str) -> midi_map.Mapping:
    path.write_text(text)
    return midi_map.load(path)


def test_a_mapped_knob_turns_its_parameter_with_range_and_curve(
    daemon: Any, tmp_path: Path
) -> None:
    m = write_map(
        tmp_path / "m.toml",
        '[[control]]\nparam = "drive"\ncc = 21\nmin = 0.2\nmax = 0.6\ncurve = "exp"\n',
    )
    controller = MidiController(daemon, m)
    controller._picked.add("drive")  # the knob already took over
    controller.handle(cc(21, 127))
    controller.handle(cc(21, 64))  # coalesced: only the latest is applied
    assert controller.apply() == 1
    assert daemon.knobs["drive"] == pytest.approx(0.2 + 0.4 * (64 / 127) ** 2)
    controller.handle(cc(22, 100))  # unmapped
    controller.handle(mido.Message("pitchwheel", pitch=100))
    assert controller.apply() == 0


def test_fourteen_bit_controls_combine_msb_and_lsb(daemon: Any, tmp_path: Path) -> None:
    m = write_map(
        tmp_path / "m.toml", '[[control]]\nparam = "filter"\ncc = 1\nfourteen_bit = true\n'
    )
    controller = MidiController(daemon, m)
    controller._picked.add("filter")
    controller.handle(cc(1, 64))
    controller.handle(cc(33, 100))
    controller.apply()
    assert daemon.knobs["filter"] == pytest.approx((64 * 128 + 100) / 16383)


def test_soft_takeover_waits_for_the_knob_to_reach_the_value(daemon: Any, tmp_path: Path) -> None:
    m = write_map(tmp_path / "m.toml", '[[control]]\nparam = "filter"\ncc = 74\n')
    controller = MidiController(daemon, m)  # filter sits at 0.5 (neutral)
    controller.handle(cc(74, 127))  # the physical knob is far away: no jump
    assert controller.apply() == 0 and "filter" not in daemon.knobs
    controller.handle(cc(74, 66))  # 0.52: close enough, it takes over
    controller.handle(cc(74, 90))
    controller.apply()
    assert daemon.knobs["filter"] == pytest.approx(90 / 127)
    daemon.param("filter", 0.1)  # moved elsewhere (OSC): the knob must pick it up again
    controller.handle(cc(74, 120))
    assert controller.apply() == 0 and daemon.knobs["filter"] == 0.1


def test_midi_learn_binds_the_next_control_and_saves_it(daemon: Any, tmp_path: Path) -> None:
    path = tmp_path / "learned.toml"
    controller = MidiController(daemon, midi_map.load(path))
    daemon.midi_learn("crush", client="127.0.0.1:9100")
    controller.handle(cc(48, 5, channel=3))
    assert daemon.learning is None
    assert daemon.outbox.get_nowait() == (
        "127.0.0.1:9100",
        "/dirigent/midi/learned",
        ("crush", 3, 48, "cc"),
        False,
    )
    saved = midi_map.load(path)
    assert saved.controls == (midi_map.Binding("crush", 48, 3),)
    controller._picked.add("crush")
    controller.handle(cc(48, 127, channel=3))
    controller.apply()
    assert daemon.knobs["crush"] == 1.0


def nrpn(number: int, msb: int, lsb: int | None = None, channel: int = 1) -> list[mido.Message]:
    """Select NRPN ``number`` (CC 99/98), then data entry (CC 6, and CC 38 when given)."""
    out = [cc(99, number // 128, channel), cc(98, number % 128, channel), cc(6, msb, channel)]
    return out + ([] if lsb is None else [cc(38, lsb, channel)])


def test_nrpn_controls_turn_their_parameters(daemon: Any, tmp_path: Path) -> None:
    m = write_map(
        tmp_path / "m.toml",
        '[[control]]\nparam = "filter"\nnrpn = 1030\nfourteen_bit = true\n'
        '[[control]]\nparam = "drive"\nnrpn = 5\nchannel = 2\n',
    )
    controller = MidiController(daemon, m)
    controller._picked |= {"filter", "drive"}
    for message in nrpn(1030, 64, 100) + nrpn(5, 127, channel=2):
        controller.handle(message)
    controller.apply()
    assert daemon.knobs["filter"] == pytest.approx((64 * 128 + 100) / 16383)
    assert daemon.knobs["drive"] == 1.0
    # an RPN (pitch-bend range) and a plain CC 6 are not the NRPN; nor is another channel
    for message in [cc(101, 0), cc(100, 0), cc(6, 10), *nrpn(5, 0, channel=3)]:
        controller.handle(message)
    assert controller.apply() == 0
    assert midi_map.load(tmp_path / "m.toml") == m and "nrpn = 1030" in midi_map.dump(m)


def test_midi_learn_binds_an_nrpn(daemon: Any, tmp_path: Path) -> None:
    path = tmp_path / "learned.toml"
    controller = MidiController(daemon, midi_map.load(path))
    daemon.midi_learn("gate", client="127.0.0.1:9100")
    for message in nrpn(300, 12, 0, channel=4):
        controller.handle(message)
    assert daemon.outbox.get_nowait()[2] == ("gate", 4, 300, "nrpn")
    assert midi_map.load(path).controls == (midi_map.Binding("gate", None, 4, nrpn=300),)


def test_pads_play_the_last_results(daemon: Any, tmp_path: Path) -> None:
    controller = MidiController(daemon, midi_map.load(tmp_path / "none.toml"))
    daemon.search("kick", top_k=4)
    controller.handle(mido.Message("note_on", channel=9, note=37, velocity=100))  # pad 2
    controller.handle(mido.Message("note_on", channel=9, note=90, velocity=100))  # no such result
    controller.handle(mido.Message("note_on", channel=0, note=37, velocity=100))  # not the pads
    client, address, (stem_id, _, _), _ = daemon.outbox.get(timeout=10)  # decoded, scheduled
    assert (client, address) == ("midi", "/dirigent/play/scheduled")
    assert stem_id == daemon.last_results[1]
    assert daemon.sink is not None
    [launch] = daemon.sink.player.launches
    assert launch.frames > 0 and daemon.outbox.empty()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[control]]\nparam = "wobble"\ncc = 1\n', "param 'wobble'"),
        ('[[control]]\nparam = "drive"\ncc = 130\n', "cc=130"),
        ('[[control]]\nparam = "drive"\ncc = 1\nnrpn = 2\n', "a cc or an nrpn"),
        ('[[control]]\nparam = "drive"\n', "a cc or an nrpn"),
        ('[[control]]\nparam = "drive"\nnrpn = 20000\n', "nrpn=20000"),
        ('[[control]]\nparam = "drive"\ncc = 1\nchannel = 17\n', "channel=17"),
        ('[[control]]\nparam = "drive"\ncc = 1\ncurve = "sine"\n', "curve='sine'"),
        ('[[control]]\nparam = "drive"\ncc = 40\nfourteen_bit = true\n', "MSB must be cc 0..31"),
        ("[[control]\n", "MIDI mapping"),
    ],
)
def test_a_bad_mapping_file_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        write_map(tmp_path / "bad.toml", text)


@pytest.mark.slow
def test_a_flood_of_ccs_stays_flat_and_the_latest_value_wins(daemon: Any, tmp_path: Path) -> None:
    m = write_map(tmp_path / "m.toml", '[[control]]\nparam = "filter"\ncc = 74\n')
    controller = MidiController(daemon, m)
    daemon.mutate(int(daemon.searcher.ids[0]), {})  # the stem the knobs shape
    daemon.backend.warm()  # the start's one read of the category model's trees: not the flood's
    stop = threading.Event()
    applier = threading.Thread(target=controller.run, args=(stop,))
    applier.start()
    tracemalloc.start()
    rate, seconds, sent = 5000, 10.0, 0
    waiting_max = 0
    started = time.perf_counter()
    memory: list[tuple[float, int]] = []
    while (elapsed := time.perf_counter() - started) < seconds:
        due = int(elapsed * rate)
        while sent < due:
            controller.handle(cc(74, 64 + (sent % 8)))  # within takeover of 0.5, then wiggling
            sent += 1
        waiting_max = max(waiting_max, daemon.studio.waiting)
        memory.append((elapsed, tracemalloc.get_traced_memory()[0]))
        time.sleep(0.001)
    controller.handle(cc(74, 100))
    sent += 1
    stop.set()
    applier.join()
    tracemalloc.stop()
    # the floor of each window: what stays between renders and reloads (a render in flight
    # holds its audio, a reload two searchers)
    early = min(m for t, m in memory if 1.0 <= t < 4.0)
    late = min(m for t, m in memory if t >= seconds - 3.0)
    grown = late - early
    assert sent >= rate * seconds * 0.99  # 5,000 a second for 10 s
    assert daemon.knobs["filter"] == pytest.approx(100 / 127)  # the latest value won
    assert controller.applied <= seconds * 30 + 5  # at most 30 changes a second reached the daemon
    assert waiting_max <= 1  # renders never queued up
    assert daemon.studio.renders <= seconds * 8 + 2
    assert grown < 2_000_000, f"memory grew {grown} bytes"


def test_no_midi_or_an_absent_port_is_a_clear_message() -> None:
    try:
        input_names()
    except ConfigError as e:
        assert "MIDI is not available" in str(e)
        return
    with pytest.raises(ConfigError, match="no MIDI input named"):
        open_input("Definitely Not A Controller 9000", lambda m: None)


def test_a_keeper_reports_and_retries_without_crashing() -> None:
    keeper = PortKeeper("Definitely Not A Controller 9000", lambda m: None)
    keeper.check()
    keeper.check()
    assert keeper.port is None and keeper.problem


@pytest.mark.skipif(not os.path.exists("/dev/snd/seq"), reason="no ALSA sequencer on this machine")
def test_a_real_virtual_port_delivers_messages(daemon: Any, tmp_path: Path) -> None:
    received = []
    port = open_input("virtual", received.append)
    try:
        with mido.open_output("Dirigent") as out:
            out.send(cc(7, 99))
        time.sleep(0.2)
    finally:
        port.close()
    assert received and received[0].control == 7


def test_a_port_that_goes_away_is_reopened_when_it_returns(monkeypatch: pytest.MonkeyPatch) -> None:
    from bridge.midi import ports

    class FakePort:
        def __init__(self, name: str) -> None:
            self.name, self.closed = name, False

        def close(self) -> None:
            self.closed = True

    plugged = {"nanoKONTROL2 MIDI 1": True}

    def names() -> list[str]:
        return [n for n, on in plugged.items() if on]

    def fake_open(name: str, callback: Any) -> FakePort:
        match = next((n for n in names() if name.lower() in n.lower()), None)
        if match is None:
            raise ConfigError(f"no MIDI input named {name!r} (inputs: none)")
        return FakePort(match)

    monkeypatch.setattr(ports, "input_names", names)
    monkeypatch.setattr(ports, "open_input", fake_open)
    keeper = PortKeeper("nanoKONTROL2", lambda m: None)
    keeper.check()
    first = keeper.port
    assert first is not None and keeper.opened == 1
    plugged["nanoKONTROL2 MIDI 1"] = False  # unplugged
    keeper.check()
    assert keeper.port is None and first.closed and "no MIDI input" in (keeper.problem or "")
    keeper.check()  # still away: no crash, no reopen
    assert keeper.opened == 1
    plugged["nanoKONTROL2 MIDI 1"] = True  # back
    keeper.check()
    assert keeper.port is not None and keeper.opened == 2


class CountingStop:
    """A stop event that records each wait and is set after ``n`` of them."""

    def __init__(self, n: int) -> None:
        self.n, self.waits = n, []

    def wait(self, timeout: float) -> bool:
        self.waits.append(timeout)
        return len(self.waits) > self.n


def test_a_keeper_backs_off_only_where_there_is_no_midi(monkeypatch: pytest.MonkeyPatch) -> None:
    from bridge.midi import ports

    def no_midi() -> list[str]:
        raise ports.MidiUnavailable("MIDI is not available on this machine (no sequencer)")

    monkeypatch.setattr(ports, "input_names", no_midi)
    stop = CountingStop(7)
    PortKeeper("nanoKONTROL2", lambda m: None).run(stop)  # type: ignore[arg-type]
    assert stop.waits == [2, 4, 8, 16, 32, 60, 60, 60]
    monkeypatch.setattr(ports, "input_names", lambda: ["Launch Control XL"])
    stop = CountingStop(4)
    PortKeeper("nanoKONTROL2", lambda m: None).run(stop)  # type: ignore[arg-type]
    assert stop.waits == [2, 2, 2, 2, 2]  # MIDI is there: a re-plugged controller is found fast
