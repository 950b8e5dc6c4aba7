"""The Ableton Remote Script against a fake Live API (Song, Track, ClipSlot, Clip) and a
stand-in daemon on real loopback UDP: transport goes out as Live's song changes, a
/dirigent/stem/ready becomes a clip in the first empty slot, bad targets are refused."""

from __future__ import annotations

import socket
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ableton_remote_script"))

from Dirigent import osc  # noqa: E402
from Dirigent.core import Core, UdpLink  # noqa: E402


class FakeClip:
    def __init__(self, path: str) -> None:
        self.file_path, self.name, self.warping, self.looping = path, "", False, False


class FakeClipSlot:
    def __init__(self, clip: FakeClip | None = None) -> None:
        self.clip, self.fired = clip, 0

    @property
    def has_clip(self) -> bool:
        return self.clip is not None

    def create_audio_clip(self, path: str) -> FakeClip:
        if self.clip is not None:
            raise RuntimeError("slot is not empty")  # what Live does
        self.clip = FakeClip(path)
        return self.clip

    def fire(self) -> None:
        self.fired += 1


class OldLiveClipSlot(FakeClipSlot):
    """Live before 12.0.5: no create_audio_clip."""

    create_audio_clip = property()  # type: ignore[assignment]

    def __getattribute__(self, name: str) -> Any:
        if name == "create_audio_clip":
            raise AttributeError(name)
        return super().__getattribute__(name)


class FakeTrack:
    def __init__(
        self, name: str, *, midi: bool = False, frozen: bool = False, slots: int = 4
    ) -> None:
        self.name, self.has_midi_input, self.has_audio_input = name, midi, not midi
        self.is_frozen = frozen
        self.clip_slots = [FakeClipSlot() for _ in range(slots)]


class FakeSong:
    def __init__(self, tracks: list[FakeTrack]) -> None:
        self.tempo, self.is_playing, self.current_song_time = 120.0, False, 0.0
        self.signature_numerator, self.signature_denominator = 4, 4
        self.tracks = tracks
        self.view = type("View", (), {"selected_track": tracks[0]})()


class StandIn:
    """A daemon stand-in: receives what the script sends, sends it what the daemon would."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.5)
        self.address = self.sock.getsockname()
        self.peer: tuple[str, int] | None = None

    def received(self) -> list[tuple[str, list[Any]]]:
        out = []
        while True:
            try:
                data, self.peer = self.sock.recvfrom(65535)
            except TimeoutError:
                return out
            out.extend(osc.decode(data))
            self.sock.settimeout(0.1)

    def send(self, address: str, *args: Any) -> None:
        assert self.peer is not None
        self.sock.sendto(osc.encode(address, args), self.peer)


@pytest.fixture
def wav(tmp_path: Path) -> Path:
    path = tmp_path / "Bass Loop__drive40_s1.wav"  # spaces survive
    sf.write(path, np.zeros((4410, 2)), 44100)
    return path


def setup(tracks: list[FakeTrack]) -> tuple[FakeSong, Core, StandIn, list[str]]:
    daemon = StandIn()
    song = FakeSong(tracks)
    logged: list[str] = []
    core = Core(song, UdpLink(daemon.address), logged.append)
    return song, core, daemon, logged


def test_transport_follows_the_song(tmp_path: Path) -> None:
    song, core, daemon, _ = setup([FakeTrack("Audio")])
    core.tick()
    first = daemon.received()
    assert first[:2] == [("/dirigent/reply_port", [0]), ("/dirigent/listen", [1])]
    assert ("/dirigent/transport/tempo", [120.0]) in first
    assert ("/dirigent/transport/play", [0]) in first
    assert ("/dirigent/transport/signature", [4, 4]) in first
    core.tick()
    assert daemon.received() == []  # nothing changed, nothing sent
    song.tempo, song.is_playing = 128.0, True
    core.tick()
    got = daemon.received()
    assert ("/dirigent/transport/tempo", [128.0]) in got and (
        "/dirigent/transport/play",
        [1],
    ) in got
    beats = []
    for step in range(1, 13):
        song.current_song_time = step * 0.25  # ticks every 16th: one report per beat
        core.tick()
        beats += [args[0] for address, args in daemon.received() if address.endswith("/beat")]
    assert beats == [1.0, 2.0, 3.0]
    song.signature_numerator, song.signature_denominator = 7, 8
    core.tick()
    assert ("/dirigent/transport/signature", [7, 8]) in daemon.received()


def test_a_ready_stem_becomes_a_clip_in_the_first_empty_slot(wav: Path) -> None:
    target = FakeTrack("Dirigent")
    target.clip_slots[0].clip = FakeClip("/old.wav")
    song, core, daemon, logged = setup([FakeTrack("Drums"), target])
    song.is_playing = True
    core.tick()
    daemon.received()
    daemon.send("/dirigent/stem/ready", str(wav), 62, 128.0, 4.0, "Am", 16.0)
    time.sleep(0.05)
    core.tick()
    clip = target.clip_slots[1].clip
    assert clip is not None and clip.file_path == str(wav)
    assert clip.name == "Bass Loop__drive40_s1" and clip.warping and clip.looping
    assert target.clip_slots[1].fired == 1  # Live's launch quantisation puts it on the bar
    assert not any(a == "/dirigent/error" for a, _ in daemon.received())
    assert any("loaded" in line for line in logged)


@pytest.mark.parametrize(
    ("track", "reason"),
    [
        (FakeTrack("Keys", midi=True), "is a MIDI track"),
        (FakeTrack("Frozen", frozen=True), "is frozen"),
        (FakeTrack("Full", slots=0), "no empty clip slot"),
    ],
    ids=["midi", "frozen", "full"],
)
def test_bad_targets_are_refused_with_an_error(wav: Path, track: FakeTrack, reason: str) -> None:
    _, core, daemon, logged = setup([track])
    core.tick()
    daemon.received()
    daemon.send("/dirigent/stem/ready", str(wav), 62, 128.0, 4.0, "Am", 16.0)
    time.sleep(0.05)
    core.tick()
    errors = [args for address, args in daemon.received() if address == "/dirigent/error"]
    assert len(errors) == 1 and errors[0][0] == "/dirigent/stem/ready" and reason in errors[0][1]
    assert any(reason in line for line in logged)


def test_older_live_gets_a_clear_fallback(wav: Path) -> None:
    track = FakeTrack("Audio")
    track.clip_slots = [OldLiveClipSlot()]
    _, core, daemon, _ = setup([track])
    core.tick()
    daemon.received()
    daemon.send("/dirigent/stem/ready", str(wav), 62, 128.0, 0.0, "", 4.0)
    time.sleep(0.05)
    core.tick()
    [(_, (where, why))] = [m for m in daemon.received() if m[0] == "/dirigent/error"]
    assert "12.0.5" in why and "Max for Live" in why


def test_garbage_and_missing_files_never_reach_live(tmp_path: Path) -> None:
    _, core, daemon, logged = setup([FakeTrack("Audio")])
    core.tick()
    daemon.received()
    daemon.sock.sendto(b"\x00garbage", daemon.peer)
    daemon.send("/dirigent/stem/ready", "/nope/missing.wav", 1, 0.0, 0.0, "", 0.0)
    daemon.send("/dirigent/stem/ready", "too few")
    time.sleep(0.05)
    core.tick()
    errors = [args[1] for address, args in daemon.received() if address == "/dirigent/error"]
    assert len(errors) == 2 and "no such file" in errors[0] and "needs" in errors[1]


def test_codec_round_trips_bundles() -> None:
    from bridge.osc.server import encode, pack

    datagram = pack([encode("/a", (1, 2.5, "x y")), encode("/b", (True,))])[0]
    assert osc.decode(datagram) == [("/a", [1, 2.5, "x y"]), ("/b", [True])]
    assert osc.decode(osc.encode("/c", [3, "é"])) == [("/c", [3, "é"])]
    with pytest.raises(ValueError):
        osc.decode(b"/x\x00\x00,q\x00\x00")
