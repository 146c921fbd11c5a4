"""coach: a voice-guided audio coach for a runner's leg-mobility warm-up.

An offline coach sends nothing: ONNX Runtime (which Piper runs on) has telemetry that is on by
default on Linux (a device id and an event database under ~/.cache/Microsoft, and an uploader),
read from the environment once, when it initialises. So it is turned off here, before anything
of the package can import it, for this process and every child it starts.
"""
import os

os.environ["ORT_DISABLE_TELEMETRY"] = "1"
