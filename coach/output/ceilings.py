"""The headroom each lossy encoder is first given (audio/headroom.py): the true-peak ceiling its
input is limited under, so that the decoded file peaks at most at -1 dBTP, and the gain before
that limiter which gives back the loudness that limiting deeper (and the encoder) takes off. A
file of the voice alone is then measured, and encoded again if it misses (measured.py): these
are where that starts, and all a session with music gets.

Measured with ffmpeg 5.1's encoders at the options encode.py gives them, by ffmpeg's own meter
(`ebur128=peak=true`, the "True peak" of its summary) on the decoded file against the WAV it was
given, for seven sessions: the built-in one with Piper (the default voice), the same with eSpeak
NG (brief), tests/routines' hip-and-core circuit with Piper and with flite, its German circuit
(eSpeak NG), and the built-in one with music (tests/support/music.py's pink noise and chord)
with Piper and with eSpeak NG. The encoders overshoot most on the densest peaks, so the
overshoot grows as the limiting deepens; the largest seen at ceilings near these:

| encoder | overshoot | ceiling | gain |
| --- | ---: | ---: | ---: |
| MP3, 64 kb/s mono | 0.4 to 2.3 dB (3.3: eSpeak NG, below) | -2.8 dBTP | 3.0 dB |
| Vorbis, quality 6 mono | 1.1 to 2.2 dB (the built-in session) | -3.8 dBTP | 3.0 dB |
| AAC, 64 kb/s mono | 0.0 to 1.1 dB (the German circuit) | -2.6 dBTP | 1.0 dB |
| MP3, 160 kb/s stereo | -0.3 to 0.4 dB | -3.8 dBTP | 0.5 dB |
| Vorbis, quality 4 stereo | 0.8 to 1.6 dB | -3.8 dBTP | 0.0 dB |
| AAC, 160 kb/s stereo | 0.0 dB | -2.6 dBTP | 0.0 dB |

Each stereo ceiling is at least 0.5 dB under -1 dBTP less the largest overshoot seen. With
music the voice is 3 dB lower in each channel (mix.py), about -4.4 dBTP, so they leave it nearly
alone. The mono ones are set for the default voice, whose files then need no second encode:
Piper's built-in session measures -16.0 LUFS and -2.0 dBTP as MP3 (under -3.8 dBTP, as before
the files were measured, -16.8 LUFS: limiting this deep takes loudness that gain does not give
back, 0.2 LU per dB), -16.3 and -1.7 as Ogg, -16.0 and -2.1 as M4A. Other voices overshoot
differently (eSpeak NG's MP3 of the built-in session by 3.3 dB under -3.8 dBTP, at a few "s"
sounds) or come out louder (flite's clips are limited less: -14.0 LUFS as MP3), which the
measured pass corrects.
"""

from __future__ import annotations

import math

from coach.audio.headroom import Headroom

HEADROOM: dict[tuple[str, int], Headroom] = {
    (".mp3", 1): Headroom(gain_db=3.0, ceiling_db=-2.8),
    (".ogg", 1): Headroom(gain_db=3.0, ceiling_db=-3.8),
    (".m4a", 1): Headroom(gain_db=1.0, ceiling_db=-2.6),
    (".mp3", 2): Headroom(gain_db=0.5, ceiling_db=-3.8),
    (".ogg", 2): Headroom(gain_db=0.0, ceiling_db=-3.8),
    (".m4a", 2): Headroom(gain_db=0.0, ceiling_db=-2.6),
}
"""By format and channels (the bit rate and quality go by channels: encode.py)."""


def encoder_headroom(fmt: str, channels: int, volume: float = 1.0) -> Headroom:
    """The headroom for encoding `fmt` (".mp3", ...) from audio of `channels` channels, at
    `volume` (0 to 1): a session turned down is limited less, and needs less loudness given back
    (its gain is lowered by as many dB, to none)."""
    headroom = HEADROOM[fmt, channels]
    if volume >= 1:
        return headroom
    down = 20 * math.log10(volume) if volume > 0 else -headroom.gain_db
    return Headroom(max(0.0, headroom.gain_db + down), headroom.ceiling_db)
