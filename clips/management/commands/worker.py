from django.core.management import call_command
from django.core.management.base import BaseCommand
from django_q.models import Schedule

from clips.services import recover_stalled_stages


class Command(BaseCommand):
    help = "Starts a django-q2 worker cluster after requeueing stages a dead worker left behind."

    def handle(self, *args, **options):
        requeued = recover_stalled_stages()
        if requeued:
            self.stdout.write(f"Requeued {requeued} stage(s) left running by a worker that died")
        Schedule.objects.update_or_create(
            name="recover stalled stages",
            defaults={"func": "clips.tasks.recover_stalled_stages", "schedule_type": Schedule.MINUTES, "minutes": 2},
        )
        call_command("qcluster")
