"""Configuration precedence: flag > DIRIGENT_* > dirigent.toml > defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from dirigent.config import describe, load_config
from dirigent.errors import ConfigError


def test_defaults(tmp_path: Path) -> None:
    config = load_config(cwd=tmp_path, env={"XDG_CONFIG_HOME": str(tmp_path / "none")})
    assert config.db == Path("processed_database/stems.duckdb")
    assert config.models == Path("models")
    assert config.library == ()
    assert set(config.sources.values()) == {"default"}


def test_precedence_file_env_flag(tmp_path: Path) -> None:
    (tmp_path / "dirigent.toml").write_text(
        'db = "from_file.duckdb"\nlog_level = "debug"\nmax_file_mb = 10\n'
        'library = ["kits", "/abs/loops"]\n'
    )
    env = {
        "XDG_CONFIG_HOME": str(tmp_path / "x"),
        "DIRIGENT_DB": "from_env.duckdb",
        "DIRIGENT_MAX_FILE_MB": "20",
    }
    config = load_config(cwd=tmp_path, env=env, flags={"db": "from_flag.duckdb"})
    assert config.db == Path("from_flag.duckdb")
    assert config.sources["db"] == "flag --db"
    assert (
        config.max_file_mb == 20.0 and config.sources["max_file_mb"] == "env DIRIGENT_MAX_FILE_MB"
    )
    assert config.log_level == "DEBUG" and config.sources["log_level"].startswith("file ")
    assert config.library == (tmp_path / "kits", Path("/abs/loops"))


def test_library_env_is_path_separated(tmp_path: Path) -> None:
    config = load_config(cwd=tmp_path, env={"DIRIGENT_LIBRARY": "/a:/b", "XDG_CONFIG_HOME": "/n"})
    assert config.library == (Path("/a"), Path("/b"))


def test_user_config_dir_is_searched(tmp_path: Path) -> None:
    xdg = tmp_path / "xdg"
    (xdg / "dirigent").mkdir(parents=True)
    (xdg / "dirigent" / "dirigent.toml").write_text('models = "/m"\n')
    config = load_config(cwd=tmp_path, env={"XDG_CONFIG_HOME": str(xdg)})
    assert config.models == Path("/m")
    assert config.file == xdg / "dirigent" / "dirigent.toml"


@pytest.mark.parametrize(
    ("toml", "env", "message"),
    [
        ("max_file_mb = -1\n", {}, "max_file_mb"),
        ('log_level = "LOUD"\n', {}, "log level"),
        ('colour = "red"\n', {}, "unknown keys"),
        ("db = [\n", {}, "cannot read"),
        ("", {"DIRIGENT_WORKERS": "many"}, "workers"),
        ('categories = { kick = "bd" }\n', {}, "categories"),
    ],
)
def test_bad_values_name_the_key(
    tmp_path: Path, toml: str, env: dict[str, str], message: str
) -> None:
    (tmp_path / "dirigent.toml").write_text(toml)
    with pytest.raises(ConfigError, match=message):
        load_config(cwd=tmp_path, env={"XDG_CONFIG_HOME": "/n", **env})


def test_categories_extend_the_table(tmp_path: Path) -> None:
    (tmp_path / "dirigent.toml").write_text('[categories]\nkick = ["bombo", "Wumms"]\n')
    config = load_config(cwd=tmp_path, env={"XDG_CONFIG_HOME": "/n"})
    assert config.categories == {"kick": ("bombo", "wumms")}
    assert ("categories.kick", "bombo, wumms", f"file {tmp_path / 'dirigent.toml'}") in describe(
        config
    )


def test_config_command_shows_sources(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIRIGENT_MODELS", "/opt/models")
    rc, out, _ = cli("config")
    assert rc == 0
    assert "models          /opt/models  (env DIRIGENT_MODELS)" in out
    assert f"db              {tmp_path / 'stems.duckdb'}  (flag --db)" in out
