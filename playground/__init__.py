"""RNN Playground: see why recurrent networks learn, forget and explode."""

from __future__ import annotations

__version__ = "0.1.0"
