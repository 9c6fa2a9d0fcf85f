"""The prediction panel's classify page (memory, word order): type a sequence, see the model's answer
beside the rule's."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from playground.app import messages as m
from playground.core.kinds import KINDS
from playground.ui.palettes import RIGHT_MARK, WRONG_MARK
from playground.ui.panels._common import BLUE, note_label

CLASSIFY_HINTS = {
    name: (spec.demo_question, spec.demo_hint)
    for name, spec in KINDS.items()
    if spec.prediction_page == "classify"
}


def _bar(share: float, width: int = 20) -> str:
    """A probability as a bar of block characters (kept on one line)."""
    return f"<span style='background:{BLUE}; color:{BLUE};'>{'&#9608;' * max(1, round(share * width))}</span>"


def _verdict(said: object, rule: object, says: str) -> str:
    """' (right: the rule says a)' in green or ' (wrong: ...)' in red; '' without a rule to compare."""
    if not rule:
        return ""
    right = rule == said
    colour = "#00734f" if right else "#a12a00"
    mark = RIGHT_MARK if right else WRONG_MARK  # a mark and a word beside the colour
    return (
        f" <span style='color:{colour}'>{mark} ({'right' if right else 'wrong'}: {says} "
        f"<b>{html.escape(str(rule))}</b>)</span>"
    )


ASK_TIP = (
    "A sequence in the data's own words (tokens separated by spaces). The model reads it whole and answers "
    "once, at the end."
)
ASK_TIPS = {  # the kinds whose model writes at more than one step say how
    "spell": "One letter: the model reads it at step 0 and writes a word from it, a letter a step, until '.'.",
    "adding": "Values from 0 to 1 separated by spaces, exactly two of them starred (0.7*): the model reads "
    "them all and answers one number after the last, which should be the sum of the two starred.",
    "copy": "Ten symbols from 1 to 8 (spaces optional). The model reads them, then the delay's blanks and the "
    "delimiter ':', and writes its copy at the last ten steps.",
}


class ClassifyPage(QWidget):
    """A sequence in, the model's answer and every class's probability out."""

    request = Signal(object)  # a Classify for the worker's predict slot

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.has_model = True
        self.classify_edit = QLineEdit()
        self.classify_edit.setToolTip(ASK_TIP)
        self.classify_button = QPushButton("Answer")
        self.classify_button.setToolTip("Ask the model for its answer and how sure it is.")
        self.classify_button.clicked.connect(self._on_classify)
        self.classify_edit.returnPressed.connect(self._on_classify)
        self.classify_hint = note_label("")
        self.classify_result = QLabel()
        self.classify_result.setWordWrap(True)
        self.classify_result.setTextFormat(Qt.TextFormat.RichText)
        self.class_list = QTextBrowser()
        self.class_list.setToolTip("Every answer the model can give, with the probability it gives it.")
        row = QHBoxLayout()
        row.addWidget(self.classify_edit, 1)
        row.addWidget(self.classify_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.classify_hint)
        layout.addWidget(self.classify_result)
        layout.addWidget(self.class_list, 1)

    def set_kind(self, kind: str, example: str = "") -> None:
        """Show this kind's example sequence (``example``: one made for the session's settings) and
        hint (other kinds leave them as they were)."""
        if kind in CLASSIFY_HINTS:
            default, hint = CLASSIFY_HINTS[kind]
            self.classify_edit.setPlaceholderText(example or default)
            self.classify_hint.setText(hint)
            self.classify_edit.setToolTip(ASK_TIPS.get(kind, ASK_TIP))

    def clear(self) -> None:
        self.classify_result.setText("")
        self.class_list.clear()

    def _on_classify(self) -> None:
        text = self.classify_edit.text().strip()
        if not self.has_model or not text:
            return
        self.request.emit(m.Classify(text))

    def show_classes(self, answer: m.ClassifyAnswer) -> None:
        ranked = answer.classes
        if not ranked:
            return
        best, p = ranked[0]
        verdict = _verdict(best, answer.rule, "the rule says")
        self.classify_result.setText(f"Model: <b>{html.escape(str(best))}</b> with {p * 100:.1f}%{verdict}")
        rows = "".join(
            f"<tr><td style='padding-right: 10px;'>{html.escape(str(c))}</td>"
            f"<td style='white-space: nowrap;'>{_bar(q)}</td>"
            f"<td style='padding-left: 8px;'>{q * 100:.1f}%</td></tr>"
            for c, q in ranked[:12]
        )
        self.class_list.setHtml(f"<table>{rows}</table>")

    def show_written(self, answer: m.WrittenAnswer) -> None:
        """One-to-many: the word the model wrote from one letter, beside the word, and each step's letter;
        the copy: the ten symbols it writes back after the delay, each beside the symbol it read."""
        if answer.first_step > 0:
            self._show_copy(answer)
            return
        word = answer.written
        verdict = _verdict(word, answer.rule, "the word is")
        self.classify_result.setText(f"Model writes: <b>{html.escape(word) or '(nothing)'}</b>{verdict}")
        rows = "".join(
            f"<tr><td style='padding-right: 10px;'>step {t}</td>"
            f"<td style='padding-right: 10px;'><b>{html.escape(ch)}</b></td>"
            f"<td style='white-space: nowrap;'>{_bar(q)}</td>"
            f"<td style='padding-left: 8px;'>{q * 100:.1f}%</td></tr>"
            for t, (ch, q) in enumerate(answer.steps)
        )
        self.class_list.setHtml(
            "<p>Each step's likeliest letter and how sure the model is; '.' ends the word. Only step 0 "
            f"had an input.</p><table>{rows}</table>"
        )

    def _show_copy(self, answer: m.WrittenAnswer) -> None:
        """The copy task: what the model writes at the last ten steps, against the ten symbols it read."""
        rule, first = answer.rule or "", answer.first_step
        right = sum(a == b for a, b in zip(answer.written, rule, strict=False))
        verdict = _verdict(answer.written, rule, "it read")
        count = f"{right} of {len(rule)} symbols right. " if rule else ""
        self.classify_result.setText(
            f"Model copies: <b>{html.escape(answer.written) or '(nothing)'}</b>{verdict}<br>{count}"
            "Forgetting them gets one in eight."
        )
        rows = []
        for t, (ch, q) in enumerate(answer.steps):
            read = rule[t] if t < len(rule) else ""
            same = ch == read
            colour, mark = ("#00734f", RIGHT_MARK) if same else ("#a12a00", WRONG_MARK)
            against = f"<span style='color:{colour}'>{mark} read {html.escape(read)}</span>" if read else ""
            cell = "<td style='white-space: nowrap; padding-right: 8px;'>"  # (the panel is narrow: no cell wraps)
            rows.append(
                f"<tr>{cell}step&nbsp;{first + t}</td>{cell}<b>{html.escape(ch)}</b></td>{cell}{_bar(q, 10)}</td>"
                f"{cell}{q * 100:.0f}%</td>{cell}{against.replace(' read ', '&nbsp;read&nbsp;')}</td></tr>"
            )
        self.class_list.setHtml(
            f"<p>The model read the ten symbols at steps 0 to 9 and the delimiter ':' at step {first - 1}; "
            f"it writes them back at steps {first} to {first + len(answer.steps) - 1}. Each of those steps' "
            "likeliest symbol, how sure the model is, and the symbol it read there.</p>"
            f"<table>{''.join(rows)}</table>"
        )

    def show_number(self, answer: m.NumberAnswer) -> None:
        """The adding problem: the model's number beside the sum of the two marked values, and whether it is
        within the paper's tolerance."""
        off = abs(answer.value - answer.rule)
        right = off <= answer.tolerance
        colour, mark = ("#00734f", RIGHT_MARK) if right else ("#a12a00", WRONG_MARK)
        within = "within" if right else "more than"
        self.classify_result.setText(
            f"Model: <b>{answer.value:.3f}</b> <span style='color:{colour}'>{mark} ({'right' if right else 'wrong'}: "
            f"the two starred values add up to <b>{answer.rule:.3f}</b>; off by {off:.3f}, {within} the "
            f"paper's {answer.tolerance:g})</span>"
        )
        length = (
            f"This sequence has {answer.length:,} values, as the {answer.trained_length:,} the model trained on."
            if answer.length == answer.trained_length
            else f"This sequence has {answer.length:,} values; the model trained on {answer.trained_length:,}: "
            "an answer off the length it knows tests whether it learned the rule or the length."
        )
        starred = [
            f"{token[:-1]} at step {i}" for i, token in enumerate(answer.request.text.replace(",", " ").split())
            if token.endswith("*")
        ]
        self.class_list.setHtml(
            f"<p>The starred values: {html.escape(' and '.join(starred))}. {html.escape(length)}</p>"
            "<p>Answering the mean, 1.0, whatever the sequence, is off by "
            f"{abs(1.0 - answer.rule):.3f} here: a model that ignores the stars does that.</p>"
        )
