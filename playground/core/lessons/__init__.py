"""The lessons: the fourteen cards (``cards``), the checks a card runs on the model in training
(``checks``, re-exported here), what each claim measures over seeds (``claims``), the shapes of
sequence tasks (``shapes``), and the question each card asks before its check (``predictions``)."""

from playground.core.lessons.checks import *  # noqa: F403
from playground.core.lessons.checks import __all__  # noqa: F401
