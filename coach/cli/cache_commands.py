"""`coach cache`: look after the clip cache."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated

import typer

from coach.cache.store import cache_info, clear_cache, prune_cache
from coach.cli.app import cache_app
from coach.cli.config import read_config
from coach.cli.consoles import out
from coach.cli.failures import command
from coach.cli.options import OPTIONS, CacheDirOption, ConfigOption, cache_location, session_command
from coach.errors import (
    UsageError,
    exact,
)
from coach.session import Session
from coach.system.english import number_of


@cache_app.command("info")
@command
def cache_info_command(
    cache_dir: CacheDirOption = None,
    config: ConfigOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show the cache folder, why it is that one, its clips and their size."""
    folder, source = _folder(cache_dir, config)
    info = cache_info(folder)
    if as_json:
        out.print(json.dumps(info | {"from": source}), markup=False)
    else:
        chosen_by = {"flag": "from --cache-dir", "default": "the default"}.get(
            source, f"from {source}")  # fmt: skip
        out.print(
            f"{info['folder']} ({chosen_by}): {number_of(info['clips'], 'clip')}, "
            + (f"{number_of(info['beds'], 'music bed')}, " if info["beds"] else "")
            + f"{info['bytes'] / 1e6:.1f} MB",
            markup=False,
        )


def _folder(cache_dir: str | None, config: Path | None) -> tuple[Path, str]:
    """The cache folder, and what chose it: `--cache-dir`, $COACH_CACHE_DIR, the config
    file, or the default."""
    return cache_location(cache_dir, read_config(config, OPTIONS))


@cache_app.command("warm")
@session_command()
def cache_warm(
    session: Session,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Render every clip the session needs."""
    result = session.warm()
    if as_json:
        out.print(json.dumps(result), markup=False)
    else:
        out.print(
            f"{number_of(result['clips'], 'clip')} ready in {result['folder']}; "
            f"rendered {result['rendered']}.",
            markup=False,
        )


@cache_app.command("clear")
@command
def cache_clear(cache_dir: CacheDirOption = None, config: ConfigOption = None) -> None:
    """Remove every clip from the cache."""
    folder, _ = _folder(cache_dir, config)
    out.print(f"Removed {number_of(clear_cache(folder), 'clip')} from {folder}.", markup=False)


@cache_app.command("prune")
@command
def cache_prune(
    cache_dir: CacheDirOption = None,
    config: ConfigOption = None,
    older_than: Annotated[
        float | None, typer.Option(help="Remove clips unused for this many days.")
    ] = None,
    max_mb: Annotated[
        float | None, typer.Option(help="Remove the least recently used clips above this size.")
    ] = None,
) -> None:
    """Remove clips no session used lately, or cap the cache's size."""
    if older_than is None and max_mb is None:
        raise UsageError("Give --older-than DAYS or --max-mb MB (or both).")
    for flag, value in (("--older-than", older_than), ("--max-mb", max_mb)):
        if value is not None and not 0 <= value < math.inf:
            raise UsageError(f"{flag}: must be a number, 0 or more, got {exact(value)}.")
    if max_mb is not None and max_mb > 1e12:  # a million terabytes: no cap at all
        max_mb = None
    folder, _ = _folder(cache_dir, config)
    result = prune_cache(
        folder, older_than_days=older_than, max_bytes=None if max_mb is None else int(max_mb * 1e6)
    )
    out.print(f"{folder}: {json.dumps(result)}", markup=False)


