"""The training loop, one optimizer step per call, no UI.

``Trainer.step()`` takes one step and returns a StepReport: floats and numpy
arrays only, so the window's worker can pass it across threads. The hot path
is what a bare PyTorch loop does (zero_grad, forward, backward, clip, step)
plus one small device-to-host copy that carries the loss and every gradient
norm together.

For the window's step debugger, ``step(detail=True)`` takes the very same step
and lays it open (``StepDetail``); ``snapshot()``/``restore()`` and
``UndoRing`` (snapshots.py) take a trainer back to an earlier step, bit for bit.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from typing import Any

import numpy as np
import torch

from playground.core.budget import check_fits
from playground.core.config import LIVE_TRAIN_SETTINGS, SessionConfig
from playground.core.data import build_task
from playground.core.errors import PlaygroundError
from playground.core.inspect.equations import recurrence_terms, recurrence_terms_all
from playground.core.inspect.probes import Probe, connectivity, run_probe
from playground.core.inspect.reports import StepReport
from playground.core.inspect.stepdetail import (
    StepDetail,
    decode_batch,
    feature_grad_norms,
    grad_through_time,
    loss_per_step,
)
from playground.core.model.nets import SequenceModel, check_compatible
from playground.core.train.device import pick_device, share_the_cpu
from playground.core.train.snapshots import TrainerSnapshot, UndoRing, clone_tensors

__all__ = [
    "History",
    "StepDetail",
    "StepReport",
    "Trainer",
    "TrainerSnapshot",
    "UndoRing",
    "make_optimizer",
    "pick_device",
    "share_the_cpu",
]


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
        check_compatible(session.model, self.task.spec.many_to_many, self.task.kind)
        if self.task.spec.seq_len_applies and self.task.has_data:
            self.task.check_seq_len(tcfg.seq_len)
        self.device = device if isinstance(device, torch.device) else pick_device(device or tcfg.device)
        # refuse, in one line, a run that would not fit in memory, before anything is allocated
        steps = tcfg.seq_len if self.task.spec.seq_len_applies else self._example_length()
        check_fits(session.model, tcfg, self.task.n_inputs, self.task.n_outputs, steps, self.task.tokens)

        torch.manual_seed(tcfg.seed)  # same seed, same initial weights and dropout masks
        self.model = SequenceModel(
            session.model,
            n_inputs=self.task.n_inputs,
            n_outputs=self.task.n_outputs,
            tokens=self.task.tokens,
            many_to_many=self.task.many_to_many,
            bag_of_words=self.task.mlp_bag_of_words,
        ).to(self.device)
        self.model.train()
        self.param_names = tuple(n for n, _ in self.model.named_parameters())
        self._params = [p for _, p in self.model.named_parameters()]
        self.optimizer = make_optimizer(self._params, tcfg)
        self.batch_gen = torch.Generator().manual_seed(tcfg.seed)
        self.steps = 0
        self.history = History()
        self._probe_input: tuple | None = None
        # Every change of state counts one moment: a step taken (or refused: its batch was drawn), a
        # change of settings, a restore. A snapshot names the moment it was taken at, so a session
        # file can say "back to the state of moment 57" and a replay knows which state to keep.
        self.moment = 0
        # session_file.Recorder (or None): told of every step, change of settings and restore
        self.recorder: Any = None

    def _example_length(self) -> int:
        """Time steps of one training example of a task that fixes its own length."""
        try:
            x, _ = self.task.sample_batch(1, self.session.train.seq_len, torch.Generator().manual_seed(0), "cpu")
        except PlaygroundError:  # a task without its data: no batch to size; the setting stands in
            return self.session.train.seq_len
        return int(x.shape[1])

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

    LIVE_SETTINGS = LIVE_TRAIN_SETTINGS

    def update_train(self, **changes: Any) -> None:
        """Change training settings between steps; the optimizer and seed need a new Trainer."""
        bad = sorted(set(changes) - set(self.LIVE_SETTINGS))
        if bad:
            raise PlaygroundError(f"{', '.join(bad)} cannot change during training: reset to apply")
        train = replace(self.session.train, **changes).validate()
        if train == self.session.train:
            return  # nothing changes (not a moment of its own, nothing to record)
        changed = {k: getattr(train, k) for k in changes if getattr(train, k) != getattr(self.session.train, k)}
        if train.batch_size > self.session.train.batch_size or train.seq_len > self.session.train.seq_len:
            steps = train.seq_len if self.task.spec.seq_len_applies else self._example_length()
            check_fits(self.session.model, train, self.task.n_inputs, self.task.n_outputs, steps, self.task.tokens)
        if train.seq_len != self.session.train.seq_len:
            if self.task.spec.seq_len_applies and self.task.has_data:
                self.task.check_seq_len(train.seq_len)
            self._probe_input = None
        self.session = replace(self.session, train=train)
        if "lr" in changes:
            for g in self.optimizer.param_groups:
                g["lr"] = train.lr
        self.moment += 1
        if self.recorder is not None:
            self.recorder.changed(changed)

    # -- one optimizer step --------------------------------------------------------
    def step(self, probe: bool = False, detail: bool = False) -> StepReport:
        """One optimizer step. ``probe``: look inside the model afterwards; ``detail``: lay this
        very step open for the step debugger (the same batch, loss and update, only slower)."""
        t0 = time.perf_counter()
        tcfg = self.session.train
        task, model, opt = self.task, self.model, self.optimizer
        if not task.has_data:
            raise PlaygroundError(
                "this model's training data is not inside its file (it was saved by an older version): "
                "it predicts; to train on, give the data again (rnn-playground train --resume MODEL --file DATA)"
            )
        threads = torch.get_num_threads()  # a session records it: sums split over threads round differently
        opt.zero_grad(set_to_none=True)
        batch_rng = self.batch_gen.get_state() if detail else None
        x, y = task.sample_batch(tcfg.batch_size, tcfg.seq_len, self.batch_gen, self.device)
        try:
            if detail:
                loss, out_seen, watched = self._detail_backward(x, y)
            elif tcfg.tbptt and model.recurrent and tcfg.tbptt < x.shape[1]:
                loss = self._truncated_backward(x, y, tcfg.tbptt)
            else:
                out, _ = model(x)
                loss = task.loss(out, y)
                loss.backward()
        except torch.cuda.OutOfMemoryError:
            # Nothing was updated yet: drop the half-made gradients and say what to change.
            opt.zero_grad(set_to_none=True)
            if self.device.type == "cuda":
                torch.cuda.empty_cache()
            raise PlaygroundError(
                f"out of GPU memory at batch size {tcfg.batch_size} x sequence length {tcfg.seq_len}: "
                "lower either and train on (the model and its training so far are kept)"
            ) from None

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
        if detail:  # before the update: the weights this step's gradients belong to
            before = [p.detach().clone() for p in self._params]
            param_norms = torch.stack(torch._foreach_norm(before)).cpu().numpy().astype(np.float32)
            if model.recurrent:
                gtt = grad_through_time(model, task, x, y, tcfg.tbptt)
            else:
                gtt = feature_grad_norms(watched.grad, x.shape[1])
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
        self.moment += 1
        if self.recorder is not None:
            self.recorder.stepped(loss_v, threads)

        step_detail = None
        if detail:
            if refused:
                update_norms = np.zeros(len(self._params), np.float32)
            else:
                torch._foreach_sub_(before, [p.detach() for p in self._params])
                update_norms = torch.stack(torch._foreach_norm(before)).cpu().numpy().astype(np.float32)
            inputs, targets, predictions, target_prob = decode_batch(task, x, y, out_seen, batch_rng)
            step_detail = StepDetail(
                kind=task.kind,
                inputs=inputs,
                targets=targets,
                predictions=predictions,
                target_prob=target_prob,
                loss_per_step=loss_per_step(task, out_seen, y),
                grad_through_time=gtt,
                update_norms=update_norms,
                param_norms=param_norms,
            )

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
            detail=step_detail,
        )

    def _detail_backward(
        self, x: torch.Tensor, y: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """The step's forward and backward with its outputs kept: (loss, outputs, watched features).

        The same operations as the plain step, in the same order, so the gradients (and the
        dropout masks drawn) are bit for bit the same. Outputs are (B, T, V) or (B, O), detached;
        the watched tensor is the last layer's output of a non-recurrent model, its grad retained.
        """
        tcfg, task, model = self.session.train, self.task, self.model
        if tcfg.tbptt and model.recurrent and tcfg.tbptt < x.shape[1]:
            outs: list[torch.Tensor] = []
            loss = self._truncated_backward(x, y, tcfg.tbptt, outs)
            return loss, (torch.cat(outs, dim=1) if task.many_to_many else outs[-1]), None
        feats, _, layers = model.features(model.encode(x))
        watched = None
        if layers:  # Transformer, feed-forward: no recurrence, the last layer's features stand in for h_t
            watched = layers[-1]
            watched.retain_grad()
        out = model.readout(feats)
        loss = task.loss(out, y)
        loss.backward()
        return loss, out.detach(), watched

    def _truncated_backward(
        self, x: torch.Tensor, y: torch.Tensor, k: int, outs: list[torch.Tensor] | None = None
    ) -> torch.Tensor:
        """Backprop through at most k steps: cut the sequence into chunks, carry the state, detach it.

        ``outs``, when given, receives each chunk's outputs (detached) for the step debugger.
        """
        task, model = self.task, self.model
        t = x.shape[1]
        state, total = None, None
        if task.many_to_many:
            for s in range(0, t, k):
                out, state = model(x[:, s : s + k], state)
                part = task.loss(out, y[:, s : s + k]) * (out.shape[1] / t)
                part.backward()
                if outs is not None:
                    outs.append(out.detach())
                state = _state_detach(state)
                total = part.detach() if total is None else total + part.detach()
            return total
        # Many-to-one: only the last k steps receive gradient; earlier ones just set the state.
        with torch.no_grad():
            e = model.encode(x[:, : t - k])
            _, state, _ = model.features(e)
        e = model.encode(x[:, t - k :])
        feats, _, _ = model.features(e, state)
        out = model.readout(feats)
        loss = task.loss(out, y)
        loss.backward()
        if outs is not None:
            outs.append(out.detach())
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

    def _probe_sequence(self) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
        if self._probe_input is None:
            self._probe_input = self.task.probe(self.session.train.seq_len)
        return self._probe_input

    def probe_text(self) -> str:
        """The probe sequence as text (a character model's; "" for other kinds): what the scrubber shows
        when no text was typed."""
        x = self._probe_sequence()[0]
        if not (getattr(self.task, "vocab", None) and x.dtype == torch.long):
            return ""
        return self.task.decode(x.reshape(-1).tolist())

    def probe(self) -> Probe:
        x, y, labels = self._probe_sequence()
        try:
            return run_probe(self.model, self.task, x, y, labels)
        except torch.cuda.OutOfMemoryError:
            if self.device.type == "cuda":
                torch.cuda.empty_cache()
            raise PlaygroundError(
                "out of GPU memory while looking inside the model (the probe): shorten the sequence "
                "length; the model and its training are kept"
            ) from None


    def probe_at_init(self, **model_changes: Any) -> Probe:
        """The probe of a fresh model with this one's settings and seed (and ``model_changes``, e.g.
        ``activation="relu"``): the curve at initialisation, on this trainer's probe sequence and
        task. Torch's global random state is left as it was: the running training is not disturbed."""
        session = self.session
        if model_changes:
            session = replace(session, model=replace(session.model, **model_changes))
        x, y, labels = self._probe_sequence()
        with torch.random.fork_rng(devices=[]):
            fresh = Trainer(session, task=self.task, device=self.device)
            return run_probe(fresh.model, self.task, x, y, labels)
    def connectivity(self, text: str | None = None) -> tuple[tuple[str, ...], np.ndarray]:
        """(input labels (T,), C) for the probe sequence, or for ``text`` typed by a user.

        C[t, s] is how strongly input s moves the prediction at t (see ``probes.connectivity``):
        (T, T) for text and dialogs, (1, T) for prices.
        """
        x, _, labels = (
            self._probe_sequence() if text is None else self.task.probe(self.session.train.seq_len, text)
        )
        return tuple(labels), connectivity(self.model, self.task, x)

    def recurrence_terms(self, layer: int, t: int) -> dict[str, Any]:
        """The recurrence at layer ``layer`` and time step ``t`` of the probe sequence, term by term."""
        x, _, _ = self._probe_sequence()
        return recurrence_terms(self.model, x, layer, t)

    def recurrence_terms_all(self, layer: int) -> list[dict[str, Any]]:
        """``recurrence_terms(layer, t)`` for every t of the probe sequence at once (one run, not T)."""
        x, _, _ = self._probe_sequence()
        return recurrence_terms_all(self.model, x, layer)

    def weights_finite(self) -> bool:
        """False once any weight is NaN or infinite (a huge step can do that with a finite gradient)."""
        norms = torch.stack(torch._foreach_norm([p.detach() for p in self._params]))
        return bool(torch.isfinite(norms).all())

    # -- undo ------------------------------------------------------------------------
    def snapshot(self) -> TrainerSnapshot:
        """Everything a step changes, copied to the CPU: restore() and the same step give the same weights."""
        cuda_rng = None
        if self.device.type == "cuda":
            cuda_rng = torch.cuda.get_rng_state(self.device)
        elif self.device.type == "mps":
            cuda_rng = torch.mps.get_rng_state()
        hist = self.history
        return TrainerSnapshot(
            step=self.steps,
            param_names=self.param_names,
            weights={k: v.detach().to("cpu", copy=True) for k, v in self.model.state_dict().items()},
            optimizer=clone_tensors(self.optimizer.state_dict(), torch.device("cpu")),
            optimizer_kind=type(self.optimizer).__name__,
            train_loss=hist.losses.copy(),
            val_steps=tuple(hist.val_steps),
            val_loss=tuple(hist.val_loss),
            batch_rng=self.batch_gen.get_state(),
            torch_rng=torch.get_rng_state(),
            device_rng=cuda_rng,
            session=self.session,
            moment=self.moment,
        )

    def restore(self, snap: TrainerSnapshot, keep_live_settings: bool = False) -> None:
        """Go back to a snapshot of this trainer: weights, optimizer, step count, losses, RNGs, settings.

        ``keep_live_settings``: the learning rate, clipping and the other live settings stay as they
        are now (the window's Undo: the weights go back, the settings on screen stay true).
        """
        recorder, self.recorder = self.recorder, None  # the restore is recorded as one rewind
        try:
            self._restore(snap, keep_live_settings)
        finally:
            self.recorder = recorder
        self.moment += 1
        if recorder is not None:
            recorder.rewound(snap.moment, keep_live_settings)

    def _restore(self, snap: TrainerSnapshot, keep_live_settings: bool) -> None:
        live = {k: getattr(self.session.train, k) for k in self.LIVE_SETTINGS}
        current = self.model.state_dict()
        if (
            snap.param_names != self.param_names
            or snap.weights.keys() != current.keys()
            or any(v.shape != current[k].shape for k, v in snap.weights.items())
            or snap.optimizer_kind != type(self.optimizer).__name__
        ):
            raise PlaygroundError("this snapshot belongs to another model: it cannot be restored here")
        self.model.load_state_dict(snap.weights, strict=True)
        # Cloned again: the optimizer updates its state in place and the snapshot must stay as it was.
        self.optimizer.load_state_dict(clone_tensors(snap.optimizer, None))
        self.steps = snap.step
        self.history.set(snap.train_loss, list(snap.val_steps), list(snap.val_loss))
        self.batch_gen.set_state(snap.batch_rng)
        torch.set_rng_state(snap.torch_rng)
        if snap.device_rng is not None:
            if self.device.type == "cuda":
                torch.cuda.set_rng_state(snap.device_rng, self.device)
            elif self.device.type == "mps":
                torch.mps.set_rng_state(snap.device_rng)
        if snap.session.train.seq_len != self.session.train.seq_len:
            self._probe_input = None
        self.session = snap.session
        if keep_live_settings:
            self.update_train(**live)  # the optimizer's state_dict brought the old learning rate too

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
