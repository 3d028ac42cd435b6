"""Stand-ins for the NVIDIA CUDA libraries, for the CPU-only bundle (Linux).

A CUDA build of torch links its own libraries against cuBLAS, cuDNN, NCCL, ... (~2.9 GB),
so it does not import without them, even to compute on the CPU. ``cpu_only_binaries``
replaces each CUDA library that a bundled library links against by a stub of a few
kilobytes: the same file name and soname, the same exported symbols and symbol versions,
every function returning an error (100, which the CUDA runtime uses for "no CUDA device").
The loader is satisfied, and torch finds no GPU (the runtime hook also hides every GPU), so
it never calls into them. CUDA libraries nothing links against (torch dlopens them only on a
GPU: cuDNN's kernels, cuSOLVER, ...) are left out.

Needs ``readelf`` (binutils) and a C compiler (``cc``), both run at build time only.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

# Functions that return a message, not an error code: they get a string.
_MESSAGE_FUNCTIONS = re.compile(r"(Error|Status)(String|Name)$|GetLastErrorString$")
# torch/lib/*.so that torch loads only to use a GPU, and that need a left-out library.
GPU_ONLY_TORCH_LIBRARIES = {"libtorch_cuda_linalg.so"}
_CUDA_DIR = "nvidia/"  # where PyInstaller puts the libraries of the nvidia-* wheels
_LINKER_SYMBOLS = {"_init", "_fini", "_edata", "_end", "__bss_start"}


def _readelf(*args: str) -> str:
    return subprocess.run(
        ["readelf", "-W", *args], check=True, capture_output=True, text=True
    ).stdout


def needed_libraries(path: str) -> set[str]:
    """The sonames a library or extension module links against (DT_NEEDED)."""
    return set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", _readelf("-d", path)))


def soname(path: str) -> str:
    found = re.search(r"\(SONAME\)\s+Library soname: \[([^\]]+)\]", _readelf("-d", path))
    return found.group(1) if found else Path(path).name


def exported_symbols(path: str) -> list[tuple[str, str, int, str | None]]:
    """(name, FUNC or OBJECT, size, default version or None) of each exported definition."""
    symbols = []
    for line in _readelf("--dyn-syms", path).splitlines():
        fields = line.split()
        if len(fields) < 8 or not fields[0].endswith(":"):
            continue
        _, _, size, kind, bind, _, ndx, name = fields[:8]
        if ndx in ("UND", "ABS") or kind not in ("FUNC", "IFUNC", "OBJECT"):
            continue
        # NCCL's API is weak; weak C++ names are the C++ library's (typeinfo, templates).
        if not (bind == "GLOBAL" or (bind == "WEAK" and not name.startswith("_Z"))):
            continue
        if "@" in name and "@@" not in name:
            continue  # an older, non-default version: nothing links against it any more
        name, _, version = name.partition("@@")
        if name in _LINKER_SYMBOLS:
            continue
        size_bytes = int(size, 16) if size.startswith("0x") else int(size)
        kind = "OBJECT" if kind == "OBJECT" else "FUNC"
        symbols.append((name, kind, size_bytes, version or None))
    return symbols


def write_stub(real: str, out: Path) -> Path:
    """Compile the stand-in of the library ``real`` into the file ``out``."""
    symbols = exported_symbols(real)
    lines = ['static const char message[] = "CUDA is not part of this CPU-only bundle";']
    versions: dict[str, list[str]] = {}
    for i, (name, kind, size, version) in enumerate(symbols):
        label = f'__asm__("{name}")'
        if kind == "OBJECT":
            lines.append(f"char s{i}[{max(size, 1)}] {label} = {{0}};")
        elif _MESSAGE_FUNCTIONS.search(name):
            lines.append(f"const char *s{i}(void) {label};")
            lines.append(f"const char *s{i}(void) {{ return message; }}")
        else:
            lines.append(f"long s{i}(void) {label};")
            lines.append(f"long s{i}(void) {{ return 100; }}")
        versions.setdefault(version or "", []).append(name)
    out.parent.mkdir(parents=True, exist_ok=True)
    source = out.with_suffix(out.suffix + ".c")
    source.write_text("\n".join(lines) + "\n")
    command = ["cc", "-shared", "-fPIC", "-O0", "-w", f"-Wl,-soname,{soname(real)}"]
    if any(versions):  # a versioned library: the same version nodes
        script = out.with_suffix(out.suffix + ".map")
        nodes = [
            f"{version} {{ global: {'; '.join(names)}; }};"
            for version, names in versions.items()
            if version
        ]
        unversioned = versions.get("", [])
        if unversioned:  # put them in the first node
            nodes[0] = nodes[0].replace("global: ", f"global: {'; '.join(unversioned)}; ", 1)
        script.write_text("\n".join(nodes) + "\n")
        command.append(f"-Wl,--version-script={script}")
    subprocess.run([*command, "-o", str(out), str(source)], check=True)
    return out


def cpu_only_binaries(binaries: list, workdir: Path) -> tuple[list, list[str], list[str]]:
    """The bundle's binaries with CUDA libraries stubbed (when linked) or left out.

    binaries: PyInstaller's TOC, (name in the bundle, source path, type) entries.
    Returns the new TOC, the names stubbed and the names left out.
    """
    kept = [e for e in binaries if Path(e[0]).name not in GPU_ONLY_TORCH_LIBRARIES]
    dropped = [e[0] for e in binaries if Path(e[0]).name in GPU_ONLY_TORCH_LIBRARIES]
    linked: set[str] = set()
    for dest, src, _ in kept:
        if not dest.replace("\\", "/").startswith(_CUDA_DIR):
            linked |= needed_libraries(src)
    result, stubbed = [], []
    for dest, src, kind in kept:
        if not dest.replace("\\", "/").startswith(_CUDA_DIR):
            result.append((dest, src, kind))
        elif soname(src) in linked:
            result.append((dest, str(write_stub(src, workdir / dest)), kind))
            stubbed.append(dest)
        else:
            dropped.append(dest)
    return result, stubbed, dropped
