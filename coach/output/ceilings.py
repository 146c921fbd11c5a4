"""The headroom each lossy encoder needs (audio/headroom.py): the true-peak ceiling its input is
limited under, so that the decoded file peaks at most at -1 dBTP, and the gain before that
limiter which gives back the loudness that limiting deeper (and the encoder) takes off.

Measured with ffmpeg 5.1's encoders at the options encode.py gives them, by ffmpeg's own meter
(`ebur128=peak=true`, the "True peak" of its summary) on the decoded file against the WAV it was
given, for seven sessions: the built-in one with Piper (the default voice), the same with eSpeak
NG (brief), tests/routines' hip-and-core circuit with Piper and with flite, its German circuit
(eSpeak NG), and the built-in one with music (tests/support/music.py's pink noise and chord)
with Piper and with eSpeak NG. The encoders overshoot most on the densest peaks, so the
overshoot grows as the limiting deepens; the largest seen at ceilings near these:

| encoder | overshoot | ceiling | gain |
| --- | ---: | ---: | ---: |
| MP3, 64 kb/s mono | 0.4 to 2.3 dB (2.8 after more gain: below) | -3.8 dBTP | 3.0 dB |
| Vorbis, quality 6 mono | 1.1 to 2.2 dB (the built-in session) | -3.8 dBTP | 3.0 dB |
| AAC, 64 kb/s mono | 0.0 to 1.1 dB (the German circuit) | -2.6 dBTP | 1.0 dB |
| MP3, 160 kb/s stereo | -0.3 to 0.4 dB | -3.8 dBTP | 0.5 dB |
| Vorbis, quality 4 stereo | 0.8 to 1.6 dB | -3.8 dBTP | 0.0 dB |
| AAC, 160 kb/s stereo | 0.0 dB | -2.6 dBTP | 0.0 dB |

Each ceiling is at least 0.5 dB under -1 dBTP less the largest overshoot seen. With music the
voice is 3 dB lower in each channel (mix.py), about -4.4 dBTP, so the stereo ceilings leave it
nearly alone. More gain buys little loudness under a ceiling this low, and deepens the limiting,
which raises the overshoot: MP3's is erratic past these gains (the German circuit's MP3 at
-3.8 dBTP: 1.5 dB after 3 dB of gain, 2.8 after 3.5, 1.4 after 4, 2.8 after 5), so the MP3's
gain stays at 3 dB. The built-in session with Piper then measures -16.8 LUFS as MP3, -16.3 as
Ogg, -16.0 as M4A; a voice whose clips were limited less (flite) comes out louder, to -15.2,
and the WAV's own loudness (`SPEECH_LUFS`) moves them all.
"""

from __future__ import annotations

from coach.audio.headroom import Headroom

HEADROOM: dict[tuple[str, int], Headroom] = {
    (".mp3", 1): Headroom(gain_db=3.0, ceiling_db=-3.8),
    (".ogg", 1): Headroom(gain_db=3.0, ceiling_db=-3.8),
    (".m4a", 1): Headroom(gain_db=1.0, ceiling_db=-2.6),
    (".mp3", 2): Headroom(gain_db=0.5, ceiling_db=-3.8),
    (".ogg", 2): Headroom(gain_db=0.0, ceiling_db=-3.8),
    (".m4a", 2): Headroom(gain_db=0.0, ceiling_db=-2.6),
}
"""By format and channels (the bit rate and quality go by channels: encode.py)."""


def encoder_headroom(fmt: str, channels: int) -> Headroom:
    """The headroom for encoding `fmt` (".mp3", ...) from audio of `channels` channels."""
    return HEADROOM[fmt, channels]
