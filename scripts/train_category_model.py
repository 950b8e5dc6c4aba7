"""Train the category model shipped in models/category_model.npz.

Material (never Debian's lmms-common, which is the evaluation corpus):
- hydrogen-drumkits and hydrogen-data: 20 drum kits (hydrogen-data: GMRockKit and a TR-808
  emulation), labelled by their drumkit.xml instrument names (single hits only: hits cut
  from breakbeats, which the names call "beats" or "drum", are left out, as the drums class
  means a drum loop);
- sonic-pi-samples: labelled by the sample-name prefixes below;
- timgm6mb-soundfont: General MIDI samples played as notes (basses; keys, organs, guitars);
- avldrums.lv2-soundfont and fluid-soundfont-gm: the drum samples of two acoustic kits (AVL's
  Black Pearl and Red Zeppelin) and of FluidR3's kits (standard, power, electronic, TR-808),
  labelled by their sample names;
- synthesised sounds: randomised variants of every demo-kit instrument and loop, hardcore
  and long techno kicks, rave and reese basses, drum-machine claps.
Some one-shots are also learnt cut short before their tail ends, as sample packs hold them,
and every recorded hit also transposed a few semitones, as a sampler plays it.
The model is two forests: a classifier over all classes, which decides a sound's category, and
detectors, one forest per class telling it from all the others, which rank sounds by category.
The synthesised sounds, the cuts and the transpositions are random draws: each forest is the
average of its trees from every draw (DRAWS of them), so that one draw's luck weighs less (a
model still moves with its seed: `make bench-seeds`).

    pip install scikit-learn   # training time only; inference is plain numpy
    python scripts/train_category_model.py [--cache .cache/debian] [--out models/...]

Prints the first draw's classifier k-fold accuracy grouped by source (a kit is never split
across folds)."""

from __future__ import annotations

import argparse
import itertools
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from dirigent import demo_kit
from dirigent.analysis import analyse
from dirigent.analysis.descriptors import DESCRIPTOR_VERSION
from dirigent.audio_io import decode
from dirigent.embed.classifier import DEFAULT_MODEL, CategoryModel, Forest
from dirigent.errors import AudioError
from dirigent.mutate.transforms import pitch
from dirigent.path_tags import CategoryTable

ROOT = Path(__file__).resolve().parents[1]
TREES = 100  # of the classifier, per draw
DETECTOR_TREES = 50  # of each class's detector, per draw
DRAWS = 8  # independent draws of the synthesised, cut-short and transposed material
MIN_SAMPLES_LEAF = 2
LAYERS_PER_INSTRUMENT = 3
SYNTH_PER_CLASS = 50
SR = 44100
TECHNO_PER_KIND = 40  # hard kicks and rave basses: techno's own, missing from the packs
OTHER_PER_ROUND = 4  # "other" examples per synthesis round: their kinds are many
CUT_CATEGORIES = ("kick", "snare", "tom", "clap", "perc", "bass")
CUT_SHARE = 0.4  # of the one-shots of these categories also learnt cut short
# recorded hits of these categories are also learnt a few semitones up or down (one of these
# steps), as a sampler plays them: a kit is recorded at one tuning, packs hold hits at many
TRANSPOSED_CATEGORIES = ("kick", "snare", "tom", "clap", "perc", "hihat", "cymbal")
TRANSPOSE_STEPS = (-4, -3, -2, 2, 3, 4)
TABLE_LENGTHS = (256, 337, 512, 600, 1024, 2048, 2205, 4096, 9600, 19200)  # single-cycle tables

# Sonic Pi sample-name prefixes -> category (longest prefix wins).
SONIC_PI = {
    "bd_": "kick",
    "drum_bass": "kick",
    "drum_heavy_kick": "kick",
    "elec_hollow_kick": "kick",
    "elec_soft_kick": "kick",
    "sn_": "snare",
    "drum_snare": "snare",
    "elec_hi_snare": "snare",
    "elec_mid_snare": "snare",
    "elec_lo_snare": "snare",
    "elec_filt_snare": "snare",
    "elec_snare": "snare",
    "drum_roll": "snare",
    "drum_cymbal_closed": "hihat",
    "drum_cymbal_pedal": "hihat",
    "drum_cymbal_open": "hihat",
    "drum_cymbal_hard": "cymbal",
    "drum_cymbal_soft": "cymbal",
    "drum_splash": "cymbal",
    "elec_cymbal": "cymbal",
    "perc_swash": "cymbal",
    "drum_tom": "tom",
    "elec_fuzz_tom": "tom",
    "drum_cowbell": "perc",
    "elec_": "perc",
    "perc_": "perc",
    "tabla_": "perc",
    "perc_snap": "clap",
    "perc_impact": "fx",
    "bass_": "bass",
    "glitch_bass": "bass",
    "ambi_": "pad",
    "ambi_swoosh": "fx",
    "ambi_dark_woosh": "fx",
    "ambi_lunar_land": "fx",
    "ambi_piano": "synth",
    "guit_": "synth",
    "misc_": "fx",
    "vinyl_": "fx",
    "glitch_": "fx",
    "mehackit_": "fx",
    "loop_": "drums",
    "loop_drone": "pad",
    "loop_3d_printer": "fx",
    "loop_tabla": "perc",
    "loop_perc": "perc",
}
HYDROGEN_PACKAGES = ("hydrogen-drumkits", "hydrogen-data")  # hydrogen-data: GMRockKit, TR-808
DRUM_SOUNDFONTS = {  # package -> its SoundFonts of drum samples
    "avldrums.lv2-soundfont": ("Black_Pearl_4_LV2.sf2", "Red_Zeppelin_4_LV2.sf2"),
    "fluid-soundfont-gm": ("FluidR3_GM.sf2",),
}
DRUM_LAYERS = ("1", "3", "5")  # of the velocity layers a name ends in ("-3"), as for Hydrogen
# Drum sample names -> category; the first matching word wins (None: left out).
DRUM_SAMPLE_WORDS: tuple[tuple[str, str | None], ...] = (
    ("orch", None),  # orchestral bass drum and crash
    ("taiko", None),
    ("steel", None),  # steel drums are pitched instruments
    ("reverse", None),
    ("paiste", None),  # AVL's note 60: no GM instrument
    ("marimba", None),  # pitched, and not a rim
    ("stick", "perc"),
    ("rim", "perc"),
    ("clave", "perc"),
    ("conga", "perc"),
    ("bongo", "perc"),
    ("shaker", "perc"),
    ("maraca", "perc"),
    ("tambourine", "perc"),
    ("cowbell", "perc"),
    ("cow bell", "perc"),
    ("agogo", "perc"),
    ("cabasa", "perc"),
    ("castanet", "perc"),
    ("guiro", "perc"),
    ("timbale", "perc"),
    ("woodblock", "perc"),
    ("triangle", "perc"),
    ("vibra slap", "perc"),
    ("tom", "tom"),
    ("floor", "tom"),  # AVL names cut short: "Ludwig16FloorTo"
    ("hat", "hihat"),
    ("ride", "cymbal"),
    ("cras", "cymbal"),
    ("spla", "cymbal"),
    ("china", "cymbal"),
    ("clap", "clap"),
    ("snr", "snare"),
    ("snare", "snare"),
    ("kick", "kick"),
    ("bass drum", "kick"),
)
HYDROGEN_WORDS = {
    "perc": ["stick", "sticks", "bell"],
    "tom": ["floor"],
    "kick": ["bass"],
}
# Every Debian package the material comes from (the Makefile's corpus target fetches them too).
PACKAGES = (*HYDROGEN_PACKAGES, *DRUM_SOUNDFONTS, "sonic-pi-samples", "timgm6mb-soundfont")


def fetch(cache: Path) -> None:
    script = ROOT / "scripts" / "fetch_debian_samples.sh"
    subprocess.run([str(script), str(cache), *PACKAGES], check=True, stdout=subprocess.DEVNULL)


def hydrogen(cache: Path) -> Iterator[tuple[Path, str, str]]:
    """(file, category, group) for the layers of every labelled Hydrogen instrument."""
    table = CategoryTable(HYDROGEN_WORDS)
    xmls = [x for package in HYDROGEN_PACKAGES for x in (cache / package).rglob("drumkit.xml")]
    for xml in sorted(xmls):
        kit = xml.parent
        root = ET.parse(xml).getroot()
        for instrument in root.iter():
            if not instrument.tag.endswith("instrument"):
                continue
            name = next((c.text or "" for c in instrument if c.tag.endswith("name")), "")
            files = [e.text for e in instrument.iter() if e.tag.endswith("filename") and e.text]
            for filename in files[:LAYERS_PER_INSTRUMENT]:
                category = table.classify(Path(name) / filename).category
                if category == "drums":  # "beats_06-38.flac" under "bass drum 1"
                    category = table.classify(name).category
                if category not in (None, "drums") and (kit / filename).is_file():
                    yield kit / filename, category, f"hydrogen:{kit.name}"


def sonic_pi(cache: Path) -> Iterator[tuple[Path, str, str]]:
    """(file, category, group) for every Sonic Pi sample with a known prefix."""
    prefixes = sorted(SONIC_PI, key=len, reverse=True)
    for path in sorted((cache / "sonic-pi-samples").rglob("*.flac")):
        prefix = next((p for p in prefixes if path.name.startswith(p)), None)
        if prefix:
            yield path, SONIC_PI[prefix], f"sonic-pi:{prefix}"


def cut_short(y: np.ndarray, *, sr: int, rng: np.random.Generator) -> np.ndarray:
    """A one-shot cut off before its tail has died away (with a fade of at most 3 ms), as
    sample packs often hold them: still the same instrument, not "no instrument"."""
    n = y.shape[-1]
    keep = max(int(0.03 * sr), int(n * rng.uniform(0.15, 0.7)))
    out = y[..., :keep].copy()
    fade = min(keep, int(rng.uniform(0, 0.003) * sr))
    if fade:
        out[..., -fade:] *= np.linspace(1, 0, fade)
    return out


def transposed(y: np.ndarray, *, sr: int, rng: np.random.Generator) -> np.ndarray:
    """A hit played a few semitones up or down (:data:`TRANSPOSE_STEPS`) as a sampler plays
    it: shorter when higher (:func:`dirigent.mutate.transforms.pitch`)."""
    return pitch(np.atleast_2d(y), sr=sr, semitones=float(rng.choice(TRANSPOSE_STEPS)))


def synthesised(rng: np.random.Generator) -> Iterator[tuple[np.ndarray, str, int]]:
    """Randomised renders of each demo-kit instrument: (audio (channels, n), category, sr)."""
    u = rng.uniform
    keys = list(demo_kit.NOTE_INDEX)
    makers: dict[str, Callable[[np.random.Generator], np.ndarray]] = {
        "kick": lambda g: demo_kit.kick(
            sr=SR, rng=g, f_start=u(90, 260), f_end=u(38, 70), decay=u(0.1, 0.8), drive=u(1, 8)
        ),
        "snare": lambda g: demo_kit.snare(sr=SR, rng=g, tone=u(140, 300), decay=u(0.05, 0.35)),
        "clap": lambda g: demo_kit.clap(sr=SR, rng=g, spread=u(0.006, 0.016), tail=u(0.05, 0.4)),
        "hihat": lambda g: demo_kit.hat(sr=SR, rng=g, decay=u(0.015, 0.35), tone=u(0.8, 1.3)),
        "cymbal": lambda g: demo_kit.ride(sr=SR, rng=g, decay=u(0.6, 2.0)),
        "tom": lambda g: demo_kit.tom(sr=SR, rng=g, pitch=u(70, 260)),
        "perc": lambda g: [demo_kit.rim, demo_kit.cowbell, demo_kit.shaker][g.integers(3)](
            sr=SR, rng=g
        ),
        "bass": lambda g: demo_kit.bass_note(
            sr=SR,
            rng=g,
            note=int(g.integers(28, 48)),
            seconds=u(0.2, 1.5),
            cutoff=u(200, 3000),
            wave=["saw", "square"][g.integers(2)],
        ),
        "synth": lambda g: demo_kit.chord(
            sr=SR,
            rng=g,
            notes=[n := int(g.integers(52, 72)), n + 3 + int(g.integers(2)), n + 7],
            seconds=u(0.2, 0.9),
            attack=0.003,
            release=u(0.05, 0.4),
            cutoff=u(1500, 8000),
        ),
        "pad": lambda g: demo_kit.chord(
            sr=SR,
            rng=g,
            notes=[n := int(g.integers(40, 60)), n + 7, n + 12, n + 15],
            seconds=u(3, 8),
            attack=u(0.5, 2.5),
            release=u(1, 3),
            cutoff=u(600, 3000),
        ),
        "fx": lambda g: (
            demo_kit.riser(sr=SR, rng=g, seconds=u(1.5, 6))
            if g.random() < 0.5
            else demo_kit.impact(sr=SR, rng=g)
        ),
        "drums": lambda g: demo_kit.drum_loop(
            sr=SR, rng=g, bpm=u(118, 150), bars=2, style=int(g.integers(4))
        ),
    }
    for category, make in makers.items():
        for _ in range(SYNTH_PER_CLASS):
            yield np.atleast_2d(make(rng)), category, SR
    for _ in range(SYNTH_PER_CLASS):
        for _ in range(OTHER_PER_ROUND):
            tone, sr = steady_tone(rng)
            yield np.atleast_2d(tone), "other", sr
        yield np.atleast_2d(keys_chord(rng)), "synth", SR
        yield np.atleast_2d(bass_stab(rng)), "bass", SR
        yield (
            np.atleast_2d(
                demo_kit.bass_note(
                    sr=SR,
                    rng=rng,
                    note=int(rng.integers(36, 60)),
                    seconds=u(0.15, 0.8),
                    cutoff=u(300, 1500),
                    resonance_env=u(3, 12),
                    wave=["saw", "square"][rng.integers(2)],
                )
            ),
            "bass",
            SR,
        )
    for _ in range(TECHNO_PER_KIND):
        yield np.atleast_2d(hard_kick(rng)), "kick", SR
        yield np.atleast_2d(rave_bass(rng)), "bass", SR
        yield np.atleast_2d(machine_clap(rng)), "clap", SR
    for _ in range(SYNTH_PER_CLASS // 2):
        key = f"{keys[rng.integers(12)]}m"
        yield (
            np.atleast_2d(
                demo_kit.bass_loop(
                    sr=SR, rng=rng, bpm=u(120, 145), bars=1, key=key, style=int(rng.integers(3))
                )
            ),
            "bass",
            SR,
        )
        yield (
            np.atleast_2d(demo_kit.synth_loop(sr=SR, rng=rng, bpm=u(120, 145), bars=1, key=key)),
            "synth",
            SR,
        )
        yield np.atleast_2d(demo_kit.hat_loop(sr=SR, rng=rng, bpm=u(120, 145), bars=1)), "hihat", SR
        yield np.atleast_2d(demo_kit.perc_loop(sr=SR, rng=rng, bpm=u(120, 145), bars=1)), "perc", SR


def steady_tone(rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """Not an instrument: one cycle of a wavetable stored at a table length (the single-cycle
    packs synths load), a short steady tone with no envelope (an oscillator, a test tone), a
    control shape (an LFO or trance-gate pattern, unipolar) or a lone impulse."""
    sr = int(rng.choice([44100, 48000, 96000]))
    kind = rng.random()
    if kind < 0.35:
        n = int(rng.choice(TABLE_LENGTHS))
        f0 = sr / n
    else:
        f0 = float(np.exp(rng.uniform(np.log(2), np.log(1000))))
        n = max(16, int(min(rng.uniform(1, 40), f0) * sr / f0))
    phase = f0 * np.arange(n) / sr
    harmonics = int(rng.integers(1, 48))
    tone = sum(
        rng.normal() / h ** rng.uniform(0.3, 2) * np.sin(2 * np.pi * h * phase + rng.random())
        for h in range(1, harmonics + 1)
    )
    if kind < 0.35 or kind >= 0.65:
        wave = np.tanh(rng.uniform(1, 6) * tone) if rng.random() < 0.3 else tone
    elif kind < 0.45:
        wave = np.zeros(n)
        wave[0] = 1.0
    else:
        steps = rng.random(int(rng.choice([4, 8, 12, 16]))) < rng.uniform(0.3, 0.8)
        steps[0] = True
        step = np.repeat(steps.astype(float), -(-n // steps.size))[:n]
        shape = [np.ones(n), 1 - np.mod(phase, 1), np.sin(np.pi * np.mod(phase, 1))]
        wave = step * shape[int(rng.integers(3))]
    return np.asarray(wave) / (np.abs(wave).max() + 1e-9) * 0.8, sr


def hard_kick(rng: np.random.Generator) -> np.ndarray:
    """A hardcore, gabber or long techno kick: a slow pitch sweep, a long body driven hard
    into distortion. Still a kick, however much it booms."""
    decay = rng.uniform(0.15, 0.9)
    t = np.arange(int(SR * min(2.0, 4 * decay))) / SR
    f_end = rng.uniform(38, 70)
    freq = f_end + (rng.uniform(150, 500) - f_end) * np.exp(-t / rng.uniform(0.01, 0.08))
    body = np.sin(2 * np.pi * np.cumsum(freq) / SR) * np.exp(-t / decay)
    drive = rng.uniform(3, 40)
    y = np.tanh(drive * body) / np.tanh(drive)
    return y * np.minimum(1, (t[-1] - t) / 0.005 + 1e-9)


def machine_clap(rng: np.random.Generator) -> np.ndarray:
    """A drum machine's clap: a few noise bursts through one band-pass, narrow (the 808's
    ringing clap) or wide, then a tail."""
    from scipy.signal import butter, sosfilt

    tail = rng.uniform(0.03, 0.4)
    t = np.arange(int(SR * min(1.0, max(0.15, 5 * tail)))) / SR
    env = np.zeros(t.size)
    at = 0.0
    for _ in range(int(rng.integers(2, 6))):
        start = int(at * SR)
        env[start:] += np.exp(-t[: t.size - start] / rng.uniform(0.002, 0.006))
        at += rng.uniform(0.004, 0.015)
    start = int(at * SR)
    env[start:] += rng.uniform(0.3, 1) * np.exp(-t[: t.size - start] / tail)
    centre, ratio = np.exp(rng.uniform(np.log(700), np.log(2500))), rng.uniform(1.2, 4)
    band = butter(
        2,
        (centre / ratio**0.5, min(centre * ratio**0.5, 0.45 * SR)),
        "bandpass",
        fs=SR,
        output="sos",
    )
    y = sosfilt(band, rng.standard_normal(t.size)) * env
    return y * np.minimum(1, (t[-1] - t) / 0.005 + 1e-9)


def rave_bass(rng: np.random.Generator) -> np.ndarray:
    """A rave or reese bass: detuned saws on a low note, often bending down into it (the
    hoover), bright or filtered, sometimes driven."""
    from scipy.signal import butter, sosfilt

    seconds = rng.uniform(0.15, 1.2)
    t = np.arange(int(SR * seconds)) / SR
    bend = rng.uniform(0, 12) * np.exp(-t / rng.uniform(0.03, 0.12)) if rng.random() < 0.5 else 0
    note = rng.uniform(28, 50) + bend
    y = np.zeros(t.size)
    for cents in rng.uniform(-30, 30, int(rng.integers(2, 7))):
        hz = 440 * 2 ** ((note + cents / 100 - 69) / 12)
        phase = np.cumsum(hz) / SR if np.ndim(hz) else hz * t
        y += 2 * np.mod(phase + rng.random(), 1) - 1
    y = sosfilt(butter(2, rng.uniform(400, 8000), fs=SR, output="sos"), y)
    drive = rng.uniform(1, 8)
    y = np.tanh(drive * y / (np.abs(y).max() + 1e-9)) / np.tanh(drive)
    release = min(seconds / 3, rng.uniform(0.01, 0.2))
    return y * np.minimum(1, t / 0.003) * np.minimum(1, (t[-1] - t) / release + 1e-9)


def bass_stab(rng: np.random.Generator) -> np.ndarray:
    """A short, often driven synth-bass stab (rave, acid, hardcore)."""
    y = demo_kit.bass_note(
        sr=SR,
        rng=rng,
        note=int(rng.integers(30, 58)),
        seconds=rng.uniform(0.12, 0.45),
        cutoff=rng.uniform(300, 4000),
        resonance_env=rng.uniform(1, 12),
        wave=["saw", "square"][rng.integers(2)],
    )
    drive = rng.uniform(1, 10)
    return np.tanh(drive * y) / np.tanh(drive)


def keys_chord(rng: np.random.Generator) -> np.ndarray:
    """Organ (instant attack, held) or piano-like (instant attack, decaying) chords: synth."""
    root = int(rng.integers(48, 66))
    notes = [root, root + int(rng.choice([3, 4])), root + 7, root + 12]
    seconds = rng.uniform(1.0, 5.0)
    y = demo_kit.chord(
        sr=SR,
        rng=rng,
        notes=notes,
        seconds=seconds,
        attack=0.005,
        release=rng.uniform(0.05, 0.5),
        cutoff=rng.uniform(2000, 9000),
        detune=0.0,
    )
    if rng.random() < 0.5:
        y = y * np.exp(-np.arange(y.shape[-1]) / SR / rng.uniform(0.3, 1.5))
    return y


# General MIDI sample names (TimGM6mb) -> category; the first matching word wins.
SOUNDFONT_KEEP = ("bass", "synth")  # orchestral strings and choirs are no synth pads: left out
SOUNDFONT_WORDS: tuple[tuple[str, str | None], ...] = (
    ("bass drum", "kick"),
    ("kick", "kick"),
    ("snare", "snare"),
    ("rim shot", "snare"),
    ("hat", "hihat"),
    ("cymb", "cymbal"),
    ("ride", "cymbal"),
    ("tom", "tom"),
    ("claps", "clap"),
    ("bassoon", None),  # a woodwind, not a bass
    ("bass", "bass"),
    ("piano", "synth"),
    ("ep1", "synth"),
    ("dx ep", "synth"),
    ("cp70", "synth"),
    ("org", "synth"),
    ("b3lo", "synth"),
    ("clavinet", "synth"),
    ("harpsichord", "synth"),
    ("saw wave", "synth"),
    ("square wave", "synth"),
    ("syn brass", "synth"),
    ("gtr", "synth"),
    ("guitar", "synth"),
    ("strat", "synth"),
    ("vibes", "synth"),
    ("marimba", "synth"),
)


MONO, LEFT = 1, 4  # SoundFont sample types


def soundfont_samples(
    path: Path, kinds: tuple[int, ...] = (MONO,)
) -> Iterator[tuple[str, np.ndarray, int, int, int, int]]:
    """(name, 16-bit samples, loop start, loop end, rate, root key) of each sample of the given
    types (mono; the left of a stereo pair) in a SoundFont 2 file (the smpl and shdr chunks of
    its RIFF tree)."""
    import struct

    data = path.read_bytes()
    chunks: dict[bytes, bytes] = {}

    def walk(start: int, end: int) -> None:
        at = start
        while at + 8 <= end:
            cid, size = data[at : at + 4], struct.unpack_from("<I", data, at + 4)[0]
            if cid == b"LIST":
                walk(at + 12, at + 8 + size)
            else:
                chunks[cid] = data[at + 8 : at + 8 + size]
            at += 8 + size + (size & 1)

    walk(12, len(data))
    pcm = np.frombuffer(chunks[b"smpl"], dtype="<i2")
    headers = chunks[b"shdr"]
    for i in range(len(headers) // 46 - 1):
        name, start, end, loop_start, loop_end, rate, root, _, _, kind = struct.unpack_from(
            "<20sIIIIIBbHH", headers, i * 46
        )
        if kind in kinds and end > start:
            yield (
                name.split(b"\0")[0].decode("latin1"),
                pcm[start:end].astype(np.float32) / 32768,
                loop_start - start,
                loop_end - start,
                rate,
                root,
            )


def soundfont(cache: Path, rng: np.random.Generator) -> Iterator[tuple[np.ndarray, str, int, str]]:
    """Notes played from a General MIDI SoundFont's samples as a sampler would (attack, then
    the sustain loop, then a release), labelled by instrument: real basses, and keys, organs
    and guitars as synth. (audio, category, rate, group)."""
    path = cache / "timgm6mb-soundfont" / "sounds" / "sf2" / "TimGM6mb.sf2"
    if not path.exists():
        return
    for name, pcm, loop_start, loop_end, rate, _ in soundfont_samples(path):
        category = next((c for word, c in SOUNDFONT_WORDS if word in name.lower()), None)
        if category not in SOUNDFONT_KEEP or rate < 16000 or pcm.size < 64:
            continue
        for _ in range(3 if category == "bass" else 1):
            seconds = {
                "bass": rng.uniform(0.15, 1.2),
                "synth": rng.uniform(0.3, 2.5),
            }.get(category, pcm.size / rate)
            n = int(seconds * rate)
            looped = 0 < loop_start < loop_end <= pcm.size
            if looped and n > loop_end:
                body = np.tile(
                    pcm[loop_start:loop_end], -(-(n - loop_start) // (loop_end - loop_start))
                )
                y = np.concatenate([pcm[:loop_start], body])[:n]
            else:
                y = pcm[:n]
            t = np.arange(y.size) / rate
            attack = 0.003
            release = min(0.3 * y.size / rate, rng.uniform(0.05, 0.6))
            envelope = np.minimum(1, t / attack) * np.minimum(1, (t[-1] - t) / release + 1e-9)
            if category == "bass":
                envelope *= np.exp(-t / rng.uniform(0.2, 1.5))
            y = y * envelope
            if np.abs(y).max() > 0:
                yield np.atleast_2d(y / np.abs(y).max() * 0.8), category, rate, f"sf2:{name[:6]}"


def recorded(cache: Path) -> Iterator[tuple[np.ndarray, str, int, str]]:
    """The sample packs' files, decoded: (audio, category, rate, group)."""
    for path, category, group in [*hydrogen(cache), *sonic_pi(cache)]:
        try:
            y, sr, _ = decode(path.read_bytes(), path)
        except AudioError:
            continue
        yield y, category, sr, group


def soundfont_drums(cache: Path) -> Iterator[tuple[np.ndarray, str, int, str]]:
    """The drum samples of :data:`DRUM_SOUNDFONTS`, one-shots as recorded (the left channel
    of stereo ones), labelled by name: (audio, category, rate, group)."""
    for package, files in DRUM_SOUNDFONTS.items():
        for file in files:
            path = cache / package / "sounds" / "sf2" / file
            for name, pcm, _, _, rate, _ in soundfont_samples(path, kinds=(MONO, LEFT)):
                category = next((c for w, c in DRUM_SAMPLE_WORDS if w in name.lower()), None)
                layer = re.search(r"-(\d)$", name)
                if layer and layer.group(1) not in DRUM_LAYERS:
                    continue
                if category and pcm.size > 0.02 * rate and np.abs(pcm).max() > 0:
                    yield np.atleast_2d(pcm / np.abs(pcm).max() * 0.8), category, rate, file[:8]


def dataset(cache: Path, seed: int) -> tuple[np.ndarray, list[str], list[str]]:
    """Descriptors, labels and source groups of all training material; some one-shots also
    cut short (:func:`cut_short`), recorded hits also transposed (:func:`transposed`)."""
    rows, labels, groups = [], [], []
    rng = np.random.default_rng(seed)
    transposing = np.random.default_rng([seed, 1])  # its own stream: the other draws stay
    synth = ((y, c, sr, f"synth:{i % 5}") for i, (y, c, sr) in enumerate(synthesised(rng)))
    sources = itertools.chain(recorded(cache), soundfont(cache, rng), synth, soundfont_drums(cache))
    for y, category, sr, group in sources:
        versions = [y]
        if category in CUT_CATEGORIES and rng.random() < CUT_SHARE:
            versions.append(cut_short(y, sr=sr, rng=rng))
        if category in TRANSPOSED_CATEGORIES and not group.startswith("synth:"):
            versions.append(transposed(y, sr=sr, rng=transposing))
        for version in versions:
            rows.append(analyse(version, sr=sr).descriptors)
            labels.append(category)
            groups.append(group)
    return np.vstack(rows), labels, groups


def _flat(estimators: list, value: Callable[[np.ndarray], np.ndarray]) -> list[np.ndarray]:
    """scikit-learn trees as the flat arrays :class:`Forest` evaluates (roots, feature,
    threshold, left, right, value); ``value`` maps a tree's per-node class counts to a leaf's."""
    roots, feature, threshold, left, right, values = [], [], [], [], [], []
    offset = 0
    for estimator in estimators:
        tree = estimator.tree_
        roots.append(offset)
        feature.append(np.maximum(tree.feature, 0))
        threshold.append(tree.threshold)
        left.append(np.where(tree.children_left >= 0, tree.children_left + offset, -1))
        right.append(np.where(tree.children_right >= 0, tree.children_right + offset, -1))
        counts = tree.value[:, 0, :]
        values.append(value(counts / counts.sum(axis=1, keepdims=True)))
        offset += tree.node_count
    return [
        np.array(roots, dtype=np.int32),
        np.concatenate(feature).astype(np.int16),
        np.concatenate(threshold).astype(np.float32),
        np.concatenate(left).astype(np.int32),
        np.concatenate(right).astype(np.int32),
        np.concatenate(values).astype(np.float32),
    ]


def _forest(x: np.ndarray, labels: list[str] | np.ndarray, trees: int, seed: int):  # type: ignore[no-untyped-def]
    from sklearn.ensemble import RandomForestClassifier

    rf = RandomForestClassifier(
        n_estimators=trees,
        class_weight="balanced",
        min_samples_leaf=MIN_SAMPLES_LEAF,
        random_state=seed,
        n_jobs=-1,
    )
    return rf.fit(x, labels)


def fit_classifier(x: np.ndarray, labels: list[str], seed: int = 0) -> Forest:
    """A balanced random forest over all the classes."""
    rf = _forest(x, labels, TREES, seed)
    classes = tuple(str(c) for c in rf.classes_)
    return Forest(*_flat(rf.estimators_, lambda p: p), classes, DESCRIPTOR_VERSION)


def fit_detectors(x: np.ndarray, labels: list[str], seed: int = 0) -> Forest:
    """One balanced forest per class, telling it from all the others."""
    truth = np.array(labels)
    classes = tuple(str(c) for c in np.unique(truth))
    estimators, detects = [], []
    for c, name in enumerate(classes):
        rf = _forest(x, truth == name, DETECTOR_TREES, seed)
        estimators += rf.estimators_
        detects += [c] * len(rf.estimators_)
    arrays = _flat(estimators, lambda p: p[:, 1:])  # the probability of "is the class"
    return Forest(*arrays, classes, DESCRIPTOR_VERSION, np.array(detects, dtype=np.int16))


def fit(x: np.ndarray, labels: list[str], seed: int = 0) -> CategoryModel:
    """The classifier and the detectors of one draw of the material."""
    return CategoryModel(fit_classifier(x, labels, seed), fit_detectors(x, labels, seed))


def grouped_kfold(x: np.ndarray, labels: list[str], groups: list[str], k: int = 5) -> float:
    """Classifier accuracy when every source group is held out once (k folds of whole groups)."""
    names = sorted(set(groups))
    fold_of = {g: i % k for i, g in enumerate(np.random.default_rng(1).permutation(names))}
    folds = np.array([fold_of[g] for g in groups])
    correct = 0
    for fold in range(k):
        train, test = folds != fold, folds == fold
        model = fit_classifier(x[train], [lb for lb, t in zip(labels, train, strict=True) if t])
        predicted = np.array(model.classes)[model.probabilities(x[test]).argmax(axis=1)]
        correct += int(np.sum(predicted == np.array(labels)[test]))
    return correct / len(labels)


def combine(forests: list[Forest]) -> Forest:
    """One forest of all the trees of several of the same kind, classes and descriptors: their
    average."""
    kinds = {(f.classes, f.descriptor_version, f.detects is None) for f in forests}
    if len(kinds) != 1:
        raise ValueError("forests of other kinds, classes or descriptors cannot be averaged")
    offsets = np.cumsum([0] + [f.left.size for f in forests[:-1]])

    def shifted(children: np.ndarray, offset: int) -> np.ndarray:
        return np.where(children >= 0, children + offset, -1).astype(np.int32)

    detects = [f.detects for f in forests if f.detects is not None]
    return Forest(
        np.concatenate([f.roots + o for f, o in zip(forests, offsets, strict=True)]),
        np.concatenate([f.feature for f in forests]),
        np.concatenate([f.threshold for f in forests]),
        np.concatenate([shifted(f.left, o) for f, o in zip(forests, offsets, strict=True)]),
        np.concatenate([shifted(f.right, o) for f, o in zip(forests, offsets, strict=True)]),
        np.concatenate([f.value for f in forests]),
        forests[0].classes,
        forests[0].descriptor_version,
        np.concatenate(detects) if detects else None,
    )


def train(cache: Path, seed: int, draws: int = DRAWS, report: bool = False) -> CategoryModel:
    """The shipped recipe: a classifier and detectors per draw of the material (draws
    ``seed * draws`` on), each kind combined over the draws. Averaging over draws takes out most
    of what one draw's luck adds or costs. ``report``: print the first draw's class counts and
    grouped k-fold accuracy."""
    models = []
    for draw in range(seed * draws, (seed + 1) * draws):
        x, labels, groups = dataset(cache, draw)
        if report and not models:
            print(
                f"{len(labels)} examples: {dict(sorted(Counter(labels).items()))}", file=sys.stderr
            )
            print(
                f"grouped 5-fold accuracy: {grouped_kfold(x, labels, groups):.3f}", file=sys.stderr
            )
        models.append(fit(x, labels, seed=draw))
    return CategoryModel(
        combine([m.classifier for m in models]), combine([m.detectors for m in models])
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cache", type=Path, default=ROOT / ".cache" / "debian")
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--draws", type=int, default=DRAWS)
    args = parser.parse_args()
    fetch(args.cache)
    model = train(args.cache, args.seed, args.draws, report=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model.save(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
