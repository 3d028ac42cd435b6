"""Whether a window can open here, checked before Qt is started: on Linux, Qt aborts the
whole process (exit 134, "Reinstalling the application may fix this problem") when there
is no display or its X11 platform plugin (xcb) cannot load its system libraries. These
checks say what is missing and what to do instead. Qt-free, like the command line."""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable
from pathlib import Path

# the system libraries Qt's xcb platform plugin needs beyond a basic X11 install
XCB_LIBRARIES = (
    "libxcb-cursor.so.0",
    "libxcb-icccm.so.4",
    "libxcb-keysyms.so.1",
    "libxcb-image.so.0",
    "libxcb-render-util.so.0",
    "libxcb-xkb.so.1",
    "libxkbcommon-x11.so.0",
    "libxcb-shape.so.0",
    "libxcb-randr.so.0",
)
# as in the README
APT_COMMAND = (
    "sudo apt-get install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 "
    "libxcb-render-util0 libxcb-xkb1 libxkbcommon-x11-0 libxcb-shape0 libxcb-randr0"
)
WITHOUT_A_WINDOW = (
    "Every job also runs without a window (ssl-studio --help; ssl-studio demo --no-gui "
    "builds the demo project only)."
)


def _loads(name: str, load: Callable[[str], object]) -> bool:
    """Whether the dynamic loader finds library ``name`` (in a desktop bundle, also in
    the bundle's own folder, where the libraries it carries are)."""
    places = [name]
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        places.append(str(Path(bundle) / name))
    for place in places:
        try:
            load(place)
            return True
        except OSError:
            continue
    return False


def missing_xcb_libraries(load: Callable[[str], object] | None = None) -> list[str]:
    """The libraries of XCB_LIBRARIES the loader cannot find (``load``, by default
    ctypes.CDLL, raises OSError for those)."""
    return [name for name in XCB_LIBRARIES if not _loads(name, load or ctypes.CDLL)]


def _uses_xcb(platform: str) -> bool:
    """Whether Qt will open its window through xcb: QT_QPA_PLATFORM says xcb first, or it
    is unset outside a Wayland session (there Qt may use Wayland, which needs none of
    them, so a missing one is no reason to refuse)."""
    if platform:
        return platform.split(";")[0].strip().startswith("xcb")
    return not os.environ.get("WAYLAND_DISPLAY")


def display_problem(load: Callable[[str], object] | None = None) -> str | None:
    """Why no window can open here, said before Qt aborts the whole process (a Linux
    server without a display, or without the X11 libraries Qt needs); None where one can."""
    if not sys.platform.startswith("linux"):
        return None
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform and not platform.startswith(("xcb", "wayland")):
        return None  # offscreen, vnc, eglfs: no display server needed
    missing = missing_xcb_libraries(load) if _uses_xcb(platform) else []
    names = f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing"
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        install = (
            f", after installing the X11 libraries Qt needs ({names}; Debian/Ubuntu: {APT_COMMAND})"
            if missing
            else ""
        )
        return (
            "No display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set). "
            f"Run it from the machine's desktop, over ssh -X, or under xvfb-run{install}. "
            f"{WITHOUT_A_WINDOW}"
        )
    if missing:
        return (
            f"No window can open: Qt's X11 (xcb) platform plugin needs libraries that are "
            f"not installed ({names}). Install them (Debian/Ubuntu: {APT_COMMAND}), then "
            f"try again. {WITHOUT_A_WINDOW}"
        )
    return None
