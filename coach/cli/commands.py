"""The session commands and the routine and voice listings."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from coach.cli.base import (
    ENGINE_HELP,
    VOICE_HELP,
    VOLUME_HELP,
    MusicDuckOption,
    MusicLevelOption,
    MusicOption,
    RoutineOption,
    SeedOption,
    ShuffleOption,
    app,
    command,
    make_session,
    running,
    session_command,
)
from coach.cli.consoles import err, out
from coach.compose.script import EventKind
from coach.music.bed import DEFAULT_DUCK_DB, DEFAULT_LEVEL_DB
from coach.routine.fields import json_schema
from coach.routine.loading import write_starter_routine
from coach.routine.model import Drill, find_drill
from coach.samples import to_seconds
from coach.session import Session, read_routine
from coach.tts import (
    DEFAULT_ENGINE,
    Speech,
    list_voices,
)


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
    out.print(f"{file}: OK, {len(loaded.drills)} drills.", markup=False)


@app.command()
@command
def new(file: Annotated[Path, typer.Argument(help="The routine file to create.")]) -> None:
    """Write a commented starter routine to FILE (never over an existing file)."""
    write_starter_routine(file)
    out.print(f"Wrote {file}: a starter routine. Edit it, then `coach check {file}`.", markup=False)


@app.command()
@command
def schema() -> None:
    """Print the routine format as a JSON Schema, for editors (see the README)."""
    out.print(json.dumps(json_schema(), indent=1), markup=False)


@app.command()
@session_command
def script(
    session: Session,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the timed script as JSON.")
    ] = False,
) -> None:
    """Print the timed script: what is heard, and when."""
    composed = session.script
    if as_json:
        playlist = session.playlist
        out.print(composed.to_json(playlist.to_json() if playlist else None), markup=False)
        return
    titles = {c.id: c.title for c in composed.chapters}
    title = Text(f"{composed.routine} — {_clock(composed.duration)}")
    table = Table(title=title, title_justify="left")
    table.add_column("time", justify="right", style="cyan")
    table.add_column("drill", style="bold")
    table.add_column("heard")
    previous = None
    for event in composed.events:
        drill = Text(titles.get(event.drill, "") if event.drill != previous else "")
        previous = event.drill
        if event.kind is EventKind.SPEECH:
            heard = Text(event.text)
        else:
            detail = (
                f" ({event.side} {event.rep})"
                if event.side
                else f" ({event.rep})"
                if event.rep
                else ""
            )
            heard = Text(f"♪ {event.tone.value} beep{detail}", style="dim")
        table.add_row(_clock(to_seconds(event.start)), drill, heard)
    out.print(table)


def _clock(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}:{rest:04.1f}"


@app.command()
@session_command
def export(
    session: Session,
    destination: Annotated[
        str, typer.Argument(metavar="OUT", help="Output file: .mp3, .wav, .ogg or .m4a.")
    ] = "session.mp3",
    captions: Annotated[
        str | None, typer.Option(help="Also write captions: .srt, .vtt or .lrc.")
    ] = None,
) -> None:
    """Export the session as an audio file (MP3 with chapters by default)."""
    from coach.output.export import audio_path, check_captions, export_timeline

    # Refuse a bad destination before rendering anything: never over the user's own files.
    protect = [(session.routine.path, "the routine file")] if session.routine.path else []
    if session.playlist is not None:
        protect += [(track, "one of the --music tracks") for track in session.playlist.tracks]
    path = audio_path(destination, protect)
    captions_path = check_captions(captions, protect) if captions is not None else None
    bar = Progress(
        TextColumn("Exporting"),
        BarColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )
    tasks: list[Any] = []

    def report(done: float) -> None:
        if not tasks:  # the session is whole: the clips' bar goes (phrases it does not use may
            speech = session.speech  # still be rendering), this one comes
            if isinstance(speech, Speech):
                speech.progress = None
            getattr(session.progress, "close", lambda: None)()
            bar.start()
            tasks.append(bar.add_task("export", total=1.0))
        bar.update(tasks[0], completed=done)

    try:  # written as it is made: encoding overlaps rendering
        result = export_timeline(
            session.live(report_progress=True), path, progress=report, captions=captions_path
        )
    finally:
        if tasks:
            bar.stop()
    out.print(
        f"Wrote {result.path} ({_clock(result.seconds)}, {result.bytes / 1e6:.1f} MB)", markup=False
    )


@app.command()
@session_command
def play(session: Session) -> None:
    """Play the session through the default audio device."""
    from coach.playback.player import play_timeline

    play_timeline(session.live())


@app.command()
@command
def rehearse(
    drill: Annotated[str, typer.Argument(help="The drill: its id, name, or a unique part of it.")],
    routine: RoutineOption = None,
    pace: Annotated[float, typer.Option(help="Tempo factor for every rep: 1.5 is slower.")] = 1.0,
    lower: Annotated[bool, typer.Option(help="Use the lower end of rep ranges.")] = False,
    engine: Annotated[
        str, typer.Option(help=ENGINE_HELP)
    ] = DEFAULT_ENGINE,
    voice: Annotated[str | None, typer.Option(help=VOICE_HELP)] = None,
    rate: Annotated[int | None, typer.Option(help="Speaking rate in words per minute.")] = None,
    volume: Annotated[float, typer.Option(help=VOLUME_HELP)] = 1.0,
    cache_dir: Annotated[str | None, typer.Option(help="Clip cache folder.")] = None,
    music: MusicOption = None,
    shuffle: ShuffleOption = False,
    seed: SeedOption = None,
    music_duck: MusicDuckOption = DEFAULT_DUCK_DB,
    music_level: MusicLevelOption = DEFAULT_LEVEL_DB,
) -> None:
    """Learn one drill: its full instructions, every cue, and one guided set."""
    from coach.playback.player import play_timeline

    found = find_drill(read_routine(routine), drill)
    made = make_session(
        routine=routine, only=[found.id], skip=None, without=None, rest=None, pace=pace,
        brief=False, lower=lower, engine=engine, voice=voice, rate=rate, volume=volume,
        cache_dir=cache_dir, music=music, shuffle=shuffle, seed=seed, music_duck=music_duck,
        music_level=music_level, rehearse=True,
    )  # fmt: skip
    with running(*made) as session:
        play_timeline(session.live())


@app.command()
@command
def voices(
    engine: Annotated[
        str, typer.Option(help=ENGINE_HELP)
    ] = DEFAULT_ENGINE,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the voices of a speech engine, English ones first."""
    found = list_voices(engine)
    if as_json:
        out.print(
            json.dumps([asdict(v) for v in found], indent=1),
            markup=False,
        )
        return
    table = Table(title=f"Voices of {engine}", title_justify="left")
    for column in ("id", "name", "language", "default"):
        table.add_column(column)
    for v in found:
        table.add_row(Text(v.id), Text(v.name), Text(v.language), "yes" if v.default else "")
    out.print(table)


