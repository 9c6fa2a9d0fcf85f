"""Training that stops itself (issue 30): ``train --patience N`` stops after N validations without a
better validation loss and keeps the best weights; ``--stop-at-val-loss X`` stops once it is reached.
Both on a task that plateaus: a short pasted text, learned by heart, whose held-out part stops
improving within a few hundred steps."""

from __future__ import annotations

import numpy as np
from cli_helpers import assert_error, cli_json

from playground.core.train import checkpoint

TEXT = "the cat sat on the mat. the dog sat on the log. a bird sang in the tree. " * 30
SMALL = ("--data", "text", "--text", TEXT, "--hidden", "16", "--lr", "0.03", "--val-every", "10", "--quiet")


def test_patience_stops_on_a_plateau_and_keeps_the_best_weights(capsys, tmp_path):
    out = tmp_path / "m.safetensors"
    result = cli_json(capsys, "train", *SMALL, "--steps", "5000", "--patience", "3", "--out", out)
    stopped = result["stopped"]
    assert stopped["by"] == "patience" and stopped["step"] < 5000, stopped
    assert stopped["step"] == stopped["best_step"] + 3 * 10  # three validations, 10 steps apart, no better
    tr = checkpoint.load(out)
    assert tr.steps == stopped["best_step"] == result["steps"]  # the file holds the best weights
    vals = np.asarray(tr.history.val_loss)
    assert len(vals) and float(vals.min()) == stopped["best_val_loss"] == float(vals[-1])
    assert abs(tr.validate() - stopped["best_val_loss"]) < 1e-6  # and they measure as they did


def test_a_target_validation_loss_stops_where_it_is_reached(capsys, tmp_path):
    out = tmp_path / "m.safetensors"
    result = cli_json(capsys, "train", *SMALL, "--steps", "5000", "--stop-at-val-loss", "0.5", "--out", out)
    stopped = result["stopped"]
    assert stopped["by"] == "val_loss" and stopped["best_val_loss"] <= 0.5, stopped
    tr = checkpoint.load(out)
    assert tr.steps == stopped["step"] == stopped["best_step"] and tr.steps % 10 == 0
    # (the history ends with the validation that stopped it, then the one train adds at the end)
    vals = np.asarray(tr.history.val_loss)
    assert vals[-2] == stopped["best_val_loss"] and len(vals) >= 4
    assert (vals[:-2] > 0.5).all()  # it stopped at the first validation that reached it


def test_without_a_condition_nothing_stops_and_without_validation_the_condition_is_refused(capsys):
    result = cli_json(capsys, "train", *SMALL, "--steps", "30")
    assert result["stopped"] is None and result["steps"] == 30
    assert_error(capsys, "train", *SMALL, "--val-every", "0", "--steps", "30", "--patience", "3", words=("--val-every",))
    argument = "rnn-playground train: error: argument"
    assert_error(capsys, "train", *SMALL, "--steps", "30", "--patience", "0", words=("patience", "1 to"), prefix=argument)
    assert_error(capsys, "train", *SMALL, "--steps", "30", "--stop-at-val-loss", "nan", words=("stop-at-val-loss",), prefix=argument)
