"""The config file: a runner's own defaults for the session options, so the same voice, rate,
rest and music need not be typed on every command.

`config.toml` in the platform's user config folder (~/.config/coach, or $XDG_CONFIG_HOME/coach,
on Linux), or the file `$COACH_CONFIG` or `--config` names. Its keys are the options' long
names as typed, without the dashes (`engine`, `music-level`); each value is checked as its
flag's would be. A value is used where no flag (and, for the cache, no variable) gives one, so
the order is: a flag, a variable, the config file, the routine's own value, the default.

Only the command line knows flags, so the config file is the command line's too.
"""

from __future__ import annotations

import os
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs
import typer

from coach.errors import OptionError, UsageError, excerpt
from coach.system.paths import user_path
from coach.system.suggest import did_you_mean

CONFIG_ENV = "COACH_CONFIG"
"""Environment variable naming the config file when `--config` is not given."""
MAX_CONFIG_BYTES = 64_000
"""A config file is a few hundred bytes; a larger one is refused unread."""
NOT_IN_CONFIG = ("config",)
"""Options that make no sense as a lasting default."""


def key_of(option: str) -> str:
    """The config key of an option: its flag without the dashes ("music_level": "music-level")."""
    return option.replace("_", "-")


@dataclass(frozen=True)
class Config:
    """The config file in force: where it is, what named it, and its settings by option name,
    each with the line it is on."""

    path: Path
    named_by: str
    """"--config", "$COACH_CONFIG" or "default"."""
    settings: dict[str, tuple[Any, int]] = field(default_factory=dict)

    def where(self, option: str) -> str:
        """ "FILE, line N" for the setting of `option`."""
        return f"{self.path}, line {self.settings[option][1]}"

    def located(self, error: OptionError, taken: set[str]) -> UsageError | None:
        """`error`, about an option's value, as bad input at its place in this file, when the
        value was `taken` from here (None otherwise)."""
        option = {"rest_seconds": "rest"}.get(error.option, error.option)
        if option not in taken:
            return None
        return UsageError(f"{self.where(option)}: {key_of(option)} {error.problem}")


def config_file(flag: str | Path | None) -> tuple[Path, str]:
    """The config file's path and what named it: `--config`, else `$COACH_CONFIG`, else the
    platform's user config folder's config.toml."""
    if flag is not None:
        return user_path(flag, "--config"), "--config"
    if os.environ.get(CONFIG_ENV, "").strip():
        return user_path(os.environ[CONFIG_ENV], f"${CONFIG_ENV}"), f"${CONFIG_ENV}"
    folder = Path(platformdirs.user_config_dir("coach", appauthor=False))
    return folder / "config.toml", "default"


def read_config(flag: str | Path | None, options: dict[str, Any]) -> Config:
    """The config file in force, its values checked against `options` (the option table: name
    -> (typer annotation, default)). A default file that does not exist is no settings; a file
    named by `--config` or `$COACH_CONFIG` must exist. UsageError naming the file, the line and
    the key for anything wrong."""
    path, named_by = config_file(flag)
    if not path.exists() and named_by == "default":
        return Config(path, named_by)
    text = _read(path)
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"{path}: not a TOML file: {error}.") from None
    known = [key_of(name) for name in options if name not in NOT_IN_CONFIG]
    settings = {}
    for key, value in document.items():
        line = _line_of(text, key)
        if key not in known:
            hint = did_you_mean(key, known).lstrip() or f"Known keys: {', '.join(known)}."
            raise UsageError(f"{path}, line {line}: unknown key {excerpt(key, 40)!r}. {hint}")
        name = key.replace("-", "_")
        settings[name] = (_checked(value, options[name][0], f"{path}, line {line}: {key}"), line)
    return Config(path, named_by, settings)


def _read(path: Path) -> str:
    """The file's text, bounded; UsageError for a file that cannot be one."""
    if path.is_dir():
        raise UsageError(f"{path}: the config file is a folder; name a file.")
    try:
        with open(path, "rb") as file:
            data = file.read(MAX_CONFIG_BYTES + 1)
    except OSError as error:
        raise UsageError(f"{path}: the config file cannot be read ({error.strerror}).") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise UsageError(f"{path}: a config file has at most {MAX_CONFIG_BYTES:,} bytes.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not a TOML file: it is not UTF-8 text.") from None


def _line_of(text: str, key: str) -> int:
    """The line a top-level key is set on (1 when it cannot be told)."""
    name = re.escape(key)
    pattern = re.compile(rf"""^\s*(?:{name}|"{name}"|'{name}')\s*[=.\]]""")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line) or line.strip() in (f"[{key}]", f'["{key}"]'):
            return number
    return 1


def _checked(value: Any, annotation: Any, where: str) -> Any:
    """`value` as the option's flag would take it, or UsageError saying what it must be."""
    kind = typing.get_args(annotation)[0] if typing.get_origin(annotation) else annotation
    parser = next((getattr(meta, "parser", None) for meta in typing.get_args(annotation)[1:]
                   if getattr(meta, "parser", None)), None)  # fmt: skip
    if parser is not None and isinstance(value, str):  # typed as the flag is: `rest = "90s"`
        try:
            return parser(value)
        except typer.BadParameter as error:
            raise UsageError(f"{where}: {error.message}") from None
    kinds = set(typing.get_args(kind)) if isinstance(kind, types.UnionType) else {kind}
    kinds.discard(type(None))
    if bool in kinds and isinstance(value, bool):
        return value
    if float in kinds and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if int in kinds and isinstance(value, int) and not isinstance(value, bool):
        return value
    if Path in kinds and isinstance(value, str):
        return user_path(value, where)
    if str in kinds and isinstance(value, str):
        return value
    if list[str] in kinds and isinstance(value, str | list) and all(
            isinstance(item, str) for item in ([value] if isinstance(value, str) else value)):
        return [value] if isinstance(value, str) else value
    wanted = {bool: "true or false", float: "a number", int: "a whole number", str: "text",
              Path: "a path, in quotes", list[str]: "a list of names, in quotes"}
    said = " or ".join(wanted[k] for k in kinds if k in wanted)
    raise UsageError(f"{where} must be {said}, not {excerpt(repr(value), 40)}.")


EXAMPLES = {"routine": "~/warm-ups/mine.yaml", "only": ["ankle-mobility", "wall-slide"],
            "skip": ["hanging-twist"], "without": ["chin-up-bar"], "rest": 15.0,
            "language": "de", "voice": "en_US-joe-medium", "rate": 170,
            "cache_dir": "~/.cache/coach", "music": "~/Music/warm-up", "seed": 7}  # fmt: skip
"""What the starter file shows for an option whose default is none."""


def starter_text(options: dict[str, Any]) -> str:
    """A config file with every key commented out, at its default (or an example), under its
    help: the file `coach config init` writes."""
    lines = [
        "# coach's defaults for the session commands (play, rehearse, export, script, cache warm).",
        "# Remove the # before a key to use it. A flag typed on the command line wins over this",
        "# file, and $COACH_CACHE_DIR over cache-dir; this file wins over the routine's own",
        "# rest and language. `coach config` shows what is in force and where it comes from.",
    ]
    for name, (annotation, default) in options.items():
        if name in NOT_IN_CONFIG:
            continue
        value = EXAMPLES.get(name) if default is None else default
        help_text = typing.get_args(annotation)[1].help or ""
        lines += ["", f"# {help_text}", f"# {key_of(name)} = {_toml(value)}"]
    return "\n".join(lines) + "\n"


def _toml(value: Any) -> str:
    """`value` as TOML writes it (a string, a number, a boolean or a list of strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)
