"""The routine commands: list a routine's drills, check a file, start a new one, print the
format's schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from coach.cli.app import app
from coach.cli.consoles import err, out
from coach.cli.failures import command
from coach.cli.options import LANGUAGES, RoutineOption
from coach.compose.composer import estimated_differences
from coach.language.catalogue import DEFAULT_LANGUAGE
from coach.routine.fields import json_schema
from coach.routine.loading import write_starter_routine
from coach.routine.model import Drill
from coach.session import read_routine
from coach.system.english import number_of


def _work_text(drill: Drill) -> str:
    """"8", "10-12" (reps) or "30 s" (a timed drill)."""
    if drill.reps is None:
        return f"{drill.seconds:g} s"
    low, high = drill.reps
    return str(low) if low == high else f"{low}-{high}"


@app.command()
@command
def drills(
    routine: RoutineOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the drills of a routine."""
    loaded = read_routine(routine)
    if as_json:
        doc = loaded.to_json()
        out.print(json.dumps(doc, indent=1, ensure_ascii=False), markup=False)
        return
    rounds = f", {loaded.rounds} rounds" if loaded.rounds > 1 else ""
    table = Table(
        title=Text(loaded.name + rounds),
        title_justify="left",
        caption="Work is reps, or seconds for a timed drill; sided drills count each side.",
    )
    sets = any(d.sets > 1 for d in loaded.drills)  # a column only when a drill has sets
    columns = ("#", "id", "name", "work", *(("sets",) if sets else ()), "sides", "hold")
    for column in (*columns, "equipment"):
        table.add_column(
            column,
            justify="right" if column in ("#", "work", "sets", "hold") else "left",
            no_wrap=column == "id",
        )
    for number, d in enumerate(loaded.drills, start=1):
        table.add_row(
            str(number),
            d.id,
            Text(d.name),
            _work_text(d),
            *((str(d.sets),) if sets else ()),
            d.sides.value,
            f"{d.hold_seconds:g} s" if d.hold_seconds else "",
            Text(", ".join(d.equipment)),
        )
    out.print(table)


@app.command()
@command
def check(file: Annotated[Path, typer.Argument(help="The routine file to validate.")]) -> None:
    """Validate a routine file."""
    loaded = read_routine(file)
    out.print(f"{file}: OK, {number_of(len(loaded.drills), 'drill')}.", markup=False)
    for difference in estimated_differences(loaded):
        err.print(f"coach: warning: {file}: {difference}", markup=False)


@app.command()
@command
def new(
    file: Annotated[Path, typer.Argument(help="The routine file to create.")],
    language: Annotated[
        str, typer.Option(help=f"The language of its texts, which the coach speaks: {LANGUAGES}.")
    ] = DEFAULT_LANGUAGE,
) -> None:
    """Write a commented starter routine to FILE (never over an existing file)."""
    write_starter_routine(file, spoken=language)
    out.print(f"Wrote {file}: a starter routine. Edit it, then `coach check {file}`.", markup=False)


@app.command()
@command
def schema() -> None:
    """Print the routine format as a JSON Schema, for editors (see docs/routines.md)."""
    out.print(json.dumps(json_schema(), indent=1), markup=False)
