"""Leases: how a running task shows that its worker is alive, from any machine or container.

A job (clips.models.Job) that a worker claims gets `lease_until = now + LEASE_S`. While the task
runs, its progress writes renew the lease, and a small thread renews it every LEASE_S / 3 even when
the work reports nothing for a while (loading a model, one long ffmpeg call). A worker that is
killed, runs out of memory or loses its machine stops renewing; once the lease has run out any
worker's sweep (clips.jobs.recover_expired) requeues the job. Nothing here depends on process ids
or host names, so it works the same across containers and machines sharing one database.
"""

import logging
import os
import socket
import threading

from django.conf import settings
from django.db import connections
from django_q.conf import Conf

logger = logging.getLogger(__name__)


def lease_s() -> float:
    return float(settings.LEASE_S)


def worker_label() -> str:
    """Who runs a job, for people reading the dashboard (liveness is the lease, not this)."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Lease:
    """`with Lease(job, attempt):` keeps renewing the job's lease until the block ends.

    Renewal is a conditional update (same attempt, still running): once the job was cancelled or
    requeued it matches nothing and the thread stops; the task itself notices on its next progress
    write (clips.jobs.progress_writer), which raises Cancelled. Tasks run inline by the synchronous
    test queue need no lease: the caller's own process runs them.
    """

    def __init__(self, job, attempt: int):
        self.job, self.attempt = job, attempt
        self._stop = threading.Event()
        self._thread = None

    def __enter__(self):
        if not Conf.SYNC:
            self._thread = threading.Thread(target=self._renew, name=f"lease-{self.job}", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        return False

    def _renew(self):
        try:
            while not self._stop.wait(lease_s() / 3):
                try:
                    if not self.job.renew(self.attempt, lease_s=lease_s()):
                        return  # cancelled or taken over: nothing left to keep alive
                except Exception:  # a database hiccup: try again next round, the lease has slack
                    logger.warning("Could not renew the lease of %s", self.job, exc_info=True)
        finally:
            connections.close_all()  # this thread's own connection
