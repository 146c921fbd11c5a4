"""coach: a voice-guided audio coach for a runner's leg-mobility warm-up."""
