"""Where an MP3 of the voice alone is cut in two, so two encoders share its encoding, one per
core, and the two files joined play as the session.

An MP3 encoder starts a file with a delay of its own and ends it on a whole frame, so two files
played one after the other hold more than the session between them. The cut is made in a
silence, on a frame boundary of the first part, and the second part starts `JOIN_SKIP` samples
after it: the first part's frames past its end (its encoder's delay, then the flush), which
decode as the silence they were given, stand in for the samples skipped, and every later sample
is where it was (libmp3lame in ffmpeg 5.1 ends a part of a whole number of frames exactly 1152
samples later, measured at every rate from 16 to 48 kHz; tests/test_halves.py decodes a joined
file and checks its length and where its sounds are).

The cut depends on the session alone (the first long enough silence from halfway through its
plan on), so a session encoded while it is made is cut where a whole one is, into the same
bytes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coach.output.wav import Source

FORMATS = (".mp3",)
"""The formats cut in two: an MP3 is a run of frames, which play on from one file into the
next."""
JOIN_SKIP = 1152
"""Samples of silence the second part starts after the cut (see above)."""
MARGIN = 1152
"""Samples of silence kept between the cut and any sound on either side: an encoder's frame
and its look-ahead reach this far, so each part's edges encode silence alone."""
MIN_SECONDS = 180.0
"""A session shorter than this (as planned) is encoded in one part: a second ffmpeg and the
copy that joins the parts cost about what halving a short encode saves."""


def frame_samples(rate: int) -> int:
    """Samples in one MP3 frame at `rate`: MPEG-1's 1152 from 32 kHz up, MPEG-2's 576 below."""
    return 1152 if rate >= 32000 else 576


def cut_point(source: Source) -> int | None:
    """The sample at which to cut the session into two parts to encode at once: the first
    silence long enough from halfway through the session as planned (its estimate of itself,
    made before a sound is, within a few percent of the session). None for one part: music
    under the voice never falls silent, a short session, no silence in its second half. Waits
    for the session to be made as far as the cut."""
    timeline = source.until(0)
    if timeline.format.channels != 1 or source.plan.duration < MIN_SECONDS:
        return None
    halfway, frame = source.plan.length // 2, frame_samples(timeline.sample_rate)
    checked = 0  # the events before this one have no silence long enough after them
    while True:
        events = timeline.script.events
        for index in range(checked, len(events) - 1):
            cut = -(-max(events[index].end + MARGIN, halfway) // frame) * frame
            if cut + JOIN_SKIP + MARGIN <= events[index + 1].start:
                return cut
        checked = max(checked, len(events) - 1)
        if timeline.final:
            return None
        timeline = source.until(timeline.script.length)
