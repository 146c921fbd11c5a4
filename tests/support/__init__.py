"""Helpers the tests share: stand-in engine, runners, routines, devices, audio checks."""
