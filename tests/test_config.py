"""A home on the user's machine: the cache in the platform's cache folder, the config file of
defaults and `coach config`; bad config files as bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from support.runners import coach, invoke

from coach.cli.config import read_config, starter_text
from coach.cli.options import OPTIONS

QUICK = ("--only", "wall-slide")


def script(*args: str, **env: str | None) -> dict:
    result = invoke("script", "--json", *QUICK, *args, env=env or None)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.slow
@pytest.mark.parametrize("xdg", [False, True], ids=["home", "xdg-cache-home"])
def test_a_session_from_any_folder_leaves_nothing_there_and_caches_in_the_users_cache(
    tmp_path, xdg
):
    home, work = tmp_path / "home", tmp_path / "downloads"
    home.mkdir()
    work.mkdir()
    env = {"HOME": str(home), "XDG_CACHE_HOME": str(tmp_path / "xdg") if xdg else None,
           "XDG_CONFIG_HOME": None, "COACH_CACHE_DIR": None, "COACH_CONFIG": None}  # fmt: skip
    result = coach("script", "--json", *QUICK, env=env, cwd=work)
    assert result.returncode == 0, result.stderr
    assert list(work.iterdir()) == []
    cache = (tmp_path / "xdg" if xdg else home / ".cache") / "coach"
    assert len(list(cache.glob("*.clip"))) >= 5
    shown = coach("cache", "info", env=env, cwd=work)
    assert shown.stdout.startswith(f"{cache} (the default): ")


def test_a_config_file_gives_the_session_its_flags_give_and_a_flag_beats_it(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('engine = "espeak-ng"\nrest = 4\npace = 1.3\nlanguage = "de"\n')
    flags = ("--engine", "espeak-ng", "--rest", "4", "--pace", "1.3", "--language", "de")
    assert script("--config", str(config)) == script(*flags)
    assert script("--config", str(config), "--pace", "1") == script(*flags[:4], "--pace", "1",
                                                                    *flags[6:])  # fmt: skip
    assert script(COACH_CONFIG=str(config)) == script(*flags)
    config.write_text('rest = "1m30s"\n')  # a duration, as the flag takes it
    assert script("--config", str(config)) == script("--rest", "90")


def test_the_default_config_file_is_in_the_users_config_folder(tmp_path):
    folder = tmp_path / "xdg"
    assert invoke("config", "--path", env={"XDG_CONFIG_HOME": str(folder)}).stdout == (
        f"{folder}/coach/config.toml\n")  # fmt: skip
    named = {"XDG_CONFIG_HOME": str(folder), "COACH_CONFIG": str(tmp_path / "mine.toml")}
    assert invoke("config", "--path", env=named).stdout == f"{tmp_path}/mine.toml\n"
    flagged = invoke("config", "--path", "--config", str(tmp_path / "f.toml"), env=named)
    assert flagged.stdout == f"{tmp_path}/f.toml\n"


def test_coach_config_says_where_each_setting_comes_from(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('# mine\nvoice = "en_US-joe-medium"\n\npace = 1.2\ncache-dir = "~/clips"\n')
    env = {"COACH_CONFIG": str(config), "COACH_CACHE_DIR": str(tmp_path / "env"), "HOME": "/h"}
    result = invoke("config", "--json", "--rate", "150", env=env)
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert (shown["file"], shown["exists"]) == (str(config), True)
    settings = shown["settings"]
    assert settings["rate"] == {"value": 150, "from": "flag"}
    assert settings["pace"] == {"value": 1.2, "from": f"{config}, line 4"}
    assert settings["voice"] == {"value": "en_US-joe-medium", "from": f"{config}, line 2"}
    assert settings["cache-dir"] == {"value": str(tmp_path / "env"), "from": "$COACH_CACHE_DIR"}
    assert settings["rest"]["from"].startswith("routine (built-in routine")
    assert settings["engine"] == {"value": "piper", "from": "default"}
    without_variable = invoke("config", "--json", env=env | {"COACH_CACHE_DIR": None})
    assert json.loads(without_variable.stdout)["settings"]["cache-dir"] == {
        "value": "/h/clips", "from": f"{config}, line 5"}  # fmt: skip
    text = invoke("config", env=env).stdout
    assert re.search(rf"^  pace +1\.2 +{re.escape(str(config))}, line 4$", text, re.M), text


def test_config_init_writes_a_starter_once_and_every_key_in_it_is_valid(tmp_path):
    config = tmp_path / "new" / "config.toml"
    first = invoke("config", "init", "--config", str(config))
    assert first.exit_code == 0 and first.stdout == (
        f"Wrote {config}: every key commented out. Edit it, then `coach config`.\n")  # fmt: skip
    assert read_config(config, OPTIONS).settings == {}  # all commented out
    again = invoke("config", "init", "--config", str(config))
    assert again.exit_code == 2 and again.output == (
        f"coach: error: {config} already exists; a starter is never written over a file. "
        "Edit it instead.\n")  # fmt: skip
    assert config.read_text() == starter_text(OPTIONS)
    uncommented = tmp_path / "all.toml"
    uncommented.write_text(re.sub(r"^# (\S+ = )", r"\1", config.read_text(), flags=re.M))
    keys = set(read_config(uncommented, OPTIONS).settings)
    assert keys == set(OPTIONS) - {"config"}


BAD_CONFIGS = [
    ("pace = \n", "{file}: not a TOML file: Invalid value (at line 1, column 8)."),
    ('engine = "piper"\nengin = "flite"\n',
     "{file}, line 2: unknown key 'engin'. Did you mean 'engine'?"),
    ('pace = "fast"\n', "{file}, line 1: pace must be a number, not 'fast'."),
    ('rest = "90x"\n', "{file}, line 1: rest: '90x' is not a duration; write seconds as 30, "
                        '"30s", "1m30s" or "1:30".'),
    ("brief = 1\n", "{file}, line 1: brief must be true or false, not 1."),
    ("\n\nrest = 9000\n", "{file}, line 3: rest must be between 0 and 600 seconds, got 9000."),
    ('language = "tlh"\n', "{file}, line 1: language 'tlh' is not a language the coach speaks; "
                           "use one of de, en, en-GB, en-US, es, fr."),
    ('\n[voices]\npiper = 3\n', "{file}, line 2: unknown key 'voices'. Did you mean 'voice'?"),
    ("[music]\nlevel = 3\n",
     "{file}, line 1: music must be a path, in quotes, not {{'level': 3}}."),
    ("x" * 70_000, "{file}: a config file has at most 64,000 bytes."),
]  # fmt: skip


@pytest.mark.parametrize(("text", "message"), BAD_CONFIGS)
def test_a_bad_config_file_is_bad_input_named_by_file_line_and_key(tmp_path, text, message):
    config = tmp_path / "config.toml"
    config.write_text(text)
    result = coach("script", *QUICK, "--config", str(config), cache=tmp_path / "cache")
    assert result.returncode == 2
    assert result.stderr == f"coach: error: {message.format(file=config)}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml"]  # nothing rendered


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: p.mkdir(), "{file}: the config file is a folder; name a file."),
    (lambda p: None, "{file}: the config file cannot be read (No such file or directory)."),
])  # fmt: skip
def test_a_config_file_that_is_not_one_is_bad_input(tmp_path, make, message):
    config = tmp_path / "config.toml"
    make(config)
    result = invoke("script", "--config", str(config))
    assert result.exit_code == 2
    assert result.output == f"coach: error: {message.format(file=config)}\n"


def test_the_cache_commands_use_the_config_files_cache(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(f'cache-dir = "{tmp_path / "clips"}"\n')
    shown = invoke("cache", "info", "--config", str(config), env={"COACH_CACHE_DIR": None})
    assert shown.stdout == f"{tmp_path / 'clips'} (from {config}, line 1): 0 clips, 0.0 MB\n"
    assert not Path(tmp_path / "clips").exists()
