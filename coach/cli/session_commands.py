"""The session commands (script, export, play, rehearse) and the voices they can speak with."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from coach.cli.app import app
from coach.cli.consoles import out
from coach.cli.failures import command
from coach.cli.options import (
    ENGINE_HELP,
    REHEARSAL_OPTIONS,
    make_session,
    running,
    session_command,
    takes_options,
)
from coach.cli.progress import ProgressBar, progress_bar
from coach.cli.terminal import play as play_in_terminal
from coach.compose.script import EventKind
from coach.playback.outputs import BACKENDS, check_backend
from coach.routine.model import find_drill
from coach.samples import to_seconds
from coach.session import Session, read_routine
from coach.tts import DEFAULT_ENGINE, list_voices


@app.command()
@session_command()
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
@session_command()
def export(
    session: Session,
    destination: Annotated[
        str,
        typer.Argument(metavar="OUT", help="Output file: .mp3, .wav, .ogg, .m4a, or .html (a "
                       "page that plays the session on a phone)."),
    ] = "session.mp3",
    captions: Annotated[
        str | None, typer.Option(help="Also write captions: .srt, .vtt or .lrc.")
    ] = None,
) -> None:
    """Export the session as an audio file (MP3 with chapters by default) or a phone page."""
    from coach.output.export import audio_path, check_captions, export_timeline

    # Refuse a bad destination before rendering anything: never over the user's own files.
    protect = [(session.routine.path, "the routine file")] if session.routine.path else []
    if session.playlist is not None:
        protect += [(track, "one of the --music tracks") for track in session.playlist.tracks]
    path = audio_path(destination, protect)
    captions_path = check_captions(captions, protect) if captions is not None else None
    bar = progress_bar("Exporting", counted=False)

    def report(done: int, total: int) -> None:
        # The session is whole once it encodes: the clips' bar goes for good (phrases it does
        # not use may still be rendering), this one comes.
        if isinstance(session.progress, ProgressBar):
            session.progress.close(finished=True)
        if bar is not None:
            bar(done, total)

    try:  # written as it is made: encoding overlaps rendering
        result = export_timeline(session.live(), path, progress=report, captions=captions_path,
                                 routine=session.routine, records=session.cache_dir)
    finally:
        if bar is not None:
            bar.close()
    out.print(
        f"Wrote {result.path} ({_clock(result.seconds)}, {result.bytes / 1e6:.1f} MB)", markup=False
    )


AudioOption = Annotated[
    str | None,
    typer.Option(help=f"The audio output: {' or '.join(BACKENDS)} (default: PortAudio, one "
                 "stream for the session, when installed)."),
]  # fmt: skip


@app.command()
@session_command(show_progress=False)
def play(session: Session, audio: AudioOption = None) -> None:
    """Play the session through the default audio device."""
    check_backend(audio)
    play_in_terminal(session.live(), audio)


@app.command()
@takes_options(REHEARSAL_OPTIONS)
def rehearse(
    drill: Annotated[str, typer.Argument(help="The drill: its id, name, or a unique part of it.")],
    chosen: dict[str, Any],
    audio: AudioOption = None,
) -> None:
    """Learn one drill: its full instructions, every cue, and one guided set."""
    check_backend(audio)
    found = find_drill(read_routine(chosen["routine"]), drill)
    session = make_session(chosen | {"only": [found.id]}, show_progress=False, rehearse=True)
    with running(session):
        play_in_terminal(session.live(), audio)


@app.command()
@command
def voices(
    engine: Annotated[
        str, typer.Option(help=ENGINE_HELP)
    ] = DEFAULT_ENGINE,
    language: Annotated[
        str | None,
        typer.Option(help="Only the voices that speak this language: de, en-GB, pt_BR, ..."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the voices of a speech engine, English ones first."""
    found = list_voices(engine, language)
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


