"""`python -m playground` is the same as `rnn-playground`."""

from playground.cli import run

if __name__ == "__main__":  # not again in the training process, which imports this module
    run()
