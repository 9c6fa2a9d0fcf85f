"""Open the RNN Playground window: `python main.py` (the same as `rnn-playground`)."""

from playground.cli import run

if __name__ == "__main__":
    run()
