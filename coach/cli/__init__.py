"""The `coach` command: the only place that knows flags, terminals and exit codes."""
from coach.cli import cache_commands, commands  # noqa: F401 - they register their commands
from coach.cli.base import app, main

__all__ = ["app", "main"]
