"""Clip finding on the review page: score and sub-scores on the card, sorting, "Find moments about"."""

import pytest
from django.urls import reverse

from clips import tasks
from clips.models import Clip

from .clipfind_support import choi_document, source_texts, timed_transcript
from .ui_support import make_processed_video


def test_the_card_shows_the_score_out_of_100_and_named_sub_scores(client, editor, media_root):
    video = make_processed_video(editor, media_root, clips=2)
    subscores = {"hook": 81, "self_contained": 64, "payoff": 55, "coherence": 47, "energy": 12}
    Clip.objects.filter(video=video, index=1).update(score=0.734, subscores=subscores)
    client.force_login(editor)
    page = client.get(reverse("clip_list", args=[video.pk])).content.decode()
    assert ">73<" in page
    for text in ("hook 81", "self-contained 64", "payoff 55", "coherence 47", "energy 12"):
        assert text in page
    # best score first puts the 0.9 clip before the 0.734 one; position order is the reverse here
    Clip.objects.filter(video=video, index=0).update(score=0.5)
    page = client.get(reverse("clip_list", args=[video.pk]) + "?sort=score").content.decode()
    assert page.index("Clip 2</strong>") < page.index("Clip 1</strong>")


def test_hostile_and_empty_queries_get_nothing(client, editor, media_root):
    video = make_processed_video(editor, media_root, clips=1)
    client.force_login(editor)
    url = reverse("clip_moments", args=[video.pk])
    page = client.get(url, {"about": "   "}).content.decode()
    assert "Moments about" not in page and "Searching" not in page
    page = client.get(url, {"about": "<script>alert(1)</script>" + "x" * 5000}).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert all(len(p.name) < 60 for p in (video.workdir / "moments").iterdir())  # the query is never a path


def test_a_search_before_transcription_says_so_and_is_not_remembered(client, editor, media_root):
    video = make_processed_video(editor, media_root, clips=1)  # no transcript.json in its work directory
    client.force_login(editor)
    url = reverse("clip_moments", args=[video.pk])
    client.get(url, {"about": "bees"})  # queued; the test queue runs it at once
    page = client.get(url, {"about": "bees"}).content.decode()
    assert "no transcript yet" in page
    assert "Searching for moments" in client.get(url, {"about": "bees"}).content.decode()  # asked again


def test_a_stranger_cannot_search_another_users_video(client, editor, django_user_model, media_root):
    video = make_processed_video(editor, media_root, clips=1)
    stranger = django_user_model.objects.create_user("stranger", password="pw-long-enough-123")
    client.force_login(stranger)
    response = client.get(reverse("clip_moments", args=[video.pk]), {"about": "bees"})
    assert response.status_code in (403, 404)
    assert not (video.workdir / "moments").exists()


@pytest.mark.slow
def test_the_worker_answers_a_search_and_the_page_shows_the_moments(client, editor, media_root):
    video = make_processed_video(editor, media_root, clips=1)
    video.min_clip_s, video.max_clip_s = 20, 60
    video.save()
    for seed in range(100):
        sentences, segment_ids = choi_document(seed, min_len=8, max_len=10)
        if set(sentences) & set(source_texts()["bees"]):
            break
    (video.workdir / "transcript.json").write_text(
        timed_transcript(sentences, segment_ids, seed=seed).model_dump_json()
    )
    client.force_login(editor)
    page = client.get(reverse("clip_list", args=[video.pk]), {"about": "honeybees"}).content.decode()
    assert "Searching for moments about “honeybees”" in page and 'hx-trigger="load delay:2s"' in page
    tasks.search_moments(video.pk, "honeybees")  # what the queue worker runs
    block = client.get(reverse("clip_moments", args=[video.pk]), {"about": "honeybees"}).content.decode()
    assert "Moments about “honeybees”" in block and "hx-trigger" not in block
    assert "bee" in block.lower() and block.count('class="moment card"') >= 1
