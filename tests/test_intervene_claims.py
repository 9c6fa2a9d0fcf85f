"""The claim behind ablation and transplant (issue 32), on a model trained on the quotes kind: where does
it keep "inside a quotation"? Slow (a model per seed, about 90 s on one thread): ``-m lessons``.

Measured on seeds 0-2 (`train --data quotes --hidden 64 --steps 8000`, held-out prompts below, 9 pairs,
40 characters written greedily after each; the share of capitals among the letters written):

* the whole state after a source prompt that ends inside a quotation, put into a plain sentence: 1.00,
  1.00, 1.00; the plain sentence on its own: 0.00, 0.00, 0.00;
* only the unit that follows the quotes best (|r| 0.88, 0.88, 0.92; its h and c): 0.00, 0.00, 0.18;
* the 16 units that follow them best: 1.00, 1.00, 1.00; 16 units drawn at random, the mean of 5 draws:
  0.14, 0.11, 0.05 (single draws 0 to 0.33) (8 best: 1.00, 0.66, 0.90; 2 best: 0.00);
* holding the best unit at zero over 5,000 held-out characters raises the loss inside quotations by
  0.082, 0.062, 0.115 nats per character, less than the most costly of ten random units of its layer
  (0.39, 0.15, 0.21), and no more inside than outside (0.084, 0.118, 0.151).

So the unit that correlates best is not where the memory lives on its own: a handful of units hold it
together, and the model does not need any one of them. That is what the Neurons tab's Ablate column and
the scrubber's transplant let a learner find out, and what the README says.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from cli_helpers import cli_json
from lesson_seeds import seeds

from playground.core.inspect import intervene, neurons
from playground.core.train import checkpoint

# Prompts written for this test only (words the generator never writes): sources that end inside a
# quotation, targets that are plain prose.
SOURCES = ('the lighthouse keeper said, "', 'my aunt whispered, "', 'a postman asked, "')
TARGETS = ("somebody knocked twice and ", "the bicycle leaned on the ", "my uncle painted a ")
TOP = 16  # units that follow the quotes best, carried together
DRAWS = 5  # random groups of TOP units (a quarter of the layer: some draws hold a few quote units)


def capitals(texts: list[str]) -> float:
    letters = [ch for text in texts for ch in text if ch.isalpha()]
    return sum(ch.isupper() for ch in letters) / max(1, len(letters))


def carried(model, task, units=None) -> float:
    """The share of capitals written after each target with ``units`` (None: the whole state) carried in
    from each source (greedy, 40 characters)."""
    return capitals(
        [intervene.patch(model, task, s, t, units=units, length=40).patched for s in SOURCES for t in TARGETS]
    )


@pytest.mark.lessons
@pytest.mark.parametrize("seed", seeds([0, 1, 2]))
def test_the_quotation_lives_in_a_handful_of_units_not_in_the_one_that_follows_it_best(
    capsys, tmp_path, seed
):
    out = tmp_path / "q.safetensors"
    cli_json(capsys, "train", "--data", "quotes", "--hidden", 64, "--steps", 8000, "--seed", seed,
             "--data-seed", seed, "--quiet", "--out", out)  # fmt: skip
    tr = checkpoint.load(out, device="cpu")
    model, task = tr.model, tr.task
    text = neurons.default_text(task)
    ranking = neurons.rank_units(model, task, text, "quotes", top=None)
    best = next(u for u in ranking.units if u.kind == "h")
    order: list[tuple[int, int]] = []
    for u in ranking.units:  # units by their best |r| (an LSTM's h and c of a unit count once)
        if (u.layer, u.unit) not in order:
            order.append((u.layer, u.unit))
    rng = np.random.default_rng(seed)
    draws = [[(0, int(u), "h") for u in rng.choice(model.cfg.hidden, TOP, replace=False)] for _ in range(DRAWS)]
    ablation = intervene.ablate(model, task, text, [(best.layer, best.unit, "h")], "quotes", seed=seed)
    figures = {
        "seed": seed,
        "best": [best.layer, best.unit, round(best.correlation, 3)],
        "plain": capitals(
            [intervene.patch(model, task, SOURCES[0], t, length=40).unpatched for t in TARGETS]
        ),
        "whole state": carried(model, task),
        "best unit": carried(model, task, [(best.layer, best.unit, "h")]),
        f"best {TOP}": carried(model, task, [(layer, unit, "h") for layer, unit in order[:TOP]]),
        f"random {TOP}": [carried(model, task, units) for units in draws],
        "ablate best": ablation.units[0].as_dict(),
        "ablate random": ablation.spread(),
    }
    with capsys.disabled():
        print(json.dumps(figures))
    assert abs(best.correlation) >= 0.8
    # the memory travels with the state, and with the units that follow the quotes, not with random ones
    assert figures["whole state"] >= 0.9 and figures["plain"] <= 0.1, figures
    assert figures[f"best {TOP}"] >= 0.9 and np.mean(figures[f"random {TOP}"]) <= 0.3, figures
    # ... but not with the best unit alone, and the model does not need it alone: the look-alike
    assert figures["best unit"] <= 0.3, figures
    assert not ablation.beats_random(ablation.units[0]), figures
