"""Sound: tones, loudness and levels, the music mix, the timeline that lays every sound at an
exact sample, and the live making of a session while its clips still render."""
