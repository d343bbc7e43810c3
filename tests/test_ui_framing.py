"""The clip card's framing: the layout and reason from the stored analysis, face thumbnails, and
the reviewer's override (saved, preview re-rendered, approval reset, bad values refused)."""

import subprocess

from django.urls import reverse

from clips.models import Clip, ClipJob
from pipeline.browser_preview import load_preview, preview_path
from pipeline.schemas import Box, ClipPreview, CropPath, FaceTrack, LayoutSegment, ShotLayout, SpeakerAnalysis
from pipeline.stages import write_model

from .ui_support import make_processed_video

HTMX = {"HTTP_HX_REQUEST": "true"}


def give_analysis(video, clip_index: int = 0):
    """As the render stage leaves it: renders/clip_<i>_preview.json with two faces and their thumbnails."""
    renders = video.workdir / "renders"
    faces = []
    for face_id in (0, 1):
        thumbnail = renders / f"clip_{clip_index}_face_{face_id}.jpg"
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=s=96x96", "-frames:v", "1", str(thumbnail)],
            check=True,
        )
        box = Box(x=100 + 600 * face_id, y=200, width=150, height=150)
        faces.append(
            FaceTrack(
                id=face_id,
                shot=0,
                box=box,
                times=[0.0],
                boxes=[box],
                speaking_s=3.0 + face_id,
                thumbnail=f"renders/{thumbnail.name}",
            )
        )
    analysis = SpeakerAnalysis(
        faces=faces,
        layouts=[
            ShotLayout(
                start=0,
                end=4.9,
                layout="speaker",
                reason="2 speakers, cuts on turns",
                segments=[LayoutSegment(start=0, end=4.9, faces=[0])],
            )
        ],
        summary="2 speakers, cuts on turns",
        tracker_xs=[300],
        tracker_ys=[0],
    )
    crop = CropPath(width=404, height=720, source_width=1280, source_height=720, fps=25, times=[0.0], xs=[300], ys=[0])
    crop.speakers = analysis
    clip = video.clips.get(index=clip_index)
    planned = ClipPreview(
        clip_index=clip_index, start=clip.start_s, end=clip.end_s, aspect="9:16", strategy="keep_in_frame", crop=crop
    )
    write_model(preview_path(video.workdir, clip_index), planned)


def post_framing(client, clip, **data):
    return client.post(reverse("clip_framing", args=[clip.pk]), data, **HTMX)


def test_the_card_says_how_the_clip_is_framed_and_shows_the_faces(client, editor, media_root):
    video = make_processed_video(editor, media_root, clips=2)
    give_analysis(video)
    client.force_login(editor)
    page = client.get(reverse("clip_list", args=[video.pk])).content.decode()
    assert page.count("Framing: 2 speakers, cuts on turns") == 1  # only clip 1 has been analysed
    face_url = f"/media/videos/{video.pk}/renders/clip_0_face_1.jpg"
    assert face_url in page and 'alt="Person 2"' in page and "speaks 4 s" in page
    response = client.get(face_url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"


def test_an_override_is_saved_and_shown_in_the_preview_at_once(client, editor, media_root, run_queue):
    video = make_processed_video(editor, media_root, clips=1)
    give_analysis(video)
    clip = video.clips.get()
    Clip.objects.filter(pk=clip.pk).update(status=Clip.Status.APPROVED)
    client.force_login(editor)
    response = post_framing(client, clip, layout="split", follow_face="")
    assert "the preview shows it" in response.content.decode()
    clip.refresh_from_db()
    assert (clip.layout, clip.follow_face, clip.status) == ("split", None, Clip.Status.PROPOSED)
    # re-planned in the request from the stored analysis: no job, and the card's player has it
    assert not ClipJob.objects.filter(clip=clip, kind=ClipJob.Kind.PREVIEW).exists()
    assert [shot.layout for shot in load_preview(video.workdir, 0).crop.speakers.layouts] == ["split"]
    response = post_framing(client, clip, layout="auto", follow_face="1")
    clip.refresh_from_db()
    assert (clip.layout, clip.follow_face) == ("single", 1)  # following a person = one-face layout
    assert "override" in response.content.decode()
    crop = load_preview(video.workdir, 0).crop
    assert crop.speakers.follow_face == 1 and {shot.layout for shot in crop.speakers.layouts} == {"single"}


def test_an_override_without_a_stored_analysis_queues_the_preview(client, editor, media_root, run_queue, settings):
    video = make_processed_video(editor, media_root, clips=1)
    give_analysis(video)
    settings.CLIPER = {**settings.CLIPER, "SERVER_PREVIEWS": True}  # encoded previews: a job must render it
    clip = video.clips.get()
    client.force_login(editor)
    response = post_framing(client, clip, layout="fit", follow_face="")
    assert "the preview is being re-rendered" in response.content.decode()
    assert ClipJob.objects.filter(clip=clip, kind=ClipJob.Kind.PREVIEW).exists()


def test_bad_or_foreign_framing_values_change_nothing(client, editor, nobody, media_root):
    video = make_processed_video(editor, media_root, clips=1)
    give_analysis(video)
    clip = video.clips.get()
    client.force_login(editor)
    for data in (
        {"layout": "<script>", "follow_face": ""},
        {"layout": "auto", "follow_face": "7"},  # not a face of this clip
        {"layout": "auto", "follow_face": "-1"},
        {"layout": "auto", "follow_face": "x"},
    ):
        response = post_framing(client, clip, **data)
        assert response.status_code == 200 and 'role="alert"' in response.content.decode()
    clip.refresh_from_db()
    assert (clip.layout, clip.follow_face) == ("auto", None)
    assert not ClipJob.objects.filter(clip=clip, kind=ClipJob.Kind.PREVIEW).exists()
    client.force_login(nobody)
    assert post_framing(client, clip, layout="fit", follow_face="").status_code in (403, 404)
    clip.refresh_from_db()
    assert clip.layout == "auto"
