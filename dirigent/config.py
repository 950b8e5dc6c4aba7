"""Effective configuration: CLI flags beat DIRIGENT_* variables, which beat dirigent.toml, which
beats the defaults defined here (the one place defaults live)."""

from __future__ import annotations

import os
import re
import sys
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dirigent.errors import ConfigError

CONFIG_NAME = "dirigent.toml"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def _path(value: Any) -> Path:
    if not isinstance(value, str | os.PathLike) or not str(value):
        raise TypeError(f"expected a path, got {value!r}")
    return Path(value).expanduser()


def _paths(value: Any) -> tuple[Path, ...]:
    if isinstance(value, str):
        value = [p for p in value.split(os.pathsep) if p]
    if not isinstance(value, list | tuple):
        raise TypeError(f"expected a list of paths, got {value!r}")
    return tuple(_path(p) for p in value)


def _log_level(value: Any) -> str:
    level = str(value).upper()
    if level not in LOG_LEVELS:
        raise ValueError(f"log level {value!r} must be one of {', '.join(LOG_LEVELS)}")
    return level


def _positive_float(value: Any) -> float:
    number = float(value)
    if not number > 0:
        raise ValueError(f"{value!r} must be a positive number")
    return number


def _workers(value: Any) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(f"workers={value!r} must be >= 0 (0 means one per CPU core)")
    return number


def _torch_device(value: Any) -> str:
    name = str(value).strip().lower()
    if not re.fullmatch(r"auto|cpu|mps|cuda(:\d+)?", name):
        raise ValueError(f"torch_device {value!r} must be auto, cpu, cuda, cuda:N or mps")
    return name


def _port(value: Any) -> int:
    number = int(value)
    if not 1 <= number <= 65535:
        raise ValueError(f"port {value!r} must be in 1..65535")
    return number


def _host(value: Any) -> str:
    text = str(value).strip()
    if not text or any(c.isspace() for c in text):
        raise ValueError(f"{value!r} is not a host name or address")
    return text


def _addresses(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [a for a in value.replace(",", " ").split() if a]
    if not isinstance(value, list | tuple):
        raise TypeError(f"expected a list of addresses, got {value!r}")
    return tuple(_host(a) for a in value)


def _rate(value: Any) -> float:
    number = float(value)
    if number < 0:
        raise ValueError(f"rate {value!r} must be >= 0 (0: no limit)")
    return number


BACKENDS = ("listen", "clap")


def _backend(value: Any) -> str:
    name = str(value).lower()
    if name not in BACKENDS:
        raise ValueError(f"backend {value!r} must be one of {', '.join(BACKENDS)}")
    return name


def _name(value: Any) -> str:
    text = str(value).strip()
    if not text or Path(text).is_absolute() or ".." in Path(text).parts:
        raise ValueError(f"{value!r} is not a name of a checkpoint in the models folder")
    return text


@dataclass(frozen=True)
class Setting:
    """One configuration key: its TOML name, environment variable, parser and default."""

    name: str
    env: str
    parse: Callable[[Any], Any]
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "db", "DIRIGENT_DB", _path, Path("processed_database/stems.duckdb"), "DuckDB catalog file"
    ),
    Setting(
        "library",
        "DIRIGENT_LIBRARY",
        _paths,
        (),
        f"sample library roots ('{os.pathsep}'-separated in the environment)",
    ),
    Setting("models", "DIRIGENT_MODELS", _path, Path("models"), "model cache directory"),
    Setting("log_level", "DIRIGENT_LOG_LEVEL", _log_level, "INFO", "logging level"),
    Setting(
        "max_file_mb",
        "DIRIGENT_MAX_FILE_MB",
        _positive_float,
        512.0,
        "files larger than this are refused at ingest (MB)",
    ),
    Setting(
        "workers", "DIRIGENT_WORKERS", _workers, 0, "ingest worker processes (0: one per core)"
    ),
    Setting(
        "backend",
        "DIRIGENT_BACKEND",
        _backend,
        "listen",
        "embedding backend: listen (offline, default) or clap",
    ),
    Setting(
        "clap_model",
        "DIRIGENT_CLAP_MODEL",
        _name,
        "larger_clap_music_and_speech",
        "CLAP checkpoint under the models directory: a Hugging Face folder or a LAION .pt",
    ),
    Setting(
        "torch_device",
        "DIRIGENT_TORCH_DEVICE",
        _torch_device,
        "auto",
        "where CLAP and Demucs run: auto (a CUDA or Apple GPU if any), cpu, cuda[:N], mps",
    ),
    Setting("osc_listen", "DIRIGENT_OSC_LISTEN", _host, "127.0.0.1", "address the daemon binds"),
    Setting("osc_port", "DIRIGENT_OSC_PORT", _port, 9000, "UDP port the daemon listens on"),
    Setting(
        "osc_reply_port",
        "DIRIGENT_OSC_REPLY_PORT",
        _port,
        9001,
        "UDP port replies go to, on the sender's host",
    ),
    Setting(
        "osc_allow",
        "DIRIGENT_OSC_ALLOW",
        _addresses,
        (),
        "client addresses or networks allowed when listening beyond loopback",
    ),
    Setting(
        "osc_rate",
        "DIRIGENT_OSC_RATE",
        _rate,
        1000.0,
        "messages per second per client (0: no limit)",
    ),
    Setting(
        "audio_device",
        "DIRIGENT_AUDIO_DEVICE",
        lambda v: str(v).strip(),
        "",
        "live playback output: a device name or index, '' for the default, 'file' for none",
    ),
    Setting(
        "midi_input",
        "DIRIGENT_MIDI_INPUT",
        lambda v: str(v).strip(),
        "",
        "MIDI controller input (a port name or part of it; 'virtual': a port named Dirigent)",
    ),
    Setting(
        "midi_map",
        "DIRIGENT_MIDI_MAP",
        _path,
        Path("midi.toml"),
        "MIDI mapping file (TOML; MIDI learn writes it)",
    ),
    Setting(
        "stream_above_s",
        "DIRIGENT_STREAM_ABOVE_S",
        _positive_float,
        600.0,
        "files longer than this are analysed block by block (seconds)",
    ),
)
_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Config:
    """The effective configuration and, per key, where its value came from."""

    db: Path
    library: tuple[Path, ...]
    models: Path
    log_level: str
    max_file_mb: float
    workers: int
    backend: str
    clap_model: str
    torch_device: str
    osc_listen: str
    osc_port: int
    osc_reply_port: int
    osc_allow: tuple[str, ...]
    osc_rate: float
    audio_device: str
    midi_input: str
    midi_map: Path
    stream_above_s: float
    categories: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict)
    file: Path | None = None


def user_config_dir(env: Mapping[str, str] = os.environ) -> Path:
    """The per-user configuration folder of this platform."""
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "Dirigent"
    if sys.platform == "win32":
        return Path(env.get("APPDATA", Path.home() / "AppData" / "Roaming")) / "Dirigent"
    return Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "dirigent"


def find_config_file(cwd: Path, env: Mapping[str, str] = os.environ) -> Path | None:
    """``$DIRIGENT_CONFIG``, else ``./dirigent.toml``, else the user's config folder."""
    if env.get("DIRIGENT_CONFIG"):
        path = Path(env["DIRIGENT_CONFIG"]).expanduser()
        if not path.is_file():
            raise ConfigError(f"DIRIGENT_CONFIG={path} is not a file")
        return path
    for candidate in (cwd / CONFIG_NAME, user_config_dir(env) / CONFIG_NAME):
        if candidate.is_file():
            return candidate
    return None


def _parse(setting: Setting, value: Any, origin: str) -> Any:
    try:
        return setting.parse(value)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{setting.name} from {origin}: {e}") from e


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"cannot read {path}: {e}") from e


def _categories(table: Any, path: Path) -> dict[str, tuple[str, ...]]:
    if not isinstance(table, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(t, str) for t in v)
        for k, v in table.items()
    ):
        raise ConfigError(f"[categories] in {path} must map a category to a list of words")
    return {k.lower(): tuple(t.lower() for t in v) for k, v in table.items()}


def load_config(
    cwd: Path | None = None,
    env: Mapping[str, str] = os.environ,
    flags: Mapping[str, Any] | None = None,
) -> Config:
    """Merge defaults, the TOML file, the environment and CLI flags (in rising priority)."""
    cwd = cwd or Path.cwd()
    values = {s.name: s.default for s in SETTINGS}
    sources = {s.name: "default" for s in SETTINGS}
    categories: dict[str, tuple[str, ...]] = {}

    path = find_config_file(cwd, env)
    if path is not None:
        data = _read_toml(path)
        unknown = set(data) - set(_BY_NAME) - {"categories"}
        if unknown:
            raise ConfigError(f"unknown keys in {path}: {', '.join(sorted(unknown))}")
        for name, raw in data.items():
            if name == "categories":
                categories = _categories(raw, path)
                continue
            value = _parse(_BY_NAME[name], raw, str(path))
            if isinstance(value, Path) and not value.is_absolute():
                value = path.parent / value
            if isinstance(value, tuple):
                value = tuple(p if p.is_absolute() else path.parent / p for p in value)
            values[name], sources[name] = value, f"file {path}"

    for setting in SETTINGS:
        if env.get(setting.env):
            values[setting.name] = _parse(setting, env[setting.env], setting.env)
            sources[setting.name] = f"env {setting.env}"

    for name, raw in (flags or {}).items():
        if raw is not None:
            values[name] = _parse(_BY_NAME[name], raw, f"--{name}")
            sources[name] = f"flag --{name.replace('_', '-')}"

    return Config(**values, categories=categories, sources=sources, file=path)


def describe(config: Config) -> list[tuple[str, str, str]]:
    """Rows of (key, effective value, source) for ``dirigent config``."""
    rows = []
    for setting in SETTINGS:
        value = getattr(config, setting.name)
        shown = os.pathsep.join(map(str, value)) if isinstance(value, tuple) else str(value)
        rows.append((setting.name, shown, config.sources[setting.name]))
    for name, words in sorted(config.categories.items()):
        rows.append((f"categories.{name}", ", ".join(words), f"file {config.file}"))
    return rows
