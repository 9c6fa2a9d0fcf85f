"""What every data kind's task shares, written once: its entry in the kind registry, its sizes when
it reads tokens, and its held-out set in fixed batches.

A task (``playground.core.kinds.Task``) is made by ``data.build_task``; the kinds differ in how they
make batches, probes and measures, which stay in their own modules.
"""

from __future__ import annotations

import torch

from playground.core.data._batching import in_batches
from playground.core.kinds import KindSpec, kind_spec


class TaskBase:
    """The registry entry (``spec``) by the task's ``kind``, and the held-out set in batches from the
    kind's ``_val_tensors``."""

    kind: str

    @property
    def spec(self) -> KindSpec:
        return kind_spec(self.kind)

    def _val_tensors(self, device: torch.device | str) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError(f"{type(self).__name__} keeps no held-out tensors")

    def val_batches(
        self,
        batch_size: int,
        seq_len: int,
        max_batches: int | None = None,
        device: torch.device | str = "cpu",
    ) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """The held-out set in a fixed order, in batches of ``batch_size``; at most ``max_batches``."""
        x, y = self._val_tensors(device)
        return in_batches(x, y, batch_size, max_batches)


class VocabTask(TaskBase):
    """A task over tokens: one input and one output per entry of its vocabulary."""

    vocab: list[str]

    @property
    def n_inputs(self) -> int:
        return len(self.vocab)

    @property
    def n_outputs(self) -> int:
        return len(self.vocab)
