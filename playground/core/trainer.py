"""The training loop, one optimizer step per call, no UI.

``Trainer.step()`` takes one step and returns a StepReport: floats and numpy
arrays only, so the window's worker can pass it across threads. The hot path
is what a bare PyTorch loop does (zero_grad, forward, backward, clip, step)
plus one small device-to-host copy that carries the loss and every gradient
norm together.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch

from playground.core.config import SessionConfig
from playground.core.data import build_task
from playground.core.errors import PlaygroundError
from playground.core.nets import SequenceModel, check_compatible
from playground.core.probes import Probe, run_probe


def pick_device(name: str = "auto") -> torch.device:
    """CUDA when available, then Apple MPS, else CPU; an explicit choice must exist."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise PlaygroundError(
            "device cuda was asked for, but torch sees no CUDA GPU: use --device cpu or auto"
        )
    if name == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise PlaygroundError(
                "device mps was asked for, but this machine has no Apple GPU: use cpu or auto"
            )
    if name not in ("cpu", "cuda", "mps"):
        raise PlaygroundError(f"unknown device {name!r}: choose auto, cpu, cuda or mps")
    return torch.device(name)


@dataclass(frozen=True)
class StepReport:
    step: int  # optimizer steps taken so far, this one included (unchanged when refused)
    loss: float
    grad_norm: float  # total gradient norm before clipping
    grad_norm_clipped: float  # after clipping (equal when clipping is off or not needed)
    param_names: tuple[str, ...]
    param_grad_norms: np.ndarray  # one norm per parameter tensor, before clipping
    lr: float
    seconds: float
    refused: bool = False  # NaN or inf in the loss or the gradients: the weights were not changed
    message: str = ""
    val_loss: float | None = None
    probe: Probe | None = None


class History:
    """Loss curves; kept compact (float32 arrays) so a long run and its file stay small."""

    def __init__(self) -> None:
        self.train_loss = np.zeros(0, np.float32)
        self._buf = np.zeros(1024, np.float32)
        self._n = 0
        self.val_steps: list[int] = []
        self.val_loss: list[float] = []

    def add(self, loss: float) -> None:
        if self._n == len(self._buf):
            self._buf = np.concatenate([self._buf, np.zeros_like(self._buf)])
        self._buf[self._n] = loss
        self._n += 1

    @property
    def losses(self) -> np.ndarray:
        return self._buf[: self._n]

    def set(self, train: np.ndarray, val_steps: list[int], val_loss: list[float]) -> None:
        self._buf = np.array(train, np.float32)
        self._n = len(self._buf)
        if self._n == 0:
            self._buf = np.zeros(1024, np.float32)
        self.val_steps, self.val_loss = list(val_steps), list(val_loss)


def _state_detach(state):
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


class Trainer:
    """Owns a model, its optimizer and its task; ``step()`` trains, ``probe()`` looks inside."""

    def __init__(self, session: SessionConfig, task: Any = None, device: str | torch.device | None = None):
        session.model.validate()
        session.data.validate()
        session.train.validate()
        self.session = session
        self.task = task if task is not None else build_task(session.data)
        tcfg = session.train
        check_compatible(session.model, self.task.many_to_many, self.task.kind)
        if self.task.many_to_many and getattr(self.task, "has_data", True):
            self.task.check_seq_len(tcfg.seq_len)
        self.device = device if isinstance(device, torch.device) else pick_device(device or tcfg.device)

        torch.manual_seed(tcfg.seed)  # same seed, same initial weights and dropout masks
        self.model = SequenceModel(
            session.model,
            n_inputs=self.task.n_inputs,
            n_outputs=self.task.n_outputs,
            tokens=self.task.vocab is not None,
            many_to_many=self.task.many_to_many,
        ).to(self.device)
        self.model.train()
        self.param_names = tuple(n for n, _ in self.model.named_parameters())
        self._params = [p for _, p in self.model.named_parameters()]
        self.optimizer = make_optimizer(self._params, tcfg)
        self.batch_gen = torch.Generator().manual_seed(tcfg.seed)
        self.steps = 0
        self.history = History()
        self._probe_input: tuple | None = None

    # -- settings that may change between steps ----------------------------------
    @property
    def lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def set_lr(self, lr: float) -> None:
        if not (lr > 0 and math.isfinite(lr)):
            raise PlaygroundError(f"learning rate must be more than zero, got {lr}")
        self.update_train(lr=lr)

    def set_clip(self, mode: str, value: float | None = None) -> None:
        self.update_train(clip=mode, clip_value=value or self.session.train.clip_value)

    LIVE_SETTINGS = ("lr", "batch_size", "seq_len", "clip", "clip_value", "tbptt", "val_every")

    def update_train(self, **changes: Any) -> None:
        """Change training settings between steps; the optimizer and seed need a new Trainer."""
        bad = sorted(set(changes) - set(self.LIVE_SETTINGS))
        if bad:
            raise PlaygroundError(f"{', '.join(bad)} cannot change during training: reset to apply")
        train = replace(self.session.train, **changes).validate()
        if train.seq_len != self.session.train.seq_len:
            if self.task.many_to_many and getattr(self.task, "has_data", True):
                self.task.check_seq_len(train.seq_len)
            self._probe_input = None
        self.session = replace(self.session, train=train)
        if "lr" in changes:
            for g in self.optimizer.param_groups:
                g["lr"] = train.lr

    # -- one optimizer step --------------------------------------------------------
    def step(self, probe: bool = False) -> StepReport:
        t0 = time.perf_counter()
        tcfg = self.session.train
        task, model, opt = self.task, self.model, self.optimizer
        if not getattr(task, "has_data", True):
            raise PlaygroundError("this model's training data is not available: open the data to train on")
        opt.zero_grad(set_to_none=True)
        x, y = task.sample_batch(tcfg.batch_size, tcfg.seq_len, self.batch_gen, self.device)
        if tcfg.tbptt and model.recurrent and tcfg.tbptt < x.shape[1]:
            loss = self._truncated_backward(x, y, tcfg.tbptt)
        else:
            out, _ = model(x)
            loss = task.loss(out, y)
            loss.backward()

        grads = [p.grad for p in self._params if p.grad is not None]
        norms = torch._foreach_norm(grads)
        total = torch.linalg.vector_norm(torch.stack(norms))
        if tcfg.clip == "norm":
            coef = torch.clamp(tcfg.clip_value / (total + 1e-6), max=1.0)
            torch._foreach_mul_(grads, coef)
            after = torch.minimum(total, torch.as_tensor(tcfg.clip_value, device=total.device))
        elif tcfg.clip == "value":
            torch._foreach_clamp_min_(grads, -tcfg.clip_value)
            torch._foreach_clamp_max_(grads, tcfg.clip_value)
            after = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
        else:
            after = total
        # One device-to-host copy for every number the report needs.
        stats = torch.stack([loss.detach().float(), total.float(), after.float(), *norms]).cpu().numpy()
        loss_v, total_v, after_v = (float(v) for v in stats[:3])
        per_param = stats[3:].astype(np.float32)
        if len(grads) != len(self._params):  # a parameter without gradient (unused) reads as 0
            full = np.zeros(len(self._params), np.float32)
            full[[i for i, p in enumerate(self._params) if p.grad is not None]] = per_param
            per_param = full

        refused = not (math.isfinite(loss_v) and math.isfinite(total_v))
        message = ""
        if refused:
            opt.zero_grad(set_to_none=True)
            what = "loss" if not math.isfinite(loss_v) else "gradient"
            message = (
                f"step refused: the {what} is {'NaN' if math.isnan(loss_v if what == 'loss' else total_v) else 'infinite'}; "
                "the weights were not changed (lower the learning rate or turn on clipping)"
            )
        else:
            opt.step()
            self.steps += 1
            self.history.add(loss_v)

        val_loss = None
        if not refused and tcfg.val_every and self.steps % tcfg.val_every == 0:
            val_loss = self.validate()
        probe_result = self.probe() if probe else None
        return StepReport(
            step=self.steps,
            loss=loss_v,
            grad_norm=total_v,
            grad_norm_clipped=after_v,
            param_names=self.param_names,
            param_grad_norms=per_param,
            lr=self.lr,
            seconds=time.perf_counter() - t0,
            refused=refused,
            message=message,
            val_loss=val_loss,
            probe=probe_result,
        )

    def _truncated_backward(self, x: torch.Tensor, y: torch.Tensor, k: int) -> torch.Tensor:
        """Backprop through at most k steps: cut the sequence into chunks, carry the state, detach it."""
        task, model = self.task, self.model
        t = x.shape[1]
        state, total = None, None
        if task.many_to_many:
            for s in range(0, t, k):
                out, state = model(x[:, s : s + k], state)
                part = task.loss(out, y[:, s : s + k]) * (out.shape[1] / t)
                part.backward()
                state = _state_detach(state)
                total = part.detach() if total is None else total + part.detach()
            return total
        # Many-to-one: only the last k steps receive gradient; earlier ones just set the state.
        with torch.no_grad():
            e = model.encode(x[:, : t - k])
            _, state, _ = model.features(e)
        e = model.encode(x[:, t - k :])
        feats, _, _ = model.features(e, state)
        loss = task.loss(model.readout(feats), y)
        loss.backward()
        return loss.detach()

    # -- evaluation ------------------------------------------------------------------
    @torch.no_grad()
    def validate(self) -> float | None:
        tcfg = self.session.train
        batches = self.task.val_batches(tcfg.batch_size, tcfg.seq_len, tcfg.val_batches, self.device)
        if not batches:
            return None
        self.model.eval()
        try:
            total, n = torch.zeros((), device=self.device), 0
            for x, y in batches:
                out, _ = self.model(x)
                total += self.task.loss(out, y) * x.shape[0]
                n += x.shape[0]
            loss = float(total) / n
        finally:
            self.model.train()
        self.history.val_steps.append(self.steps)
        self.history.val_loss.append(loss)
        return loss

    def set_probe_text(self, text: str | None) -> None:
        """Choose what the probe looks at (None: the start of the validation data)."""
        self._probe_input = None if text is None else self.task.probe(self.session.train.seq_len, text)

    def probe(self) -> Probe:
        if self._probe_input is None:
            self._probe_input = self.task.probe(self.session.train.seq_len)
        x, y, labels = self._probe_input
        return run_probe(self.model, self.task, x, y, labels)

    def summary(self) -> dict[str, Any]:
        return {
            "model": self.session.model.describe(),
            "parameters": self.model.n_params(),
            "device": str(self.device),
            "steps": self.steps,
            "data": self.task.kind,
        }


def make_optimizer(params: list[torch.nn.Parameter], tcfg) -> torch.optim.Optimizer:
    name, lr, wd = tcfg.optimizer, tcfg.lr, tcfg.weight_decay
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=tcfg.momentum, weight_decay=wd)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=wd)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=wd)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, momentum=tcfg.momentum, weight_decay=wd)
    raise PlaygroundError(f"unknown optimizer {name!r}")
