"""The `coach` command: the only place that knows flags, terminals and exit codes."""
from coach.cli import (  # noqa: F401 - they register
    cache_commands,
    config_commands,
    routine_commands,
    session_commands,
)
from coach.cli.app import app, main

__all__ = ["app", "main"]
