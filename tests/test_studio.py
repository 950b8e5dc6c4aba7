"""Mutations over OSC: rendered into the session folder, catalogued with their parent,
announced with /dirigent/stem/ready; knob floods coalesce; variations and suggestions."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import soundfile as sf

from bridge.osc.server import OscServer
from dirigent.catalog import Catalog
from tests.conftest import ask, assert_fully_indexed, caught_up, decode, index_builds


def wait_ready(server: OscServer, count: int = 1, timeout_s: float = 30.0) -> list[list[Any]]:
    """The next ``count`` /dirigent/stem/ready announcements (errors fail the test)."""
    got: list[list[Any]] = []
    deadline = time.monotonic() + timeout_s
    while len(got) < count and time.monotonic() < deadline:
        for address, args in decode(server.later()):
            assert address == "/dirigent/stem/ready", (address, args)
            got.append(args)
        time.sleep(0.02)
    assert len(got) == count, f"{len(got)} of {count} renders announced"
    return got


def stem_of(daemon: Any, name: str) -> int:
    return next(
        int(i)
        for i, p in zip(daemon.searcher.ids, daemon.searcher.paths, strict=True)
        if name in str(p)
    )


def test_a_mutation_is_rendered_catalogued_and_announced(server: OscServer, daemon: Any) -> None:
    loop = stem_of(daemon, "Bassline_01")  # 124 BPM in Am
    ask(server, "/dirigent/transport/tempo", 130.0)
    [(address, (stem, name))] = ask(server, "/dirigent/mutate", loop, "stretch", 1.0, "drive", 0.4)
    assert address == "/dirigent/mutate/queued" and stem == loop and "130bpm" in name
    [(path, new_id, bpm, bars, key, launch)] = wait_ready(server)
    # announced means served: a client may ask for it at once
    assert ask(server, "/dirigent/search/like", str(new_id))[-1][0] == "/dirigent/results/end"
    rendered = Path(path)
    assert rendered.parent == daemon.folder and rendered.name.endswith(f"__{name}.wav")
    info = sf.info(rendered)
    assert info.subtype == "PCM_24" and info.channels >= 1
    assert bpm == pytest.approx(130.0) and bars == pytest.approx(round(bars))
    assert launch % 4 == 0
    with Catalog(daemon.config.db, read_only=True) as catalog:
        made = catalog.mutation_of(new_id)
        assert made is not None and made["parent_id"] == loop and made["tempo"] == 130.0
    assert key == "" or key.endswith("m") or key  # the analysis may name a key


def test_a_knob_flood_coalesces_and_the_last_value_wins(server: OscServer, daemon: Any) -> None:
    kick = stem_of(daemon, "Kick_01")
    ask(server, "/dirigent/mutate", kick)
    wait_ready(server)
    renders_before = daemon.studio.renders
    for i in range(200):
        assert (
            ask(server, "/dirigent/param", "filter", 0.3 + i * 0.001)[0][0] == "/dirigent/param/ok"
        )
    ready = []
    deadline = time.monotonic() + 20
    while daemon.studio.waiting or time.monotonic() < deadline - 18:
        ready += decode(server.later())
        time.sleep(0.05)
    time.sleep(1.0)
    ready += decode(server.later())
    renders = daemon.studio.renders - renders_before
    assert 1 <= renders <= 10, renders  # 200 moves, a handful of renders
    assert daemon.studio.coalesced >= 150
    assert "filter50" in ready[-1][1][0]  # the last value: 0.499 -> 50


def test_variations_are_seeded_and_distinct(server: OscServer, daemon: Any) -> None:
    hat = stem_of(daemon, "Closed_Hat_01")
    assert ask(server, "/dirigent/variations", hat, 3) == [
        ("/dirigent/variations/queued", [hat, 3])
    ]
    paths = {args[0] for args in wait_ready(server, 3)}
    assert len(paths) == 3


@contextmanager
def renders_landing_while_the_log_is_busy(daemon: Any, count: int) -> Iterator[None]:
    """Hold the log thread (as a reload of seconds does in a big library) while ``count``
    renders land; let it go on leaving the block."""
    held, release = threading.Event(), threading.Event()

    def busy(_catalog: Catalog) -> None:
        held.set()
        release.wait(30)

    daemon.log.submit(busy)
    assert held.wait(10)
    renders = daemon.studio.renders
    try:
        yield
        deadline = time.monotonic() + 30
        while daemon.studio.renders < renders + count and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.1)  # the last render's hand-over to the log thread
    finally:
        release.set()


def test_renders_that_land_together_are_served_with_one_reload_and_indexed_after(
    server: OscServer, daemon: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dirigent import ingest

    builds = index_builds(monkeypatch)
    ingests: list[list[Path]] = []
    ingest_all = ingest.ingest

    def counted(roots: list[Path], *args: Any, **kwargs: Any) -> Any:
        ingests.append(roots)
        return ingest_all(roots, *args, **kwargs)

    monkeypatch.setattr(ingest, "ingest", counted)
    hat = stem_of(daemon, "Closed_Hat_01")
    reloads, backend = daemon.reloads, daemon.backend
    with renders_landing_while_the_log_is_busy(daemon, 3):
        ask(server, "/dirigent/variations", hat, 3)
    announced = wait_ready(server, 3)
    assert daemon.reloads == reloads + 1 and len(ingests) == 1 and len(ingests[0]) == 3
    assert daemon.backend is not backend  # calibrated on the new library...
    assert daemon.backend.model is backend.model  # ...with the category model already loaded
    assert {int(args[1]) for args in announced} <= {int(i) for i in daemon.searcher.ids}
    assert len({args[0] for args in announced}) == 3
    assert caught_up(daemon)
    assert builds == [(3, len(daemon.searcher))]  # served at once beside the old index...
    assert_fully_indexed(daemon.searcher)  # ...then indexed after the announcement


def test_a_render_landing_while_the_index_builds_is_served_without_waiting_for_it(
    server: OscServer, daemon: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dirigent import search

    builds = index_builds(monkeypatch)
    building, release = threading.Event(), threading.Event()
    complete_index = search.Searcher.complete_index

    def slow(searcher: search.Searcher) -> bool:  # a build of seconds, as at 100k stems
        if searcher.served[1].size:
            building.set()
            release.wait(30)
        return complete_index(searcher)

    monkeypatch.setattr(search.Searcher, "complete_index", slow)
    hat = stem_of(daemon, "Closed_Hat_01")
    try:
        ask(server, "/dirigent/mutate", hat, "drive", 0.5)
        wait_ready(server)
        assert building.wait(30)  # the first render's index is being built...
        ask(server, "/dirigent/mutate", hat, "drive", 0.9)
        [args] = wait_ready(server)  # ...and the second is served and announced meanwhile
        assert int(args[1]) in {int(i) for i in daemon.searcher.ids}
        assert not release.is_set() and not builds
    finally:
        release.set()
    assert caught_up(daemon)
    assert_fully_indexed(daemon.searcher)


def test_a_render_that_cannot_be_catalogued_costs_only_itself(
    server: OscServer, daemon: Any
) -> None:
    hat = stem_of(daemon, "Closed_Hat_01")
    before = set(daemon.folder.glob("*.wav"))
    with renders_landing_while_the_log_is_busy(daemon, 2):
        ask(server, "/dirigent/variations", hat, 2)
    lost = sorted(set(daemon.folder.glob("*.wav")) - before)[0]
    lost.unlink()  # gone before the log thread catalogues it
    replies: list[tuple[str, list[Any]]] = []
    deadline = time.monotonic() + 30
    while len(replies) < 2 and time.monotonic() < deadline:
        replies += decode(server.later())
        time.sleep(0.02)
    assert sorted(address for address, _ in replies) == ["/dirigent/error", "/dirigent/stem/ready"]
    error = next(args for address, args in replies if address == "/dirigent/error")
    assert error == [
        "/dirigent/mutate",
        f"the render {lost} could not be catalogued (gone or unreadable)",
    ]
    ready = next(args for address, args in replies if address == "/dirigent/stem/ready")
    assert ready[0] != str(lost) and int(ready[1]) in {int(i) for i in daemon.searcher.ids}


def test_suggestions_complete_a_kick(server: OscServer, daemon: Any) -> None:
    kick = stem_of(daemon, "Kick_02")
    replies = ask(server, "/dirigent/suggest", kick, 6)
    assert replies[-1][0] == "/dirigent/results/end" and replies[-1][1][1] == 6
    categories = [args[3] for _, args in replies[:-1]]
    assert categories[0] == "bass" and "hihat" in categories and "kick" not in categories


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ((999999,), "no stem with id 999999"),
        ((1, "wobble", 0.5), "unknown parameter 'wobble'"),
        ((1, "drive", 2.0), "drive=2.0"),
        ((1, "drive"), "expects (i:stem_id [s:param f:value]...)"),
        ((1, 0.5, "drive"), "param must be a string"),
        ((1, "seed", -1.0), "seed=-1.0 must be a whole number"),
        ((1, "seed", 2.5), "seed=2.5 must be a whole number"),
        ((1, "layer_stem", 2.5), "layer_stem=2.5 must be a whole number"),
    ],
)
def test_bad_mutations_are_refused(server: OscServer, args: tuple[Any, ...], reason: str) -> None:
    [(address, (where, why))] = ask(server, "/dirigent/mutate", *args)
    assert address == "/dirigent/error" and where == "/dirigent/mutate" and reason in why


def test_a_stored_mutation_re_renders_the_same_samples(server: OscServer, daemon: Any) -> None:
    from dirigent.mutate import Mutation
    from dirigent.studio import Request, render_request

    loop = stem_of(daemon, "Drum_Loop_01")
    ask(server, "/dirigent/mutate", loop, "slice", 0.6, "gate", 0.4, "crush", 0.3)
    [(path, new_id, *_)] = wait_ready(server)
    with Catalog(daemon.config.db, read_only=True) as catalog:
        made = catalog.mutation_of(new_id)
    assert made is not None
    mutation = Mutation.of(
        made["parent_id"], json.loads(made["params"]), seed=made["seed"], tempo=made["tempo"]
    )
    again = render_request(
        Request(mutation, daemon._source(loop), None, "", "x"), daemon.folder / "again"
    )
    assert again.path.read_bytes() == Path(path).read_bytes()


def test_a_knob_turn_keeps_what_the_mutation_set(server: OscServer, daemon: Any) -> None:
    loop = stem_of(daemon, "Perc_Loop_01")
    ask(server, "/dirigent/mutate", loop, "drive", 0.4, "filter", 0.3)
    wait_ready(server)
    ask(server, "/dirigent/param", "gate", 0.5)
    [(path, *_)] = wait_ready(server)
    assert "drive40" in path and "filter30" in path and "gate50" in path
    ask(server, "/dirigent/variations", loop, 1)
    wait_ready(server)
    assert daemon.knobs == pytest.approx(
        {"drive": 0.4, "filter": 0.3, "gate": 0.5}
    )  # float32 on the wire; variants leave the knobs be


def test_the_command_line_renders_a_mutation_and_catalogues_it_with_its_parent(
    cli: Any, kit: Any, tmp_path: Path
) -> None:
    loop = next(f.path for f in kit if "Bassline_01" in f.path.name)  # 124 BPM
    assert cli("ingest", "-q", str(loop))[0] == 0
    asked = ("stretch=1", "drive=0.4", "--tempo", "130", "--seed", "5", "--json")
    rc, out, err = cli("mutate", str(loop), *asked)
    assert rc == 0, err
    made = json.loads(out)
    rendered = Path(made["path"])
    assert rendered.parent == tmp_path / "renders"
    assert rendered.name.endswith("__drive40_130bpm_s5.wav")
    assert sf.info(rendered).subtype == "PCM_24"
    assert made["bpm"] == 130.0 and made["bars"] == round(made["bars"]) > 0
    with Catalog(tmp_path / "stems.duckdb", read_only=True) as catalog:
        parent = catalog.stem_at(str(loop))
        row = catalog.mutation_of(made["stem_id"])
    assert parent is not None and made["parent_id"] == parent["id"] != made["stem_id"]
    assert row is not None and row["parent_id"] == parent["id"] and row["session"] == "cli"
    assert (row["seed"], row["tempo"]) == (5, 130.0)
    assert json.loads(row["params"]) == {"drive": 0.4, "stretch": 1.0}
    # by stem id, the same mutation renders the same samples into the same stem
    first = rendered.read_bytes()
    rc, out, err = cli("mutate", str(parent["id"]), *asked)
    assert rc == 0 and json.loads(out)["stem_id"] == made["stem_id"]
    assert rendered.read_bytes() == first
    # a render is a stem like any other: it mutates in turn
    rc, out, err = cli("mutate", str(made["stem_id"]), "reverse=1")
    assert rc == 0 and out.startswith(
        f"stem {made['stem_id'] + 1} <- stem {made['stem_id']} rev_s1"
    )


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("999", "drive=0.4"), "no stem with id 999"),
        (("nowhere.wav", "drive=0.4"), "nowhere.wav: neither a stem id nor a catalogued file"),
        (("LOOP", "wobble=0.3"), "unknown parameter 'wobble'"),
        (("LOOP", "drive=1.5"), "drive=1.5 must be in 0..1"),
        (("LOOP", "drive"), "'drive': use NAME=VALUE"),
        (("LOOP", "stretch=1"), "stretch=1 needs --tempo BPM"),
        (("LOOP", "layer=0.5"), "layer needs --layer STEM"),
        (("LOOP", "layer=0.5", "--layer", "999"), "no stem with id 999"),
        (("LOOP", "slice=0.5", "--seed", "-1"), "seed=-1 must be a whole number"),
        (("LOOP", "--tempo", "5"), "use a tempo in 20..999"),
    ],
)
def test_the_command_line_refuses_a_bad_mutation_and_writes_nothing(
    cli: Any, kit: Any, tmp_path: Path, args: tuple[str, ...], reason: str
) -> None:
    loop = next(f.path for f in kit if "Bassline_01" in f.path.name)
    assert cli("ingest", "-q", str(loop))[0] == 0
    rc, out, err = cli("mutate", *(str(loop) if a == "LOOP" else a for a in args))
    assert rc == 2 and reason in err and not out
    assert not (tmp_path / "renders").exists()
    with Catalog(tmp_path / "stems.duckdb", read_only=True) as catalog:
        assert catalog.counts()["stems"] == 1
