"""`python -m playground` is the same as `rnn-playground`."""

from playground.cli import run

run()
