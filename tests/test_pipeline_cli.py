"""`python -m pipeline run`: every stage without Django, resumable."""

import json
import subprocess
import sys

import pytest

from .conftest import REPO_DIR
from .pipeline_support import short_talk

pytestmark = pytest.mark.slow


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *map(str, args)], cwd=REPO_DIR, capture_output=True, text=True, timeout=600
    )


def test_run_writes_every_stage_output_and_resumes(tmp_path):
    talk = short_talk(tmp_path, "my talk 'quoted' ñ.mp4")
    out = tmp_path / "out dir"
    result = run_cli("run", talk, "-o", out, "--model", "tiny.en", "--min", 8, "--max", 30)
    assert result.returncode == 0, result.stderr[-3000:]
    for name in ("media.json", "transcript.json", "clips.json", "copies.json", "renders.json"):
        assert (out / name).exists(), name
    clips = json.loads((out / "clips.json").read_text())["clips"]
    renders = json.loads((out / "renders.json").read_text())["renders"]
    assert len(clips) >= 1 and len(renders) == len(clips)
    assert all((out / r["video_file"]).stat().st_size > 10_000 for r in renders)
    assert "Transcribe" in result.stderr  # tqdm progress bars, one per stage

    again = run_cli("run", talk, "-o", out, "--model", "tiny.en")
    assert again.returncode == 0
    assert again.stdout.count("done earlier, kept") == 5


def test_run_reports_bad_input_as_an_error_message(tmp_path):
    bogus = tmp_path / "bogus.mp4"
    bogus.write_text("not a video at all\n" * 10)
    result = run_cli("run", bogus, "-o", tmp_path / "out")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == "error: This is a text file, not a video (whatever its name says)."
    assert "Traceback" not in result.stderr
