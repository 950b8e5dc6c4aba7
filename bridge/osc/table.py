"""The one table of OSC addresses: the server's dispatcher, docs/osc.md, the Max for Live patch
and the TouchOSC layout are all checked against it. Handlers are plain functions
``f(ctx, *args) -> replies``; only the transport sends."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Protocol

from dirigent.daemon import STAGE_PRESETS, STAGE_ROWS, Daemon
from dirigent.mutate import PARAMS

Reply = tuple[str, tuple[Any, ...]]
PREFIX = "/dirigent"


class Context(Protocol):
    """What a handler may know of the server: the daemon, who asked, and the client table."""

    daemon: Daemon
    client: str

    def clients(self) -> int: ...

    def backlog(self) -> tuple[int, int]:
        """Messages waiting behind this one, and those dropped since the start because the
        backlog was full."""

    def set_reply_port(self, port: int) -> None: ...

    def set_listening(self, on: bool) -> None: ...

    def reply_later(self, answer: Future[Any], replies: Callable[[Any], list[Reply]]) -> None:
        """Send ``replies(result)`` (or the error) when ``answer`` is done."""


@dataclass(frozen=True)
class Arg:
    """One argument: OSC type tag (``i`` int32, ``f`` float32, ``s`` string), name, meaning;
    optional arguments come last and take ``default`` when left out."""

    tag: str
    name: str
    meaning: str
    optional: bool = False
    default: Any = None


@dataclass(frozen=True)
class Route:
    """An address clients send to, what it takes, what comes back and what it does."""

    address: str
    args: tuple[Arg, ...]
    replies: tuple[str, ...]
    meaning: str
    handler: Callable[..., list[Reply]] = field(repr=False, compare=False)
    rest: tuple[Arg, ...] = ()  # a group that may repeat after ``args`` (name/value pairs)


def ping(ctx: Context) -> list[Reply]:
    return [(f"{PREFIX}/pong", ())]


def status(ctx: Context) -> list[Reply]:
    s = ctx.daemon.status()
    return [
        (
            f"{PREFIX}/status/reply",
            (
                s["backend"],
                s["stems"],
                float(s["index_age_s"]),
                float(s["uptime_s"]),
                ctx.clients(),
                *ctx.backlog(),
            ),
        )
    ]


def search(ctx: Context, prompt: str, top_k: int, category: str, discover: int) -> list[Reply]:
    category = "" if category.strip().lower() == "any" else category
    answer = ctx.daemon.search(
        prompt, top_k=top_k, category=category, discover=bool(discover), client=ctx.client
    )
    return _results(answer)


def more_like(ctx: Context, example: str, top_k: int, discover: int) -> list[Reply]:
    answer = ctx.daemon.more_like(example, top_k=top_k, discover=bool(discover), client=ctx.client)
    if answer.done():
        return _results(answer.result())
    ctx.reply_later(answer, _results)  # a file the catalog lacks: it is listened to first
    return []


def _results(answer: Any) -> list[Reply]:
    replies: list[Reply] = [
        (
            f"{PREFIX}/result",
            (r.rank, r.path, float(r.score), r.category or "", r.stem_id, int(r.new)),
        )
        for r in answer.results
    ]
    replies.append(
        (
            f"{PREFIX}/results/end",
            (
                answer.query_id,
                len(answer.results),
                float(round(answer.latency_ms, 3)),
                " ".join(answer.not_understood),
                answer.why_none,
            ),
        )
    )
    return replies


def mutate(ctx: Context, stem_id: int, *pairs: Any) -> list[Reply]:
    params = dict(zip(pairs[::2], pairs[1::2], strict=True))
    mutation = ctx.daemon.mutate(stem_id, params, client=ctx.client)
    return [(f"{PREFIX}/mutate/queued", (stem_id, mutation.describe()))]


def param(ctx: Context, name: str, value: float) -> list[Reply]:
    ctx.daemon.param(name, value, client=ctx.client)
    return [(f"{PREFIX}/param/ok", (name, value))]


def variations(ctx: Context, stem_id: int, count: int) -> list[Reply]:
    made = ctx.daemon.variations(stem_id, count, client=ctx.client)
    return [(f"{PREFIX}/variations/queued", (stem_id, len(made)))]


def suggest(ctx: Context, stem_id: int, top_k: int) -> list[Reply]:
    return _results(ctx.daemon.suggest(stem_id, top_k=top_k, client=ctx.client))


def launch(ctx: Context, stem_id: int, loop: int, slot: str) -> list[Reply]:
    ctx.daemon.launch_soon(stem_id, loop=loop, slot=slot, client=ctx.client)
    return []  # /dirigent/play/scheduled follows from the playback thread


def stop(ctx: Context) -> list[Reply]:
    ctx.daemon.stop_playback(client=ctx.client)
    return [(f"{PREFIX}/stop/ok", ())]


def midi_learn(ctx: Context, param: str) -> list[Reply]:
    ctx.daemon.midi_learn(param, client=ctx.client)
    return [(f"{PREFIX}/midi/learn/armed", (param,))]


def like(ctx: Context, stem_id: int) -> list[Reply]:
    query_id = ctx.daemon.feedback(stem_id, "like", client=ctx.client)
    return [(f"{PREFIX}/feedback/ok", (stem_id, "like", query_id or 0))]


def skip(ctx: Context, stem_id: int) -> list[Reply]:
    query_id = ctx.daemon.feedback(stem_id, "skip", client=ctx.client)
    return [(f"{PREFIX}/feedback/ok", (stem_id, "skip", query_id or 0))]


def tempo(ctx: Context, bpm: float) -> list[Reply]:
    ctx.daemon.tempo(bpm, client=ctx.client)
    return []


def beat(ctx: Context, position: float) -> list[Reply]:
    ctx.daemon.beat(position, client=ctx.client)
    return []


def play(ctx: Context, playing: int) -> list[Reply]:
    ctx.daemon.play(bool(playing), client=ctx.client)
    return []


def signature(ctx: Context, numerator: int, denominator: int) -> list[Reply]:
    ctx.daemon.signature(numerator, denominator, client=ctx.client)
    return []


def next_bar(ctx: Context) -> list[Reply]:
    beat_at, in_s = ctx.daemon.next_bar()
    return [(f"{PREFIX}/transport/next_bar/reply", (float(beat_at), float(in_s)))]


def rescan(ctx: Context) -> list[Reply]:
    ctx.daemon.rescan()
    return [(f"{PREFIX}/library/rescan/started", ())]


def listen(ctx: Context, on: int) -> list[Reply]:
    ctx.set_listening(bool(on))
    return [(f"{PREFIX}/listen/ok", (int(bool(on)),))]


def client_error(ctx: Context, address: str, reason: str) -> list[Reply]:
    ctx.daemon.client_error(address, reason, client=ctx.client)
    return []


def reply_port(ctx: Context, port: int) -> list[Reply]:
    ctx.set_reply_port(port)
    return [(f"{PREFIX}/reply_port/ok", (port,))]


def _labels(answer: Any) -> list[Reply]:
    """A stage page's result rows: one label per row, marked where the sound is new to the user
    (empty rows cleared); with no hit, the first row says why."""
    names = [
        f"{r.rank}. {r.path.rsplit('/', 1)[-1]}{' · new' if r.new else ''}" for r in answer.results
    ]
    names = names or [answer.why_none]
    names += [""] * (STAGE_ROWS - len(names))
    return [(f"{PREFIX}/stage/row/{n}", (text,)) for n, text in enumerate(names, 1)]


def _button(act: Callable[[Context], list[Reply]]) -> Callable[..., list[Reply]]:
    """A tablet button: it sends 1 when pressed and 0 when released; ``act`` on the press."""

    def handler(ctx: Context, press: float) -> list[Reply]:
        return act(ctx) if press >= 0.5 else []

    return handler


def stage_preset(number: int) -> Callable[..., list[Reply]]:
    def act(ctx: Context) -> list[Reply]:
        answer = ctx.daemon.preset(number, client=ctx.client)
        return _results(answer) + _labels(answer)

    return _button(act)


def stage_row(row: int) -> Callable[..., list[Reply]]:
    return _button(lambda ctx: [(f"{PREFIX}/stage/selected", (row, ctx.daemon.select(row)))])


def stage_launch(row: int) -> Callable[..., list[Reply]]:
    return _button(lambda ctx: launch(ctx, ctx.daemon.select(row), -1, "main"))


def stage_feedback(action: str) -> Callable[..., list[Reply]]:
    give = {"like": like, "skip": skip}[action]
    return _button(lambda ctx: give(ctx, ctx.daemon.selected_stem()))


stage_mutate = _button(lambda ctx: mutate(ctx, ctx.daemon.selected_stem()))


def stage_discover(ctx: Context, on: float) -> list[Reply]:
    ctx.daemon.discover_on_stage(on >= 0.5, client=ctx.client)
    return []


def knob(name: str) -> Callable[..., list[Reply]]:
    def handler(ctx: Context, value: float) -> list[Reply]:
        ctx.daemon.param(name, value, client=ctx.client)
        return []

    return handler


PRESS = Arg("f", "press", "1 pressed, 0 released (buttons send both)")
RESULTS = (  # the replies of every search: one per hit, then the end
    f"{PREFIX}/result i:rank s:path f:score s:category i:stem_id i:new (one per hit; new: 1 if "
    "never returned before)",
    f"{PREFIX}/results/end i:query_id i:count f:latency_ms s:not_understood s:why_none",
)
STAGE: tuple[Route, ...] = (
    *(
        Route(
            f"{PREFIX}/stage/preset/{n}",
            (PRESS,),
            (*RESULTS, f"{PREFIX}/stage/row/1..{STAGE_ROWS} s:label (one per row)"),
            f'Stage: search for preset {n} ("{prompt}").',
            stage_preset(n),
        )
        for n, prompt in enumerate(STAGE_PRESETS, 1)
    ),
    *(
        Route(
            f"{PREFIX}/stage/select/{n}",
            (PRESS,),
            (f"{PREFIX}/stage/selected i:row i:stem_id",),
            f"Stage: choose result row {n}.",
            stage_row(n),
        )
        for n in range(1, STAGE_ROWS + 1)
    ),
    *(
        Route(
            f"{PREFIX}/stage/launch/{n}",
            (PRESS,),
            (f"{PREFIX}/play/scheduled i:stem_id f:beat f:seconds_from_now (later)",),
            f"Stage: play result row {n} from the next bar.",
            stage_launch(n),
        )
        for n in range(1, STAGE_ROWS + 1)
    ),
    Route(
        f"{PREFIX}/stage/like",
        (PRESS,),
        (f"{PREFIX}/feedback/ok i:stem_id s:action i:query_id",),
        "Stage: like the chosen result.",
        stage_feedback("like"),
    ),
    Route(
        f"{PREFIX}/stage/skip",
        (PRESS,),
        (f"{PREFIX}/feedback/ok i:stem_id s:action i:query_id",),
        "Stage: skip the chosen result.",
        stage_feedback("skip"),
    ),
    Route(
        f"{PREFIX}/stage/mutate",
        (PRESS,),
        (
            f"{PREFIX}/mutate/queued i:stem_id s:name",
            f"{PREFIX}/stem/ready s:path i:stem_id f:bpm f:bars s:key f:launch_beat (later)",
        ),
        "Stage: render the chosen result with the session's knobs.",
        stage_mutate,
    ),
    Route(
        f"{PREFIX}/stage/discover",
        (Arg("f", "on", "1 on, 0 off (a toggle)"),),
        (),
        "Stage: the presets answer with at least half their rows new to you (a preset "
        "pressed again shows other sounds), or not.",
        stage_discover,
    ),
    *(
        Route(
            f"{PREFIX}/knob/{name}",
            (Arg("f", "value", "0..1 (a fader)"),),
            (),
            f"A fader for the session knob {name}: {param.meaning}.",
            knob(name),
        )
        for name, param in PARAMS.items()
    ),
)

TOP_K = Arg("i", "top_k", "results wanted, 1..100", optional=True, default=10)
DISCOVER = Arg("i", "discover", "1: at least half the results new to you; 0: off", True, 0)
STEM = Arg("i", "stem_id", "a stem id from /dirigent/result")
ROUTES: tuple[Route, ...] = (
    Route(f"{PREFIX}/ping", (), (f"{PREFIX}/pong",), "Is the daemon there?", ping),
    Route(
        f"{PREFIX}/status",
        (),
        (
            f"{PREFIX}/status/reply s:backend i:stems f:index_age_s f:uptime_s i:clients "
            "i:backlog i:dropped",
        ),
        "Backend, stems served, index age, uptime, clients seen, messages waiting behind this "
        "one, and messages dropped since the start because too many waited.",
        status,
    ),
    Route(
        f"{PREFIX}/search",
        (
            Arg("s", "prompt", 'what to find, e.g. "dark hypnotic kick 130bpm"'),
            TOP_K,
            Arg(
                "s", "category", 'only this category (kick, bass, ...); "" or "any": any', True, ""
            ),
            DISCOVER,
        ),
        RESULTS,
        "Text search; hard constraints in the prompt (130bpm, in A minor, loop, one-shot, "
        "short, no kick) filter. With discover, at least half the results are stems no search "
        "returned before, where enough are similar enough. A prompt of which no word is "
        "understood, or an unknown category, is answered with /dirigent/error; an answer with "
        "no hit says why in why_none.",
        search,
    ),
    Route(
        f"{PREFIX}/search/like",
        (
            Arg("s", "example", "a stem id, or an audio file inside the library roots"),
            TOP_K,
            DISCOVER,
        ),
        RESULTS,
        "More like this: stems that sound like the example (discover: as for /dirigent/search). "
        "An audio file the catalog lacks "
        "is listened to first (seconds for a full track): its results come later, and every "
        "other message is answered meanwhile.",
        more_like,
    ),
    Route(
        f"{PREFIX}/mutate",
        (STEM,),
        (
            f"{PREFIX}/mutate/queued i:stem_id s:name",
            f"{PREFIX}/stem/ready s:path i:stem_id f:bpm f:bars s:key f:launch_beat (later)",
        ),
        "Render a new stem from this one with the session's knobs and the given parameters "
        "(0..1; also seed and layer_stem); it is catalogued with its parent and announced.",
        mutate,
        rest=(Arg("s", "param", "a parameter name"), Arg("f", "value", "its value")),
    ),
    Route(
        f"{PREFIX}/param",
        (Arg("s", "name", "a mutation parameter"), Arg("f", "value", "0..1")),
        (f"{PREFIX}/param/ok s:name f:value",),
        "Turn a session knob; the stem it shapes re-renders (coalesced, paced).",
        param,
    ),
    Route(
        f"{PREFIX}/variations",
        (STEM, Arg("i", "count", "variants wanted, 1..16")),
        (
            f"{PREFIX}/variations/queued i:stem_id i:count",
            f"{PREFIX}/stem/ready s:path i:stem_id f:bpm f:bars s:key f:launch_beat (each, later)",
        ),
        "Seeded variants of a stem, each with a few knobs turned.",
        variations,
    ),
    Route(
        f"{PREFIX}/suggest",
        (STEM, Arg("i", "top_k", "suggestions wanted, 1..100", optional=True, default=8)),
        RESULTS,
        "Stems that complete this one (a bass for a kick, ...), in a compatible key and tempo.",
        suggest,
    ),
    Route(
        f"{PREFIX}/play",
        (
            STEM,
            Arg("i", "loop", "1 loop, 0 once, -1 as the stem is", optional=True, default=-1),
            Arg("s", "slot", "a slot replaces what played in it", optional=True, default="main"),
        ),
        (f"{PREFIX}/play/scheduled i:stem_id f:beat f:seconds_from_now",),
        "Play a stem through the daemon's output from the next bar (crossfading the slot).",
        launch,
    ),
    Route(f"{PREFIX}/stop", (), (f"{PREFIX}/stop/ok",), "Fade out all playback.", stop),
    Route(
        f"{PREFIX}/midi/learn",
        (Arg("s", "param", "the mutation parameter the next moved control will turn"),),
        (
            f"{PREFIX}/midi/learn/armed s:param",
            f"{PREFIX}/midi/learned s:param i:channel i:control s:kind (when a control "
            "moves; kind cc or nrpn)",
        ),
        "MIDI learn: the next control moved is bound (and saved to the mapping file).",
        midi_learn,
    ),
    Route(
        f"{PREFIX}/like",
        (STEM,),
        (f"{PREFIX}/feedback/ok i:stem_id s:action i:query_id",),
        "Later searches for the same prompt move toward this stem.",
        like,
    ),
    Route(
        f"{PREFIX}/skip",
        (STEM,),
        (f"{PREFIX}/feedback/ok i:stem_id s:action i:query_id",),
        "Later searches for the same prompt leave this stem out.",
        skip,
    ),
    Route(
        f"{PREFIX}/transport/tempo",
        (Arg("f", "bpm", "session tempo, 20..999"),),
        (),
        "Tempo change (Live's song tempo).",
        tempo,
    ),
    Route(
        f"{PREFIX}/transport/beat",
        (Arg("f", "beat", "song position in beats (quarter notes)"),),
        (),
        "Song position report; jitter is smoothed, a jump is a locate.",
        beat,
    ),
    Route(
        f"{PREFIX}/transport/play",
        (Arg("i", "playing", "1 playing, 0 stopped"),),
        (),
        "Transport started or stopped.",
        play,
    ),
    Route(
        f"{PREFIX}/transport/signature",
        (Arg("i", "numerator", "beats per bar, 1..32"), Arg("i", "denominator", "1..32")),
        (),
        "Time signature.",
        signature,
    ),
    Route(
        f"{PREFIX}/transport/next_bar",
        (),
        (f"{PREFIX}/transport/next_bar/reply f:beat f:seconds_from_now",),
        "When the next bar starts (0 s while stopped: a stem lands at once).",
        next_bar,
    ),
    Route(
        f"{PREFIX}/library/rescan",
        (),
        (f"{PREFIX}/library/rescan/started",),
        "Ingest the library roots again; the index reloads when done.",
        rescan,
    ),
    Route(
        f"{PREFIX}/listen",
        (Arg("i", "on", "1: also receive every /dirigent/stem/ready, whoever asked"),),
        (f"{PREFIX}/listen/ok i:on",),
        "Subscribe to announcements (the Remote Script loads every rendered stem).",
        listen,
    ),
    Route(
        f"{PREFIX}/error",
        (Arg("s", "address", "what failed"), Arg("s", "reason", "why")),
        (),
        "A client reports a failure on its side (logged with the session).",
        client_error,
    ),
    Route(
        f"{PREFIX}/reply_port",
        (Arg("i", "port", "where replies to this client go; 0: back to its source port"),),
        (f"{PREFIX}/reply_port/ok i:port",),
        "Choose the reply port (default: the daemon's reply port, 9001).",
        reply_port,
    ),
)
ROUTES = (*ROUTES, *STAGE)
ERROR = f"{PREFIX}/error s:address s:reason"


def reply_addresses() -> set[str]:
    """Every address the daemon sends (ranges like ``row/1..8`` expanded)."""
    out = {ERROR.split()[0]}
    for route in ROUTES:
        for reply in route.replies:
            address = reply.split()[0]
            if ".." in address:
                stem, _, span = address.rpartition("/")
                lo, hi = span.split("..")
                out |= {f"{stem}/{n}" for n in range(int(lo), int(hi) + 1)}
            else:
                out.add(address)
    return out


BY_ADDRESS = {r.address: r for r in ROUTES}
