"""`coach config`: the settings in force and where each comes from, the config file's path, and
a starter file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from coach.cli.app import app
from coach.cli.config import config_file, key_of, starter_text
from coach.cli.consoles import out
from coach.cli.failures import command
from coach.cli.options import OPTIONS, ConfigOption, resolve, takes_options
from coach.errors import UsageError
from coach.session import read_routine
from coach.system.atomic import written_beside

config_app = typer.Typer(
    help="Your defaults for the session options: what is in force, and the config file.",
    invoke_without_command=True,
)
app.add_typer(config_app, name="config")
SHOWN = [name for name in OPTIONS if name != "config"]
FROM_ROUTINE = {"rest": "rest_seconds", "language": "language"}
"""Options whose value, when nothing else gives one, is the routine's own field."""


@config_app.callback()
@takes_options(SHOWN)  # not "config": read here, to say where each value comes from
def config(
    ctx: typer.Context,
    chosen: dict[str, Any],
    config: ConfigOption = None,
    path: Annotated[bool, typer.Option("--path", help="Print the config file's path.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show the settings in force and where each comes from (a flag, a variable, the config
    file, the routine, the default)."""
    if ctx.invoked_subcommand is not None:
        return
    file, named_by = config_file(config)
    if path:
        out.print(str(file), markup=False)
        return
    resolved = resolve(chosen | {"config": config}, ctx)
    values, sources = dict(resolved.chosen), dict(resolved.sources)
    routine = read_routine(values["routine"])
    for name, field in FROM_ROUTINE.items():
        if values[name] is None:
            values[name] = getattr(routine, field)
            sources[name] = f"routine ({routine.source})"
    shown = {key_of(name): {"value": _shown(values[name]), "from": sources[name]}
             for name in SHOWN}  # fmt: skip
    if as_json:
        doc = {"file": str(file), "named_by": named_by, "exists": file.exists(), "settings": shown}
        out.print(json.dumps(doc, indent=1, ensure_ascii=False), markup=False)
        return
    state = "" if file.exists() else " (none there: `coach config init` writes a starter)"
    lines = [f"Config file: {file}{state}"]
    width = max(len(key) for key in shown)
    for key, setting in shown.items():
        value = json.dumps(setting["value"], ensure_ascii=False)
        lines.append(f"  {key:<{width}}  {value:<24} {setting['from']}")
    out.print("\n".join(lines), markup=False)


def _shown(value: Any) -> Any:
    """A value as JSON shows it (a path as text)."""
    return str(value) if isinstance(value, Path) else value


@config_app.command("init")
@command
def init(config: ConfigOption = None) -> None:
    """Write a commented starter config file (never over an existing one)."""
    file, _ = config_file(config)
    taken = f"{file} already exists; a starter is never written over a file. Edit it instead."
    if file.exists() or file.is_symlink():
        raise UsageError(taken)
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        with written_beside(file, f".{file.name}.part", replace=False) as part:
            part.write_text(starter_text(OPTIONS), encoding="utf-8")
    except FileExistsError:
        raise UsageError(taken) from None
    except OSError as error:
        raise UsageError(f"{file}: cannot be written ({error.strerror}).") from None
    out.print(f"Wrote {file}: every key commented out. Edit it, then `coach config`.",
              markup=False)
