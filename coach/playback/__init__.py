"""Playing a timeline: position and status, the player, the audio outputs."""
