"""Trainer.step(): one optimizer step, an honest report, and no NaN ever reaching the weights."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from playground.core.config import DataConfig, ModelConfig, SessionConfig, TrainConfig
from playground.core.errors import PlaygroundError
from playground.core.train.trainer import Trainer, pick_device


def text_session(tiny_text, **model) -> SessionConfig:
    return SessionConfig(
        model=ModelConfig(**{"arch": "rnn", "hidden": 16, "embed": 8, **model}),
        data=DataConfig(kind="text", source="inline", text=tiny_text),
        train=TrainConfig(batch_size=4, seq_len=24, val_every=0),
    )


def snapshot(trainer):
    return {k: v.detach().clone() for k, v in trainer.model.state_dict().items()}


def test_same_seed_same_run(tiny_text):
    a, b = Trainer(text_session(tiny_text)), Trainer(text_session(tiny_text))
    la = [a.step().loss for _ in range(15)]
    lb = [b.step().loss for _ in range(15)]
    assert la == lb
    c = Trainer(
        dataclasses.replace(text_session(tiny_text), train=TrainConfig(batch_size=4, seq_len=24, seed=7))
    )
    assert [c.step().loss for _ in range(15)] != la


def test_report_holds_numbers_only(tiny_text):
    trainer = Trainer(text_session(tiny_text, arch="lstm", layers=2))
    r = trainer.step(probe=True)
    for f in dataclasses.fields(r):
        assert not isinstance(getattr(r, f.name), torch.Tensor), f.name
    for f in dataclasses.fields(r.probe):
        v = getattr(r.probe, f.name)
        assert not isinstance(v, torch.Tensor), f.name
    assert all(isinstance(v, np.ndarray) for v in r.probe.gates.values())
    # The per-tensor norms add up to the total, and each parameter tensor has one.
    assert len(r.param_grad_norms) == len(r.param_names) == 11  # embedding, 2 layers x 4, head x 2
    assert np.sqrt((r.param_grad_norms.astype(np.float64) ** 2).sum()) == pytest.approx(r.grad_norm, rel=1e-4)
    assert r.step == 1 and np.isfinite(r.loss) and r.seconds > 0


def test_infinite_gradient_is_refused_and_weights_stay(tiny_text):
    trainer = Trainer(text_session(tiny_text))
    trainer.step()
    before = snapshot(trainer)
    adam_steps = trainer.optimizer.state[trainer._params[0]]["step"].clone()
    handle = trainer.model.core.weight_hh_l0.register_hook(lambda g: g * float("inf"))
    r = trainer.step()
    handle.remove()
    assert r.refused and "refused" in r.message and "not changed" in r.message
    assert r.step == 1 and trainer.steps == 1 and len(trainer.history.losses) == 1
    for k, v in snapshot(trainer).items():
        assert torch.equal(v, before[k]), k
    assert torch.equal(trainer.optimizer.state[trainer._params[0]]["step"], adam_steps)
    assert trainer.step().refused is False  # and training goes on


def test_nan_loss_is_refused(tiny_text):
    trainer = Trainer(text_session(tiny_text))
    before = snapshot(trainer)
    handle = trainer.model.head.register_forward_hook(lambda m, i, o: o * float("nan"))
    r = trainer.step()
    handle.remove()
    assert r.refused and "NaN" in r.message
    for k, v in snapshot(trainer).items():
        assert torch.equal(v, before[k])


def test_exploding_relu_rnn_never_corrupts_weights(tiny_text):
    session = text_session(tiny_text, activation="relu", init="identity")
    session = dataclasses.replace(
        session,
        train=TrainConfig(batch_size=4, seq_len=24, lr=100.0, clip="off", optimizer="sgd", val_every=0),
    )
    trainer = Trainer(session)
    reports = [trainer.step() for _ in range(30)]
    assert any(r.refused for r in reports) or max(r.grad_norm for r in reports) > 1e3
    for p in trainer.model.parameters():
        assert torch.isfinite(p).all()


def test_clipping_modes(tiny_text):
    base = text_session(tiny_text)
    by_norm = Trainer(
        dataclasses.replace(
            base, train=TrainConfig(batch_size=4, seq_len=24, clip="norm", clip_value=0.05, val_every=0)
        )
    )
    r = by_norm.step()
    assert r.grad_norm > 0.05 and r.grad_norm_clipped == pytest.approx(0.05, rel=1e-3)
    total = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in by_norm.model.parameters()]))
    assert float(total) == pytest.approx(0.05, rel=1e-3)

    by_value = Trainer(
        dataclasses.replace(
            base, train=TrainConfig(batch_size=4, seq_len=24, clip="value", clip_value=0.01, val_every=0)
        )
    )
    r = by_value.step()
    assert max(float(p.grad.abs().max()) for p in by_value.model.parameters()) <= 0.01 + 1e-7
    assert r.grad_norm_clipped < r.grad_norm

    off = Trainer(
        dataclasses.replace(base, train=TrainConfig(batch_size=4, seq_len=24, clip="off", val_every=0))
    )
    r = off.step()
    assert r.grad_norm_clipped == r.grad_norm


def test_learning_rate_changes_between_steps(tiny_text):
    trainer = Trainer(text_session(tiny_text))
    assert trainer.step().lr == pytest.approx(3e-3)
    trainer.set_lr(0.5)
    assert trainer.step().lr == 0.5
    assert trainer.optimizer.param_groups[0]["lr"] == 0.5
    with pytest.raises(PlaygroundError, match="learning rate"):
        trainer.set_lr(-1)


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "adamw", "rmsprop"])
def test_every_optimizer_lowers_the_loss(tiny_text, optimizer):
    lr = {"sgd": 0.5, "rmsprop": 3e-3}.get(optimizer, 1e-2)
    session = dataclasses.replace(
        text_session(tiny_text, arch="gru"),
        train=TrainConfig(batch_size=8, seq_len=24, optimizer=optimizer, lr=lr, val_every=0),
    )
    trainer = Trainer(session)
    losses = [trainer.step().loss for _ in range(60)]
    assert np.mean(losses[-10:]) < 0.8 * np.mean(losses[:5])


def test_validation_every_k_steps(tiny_text):
    session = dataclasses.replace(
        text_session(tiny_text), train=TrainConfig(batch_size=4, seq_len=24, val_every=5)
    )
    trainer = Trainer(session)
    got = [trainer.step().val_loss for _ in range(12)]
    assert [i + 1 for i, v in enumerate(got) if v is not None] == [5, 10]
    assert trainer.history.val_steps == [5, 10]


def test_truncated_bptt_cuts_the_gradient_path(tiny_text):
    def grads(tbptt: int) -> torch.Tensor:
        session = dataclasses.replace(
            text_session(tiny_text),
            train=TrainConfig(batch_size=4, seq_len=24, tbptt=tbptt, clip="off", val_every=0),
        )
        trainer = Trainer(session)
        trainer.step()
        return trainer.model.core.weight_hh_l0.grad.clone()

    full = grads(0)
    assert torch.allclose(grads(24), full)  # a window as long as the sequence changes nothing
    assert not torch.allclose(grads(4), full, atol=1e-6)


def test_bidirectional_refused_for_generation_allowed_for_prices(tiny_text):
    with pytest.raises(PlaygroundError, match="future"):
        Trainer(text_session(tiny_text, bidirectional=True))
    session = SessionConfig(
        model=ModelConfig(arch="gru", hidden=8, bidirectional=True),
        data=DataConfig(kind="prices", source="generator", length=100, window=8),
        train=TrainConfig(batch_size=8, val_every=0),
    )
    r = Trainer(session).step(probe=True)
    assert r.probe.hidden.shape == (1, 8, 16)  # both directions side by side


def test_probe_matches_the_fused_model_and_shows_vanishing_gradients(tiny_text):
    trainer = Trainer(
        dataclasses.replace(
            text_session(tiny_text, layers=2), train=TrainConfig(batch_size=4, seq_len=60, val_every=0)
        )
    )
    probe = trainer.probe()
    x, _, labels = trainer.task.probe(60)
    with torch.no_grad():
        trainer.model.eval()
        top, _ = trainer.model.core(trainer.model.encode(x))
        trainer.model.train()
    assert probe.hidden.shape == (2, 60, 16) and probe.grad_norm.shape == (2, 60)
    np.testing.assert_allclose(probe.hidden[-1], top[0].numpy(), atol=1e-5)
    assert list(probe.labels) == labels and len(labels) == 60
    # Untrained tanh RNN: the last prediction's error barely reaches the start of the sequence.
    g = probe.grad_norm[-1]
    assert g[0] < 1e-3 * g[-1]
    assert probe.input_grad.shape == (60,) and probe.input_grad[-1] > probe.input_grad[0]


@pytest.mark.parametrize(
    ("arch", "gates"), [("lstm", ["i", "f", "g", "o", "c"]), ("gru", ["r", "z", "n"]), ("rnn", [])]
)
def test_probe_gates(tiny_text, arch, gates):
    probe = Trainer(text_session(tiny_text, arch=arch, layers=2)).probe()
    assert sorted(probe.gates) == sorted(gates)
    for name, v in probe.gates.items():
        assert v.shape == (2, 24, 16)
        if name in "ifozr":
            assert v.min() > 0 and v.max() < 1


@pytest.mark.parametrize("arch", ["transformer", "mlp"])
def test_reference_models_probe(tiny_text, arch):
    trainer = Trainer(text_session(tiny_text, arch=arch, layers=2, window=4))
    probe = trainer.probe()
    assert probe.hidden.shape == (2, 24, 16)
    if arch == "mlp":
        # It sees only its window: inputs older than 4 steps do not matter to the last prediction.
        assert np.all(probe.input_grad[:-4] == 0) and np.all(probe.input_grad[-4:] > 0)


def test_init_schemes(tiny_text):
    ident = Trainer(text_session(tiny_text, init="identity")).model.core
    assert torch.equal(ident.weight_hh_l0, torch.eye(16))
    assert not ident.bias_ih_l0.any() and not ident.bias_hh_l0.any()
    lstm = Trainer(text_session(tiny_text, arch="lstm", init="identity")).model.core
    assert torch.equal(lstm.weight_hh_l0[16:32], torch.eye(16))  # each gate's block
    ortho = Trainer(text_session(tiny_text, init="orthogonal")).model.core.weight_hh_l0
    torch.testing.assert_close(ortho @ ortho.T, torch.eye(16), atol=1e-5, rtol=0)
    with pytest.raises(PlaygroundError, match="identity"):
        Trainer(text_session(tiny_text, arch="transformer", init="identity"))


def test_device_choice():
    assert pick_device("cpu") == torch.device("cpu")
    if not torch.cuda.is_available():
        assert pick_device("auto") == torch.device("cpu") or pick_device("auto").type == "mps"
        with pytest.raises(PlaygroundError, match="no CUDA"):
            pick_device("cuda")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"arch": "banana"}, "unknown architecture"),
        ({"hidden": 0}, "hidden"),
        ({"dropout": 1.5}, "dropout"),
        ({"arch": "transformer", "hidden": 15, "heads": 2}, "divisible"),
        ({"arch": "mlp", "bidirectional": True}, "no direction"),
    ],
)
def test_bad_model_settings(change, words):
    with pytest.raises(PlaygroundError, match=words):
        ModelConfig(**change).validate()
