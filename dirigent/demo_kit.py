"""A deterministic techno construction kit synthesised with numpy: one-shots and loops named
like a real kit, with the ground truth (category, loop, BPM, key) of every file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from scipy.signal import butter, sosfilt

SR = 44100
PREFIX = "DRGNT"
NOTE_INDEX = {
    "C": 0,
    "C#": 1,
    "D": 2,
    "D#": 3,
    "E": 4,
    "F": 5,
    "F#": 6,
    "G": 7,
    "G#": 8,
    "A": 9,
    "A#": 10,
    "B": 11,
}
MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10)


@dataclass(frozen=True)
class KitFile:
    """Ground truth of one generated file (``bpm`` and ``key`` where they apply)."""

    path: Path
    category: str
    is_loop: bool
    bpm: float | None = None
    key: str | None = None


def midi_hz(note: float) -> float:
    """Frequency (Hz) of a MIDI note number (A4 = 69 = 440 Hz)."""
    return 440.0 * 2 ** ((note - 69) / 12)


def root_midi(key: str, octave: int) -> int:
    """MIDI note of a key's tonic (``"Am"`` -> A) in ``octave`` (C4 = 60)."""
    return 12 * (octave + 1) + NOTE_INDEX[key.rstrip("m")]


def _t(seconds: float, sr: int) -> np.ndarray:
    return np.arange(int(seconds * sr)) / sr


def _filter(
    y: np.ndarray, *, sr: int, kind: str, hz: float | tuple[float, float], order: int = 2
) -> np.ndarray:
    return sosfilt(butter(order, hz, btype=kind, fs=sr, output="sos"), y)


def _swept(x: np.ndarray, hz: np.ndarray, *, sr: int, kind: str, block: int = 256) -> np.ndarray:
    """``x`` through a 2nd-order filter whose frequency follows ``hz`` (per sample), updated
    every ``block`` samples with the filter state carried over (no clicks)."""
    y = np.empty_like(x)
    zi = np.zeros((1, 2))
    for start in range(0, x.size, block):
        f = float(hz[start])
        band = (f * 0.7, min(f * 1.4, sr * 0.45)) if kind == "bandpass" else f
        sos = butter(1 if kind == "bandpass" else 2, band, btype=kind, fs=sr, output="sos")
        y[start : start + block], zi = sosfilt(sos, x[start : start + block], zi=zi)
    return y


def _saw(phase: np.ndarray) -> np.ndarray:
    return 2 * (phase % 1.0) - 1


def _normalise(y: np.ndarray, peak: float = 0.89) -> np.ndarray:
    top = np.abs(y).max()
    return y * (peak / top) if top > 0 else y


def _fade(y: np.ndarray, *, sr: int, seconds: float = 0.005) -> np.ndarray:
    n = min(y.shape[-1], int(seconds * sr))
    y = y.copy()
    y[..., -n:] *= np.linspace(1, 0, n)
    return y


# --- one-shots ------------------------------------------------------------------------------


def kick(
    *,
    sr: int,
    rng: np.random.Generator,
    f_start: float = 160,
    f_end: float = 48,
    decay: float = 0.35,
    drive: float = 1.0,
) -> np.ndarray:
    """Sine with an exponential pitch drop, a click, optional tanh drive."""
    t = _t(decay * 4.5, sr)
    freq = f_end + (f_start - f_end) * np.exp(-t / 0.035)
    body = np.sin(2 * np.pi * np.cumsum(freq) / sr) * np.exp(-t / decay)
    click = _filter(rng.standard_normal(t.size), sr=sr, kind="highpass", hz=2000)
    click *= np.exp(-t / 0.003) * 0.4
    return _fade(_normalise(np.tanh(drive * (body + click))), sr=sr)


def snare(
    *, sr: int, rng: np.random.Generator, tone: float = 190, decay: float = 0.16
) -> np.ndarray:
    """Two damped tones and a band of noise."""
    t = _t(decay * 3, sr)
    body = np.sin(2 * np.pi * tone * t) + 0.5 * np.sin(2 * np.pi * tone * 1.6 * t)
    body *= np.exp(-t / 0.05)
    noise = _filter(rng.standard_normal(t.size), sr=sr, kind="bandpass", hz=(1500, 9000))
    return _fade(_normalise(0.6 * body + noise * np.exp(-t / decay)), sr=sr)


def clap(
    *, sr: int, rng: np.random.Generator, spread: float = 0.011, tail: float = 0.12
) -> np.ndarray:
    """Four band-passed noise bursts a few ms apart and a diffuse tail."""
    t = _t(0.45, sr)
    env = np.zeros(t.size)
    for i in range(4):
        start = int(i * spread * sr)
        env[start:] += np.exp(-(t[: t.size - start]) / (0.004 if i < 3 else tail))
    noise = _filter(rng.standard_normal(t.size), sr=sr, kind="bandpass", hz=(900, 3500))
    return _fade(_normalise(noise * env), sr=sr)


def hat(*, sr: int, rng: np.random.Generator, decay: float = 0.05, tone: float = 1.0) -> np.ndarray:
    """808-style metallic square cluster plus noise, high-passed."""
    t = _t(max(0.12, decay * 5), sr)
    metal = sum(
        np.sign(np.sin(2 * np.pi * f * tone * t))
        for f in (205.3, 304.4, 369.6, 522.7, 540.0, 800.0)
    )
    y = 0.5 * metal + rng.standard_normal(t.size)
    y = _filter(y, sr=sr, kind="highpass", hz=7000, order=4) * np.exp(-t / decay)
    return _fade(_normalise(y), sr=sr)


def tom(*, sr: int, rng: np.random.Generator, pitch: float = 140) -> np.ndarray:
    """Sine with a gentle pitch drop and a little noise."""
    t = _t(0.6, sr)
    freq = pitch * (1 + 0.5 * np.exp(-t / 0.05))
    body = np.sin(2 * np.pi * np.cumsum(freq) / sr) * np.exp(-t / 0.18)
    noise = _filter(rng.standard_normal(t.size), sr=sr, kind="bandpass", hz=(400, 4000))
    return _fade(_normalise(body + 0.1 * noise * np.exp(-t / 0.02)), sr=sr)


def rim(*, sr: int, rng: np.random.Generator, pitch: float = 1700) -> np.ndarray:
    """A click and a short high tone."""
    t = _t(0.12, sr)
    y = np.sin(2 * np.pi * pitch * t) * np.exp(-t / 0.012)
    y += 0.5 * rng.standard_normal(t.size) * np.exp(-t / 0.002)
    return _fade(_normalise(y), sr=sr)


def cowbell(*, sr: int, rng: np.random.Generator, pitch: float = 540) -> np.ndarray:
    """Two detuned squares through a band-pass."""
    t = _t(0.4, sr)
    y = np.sign(np.sin(2 * np.pi * pitch * t)) + np.sign(np.sin(2 * np.pi * pitch * 1.48 * t))
    y = _filter(y, sr=sr, kind="bandpass", hz=(pitch * 0.8, pitch * 4)) * np.exp(-t / 0.09)
    return _fade(_normalise(y + 0.01 * rng.standard_normal(t.size)), sr=sr)


def shaker(*, sr: int, rng: np.random.Generator) -> np.ndarray:
    """High noise with a soft attack."""
    t = _t(0.18, sr)
    env = (1 - np.exp(-t / 0.01)) * np.exp(-t / 0.04)
    return _fade(
        _normalise(_filter(rng.standard_normal(t.size), sr=sr, kind="highpass", hz=5000) * env),
        sr=sr,
    )


def ride(*, sr: int, rng: np.random.Generator, decay: float = 0.9) -> np.ndarray:
    """A long metallic wash."""
    return hat(sr=sr, rng=rng, decay=decay, tone=1.7)


def bass_note(
    *,
    sr: int,
    rng: np.random.Generator,
    note: int,
    seconds: float = 0.5,
    cutoff: float = 900,
    resonance_env: float = 3.0,
    wave: str = "saw",
) -> np.ndarray:
    """A saw or square bass note through an enveloped low-pass (acid when bright)."""
    t = _t(seconds, sr)
    phase = midi_hz(note) * t
    osc = _saw(phase) if wave == "saw" else np.sign(np.sin(2 * np.pi * phase))
    osc = osc + 0.6 * np.sin(2 * np.pi * phase)  # sub-ish weight
    env_cut = cutoff * (1 + resonance_env * np.exp(-t / 0.08))
    y = _swept(osc, np.minimum(env_cut, sr * 0.45), sr=sr, kind="lowpass")
    y *= np.minimum(1, t / 0.003) * np.exp(-t / (seconds * 0.6))
    return _fade(_normalise(y + 1e-4 * rng.standard_normal(t.size)), sr=sr)


def chord(
    *,
    sr: int,
    rng: np.random.Generator,
    notes: list[int],
    seconds: float,
    attack: float,
    release: float,
    cutoff: float,
    detune: float = 0.08,
) -> np.ndarray:
    """Detuned saw voices for each note, stereo spread, low-passed: pads and stabs."""
    t = _t(seconds, sr)
    out = np.zeros((2, t.size))
    for i, note in enumerate(notes):
        for side, cents in ((0, -detune), (1, detune)):
            phase = midi_hz(note + cents) * t + rng.random()
            out[side] += _saw(phase) + 0.3 * _saw(phase * 2.0 + 0.3 * i)
    out = _filter(out, sr=sr, kind="lowpass", hz=cutoff)
    env = np.minimum(1, t / attack) * np.minimum(1, (seconds - t) / release).clip(0, 1)
    return _fade(_normalise(out * env), sr=sr)


def riser(*, sr: int, rng: np.random.Generator, seconds: float = 4.0) -> np.ndarray:
    """Noise through a rising band-pass with a rising tone under it."""
    t = _t(seconds, sr)
    y = _swept(rng.standard_normal(t.size), 300 * 40 ** (t / seconds), sr=sr, kind="bandpass")
    tone = np.sin(2 * np.pi * np.cumsum(200 * 8 ** (t / seconds)) / sr)
    y = (y + 0.3 * tone) * (t / seconds) ** 2
    return _fade(_normalise(np.stack([y, np.roll(y, 300)])), sr=sr)


def impact(*, sr: int, rng: np.random.Generator) -> np.ndarray:
    """A falling sub boom and a long noise crash."""
    t = _t(3.0, sr)
    boom = np.sin(2 * np.pi * np.cumsum(35 + 80 * np.exp(-t / 0.2)) / sr) * np.exp(-t / 0.8)
    crash = _filter(rng.standard_normal(t.size), sr=sr, kind="highpass", hz=1500)
    y = boom + 0.5 * crash * np.exp(-t / 0.5)
    return _fade(_normalise(np.stack([y, y + 0.05 * rng.standard_normal(t.size)])), sr=sr)


# --- loops ----------------------------------------------------------------------------------


def _place(length: int, hits: list[tuple[float, np.ndarray]], *, sr: int) -> np.ndarray:
    """Mix ``(time in s, sound)`` hits into a buffer of ``length`` samples, wrapping the tails
    around the end so the loop plays seamlessly."""
    out = np.zeros(length)
    for at, sound in hits:
        start = int(round(at * sr)) % length
        sound = sound if sound.ndim == 1 else sound.mean(axis=0)
        idx = (start + np.arange(sound.size)) % length
        np.add.at(out, idx, sound)
    return out


def drum_loop(
    *, sr: int, rng: np.random.Generator, bpm: float, bars: int, style: int
) -> np.ndarray:
    """Four-on-the-floor kick, off-beat hats, clap on 2 and 4; ``style`` varies the pattern."""
    beat = 60 / bpm
    length = int(round(bars * 4 * beat * sr))
    k = kick(sr=sr, rng=rng, decay=0.25 + 0.05 * style, drive=1 + style)
    h = hat(sr=sr, rng=rng, decay=0.03)
    oh = hat(sr=sr, rng=rng, decay=0.12)
    c = clap(sr=sr, rng=rng)
    hits: list[tuple[float, np.ndarray]] = []
    for b in range(bars * 4):
        hits.append((b * beat, k))
        hits.append((b * beat + beat / 2, 0.5 * (oh if style % 2 else h)))
        if style >= 1:
            hits.append((b * beat + beat / 4, 0.25 * h))
            hits.append((b * beat + 3 * beat / 4, 0.25 * h))
        if b % 2 == 1:
            hits.append((b * beat, 0.6 * c))
    return _normalise(_place(length, hits, sr=sr))


def hat_loop(*, sr: int, rng: np.random.Generator, bpm: float, bars: int) -> np.ndarray:
    """Sixteenth-note hats with accents."""
    beat = 60 / bpm
    h = hat(sr=sr, rng=rng, decay=0.025)
    hits = [(i * beat / 4, (1.0 if i % 4 == 2 else 0.45) * h) for i in range(bars * 16)]
    return _normalise(_place(int(round(bars * 4 * beat * sr)), hits, sr=sr))


def perc_loop(*, sr: int, rng: np.random.Generator, bpm: float, bars: int) -> np.ndarray:
    """Rims, toms and a cowbell on a syncopated grid."""
    beat = 60 / bpm
    sounds = [
        rim(sr=sr, rng=rng),
        tom(sr=sr, rng=rng, pitch=180),
        cowbell(sr=sr, rng=rng),
        shaker(sr=sr, rng=rng),
    ]
    steps = (0, 3, 6, 8, 10, 13)
    hits = [
        (bar * 4 * beat + s * beat / 4, 0.7 * sounds[(s + bar) % len(sounds)])
        for bar in range(bars)
        for s in steps
    ]
    return _normalise(_place(int(round(bars * 4 * beat * sr)), hits, sr=sr))


def bass_loop(
    *, sr: int, rng: np.random.Generator, bpm: float, bars: int, key: str, style: int
) -> np.ndarray:
    """Rolling off-beat sixteenth bassline on the scale of a minor key."""
    beat = 60 / bpm
    root = root_midi(key, 1)
    pattern = ((0, 3, 7, 0), (0, 3, 5, 7), (0, 7, 3, 10))[style % 3]
    hits = []
    for b in range(bars * 4):
        for j, step in enumerate((1, 2, 3)):
            degree = pattern[(b + j) % len(pattern)]
            note = bass_note(
                sr=sr,
                rng=rng,
                note=root + degree,
                seconds=beat / 4 * 0.95,
                cutoff=300 + 300 * style,
                wave="saw" if style != 1 else "square",
            )
            hits.append((b * beat + step * beat / 4, note))
    return _normalise(_place(int(round(bars * 4 * beat * sr)), hits, sr=sr))


def synth_loop(*, sr: int, rng: np.random.Generator, bpm: float, bars: int, key: str) -> np.ndarray:
    """Off-beat minor-chord stabs with an arpeggio over them."""
    beat = 60 / bpm
    root = root_midi(key, 3)
    triad = [root, root + 3, root + 7]
    stab = chord(
        sr=sr, rng=rng, notes=triad, seconds=beat * 0.4, attack=0.003, release=0.1, cutoff=2500
    )
    hits = [(b * beat + beat / 2, stab) for b in range(bars * 4)]
    arp_notes = [root + 12 + MINOR_SCALE[i] for i in (0, 2, 4, 2)]
    for i in range(bars * 8):
        note = bass_note(
            sr=sr,
            rng=rng,
            note=arp_notes[i % 4],
            seconds=beat / 2 * 0.9,
            cutoff=2200,
            resonance_env=1.0,
        )
        hits.append((i * beat / 2, 0.4 * note))
    return _normalise(_place(int(round(bars * 4 * beat * sr)), hits, sr=sr))


# --- the kit --------------------------------------------------------------------------------

Recipe = Callable[[np.random.Generator], np.ndarray]
Entry = tuple[str, str, bool, float | None, str | None, Recipe]


def _with(render: Callable[..., np.ndarray], **kwargs: Any) -> Recipe:
    """``render(**kwargs)``, handed its random generator when the file is written."""
    return lambda g: render(rng=g, **kwargs)


def _recipes(sr: int) -> list[Entry]:
    """(relative path, category, is_loop, bpm, key, render) for every file of the kit; the
    order is part of the kit (each file's generator is seeded by its place)."""
    r: list[Entry] = []

    def shot(path: str, category: str, render: Recipe, key: str | None = None) -> None:
        """A one-shot: no loop, no tempo."""
        r.append((f"One Shots/{path}.wav", category, False, None, key, render))

    def loop(path: str, category: str, bpm: float, key: str | None, render: Recipe) -> None:
        r.append((f"Loops/{path}.wav", category, True, bpm, key, render))

    kicks = [
        ("Punchy", 170, 50, 0.3, 1.0),
        ("Deep", 120, 42, 0.55, 1.0),
        ("Hard", 200, 55, 0.28, 4.0),
        ("Rumble", 140, 45, 0.7, 2.0),
        ("Tight", 220, 60, 0.15, 1.5),
        ("Distorted", 180, 50, 0.4, 8.0),
    ]
    for i, (name, f_start, f_end, decay, drive) in enumerate(kicks, 1):
        shot(
            f"Kicks/{PREFIX}_Kick_{i:02d}_{name}",
            "kick",
            _with(kick, sr=sr, f_start=f_start, f_end=f_end, decay=decay, drive=drive),
        )
    for i, (tone, decay) in enumerate([(180, 0.12), (220, 0.2), (160, 0.3), (250, 0.08)], 1):
        shot(f"Snares/{PREFIX}_Snare_{i:02d}", "snare", _with(snare, sr=sr, tone=tone, decay=decay))
    for i, (spread, tail) in enumerate(
        [(0.011, 0.12), (0.008, 0.2), (0.014, 0.08), (0.01, 0.3)], 1
    ):
        shot(f"Claps/{PREFIX}_Clap_{i:02d}", "clap", _with(clap, sr=sr, spread=spread, tail=tail))
    for kind, hats in (
        ("Closed", [(0.03, 1.0), (0.045, 1.2), (0.02, 0.9)]),
        ("Open", [(0.2, 1.0), (0.3, 1.1), (0.16, 0.95)]),
    ):
        for i, (length, brightness) in enumerate(hats, 1):
            shot(
                f"Hats/{PREFIX}_{kind}_Hat_{i:02d}",
                "hihat",
                _with(hat, sr=sr, decay=length, tone=brightness),
            )
    shot(f"Cymbals/{PREFIX}_Ride_01", "cymbal", _with(ride, sr=sr))
    shot(f"Cymbals/{PREFIX}_Crash_01", "cymbal", _with(ride, sr=sr, decay=1.6))
    percs: list[tuple[str, str, Recipe]] = [
        ("Tom_Low", "tom", _with(tom, sr=sr, pitch=90)),
        ("Tom_High", "tom", _with(tom, sr=sr, pitch=200)),
        ("Rim", "perc", _with(rim, sr=sr)),
        ("Cowbell", "perc", _with(cowbell, sr=sr)),
        ("Shaker", "perc", _with(shaker, sr=sr)),
        ("Rim_Metal", "perc", _with(rim, sr=sr, pitch=2600)),
    ]
    for i, (name, category, render) in enumerate(percs, 1):
        shot(f"Percussion/{PREFIX}_{name}_{i:02d}", category, render)
    basses = [
        ("Am", 400, "saw"),
        ("Fm", 800, "square"),
        ("Cm", 300, "saw"),
        ("Gm", 1500, "saw"),
        ("D#m", 600, "square"),
        ("Am", 2500, "saw"),
    ]
    for i, (key, cutoff, wave) in enumerate(basses, 1):
        shot(
            f"Bass/{PREFIX}_Bass_{i:02d}_{key.rstrip('m')}",
            "bass",
            _with(bass_note, sr=sr, note=root_midi(key, 1), seconds=0.8, cutoff=cutoff, wave=wave),
        )
    chords: list[tuple[str, str, str, str, tuple[int, ...], dict[str, float]]] = [
        (
            "Synths",
            "Stab",
            "synth",
            "Am Fm Cm Gm",
            (0, 3, 7),
            {"seconds": 0.6, "attack": 0.003, "release": 0.3, "cutoff": 3000},
        ),
        (
            "Pads",
            "Pad",
            "pad",
            "Am Dm Fm Cm",
            (-12, 0, 3, 7, 10),
            {"seconds": 6.0, "attack": 1.5, "release": 2.0, "cutoff": 1800},
        ),
    ]
    for folder, kind, category, keys, intervals, shape in chords:
        for i, key in enumerate(keys.split(), 1):
            notes = [root_midi(key, 3) + n for n in intervals]
            shot(
                f"{folder}/{PREFIX}_{kind}_{i:02d}_{key}",
                category,
                _with(chord, sr=sr, notes=notes, **shape),
                key,
            )
    for i in (1, 2):
        shot(f"FX/{PREFIX}_Riser_{i:02d}", "fx", _with(riser, sr=sr, seconds=2.0 + 2 * i))
        shot(f"FX/{PREFIX}_Impact_{i:02d}", "fx", _with(impact, sr=sr))
    for i, (bpm, style) in enumerate([(124, 0), (128, 1), (132, 2), (138, 3)], 1):
        loop(
            f"Drum Loops/{PREFIX}_{bpm}_Drum_Loop_{i:02d}",
            "drums",
            bpm,
            None,
            _with(drum_loop, sr=sr, bpm=bpm, bars=2, style=style),
        )
    for i, bpm in enumerate([126, 135], 1):
        render = _with(hat_loop, sr=sr, bpm=bpm, bars=2)
        loop(f"Top Loops/{PREFIX}_{bpm}_Hat_Loop_{i:02d}", "hihat", bpm, None, render)
        render = _with(perc_loop, sr=sr, bpm=bpm, bars=2)
        loop(f"Percussion Loops/{PREFIX}_{bpm}_Perc_Loop_{i:02d}", "perc", bpm, None, render)
    for i, (bpm, key, style) in enumerate(
        [(124, "Am", 0), (128, "Fm", 1), (130, "Cm", 2), (140, "Gm", 0)], 1
    ):
        loop(
            f"Bass Loops/{PREFIX}_{bpm}_{key}_Bassline_{i:02d}",
            "bass",
            bpm,
            key,
            _with(bass_loop, sr=sr, bpm=bpm, bars=2, key=key, style=style),
        )
    for i, (bpm, key) in enumerate([(128, "Am"), (132, "Dm"), (136, "Fm")], 1):
        loop(
            f"Synth Loops/{PREFIX}_{bpm}_{key}_Synth_Loop_{i:02d}",
            "synth",
            bpm,
            key,
            _with(synth_loop, sr=sr, bpm=bpm, bars=2, key=key),
        )
    return r


def generate(out_dir: Path, *, sr: int = SR, seed: int = 7) -> list[KitFile]:
    """Write the kit under ``out_dir`` as 24-bit WAV; same seed, same bytes."""
    files = []
    for index, (rel, category, is_loop, bpm, key, render) in enumerate(_recipes(sr)):
        rng = np.random.default_rng([seed, index])
        y = np.asarray(render(rng), dtype=np.float64)
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, y.T if y.ndim == 2 else y, sr, subtype="PCM_24")
        files.append(KitFile(path, category, is_loop, bpm, key))
    return files
