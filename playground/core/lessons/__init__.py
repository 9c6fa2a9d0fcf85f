"""The lessons: the fourteen cards (``cards``), the checks a card runs on the model in training
(``checks``, re-exported here), what each claim measures over seeds (``claims``), and the shapes of
sequence tasks (``shapes``)."""

from playground.core.lessons.checks import *  # noqa: F403
from playground.core.lessons.checks import __all__  # noqa: F401
