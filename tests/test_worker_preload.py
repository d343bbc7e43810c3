"""The worker imports the pipeline's libraries before forking its task processes; one that cannot
be imported must not stop the worker (the task that needs it fails, with the reason)."""

import json
import subprocess
import sys

from .conftest import REPO_DIR

CHECK = (
    "import json, sys; from pipeline.preload import LIBRARIES, preload; failed = preload(); "
    "print(json.dumps({'failed': failed, 'loaded': [n for n in LIBRARIES if n in sys.modules]}))"
)


def test_preload_imports_the_libraries_and_survives_one_that_breaks(tmp_path):
    (tmp_path / "langgraph").mkdir()
    (tmp_path / "langgraph" / "__init__.py").write_text("raise RuntimeError('a broken install')\n")
    out = subprocess.run(
        [sys.executable, "-c", CHECK],
        cwd=REPO_DIR,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{tmp_path}:{REPO_DIR}"},
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["failed"] == ["langgraph.graph"]
    assert report["loaded"] == ["faster_whisper", "sentence_transformers", "mediapipe", "cv2"]
