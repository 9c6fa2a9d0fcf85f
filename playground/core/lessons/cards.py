"""The built-in lesson cards: their words, set-ups and checks live in lesson files
(``resources/lessons/NN-ID.toml``, read by ``files.py``, the loader a teacher's lesson uses too).

Their checks (what each card measures on the live model) are in playground.core.lessons.checks.
"""

from __future__ import annotations

from playground.core.lessons.files import OUTLINES, TABS, Lesson, builtin_lessons

__all__ = ["CARDS", "OUTLINES", "SEEDS", "TABS", "WINDOW_GAPS", "WINDOW_SWEEP_STEPS", "Lesson"]

SEEDS = (0, 1, 2, 3, 4)  # the seeds most built-in lessons show their spread over (their files list them)
# Lesson 3's sweep: the memory task at these gaps d, a GRU against a feed-forward network with a window
# of 16 inputs (the lesson-window preset): the key is inside the window while d <= 14.
WINDOW_GAPS = "4, 8, 12, 16, 20"
WINDOW_SWEEP_STEPS = 1000

CARDS: tuple[Lesson, ...] = builtin_lessons()
