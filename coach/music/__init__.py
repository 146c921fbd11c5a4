"""The runner's music: the playlist, its decoding by ffmpeg, and the levelled, looped bed."""
