"""Scale-out benchmark: the same generated talk processed by 1 and by 2 `manage.py worker` processes
on PostgreSQL and the Redis broker (throwaway servers started here, like scripts/test.sh does).

    .venv/bin/python bench/scale.py [--minutes 10] [--model base] [--workers 1 2]

Per run it prints the wall time from upload to reviewable clips, the CPU seconds its workers used,
and for the transcription and render stages: the share of that time both workers were running a
task, and the workers' CPU use as a share of all cores. Then it projects the wall time for 4 and 8
machines (2 workers each, one per core) by scheduling the per-task times measured in the 2-worker
run (the serial stages as measured, each fanned-out stage's parts on the free workers in order);
the projection ignores contention on the shared database, broker and media storage.
Target on 2 cores: both workers busy >= 80 % of the transcription and render time.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_DIR))
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
FANNED = ("transcribe", "render")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--model", default="base")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--save", type=Path, help="write every run's task timeline and CPU samples here (JSON)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: one run, JSON out
    parser.add_argument("--talk", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_run(args.one, args.talk, args.model)))
        return
    folder = Path(tempfile.mkdtemp(prefix="cliper-scale-"))
    talk = make_talk(folder, args.minutes)
    cores = len(os.sched_getaffinity(0))
    results = {}
    with servers(folder) as (database_url, redis_url):
        for count in args.workers:
            env = {**os.environ, "DATABASE_URL": f"{database_url}_{count}", "REDIS_URL": redis_url}
            create_database(database_url, count)
            out = subprocess.run(
                [sys.executable, __file__, "--one", str(count), "--talk", str(talk), "--model", args.model],
                env=env, cwd=REPO_DIR, capture_output=True, text=True,
            )  # fmt: skip
            if out.returncode != 0:
                sys.exit(f"run with {count} worker(s) failed:\n{out.stderr[-4000:]}")
            results[count] = json.loads(out.stdout.strip().splitlines()[-1])
            report(count, results[count], cores)
    if 2 in results:
        project(results[2])
    if args.save:
        args.save.write_text(json.dumps(results))
    shutil.rmtree(folder, ignore_errors=True)


def make_talk(folder: Path, minutes: float) -> Path:
    from pipeline import sample

    talk = folder / "talk.mp4"
    repeats = max(1, round(minutes * 60 / 150.0))  # the sample script is about 2.5 minutes
    started = time.perf_counter()
    sample.make_sample_talk(talk, text="\n\n".join([sample.TALK_EN] * repeats))
    print(f"generated a {minutes:.0f}-minute talk in {time.perf_counter() - started:.0f} s", flush=True)
    return talk


class servers:
    """A throwaway PostgreSQL (as the postgres user when root) and Redis on free ports."""

    def __init__(self, folder: Path):
        self.folder = folder

    def __enter__(self):
        pg_bin = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
        self.data = self.folder / "pg"
        self.as_pg = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        if os.getuid() == 0:
            shutil.chown(self.folder, "postgres")
        self.pg_ctl = [*self.as_pg, str(pg_bin / "pg_ctl"), "-D", str(self.data)]
        pg_port, redis_port = free_port(), free_port()
        subprocess.run([*self.as_pg, str(pg_bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                        "--auth=trust", "-E", "UTF8"], check=True, capture_output=True)  # fmt: skip
        subprocess.run([*self.pg_ctl, "-l", str(self.folder / "pg.log"), "-w", "-o",
                        f"-h 127.0.0.1 -p {pg_port} -k {self.folder} -c fsync=off", "start"],
                       check=True, capture_output=True)  # fmt: skip
        self.redis = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(redis_port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        return f"postgres://postgres@127.0.0.1:{pg_port}/cliper", f"redis://127.0.0.1:{redis_port}/0"

    def __exit__(self, *exc):
        self.redis.terminate()
        self.redis.wait(timeout=10)
        subprocess.run([*self.pg_ctl, "stop", "-m", "fast"], capture_output=True)
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def create_database(database_url: str, count: int) -> None:
    import psycopg

    with psycopg.connect(database_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE cliper_{count}")


# --- one run (a child process with its own Django settings) ---------------------------------


def one_run(count: int, talk: Path, model: str) -> dict:
    folder = Path(tempfile.mkdtemp(prefix=f"cliper-scale-{count}-"))
    cores = len(os.sched_getaffinity(0))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="cliper_site.settings",
        CLIPER_DATA_DIR=str(folder / "var"),
        CLIPER_MEDIA_ROOT=str(folder / "media"),
        CLIPER_WORKERS="1",
        CLIPER_WHISPER_THREADS=str(max(1, cores // count)),  # the cores shared out, not oversubscribed
        CLIPER_QUEUE_POLL="0.2",
        CLIPER_ALLOW_PRIVATE_URLS="1",
    )
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.files import File
    from django.core.management import call_command

    from clips import services
    from clips.models import Video

    call_command("migrate", verbosity=0)
    owner = get_user_model().objects.create_superuser("bench", password="bench-password")
    workers = [
        subprocess.Popen(
            [sys.executable, "manage.py", "worker"],
            cwd=REPO_DIR,
            start_new_session=True,
            stdout=open(folder / f"worker{n}.log", "wb"),
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        for n in range(count)
    ]
    # the clock starts once every cluster runs (a worker imports the pipeline's libraries first)
    deadline = time.time() + 120
    while time.time() < deadline and not all(
        b"running." in (folder / f"worker{n}.log").read_bytes() for n in range(count)
    ):
        time.sleep(0.5)
    sampler = Sampler([w.pid for w in workers])
    started = time.time()
    with open(talk, "rb") as f:
        video = services.video_create(
            owner=owner, source=Video.Source.UPLOAD, upload=File(f, name="talk.mp4"), whisper_model=model
        )
    while Video.objects.get(pk=video.pk).status not in ("ready", "failed"):
        sampler.sample()
        time.sleep(0.25)
    wall_s = time.time() - started
    sampler.sample()
    for w in workers:
        os.killpg(w.pid, 15)
    for w in workers:
        try:
            w.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(w.pid, 9)
    video.refresh_from_db()
    if video.status != "ready":
        raise SystemExit(f"the video failed: {[(r.stage, r.message) for r in video.stage_runs.all()]}")
    shutil.rmtree(folder, ignore_errors=True)
    return {
        "wall_s": wall_s,
        "cpu_s": sampler.cpu_s(),
        "media_s": video.duration_s,
        "clips": video.clips.count(),
        "tasks": tasks_of(video, sampler),
        "cpu_samples": sampler.samples,
        "machine_samples": sampler.machine,
        "windows": {r.stage: (r.started_at.timestamp(), r.finished_at.timestamp()) for r in video.stage_runs.all()},
    }


class Sampler:
    """Which processes belong to which worker cluster, and the CPU time they used, from /proc."""

    def __init__(self, groups: list[int]):
        self.groups = groups
        self.cluster_of: dict[int, int] = {}
        self.cpu: dict[int, float] = {}
        self.samples: list[tuple[float, float]] = []  # (time, CPU seconds of all workers so far)
        self.machine: list[tuple[float, float]] = []  # (time, busy CPU seconds of the whole machine so far)

    def sample(self):
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            pgrp = int(fields[2])
            if pgrp in self.groups:
                pid = int(entry.name)
                self.cluster_of[pid] = self.groups.index(pgrp)
                self.cpu[pid] = max(self.cpu.get(pid, 0.0), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS)
        now = time.time()
        self.samples.append((now, self.cpu_s()))
        self.machine.append((now, machine_busy_s()))

    def cpu_s(self) -> float:
        return sum(self.cpu.values())


def machine_busy_s() -> float:
    """CPU seconds all cores spent not idle since boot (/proc/stat): catches the short-lived
    ffmpeg/ffprobe children whose time the per-process samples miss."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / CLOCK_TICKS


def tasks_of(video, sampler: Sampler) -> list[dict]:
    """Every task the workers ran for the video: stage, part index, worker cluster, start, end."""
    from clips.models import StagePart

    tasks = []
    for run in video.stage_runs.all():
        parts = list(StagePart.objects.filter(run=run))
        end = min(p.queued_at for p in parts) if parts else run.finished_at  # a fanned stage plans, then waits
        tasks.append(task(run.stage, None, run.worker, run.started_at, end, sampler))
        tasks += [task(run.stage, p.index, p.worker, p.started_at, p.finished_at, sampler) for p in parts]
    return tasks


def task(stage, index, worker, start, end, sampler):
    pid = int(worker.rsplit(":", 1)[1]) if ":" in worker else -1
    return {"stage": stage, "part": index, "cluster": sampler.cluster_of.get(pid, -1),
            "start": start.timestamp(), "end": end.timestamp()}  # fmt: skip


# --- figures ---------------------------------------------------------------------------------


def report(count: int, result: dict, cores: int) -> None:
    window = [result["windows"][stage] for stage in FANNED]
    window_s = sum(b - a for a, b in window)
    busy = [merge([(t["start"], t["end"]) for t in result["tasks"] if t["cluster"] == n]) for n in range(count)]
    all_busy = busy[0]
    for other in busy[1:]:
        all_busy = intersect(all_busy, other)
    both_s = sum(length(intersect(all_busy, [w])) for w in window)
    cpu_in_window = sum(cpu_between(result["cpu_samples"], a, b) for a, b in window)
    machine_in_window = sum(cpu_between(result["machine_samples"], a, b) for a, b in window)
    label = "all workers busy" if count > 1 else "worker busy"
    print(
        f"{count} worker(s): wall {result['wall_s']:.0f} s (RTF {result['wall_s'] / result['media_s']:.3f}), "
        f"CPU {result['cpu_s']:.0f} s, {result['clips']} clips; transcription + render {window_s:.0f} s: "
        f"{label} {100 * both_s / window_s:.0f} % of it, worker CPU {100 * cpu_in_window / (window_s * cores):.0f} % "
        f"of {cores} cores (machine busy {100 * machine_in_window / (window_s * cores):.0f} %)",
        flush=True,
    )
    for stage in ("ingest", "transcribe", "clips", "copy", "render"):
        a, b = result["windows"][stage]
        print(f"    {stage:<11}{b - a:7.1f} s")


def project(result: dict) -> None:
    """Wall time with 2, 4 and 8 machines of 2 workers from the 2-worker run's task times."""
    tasks = result["tasks"]
    for machines in (1, 4, 8):
        workers = 2 * machines
        total = 0.0
        for stage in ("ingest", "transcribe", "clips", "copy", "render"):
            whole = [t for t in tasks if t["stage"] == stage and t["part"] is None]
            total += sum(t["end"] - t["start"] for t in whole)
            parts = sorted((t for t in tasks if t["stage"] == stage and t["part"] is not None), key=lambda t: t["part"])
            free = [0.0] * workers
            for t in parts:  # the queue hands the next part to the first free worker
                free[free.index(min(free))] += t["end"] - t["start"]
            total += max(free) if parts else 0.0
        label = "measured layout" if machines == 1 else f"{machines} machines"
        print(f"projected {label:>15} ({workers:2d} workers): {total:5.0f} s (RTF {total / result['media_s']:.3f})")


def merge(spans):
    merged = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return merged


def intersect(xs, ys):
    out = []
    for a, b in xs:
        for c, d in ys:
            if min(b, d) > max(a, c):
                out.append([max(a, c), min(b, d)])
    return out


def length(spans) -> float:
    return sum(b - a for a, b in spans)


def cpu_between(samples, a: float, b: float) -> float:
    """CPU seconds the workers used between times a and b (from the sampled totals)."""

    def at(t):
        before = [cpu for when, cpu in samples if when <= t]
        return before[-1] if before else 0.0

    return at(b) - at(a)


if __name__ == "__main__":
    main()
