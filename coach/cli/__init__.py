"""The `coach` command: the only place that knows flags, terminals and exit codes."""
from coach.cli import cache_commands, routine_commands, session_commands  # noqa: F401 - they register
from coach.cli.app import app, main

__all__ = ["app", "main"]
