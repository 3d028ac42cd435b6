"""Entry point of the desktop bundle.

The bundled executable is the ``ssl-studio`` command line with one difference: started
without arguments (a double click) it opens the app, like ``ssl-studio gui``.

``--bundle-check`` (only here, not in ``ssl-studio``) checks that the parts the bundle needs
at run time were collected: resources, the pylibjpeg DICOM decoders (found through entry
points), onnxruntime, onnx/onnxscript, safetensors, scikit-learn, scikit-image, pyqtgraph
and torch. It prints one line per check and exits 1 if any failed.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Callable

# pydicom decoder -> transfer syntax UID it decodes; the pylibjpeg plugin must serve each.
PYLIBJPEG_DECODERS = {
    "JPEGBaseline8BitDecoder": "1.2.840.10008.1.2.4.50",  # pylibjpeg-libjpeg
    "JPEGLSLosslessDecoder": "1.2.840.10008.1.2.4.80",  # pylibjpeg-libjpeg
    "JPEG2000LosslessDecoder": "1.2.840.10008.1.2.4.90",  # pylibjpeg-openjpeg
    "RLELosslessDecoder": "1.2.840.10008.1.2.5",  # pylibjpeg-rle
}


def _resources() -> str:
    from ssl_studio.resources import demo_dir

    demo = demo_dir()
    missing = [n for n in ("chest-xray", "basic-motions") if not (demo / n).is_dir()]
    if missing:
        raise RuntimeError(f"{demo} lacks {', '.join(missing)}")
    return str(demo)


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


def main() -> int:
    multiprocessing.freeze_support()  # the import's decoding workers start this executable
    args = sys.argv[1:]
    if args == ["--bundle-check"]:
        return bundle_check()
    from ssl_studio.cli import main as cli_main

    return cli_main(args or ["gui"])


if __name__ == "__main__":
    sys.exit(main())
