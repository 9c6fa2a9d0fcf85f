"""The session as the window shows it, in one place and without Qt.

:class:`AppState` holds the configuration (the one copy), the file and whether there is unsaved
work, the play state, what Undo can go back to, the diagnosis, and the model's *generation*: a
number that grows with every build, open and adopt the window asks for. Widgets take the state
and listen to its events; they never keep a copy of their own. The window drops every answer
from the worker that is older than :attr:`AppState.floor` (see :meth:`AppState.accepts`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from playground.core.config import SessionConfig

if TYPE_CHECKING:
    from playground.core.inspect.diagnosis import Diagnosis


class Event:
    """A list of callbacks: ``connect(fn)``, ``disconnect(fn)``, ``emit(value)``."""

    def __init__(self) -> None:
        self._callbacks: list[Callable[[Any], None]] = []

    def connect(self, callback: Callable[[Any], None]) -> None:
        self._callbacks.append(callback)

    def disconnect(self, callback: Callable[[Any], None]) -> None:
        self._callbacks.remove(callback)

    def emit(self, value: Any = None) -> None:
        for callback in list(self._callbacks):
            callback(value)


@dataclass
class StateEvents:
    config: Event = field(default_factory=Event)  # the SessionConfig changed
    model: Event = field(default_factory=Event)  # a model arrived (its summary) or went ({} : none yet)
    play: Event = field(default_factory=Event)  # "playing", "stepping", "paused"
    file: Event = field(default_factory=Event)  # path or unsaved work changed
    undo: Event = field(default_factory=Event)  # the steps Undo can go back to
    diagnosis: Event = field(default_factory=Event)  # a Diagnosis, or None when it cleared
    loading: Event = field(default_factory=Event)  # a text while a model is being built, "" when done


class AppState:
    """One session: settings, file, play state, undo, diagnosis, and the model generation."""

    def __init__(self, config: SessionConfig) -> None:
        self.events = StateEvents()
        self._config = config
        self.summary: dict[str, Any] = {}  # the model's summary; empty while none is ready
        self.path: str | None = None
        self.dirty = False  # trained since the newest save or open
        self.changed_since_save = False  # a Play, Step or Undo was sent after the newest save or open
        self.file_steps: int | None = None  # the steps of the model in that file, where known
        self._play = "paused"
        self.undo_steps: tuple[int, ...] = ()
        self.diagnosis: Diagnosis | None = None  # the diagnosis shown now
        self.dismissed: set[str] = set()  # diagnoses the user closed, not shown again for this model
        self.generation = 0  # of the newest build, open or adopt asked for
        self.floor = 0  # answers from models older than this are dropped
        self.loading = ""

    # -- the configuration ----------------------------------------------------------------
    @property
    def config(self) -> SessionConfig:
        return self._config

    @config.setter
    def config(self, config: SessionConfig) -> None:
        if config != self._config:
            self._config = config
            self.events.config.emit(config)

    # -- the model and its generation -------------------------------------------------------
    def next_generation(self, replaces_now: bool) -> int:
        """A number for a model being asked for. ``replaces_now`` (a Reset, new settings): the window
        forgets the current model at once, so answers from it are dropped from here on."""
        self.generation += 1
        if replaces_now:
            self.floor = self.generation
            self.set_model({})
        return self.generation

    def accepts(self, generation: int) -> bool:
        """Whether an answer from the model of ``generation`` is for what the window shows."""
        return generation >= self.floor

    def model_arrived(self, generation: int, summary: dict[str, Any]) -> bool:
        """A model is ready; False if a newer one was asked for since (then it is not shown)."""
        if generation < self.floor:
            return False
        self.floor = generation
        self.set_model(summary)
        return True

    def set_model(self, summary: dict[str, Any]) -> None:
        self.summary = summary
        if not summary:
            self.set_undo(())
            self.set_diagnosis(None)
            self.dismissed.clear()
        self.events.model.emit(summary)

    @property
    def has_model(self) -> bool:
        return bool(self.summary)

    # -- play, undo, diagnosis, loading ----------------------------------------------------------
    @property
    def play(self) -> str:
        return self._play

    @play.setter
    def play(self, value: str) -> None:
        if value != self._play:
            self._play = value
            self.events.play.emit(value)

    @property
    def playing(self) -> bool:
        return self._play == "playing"

    def set_undo(self, steps: tuple[int, ...]) -> None:
        steps = tuple(steps)
        if steps != self.undo_steps:
            self.undo_steps = steps
            self.events.undo.emit(steps)

    def set_diagnosis(self, diagnosis: Diagnosis | None) -> None:
        if diagnosis is not self.diagnosis:
            self.diagnosis = diagnosis
            self.events.diagnosis.emit(diagnosis)

    def set_loading(self, text: str) -> None:
        if text != self.loading:
            self.loading = text
            self.events.loading.emit(text)

    # -- the file ------------------------------------------------------------------------------
    def mark_trained(self) -> None:
        """A Play, Step or Undo was sent: the weights differ from the newest save."""
        self.changed_since_save = True
        self._stale()

    def _stale(self) -> None:
        """The title's "*": the file no longer holds the model shown."""
        if not self.dirty:
            self.dirty = True
            self.events.file.emit(self.path)

    def set_file(self, path: str | None, dirty: bool, steps: int | None = None) -> None:
        """``steps``: the model's steps in the file, when known: a step shown later than those marks
        the window changed, whatever the play state said when the file was written."""
        self.path, self.dirty, self.file_steps = path, dirty, steps
        self.events.file.emit(path)

    def file_saved(self, path: str, steps: int | None) -> None:
        """The model was written to ``path`` with ``steps`` steps (None: not said); every step trained
        before the save has reached the window before this. Training that went on after it (Play
        running, a Step or Undo sent since) is not in the file, nor a step that arrives later
        (:meth:`step_arrived`): Play paused just after a save (the window says "paused" when it
        asks) may have trained on before the pause arrived."""
        self.set_file(path, self.play != "paused" or self.changed_since_save, steps)

    def step_arrived(self, step: int) -> None:
        """Training reached ``step``: other than the file's, the file is out of date."""
        if self.path is not None and not self.dirty and self.file_steps is not None and step != self.file_steps:
            # the title only: ``changed_since_save`` is about commands sent after the newest save
            # asked for, and this step may come from before it (a Save sent, an older Saved arriving)
            self._stale()
