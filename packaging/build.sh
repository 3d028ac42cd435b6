#!/usr/bin/env bash
# Build the SSL Studio desktop bundle (one folder) with PyInstaller, then smoke-test it.
#
#   packaging/build.sh [--cpu-only] [--no-build] [OUT_DIR]
#
# OUT_DIR (default: packaging/) receives build/ (PyInstaller's work files) and dist/ (the
# bundle: dist/ssl-studio/ssl-studio, or dist/ssl-studio-cpu/ssl-studio with --cpu-only;
# once its smoke test passed, its archive NAME-VERSION-OS-ARCH.tar.gz and SHA256SUMS).
# --no-build only smoke-tests (and archives) a bundle built before. PYTHON picks the
# interpreter (default: the repository's .venv, else python3); it needs the app and
# PyInstaller installed.
# Heavy (torch): run it by hand, e.g. `nice -n 10 packaging/build.sh`. See packaging/README.md.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
CPU_ONLY=0
BUILD=1
OUT="$HERE"
for arg in "$@"; do
    case "$arg" in
        --cpu-only) CPU_ONLY=1 ;;
        --no-build) BUILD=0 ;;
        -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "build.sh: unknown option $arg" >&2; exit 2 ;;
        *) OUT="$(mkdir -p "$arg" && cd "$arg" && pwd)" ;;
    esac
done

if [[ -z "${PYTHON:-}" ]]; then
    if [[ -x "$ROOT/.venv/bin/python" ]]; then PYTHON="$ROOT/.venv/bin/python"; else PYTHON=python3; fi
fi
if ! "$PYTHON" -c "import PyInstaller, ssl_studio" 2>/dev/null; then
    echo "build.sh: $PYTHON lacks PyInstaller or ssl_studio; install them with" >&2
    echo "  $PYTHON -m pip install -e '$ROOT' -r '$HERE/requirements.txt'" >&2
    exit 1
fi
# the versions requirements.txt pins (ssl_studio.spec works around their hooks' gaps)
"$PYTHON" - "$HERE/requirements.txt" <<'EOF_PINS' || true
import sys
from importlib.metadata import PackageNotFoundError, version

for line in open(sys.argv[1]):
    name, _, pinned = line.split("#")[0].strip().partition("==")
    if not pinned:
        continue
    try:
        found = version(name)
    except PackageNotFoundError:
        found = "none"
    if found != pinned:
        print(f"build.sh: warning: {name} {found} is installed, requirements.txt pins "
              f"{pinned}; the spec was made for {pinned}", file=sys.stderr)
EOF_PINS

if [[ $CPU_ONLY == 1 ]]; then NAME=ssl-studio-cpu; SPEC_ARGS=(-- --cpu-only); else NAME=ssl-studio; SPEC_ARGS=(); fi
BUNDLE="$OUT/dist/$NAME"
EXE="$BUNDLE/ssl-studio"

if [[ $BUILD == 1 ]]; then
    echo "== Building $BUNDLE with $("$PYTHON" -m PyInstaller --version) ($PYTHON)"
    start=$SECONDS
    (cd "$ROOT" && "$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
        --distpath "$OUT/dist" --workpath "$OUT/build/$NAME" \
        "$HERE/ssl_studio.spec" "${SPEC_ARGS[@]}")
    BUILD_SECONDS=$((SECONDS - start))
    echo "== Built in $((BUILD_SECONDS / 60)) min $((BUILD_SECONDS % 60)) s"
fi
[[ -x "$EXE" ]] || { echo "build.sh: no bundle at $EXE" >&2; exit 1; }

# ---- smoke test ---------------------------------------------------------------------------
export QT_QPA_PLATFORM=offscreen
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"  # nothing may come from the source checkout
run() {  # run the bundle, fail with its output if it fails
    if ! "$EXE" "$@" >"$WORK/out.txt" 2>&1; then
        cat "$WORK/out.txt"
        echo "build.sh: FAILED: ssl-studio $*" >&2
        exit 1
    fi
}
expect() {  # the last output holds the text
    grep -qF -- "$1" "$WORK/out.txt" || { cat "$WORK/out.txt"; echo "build.sh: FAILED: expected '$1'" >&2; exit 1; }
}
json() {  # evaluate a Python expression on the last output parsed as JSON (d)
    "$PYTHON" -c "import json, sys; d = json.load(open(sys.argv[1])); sys.exit(0 if ($1) else 1)" \
        "$WORK/out.txt" || { cat "$WORK/out.txt"; echo "build.sh: FAILED: $1" >&2; exit 1; }
}
smoke_start=$SECONDS

echo "== Smoke test of $EXE"
run --version && expect "ssl-studio "
VERSION="$(cat "$WORK/out.txt")"
run --help && expect "pretrain" && expect "gui"
echo "   command line: ok ($VERSION)"

run --bundle-check
sed 's/^/   /' "$WORK/out.txt"

run gui --smoke-test && expect "the main window opened and closed cleanly"
echo "   GUI: $(tail -n 1 "$WORK/out.txt")"

# The demo's resources, the import's worker processes, training, fine-tuning and the three
# export formats (TorchScript, ONNX via onnxscript and onnxruntime, safetensors).
run demo --no-gui "$WORK/demo"
run info "$WORK/demo" --json
json 'd["totals"]["items"] > 0 and d["totals"]["errors"] == 0'
run pretrain "$WORK/demo" --dataset chest-xray --steps 3 --batch-size 16 --device cpu
run labels "$WORK/demo" --dataset chest-xray --from-folders --name labels
run finetune "$WORK/demo" --run 1 --protocol linear --no-baseline --device cpu
expect "accuracy"
run export "$WORK/demo" --run 2 --out "$WORK/model"
expect "Parity: the TorchScript and ONNX programs gave"
run predict "$WORK/model" "$ROOT/resources/demo/chest-xray/normal" --out "$WORK/predictions.csv"
expect " predictions, 0 files with errors"
echo "   demo workflow (import, pretrain, fine-tune, export, predict): ok"

# Compressed DICOM decoded through pylibjpeg (JPEG 12-bit and JPEG-LS only decode with it).
TEST_FILES="$("$PYTHON" -c 'import pathlib, pydicom; print(pathlib.Path(pydicom.__file__).parent / "data" / "test_files")')"
mkdir "$WORK/dicom"
for f in CT_small.dcm JPGExtended.dcm SC_rgb_jpeg_dcmtk.dcm MR_small_jpeg_ls_lossless.dcm \
         MR_small_jp2klossless.dcm JPEG2000.dcm MR_small_RLE.dcm; do
    cp "$TEST_FILES/$f" "$WORK/dicom/"
done
run new "$WORK/dicom-project"
run import "$WORK/dicom-project" "$WORK/dicom" --name dicom --workers 2
run info "$WORK/dicom-project" --json
json 'd["totals"]["items"] == 7 and d["totals"]["errors"] == 0'
echo "   DICOM import (uncompressed, JPEG, JPEG-LS, JPEG 2000, RLE): ok"
echo "== Smoke test passed in $((SECONDS - smoke_start)) s"

# Only a bundle that passed: an archive to ship, and its SHA-256 in SHA256SUMS (one line per
# archive of this version in dist/, both variants when both were built there; archives of
# earlier versions left there are not listed), for `sha256sum -c` on arrival.
ARCHIVE="$NAME-${VERSION##* }-$(uname -s | tr '[:upper:]' '[:lower:]')-$(uname -m).tar.gz"
echo "== Archive $OUT/dist/$ARCHIVE"
tar -C "$OUT/dist" -czf "$OUT/dist/$ARCHIVE.part" "$NAME"
mv "$OUT/dist/$ARCHIVE.part" "$OUT/dist/$ARCHIVE"
if command -v sha256sum >/dev/null; then SHA256=(sha256sum); else SHA256=(shasum -a 256); fi
(cd "$OUT/dist" && "${SHA256[@]}" -- *-"${VERSION##* }"-*.tar.gz >SHA256SUMS.part && mv SHA256SUMS.part SHA256SUMS)
sed 's/^/   /' "$OUT/dist/SHA256SUMS"

echo "== Bundle size"
du -sh "$BUNDLE" "$OUT/dist/$ARCHIVE"
if [[ -n "${BUILD_SECONDS:-}" ]]; then echo "== Build time: $((BUILD_SECONDS / 60)) min $((BUILD_SECONDS % 60)) s"; fi
