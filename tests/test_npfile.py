"""Model, calibration and index files read on many threads at once (the daemon's start-up
beside its warm-up thread) never parse two headers at the same time: CPython 3.11 keeps one AST
recursion count for all threads, and two parses at once can fail with ``SystemError: AST
constructor recursion depth mismatch``."""

from __future__ import annotations

import ast
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dirigent.embed import classifier
from dirigent.embed.listen import Calibration
from dirigent.npfile import read_npy, read_npz


def test_no_two_threads_parse_a_header_at_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    Calibration(np.zeros(4), np.ones(4), np.zeros((3, 5)), n=200, added=3).save(tmp_path / "c.npz")
    np.save(tmp_path / "ids.npy", np.arange(10))
    parsing, overlaps, failures = [0], [0], []
    count = threading.Lock()
    literal_eval = ast.literal_eval

    def slow_parse(text: Any) -> Any:  # numpy's header parser, made slow and GIL-free
        with count:
            parsing[0] += 1
            overlaps[0] += parsing[0] > 1
        time.sleep(0.0005)
        try:
            return literal_eval(text)
        finally:
            with count:
                parsing[0] -= 1

    monkeypatch.setattr(ast, "literal_eval", slow_parse)

    def read() -> None:
        try:
            for _ in range(5):
                assert Calibration.load(tmp_path / "c.npz").added == 3
                assert read_npy(tmp_path / "ids.npy").sum() == 45
                assert "kick" in classifier.identify().classes
        except BaseException as e:  # noqa: BLE001 - a failure on any thread counts
            failures.append(e)

    threads = [threading.Thread(target=read) for _ in range(3)]
    for t in threads:
        t.start()
    read()
    for t in threads:
        t.join()
    assert not failures, failures[:3]
    assert overlaps[0] == 0


def test_read_npz_reads_every_array_or_those_named(tmp_path: Path) -> None:
    np.savez(tmp_path / "a.npz", x=np.arange(3), y=np.ones((2, 2)))
    arrays = read_npz(tmp_path / "a.npz")
    assert sorted(arrays) == ["x", "y"]
    assert arrays["x"].tolist() == [0, 1, 2] and arrays["y"].shape == (2, 2)
    assert list(read_npz(tmp_path / "a.npz", {"y", "z"})) == ["y"]
