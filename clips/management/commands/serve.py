import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Runs the web server (gunicorn) and the queue worker together until Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.getenv("CLIPER_BIND", "127.0.0.1:8000"))
        parser.add_argument("--web-workers", type=int, default=int(os.getenv("CLIPER_WEB_WORKERS", "3")))

    def handle(self, *args, bind, web_workers, **options):
        python = sys.executable
        web = subprocess.Popen(
            [
                python,
                "-m",
                "gunicorn",
                "cliper_site.wsgi",
                "--bind",
                bind,
                "--workers",
                str(web_workers),
                "--threads",
                "4",
                "--timeout",
                "300",
                "--access-logfile",
                "-",
            ],
        )
        # The worker runs at lower CPU priority so pages stay fast while it transcribes.
        worker = subprocess.Popen(["nice", "-n", "10", python, "manage.py", "worker"], cwd=settings.BASE_DIR)
        host, port = bind.rsplit(":", 1)
        self.stdout.write(self.style.SUCCESS(f"CLIPER is running at http://{host}:{port}/  (Ctrl-C stops it)"))
        children = [web, worker]
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.5)
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()  # qcluster sometimes ignores SIGTERM (django-q2 #346)
                child.wait()
        self.stdout.write("Stopped web server and worker.")
        return None
