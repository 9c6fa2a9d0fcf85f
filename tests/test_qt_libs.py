"""Start-up without Qt's X11 libraries (issue 33): one line naming the packages and exit 2, never
Qt's abort; silent when all are there."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from playground.app import qt_libs

ROOT = Path(__file__).resolve().parents[1]
X11 = {"DISPLAY": ":0"}


def test_the_platform_is_xcb_only_on_linux_with_an_x_display_and_no_other_choice():
    assert qt_libs.platform_is_xcb(X11, "linux")
    assert qt_libs.platform_is_xcb({"QT_QPA_PLATFORM": "xcb"}, "linux")
    assert qt_libs.platform_is_xcb({"QT_QPA_PLATFORM": "xcb:foo=1", "DISPLAY": ":1"}, "linux")
    assert not qt_libs.platform_is_xcb({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, "linux")
    assert not qt_libs.platform_is_xcb({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert not qt_libs.platform_is_xcb({}, "linux")
    assert not qt_libs.platform_is_xcb(X11, "darwin")
    assert not qt_libs.platform_is_xcb(X11, "win32")


def test_a_missing_library_is_one_line_naming_its_packages_for_debian_and_fedora():
    gone = {"libxcb-cursor.so.0", "libxcb-icccm.so.4"}
    line = qt_libs.check_before_window(X11, "linux", load=lambda soname: soname not in gone)
    assert line is not None and "\n" not in line
    assert "libxcb-cursor.so.0, libxcb-icccm.so.4" in line
    assert "sudo apt-get install libxcb-cursor0 libxcb-icccm4`" in line
    assert "sudo dnf install xcb-util-cursor xcb-util-wm`" in line


def test_packages_shared_by_several_missing_libraries_are_named_once():
    gone = {"libxcb-shape.so.0", "libxcb-randr.so.0"}
    line = qt_libs.check_before_window(X11, "linux", load=lambda soname: soname not in gone)
    assert "apt-get install libxcb-shape0 libxcb-randr0`" in line
    assert "dnf install libxcb`" in line


def test_silent_when_every_library_loads_or_when_the_platform_is_not_xcb():
    assert qt_libs.check_before_window(X11, "linux", load=lambda soname: True) is None
    # not xcb: not even asked
    asked: list[str] = []
    assert qt_libs.check_before_window({"QT_QPA_PLATFORM": "offscreen"}, "linux", load=asked.append) is None
    assert asked == []


def test_this_machines_libraries_load():
    """The machine the tests run on opens windows under Xvfb: every library of the table is there."""
    if not sys.platform.startswith("linux"):
        return
    assert qt_libs.missing_xcb_libs() == []


def _gui(env_extra: dict[str, str], gone: set[str]) -> subprocess.CompletedProcess:
    """`rnn-playground gui` in a fresh interpreter whose loader cannot find the libraries ``gone``."""
    code = f"""
        import sys
        from playground.app import qt_libs
        real = qt_libs.loads
        qt_libs.loads = lambda soname: soname not in {sorted(gone)!r} and real(soname)
        from playground.cli import main
        sys.exit(main(["gui"]))
    """
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env, timeout=120, cwd=ROOT
    )


def test_the_gui_command_exits_2_with_one_line_when_xcb_cursor_is_missing():
    out = _gui({"DISPLAY": ":987", "RNN_PLAYGROUND_TRAINING": "thread"}, {"libxcb-cursor.so.0"})
    assert out.returncode == 2, out.stderr[-2000:]
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("rnn-playground: error: the window needs X11 libraries")
    assert "apt-get install libxcb-cursor0`" in lines[0] and "dnf install xcb-util-cursor`" in lines[0]
    assert "Traceback" not in out.stderr and "qt.qpa" not in out.stderr


def test_the_window_entry_point_refuses_too(monkeypatch, capsys):
    """ui.app.main (main.py's path when called directly) checks before it makes a QApplication."""
    from playground.ui import app

    monkeypatch.setenv("DISPLAY", ":987")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(qt_libs, "loads", lambda soname: soname != "libxcb.so.1")
    made: list[bool] = []
    monkeypatch.setattr(app, "_app", lambda: made.append(True))
    assert app.main() == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "libxcb.so.1" in err[0] and "apt-get install libxcb1`" in err[0]
    assert made == []
