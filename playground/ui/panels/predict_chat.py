"""The prediction panel's dialog page: tell the model a knock-knock joke, one turn at a time."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from playground.app import messages as m
from playground.ui.panels._common import BLUE, note_label

TIPS = {
    "transcript": "The conversation so far. The model plays the other speaker.",
    "chat_input": "Your next line. Press Enter or Send.",
    "send": "Send your line; the model answers with the next turn.",
    "new_joke": "Forget this conversation and start a new one.",
}


class ChatPage(QWidget):
    """A transcript, a line to send, and the encoder-decoder's reply beside the language model's."""

    request = Signal(object)  # a Reply for the worker's predict slot
    error_changed = Signal(str)  # the panel's error line should show this ("" clears it)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.has_model = True
        self._turns: list[str] = []  # the dialog so far, alternating speakers, the user first
        self._chat_html: list[str] = []  # the transcript's paragraphs, redrawn whole on each turn

        self.transcript = QTextBrowser()
        self.transcript.setToolTip(TIPS["transcript"])
        self.chat_edit = QLineEdit()
        self.chat_edit.setPlaceholderText("Knock, knock!")
        self.chat_edit.setToolTip(TIPS["chat_input"])
        self.send_button = QPushButton("Send")
        self.send_button.setToolTip(TIPS["send"])
        self.new_joke_button = QPushButton("New joke")
        self.new_joke_button.setToolTip(TIPS["new_joke"])
        self.chat_hint = note_label(
            "Try: Knock, knock! Then give a name when the model asks who is there, and answer its "
            "'… who?' with a punchline. A name it never saw is the test: a model with attention looks "
            "back at what you typed and copies it (the map at the bottom shows where it looked); "
            "without attention the name must travel letter by letter in the hidden state, and it "
            "usually comes out garbled (untick Attention in the Model panel to see it)."
        )
        row = QHBoxLayout()
        row.addWidget(self.chat_edit, 1)
        row.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.transcript, 1)
        layout.addLayout(row)
        bottom = QHBoxLayout()
        bottom.addWidget(self.chat_hint, 1)
        bottom.addWidget(self.new_joke_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(bottom)
        # the encoder-decoder beside the turn-marker language model: which one answers, both replies
        from playground.ui.panels.seq2seq_chat import DialogCompare

        self.dialog_compare = DialogCompare()
        layout.addWidget(self.dialog_compare, 1)
        from playground.ui.panels.attention_map import AttentionMap

        self.attention_map = AttentionMap()
        layout.addWidget(self.attention_map)

        self.chat_edit.returnPressed.connect(self._on_send)
        self.send_button.clicked.connect(self._on_send)
        self.new_joke_button.clicked.connect(self.new_joke)

    def history(self) -> list[str]:
        """The dialog so far (the user's turns and the model's, alternating)."""
        return list(self._turns)

    def new_joke(self) -> None:  # the side-by-side replies stay: they compare across jokes
        self._turns.clear()
        self._chat_html.clear()
        self.transcript.clear()
        self.error_changed.emit("")
        self.chat_edit.setFocus()

    def _on_send(self) -> None:
        turn = self.chat_edit.text().strip()
        if not self.has_model or not turn:
            return
        self.request.emit(m.Reply(turn, tuple(self._turns), self.dialog_compare.in_use()))
        self._turns.append(turn)
        self._append_chat("You", turn, None)
        self.chat_edit.clear()

    def show_failed(self, turn: str) -> None:
        """A turn that got no answer (the worker failed) is no part of the dialog."""
        if self._turns and self._turns[-1] == turn:
            self._turns.pop()
            self._append_chat("Model", "(no answer)", BLUE)

    def show_reply(self, answer: m.ReplyAnswer) -> None:
        reply = answer.reply
        self._turns.append(reply)
        self._append_chat("Model", reply if reply else "(says nothing)", BLUE)
        self.dialog_compare.show_replies(answer.request.turn, answer.lm_reply, answer.s2s_reply)
        # the map shows where the answering model looked (a language model without attention: nothing)
        if self.dialog_compare.in_use() == "seq2seq":
            self.attention_map.show_attention(answer.s2s_attention, "seq2seq")
        else:
            self.attention_map.show_attention(answer.lm_attention, "lm")

    def _append_chat(self, who: str, text: str, colour: str | None) -> None:
        # The whole transcript is set again: QTextBrowser.append() carries one block's alignment
        # into the next, which put the model's turns on the user's side.
        style = f' style="color: {colour};"' if colour else ""
        align = "right" if who == "You" else "left"
        self._chat_html.append(f'<p align="{align}"><b{style}>{who}:</b> {html.escape(text)}</p>')
        self.transcript.setHtml("".join(self._chat_html))
        bar = self.transcript.verticalScrollBar()
        bar.setValue(bar.maximum())
