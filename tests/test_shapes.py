"""The shapes of sequence tasks (lesson 13): which kind has which, and the view that highlights it."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor

from playground.core.kinds import KINDS
from playground.core.lessons.shapes import SHAPES, badges, shape_of
from playground.ui.plots.base import VERMILLION


def test_every_kind_has_a_badge_under_its_own_shape():
    table = badges()
    assert tuple(table) == SHAPES
    for name, spec in KINDS.items():
        assert name in [b.kind for b in table[spec.shape]], name
        assert shape_of(name) == spec.shape
    assert {b.kind for b in table["many-to-one"]} == {"prices", "memory", "order", "adding", "temporal-order"}
    assert {b.kind for b in table["many-to-many"]} == {"text", "knock-knock", "quotes"}
    # the one-to-many lesson has that shape of its own; sampling from a first letter is one-to-many too;
    # the dialogs' encoder-decoder is the fourth shape
    one_to_many = {b.kind: b.text for b in table["one-to-many"]}
    assert one_to_many["spell"] == KINDS["spell"].label and shape_of("spell") == "one-to-many"
    assert "sampling" in one_to_many["text"] and "sampling" in one_to_many["knock-knock"]
    assert [b.kind for b in table["encoder-decoder"]] == [n for n, s in KINDS.items() if s.supports_seq2seq]
    assert shape_of("knock-knock", seq2seq=True) == "encoder-decoder"
    assert shape_of("text", seq2seq=True) == "many-to-many"  # no encoder-decoder for plain text


@pytest.fixture
def view(qtbot):
    from playground.ui.shapes_view import ShapesView

    v = ShapesView()
    qtbot.addWidget(v)
    v.resize(1080, 330)
    v.show()
    return v


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_view_highlights_the_kinds_shape(view, kind):
    view.set_kind(kind)
    assert view.highlighted() == KINDS[kind].shape
    image = view.grab().toImage()

    def framed(shape: str) -> bool:  # the panel's left edge drawn in the highlight colour
        r = view.panel_rect(shape)
        return any(
            image.pixelColor(int(r.left()) + dx, int(r.center().y())) == QColor(VERMILLION) for dx in range(5)
        )

    assert framed(view.highlighted())
    assert not any(framed(other) for other in SHAPES if other != view.highlighted())


def test_the_view_draws_four_diagrams_and_the_encoder_decoder(view):
    view.set_kind("knock-knock", seq2seq=True)
    assert view.highlighted() == "encoder-decoder"
    image = view.grab().toImage()
    white = QColor("white").rgb()
    for shape in SHAPES:
        r = view.panel_rect(shape).toRect()
        colours = {
            image.pixel(x, y)
            for x in range(r.left() + 4, r.right() - 4, 3)
            for y in range(r.top() + 30, r.top() + 160, 3)
        }
        assert len(colours - {white}) > 5, shape  # boxes and arrows drawn
    view.set_kind(None)
    assert view.highlighted() is None
    view.resize(620, 640)  # narrow: two by two
    assert view.panel_rect("one-to-many").top() > view.panel_rect("many-to-many").bottom()
