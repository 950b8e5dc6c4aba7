"""Category, loop flag, BPM and key from paths."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from dirigent.path_tags import CategoryTable, bpm_tag, filing, key_tag, words_of


@pytest.mark.parametrize(
    ("path", "category", "is_loop"),
    [
        ("Kit/Drums/Kick 01.wav", "kick", False),
        ("Samples/BD_909_hard.wav", "kick", False),
        ("x/Bass Drum 3.aif", "kick", False),
        ("x/HiHat_Closed_03.wav", "hihat", False),
        ("x/Open-Hat.wav", "hihat", False),
        ("x/Ride 2.wav", "cymbal", False),
        ("x/Crash.flac", "cymbal", False),
        ("x/Rimshot.wav", "perc", False),
        ("x/Shaker Loop 126.wav", "perc", True),
        ("x/Tom_Low.wav", "tom", False),
        ("x/Clap_Big.wav", "clap", False),
        ("x/Snare Rolls/roll.wav", "snare", False),
        ("Construction Kit/Bass/Loop 01.wav", "bass", True),
        ("Pads/bell_choir.wav", "pad", False),
        ("x/Vox Chop 01.wav", "vocal", False),
        ("x/Riser 8 bars.wav", "fx", False),
        ("Loops/Drum Loops/Top Loop 128.wav", "drums", True),
        ("x/untitled.wav", None, False),
        ("Drums/Snare Roll/SN3_03.aiff", "snare", False),  # "3" + "03" is no TB-303
        ("Drums/HH3_03.aiff", "hihat", False),
        ("x/TB 303 Acid.wav", "bass", False),
        ("Kit/CHH_1.flac", "hihat", False),
        ("Kit/Hard_Hse_OHH_1.flac", "hihat", False),
        ("Percussion/Djembe1 Bass.wav", "perc", False),
        ("Drums/Djembe Bass.wav", "perc", False),
        ("x/Cajon Slap.wav", "perc", False),
        # Debian lmms-common folders
        ("drums/nasty_bass01.ogg", "kick", False),
        ("drums/zap01.ogg", "perc", False),
        ("drums/shaker02.ogg", "perc", False),
        ("basses/matrix1000_pluck01.ogg", "bass", False),
        ("stringsnpads/bell_choir01.ogg", "pad", False),
        ("stringsnpads/juno_pad01.ogg", "pad", False),
        ("effects/start01.ogg", "fx", False),
        ("beats/909beat01.ogg", "drums", True),
        ("beats/rave_kick01.ogg", "kick", True),
        ("bassloops/techno_synth01.ogg", "bass", True),
    ],
)
def test_classify(path: str, category: str | None, is_loop: bool) -> None:
    tags = CategoryTable().classify(path)
    assert (tags.category, tags.is_loop) == (category, is_loop)


def test_user_words_extend_and_override() -> None:
    table = CategoryTable({"kick": ["bombo"], "fx": ["wumms"], "vocal": ["bass"]})
    assert table.classify("x/Bombo 1.wav").category == "kick"
    assert table.classify("x/Wumms.wav").category == "fx"
    assert table.classify("x/Bass 1.wav").category == "vocal"


def test_filing_keeps_the_root_name_and_what_lies_below_it() -> None:
    path = PurePosixPath("/home/tom/sd/Kicks/Hard/0001.wav")
    assert filing(path, PurePosixPath("/home/tom/sd/Kicks")) == PurePosixPath("Kicks/Hard/0001.wav")
    assert filing(path, path) == PurePosixPath("0001.wav")  # a file ingested by itself
    assert filing(path, PurePosixPath("/")) == PurePosixPath("home/tom/sd/Kicks/Hard/0001.wav")
    assert CategoryTable().classify(filing("/home/tom/sd/lib/0001.wav", "/home/tom/sd/lib")) == (
        CategoryTable().classify("lib/0001.wav")
    )


def test_words_of_splits_case_digits_and_separators() -> None:
    assert words_of("HiHat_Closed01") == ["hi", "hat", "closed", "01"]
    assert words_of("909beat-Loop") == ["909", "beat", "loop"]


@pytest.mark.parametrize(
    ("name", "is_loop", "bpm"),
    [
        ("Bass_Loop_128bpm_Am", True, 128.0),
        ("Top 126 BPM", False, 126.0),
        ("DRGNT_132_Drum_Loop_03", True, 132.0),
        ("Kick_909_01", False, None),
        ("Loop 999bpm", True, None),
        ("Loop_07", True, None),
    ],
)
def test_bpm_tag(name: str, is_loop: bool, bpm: float | None) -> None:
    assert bpm_tag(name, is_loop=is_loop) == bpm


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Bass_128_Am_01", "Am"),
        ("Pad F#m", "F#m"),
        ("Stab_Ebmin", "D#m"),
        ("Chord_C_maj", "C"),
        ("Lead_Bb", "A#"),
        ("Kick_B_01", None),
        ("Bass_Fis-Moll_124", "F#m"),  # German: Moll and Dur, -is and -es, H and B
        ("Pad a-moll", "Am"),
        ("Stab_Es-Dur", "D#"),
        ("Bass H-Moll", "Bm"),
        ("Bass_B-Dur", "A#"),
        ("Bass_Bm", "Bm"),
        ("Kick_As_01", None),
        ("Amen Break", None),
        ("Dark Pad", None),
    ],
)
def test_key_tag(name: str, key: str | None) -> None:
    assert key_tag(name) == key
