"""Replay a session file: its actions again from the start, on the CPU, checked step by step.

What makes a CPU run repeat bit for bit (measured, docs/sessions.md):

* the seeds: ``Trainer`` seeds torch's global generator (initial weights, dropout masks) and a
  generator of its own for the batches, from the session's seed;
* one random stream: the replay runs inside ``torch.random.fork_rng``, and nothing but training
  draws from it (the window's probes, predictions and comparisons draw from streams of their own);
* the thread count of every step: torch splits a sum over threads, and a sum split otherwise rounds
  otherwise. The recorder notes the count each step ran with (the thread tuner changes it while
  training) and the replay sets it again;
* the same data: the data's SHA-256 is checked before the model is built (and at each reset);
* rewinds (Undo, a roll-back, the stop rule's best weights) go back to the state of a moment
  (``Trainer.moment``): the replay keeps a snapshot at exactly the moments the session goes back to.

``torch.use_deterministic_algorithms`` is not needed on the CPU: the operations these models use
(LSTM, GRU, RNN, attention, embedding and their backward passes) have one CPU implementation each,
deterministic for a given thread count; turning it on changes nothing measured and is left off so
that a replay runs the very code the recording ran. A session recorded on a GPU is replayed on the
CPU too, and its losses differ in the last bits from the first step on: the replay says where.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from playground.core.config import SessionConfig
from playground.core.errors import PlaygroundError
from playground.core.train.session_file import Recording, check_data, read_session
from playground.core.train.trainer import Trainer, TrainerSnapshot

Watch = Callable[[Trainer], Callable[[Any], None]]  # a trainer -> what each of its steps' reports goes to

def _bits(x: float) -> bytes:
    return struct.pack("<d", float(x))


def _needed_moments(actions: tuple[dict[str, Any], ...]) -> list[set[int]]:
    """For each model of the session (a reset starts the next), the moments a rewind goes back to."""
    needed: list[set[int]] = [set()]
    for a in actions:
        if a["do"] == "reset":
            needed.append(set())
        elif a["do"] == "rewind":
            needed[-1].add(a["to"])
    return needed


class _Replay:
    def __init__(self, name: str, rec: Recording, watch: Watch | None = None) -> None:
        self.name, self.rec = name, rec
        self.watch = watch
        self.on_step: Callable[[Any], None] | None = None
        self.needed = _needed_moments(rec.actions)
        self.segment = -1
        self.snaps: dict[int, TrainerSnapshot] = {}
        self.trainer: Trainer | None = None
        self.k = 0  # recorded steps replayed

    def build(self, session: SessionConfig, fingerprint: dict[str, str]) -> None:
        check_data(fingerprint, session.data)
        session = replace(session, train=replace(session.train, device="cpu"))
        self.trainer = Trainer(session, device="cpu")
        self.on_step = self.watch(self.trainer) if self.watch is not None else None
        self.segment += 1
        self.snaps = {}
        self.keep()

    def keep(self) -> None:
        tr = self.trainer
        assert tr is not None
        if tr.moment in self.needed[self.segment]:
            self.snaps[tr.moment] = tr.snapshot()

    def bad(self, i: int, what: str) -> PlaygroundError:
        return PlaygroundError(f"{self.name} is corrupted: action {i + 1} {what}")

    def run(self) -> dict[str, Any] | None:
        """Every action; the first mismatch found (None: every step's loss the same)."""
        rec = self.rec
        self.build(rec.session, rec.start["data"])
        for i, a in enumerate(rec.actions):
            tr = self.trainer
            assert tr is not None
            do = a["do"]
            if do == "train":
                torch.set_num_threads(a["threads"])
                for _ in range(a["steps"]):
                    r = tr.step()
                    if self.on_step is not None:  # (the report's curves and verdicts; it draws nothing random)
                        self.on_step(r)
                    want = float(rec.losses[self.k])
                    self.k += 1
                    self.keep()
                    if _bits(r.loss) != _bits(want):
                        return {
                            "what": "loss",
                            "step": self.k,
                            "action": i + 1,
                            "recorded": want,
                            "replayed": r.loss,
                            "difference": r.loss - want,
                        }
            elif do == "set":
                try:
                    tr.update_train(**a["changes"])
                except PlaygroundError as e:
                    raise self.bad(i, f"changes a setting this app refuses ({e})") from None
                self.keep()
            elif do == "rewind":
                snap = self.snaps.get(a["to"])
                if snap is None:
                    raise self.bad(i, f"goes back to moment {a['to']}, which the session never reached")
                tr.restore(snap, keep_live_settings=a["keep_settings"])
                self.keep()
            elif do == "reset":
                session = SessionConfig.from_dict(a["session"])
                self.build(session, a["data"])
            elif do == "clamp":
                found = self._clamp(tr, a)
                if found is not None:
                    return {"action": i + 1, "step": self.k, **found}
            # "fix": a label; what the fix did follows as its own actions
        return None

    def _clamp(self, tr: Trainer, a: dict[str, Any]) -> dict[str, Any] | None:
        from playground.core.inspect import clamp

        pin = {(a["layer"], a["unit"]): float(a["value"])}
        args = (tr.model, tr.task, a["prompt"], a["length"], float(a["temperature"]))
        with torch.random.fork_rng(devices=[]):  # sampling draws from its own seeded generator
            free = clamp.sample(*args, seed=a["seed"])
            pinned = clamp.sample(*args, seed=a["seed"], clamp=pin)
        for what, got, want in (("free", free, a["free"]), ("clamped", pinned, a["clamped"])):
            if got != want:
                at = next((j for j, (x, y) in enumerate(zip(got, want)) if x != y), min(len(got), len(want)))
                return {"what": f"clamp ({what} text)", "character": at, "recorded": want[:80], "replayed": got[:80]}
        return None


def _weights_mismatch(tr: Trainer, tensors: dict[str, torch.Tensor]) -> dict[str, Any] | None:
    mine = {f"model/{k}": v.detach().cpu() for k, v in tr.model.state_dict().items()}
    theirs = {k: v for k, v in tensors.items() if k.startswith("model/")}
    if mine.keys() != theirs.keys():
        return {"what": "weights", "tensor": sorted(mine.keys() ^ theirs.keys())[0], "difference": None}
    for key in sorted(mine):
        a, b = mine[key].contiguous(), theirs[key]
        if a.shape != b.shape or a.numpy().tobytes() != b.numpy().tobytes():
            diff = float((a.double() - b.double()).abs().max()) if a.shape == b.shape else None
            return {"what": "weights", "tensor": key[len("model/") :], "difference": diff}
    return None


def replay(path: str | Path) -> dict[str, Any]:
    """``replay_trainer`` without the trainer: what ``rnn-playground replay --json`` prints."""
    return replay_trainer(path)[0]


def replay_trainer(path: str | Path, watch: Watch | None = None) -> tuple[dict[str, Any], Trainer]:
    """Re-run a session file's actions from the start on the CPU and compare: every recorded step's
    loss (bit for bit), the clamps' texts, the step count and the final weights (tensor for tensor).
    Returns the result and the replayed trainer; in the result ``identical`` is False with ``mismatch`` at the
    first difference. A bad file or changed data: PlaygroundError (one line naming the file). ``watch``:
    called with each trainer the session builds (its start and every reset), it returns what is called
    with every step's report (the HTML report follows the run this way)."""
    name = Path(path).name
    t0 = time.perf_counter()
    _meta, tensors, rec = read_session(path)
    run = _Replay(name, rec, watch)
    threads = torch.get_num_threads()
    try:
        with torch.random.fork_rng(devices=[]):
            mismatch = run.run()
            tr = run.trainer
            assert tr is not None
            if mismatch is None and tr.steps != rec.end["steps"]:
                mismatch = {"what": "steps", "recorded": rec.end["steps"], "replayed": tr.steps}
            if mismatch is None:
                mismatch = _weights_mismatch(tr, tensors)
    finally:
        torch.set_num_threads(threads)
    weights = sum(1 for k in tensors if k.startswith("model/"))
    return {
        "file": str(path),
        "steps": run.k,
        "recorded_steps": int(rec.losses.shape[0]),
        "actions": len(rec.actions),
        "identical": mismatch is None,
        "mismatch": mismatch,
        "weights_compared": weights if mismatch is None else 0,
        "trainer_steps": tr.steps,
        "recorded_on": rec.end["device"],
        "replayed_on": "cpu",
        "last_loss": float(rec.losses[-1]) if len(rec.losses) else None,
        "seconds": time.perf_counter() - t0,
    }, tr


def mismatch_line(result: dict[str, Any]) -> str:
    """The first difference, in one line."""
    m = result["mismatch"]
    if m["what"] == "loss":
        return (
            f"step {m['step']} differs: recorded loss {m['recorded']!r}, replayed {m['replayed']!r} "
            f"(by {m['difference']:.3g})"
        )
    if m["what"] == "weights":
        by = "" if m["difference"] is None else f" (by up to {m['difference']:.3g})"
        return f"every step's loss is the same, but the final weights differ at {m['tensor']}{by}"
    if m["what"] == "steps":
        return f"the session ends at step {m['recorded']}, the replay at {m['replayed']}"
    return f"action {m['action']}, {m['what']} differs from character {m['character']}: {m['replayed']!r}"

