"""The Remote Script's logic in plain Python (no Live imports, so it is tested against a fake
Live API): Live's transport goes to the daemon; rendered stems come back into clip slots. The
glue in surface.py calls :meth:`Core.tick` from Live's display timer (about 10 times a second),
on Live's own thread: nothing here starts a thread or blocks."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from typing import Any

from . import osc

DAEMON = ("127.0.0.1", 9000)
TRACK_NAME = "Dirigent"  # an audio track with this name receives the stems; else the selected

# Every address this script sends, with its type tags, and every reply it handles: the
# contract test checks both against the daemon's OSC table.
SENDS = {
    "/dirigent/reply_port": "i",
    "/dirigent/listen": "i",
    "/dirigent/transport/tempo": "f",
    "/dirigent/transport/beat": "f",
    "/dirigent/transport/play": "i",
    "/dirigent/transport/signature": "ii",
    "/dirigent/error": "ss",
}
HANDLES = (
    "/dirigent/stem/ready",
    "/dirigent/reply_port/ok",
    "/dirigent/listen/ok",
    "/dirigent/error",
)


class LoadError(Exception):
    """A stem could not be put into Live (answered with /dirigent/error, logged)."""


class UdpLink:
    """A non-blocking UDP socket to the daemon; replies come back to its own port."""

    def __init__(self, daemon: tuple[str, int] = DAEMON) -> None:
        self.daemon = daemon
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        self.sock.bind(("127.0.0.1", 0))

    def send(self, address: str, args: Any = ()) -> None:
        try:
            self.sock.sendto(osc.encode(address, args), self.daemon)
        except OSError:
            pass  # the daemon is not running: transport cues are simply not heard

    def poll(self, limit: int = 64) -> list[tuple[str, list[Any]]]:
        """Messages waiting (at most ``limit`` datagrams: a tick stays short)."""
        out: list[tuple[str, list[Any]]] = []
        for _ in range(limit):
            try:
                data, _ = self.sock.recvfrom(65535)
            except (BlockingIOError, OSError):
                break
            try:
                out.extend(osc.decode(data))
            except ValueError:
                continue
        return out

    def close(self) -> None:
        self.sock.close()


class Core:
    """Transport out, stems in. ``song`` is Live's Song (or a fake with the same members)."""

    def __init__(
        self, song: Any, link: UdpLink, log: Callable[[str], None], auto_fire: bool = True
    ) -> None:
        self.song, self.link, self.log = song, link, log
        self.auto_fire = auto_fire
        self._sent: dict[str, list[Any]] = {}
        self._beat: int | None = None
        link.send("/dirigent/reply_port", [0])  # replies to this socket, not Max's port
        link.send("/dirigent/listen", [1])  # and every rendered stem, whoever asked

    # --- Live -> daemon ---------------------------------------------------------------------

    def tick(self) -> None:
        """Send what changed in the transport since the last tick; then handle replies."""
        song = self.song
        self._send_if_changed("/dirigent/transport/tempo", [float(song.tempo)])
        self._send_if_changed("/dirigent/transport/play", [1 if song.is_playing else 0])
        self._send_if_changed(
            "/dirigent/transport/signature",
            [int(song.signature_numerator), int(song.signature_denominator)],
        )
        beat = int(song.current_song_time)
        if song.is_playing and beat != self._beat:
            self.link.send("/dirigent/transport/beat", [float(song.current_song_time)])
        self._beat = beat
        for address, args in self.link.poll():
            self.receive(address, args)

    def _send_if_changed(self, address: str, args: list[Any]) -> None:
        if self._sent.get(address) != args:
            self._sent[address] = args
            self.link.send(address, args)

    # --- daemon -> Live ---------------------------------------------------------------------

    def receive(self, address: str, args: list[Any]) -> None:
        """One message from the daemon; errors are logged and answered, never raised."""
        if address != "/dirigent/stem/ready":
            if address == "/dirigent/error":
                self.log(f"Dirigent daemon: {args}")
            return
        try:
            if len(args) < 6:
                raise LoadError("stem/ready needs s:path i:stem_id f:bpm f:bars s:key f:beat")
            self.load(str(args[0]), bars=float(args[3]))
        except LoadError as e:
            self.log(f"Dirigent: {e}")
            self.link.send("/dirigent/error", ["/dirigent/stem/ready", str(e)])
        except Exception as e:  # anything else in Live's API: never into Live
            self.log(f"Dirigent: unexpected {type(e).__name__}: {e}")
            self.link.send("/dirigent/error", ["/dirigent/stem/ready", f"Live: {e}"])

    def target_track(self) -> Any:
        """The audio track named "Dirigent", else the selected track."""
        for track in self.song.tracks:
            if track.name == TRACK_NAME:
                return track
        return self.song.view.selected_track

    def load(self, path: str, bars: float = 0.0) -> Any:
        """Put the file into the target track's first empty clip slot; returns the clip."""
        if not os.path.isfile(path):
            raise LoadError(f"no such file: {path}")
        track = self.target_track()
        if track is None:
            raise LoadError("no track selected")
        if getattr(track, "has_midi_input", False) or not getattr(track, "has_audio_input", True):
            raise LoadError(f"track {track.name!r} is a MIDI track: select an audio track")
        if getattr(track, "is_frozen", False):
            raise LoadError(f"track {track.name!r} is frozen: unfreeze it first")
        slot = next((s for s in track.clip_slots if not s.has_clip), None)
        if slot is None:
            raise LoadError(f"track {track.name!r} has no empty clip slot")
        if not hasattr(slot, "create_audio_clip"):
            raise LoadError(
                "this Live cannot create audio clips from a script (Live 12.0.5 or newer): "
                "the Max for Live device plays the stem instead"
            )
        clip = slot.create_audio_clip(path)
        clip.name = os.path.splitext(os.path.basename(path))[0]
        clip.warping = True
        clip.looping = bars > 0
        if self.auto_fire and self.song.is_playing:
            slot.fire()  # Live's launch quantisation puts it on the bar
        self.log(f"Dirigent: loaded {clip.name} into {track.name!r}")
        return clip
