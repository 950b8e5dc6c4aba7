"""The transport clock: a model of the song position from tempo, beat and play cues, which
answers "when is the next bar" in wall-clock time. Pure: every method takes ``now``."""

from __future__ import annotations

import math
from dataclasses import dataclass

from dirigent.errors import ParameterError

MIN_BPM, MAX_BPM = 20.0, 999.0
DEFAULT_BPM = 120.0  # Live's tempo for a new set
SMOOTHING = 0.25  # share of a beat report's error corrected at once (jitter is averaged out)
JUMP_BEATS = 0.25  # a report further off than a 16th note is a locate (the playhead moved)


@dataclass
class TransportClock:
    """Song position in beats (quarter notes, as Live counts them) as a line through an anchor.

    Between cues the position runs at ``tempo``; a beat cue pulls the line toward it by
    :data:`SMOOTHING` of the error, or re-anchors it when the error exceeds :data:`JUMP_BEATS`.
    """

    tempo: float = DEFAULT_BPM
    numerator: int = 4
    denominator: int = 4
    playing: bool = False
    anchor_beat: float = 0.0
    anchor_time: float = 0.0

    def beat_at(self, now: float) -> float:
        """Song position (beats) at monotonic time ``now`` (seconds)."""
        if not self.playing:
            return self.anchor_beat
        return self.anchor_beat + (now - self.anchor_time) * self.tempo / 60.0

    @property
    def bar_beats(self) -> float:
        """Length of a bar in beats (quarter notes): 4 in 4/4, 3.5 in 7/8."""
        return self.numerator * 4.0 / self.denominator

    def set_tempo(self, bpm: float, *, now: float) -> None:
        """Follow a tempo change from ``now`` on (the position so far is kept)."""
        if not (math.isfinite(bpm) and MIN_BPM <= bpm <= MAX_BPM):
            raise ParameterError(f"tempo={bpm} must be in {MIN_BPM:g}..{MAX_BPM:g} BPM")
        self.anchor_beat, self.anchor_time = self.beat_at(now), now
        self.tempo = bpm

    def set_beat(self, beat: float, *, now: float) -> None:
        """A song-position report (beats) taken at ``now``."""
        if not (math.isfinite(beat) and beat >= -4.0):
            raise ParameterError(f"beat={beat} must be a finite song position >= -4")
        error = beat - self.beat_at(now)
        if not self.playing or abs(error) > JUMP_BEATS:
            self.anchor_beat = beat
        else:
            self.anchor_beat = self.beat_at(now) + SMOOTHING * error
        self.anchor_time = now

    def set_playing(self, playing: bool, *, now: float) -> None:
        """Start or stop; stopping freezes the position."""
        self.anchor_beat, self.anchor_time = self.beat_at(now), now
        self.playing = playing

    def set_signature(self, numerator: int, denominator: int) -> None:
        """Time signature, e.g. (7, 8)."""
        if not 1 <= numerator <= 32:
            raise ParameterError(f"numerator={numerator} must be in 1..32")
        if denominator not in (1, 2, 4, 8, 16, 32):
            raise ParameterError(f"denominator={denominator} must be a power of two up to 32")
        self.numerator, self.denominator = numerator, denominator

    def next_bar(self, now: float) -> tuple[float, float]:
        """(beat, monotonic time) of the next bar line strictly after ``now``; while stopped,
        the time is ``now`` (a stem lands at once)."""
        beat = self.beat_at(now)
        bar = (math.floor(beat / self.bar_beats + 1e-9) + 1) * self.bar_beats
        if not self.playing:
            return bar, now
        return bar, now + (bar - beat) * 60.0 / self.tempo
