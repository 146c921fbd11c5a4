"""The typer application, its `cache` group, the flags given before any command, and the
console script, which makes SIGTERM and SIGHUP stop a run as Ctrl-C does."""

from __future__ import annotations

import signal
from typing import Annotated

import typer

from coach.cli.consoles import OutputError, guard_streams
from coach.cli.failures import fail, flags, stop_on

app = typer.Typer(
    help="A voice-guided audio coach for a runner's leg-mobility warm-up.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
cache_app = typer.Typer(help="Look after the clip cache.", no_args_is_help=True)
app.add_typer(cache_app, name="cache")


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show the traceback of an error.")] = False,
) -> None:
    flags.debug = debug


def main() -> None:
    """The console script."""
    guard_streams()
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop_on)
    try:
        app()
    except OutputError as e:  # the help, written outside any command
        raise SystemExit(fail(e).exit_code) from None
