"""Integrity of what reviewers approve: machine reruns never overwrite a person's caption, every
copy write is in the history with who or what wrote it, and changing an approved clip sends it
back to review."""

import pytest
from django.urls import reverse

from clips import review, services, stage_results
from clips.models import Clip, Copy, CopyEdit
from pipeline import schemas

from .ui_support import make_processed_video

pytestmark = pytest.mark.postgres


@pytest.fixture
def video(editor, media_root):
    return make_processed_video(editor, media_root, clips=2)


def stage_result(text="Machine caption", clip_index=0):
    return schemas.CopiesResult(
        copies=[
            schemas.ClipCopy(
                clip_index=clip_index,
                style="viral",
                text=text,
                hashtags=["#new"],
                engagement_score=8,
                viral_potential=7,
            )
        ],
        provider="local",
        is_local_draft=True,
    )


def edit(clip, user, text):
    copy = Copy.objects.get(clip=clip)
    return review.copy_save(clip=clip, user=user, text=text, hashtags=["#talk"], base_version=copy.version)


def test_a_copy_stage_rerun_keeps_a_human_edited_caption_and_records_its_draft(video, editor):
    clip = video.clips.get(index=0)
    assert edit(clip, editor, "Written by Edna").saved
    version = Copy.objects.get(clip=clip).version
    stage_results.import_copy(video, stage_result("Machine caption"))
    copy = Copy.objects.get(clip=clip)
    assert (copy.text, copy.version, copy.edited_by) == ("Written by Edna", version, editor)
    draft = copy.edits.get(source=CopyEdit.Source.STAGE)
    assert draft.applied is False and draft.after_text == "Machine caption" and draft.before_text == "Written by Edna"


def test_a_copy_stage_rerun_replaces_machine_copy_and_says_so_in_the_history(video):
    clip = video.clips.get(index=0)
    before = Copy.objects.get(clip=clip)
    stage_results.import_copy(video, stage_result("Second draft"))
    copy = Copy.objects.get(clip=clip)
    assert copy.text == "Second draft" and copy.version == before.version + 1 and copy.edited_by is None
    entry = copy.edits.get()
    assert (entry.source, entry.applied, entry.user) == (CopyEdit.Source.STAGE, True, None)
    assert entry.before_text == before.text and entry.version == copy.version


def test_an_edit_saved_while_copy_is_regenerated_wins(video, editor, monkeypatch, run_queue):
    """The regeneration started from version N; a person saves N+1 while the model writes."""
    clip = video.clips.get(index=0)

    def slow_model(proposals, **kwargs):
        assert edit(clip, editor, "Edna's fix, saved meanwhile").saved
        return stage_result("Regenerated caption")

    monkeypatch.setattr("pipeline.copywriter.write_copies", slow_model)
    with run_queue():
        services.copy_regenerate(clip=clip)
    copy = Copy.objects.get(clip=clip)
    assert copy.text == "Edna's fix, saved meanwhile" and copy.edited_by == editor
    lost = copy.edits.get(source=CopyEdit.Source.REGENERATE)
    assert lost.applied is False and lost.after_text == "Regenerated caption"


def test_regenerate_replaces_the_caption_it_was_asked_to_replace(video, editor, monkeypatch, run_queue):
    clip = video.clips.get(index=0)
    assert edit(clip, editor, "Edna's caption").saved
    monkeypatch.setattr("pipeline.copywriter.write_copies", lambda proposals, **kw: stage_result("Fresh caption"))
    with run_queue():
        services.copy_regenerate(clip=clip)
    copy = Copy.objects.get(clip=clip)
    assert copy.text == "Fresh caption" and copy.edited_by is None
    assert copy.edits.filter(source=CopyEdit.Source.REGENERATE, applied=True, before_text="Edna's caption").exists()


def test_every_caption_write_is_in_the_history_with_who_wrote_it(client, video, editor):
    clip = video.clips.get(index=0)
    client.force_login(editor)
    copy = Copy.objects.get(clip=clip)
    client.post(
        reverse("copy_save", args=[clip.pk]), {"text": "Via the page", "hashtags": "#a", "version": copy.version}
    )
    entry = Copy.objects.get(clip=clip).edits.get()
    assert (entry.user, entry.source, entry.after_text) == (editor, CopyEdit.Source.EDIT, "Via the page")
    page = client.get(reverse("clip_list", args=[video.pk])).content.decode()
    assert "Edit history (1)" in page


def approve(clip, user):
    services.clip_review(clip=clip, user=user, approve=True)
    clip.refresh_from_db()
    assert clip.status == Clip.Status.APPROVED


def test_editing_the_caption_of_an_approved_clip_returns_it_to_review(video, editor, approver):
    clip = video.clips.get(index=0)
    approve(clip, approver)
    assert edit(clip, editor, "Changed after approval").saved
    clip.refresh_from_db()
    assert clip.status == Clip.Status.PROPOSED and clip.reviewed_by is None and clip.reviewed_at is None


def test_new_bounds_on_an_approved_clip_return_it_to_review(video, approver, django_capture_on_commit_callbacks):
    clip = video.clips.get(index=0)
    approve(clip, approver)
    with django_capture_on_commit_callbacks(execute=False):
        services.clip_set_bounds(clip=clip, start_s=0.5, end_s=4.4)
    clip.refresh_from_db()
    assert clip.status == Clip.Status.PROPOSED


def test_an_approved_clip_changed_by_the_copy_stage_returns_to_review(video, approver):
    clip = video.clips.get(index=0)
    approve(clip, approver)
    stage_results.import_copy(video, stage_result("A different caption"))
    clip.refresh_from_db()
    assert clip.status == Clip.Status.PROPOSED


def test_approval_stands_when_nothing_changed(video, editor, approver, django_capture_on_commit_callbacks):
    clip = video.clips.get(index=1)
    approve(clip, approver)
    copy = Copy.objects.get(clip=clip)
    review.copy_save(clip=clip, user=editor, text=copy.text, hashtags=copy.hashtags, base_version=copy.version)
    with django_capture_on_commit_callbacks(execute=False):
        services.clip_set_bounds(clip=clip, start_s=clip.start_s, end_s=clip.end_s)
    clip.refresh_from_db()
    assert clip.status == Clip.Status.APPROVED


def test_a_changed_approved_clip_leaves_the_approved_zip(client, video, editor, approver):
    clip = video.clips.get(index=0)
    approve(clip, approver)
    edit(clip, editor, "Changed")
    client.force_login(approver)
    response = client.get(reverse("video_download_approved", args=[video.pk]))
    assert response.status_code == 302  # no approved clips left to download


def test_the_page_shows_that_an_edited_approved_clip_is_back_in_review(client, video, editor, approver):
    clip = video.clips.get(index=0)
    approve(clip, approver)
    client.force_login(editor)
    version = Copy.objects.get(clip=clip).version
    response = client.post(
        reverse("copy_save", args=[clip.pk]),
        {"text": "Changed", "hashtags": "#talk", "version": version},
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    assert response["HX-Retarget"] == f"#clip-{clip.pk}" and response["HX-Reswap"] == "outerHTML"
    assert "back in review" in page and 'class="clip-card' in page and "approved" not in page.split(">")[0]
