"""The admin dashboard: queue, running and failed work, stage times, approvals, disk."""

from django.urls import reverse
from django.utils import timezone

from clips.models import StageRun

from .ui_support import make_processed_video


def test_admins_see_queue_running_failed_timings_approvals_and_disk(client, admin_user, media_root):
    video = make_processed_video(admin_user, media_root, clips=2, title="Dash talk")
    video.clips.filter(index=0).update(status="approved")
    other = make_processed_video(admin_user, media_root, clips=0, files=False, title="Broken talk")
    StageRun.objects.filter(video=other, stage="ingest").update(state="failed", message="No audio track found")
    StageRun.objects.filter(video=other, stage="transcribe").update(
        state="running", progress=0.25, started_at=timezone.now(), finished_at=None
    )
    client.force_login(admin_user)
    page = client.get(reverse("dashboard")).content.decode()
    assert 'id="queue-depth">0<' in page
    assert "No audio track found" in page and "Broken talk" in page and "25 %" in page
    assert "Find clips" in page and "5 s" in page  # stage timings
    assert "Dash talk" in page and '<td class="num">1</td>' in page  # approvals
    assert "free of" in page
    assert reverse("admin:django_q_failure_changelist") in page
    assert client.get(reverse("admin:django_q_success_changelist")).status_code == 200


def test_other_roles_cannot_see_the_dashboard(client, editor, approver):
    for user in (editor, approver):
        client.force_login(user)
        assert client.get(reverse("dashboard")).status_code == 403
    page = client.get(reverse("video_list")).content.decode()
    assert reverse("dashboard") not in page
