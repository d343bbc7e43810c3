import logging
import os
import threading

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connections
from django_q.models import Schedule

from clips import leases
from clips.services import recover_expired
from pipeline import config
from pipeline.preload import preload

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Starts a django-q2 worker cluster that also requeues work whose worker died, on any machine."

    def handle(self, *args, **options):
        requeued = recover_expired()
        if requeued:
            self.stdout.write(f"Requeued {requeued} task(s) whose worker stopped renewing its lease")
        # Recovery used to be a schedule that only looked at this host's process ids.
        Schedule.objects.filter(name="recover stalled stages").delete()
        # The cores are shared out among the cluster's processes (one task each): two processes on
        # two cores with two Whisper threads each would oversubscribe them. Children inherit this.
        os.environ.setdefault("CLIPER_WHISPER_THREADS", str(config.worker_threads(config.worker_processes())))
        config.current.cache_clear()
        failed = preload()  # before the fork, so every task process starts with the libraries imported
        if failed:
            logger.warning("Could not import %s; the tasks that need them will say why", ", ".join(failed))
        connections.close_all()  # the cluster forks: children must not share this connection
        threading.Thread(target=_sweep_forever, name="lease-sweeper", daemon=True).start()
        call_command("qcluster")


def _sweep_forever():
    """Every LEASE_S / 3: requeue work whose lease ran out. Every worker machine runs this; the
    conditional updates make sure each dead task is requeued once. The connection is closed
    between sweeps so that the cluster's forked processes never inherit one in use."""
    stop = threading.Event()
    while not stop.wait(leases.lease_s() / 3):
        try:
            recover_expired()
        except Exception:
            logger.exception("Lease sweep failed; trying again")
        finally:
            connections.close_all()
