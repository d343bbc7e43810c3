"""Load benchmark: N logged-in reviewers use the review pages while the worker transcribes.

Starts the real app (`manage.py serve`: gunicorn + the niced queue worker) against a fresh data
directory, adds the offline sample talk so the worker is busy transcribing, then runs N reviewer
threads for D seconds. Each reviewer polls the progress partial every 2 s (as the video page does)
and, between polls, browses the clips page, opens the caption editor, or saves a caption (reading
the version first, as the page does). Prints p50 / p95 / max latency per request kind, errors, and
the worker's progress during the run.

    .venv/bin/python bench/load.py [--users 20] [--seconds 60] [--web-workers 3] [--keep]

Target: p95 <= 250 ms and 0 errors on 2 cores. Only the standard library on the client side.
"""

import argparse
import http.cookiejar
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
PASSWORD = "bench-pass-123"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(env, *args, check=True, capture=False):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO_DIR, env=env, check=check, capture_output=capture, text=True
    )


SEED = r"""
import sys
from pathlib import Path
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files import File
from clips import services
from clips.models import Clip, Copy, StageRun, Transcript, Video
from pipeline.sample import make_sample_talk

users, password, sample = int(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
User = get_user_model()
groups = [Group.objects.get(name="Editor"), Group.objects.get(name="Approver")]
for i in range(users):
    user = User.objects.create_user(f"reviewer{i}", password=password)
    user.groups.add(*groups)
owner = User.objects.get(username="reviewer0")
# A reviewed-looking video with 8 clips and their copy (what reviewers browse and edit).
video = Video.objects.create(owner=owner, title="Browsed talk", source="url", source_url="http://127.0.0.1:9/x",
                             duration_s=600, status=Video.Status.READY, detected_language="en")
words = [{"text": f"word{i}", "start": i * 0.5, "end": i * 0.5 + 0.4} for i in range(1200)]
Transcript.objects.create(video=video, language="en", model_name="base", duration_s=600, words=words,
                          topics=[{"start": s, "end": s + 120, "title": f"Topic {s // 120 + 1}"} for s in range(0, 600, 120)])
for stage in ("ingest", "transcribe", "clips", "copy", "render"):
    StageRun.objects.create(video=video, stage=stage, state="done", progress=1)
for i in range(8):
    clip = Clip.objects.create(video=video, index=i, start_s=i * 60, end_s=i * 60 + 45, score=0.5 + i / 20,
                               text=" ".join(w["text"] for w in words[i * 120:i * 120 + 90]), reason="Stands alone")
    Copy.objects.create(clip=clip, style="educational", text=f"Caption {i}", hashtags=["#bench", f"#clip{i}"],
                        engagement_score=7, viral_potential=6, provider="local")
# The video the worker transcribes during the run.
if not sample.exists():
    make_sample_talk(sample)
with sample.open("rb") as f:
    busy = services.video_create(owner=owner, source="upload", upload=File(f, name="sample-talk.mp4"),
                                 title="Transcribed during the benchmark", language="en")
print(video.pk, busy.pk, ",".join(str(pk) for pk in video.clips.values_list("pk", flat=True)))
"""


class Reviewer:
    def __init__(self, base: str, username: str, video_id: int, busy_id: int, clip_ids: list[int], record):
        self.base, self.username, self.video_id, self.busy_id, self.clip_ids = (
            base,
            username,
            video_id,
            busy_id,
            clip_ids,
        )
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.record = record

    def csrf(self) -> str:
        return next((c.value for c in self.jar if c.name == "csrftoken"), "")

    def request(self, kind: str, path: str, data: dict | None = None, htmx: bool = False, record=True) -> str:
        headers = {"HX-Request": "true"} if htmx else {}
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data, doseq=True).encode()
            headers["X-CSRFToken"] = self.csrf()
            headers["Referer"] = self.base + "/"
        req = urllib.request.Request(self.base + path, data=body, headers=headers)
        start = time.perf_counter()
        try:
            with self.opener.open(req, timeout=30) as response:
                text = response.read().decode()
                # A lost session shows as a redirect to the login page: that is an error too.
                ok = 200 <= response.status < 400 and (kind == "login" or "/accounts/login/" not in response.url)
        except (urllib.error.URLError, OSError) as exc:
            text, ok = str(exc), False
        elapsed_ms = (time.perf_counter() - start) * 1000
        if record:
            self.record(kind, elapsed_ms, ok, text if not ok else "")
        return text

    def login(self, attempts: int = 3) -> bool:
        """Logs in (retrying: slow password hashing on a busy machine can time out)."""
        for _ in range(attempts):
            self.request("login", "/accounts/login/", record=False)
            self.request(
                "login",
                "/accounts/login/",
                {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": self.csrf()},
                record=False,
            )
            if any(c.name == "sessionid" for c in self.jar):
                return True
        return False

    def save_caption(self):
        clip_id = random.choice(self.clip_ids)
        form = self.request("copy_edit", f"/clips/{clip_id}/copy/edit", htmx=True)
        match = re.search(r'name="version" value="(\d+)"', form)
        version = match.group(1) if match else "1"
        text = f"Caption edited by {self.username} at {time.time():.3f}"
        self.request(
            "copy_save",
            f"/clips/{clip_id}/copy/save",
            {"text": text, "hashtags": "#bench", "version": version},
            htmx=True,
        )

    def run(self, stop_at: float):
        next_poll = time.monotonic() + random.random() * 2
        while time.monotonic() < stop_at:
            now = time.monotonic()
            if now >= next_poll:
                self.request("progress", f"/videos/{self.busy_id}/progress?was=active", htmx=True)
                next_poll = now + 2.0
                continue
            action = random.random()
            if action < 0.45:
                self.request("clips_page", f"/videos/{self.video_id}/clips/")
            elif action < 0.6:
                self.request("clips_filter", f"/videos/{self.video_id}/clips/?sort=score&min_score=60", htmx=True)
            elif action < 0.75:
                self.request("video_page", f"/videos/{self.busy_id}/")
            else:
                self.save_caption()
            time.sleep(random.uniform(0.8, 1.6))  # a person reads before the next click


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--web-workers", type=int, default=3)
    parser.add_argument(
        "--sample",
        type=Path,
        default=Path(tempfile.gettempdir()) / "cliper-bench-sample.mp4",
        help="Sample talk MP4, made once and reused",
    )
    parser.add_argument("--keep", action="store_true", help="Keep the temporary data directory")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="cliper-load-"))
    port = free_port()
    env = {
        **os.environ,
        "CLIPER_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "cliper_site.settings",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DATABASE_URL", None)
    server = None
    try:
        manage(env, "migrate", "-v0")
        manage(env, "collectstatic", "--noinput", "-v0")
        seeded = manage(
            env,
            "shell",
            "-c",
            SEED.replace("sys.argv[1]", str(args.users))
            .replace("sys.argv[2]", repr(PASSWORD))
            .replace("sys.argv[3]", repr(str(args.sample))),
            capture=True,
        )
        video_id, busy_id, clip_ids = seeded.stdout.strip().splitlines()[-1].split()
        clip_ids = [int(pk) for pk in clip_ids.split(",")]
        server = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "serve",
                "--bind",
                f"127.0.0.1:{port}",
                "--web-workers",
                str(args.web_workers),
            ],
            cwd=REPO_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(data_dir / "serve.log", "w"),
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.3)

        def stage_state() -> str:
            """The busy video's running stage and progress, read straight from SQLite (cheap)."""
            with sqlite3.connect(data_dir / "db.sqlite3", timeout=30) as db:
                row = db.execute(
                    "SELECT stage, progress FROM clips_stagerun WHERE video_id = ? AND state = 'running'",
                    (int(busy_id),),
                ).fetchone()
            return f"{row[0]} {row[1]:.2f}" if row else "none"

        # Measure while the worker is transcribing, as a team would see it.
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and not re.match(r"transcribe 0\.0[1-9]|transcribe 0\.[1-9]", stage_state()):
            time.sleep(1)  # until the worker is past loading the model and really transcribing
        worker_before = stage_state()

        latencies, errors, lock = defaultdict(list), [], threading.Lock()

        def record(kind, elapsed_ms, ok, detail):
            with lock:
                latencies[kind].append(elapsed_ms)
                if not ok:
                    errors.append((kind, detail[:200]))

        reviewers = [
            Reviewer(base, f"reviewer{i}", int(video_id), int(busy_id), clip_ids, record) for i in range(args.users)
        ]
        # Everyone logs in first (password hashing is deliberately slow): the run measures
        # reviewers who are already logged in, as the target says.
        with ThreadPoolExecutor(max_workers=4) as pool:
            logged_in = sum(pool.map(Reviewer.login, reviewers))
        if logged_in < len(reviewers):
            print(f"only {logged_in} of {len(reviewers)} reviewers could log in")
        stop_at = time.monotonic() + args.seconds
        threads = [threading.Thread(target=r.run, args=(stop_at,)) for r in reviewers]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall_s = time.monotonic() - started
        worker_after = stage_state()

        everything = [v for values in latencies.values() for v in values]
        print(
            f"{args.users} reviewers, {args.seconds:.0f} s, gunicorn {args.web_workers} workers x 4 threads, "
            f"SQLite, {os.cpu_count()} CPUs, load average before: {os.getloadavg()[0]:.1f}"
        )
        print(f"worker: {worker_before} -> {worker_after} (stage progress while measured)")
        print(f"{'kind':<14}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
        for kind in sorted(latencies):
            values = latencies[kind]
            print(
                f"{kind:<14}{len(values):>7}{statistics.median(values):>9.0f}{percentile(values, 0.95):>9.0f}"
                f"{max(values):>9.0f}"
            )
        print(
            f"{'all':<14}{len(everything):>7}{statistics.median(everything):>9.0f}"
            f"{percentile(everything, 0.95):>9.0f}{max(everything):>9.0f}"
        )
        print(f"throughput {len(everything) / wall_s:.1f} req/s; errors {len(errors)}")
        for kind, detail in errors[:10]:
            print(f"  error {kind}: {detail}")
        p95 = percentile(everything, 0.95)
        print(f"target p95 <= 250 ms and 0 errors: {'met' if p95 <= 250 and not errors else 'NOT met'}")
    finally:
        if server is not None:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGINT)  # serve stops gunicorn and the worker
                try:
                    server.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    pass
            try:  # whatever of its process group is still there (a slow gunicorn worker, qcluster)
                os.killpg(server.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if args.keep:
            print(f"data kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
