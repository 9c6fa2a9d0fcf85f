"""The lessons: the built-in cards (``cards``), the checks a card runs on the model in training
(``checks``, re-exported here; what a check reads and says in ``results``, lesson 14's four uses in
``uses``, the spread over seeds in ``spread``), what each claim measures over seeds (``claims``), the shapes of
sequence tasks (``shapes``), and the question each card asks before its check (``predictions``)."""

from playground.core.lessons.checks import *  # noqa: F403
from playground.core.lessons.checks import __all__  # noqa: F401
