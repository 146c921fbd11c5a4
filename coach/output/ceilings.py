"""The headroom each lossy encoder needs: the true-peak ceiling its input is limited under, and
the gain that keeps its decoded output at the session's loudness (headroom.py).

PROVISIONAL: to be measured.
"""

from __future__ import annotations

from coach.audio.headroom import Headroom

HEADROOM: dict[tuple[str, int], Headroom] = {
    (".mp3", 1): Headroom(gain_db=2.0, ceiling_db=-3.2),
    (".ogg", 1): Headroom(gain_db=3.0, ceiling_db=-4.5),
    (".m4a", 1): Headroom(gain_db=0.8, ceiling_db=-2.2),
    (".mp3", 2): Headroom(gain_db=0.0, ceiling_db=-3.0),
    (".ogg", 2): Headroom(gain_db=0.0, ceiling_db=-4.5),
    (".m4a", 2): Headroom(gain_db=0.0, ceiling_db=-2.2),
}


def encoder_headroom(fmt: str, channels: int) -> Headroom:
    """The headroom for encoding `fmt` (".mp3", ...) from audio of `channels` channels."""
    return HEADROOM[fmt, channels]
