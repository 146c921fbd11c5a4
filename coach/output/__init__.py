"""Files out of a timeline: encoding by ffmpeg, verified atomic export, captions."""
