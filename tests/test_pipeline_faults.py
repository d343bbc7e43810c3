"""Faults: a worker killed in every stage, concurrent writers."""

import threading
import time

import pytest
from django.db import close_old_connections
from django.utils import timezone

from clips import jobs, previews, review, services
from clips.models import Copy, StageRun, Video
from pipeline.stages import STAGES

from .conftest import wait_for
from .pipeline_support import short_talk, upload_video


@pytest.mark.slow
@pytest.mark.postgres
def test_a_worker_killed_in_every_stage_still_finishes_the_video(worker, admin_user, tmp_path):
    talk = short_talk(tmp_path)
    video = upload_video(admin_user, talk)  # queued in the ORM broker: no worker yet
    w = worker()
    killed_in = {}  # stage -> the parts that were running when the worker died (none: the stage itself)
    for stage in STAGES:
        run = wait_for(
            lambda stage=stage: StageRun.objects.filter(
                video=video, stage=stage.name, state__in=["running", "done"]
            ).first(),
            timeout_s=180,
            interval_s=0.02,
            what=f"{stage.name} to start; worker log:\n{w.log()[-3000:]}",
        )
        if run.state == "running":
            # crash at once (a quick stage on a fast machine is over in a fraction of a second); a
            # stage in parts once one of its parts runs, not while they are only planned
            if stage.fans_out:
                wait_for(lambda run=run: _part_running_or_over(run), timeout_s=60, interval_s=0.02, what="a part")
            w.kill()
            run.refresh_from_db()
            running_parts = set(run.parts.filter(state="running").values_list("index", flat=True))
            # a quick stage may have finished before the kill; a fanned-out one may have had only
            # queued parts then (nothing of it died with the worker)
            if run.state == "running" and (running_parts or not run.parts.exists()):
                killed_in[stage.name] = running_parts
            w = worker()  # a restarted worker requeues what the dead one left running
    wait_for(
        lambda: Video.objects.get(pk=video.pk).status in ("ready", "failed"),
        timeout_s=300,
        what=f"the video to finish; worker log:\n{w.log()[-3000:]}",
    )
    video.refresh_from_db()
    runs = {run.stage: run for run in video.stage_runs.all()}
    assert video.status == "ready", {name: run.message for name, run in runs.items()}
    assert len(killed_in) >= 3, killed_in
    for stage, parts in killed_in.items():  # rerun whole, or (a stage run in parts) only the killed parts
        if parts:
            redone = set(runs[stage].parts.filter(attempt__gte=2).values_list("index", flat=True))
            assert parts <= redone and runs[stage].attempt == 1, (stage, parts, redone)  # not the whole stage
        else:
            assert runs[stage].attempt >= 2, stage
    clip_count = video.clips.count()
    assert clip_count >= 1
    assert Copy.objects.filter(clip__video=video).count() == clip_count
    assert video.clips.values("index").distinct().count() == clip_count
    assert all(previews.card_preview(clip) for clip in video.clips.all())  # every clip reviewable


def _part_running_or_over(run) -> bool:
    run.refresh_from_db()
    return run.state != "running" or run.parts.filter(state="running").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_progress_and_caption_saves_lose_nothing(admin_user, monkeypatch):
    """The worker's progress writes and two reviewers' read-check-write caption saves, each on
    its own connection: every save that reports success is in the history, in order."""
    monkeypatch.setattr(jobs, "PROGRESS_WRITE_INTERVAL_S", 0)  # every progress call writes
    video = Video.objects.create(owner=admin_user, source="url", source_url="http://example.com/v")
    lease_until = timezone.now() + timezone.timedelta(minutes=5)
    run = StageRun.objects.create(video=video, stage="transcribe", state="running", attempt=1, lease_until=lease_until)
    clip = video.clips.create(index=0, start_s=0, end_s=30, text="hello")
    Copy.objects.create(clip=clip, text="draft")
    errors, saved, rounds = [], [], 40
    start = threading.Barrier(3)

    def worker_writes():
        try:
            report = jobs.progress_writer(StageRun.objects.get(pk=run.pk), 1)
            start.wait()
            for i in range(rounds * 4):
                report(i / (rounds * 4), f"step {i}")
                time.sleep(0.001)
        except Exception as exc:  # noqa: BLE001 - the assertion below reports it
            errors.append(exc)
        finally:
            close_old_connections()

    def reviewer_saves(name):
        try:
            start.wait()
            for i in range(rounds):
                while True:  # a conflict is shown to the reviewer, who saves again
                    version = Copy.objects.get(clip=clip).version
                    result = review.copy_save(
                        clip=clip, user=admin_user, text=f"{name} {i}", hashtags=[], base_version=version
                    )
                    if result.saved:
                        saved.append(f"{name} {i}")
                        break
                    assert result.conflict is not None, result.errors
                services.clip_review(clip=clip, user=admin_user, approve=i % 2 == 0)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [
        threading.Thread(target=worker_writes),
        threading.Thread(target=reviewer_saves, args=("ana",)),
        threading.Thread(target=reviewer_saves, args=("ben",)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    copy = Copy.objects.get(clip=clip)
    edits = list(copy.edits.order_by("version"))
    assert len(saved) == len(edits) == 2 * rounds and copy.version == 1 + 2 * rounds
    assert sorted(edit.after_text for edit in edits) == sorted(saved)  # every success recorded
    after = ["draft", *(edit.after_text for edit in edits)]
    assert [edit.before_text for edit in edits] == after[:-1]  # each edit starts from the one before
    assert copy.text == edits[-1].after_text
    run.refresh_from_db()
    assert run.message == f"step {rounds * 4 - 1}"
