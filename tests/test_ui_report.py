"""File > Export Report in the window: the training process replays the session so far and writes one page,
with the lesson card's prediction beside what was measured, and the verdict the banner gave on the way."""

from __future__ import annotations

from window_helpers import answer_is

from playground.app import messages as m
from tests.test_ui_session import exploding


def test_export_report_writes_the_page_with_the_verdict_and_the_prediction(
    qtbot, open_window, tmp_path, monkeypatch
):
    from PySide6.QtWidgets import QFileDialog

    w = open_window(exploding())
    w.play()
    qtbot.waitUntil(lambda: w.diagnosis is not None, timeout=30_000)
    w.pause()
    qtbot.waitUntil(lambda: w.state.play == "paused", timeout=10_000)
    verdict = w.diagnosis.kind
    view = w.lessons_view
    view.select("exploding")
    view.predict(view.current_prediction_keys()[0])
    target = tmp_path / "mine"  # .html is added
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "Web page (*.html)"))
    assert w.export_report_action.isEnabled() and "hand in" in w.export_report_action.toolTip()
    with qtbot.waitSignal(w.answered, check_params_cb=answer_is(m.ReportWritten), timeout=60_000) as got:
        w.export_report_action.trigger()
    a = got.args[0]
    assert not a.error and a.identical and a.path.endswith("mine.html") and a.steps >= w.session.steps >= 1
    page = (tmp_path / "mine.html").read_text(encoding="utf-8")
    assert (
        "Replayed from its recorded actions" in page and page.count("<img") >= 2
    )  # (a blown-up model: no gradient through time)
    assert f"<td>{verdict}</td>" in page  # the banner's verdict, with its step
    assert "Lesson: 7." in page and "<th>Predicted</th>" in page and "(no prediction made)" not in page
    assert "mine" in page and f"{a.steps:,} steps replayed" in w.statusBar().currentMessage()
