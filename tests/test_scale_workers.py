"""Scale-out on real servers: two `manage.py worker` processes on PostgreSQL and the Redis broker
share two videos, and one of them is killed in the middle of a part of a stage."""

import os

import pytest
from django.db import connection
from django_q.conf import Conf

from clips.models import StagePart, Video
from pipeline.stages import STAGE_NAMES

from .conftest import wait_for
from .pipeline_support import short_talk, upload_video

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture
def redis_url(monkeypatch):
    url = os.environ.get("CLIPER_TEST_REDIS_URL")
    if not url:
        pytest.skip("needs the Redis server that scripts/test.sh starts (CLIPER_TEST_REDIS_URL)")
    if connection.vendor != "postgresql":
        pytest.skip("scale-out runs on PostgreSQL (the PostgreSQL pass of scripts/test.sh)")
    import redis

    redis.from_url(url).flushdb()
    # This process queues tasks through Redis too, as the web process of a scaled-out site does.
    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "REDIS", url)
    return url


def _part_of(worker, part):
    """True when the part is running in a process of `worker`'s cluster (its process group)."""
    try:
        return os.getpgid(int(part.worker.rsplit(":", 1)[1])) == worker.proc.pid
    except (ValueError, ProcessLookupError):
        return False


def test_two_workers_share_two_videos_and_redo_only_the_killed_part(
    worker, admin_user, tmp_path, media_root, redis_url
):
    talk = short_talk(tmp_path)
    # A longer lease than other worker tests: a busy CI machine must not make a live part look dead.
    # One process each, as two one-core machines: the part killed with one is redone by the other.
    first, second = (worker(REDIS_URL=redis_url, CLIPER_LEASE_S="10", CLIPER_WORKERS="1") for _ in range(2))
    videos = [upload_video(admin_user, talk, title=f"Talk {n}") for n in (1, 2)]

    def running_part_of_first():
        parts = StagePart.objects.filter(run__video__in=videos, state="running", progress__gt=0)
        return next((part for part in parts if _part_of(first, part)), None)

    killed = wait_for(
        running_part_of_first, timeout_s=300, interval_s=0.1, what=f"a part on worker 1:\n{first.log()[-3000:]}"
    )
    first.kill()
    wait_for(
        lambda: all(Video.objects.get(pk=v.pk).status in ("ready", "failed") for v in videos),
        timeout_s=400,
        what=f"both videos; worker 2 log:\n{second.log()[-3000:]}",
    )
    killed.refresh_from_db()
    assert killed.state == "done" and killed.attempt == 2 and not _part_of(first, killed)
    for video in videos:
        video.refresh_from_db()
        runs = {run.stage: run for run in video.stage_runs.all()}
        assert video.status == "ready", {name: run.message for name, run in runs.items()}
        assert list(runs) == list(STAGE_NAMES)
        for run in runs.values():
            assert (run.state, run.progress, run.attempt) == ("done", 1.0, 1), run  # no stage redone whole
        clips = list(video.clips.all())
        renders = runs["render"].parts.all()
        assert sorted(part.spec["clip"] for part in renders) == [clip.index for clip in clips]
        for part in StagePart.objects.filter(run__video=video).exclude(pk=killed.pk):
            assert (part.state, part.attempt) == ("done", 1), part  # every other part ran exactly once
        for clip in clips:  # reviewable: an encoded preview, or (browser previews) the poster of its crop
            shown = clip.preview or clip.poster
            assert shown and (media_root / shown).stat().st_size > 1_000, clip
    spans = [
        [(run.started_at, run.finished_at) for run in video.stage_runs.all()]
        + [(part.started_at, part.finished_at) for part in StagePart.objects.filter(run__video=video)]
        for video in videos
    ]
    assert any(a0 < b1 and b0 < a1 for a0, a1 in spans[0] for b0, b1 in spans[1])  # both videos at once
