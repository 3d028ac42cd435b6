"""Entry point of the desktop bundle.

The bundled executable is the ``ssl-studio`` command line with one difference: started
without arguments (a double click) it opens the app, like ``ssl-studio gui``.

``--bundle-check`` (only here, not in ``ssl-studio``) checks that the parts the bundle needs
at run time were collected: resources (the demo data and the guide), the pylibjpeg DICOM
decoders (found through entry points), onnxruntime, onnx/onnxscript, safetensors,
scikit-learn, scikit-image, pyqtgraph and torch. It prints one line per check and exits 1
if any failed.

On Windows the executable is a console program (it is the command line too), so a double
click opens a console window beside the app; closing that window would end the app
within about 5 s (CTRL_CLOSE_EVENT), mid-training. Started so, the app lets go of that
console at once and its window goes away (``leave_own_console``).
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import sys
from collections.abc import Callable
from typing import Any

# process creation flags (winbase.h): a child that gets a console of its own, none, or
# one without a window
CREATE_NEW_CONSOLE = 0x00000010
DETACHED_PROCESS = 0x00000008
CREATE_NO_WINDOW = 0x08000000

# pydicom decoder -> transfer syntax UID it decodes; the pylibjpeg plugin must serve each.
PYLIBJPEG_DECODERS = {
    "JPEGBaseline8BitDecoder": "1.2.840.10008.1.2.4.50",  # pylibjpeg-libjpeg
    "JPEGLSLosslessDecoder": "1.2.840.10008.1.2.4.80",  # pylibjpeg-libjpeg
    "JPEG2000LosslessDecoder": "1.2.840.10008.1.2.4.90",  # pylibjpeg-openjpeg
    "RLELosslessDecoder": "1.2.840.10008.1.2.5",  # pylibjpeg-rle
}


def _resources() -> str:
    from ssl_studio.resources import demo_dir, guide_path

    demo = demo_dir()
    missing = [n for n in ("chest-xray", "basic-motions") if not (demo / n).is_dir()]
    if missing:
        raise RuntimeError(f"{demo} lacks {', '.join(missing)}")
    guide = guide_path()  # (Help -> Guide to the concepts)
    if not guide.is_file() or not guide.read_text(encoding="utf-8").strip():
        raise RuntimeError(f"no guide at {guide}")
    return f"{demo}, {guide.name}"


def _dicom() -> str:
    from pydicom.pixels import decoders
    from pylibjpeg.utils import get_pixel_data_decoders

    found = get_pixel_data_decoders()
    lacking = [
        name
        for name, uid in PYLIBJPEG_DECODERS.items()
        if uid not in found or "pylibjpeg" not in getattr(decoders, name).available_plugins
    ]
    if lacking:
        raise RuntimeError(f"no pylibjpeg plugin for {', '.join(lacking)}")
    return f"pylibjpeg decodes {len(found)} transfer syntaxes"


def _onnx() -> str:
    import onnx
    import onnxruntime
    import onnxscript

    providers = onnxruntime.get_available_providers()
    if "CPUExecutionProvider" not in providers:
        raise RuntimeError(f"onnxruntime providers: {providers}")
    return (
        f"onnx {onnx.__version__}, onnxscript {onnxscript.__version__}, "
        f"onnxruntime {onnxruntime.__version__}"
    )


def _science() -> str:
    import pyqtgraph
    import safetensors.torch  # noqa: F401
    import skimage
    import sklearn.linear_model  # noqa: F401

    return f"pyqtgraph {pyqtgraph.__version__}, sklearn, skimage {skimage.__version__}"


def _torch() -> str:
    import torch
    import torchvision

    x = torch.randn(8, 8)
    if not torch.allclose(x @ torch.eye(8), x):
        raise RuntimeError("a matrix product is wrong")
    return (
        f"torch {torch.__version__} (CUDA build {torch.version.cuda}, "
        f"GPU available {torch.cuda.is_available()}), torchvision {torchvision.__version__}"
    )


CHECKS: dict[str, Callable[[], str]] = {
    "resources": _resources,
    "dicom decoders": _dicom,
    "onnx": _onnx,
    "libraries": _science,
    "torch": _torch,
}


def bundle_check() -> int:
    failed = 0
    for name, check in CHECKS.items():
        try:
            print(f"ok      {name}: {check()}")
        except Exception as exc:  # report every check, then fail
            failed += 1
            print(f"FAILED  {name}: {type(exc).__name__}: {exc}")
    return 1 if failed else 0


def leave_own_console(args: list[str], kernel32: Any = None, winapi: Any = None) -> bool:
    """On Windows, started without arguments (the app) in a console that is this
    process's alone (Windows made it for a double click; a cmd window the user typed in
    holds cmd too), let go of it (FreeConsole), so that its window goes away. Returns
    whether it did; a failure never stops the app (the window then stays). ``kernel32``
    and ``winapi`` (the ``_winapi`` module): for tests.

    Then the standard streams, which pointed at that console, write to nothing; and child
    processes (the import's decoding workers are this very executable, a console
    program) get a console without a window, as a process without a console would
    otherwise give each of them a console window of its own."""
    if sys.platform != "win32" or args:
        return False
    try:
        if kernel32 is None:
            kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        processes = (ctypes.c_uint32 * 2)()
        if kernel32.GetConsoleProcessList(processes, len(processes)) != 1:
            return False
        if not kernel32.FreeConsole():
            return False
    except Exception:  # (the console stays: never a reason not to start)
        return False
    with contextlib.suppress(Exception):
        _streams_to_nothing()
    with contextlib.suppress(Exception):
        _children_without_console_window(winapi)
    return True


def _streams_to_nothing() -> None:
    """stdin, stdout and stderr on the null device: the console they used is gone, and a
    write to it would raise OSError (the handle is invalid). Open for the process's life."""
    sys.stdin = open(os.devnull, encoding="utf-8")
    sys.stdout = open(os.devnull, "w", encoding="utf-8")
    sys.stderr = open(os.devnull, "w", encoding="utf-8")


def _children_without_console_window(winapi: Any = None) -> None:
    """Every child process made from now on (multiprocessing's and subprocess's both go
    through ``_winapi.CreateProcess``) gets CREATE_NO_WINDOW, unless it asks for a
    console of its own or none."""
    if winapi is None:
        import _winapi as winapi
    create = winapi.CreateProcess

    def create_process(*args: Any) -> Any:
        # (application, command line, process and thread attributes, inherit handles,
        # creation flags, environment, folder, startup info)
        flags = args[5]
        if not flags & (CREATE_NEW_CONSOLE | DETACHED_PROCESS | CREATE_NO_WINDOW):
            args = (*args[:5], flags | CREATE_NO_WINDOW, *args[6:])
        return create(*args)

    winapi.CreateProcess = create_process


def main() -> int:
    multiprocessing.freeze_support()  # the import's decoding workers start this executable
    args = sys.argv[1:]
    if args == ["--bundle-check"]:
        return bundle_check()
    leave_own_console(args)
    from ssl_studio.cli import main as cli_main

    return cli_main(args or ["gui"])


if __name__ == "__main__":
    sys.exit(main())
