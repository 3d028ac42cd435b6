"""Whether a window can open here, checked before Qt is started: on Linux, Qt aborts the
whole process (exit 134, "Reinstalling the application may fix this problem") when there
is no display, when the display refuses the connection (an expired ssh -X, sudo without
the user's XAUTHORITY) or its X11 platform plugin (xcb) cannot load its system libraries;
and importing Qt itself fails (ImportError, even offscreen) without the libraries every
Qt program loads. These checks say what is missing and what to do instead. Qt-free, like
the command line."""

from __future__ import annotations

import ctypes
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

# the system libraries Qt itself loads on Linux, whatever its platform (offscreen too), and
# the Debian/Ubuntu packages that have them (as .ci/run installs them)
QT_LIBRARIES = {
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
}
QT_APT_COMMAND = f"sudo apt-get install {' '.join(QT_LIBRARIES.values())}"
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
XCB_PACKAGES = (
    "libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1", "libxcb-image0",
    "libxcb-render-util0", "libxcb-xkb1", "libxkbcommon-x11-0", "libxcb-shape0", "libxcb-randr0",
)  # fmt: skip
APT_COMMAND = f"sudo apt-get install {' '.join(XCB_PACKAGES)}"
WITHOUT_A_WINDOW = (
    "Every job also runs without a window (ssl-studio --help; ssl-studio demo --no-gui "
    "builds the demo project only)."
)


def _load(name: str, load: Callable[[str], object]) -> object | None:
    """Library ``name`` as the dynamic loader finds it (in a desktop bundle, also in the
    bundle's own folder, where the libraries it carries are); None where it cannot."""
    places = [name]
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        places.append(str(Path(bundle) / name))
    for place in places:
        try:
            return load(place)
        except OSError:
            continue
    return None


def missing_qt_libraries(load: Callable[[str], object] | None = None) -> list[str]:
    """The libraries of QT_LIBRARIES the loader cannot find (``load``, by default
    ctypes.CDLL, raises OSError for those)."""
    return [name for name in QT_LIBRARIES if _load(name, load or ctypes.CDLL) is None]


def missing_xcb_libraries(load: Callable[[str], object] | None = None) -> list[str]:
    """The libraries of XCB_LIBRARIES the loader cannot find (``load``, by default
    ctypes.CDLL, raises OSError for those)."""
    return [name for name in XCB_LIBRARIES if _load(name, load or ctypes.CDLL) is None]


def _uses_xcb(platform: str) -> bool:
    """Whether Qt will open its window through xcb: QT_QPA_PLATFORM says xcb first, or it
    is unset outside a Wayland session (there Qt may use Wayland, which needs none of
    them, so a missing one is no reason to refuse)."""
    if platform:
        return platform.split(";")[0].strip().startswith("xcb")
    return not os.environ.get("WAYLAND_DISPLAY")


def x_display_refuses(load: Callable[[str], object] | None = None) -> bool:
    """Whether connecting to the X display DISPLAY names fails, as Qt's xcb plugin would
    connect (xcb_connect): no X server there, or one that does not let this user in (an
    expired ssh -X forwarding, sudo without the user's XAUTHORITY). False where it cannot
    be tried (no libxcb): the missing libraries are said instead."""
    xcb = _load("libxcb.so.1", load or ctypes.CDLL)
    try:
        connect = xcb.xcb_connect
        has_error = xcb.xcb_connection_has_error
        disconnect = xcb.xcb_disconnect
    except AttributeError:  # (None, or not libxcb)
        return False
    connect.argtypes, connect.restype = [ctypes.c_char_p, ctypes.c_void_p], ctypes.c_void_p
    has_error.argtypes, has_error.restype = [ctypes.c_void_p], ctypes.c_int
    disconnect.argtypes, disconnect.restype = [ctypes.c_void_p], None
    connection = connect(None, None)  # (never NULL: a connection in an error state)
    try:
        return bool(has_error(connection))
    finally:
        disconnect(connection)


def _apt_command(missing: list[str]) -> str:
    """The Debian/Ubuntu command that installs the libraries ``missing``."""
    packages = []
    if any(name in QT_LIBRARIES for name in missing):
        packages += QT_LIBRARIES.values()
    if any(name in XCB_LIBRARIES for name in missing):
        packages += XCB_PACKAGES
    return f"sudo apt-get install {' '.join(packages)}"


def _needs(missing: list[str]) -> str:
    """What the libraries ``missing`` are needed by, and that they are not installed."""
    names = f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing"
    if all(name in XCB_LIBRARIES for name in missing):
        return f"Qt's X11 (xcb) platform plugin needs libraries that are not installed ({names})"
    return f"Qt needs system libraries that are not installed ({names})"


def display_problem(load: Callable[[str], object] | None = None) -> str | None:
    """Why no window can open here, said before Qt aborts the whole process or fails to
    import (a Linux server without a display, one that refuses the connection, or without
    the libraries Qt needs); None where one can."""
    if not sys.platform.startswith("linux"):
        return None
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    missing = missing_qt_libraries(load)
    if platform and not platform.startswith(("xcb", "wayland")):
        # offscreen, vnc, eglfs: no display server needed, but Qt itself still is
        if missing:
            return (
                f"Qt cannot start: it needs system libraries that are not installed "
                f"({', '.join(missing)}). Install them (Debian/Ubuntu: "
                f"{_apt_command(missing)}), then try again. {WITHOUT_A_WINDOW}"
            )
        return None
    xcb = _uses_xcb(platform)
    if xcb:
        missing += missing_xcb_libraries(load)
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        install = (
            f", after installing the system libraries Qt needs "
            f"({', '.join(missing)}; Debian/Ubuntu: {_apt_command(missing)})"
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
            f"No window can open: {_needs(missing)}. Install them (Debian/Ubuntu: "
            f"{_apt_command(missing)}), then try again. {WITHOUT_A_WINDOW}"
        )
    if xcb and x_display_refuses(load):
        shown = os.environ.get("DISPLAY") or "(DISPLAY is not set)"
        return (
            f"Cannot connect to display {shown}. Is the X server running, and may this user "
            "use it (xauth, XAUTHORITY)? Over ssh, log in again with ssh -X; under sudo, "
            "set XAUTHORITY to the file of the user who owns the display (their "
            f"~/.Xauthority). {WITHOUT_A_WINDOW}"
        )
    return None


def qt_library_problem(exc: ImportError) -> str | None:
    """What to say when importing the app failed because a system library Qt needs would
    not load ("libEGL.so.1: cannot open shared object file"); None for any other
    ImportError (a bug)."""
    found = re.search(r"lib[\w.+-]*?\.so(\.\d+)*", str(exc))
    if found is None:
        return None
    return (
        f"The window cannot open: Qt cannot load the system library {found[0]} ({exc}). "
        f"Install the libraries Qt needs (Debian/Ubuntu: {QT_APT_COMMAND}; elsewhere, "
        f"the package that has {found[0]}), then try again. {WITHOUT_A_WINDOW}"
    )
