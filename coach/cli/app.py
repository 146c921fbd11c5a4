"""The typer application, its `cache` group, the flags of the whole run (`--debug`, which may
come anywhere on the line, and `--version`), and the console script, which makes SIGTERM and
SIGHUP stop a run as Ctrl-C does."""

from __future__ import annotations

import gc
import signal
from typing import Annotated

import typer
from typer.core import TyperGroup

from coach.cli.consoles import OutputError, guard_streams
from coach.cli.failures import fail, flags, stop_on


class _CoachGroup(TyperGroup):
    """The top command, which takes `--debug` wherever it is on the line: a user who adds it
    after the command (`coach check --debug`) to see why a run failed means the same thing."""

    def parse_args(self, ctx, args: list[str]) -> list[str]:  # noqa: ANN001 - click's own
        end = args.index("--") if "--" in args else len(args)
        if "--debug" in args[:end]:
            args = ["--debug", *(a for a in args[:end] if a != "--debug"), *args[end:]]
        return super().parse_args(ctx, args)


def _print_version(wanted: bool) -> None:
    """`coach --version`: the installed package's version, from its metadata."""
    if wanted:
        from importlib.metadata import version  # 20 ms that no other run needs

        print(f"coach {version('coach')}")
        raise typer.Exit()


app = typer.Typer(
    cls=_CoachGroup,
    help="A voice-guided audio coach for a runner's leg-mobility warm-up.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
cache_app = typer.Typer(help="Look after the clip cache.", no_args_is_help=True)
app.add_typer(cache_app, name="cache")


@app.callback()
def _main(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the traceback of an error (anywhere on the line).")
    ] = False,
    _version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True,
                     help="Show coach's version and exit."),
    ] = False,  # fmt: skip
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
    finally:
        # Python's last garbage collection at exit walks every object left (40 ms after an
        # export); the run is over and has closed what it opened, so exit without it.
        gc.freeze()
