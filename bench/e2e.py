"""End-to-end benchmark: a generated talk through every stage until every clip is reviewable,
with browser previews (the render stage analyses faces and writes posters) and, in the same run
on the same machine, with server-rendered previews (CLIPER_SERVER_PREVIEWS, an encode per clip).

    .venv/bin/python bench/e2e.py [--minutes 10] [--model base] [--workdir DIR]

Prints wall and CPU seconds per stage (CPU: this process and its ffmpeg children), when the
first and the last clip became reviewable counted from the start of ingest, and the same
extrapolated to a one-hour talk with the measured per-stage rates (every stage, and the number
of clips, grows with the talk's length; the first clip costs what it cost here).
Targets on 2 cores, 1 h talk: first clip reviewable <= 6 min, all <= 10 min.
"""

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline import render, sample, schemas, stages  # noqa: E402

HOUR_S = 3600.0


def cpu_s() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_stage(stage, workdir: Path, options) -> tuple[object, float, float]:
    wall, cpu = time.perf_counter(), cpu_s()
    output = stage.run(workdir, options, lambda fraction, message="": None)
    return output, time.perf_counter() - wall, cpu_s() - cpu


def render_stage(workdir: Path, options) -> dict:
    """The render stage, with the moment each clip became reviewable (prepare_preview returned)."""
    ready_s = []
    original = render.prepare_preview
    started = time.perf_counter()

    def timed(*args, **kwargs):
        result = original(*args, **kwargs)
        ready_s.append(time.perf_counter() - started)
        return result

    render.prepare_preview = timed
    try:
        _, wall, cpu = run_stage(stages.get_stage("render"), workdir, options)
    finally:
        render.prepare_preview = original
    return {"wall": wall, "cpu": cpu, "first": min(ready_s), "last": max(ready_s)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--model", default="base")
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="cliper-e2e-"))
    workdir.mkdir(parents=True, exist_ok=True)

    source = workdir.parent / f"{workdir.name}-talk.mp4"
    if not source.exists():
        talk_s = 150.0  # the default sample script is about 2.5 minutes
        repeats = max(1, round(args.minutes * 60 / talk_s))
        started = time.perf_counter()
        sample.make_sample_talk(source, text="\n\n".join([sample.TALK_EN] * repeats))
        print(f"generated a talk in {time.perf_counter() - started:.1f} s: {source}")

    options = schemas.PipelineOptions(source=str(source), whisper_model=args.model)
    media_s = None
    before_render = {}  # stage -> (wall, cpu)
    print(f"{'stage':<22}{'wall s':>9}{'CPU s':>9}{'RTF':>8}")
    for stage in stages.STAGES:
        if stage.name == "render":
            continue
        output, wall, cpu = run_stage(stage, workdir, options)
        if stage.name == "ingest":
            media_s = output.duration
        before_render[stage.name] = (wall, cpu)
        print(f"{stage.name:<22}{wall:>9.1f}{cpu:>9.1f}{wall / media_s:>8.3f}", flush=True)
    clips = stages.get_stage("clips").load_output(workdir).clips
    clip_s = sum(c.end - c.start for c in clips)

    # The same work directory twice: server-rendered previews, then browser previews.
    server_dir = workdir.parent / f"{workdir.name}-server"
    shutil.rmtree(server_dir, ignore_errors=True)
    shutil.copytree(workdir, server_dir, ignore=shutil.ignore_patterns("renders", "renders.json"))
    modes = {}
    for name, folder, server in (("server previews", server_dir, True), ("browser previews", workdir, False)):
        shutil.rmtree(folder / "renders", ignore_errors=True)
        modes[name] = render_stage(folder, options.model_copy(update={"server_previews": server}))
        m = modes[name]
        print(f"{'render: ' + name:<22}{m['wall']:>9.1f}{m['cpu']:>9.1f}{m['wall'] / media_s:>8.3f}", flush=True)

    upstream_wall = sum(wall for wall, _ in before_render.values())
    upstream_cpu = sum(cpu for _, cpu in before_render.values())
    scale = HOUR_S / media_s
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"\nmedia {media_s / 60:.1f} min, {len(clips)} clips ({clip_s / 60:.1f} min of clips), "
        f"peak RSS {peak_mb:.0f} MB; minutes from the start of ingest:"
    )
    print(f"{'':<18}{'first clip':>11}{'all clips':>11}{'CPU min':>9}  |  1 h talk:{'first':>7}{'all':>7}{'CPU':>7}")
    for name, m in modes.items():
        first, last = upstream_wall + m["first"], upstream_wall + m["last"]
        cpu = upstream_cpu + m["cpu"]
        # one hour: every stage x scale (more speech, more clips); the first clip costs the same
        hour_first = upstream_wall * scale + m["first"]
        hour_all = (upstream_wall + m["last"]) * scale
        print(
            f"{name:<18}{first / 60:>11.2f}{last / 60:>11.2f}{cpu / 60:>9.2f}  |  {'':>9}"
            f"{hour_first / 60:>7.1f}{hour_all / 60:>7.1f}{cpu * scale / 60:>7.1f}"
        )
    print("targets for 1 h on 2 cores: first clip <= 6 min, all <= 10 min")


if __name__ == "__main__":
    main()
