"""The engine's files: Save, Save Session, Export Report and Export as a script.

Each is one command of playground.app.messages, carried out between training slices on the model in
training (:class:`~playground.app.engine.Engine` dispatches here) and answered with what was
written or why not. Writing is atomic in the core (a failed save leaves the previous file intact).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from playground.app import messages as m
from playground.core.errors import error_text

if TYPE_CHECKING:
    from playground.app.engine import Engine


def save(e: Engine, path: str) -> None:
    if e.trainer is None:
        e.fail("nothing to save yet")
        return
    try:
        from playground.core.train import checkpoint

        # In the model's own random stream: the file holds the state that training continues
        # from (dropout draws from it), so reopening it resumes exactly as the app would have.
        with e.main_random.active(cuda=e.trainer.device.type == "cuda"):
            written = checkpoint.save(e.trainer, path)
    except Exception as exc:
        e.fail(exc)
        return
    e.flush(force=True)  # the window has every step in the file before it hears it was written
    e.answer(m.Saved(e.generation, str(written), e.trainer.steps))


def save_session(e: Engine, path: str) -> None:
    """File > Save Session: the session file (core/train/session_file.py), written atomically."""
    if e.trainer is None:
        e.fail("nothing to save yet")
        return
    try:
        from playground.core.train.session_file import save_session

        with e.main_random.active(cuda=e.trainer.device.type == "cuda"):  # (as _save)
            written = save_session(e.trainer, path)
    except Exception as exc:
        e.fail(exc)
        return
    e.answer(m.SessionSaved(e.generation, str(written), e.trainer.recorder.steps))


def export_report(e: Engine, cmd: m.ExportReport) -> None:
    """File > Export Report: the session saved to a temporary file, replayed, written as a page."""
    if e.trainer is None:
        e.answer(m.ReportWritten(e.generation, error="no model yet: nothing to report"))
        return
    import tempfile

    from playground.core.export.report import LessonNote, write_report
    from playground.core.train.session_file import save_session

    try:
        note = LessonNote(**cmd.lesson) if cmd.lesson else None
        with tempfile.TemporaryDirectory(prefix="rnn-report-") as folder:
            session = Path(folder) / "this.session"
            with e.main_random.active(cuda=e.trainer.device.type == "cuda"):  # (as _save_session)
                save_session(e.trainer, session)
            written, run = write_report(session, cmd.path, note, name=Path(cmd.path).stem)
    except Exception as exc:
        e.answer(m.ReportWritten(e.generation, error=error_text(exc, report_bug=False)))
        return
    r = run.replay
    e.answer(
        m.ReportWritten(
            e.generation,
            str(written),
            int(r.get("steps", 0)),
            bool(r.get("identical")),
            len(run.verdicts),
        )
    )


def export_script(e: Engine, cmd: m.ExportScript) -> None:
    """A saved model file as one PyTorch script: loaded here, where torch is, between slices."""
    try:
        from playground.core.export import export_script

        written = export_script(cmd.model, cmd.script)
    except Exception as exc:
        e.answer(m.Exported(e.generation, error=error_text(exc)))
        return
    e.answer(m.Exported(e.generation, str(written)))
