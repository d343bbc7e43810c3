"""Finishing in the app: finals-only zip that names what is missing, live approved counter,
"Render missing finals", caption style saved per video, brand presets used by new videos,
a clip's hook title and trimming reaching its render options."""

import io
import zipfile

from django.urls import reverse

from clips import finishing
from clips.models import CaptionPreset, Clip, ClipJob, Video
from pipeline.schemas import CaptionStyle

from .ui_support import make_processed_video, real_video

HTMX = {"HTTP_HX_REQUEST": "true"}


def approve(client, clip):
    return client.post(reverse("clip_review", args=[clip.pk]), {"decision": "approve"}, **HTMX)


def give_final(media_root, clip, data=b"final"):
    """As a finished final render leaves it: the file, Clip.final, its job done."""
    rel = f"videos/{clip.video_id}/renders/clip_{clip.index}_final.mp4"
    (media_root / rel).write_bytes(data)
    Clip.objects.filter(pk=clip.pk).update(final=rel)
    ClipJob.objects.update_or_create(
        clip=clip, kind="final", defaults={"state": "done", "start_s": clip.start_s, "end_s": clip.end_s}
    )


def test_the_zip_never_ships_a_preview_and_says_which_finals_are_missing(client, approver, media_root):
    video = make_processed_video(approver, media_root, clips=3)
    client.force_login(approver)
    clips = list(video.clips.order_by("index"))
    for clip in clips:
        approve(client, clip)
    give_final(media_root, clips[1])
    response = client.get(reverse("video_download_approved", args=[video.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("clip_list", args=[video.pk])
    page = response.content.decode()
    assert "Clips 1 and 3 have no final render yet" in page
    # approving queued their finals: the bar says so and polls until they are ready
    assert "Final render missing for clips 1 and 3: rendering 2" in page and 'id="render-finals"' not in page
    ClipJob.objects.filter(clip=clips[0], kind="final").update(state="failed")
    page = client.get(reverse("clip_list", args=[video.pk])).content.decode()
    assert "Final render missing for clips 1 and 3: rendering 1" in page and 'id="render-finals"' in page
    # a final whose file is gone counts as missing too
    give_final(media_root, clips[0])
    give_final(media_root, clips[2])
    (media_root / Clip.objects.get(pk=clips[2].pk).final).unlink()
    response = client.get(reverse("video_download_approved", args=[video.pk]), follow=True)
    assert "Clip 3 has no final render yet" in response.content.decode()
    give_final(media_root, clips[2])
    response = client.get(reverse("video_download_approved", args=[video.pk]))
    names = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).namelist()
    assert sorted(n for n in names if n.endswith(".mp4")) == ["clip_01.mp4", "clip_02.mp4", "clip_03.mp4"]


def test_approving_updates_the_counter_and_download_link_out_of_band(client, approver, media_root):
    video = make_processed_video(approver, media_root, clips=2)
    client.force_login(approver)
    first, second = video.clips.order_by("index")
    page = client.get(reverse("clip_list", args=[video.pk])).content.decode()
    assert ">0 of 2 approved<" in page
    give_final(media_root, first)
    html = approve(client, first).content.decode()
    assert f'id="clip-{first.pk}"' in html
    assert 'id="approved-count"' in html and 'hx-swap-oob="true"' in html and ">1 of 2 approved<" in html
    assert 'id="download-approved"' in html and "aria-disabled" not in html.split('id="download-approved"')[1][:200]
    html = approve(client, second).content.decode()
    assert ">2 of 2 approved<" in html and "Final render missing for clip 2" in html
    html = client.post(reverse("clip_review", args=[second.pk]), {"decision": "reject"}, **HTMX).content.decode()
    assert ">1 of 2 approved<" in html and "missing" not in html


def test_render_missing_finals_queues_each_missing_one_and_the_bar_polls(
    client, approver, media_root, django_capture_on_commit_callbacks
):
    video = make_processed_video(approver, media_root, clips=3)
    client.force_login(approver)
    clips = list(video.clips.order_by("index"))
    for clip in clips:
        approve(client, clip)
    give_final(media_root, clips[0])
    give_final(media_root, clips[1])
    (media_root / Clip.objects.get(pk=clips[1].pk).final).unlink()  # its file is gone
    ClipJob.objects.filter(clip=clips[2], kind="final").update(state="failed")
    with django_capture_on_commit_callbacks(execute=False) as queued:
        html = client.post(reverse("video_render_finals", args=[video.pk]), **HTMX).content.decode()
    assert [c.final_state for c in video.clips.order_by("index")] == ["done", "queued", "queued"]
    assert len(queued) == 2 and "every 2s" in html and "rendering 2" in html
    assert "every 2s" in client.get(reverse("video_approved_bar", args=[video.pk])).content.decode()


def test_an_editor_cannot_render_finals_or_download(client, editor, media_root):
    video = make_processed_video(editor, media_root, clips=1)
    client.force_login(editor)
    assert client.post(reverse("video_render_finals", args=[video.pk])).status_code == 403


def style_post(**changes) -> dict:
    data = {}
    for name, value in {**CaptionStyle().model_dump(), **changes}.items():
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = str(value)
    return data


def test_a_saved_style_is_the_videos_and_outdates_its_finals(client, editor, media_root):
    video = make_processed_video(editor, media_root, clips=2)
    first = video.clips.order_by("index").first()
    give_final(media_root, first)
    client.force_login(editor)
    data = style_post(font="Bebas Neue", karaoke=True, text_colour="#00ff00", trim_silence=True)
    html = client.post(reverse("video_caption_style", args=[video.pk]), data, **HTMX).content.decode()
    assert "Caption style saved. 1 final render will be rendered again" in html
    video.refresh_from_db()
    assert video.caption_style["font"] == "Bebas Neue" and video.caption_style["karaoke"] and video.trim_silence
    assert Clip.objects.get(pk=first.pk).final_state == ""
    options, _ = finishing.clip_render_options(first)
    assert options.captions().font == "Bebas Neue" and options.trim_silence


def test_hostile_style_values_are_refused_with_a_message(client, editor, media_root):
    video = make_processed_video(editor, media_root, clips=1)
    client.force_login(editor)
    data = style_post(text_colour="red;}", font="../../etc/passwd", size_pct="1e9")
    html = client.post(reverse("video_caption_style", args=[video.pk]), data, **HTMX).content.decode()
    assert "Select a valid choice" in html and "Ensure this value is less than or equal to 15" in html
    video.refresh_from_db()
    assert video.caption_style == {}
    frame = client.get(reverse("caption_frame", args=[video.pk]), data)
    assert frame.status_code == 400


def test_a_preset_is_saved_made_default_and_used_by_new_videos(
    client, editor, media_root, django_capture_on_commit_callbacks
):
    video = make_processed_video(editor, media_root, clips=1)
    client.force_login(editor)
    data = {**style_post(font="Inter", box=True, size_pct="8"), "name": " Brand A ", "make_default": "on"}
    html = client.post(reverse("preset_save", args=[video.pk]), data, **HTMX).content.decode()
    assert "Preset “Brand A” saved." in html
    preset = CaptionPreset.objects.get()
    assert preset.is_default and preset.style["font"] == "Inter" and preset.style["size_pct"] == 8
    client.post(
        reverse("preset_save", args=[video.pk]),
        {**style_post(font="Roboto"), "name": "Brand B", "make_default": "on"},
        **HTMX,
    )
    assert list(CaptionPreset.objects.filter(is_default=True).values_list("name", flat=True)) == ["Brand B"]
    form_page = client.get(reverse("video_list")).content.decode()
    chosen = CaptionPreset.objects.get(name="Brand B")
    assert f'<option value="{chosen.pk}" selected>Brand B' in form_page
    with django_capture_on_commit_callbacks(execute=False):
        client.post(
            reverse("video_new"),
            {"url": "http://127.0.0.1:9/b.mp4", "clip_preset": "short", "aspect": "9:16", "subtitle_style": "clean",
             "caption_preset": str(preset.pk)},
            **HTMX,
        )  # fmt: skip
    new = Video.objects.get(source_url="http://127.0.0.1:9/b.mp4")
    assert new.caption_preset == preset and new.caption_style["font"] == "Inter"
    # editing the preset later leaves the video's own copy alone
    finishing.preset_save(name="Brand A", style=CaptionStyle(font="Roboto"), user=None)
    new.refresh_from_db()
    assert new.caption_style["font"] == "Inter"
    page = client.get(reverse("presets")).content.decode()
    assert "Brand A" in page and "Brand B" in page and "Default" in page
    client.post(reverse("presets"), {"preset": preset.pk, "action": "delete"})
    assert not CaptionPreset.objects.filter(pk=preset.pk).exists()
    new.refresh_from_db()
    assert new.caption_style["font"] == "Inter" and new.caption_preset is None


def test_a_clips_hook_title_and_trimming_reach_its_render(client, editor, media_root):
    video = make_processed_video(editor, media_root, clips=1)
    clip = video.clips.get()
    clip.copy.hook = "The copy's hook"
    clip.copy.save()
    assert finishing.clip_render_options(clip)[1] == "The copy's hook"
    assert finishing.clip_render_options(clip)[0].trim_silence is False
    client.force_login(editor)
    html = client.post(
        reverse("clip_finish", args=[clip.pk]), {"hook_title": "Why beans?", "trim_silence": "on"}, **HTMX
    ).content.decode()
    assert "Saved; the final is rendered with it." in html
    clip.refresh_from_db()
    options, hook = finishing.clip_render_options(clip)
    assert (hook, options.trim_silence) == ("Why beans?", True)
    client.post(reverse("clip_finish", args=[clip.pk]), {"hook_title": "", "trim_silence": ""}, **HTMX)
    clip.refresh_from_db()
    assert clip.trim_silence is None and finishing.clip_render_options(clip)[1] == "The copy's hook"


def test_the_preview_frame_is_a_real_frame_and_refuses_bad_queries(client, editor, media_root):
    import cv2
    import numpy as np

    video = real_video(editor, media_root, clips=1)
    clip = video.clips.get()
    client.force_login(editor)
    url = reverse("caption_frame", args=[video.pk])
    for at in ("1.0", "nan", "1e9", "-5"):
        response = client.get(url, {**style_post(box=True), "clip": clip.pk, "at": at})
        assert response.status_code == 200 and response["Content-Type"] == "image/jpeg", at
        frame = cv2.imdecode(np.frombuffer(response.content, np.uint8), cv2.IMREAD_COLOR)
        assert frame.shape == (960, 540, 3)
    assert client.get(url, {"clip": clip.pk}).status_code == 400  # no style at all
    assert client.get(url, {**style_post(font="Comic Sans"), "clip": clip.pk}).status_code == 400
    page = client.get(reverse("caption_preview", args=[video.pk]), {**style_post(), "clip": clip.pk}, **HTMX)
    assert 'id="caption-frame"' in page.content.decode()
    client.logout()
    assert client.get(url, {**style_post(), "clip": clip.pk}).status_code == 302  # to the login page
