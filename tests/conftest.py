"""Shared test setup. Qt must be told to draw offscreen before anything imports it."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The window trains in a thread here, so that tests can read its model directly; the window's
# default, a child process, is tested on its own in test_training_process.py.
os.environ.setdefault("RNN_PLAYGROUND_TRAINING", "thread")

import pytest


def pytest_collection_modifyitems(config, items):
    """Tests marked ``lessons`` (claims about learning over seeds: each lesson, copying a name; minutes)
    or ``fuzz`` (a thousand mutated model files) run only when asked: with ``-m lessons`` / ``-m fuzz``
    (any -m expression naming them) or RNN_PLAYGROUND_LESSONS=1 / RNN_PLAYGROUND_FUZZ=1."""
    wanted = config.getoption("-m") or ""
    reasons = {
        "lessons": "a claim about learning that trains for minutes: run with -m lessons",
        "fuzz": "hundreds of mutated model and data files: run with -m fuzz",
    }
    for marker, reason in reasons.items():
        if os.environ.get(f"RNN_PLAYGROUND_{marker.upper()}") == "1" or marker in wanted:
            continue
        skip = pytest.mark.skip(reason=reason)
        for item in items:  # (by marker, not keyword: a checkout in a folder named "fuzz" is one too)
            if item.get_closest_marker(marker) is not None:
                item.add_marker(skip)


TEST_LIMIT_S = float(os.environ.get("RNN_PLAYGROUND_TEST_LIMIT_S", "600"))


@pytest.fixture(autouse=True)
def _no_test_hangs(request):
    """A test that runs past ``TEST_LIMIT_S`` (default 10 min; the longest test takes about 4 here) prints
    every thread's stack and ends the run: a hang costs minutes and says where it is, instead of
    silently eating CI's whole budget."""
    import faulthandler
    import sys

    print_to = sys.__stderr__
    if TEST_LIMIT_S > 0 and print_to is not None:
        faulthandler.dump_traceback_later(TEST_LIMIT_S, exit=True, file=print_to)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture
def tiny_text() -> str:
    """A small text with enough repetition for a model to learn something in a few steps."""
    lines = [
        "the cat sat on the mat. ",
        "the dog sat on the log. ",
        "a bird sang in the tree. ",
        "the sun rose over the hill. ",
    ]
    return "".join(lines) * 40


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """Tiny models train faster on one thread, and a busy 2-core machine never oversubscribes."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def _no_training_thread_left_running():
    """Fail any test that leaves a training QThread running (and stop it, so others are not hurt)."""
    yield
    import sys

    worker = sys.modules.get("playground.ui.worker")
    if worker is None:
        return
    owners = [*worker.WorkerThread.instances, *worker.TrainingProcess.instances]
    running = [t for t in owners if t.running()]
    for t in running:
        t.shutdown(2000)
    guard = sys.modules.get("playground.ui.gc_guard")
    if guard is not None:  # a window the test left open: Python's collector is automatic again
        guard.release_all()
    assert not running, f"{len(running)} training thread(s) or process(es) left running"


@pytest.fixture
def open_window(qtbot, tmp_path):
    """Open real main windows with a given SessionConfig (own settings file each); shut down at the end."""
    from PySide6.QtCore import QSettings

    from playground.ui.main_window import MainWindow

    windows = []

    def make(config):
        settings = QSettings(str(tmp_path / f"settings{len(windows)}.ini"), QSettings.Format.IniFormat)
        w = MainWindow(config=config, settings=settings)
        w.ask_before_discard = False
        qtbot.addWidget(w)
        w.resize(1400, 900)
        w.show()
        qtbot.waitUntil(lambda: bool(w.summary), timeout=10_000)
        windows.append(w)
        return w

    yield make
    for w in windows:
        w.shutdown()
