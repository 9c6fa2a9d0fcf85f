"""What every task's held-out set shares: fixed tensors cut into batches in order."""

from __future__ import annotations

import torch


def in_batches(
    x: torch.Tensor, y: torch.Tensor, batch_size: int, max_batches: int | None = None
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(x, y) cut into batches of ``batch_size`` in order; at most ``max_batches`` of them."""
    batches = list(zip(torch.split(x, batch_size), torch.split(y, batch_size)))
    return batches if max_batches is None else batches[: max(0, max_batches)]
