"""The data part of an exported quotes model's script: the generator of ``data/quotes.py``, written out
as source (its word lists, its seeded writer and ``generate``), so that ``train`` without ``--data``
makes the very text the app trained on from ``CONFIG["data"]["seed"]``."""

from __future__ import annotations

import inspect
import re

from playground.core.data import quotes

_LISTS = (
    "CHARACTERS", "NAMES", "PEOPLE", "THINGS", "PLACES", "ADJECTIVES", "VERBS", "MOTIONS", "SPEECH", "TIMES",
    "ADVERBS", "ASIDE_OPENERS", "PHRASES", "BRACKETS", "MAX_DEPTH",
)  # fmt: skip

_DATA_CLASS = r'''

class QuotesData(TextData):
    """Generated prose (what people say in capitals between double quotes, asides in nested brackets),
    made again from CONFIG["data"]["seed"] as the app makes it; --data FILE trains on a text instead."""

    def source(self, settings, tensors, data_file):
        if data_file:
            return super().source(settings, tensors, data_file)
        self.session_changes, self.tensors = {}, {}
        return generate(CONFIG["data"]["seed"])
'''


def quotes_data(render_names) -> str:
    """The source of the generator and of ``QuotesData`` (after the script's ``TextData``)."""
    writer = inspect.getsource(quotes._Writer)
    writer = re.sub(r"Sequence\[str\]", "tuple", writer)  # the script has no typing imports
    made = inspect.getsource(quotes.generate)
    lists = render_names({name: getattr(quotes, name) for name in _LISTS})
    head = "\n# The generator of the app's quoted prose (its word lists, then a seeded writer).\n"
    return head + lists + "\n\n\n" + writer + "\n\n" + made + _DATA_CLASS
