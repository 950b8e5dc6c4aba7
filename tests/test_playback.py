"""Live playback: launches land on bar lines to the sample (file sink, simulated transport at
128 BPM), loops loop, a replaced slot crossfades, and no sound card means a file sink."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from dirigent.playback import BLOCK, FileSink, Player, open_output
from dirigent.transport import TransportClock
from tests.conftest import ask, later

SR = 44100
BPM = 128.0


def click(n: int = 2000) -> np.ndarray:
    y = np.zeros((2, n), dtype=np.float32)
    y[:, 0] = 0.9
    y[:, 1:200] = 0.3
    return y


def test_every_launch_lands_on_a_bar_line(tmp_path: Path, rng: np.random.Generator) -> None:
    t0 = 1000.0  # the sink's stream started at this monotonic time
    clock = TransportClock()
    clock.set_tempo(BPM, now=t0 + 0.3)
    clock.set_beat(0.0, now=t0 + 0.3)
    clock.set_playing(True, now=t0 + 0.3)
    player = Player(sr=SR)
    sink = FileSink(player, tmp_path, t0=t0, realtime=False)
    expected = []
    now = t0 + 0.3
    for i in range(12):
        now += float(rng.uniform(1.9, 3.7))  # one request a bar or two apart, at odd moments
        clock.set_beat(clock.beat_at(now) + float(rng.normal(0, 0.01)), now=now)
        sink.advance(max(0, sink.sample_at(now) - player.position))
        beat, at = clock.next_bar(now)
        player.schedule(click(), start=sink.sample_at(at), loop=False, slot=f"s{i}")
        expected.append((beat, at))
    sink.advance(SR * 3)
    sink.close()
    launches = [
        json.loads(line) for line in (tmp_path / "playback.launches.jsonl").read_text().splitlines()
    ]
    audio, sr = sf.read(tmp_path / "playback.wav", always_2d=True)
    assert sr == SR and len(launches) == 12
    for launch, (beat, at) in zip(launches, expected, strict=True):
        assert beat % 4 == 0  # a bar line (4/4)
        assert abs(t0 + launch["sample"] / SR - at) <= 0.001  # started within 1 ms of it
        onset = launch["sample"]
        assert audio[onset, 0] > 0.8 and np.abs(audio[onset - 50 : onset, 0]).max() < 1e-3


def test_a_loop_loops_and_a_replaced_slot_crossfades(tmp_path: Path) -> None:
    player = Player(sr=SR)
    sink = FileSink(player, tmp_path, t0=0.0, realtime=False)
    t = np.arange(SR // 2) / SR
    a = np.vstack([0.5 * np.sin(2 * np.pi * 200 * t)] * 2).astype(np.float32)
    b = np.vstack([0.5 * np.sin(2 * np.pi * 300 * t + 0.7)] * 2).astype(np.float32)
    player.schedule(a, start=1000, loop=True)
    player.schedule(b, start=1000 + 3 * SR // 2, loop=True)
    sink.advance(3 * SR)
    sink.close()
    audio, _ = sf.read(tmp_path / "playback.wav", always_2d=True)
    left = audio[:, 0]
    assert np.abs(left[:1000]).max() == 0  # silent until the launch
    np.testing.assert_allclose(
        left[1000 + SR // 2 : 1000 + SR], left[1000 : 1000 + SR // 2], atol=1e-4
    )
    assert np.abs(np.diff(left)).max() < 0.05  # no step anywhere, the switch included
    after = left[1000 + 3 * SR // 2 + 1000 : 1000 + 3 * SR // 2 + 1000 + 4410]
    peak_hz = np.argmax(np.abs(np.fft.rfft(after))) * SR / after.size
    assert abs(peak_hz - 300) < 15  # only the new stem after the crossfade


def test_no_sound_card_means_the_file_sink(tmp_path: Path) -> None:
    sink = open_output(Player(sr=SR), device="", folder=tmp_path)  # no PortAudio here
    try:
        assert isinstance(sink, FileSink)
        started = sink.player.position
        time.sleep(0.3)
        assert sink.player.position - started > SR * 0.1  # it plays in real time
    finally:
        sink.close()
    assert (tmp_path / "playback.wav").stat().st_size > 0


def test_play_over_osc_starts_on_the_next_bar(daemon: Any, server: Any) -> None:
    ask(server, "/dirigent/transport/tempo", BPM)
    ask(server, "/dirigent/transport/beat", 1.5)
    ask(server, "/dirigent/transport/play", 1)
    stem = int(daemon.searcher.ids[0])
    assert ask(server, "/dirigent/play", stem) == []  # the answer follows from its thread
    [(address, (played, beat, seconds))] = later(server)
    assert address == "/dirigent/play/scheduled" and played == stem
    assert beat == 4.0 and 0 < seconds <= 2.5 * 60 / BPM + 0.05
    assert ask(server, "/dirigent/stop") == [("/dirigent/stop/ok", [])]
    [(address, (what, reason))] = ask(server, "/dirigent/play", 999_999)
    assert address == "/dirigent/error" and "no stem with id 999999" in reason


def test_a_slow_file_holds_up_no_other_reply(daemon: Any, server: Any, monkeypatch) -> None:
    from dirigent import studio

    load = studio.load

    def slow(source: Any) -> Any:
        time.sleep(1.0)  # a long track being decoded
        return load(source)

    monkeypatch.setattr(studio, "load", slow)
    started = time.monotonic()
    assert ask(server, "/dirigent/play", int(daemon.searcher.ids[0])) == []
    assert ask(server, "/dirigent/ping")[0][0] == "/dirigent/pong"
    assert time.monotonic() - started < 0.5
    assert later(server)[0][0] == "/dirigent/play/scheduled"


def test_slots_are_capped_and_a_sounding_slot_takes_a_new_stem(tmp_path: Path) -> None:
    from dirigent.errors import ParameterError
    from dirigent.playback import MAX_SLOTS

    player = Player(sr=SR)
    for i in range(MAX_SLOTS):
        player.schedule(click(), start=0, loop=True, slot=f"s{i}")
    with pytest.raises(ParameterError, match=f"{MAX_SLOTS} slots are playing"):
        player.schedule(click(), start=0, loop=True, slot="one more")
    player.schedule(click(), start=100, loop=True, slot="s0")  # replaces what s0 played
    player.stop("s1")
    player.render(SR // 10)  # s1 has faded out and is gone
    player.schedule(click(), start=player.position, loop=False, slot="one more")
    assert len(player.voices) == MAX_SLOTS


def test_the_file_sink_stops_writing_at_its_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("dirigent.playback.FILE_SINK_MAX_S", 1.0)
    player = Player(sr=SR)
    sink = FileSink(player, tmp_path, t0=0.0, realtime=False)
    player.schedule(click(), start=SR // 2, loop=True)
    sink.advance(SR * 2 // 3)
    sink.advance(SR * 2)
    player.schedule(click(), start=player.position + 10, loop=False, slot="late")
    sink.advance(SR)
    sink.close()
    audio, _ = sf.read(tmp_path / "playback.wav", always_2d=True)
    assert audio.shape[0] == SR  # one second, not 3.7
    assert np.abs(audio[SR // 2 :, 0]).max() > 0.8  # what played before the limit is there
    lines = (tmp_path / "playback.launches.jsonl").read_text().splitlines()
    assert [json.loads(line)["slot"] for line in lines] == ["main", "late"]


def test_a_long_session_keeps_the_latest_launches_and_logs_every_one(tmp_path: Path) -> None:
    from dirigent.playback import KEPT_LAUNCHES

    player = Player(sr=SR)
    sink = FileSink(player, tmp_path, t0=0.0, realtime=False)
    n = 3 * KEPT_LAUNCHES
    for i in range(n):
        player.schedule(click(), start=player.position, loop=False, slot=f"s{i % 4}")
        if i % (KEPT_LAUNCHES // 2) == 0:
            sink.advance(BLOCK)
    sink.close()
    assert len(player.launches) == KEPT_LAUNCHES and player.launched == n
    assert player.launches[-1].slot == f"s{(n - 1) % 4}"
    lines = (tmp_path / "playback.launches.jsonl").read_text().splitlines()
    assert [json.loads(line)["slot"] for line in lines] == [f"s{i % 4}" for i in range(n)]
