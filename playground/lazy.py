"""Modules imported on first use, for the window's first paint (issue 27).

The window's process paints before it needs numpy (about a fifth of its start-up, measured with
``python -X importtime``): the modules it imports to build its first widgets (the messages, the
session, the data previews, the lessons) use numpy only inside functions, and name it through
:data:`np`, which imports numpy the first time one of its attributes is read and keeps each
attribute it has handed out, so that later reads cost what a module's attribute costs. Type checkers
see the real numpy (``if TYPE_CHECKING: import numpy as np``).
"""

from __future__ import annotations

import importlib
import types
from typing import Any


class LazyModule(types.ModuleType):
    """Stands for the module of the same name until an attribute is read, then hands out its attributes."""

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__") and attr.endswith("__"):  # copy, pickle and inspect probe these
            raise AttributeError(attr)
        value = getattr(importlib.import_module(self.__name__), attr)
        setattr(self, attr, value)
        return value


np: Any = LazyModule("numpy")
