"""Composing: session options, the timed script model, the wording, and the track that sets
are laid on. A routine and options in, an explicit script out; no sound is made here."""
