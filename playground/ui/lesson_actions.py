"""What the Lessons dock's buttons do in the window: set a lesson up, try its one thing, check it."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QWidget

from playground.app import messages as m
from playground.app.messages import CheckLesson, ModelArrived, RunSeeds
from playground.core import lessons
from playground.core.errors import PlaygroundError
from playground.ui.painting import painter

if TYPE_CHECKING:
    from playground.ui.main_window import MainWindow

OUTLINE_COLOUR = QColor(230, 120, 0)


class Outline(QWidget):
    """An orange frame drawn over a widget (the part of the window a lesson points at)."""

    def __init__(self, target: QWidget) -> None:
        super().__init__(target)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.target = target
        target.installEventFilter(self)
        self.setGeometry(target.rect())
        self.raise_()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.target and event.type() == QEvent.Type.Resize:
            self.setGeometry(self.target.rect())
        return False

    def paintEvent(self, _event) -> None:
        with painter(self) as p:
            p.setPen(QPen(OUTLINE_COLOUR, 4))
            p.drawRect(self.rect().adjusted(2, 2, -2, -2))


class LessonActions(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        self.outline: Outline | None = None
        self.current: str | None = None
        view = window.lessons_view
        view.setup_requested.connect(self.setup)
        view.try_requested.connect(self.try_action)
        view.check_requested.connect(self.check)
        view.seeds_requested.connect(self.run_seeds)
        self._sweep: tuple[list[str], str] | None = None  # a gap sweep to run once the set-up's model is built
        self._ablate_after: str | None = None  # a track: Ablate once the Neurons tab has ranked by it
        window.answered.connect(self._on_answer)

    # -- the card's three buttons ------------------------------------------------------------------
    def setup(self, lesson_id: str) -> bool:
        """Load the lesson's own session (asking first about unsaved work), open its view, outline it."""
        return self._set_up(self.w.lessons_view.card(lesson_id))

    def _set_up(self, card: lessons.Lesson, preset: str | None = None) -> bool:
        """The card's own set-up, or another of its presets (``preset``)."""
        from playground.core.presets import PRESETS

        w = self.w
        try:  # the card's own: the same set-up as `train --lesson ID`
            config = lessons.setup_of(card) if preset is None else PRESETS[preset][1]
        except (PlaygroundError, KeyError) as exc:
            w.report(f"lesson {card.number}: no set-up {preset!r}" if isinstance(exc, KeyError) else str(exc))
            return False
        if not w.may_discard(f"Set up lesson {card.number}?"):
            return False
        w.show_config(config)
        w.rebuild(config)
        self.current = card.id
        self.open_view(card)
        w.banner.show_message(f"Lesson {card.number}, {card.title}: {card.watch}", "info")
        return True

    def open_view(self, card: lessons.Lesson) -> None:
        w = self.w
        tab = {
            "training": w.training_tab,
            "step": w.step_tab,
            "scrubber": w.scrubber_tab,
            "history": w.history_tab,
            "compare": w.compare_tab,
        }
        tab.update(getattr(w, "extra_tabs", {}))
        w.tabs.setCurrentIndex(tab.get(card.tab, w.training_tab))
        self.set_outline(self.target(card.outline))

    def target(self, outline: str) -> QWidget | None:
        w = self.w
        make = {
            "loss": lambda: w.loss_plot,
            "grad_norm": lambda: w.grad_norm_plot,
            "gradient": lambda: w.gradient_plot,
            "gates": lambda: w.gates_plot,
            "hidden": lambda: w.hidden_plot,
            "predict": lambda: w.prediction_panel,
            "compare": lambda: w.compare_view,  # (a page made on first use: only the one outlined)
            "scrubber": lambda: w.scrubber,
            "unrolled": lambda: getattr(w, "unrolled_view", None),
            "shapes": lambda: getattr(w, "shapes_view", None),
            "neurons": lambda: w.neurons_view,  # (made on first use, as compare)
        }.get(outline)
        return make() if make is not None else None

    def set_outline(self, target: QWidget | None) -> None:
        if self.outline is not None:
            self.outline.deleteLater()
            self.outline = None
        if target is not None:
            self.outline = Outline(target)
            self.outline.show()

    def open_lesson_file(self, path: str) -> bool:
        """File > Open Lesson (or a dropped .toml): read the lesson file whole, then list and show its card;
        a mistake in it is one line in the banner, and nothing else changes."""
        from playground.core.lessons.files import read_lesson_file

        w = self.w
        number = max((c.number for c in w.lessons_view.cards), default=0) + 1
        try:
            card = read_lesson_file(path, number)
            w.lessons_view.add_lesson(card)
        except (PlaygroundError, OSError) as exc:
            w.banner.show_message(f"Could not open the lesson: {exc}", "error")
            return False
        w.show_lessons(card.id)
        w.banner.show_message(f"Lesson {card.number}, {card.title}: read from {card.source}. Press Set it up.", "info")
        return True

    def try_action(self, lesson_id: str, action: str) -> None:
        """The card's one action (``Lesson.try_action``)."""
        w = self.w
        verb, _, arg = action.partition(":")
        model = w.config.model
        if verb == "compare":
            view = w.compare_view
            archs = arg.split(",")
            for arch, box in view.checks.items():
                box.setChecked(arch in archs)
            w.tabs.setCurrentIndex(w.compare_tab)
            view.run_button.click()
        elif verb == "arch":
            self._new_model(dataclasses.replace(model, arch=arg, activation="tanh", init="default"))
        elif verb == "init":
            self._new_model(dataclasses.replace(model, init=arg))
        elif verb == "activation":  # the activation alone: the init stays as it is
            self._new_model(dataclasses.replace(model, arch="rnn", activation=arg))
        elif verb == "bidirectional":
            self._new_model(dataclasses.replace(model, bidirectional=arg == "on"))
        elif verb == "fix":
            w.apply_fix(arg)
        elif verb == "clip":
            w.controls.clip.setCurrentIndex(w.controls.clip.findData(arg))
        elif verb == "restart":  # a fresh model, one setting changed (e.g. clip-off: no clipping from step 1)
            setting, _, value = arg.rpartition("-")
            if setting == "clip":
                w.controls.clip.setCurrentIndex(w.controls.clip.findData(value))
            w.reset()
        elif verb == "data":
            combo = w.data_panel.kind_combo
            combo.setCurrentIndex(combo.findData(arg))
        elif verb == "model":  # settings of the model, e.g. "arch=rnn,hidden=128": a new model
            changes: dict[str, object] = {}
            for pair in arg.split(","):
                key, _, value = pair.partition("=")
                changes[key] = int(value) if value.isdigit() else value
            if "arch" in changes:
                changes.setdefault("activation", "tanh")
                changes.setdefault("init", "default")
            self._new_model(dataclasses.replace(model, **changes))
        elif verb == "sweep":  # lesson 3: set up the window test, then sweep the gap in Compare
            archs, _, gaps = arg.partition(":")
            if self._set_up(self.w.lessons_view.card(lesson_id), "lesson-window"):
                self._sweep = (archs.split(","), gaps)
        elif verb == "preset":  # another set-up of the same card (lesson 14's uses)
            self._set_up(self.w.lessons_view.card(lesson_id), arg)
        elif verb == "forecast":
            w.prediction_panel.ask_natural_question()
        elif verb == "step":
            w.step(1)
        elif verb == "ablate":  # lesson 15: rank the units by a track in the Neurons tab, then Ablate them
            self.rank_and_ablate(arg)
        elif verb == "transplant":  # lesson 16: "SOURCE|TARGET", carried in the scrubber
            source, _, target = arg.partition("|")
            self.transplant(source, target)
        else:
            w.report(f"unknown lesson action {action!r}")

    def rank_and_ablate(self, track: str) -> None:
        """Open the Neurons tab, rank the units by ``track`` and, once ranked, press Ablate."""
        w = self.w
        view = w.neurons_view
        w.tabs.setCurrentIndex(w.neurons_tab)
        self.set_outline(view)
        if view.track_box.findText(track) < 0:
            w.report(f"the Neurons tab has no track {track!r}")
            return
        if not w.state.has_model:
            w.report("no model yet: wait until it is built")
            return
        view.track_box.setCurrentText(track)
        self._ablate_after = track
        view.rank_button.click()

    def transplant(self, source: str, target: str) -> None:
        """Carry the state after ``source`` into ``target`` and write on (the scrubber shows both continuations)."""
        w = self.w
        if not source or not target:
            w.report("a transplant needs a source text and a target text (SOURCE|TARGET)")
            return
        if not w.state.has_model:
            w.report("no model yet: wait until it is built")
            return
        s = w.scrubber
        w.tabs.setCurrentIndex(w.scrubber_tab)
        self.set_outline(s)
        shown = source if len(source) <= 30 else "…" + source[-29:]
        s.taken = (source, len(source), shown)
        s.taken_label.setText(f"Taken: the state after {shown!r}. It is put in after {target!r}.")
        s.transplant_label.setText("<i>writing, with and without the transplant…</i>")
        s.transplant_label.setVisible(True)
        w.controller.send(m.Transplant(source, target, length=60))

    def _on_answer(self, answer: object) -> None:
        if (
            self._ablate_after is not None
            and isinstance(answer, m.RankedUnits)
            and answer.track == self._ablate_after
        ):
            self._ablate_after = None
            button = self.w.neurons_view.ablate_button
            if button.isEnabled():  # (a ranking that failed says why in the tab)
                button.click()
        if self._sweep is not None and isinstance(answer, ModelArrived):
            archs, gaps = self._sweep
            self._sweep = None
            self.run_sweep(archs, gaps)

    def run_sweep(self, archs: list[str], gaps: str) -> None:
        """Compare ``archs`` on the memory task at each gap (lesson 3: where the window runs out)."""
        from playground.core.lessons.cards import WINDOW_SWEEP_STEPS

        w = self.w
        view = w.compare_view
        view.set_data_kind(w.config.data.kind)
        for arch, box in view.checks.items():
            box.setChecked(arch in archs)
        view.sweep_check.setChecked(True)
        view.gaps_edit.setText(gaps)
        view.steps.setValue(WINDOW_SWEEP_STEPS)
        view.seeds.setValue(1)
        w.tabs.setCurrentIndex(w.compare_tab)
        self.set_outline(view)
        view.run_button.click()

    def _new_model(self, model) -> None:
        w = self.w
        try:
            model.validate()
        except PlaygroundError as e:
            w.report(str(e))
            return
        w.model_panel.set_config(model)
        w.controller.model_changed(w.model_panel.config())

    def check(self, lesson_id: str) -> None:
        if not self.w.state.has_model:
            self.w.report("no model yet: wait until it is built")
            return
        card = self.w.lessons_view.card(lesson_id)
        self.w.controller.send(CheckLesson(lesson_id, None if card.builtin else card))

    def run_seeds(self, lesson_id: str) -> None:
        card = self.w.lessons_view.card(lesson_id)
        if not card.seeds or not card.builtin:
            return
        self.w.pause()
        self.w.lessons_view.show_seed_spread(lesson_id, f"Running {len(card.seeds)} seeds in the background…")
        self.w.controller.send(RunSeeds(lesson_id, tuple(card.seeds)))
