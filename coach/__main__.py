"""`python -m coach` runs the command-line interface."""
from coach.cli import main

main()
