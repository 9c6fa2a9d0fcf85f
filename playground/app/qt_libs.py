"""Before the window opens on Linux: are the system libraries of Qt's X11 (xcb) platform plugin there?

PySide6's wheel carries Qt but not the X libraries its xcb plugin links against. Without one of them
Qt prints a page about plugins and aborts the process (a core dump, no clear cause). This module
tries to load each library the plugin needs, the way the plugin itself would (the dynamic loader,
by its soname), and when some are missing says, in one line, which packages to install.

No Qt here: the check runs before QApplication exists (and loads nothing the plugin would not load).
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Mapping
from typing import NamedTuple


class SystemLib(NamedTuple):
    soname: str
    debian: str  # the Debian/Ubuntu package that holds it
    fedora: str  # the Fedora package that holds it


# What PySide6's libqxcb.so (and libQt6XcbQpa) load from the system for X11, with their packages.
# libxcb-cursor is the one most often missing: Qt 6.5 started to need it, and desktops lack it.
XCB_LIBS: tuple[SystemLib, ...] = (
    SystemLib("libxcb-cursor.so.0", "libxcb-cursor0", "xcb-util-cursor"),
    SystemLib("libxkbcommon-x11.so.0", "libxkbcommon-x11-0", "libxkbcommon-x11"),
    SystemLib("libxkbcommon.so.0", "libxkbcommon0", "libxkbcommon"),
    SystemLib("libxcb-icccm.so.4", "libxcb-icccm4", "xcb-util-wm"),
    SystemLib("libxcb-keysyms.so.1", "libxcb-keysyms1", "xcb-util-keysyms"),
    SystemLib("libxcb-image.so.0", "libxcb-image0", "xcb-util-image"),
    SystemLib("libxcb-render-util.so.0", "libxcb-render-util0", "xcb-util-renderutil"),
    SystemLib("libxcb-util.so.1", "libxcb-util1", "xcb-util"),
    SystemLib("libxcb-shape.so.0", "libxcb-shape0", "libxcb"),
    SystemLib("libxcb-randr.so.0", "libxcb-randr0", "libxcb"),
    SystemLib("libxcb-xkb.so.1", "libxcb-xkb1", "libxcb"),
    SystemLib("libxcb-xfixes.so.0", "libxcb-xfixes0", "libxcb"),
    SystemLib("libxcb-sync.so.1", "libxcb-sync1", "libxcb"),
    SystemLib("libxcb-shm.so.0", "libxcb-shm0", "libxcb"),
    SystemLib("libxcb-render.so.0", "libxcb-render0", "libxcb"),
    SystemLib("libxcb.so.1", "libxcb1", "libxcb"),
    SystemLib("libX11-xcb.so.1", "libx11-xcb1", "libX11-xcb"),
)


def loads(soname: str) -> bool:
    """Whether the dynamic loader finds and loads this library (as the plugin would)."""
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def platform_is_xcb(env: Mapping[str, str] | None = None, platform: str | None = None) -> bool:
    """Whether Qt will open the window through xcb: Linux, an X display, and no other platform chosen
    (a Wayland session without QT_QPA_PLATFORM gets Qt's Wayland plugin, which needs none of these)."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if not platform.startswith("linux"):
        return False
    chosen = env.get("QT_QPA_PLATFORM", "").strip().lower()
    if chosen:
        return chosen.split(":")[0] == "xcb"
    return bool(env.get("DISPLAY")) and not env.get("WAYLAND_DISPLAY")


def missing_xcb_libs(load: Callable[[str], bool] | None = None) -> list[SystemLib]:
    """The libraries of XCB_LIBS the loader cannot load (``load``: :func:`loads` unless given)."""
    load = load or loads
    return [lib for lib in XCB_LIBS if not load(lib.soname)]


def _unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))


def missing_message(missing: list[SystemLib]) -> str:
    """One line: which libraries are missing and the command that installs them."""
    debian = " ".join(_unique([lib.debian for lib in missing]))
    fedora = " ".join(_unique([lib.fedora for lib in missing]))
    names = ", ".join(lib.soname for lib in missing)
    return (
        f"the window needs X11 libraries that are not installed ({names}); "
        f"install them with `sudo apt-get install {debian}` (Debian/Ubuntu) or `sudo dnf install {fedora}` "
        "(Fedora), or run without a window: `rnn-playground gui --demo SECONDS --screenshot out.png`"
    )


def check_before_window(
    env: Mapping[str, str] | None = None, platform: str | None = None, load: Callable[[str], bool] | None = None
) -> str | None:
    """The one-line error when the window would use xcb and some of its libraries are missing; else None."""
    if not platform_is_xcb(env, platform):
        return None
    missing = missing_xcb_libs(load)
    return missing_message(missing) if missing else None
