"""The machine the coach runs on: files written whole, paths as typed, the temporaries a killed
run leaves, file digests, progress, and the one program it runs for audio (ffmpeg)."""
