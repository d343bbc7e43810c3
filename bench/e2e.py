"""End-to-end benchmark: a generated talk through every stage until every clip is reviewable,
with browser previews (the render stage analyses faces and writes posters) and, in the same run
on the same machine, with server-rendered previews (CLIPER_SERVER_PREVIEWS, an encode per clip).

    .venv/bin/python bench/e2e.py [--minutes 10] [--model base] [--workers N] [--workdir DIR]

The stages run the way `manage.py worker` runs them: on N worker processes (default: the
worker's own default, one per usable core, each with its share of the cores for Whisper), a
stage that fans out handing its parts (transcription chunks, clips) to whichever process is
free, in plan order. The processes are started and have imported the pipeline and loaded the
models before the clock starts, as a running worker has (the warm-up is printed on its own).

Prints wall and CPU seconds per stage (CPU: the worker processes and their ffmpeg children),
when the first and the last clip became reviewable counted from the start of ingest, and the
same extrapolated to a one-hour talk with the measured per-stage rates (every stage, and the
number of clips, grows with the talk's length; the first clip costs what it cost here).
Targets on 2 cores, 1 h talk: first clip reviewable <= 6 min, all <= 10 min.
"""

import argparse
import importlib
import os
import resource
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline import sample, schemas, stages  # noqa: E402
from pipeline.config import worker_processes, worker_threads  # noqa: E402

HOUR_S = 3600.0


def cpu_s() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


# --- in the worker processes ------------------------------------------------------------------


def warm_up(threads: int, model: str) -> None:
    """What a running worker already holds: the stage modules imported, Whisper and the sentence
    embedding model loaded, MediaPipe imported."""
    os.environ["CLIPER_WHISPER_THREADS"] = str(threads)
    for stage in stages.STAGES:
        importlib.import_module(stage.module)
    from pipeline import embeddings, transcribe

    transcribe.load_model(model)
    embeddings.load_model()
    import mediapipe  # noqa: F401


def whole_stage(name: str, workdir: Path, options: schemas.PipelineOptions) -> float:
    """A stage that runs as one task; its CPU seconds."""
    cpu = cpu_s()
    stages.get_stage(name).run(workdir, options, lambda fraction, message="": None)
    return cpu_s() - cpu


def plan_stage(name: str, workdir: Path, options: schemas.PipelineOptions) -> tuple[list[dict], float]:
    cpu = cpu_s()
    specs = stages.get_stage(name).plan(workdir, options, lambda fraction, message="": None)
    return specs, cpu_s() - cpu


def one_part(name: str, workdir: Path, options: schemas.PipelineOptions, spec: dict) -> tuple[dict, float, float]:
    """One part; its result as JSON, CPU seconds and the moment it finished."""
    cpu = cpu_s()
    result = stages.get_stage(name).run_part(workdir, options, spec, lambda fraction, message="": None)
    return result.model_dump(mode="json"), cpu_s() - cpu, time.time()


# --- the driver -------------------------------------------------------------------------------


def run_stage(pool, stage, workdir: Path, options) -> dict:
    """Runs one stage on the pool: wall, CPU, and for fanned-out stages when each part finished
    (seconds after the stage started)."""
    started = time.time()
    if not stage.fans_out:
        cpu = pool.submit(whole_stage, stage.name, workdir, options).result()
        return {"wall": time.time() - started, "cpu": cpu, "ready": []}
    specs, cpu = pool.submit(plan_stage, stage.name, workdir, options).result()
    futures = [pool.submit(one_part, stage.name, workdir, options, spec) for spec in specs]
    results, ready = [], []
    for future in as_completed(futures):
        result, part_cpu, finished = future.result()
        results.append(result)
        cpu += part_cpu
        ready.append(finished - started)
    stage.join(workdir, options, results)
    return {"wall": time.time() - started, "cpu": cpu, "ready": sorted(ready)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--model", default="base")
    parser.add_argument("--workers", type=int, default=0, help="worker processes (0: the worker's default)")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument(
        "--skip-server-previews", action="store_true", help="only the browser previews (for long talks: half the time)"
    )
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

    workers = args.workers or worker_processes()
    threads = worker_threads(workers)
    options = schemas.PipelineOptions(source=str(source), whisper_model=args.model)
    started = time.perf_counter()
    pool = ProcessPoolExecutor(
        workers, mp_context=get_context("spawn"), initializer=warm_up, initargs=(threads, args.model)
    )
    list(pool.map(time.sleep, [0.5] * workers))  # every process started and warm
    print(
        f"{workers} worker process(es), {threads} Whisper thread(s) each; warm-up {time.perf_counter() - started:.1f} s"
    )

    media_s = None
    before_render = {}  # stage -> (wall, cpu)
    print(f"{'stage':<26}{'wall s':>9}{'CPU s':>9}{'RTF':>8}")
    for stage in stages.STAGES:
        if stage.name == "render":
            continue
        measured = run_stage(pool, stage, workdir, options)
        if stage.name == "ingest":
            media_s = stages.get_stage("ingest").load_output(workdir).duration
        before_render[stage.name] = (measured["wall"], measured["cpu"])
        print(f"{stage.name:<26}{measured['wall']:>9.1f}{measured['cpu']:>9.1f}{measured['wall'] / media_s:>8.3f}")
    clips = stages.get_stage("clips").load_output(workdir).clips
    clip_s = sum(c.end - c.start for c in clips)

    # The same work directory twice: server-rendered previews, then browser previews.
    server_dir = workdir.parent / f"{workdir.name}-server"
    shutil.rmtree(server_dir, ignore_errors=True)
    if not args.skip_server_previews:
        shutil.copytree(workdir, server_dir, ignore=shutil.ignore_patterns("renders", "renders.json"))
    modes = {}
    render = stages.get_stage("render")
    runs = (("server previews", server_dir, True), ("browser previews", workdir, False))
    for name, folder, server in runs[1:] if args.skip_server_previews else runs:
        shutil.rmtree(folder / "renders", ignore_errors=True)
        modes[name] = m = run_stage(pool, render, folder, options.model_copy(update={"server_previews": server}))
        print(f"{'render: ' + name:<26}{m['wall']:>9.1f}{m['cpu']:>9.1f}{m['wall'] / media_s:>8.3f}")
    pool.shutdown()

    upstream_wall = sum(wall for wall, _ in before_render.values())
    upstream_cpu = sum(cpu for _, cpu in before_render.values())
    scale = HOUR_S / media_s
    print(
        f"\nmedia {media_s / 60:.1f} min, {len(clips)} clips ({clip_s / 60:.1f} min of clips); minutes from the start of ingest:"
    )
    print(f"{'':<18}{'first clip':>11}{'all clips':>11}{'CPU min':>9}  |  1 h talk:{'first':>7}{'all':>7}{'CPU':>7}")
    for name, m in modes.items():
        first, last = upstream_wall + m["ready"][0], upstream_wall + m["ready"][-1]
        cpu = upstream_cpu + m["cpu"]
        # one hour: every stage x scale (more speech, more clips); the first clip costs the same
        hour_first = upstream_wall * scale + m["ready"][0]
        hour_all = (upstream_wall + m["ready"][-1]) * scale
        print(
            f"{name:<18}{first / 60:>11.2f}{last / 60:>11.2f}{cpu / 60:>9.2f}  |  {'':>9}"
            f"{hour_first / 60:>7.1f}{hour_all / 60:>7.1f}{cpu * scale / 60:>7.1f}"
        )
    print("targets for 1 h on 2 cores: first clip <= 6 min, all <= 10 min")


if __name__ == "__main__":
    main()
