"""Core of the step debugger, undo and the time scrubber: numbers the window will show, checked."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest
import torch

from playground.core import inference
from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig
from playground.core.data.series import SeriesTask
from playground.core.errors import PlaygroundError
from playground.core.inspect.equations import recurrence_terms
from playground.core.inspect.probes import connectivity
from playground.core.train.trainer import StepDetail, Trainer, UndoRing


def text_session(tiny_text, train: dict | None = None, **model) -> SessionConfig:
    return SessionConfig(
        model=ModelConfig(**{"arch": "rnn", "hidden": 16, "embed": 8, **model}),
        data=DataConfig(kind="text", source="inline", text=tiny_text),
        train=TrainConfig(**{"batch_size": 4, "seq_len": 24, "val_every": 0, **(train or {})}),
    )


def price_session(train: dict | None = None, **model) -> SessionConfig:
    return SessionConfig(
        model=ModelConfig(**{"arch": "gru", "hidden": 16, **model}),
        data=DataConfig(kind="prices", source="generator", length=120, window=8),
        train=TrainConfig(**{"batch_size": 8, "val_every": 0, **(train or {})}),
    )


def weights(trainer: Trainer) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in trainer.model.state_dict().items()}


def assert_same_weights(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


def optimizer_tensors(trainer: Trainer) -> list[torch.Tensor]:
    return [
        v.clone()
        for st in trainer.optimizer.state_dict()["state"].values()
        for v in st.values()
        if isinstance(v, torch.Tensor)
    ]


def unlabel(task, shown: list[str]) -> str:
    back = {task.label(ch): ch for ch in task.vocab}
    return "".join(back[s] for s in shown)


# -- step detail ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model",
    [
        {"arch": "rnn"},
        {"arch": "lstm", "layers": 2, "dropout": 0.3},  # dropout: the detail must not draw random numbers
        {"arch": "transformer", "dropout": 0.1},
    ],
)
def test_detail_is_the_same_step_laid_open(tiny_text, model):
    # One after the other: dropout draws from torch's global generator, which a Trainer seeds.
    plain = Trainer(text_session(tiny_text, **model))
    plain_reports = [plain.step() for _ in range(3)]
    seen = Trainer(text_session(tiny_text, **model))
    for r_plain in plain_reports:
        before = weights(seen)
        r = seen.step(detail=True)
        assert r.loss == r_plain.loss and r_plain.detail is None
    assert_same_weights(weights(plain), weights(seen))  # bit for bit the steps taken without detail

    d = r.detail
    assert isinstance(d, StepDetail) and d.kind == "text"
    s, t = 4, 24  # batch of 4 (fewer than 8): every sequence is shown
    assert len(d.inputs) == len(d.targets) == len(d.predictions) == s
    assert all(len(row) == t for rows in (d.inputs, d.targets, d.predictions) for row in rows)
    for inp, tgt in zip(d.inputs, d.targets):
        assert inp[1:] == tgt[:-1]  # the target is the next character
        assert unlabel(seen.task, inp) + unlabel(seen.task, tgt[-1:]) in tiny_text
    assert d.target_prob.shape == (s, t) and np.all((d.target_prob > 0) & (d.target_prob < 1))
    assert d.loss_per_step.shape == (t,)
    assert float(d.loss_per_step.astype(np.float64).mean()) == pytest.approx(r.loss, abs=1e-5)
    assert d.grad_through_time.shape == (t,) and np.all(d.grad_through_time > 0)

    # The update and parameter norms are what happened to the weights.
    after = weights(seen)
    names = list(r.param_names)
    assert d.update_norms.shape == d.param_norms.shape == (len(names),)
    for i, name in enumerate(names):
        assert d.param_norms[i] == pytest.approx(float(before[name].norm()), rel=1e-5)
        assert d.update_norms[i] == pytest.approx(
            float((after[name] - before[name]).norm()), rel=1e-4, abs=1e-9
        )
    assert d.update_norms.max() > 0


def test_detail_predictions_are_the_models_argmax(tiny_text):
    trainer = Trainer(text_session(tiny_text, train={"batch_size": 12}))
    probe_gen = torch.Generator()
    probe_gen.set_state(trainer.batch_gen.get_state())
    x, y = trainer.task.sample_batch(12, 24, probe_gen, trainer.device)
    with torch.no_grad():  # no dropout in this model: the step's forward gives the same logits
        p = torch.softmax(trainer.model(x)[0], dim=-1)
    d = trainer.step(detail=True).detail
    assert len(d.inputs) == 8  # at most 8 sequences shown
    labels = [trainer.task.label(ch) for ch in trainer.task.vocab]
    assert d.predictions == [[labels[i] for i in row] for row in p[:8].argmax(-1).tolist()]
    np.testing.assert_allclose(d.target_prob, p[:8].gather(-1, y[:8, :, None])[..., 0].numpy(), rtol=1e-5)


def test_grad_through_time_is_the_total_derivative(tiny_text):
    """||dL/dh_t|| reaches h_t through every later step, not only through the output at t."""
    trainer = Trainer(text_session(tiny_text))
    gen = torch.Generator()
    gen.set_state(trainer.batch_gen.get_state())
    x, y = trainer.task.sample_batch(4, 24, gen, trainer.device)
    model, task, t = trainer.model, trainer.task, 5
    # Independent check with the fused layer: cut the sequence at t and make h_t a leaf.
    e = model.encode(x).detach()
    first, _ = model.core(e[:, : t + 1])
    h_t = first[:, t].detach().requires_grad_(True)  # (B, H)
    rest, _ = model.core(e[:, t + 1 :], h_t[None])
    feats = torch.cat([first[:, :t].detach(), h_t[:, None], rest], dim=1)
    (g,) = torch.autograd.grad(task.loss(model.readout(feats), y), h_t)
    d = trainer.step(detail=True).detail
    assert d.grad_through_time[t] == pytest.approx(float(g.norm()), rel=1e-4)


def test_truncated_bptt_detail(tiny_text):
    # Many-to-many: chunks of 6; the step is still bit for bit the plain one.
    session = text_session(tiny_text, train={"tbptt": 6})
    plain = Trainer(session)
    r_plain = plain.step()
    seen = Trainer(session)
    r = seen.step(detail=True)
    assert_same_weights(weights(plain), weights(seen))
    assert r.loss == r_plain.loss
    assert float(r.detail.loss_per_step.astype(np.float64).mean()) == pytest.approx(r.loss, abs=1e-5)
    assert np.all(r.detail.grad_through_time > 0)
    # Many-to-one: only the last 3 of 8 steps receive gradient.
    d = Trainer(price_session(train={"tbptt": 3})).step(detail=True).detail
    assert np.all(d.grad_through_time[:5] == 0) and np.all(d.grad_through_time[5:] > 0)


def test_price_detail_in_raw_units():
    trainer = Trainer(price_session())
    task: SeriesTask = trainer.task
    gen = torch.Generator()
    gen.set_state(trainer.batch_gen.get_state())
    x, y = task.sample_batch(8, 0, gen, trainer.device)
    with torch.no_grad():
        delta = trainer.model(x)[0][:, 0].double().numpy()
    r = trainer.step(detail=True)
    d = r.detail
    assert d.kind == "prices" and d.target_prob is None
    assert len(d.inputs) == 8 and all(len(row) == 8 for row in d.inputs)
    assert all(len(row) == 1 for row in d.targets + d.predictions)
    raw = np.array(d.inputs, dtype=np.float64)  # "104.44": two decimals, the series' own units
    np.testing.assert_allclose(
        task.normalizer.encode_windows(raw), x[:, :, 0].numpy(), atol=0.01 / task.normalizer.scale
    )
    target = np.array([float(row[0]) for row in d.targets])
    np.testing.assert_allclose((target - raw[:, -1]) / task.normalizer.scale, y[:, 0].numpy(), atol=0.02)
    predicted = np.array([float(row[0]) for row in d.predictions])
    np.testing.assert_allclose(predicted, raw[:, -1] + delta * task.normalizer.scale, atol=0.011)
    assert d.loss_per_step.shape == (1,) and d.loss_per_step[0] == pytest.approx(r.loss, abs=1e-6)
    g = d.grad_through_time
    assert g.shape == (8,) and g[-1] > g[0] > 0  # the single prediction sits at the end


def test_refused_step_detail_moves_nothing(tiny_text):
    trainer = Trainer(text_session(tiny_text))
    handle = trainer.model.core.weight_hh_l0.register_hook(lambda g: g * float("inf"))
    r = trainer.step(detail=True)
    handle.remove()
    assert r.refused and np.all(r.detail.update_norms == 0) and np.all(r.detail.param_norms > 0)


# -- undo ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("train", "model"),
    [
        ({"optimizer": "adam"}, {"arch": "lstm", "layers": 2, "dropout": 0.3}),
        ({"optimizer": "sgd", "momentum": 0.9, "lr": 0.1}, {"arch": "rnn"}),
    ],
)
def test_undo_goes_back_bit_for_bit_and_replays(tiny_text, train, model):
    trainer = Trainer(text_session(tiny_text, train={**train, "val_every": 2}, **model))
    ring = UndoRing()
    for _ in range(3):
        trainer.step()
    saved_weights, saved_opt = weights(trainer), optimizer_tensors(trainer)
    saved_losses, saved_val = trainer.history.losses.copy(), list(trainer.history.val_loss)
    ring.push(trainer)
    assert ring.steps() == [3] and len(ring) == 1
    first = [trainer.step().loss for _ in range(3)]
    first_weights = weights(trainer)
    trainer.set_lr(0.5)

    assert ring.pop(trainer) == 3 and len(ring) == 0
    assert trainer.steps == 3 and trainer.lr == train.get("lr", 3e-3)
    assert_same_weights(weights(trainer), saved_weights)
    after_opt = optimizer_tensors(trainer)
    assert len(after_opt) == len(saved_opt) > 0
    assert all(torch.equal(a, b) for a, b in zip(after_opt, saved_opt))
    np.testing.assert_array_equal(trainer.history.losses, saved_losses)
    assert trainer.history.val_loss == saved_val

    again = [trainer.step().loss for _ in range(3)]  # same batches, same dropout masks
    assert again == first
    assert_same_weights(weights(trainer), first_weights)
    assert ring.pop(trainer) is None


def test_undo_ring_is_bounded_and_restores_twice(tiny_text):
    trainer = Trainer(text_session(tiny_text))
    ring = UndoRing(depth=3)
    for _ in range(5):
        ring.push(trainer)
        trainer.step()
    assert len(ring) == 3 and ring.steps() == [2, 3, 4]
    snap = trainer.snapshot()
    assert all(v.device.type == "cpu" for v in snap.weights.values()) and snap.nbytes > 0
    trainer.step()
    w1 = weights(trainer)
    for _ in range(2):  # the snapshot is not consumed by the optimizer's in-place updates
        trainer.restore(snap)
        trainer.step()
        assert_same_weights(weights(trainer), w1)
    ring.clear()
    assert len(ring) == 0 and ring.pop(trainer) is None
    with pytest.raises(PlaygroundError, match="another model"):
        Trainer(text_session(tiny_text, arch="gru")).restore(snap)
    with pytest.raises(PlaygroundError, match="depth"):
        UndoRing(depth=0)


# -- time scrubber ---------------------------------------------------------------------------


def test_probe_top_k_matches_autocomplete(tiny_text):
    trainer = Trainer(text_session(tiny_text, arch="gru"))
    for _ in range(5):
        trainer.step()
    probe = trainer.probe()
    assert len(probe.top_k) == 24 and all(len(row) == 5 for row in probe.top_k)
    for t, row in enumerate(probe.top_k):
        probs = [p for _, p in row]
        assert probs == sorted(probs, reverse=True)
        assert row[0][0] == trainer.task.vocab[probe.predicted[t]]
    prompt = trainer.task.decode(trainer.task.probe(24)[0][0, :8].numpy())
    expected = inference.top_next(trainer.model, trainer.task, prompt, k=5)
    assert [c for c, _ in probe.top_k[7]] == [c for c, _ in expected]
    np.testing.assert_allclose([p for _, p in probe.top_k[7]], [p for _, p in expected], rtol=1e-4)
    assert Trainer(price_session()).probe().top_k is None


@pytest.mark.parametrize("arch", ["rnn", "lstm", "transformer", "mlp"])
def test_connectivity_is_causal_and_matches_autograd(tiny_text, arch):
    trainer = Trainer(text_session(tiny_text, arch=arch, window=4, layers=2))
    labels, c = trainer.connectivity()
    assert len(labels) == 24 and c.shape == (24, 24)
    assert np.all(np.triu(c, k=1) == 0)  # no prediction depends on a later input
    assert np.all(np.diag(c) > 0)
    if arch == "mlp":  # it sees only its window of 4
        assert np.all(np.tril(c, k=-4) == 0) and np.all(np.diag(c, k=-3) > 0)
    # One row the slow way: a backward pass from the chosen logit alone.
    model, (x, _, _) = trainer.model, trainer.task.probe(24)
    model.eval()
    e = model.encode(x).detach().requires_grad_(True)
    out = model.readout(model.features(e)[0])[0]  # (T, V)
    t = 10
    (g,) = torch.autograd.grad(out[t, out[t].argmax()], e)
    model.train()
    np.testing.assert_allclose(c[t], g[0].norm(dim=-1).numpy(), rtol=1e-4, atol=1e-7)


def test_connectivity_for_typed_text_prices_and_speed(tiny_text):
    trainer = Trainer(text_session(tiny_text))
    labels, c = trainer.connectivity("the cat")
    assert labels == ("t", "h", "e", "␣", "c", "a") and c.shape == (6, 6)

    prices = Trainer(price_session(arch="lstm", bidirectional=True))
    labels, c = prices.connectivity()
    assert len(labels) == 8 and c.shape == (1, 8) and np.all(c > 0)
    labels, c = prices.connectivity(", ".join(str(v) for v in range(100, 112)))
    assert labels[0] == "103" and labels[-1] == "110" and c.shape == (1, 8)
    with pytest.raises(PlaygroundError, match="at least 9 values"):
        prices.connectivity("1, 2, 3")

    big = Trainer(text_session(tiny_text, arch="lstm", hidden=128, embed=32, train={"seq_len": 64}))
    big.connectivity()  # warm up
    took = min(_timed(big.connectivity) for _ in range(3))
    assert took < 0.5, f"connectivity took {took:.2f} s for T=64, hidden 128"


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


@pytest.mark.parametrize("arch", ["rnn", "lstm", "gru"])
def test_recurrence_terms_rebuild_the_hidden_state(tiny_text, arch):
    trainer = Trainer(text_session(tiny_text, arch=arch, layers=2))
    for _ in range(3):
        trainer.step()
    probe = trainer.probe()
    for layer in (0, 1):
        for t in (0, 1, 17):
            terms = trainer.recurrence_terms(layer, t)
            assert terms["arch"] == arch and terms["layer"] == layer and terms["t"] == t
            np.testing.assert_allclose(terms["h_t"], probe.hidden[layer, t, :16], atol=1e-5)
            if t > 0:
                np.testing.assert_allclose(terms["h_prev"], probe.hidden[layer, t - 1, :16], atol=1e-5)
            else:
                assert not terms["h_prev"].any()
            assert terms["x_t"].shape == ((8,) if layer == 0 else (16,))
            assert all(isinstance(terms[k], np.ndarray) for k in terms["order"])
    every = trainer.recurrence_terms_all(1)  # one run of the sequence for the time scrubber
    assert len(every) == 24 and [d["t"] for d in every] == list(range(24))
    np.testing.assert_allclose(np.stack([d["h_t"] for d in every]), probe.hidden[1, :, :16], atol=1e-5)
    terms = trainer.recurrence_terms(1, 17)
    assert terms.keys() == every[17].keys()
    for k in terms["order"]:
        np.testing.assert_allclose(terms[k], every[17][k], atol=1e-6)
    if arch == "rnn":
        assert terms["equation"] == "h_t = tanh(W_hh h_{t-1} + W_xh x_t + b)"
        np.testing.assert_allclose(
            terms["pre"], terms["W_hh h_prev"] + terms["W_xh x_t"] + terms["b"], atol=1e-6
        )
        np.testing.assert_allclose(terms["h_t"], np.tanh(terms["pre"]), atol=1e-6)
    elif arch == "lstm":
        assert terms["equations"][-2:] == ["c_t = f ⊙ c_{t-1} + i ⊙ g", "h_t = o ⊙ tanh(c_t)"]
        np.testing.assert_allclose(terms["c_t"], probe.gates["c"][1, 17, :16], atol=1e-5)
        np.testing.assert_allclose(terms["c_prev"], probe.gates["c"][1, 16, :16], atol=1e-5)
        np.testing.assert_allclose(terms["f"], probe.gates["f"][1, 17, :16], atol=1e-5)
    else:
        assert terms["equation"] == "h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}"
        np.testing.assert_allclose(terms["z"], probe.gates["z"][1, 17, :16], atol=1e-5)
        np.testing.assert_allclose(
            terms["h_t"], (1 - terms["z"]) * terms["n"] + terms["z"] * terms["h_prev"], atol=1e-6
        )


def test_recurrence_terms_relu_bidirectional_and_refusals(tiny_text):
    trainer = Trainer(text_session(tiny_text, activation="relu"))
    terms = trainer.recurrence_terms(0, 5)
    assert terms["equation"] == "h_t = relu(W_hh h_{t-1} + W_xh x_t + b)" and terms["activation"] == "relu"
    np.testing.assert_allclose(terms["h_t"], np.maximum(terms["pre"], 0), atol=1e-6)

    prices = Trainer(price_session(bidirectional=True, layers=2))  # first direction only
    probe = prices.probe()
    x = prices.task.probe(0)[0]
    terms = recurrence_terms(prices.model, x, 1, 6)
    assert terms["x_t"].shape == (32,)  # the layer below, both directions
    np.testing.assert_allclose(terms["h_t"], probe.hidden[1, 6, :16], atol=1e-5)

    with pytest.raises(PlaygroundError, match="no recurrence"):
        Trainer(text_session(tiny_text, arch="transformer")).recurrence_terms(0, 0)
    with pytest.raises(PlaygroundError, match="layer 3"):
        trainer.recurrence_terms(3, 0)
    with pytest.raises(PlaygroundError, match="time step 24"):
        trainer.recurrence_terms(0, 24)


def test_connectivity_function_on_a_model_directly(tiny_text):
    trainer = Trainer(text_session(tiny_text, arch="gru"))
    x, _, _ = trainer.task.probe(10)
    c = connectivity(trainer.model, trainer.task, x)
    assert c.shape == (10, 10) and trainer.model.training  # back in training mode afterwards
    session = dataclasses.replace(
        text_session(tiny_text, arch="gru"), train=TrainConfig(seq_len=10, val_every=0)
    )
    np.testing.assert_array_equal(Trainer(session).connectivity()[1], c)
