"""The time scrubber: one time step of one sequence, whole.

A slider (or the Left and Right arrow keys) walks along the probe sequence. At
step t the view shows the input, the hidden vector h_t as bars, the gates, the
model's top-5 guesses for the next character, and the recurrence of the chosen
architecture with its actual numbers. Above the slider, the input text is
shaded by *connectivity*: how much each earlier input moved the prediction at
t (the gradient of the predicted logit with respect to each input step, as in
"Visualizing memorization in RNNs"). The user types the text to inspect; the
numbers come from the worker thread, computed on the model's own weights.

The Compare view's memory sweep sends one more kind of sequence: a held-out example a compared
model gets wrong (``show_example``). Then the numbers are that model's, and a line above the text
says which model it is, which key it had to carry and what it answered instead.
"""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from playground.ui.palettes import HALF_COLOURS
from playground.ui.plots.base import (
    BLUE,
    VERMILLION,
    EmptyHint,
    LayerChooser,
    LegendStrip,
    make_plot,
    pow10,
)
from playground.ui.plots.gates import GATES
from playground.ui.plots.theme import scheme, themed

EXPLANATION = (
    "Walk through one sequence a time step at a time (the slider, or the Left and Right arrow keys). "
    "The shaded text shows connectivity: how much each earlier character moved the model's prediction at "
    "step t, the darker the more. A vanilla RNN's shading fades within a few characters (it forgets); an "
    "LSTM or GRU can keep a character dark far back."
)
UNITS_SHOWN = 6  # hidden units whose numbers the equation table shows
CONNECT_RGB = (0, 114, 178)  # the app's blue, with alpha by connectivity
BACKWARD_COLOUR = HALF_COLOURS["backward"]  # a bidirectional layer's backward half; its forward half stays blue


TAKE_TIP = (
    "Remember the model's whole state (h of every layer, and an LSTM's c) after this step of this text: "
    "then Inspect another text, move to a step and press 'Put it here'."
)
PUT_TIP = (
    "Put the state taken from the other text into this one after this step, let the model read the rest "
    "of this text and write on: its continuation with and without the transplant, side by side (greedy). "
    "Does the memory travel? Take it after 'he said \"' and put it into a plain sentence."
)


class TimeScrubber(QWidget):
    inspect_requested = Signal(object)  # {"text": str, "layer": int}
    transplant_requested = Signal(object)  # an m.Transplant

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.answer: dict | None = None
        self.stale = True  # the model trained since the last answer: inspect again when shown

        self.text_edit = QLineEdit()
        self.text_edit.setPlaceholderText("type a text to inspect, or leave empty for the probe text")
        self.text_edit.setToolTip(
            "The sequence to look at. Type your own (characters the model knows) to see what it "
            "remembers of it; empty means the probe text the live plots show."
        )
        self.text_edit.returnPressed.connect(self.request)
        self.inspect_button = QPushButton("Inspect")
        self.inspect_button.setToolTip("Run the model over the text and show it step by step.")
        self.inspect_button.clicked.connect(self.request)
        self.layer_choice = LayerChooser()
        self.layer_choice.activated.connect(lambda _i: self.request())

        self.source_label = QLabel()  # a compared model's failing example: whose, and what it answered
        self.source_label.setWordWrap(True)
        self.source_label.setTextFormat(Qt.TextFormat.RichText)
        self.source_label.setStyleSheet(
            "QLabel {{ background: {explanation_bg}; color: {text}; border: 1px solid #e6b566; padding: 4px 6px; }}"
        )
        self.source_label.setVisible(False)

        self.connect_label = QLabel()
        self.connect_label.setWordWrap(True)
        self.connect_label.setTextFormat(Qt.TextFormat.RichText)
        self.connect_label.setToolTip(EXPLANATION)
        self.connect_label.setMinimumHeight(40)
        self.connect_label.setStyleSheet(
            "QLabel {{ background: {plot_bg}; color: {text}; border: 1px solid {card_border}; padding: 6px; }}"
        )

        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 0)
        self.slider.setToolTip("The time step to look at (Left and Right arrow keys move it).")
        self.slider.valueChanged.connect(self._show_step)
        self.t_label = QLabel("t = -")
        self.t_label.setMinimumWidth(220)

        self.h_plot = make_plot("h_t", "hidden unit")
        self.h_bars = pg.BarGraphItem(x=[], height=[], width=0.85, brush=BLUE, pen=None)
        self.h_plot.addItem(self.h_bars)
        self.h_plot.setToolTip("The hidden state h_t at the chosen step: one bar per unit.")
        self.h_hint = EmptyHint(self.h_plot.getPlotItem(), "press Inspect")
        self.h_legend = LegendStrip()  # a bidirectional model: which bars are which direction
        self.h_legend.setVisible(False)
        self.h_caption = QLabel()
        self.h_caption.setWordWrap(True)
        themed(self.h_caption, "color: {muted};")
        self.h_caption.setVisible(False)

        self.gate_plot = make_plot("gate value", "hidden unit")
        self.gate_plot.setToolTip(
            "The gates at step t, one dot per unit. LSTM: input i, forget f, output o (0 closed, 1 open) "
            "and candidate g; GRU: reset r, update z and candidate n."
        )
        self.gate_legend = LegendStrip()
        self.gate_curves: dict[str, pg.PlotDataItem] = {}
        self.gate_hint = EmptyHint(self.gate_plot.getPlotItem(), "no gates")

        self.taken: tuple[str, int, str] | None = None  # (text, characters read, what it looks like)
        self.transplanted = None  # the last m.Transplanted shown
        self.take_button = QPushButton("Take h from here")
        self.take_button.setToolTip(TAKE_TIP)
        self.take_button.clicked.connect(self.take_state)
        self.put_button = QPushButton("Put it here")
        self.put_button.setToolTip(PUT_TIP)
        self.put_button.setEnabled(False)
        self.put_button.clicked.connect(self.put_state)
        self.taken_label = QLabel("")
        self.taken_label.setTextFormat(Qt.TextFormat.PlainText)
        self.taken_label.setStyleSheet("color: #505050;")
        self.transplant_label = QLabel()
        self.transplant_label.setWordWrap(True)
        self.transplant_label.setTextFormat(Qt.TextFormat.RichText)
        self.transplant_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.transplant_label.setVisible(False)
        self.transplant_label.setStyleSheet(
            "QLabel { background: #f3f7fb; border: 1px solid #b9cfe4; padding: 4px 6px; }"
        )
        self.topk_label = QLabel()
        self.topk_label.setTextFormat(Qt.TextFormat.RichText)
        self.topk_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.equation_label = QLabel()
        self.equation_label.setTextFormat(Qt.TextFormat.RichText)
        self.equation_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.equation_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.equation_label.setWordWrap(True)

        top = QHBoxLayout()
        top.addWidget(QLabel("Text:"))
        top.addWidget(self.text_edit, 1)
        top.addWidget(self.layer_choice)
        top.addWidget(self.inspect_button)
        slider_row = QHBoxLayout()
        slider_row.addWidget(self.slider, 1)
        slider_row.addWidget(self.t_label)
        carry_row = QHBoxLayout()
        carry_row.addWidget(self.take_button)
        carry_row.addWidget(self.put_button)
        carry_row.addWidget(self.taken_label, 1)
        grid = QGridLayout()
        h_box = QVBoxLayout()
        h_box.addWidget(self.h_plot, 1)
        h_box.addWidget(self.h_legend)
        h_box.addWidget(self.h_caption)
        grid.addLayout(h_box, 0, 0)
        gate_box = QVBoxLayout()
        gate_box.addWidget(self.gate_plot, 1)
        gate_box.addWidget(self.gate_legend)
        grid.addLayout(gate_box, 0, 1)
        grid.addWidget(self.topk_label, 0, 2)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 3)
        grid.setColumnStretch(2, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.source_label)
        layout.addWidget(self.connect_label)
        layout.addLayout(slider_row)
        layout.addLayout(carry_row)
        layout.addWidget(self.transplant_label)
        layout.addLayout(grid, 3)
        layout.addWidget(self.equation_label, 2)
        self.clear()

    # -- requests and answers ---------------------------------------------------------------
    def request(self) -> None:
        self.source_label.setVisible(False)  # the main model's numbers from here on
        self.inspect_button.setEnabled(False)
        self.inspect_button.setText("Inspecting...")
        self.inspect_requested.emit(
            {"text": self.text_edit.text(), "layer": self.layer_choice.currentIndex()}
        )

    def clear(self) -> None:
        self.answer = None
        self.stale = True
        self.transplant_label.setVisible(False)  # the old model's; a taken text stays (the new model reads it)
        self.source_label.setVisible(False)
        self.slider.setRange(0, 0)
        self.connect_label.setText("<i>Press Inspect to walk through the probe text, or type your own.</i>")
        self.t_label.setText("t = -")
        self.h_bars.setOpts(x=[], height=[], brushes=None, brush=BLUE)
        self.h_hint.setVisible(True)
        self.h_legend.setVisible(False)
        self.h_caption.setVisible(False)
        for c in self.gate_curves.values():
            c.setData([], [])
        self.gate_hint.setVisible(True)
        self.topk_label.setText("")
        self.equation_label.setText("")
        self.inspect_button.setEnabled(True)
        self.inspect_button.setText("Inspect")

    def show_answer(self, answer: dict) -> None:
        self.inspect_button.setEnabled(True)
        self.inspect_button.setText("Inspect")
        self.source_label.setVisible(False)
        if "error" in answer:
            self.connect_label.setText(f"<span style='color:{scheme().error}'>{html.escape(answer['error'])}</span>")
            return
        self.answer = answer
        self.stale = False
        probe = answer["probe"]
        self.layer_choice.sync(probe.hidden.shape[0])
        self.layer_choice.setCurrentIndex(int(answer.get("layer", 0)))
        n_t = len(probe.labels)
        t = min(self.slider.value(), n_t - 1) if self.slider.maximum() == n_t - 1 else n_t - 1
        self.slider.blockSignals(True)
        self.slider.setRange(0, n_t - 1)
        self.slider.setValue(t)
        self.slider.blockSignals(False)
        self._show_step(t)

    def show_example(self, example: dict) -> None:
        """A held-out sequence a compared model gets wrong (``ComparedExample`` as a dict, its
        ``inspected`` as ``Inspected.as_dict()``): shown like an inspected text, with a line saying
        whose numbers these are. The slider goes to the last step, where the model answers."""
        self.text_edit.setText(example["text"])
        self.show_answer(example["inspected"])
        self.stale = False  # showing this tab must not replace it with the main model's numbers
        if self.answer is not None:
            self.slider.setValue(self.slider.maximum())
        self.source_label.setText(example_html(example))
        self.source_label.setVisible(True)

    # -- carrying a memory from one text into another ---------------------------------------------
    def take_state(self) -> None:
        """Remember this text and step: the state the model has after reading up to it."""
        if self.answer is None or self.source_label.isVisible():  # (a compared model's example: not this model)
            self.taken_label.setText("Inspect a text of this model first.")
            return
        labels = self.answer["probe"].labels
        t = min(self.slider.value(), len(labels) - 1)
        typed = str(self.answer.get("text") or "")
        read = typed[: t + 1] if typed else "".join(labels[: t + 1])  # (the probe text: as its labels show it)
        self.taken = (typed, t + 1, read if len(read) <= 30 else "…" + read[-29:])
        self.taken_label.setText(
            f"Taken: the state after {self.taken[2]!r} (t = {t}). Inspect another text, move to a step, press "
            "Put it here."
        )
        self.put_button.setEnabled(True)

    def put_state(self) -> None:
        """Ask for the continuation of this text, from this step, with and without the taken state."""
        if self.taken is None or self.answer is None:
            return
        from playground.app import messages as m

        labels = self.answer["probe"].labels
        t = min(self.slider.value(), len(labels) - 1)
        source, source_at, _ = self.taken
        self.transplant_label.setText("<i>writing, with and without the transplant…</i>")
        self.transplant_label.setVisible(True)
        self.transplant_requested.emit(
            m.Transplant(source, str(self.answer.get("text") or ""), source_at, t + 1, length=60)
        )

    def show_transplant(self, a) -> None:
        """An m.Transplanted: the two continuations and the likeliest next characters, side by side."""
        self.transplanted = a
        self.transplant_label.setVisible(True)
        if a.error:
            self.transplant_label.setText(f"<span style='color:#a12a00'>{html.escape(a.error)}</span>")
            return

        def nexts(pairs) -> str:
            return ", ".join(f"{html.escape(_show(ch))} {p:.2f}" for ch, p in pairs[:3])

        shown = self.taken[2] if self.taken else ""
        self.transplant_label.setText(
            f"<b>Without</b>: <tt>{html.escape(a.unpatched)}</tt> &nbsp;<small>(next: {nexts(a.next_unpatched)})"
            f"</small><br><b>With the state after {html.escape(repr(shown))}</b>: <tt>{html.escape(a.patched)}</tt>"
            f" &nbsp;<small>(next: {nexts(a.next_patched)}; the state moved by {a.moved:.2f})</small>"
            + ("<br><i>The same text: what this text says outweighs what was carried in.</i>" if a.unpatched == a.patched else "")
        )

    def move(self, delta: int) -> None:
        """The arrow keys: one step left or right."""
        self.slider.setValue(min(max(self.slider.value() + delta, 0), self.slider.maximum()))

    # -- one time step ----------------------------------------------------------------------
    def current_h(self) -> np.ndarray | None:
        """h_t of the chosen layer at the slider's step (what the bars show)."""
        if self.answer is None:
            return None
        probe = self.answer["probe"]
        return probe.hidden[int(self.answer.get("layer", 0)), self.slider.value()]

    def _show_step(self, t: int) -> None:
        a = self.answer
        if a is None:
            return
        probe = a["probe"]
        layer = int(a.get("layer", 0))
        labels = probe.labels
        t = min(t, len(labels) - 1)
        self.t_label.setText(f"t = {t} of {len(labels) - 1}, input {_show(labels[t])}")
        # memory, order, the adding problem: one answer at the end
        answer = getattr(probe, "answers", None) is not None or getattr(probe, "target_value", None) is not None
        self.connect_label.setText(_connectivity_html(labels, a["connectivity"], t, answer))

        h = probe.hidden[layer, t]
        x, brushes = bar_layout(len(h), directions(probe))
        self.h_bars.setOpts(x=x, height=h, width=0.85, brushes=brushes, brush=BLUE)
        self.h_hint.setVisible(False)
        lim = max(1.0, float(np.nanmax(np.abs(probe.hidden[layer]))))
        self.h_plot.getPlotItem().setRange(xRange=(-1, float(x[-1]) + 1), yRange=(-lim, lim), padding=0.02)
        self._show_directions(directions(probe), len(h), t, len(labels))

        gates = {k: v for k, v in probe.gates.items() if k != "c"}
        for name, curve in self.gate_curves.items():
            if name not in gates:
                curve.setData([], [])
        for name in gates:
            curve = self.gate_curves.get(name)
            if curve is None:
                title, colour, _style = GATES.get(name, (name, BLUE, None))
                curve = self.gate_plot.plot(
                    pen=None, symbol="o", symbolSize=5, symbolBrush=colour, symbolPen=None, name=title
                )
                self.gate_curves[name] = curve
        self.gate_legend.set_entries(
            [
                (GATES.get(k, (k, BLUE))[0].replace("(mean)", ""), GATES.get(k, (k, BLUE))[1], False)
                for k in gates
            ]
        )
        for name, values in gates.items():
            curve = self.gate_curves[name]
            curve.setData(np.arange(values.shape[2]), values[layer, t])
        self.gate_hint.setVisible(not gates)
        if gates:
            self.gate_plot.getPlotItem().setRange(yRange=(-1.05, 1.05), padding=0)

        self.topk_label.setText(_topk_html(probe, t))
        terms = a.get("terms")
        text = _equation_html(terms[t]) if terms else _no_recurrence_html()
        if terms and directions(probe) == 2:
            text += "<p><i>The equation and its numbers are the forward direction's (blue bars).</i></p>"
        self.equation_label.setText(text)

    def _show_directions(self, dirs: int, n_units: int, t: int, n_t: int) -> None:
        """A bidirectional layer: say which bars are which direction, and what each has read by t."""
        both = dirs == 2
        self.h_legend.setVisible(both)
        self.h_caption.setVisible(both)
        if not both:
            return
        half = n_units // 2
        self.h_legend.set_entries(
            [
                (f"forward → (units 1–{half})", BLUE, False),
                (f"← backward (units {half + 1}–{n_units})", BACKWARD_COLOUR, False),
            ]
        )
        self.h_caption.setText(
            f"Bidirectional: the forward half has read steps 0 to {t}, the backward half steps {n_t - 1} "
            f"down to {t}. The answer reads the forward half at the last step and the backward half at the "
            "first: there, the backward direction has just read the start of the sequence (the memory "
            "lesson's key), so it needs no long memory."
        )


def directions(probe) -> int:
    """2 for a probe of a bidirectional recurrent model, else 1."""
    dirs = getattr(probe, "grad_norm_dirs", None)
    return 1 if dirs is None else int(dirs.shape[1])


def bar_layout(n_units: int, dirs: int) -> tuple[np.ndarray, list | None]:
    """x positions and per-bar brushes of h_t's bars: a bidirectional layer's halves apart, in two colours."""
    if dirs != 2:
        return np.arange(n_units), None
    half = n_units // 2
    x = np.concatenate([np.arange(half), half + 1 + np.arange(n_units - half)])  # a gap between halves
    brushes = [pg.mkBrush(BLUE)] * half + [pg.mkBrush(BACKWARD_COLOUR)] * (n_units - half)
    return x, brushes


def _show(label: str) -> str:
    return html.escape({"\n": "↵", " ": "␣", "\t": "⇥"}.get(label, label))


def _connectivity_html(labels, conn: np.ndarray, t: int, answer: bool = False) -> str:
    """The input as text, each character shaded by how much it moved the prediction at t."""
    row = conn[min(t, conn.shape[0] - 1)] if conn.shape[0] > 1 else conn[0]
    top = float(np.nanmax(row)) if row.size and np.isfinite(row).any() else 0.0
    many = conn.shape[0] > 1
    parts = []
    for s, label in enumerate(labels):
        w = float(row[s]) / top if top > 0 and s < len(row) else 0.0
        alpha = round(255 * min(max(w, 0.0), 1.0) * 0.85)
        colour = "white" if alpha > 140 else scheme().text
        border = "border-bottom: 3px solid #D55E00;" if (s == t and many) else ""
        # a break the label may wrap at (a long sequence must not widen the window past the screen): a space
        # between values and words, a zero-width one between characters (nothing shows between them)
        sep = "&#8203;" if len(label) == 1 else " "
        parts.append(
            f"<span style='background: rgba({CONNECT_RGB[0]},{CONNECT_RGB[1]},{CONNECT_RGB[2]},{alpha});"
            f" color: {colour}; {border} font-family: monospace; font-size: 12pt;'>{_show(label)}</span>{sep}"
        )
    what = (
        f"how much each input moved the prediction at t = {t} (darker = more; later inputs cannot)"
        if many
        else "how much each input moved the answer after the last step (darker = more)"
        if answer
        else "how much each input value moved the forecast (darker = more)"
    )
    return (
        f"<p style='color:{scheme().muted}; font-size: 9pt; margin: 0 0 4px 0;'>{what}</p><p>"
        + "".join(parts)
        + "</p>"
    )


def example_html(e: dict) -> str:
    """The line above a compared model's failing example: whose numbers, the key, the answers."""
    at = "" if e.get("gap") is None else f" trained at gap d = {e['gap']}"
    key = html.escape(e["text"].split()[0]) if e["text"].split() else "?"
    g = np.asarray(e["inspected"]["probe"].grad_norm[-1], np.float64)  # top layer's ||dL/dh_t||
    reach = ""
    if len(g) > 1 and g[-1] > 0 and np.isfinite(g).all():
        k = round(float(np.log10(max(g[0] / g[-1], 1e-300))))
        reach = f" At the key, ||dL/dh_0|| is about {pow10(k)} times ||dL/dh_T|| at the last step."
    return (
        f"<b>A compared {html.escape(e['name'])}{at} (seed {e['seed']}), not the main model.</b> "
        f"Held-out sequence {e['index']}: the key is <b>{key}</b>, so the answer is "
        f"<b>{html.escape(e['right'])}</b>; it answered "
        f"<b style='color:{scheme().error}'>{html.escape(e['answered'])}</b> "
        f"({e['wrong']} of {e['total']} held-out sequences wrong).{reach} The shading shows how much "
        "each input moved its answer: does the gradient still reach the key? Press Inspect to look at the "
        "main model instead; click the point again for another sequence it gets wrong."
    )


def _topk_html(probe, t: int) -> str:
    top_k = getattr(probe, "top_k", None)
    answers = getattr(probe, "answers", None)
    if not top_k and answers:  # memory and order: one answer, after the last step
        rows = "".join(
            f"<tr><td style='font-family: monospace; padding-right: 8px;'>{_show(c)}</td>"
            f"<td style='color:{VERMILLION if i == 0 else scheme().text};'>{p * 100:.1f}%</td></tr>"
            for i, (c, p) in enumerate(answers[:5])
        )
        return f"<b>its answer after the last step</b><table>{rows}</table>"
    if not top_k:
        target = getattr(probe, "target_value", None)
        if probe.predicted is not None and target is not None:  # the adding problem: the rule's sum beside it
            said = float(np.ravel(probe.predicted)[0])
            return (
                f"<b>its answer after the last step</b><br>{said:.3f}<br>the starred values add up to "
                f"{target:.3f} (off by {abs(said - target):.3f})"
            )
        if probe.predicted is not None and probe.target_prob is None:
            return f"<b>forecast</b><br>{float(np.ravel(probe.predicted)[0]):.4g} (normalised)"
        return ""
    rows = "".join(
        f"<tr><td style='font-family: monospace; padding-right: 8px;'>{_show(ch)}</td>"
        f"<td style='color:{VERMILLION if i == 0 else scheme().text};'>{p * 100:.1f}%</td></tr>"
        for i, (ch, p) in enumerate(top_k[t])
    )
    what = "written at" if getattr(probe, "writes", False) else "next character at"  # (spelling, the copy: "written")
    return f"<b>{what} t = {t}</b><table>{rows}</table>"


def _fmt(v: float) -> str:
    return f"{v:+.3f}"


def _equation_html(terms: dict) -> str:
    """The equation of the cell, then each vector in it: its norm and its first few units."""
    eq = "<br>".join(html.escape(line) for line in terms.get("equations", [terms.get("equation", "")]))
    order = [k for k in terms.get("order", []) if isinstance(terms.get(k), np.ndarray)]
    n = min(UNITS_SHOWN, min((len(terms[k]) for k in order), default=0))
    head = "".join(f"<th style='padding: 0 6px;'>unit {i + 1}</th>" for i in range(n))
    rows = "".join(
        f"<tr><td style='font-family: monospace; padding-right: 10px;'>{html.escape(k)}</td>"
        f"<td style='padding: 0 6px;'>{float(np.linalg.norm(terms[k])):.3f}</td>"
        + "".join(f"<td style='padding: 0 6px;'>{_fmt(float(v))}</td>" for v in terms[k][:n])
        + "</tr>"
        for k in order
    )
    return (
        f"<b>the recurrence at t = {terms.get('t', '')}, layer {int(terms.get('layer', 0)) + 1}</b>"
        f"<div style='font-family: monospace; margin: 4px 0;'>{eq}</div>"
        f"<table><tr><th></th><th style='padding: 0 6px;'>‖·‖</th>{head}</tr>{rows}</table>"
    )


def _no_recurrence_html() -> str:
    return (
        "<i>This architecture has no recurrence: a Transformer looks at every earlier step at once, "
        "a feed-forward network at a fixed window. Choose RNN, LSTM or GRU to see h_t = f(h_{t-1}, x_t).</i>"
    )
