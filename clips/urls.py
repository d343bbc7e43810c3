from django.urls import path

from . import finish_views, framing_views, media, views

urlpatterns = [
    path("", views.video_list, name="video_list"),
    path("videos/new", views.video_new, name="video_new"),
    path("videos/sample", views.sample_new, name="sample_new"),
    path("videos/<int:video_id>/", views.video_detail, name="video_detail"),
    path("videos/<int:video_id>/progress", views.video_progress, name="video_progress"),
    path("videos/<int:video_id>/cancel", views.video_cancel, name="video_cancel"),
    path("videos/<int:video_id>/clips/", views.clip_list, name="clip_list"),
    path("videos/<int:video_id>/clips/review", views.clips_bulk_review, name="clips_bulk_review"),
    path("videos/<int:video_id>/approved.zip", views.video_download_approved, name="video_download_approved"),
    path("stages/<int:run_id>/retry", views.stage_retry, name="stage_retry"),
    path("clips/<int:clip_id>/review", views.clip_review, name="clip_review"),
    path("clips/<int:clip_id>/copy", views.copy_view, name="copy_view"),
    path("clips/<int:clip_id>/copy/edit", views.copy_edit, name="copy_edit"),
    path("clips/<int:clip_id>/copy/save", views.copy_save, name="copy_save"),
    path("clips/<int:clip_id>/copy/regenerate", views.copy_regenerate, name="copy_regenerate"),
    path("clips/<int:clip_id>/bounds", views.clip_bounds, name="clip_bounds"),
    path("clips/<int:clip_id>/media", views.clip_media, name="clip_media"),
    path("clips/<int:clip_id>/final", views.clip_final, name="clip_final"),
    path("clips/<int:clip_id>/final/status", views.clip_final_status, name="clip_final_status"),
    path("clips/<int:clip_id>/download", views.clip_download, name="clip_download"),
    # finishing: caption styles, presets, hook title / trimming, the approved bar
    path("videos/<int:video_id>/captions/preview", finish_views.caption_preview, name="caption_preview"),
    path("videos/<int:video_id>/captions/frame.jpg", finish_views.caption_frame, name="caption_frame"),
    path("videos/<int:video_id>/captions/save", finish_views.video_caption_style, name="video_caption_style"),
    path("videos/<int:video_id>/captions/preset", finish_views.preset_save, name="preset_save"),
    path("videos/<int:video_id>/approved", finish_views.video_approved_bar, name="video_approved_bar"),
    path("videos/<int:video_id>/finals", finish_views.video_render_finals, name="video_render_finals"),
    path("clips/<int:clip_id>/finish", finish_views.clip_finish, name="clip_finish"),
    path("clips/<int:clip_id>/framing", framing_views.clip_framing, name="clip_framing"),
    path("presets/", finish_views.presets, name="presets"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("media/<path:relpath>", media.media, name="media"),
    path("healthz", views.healthz, name="healthz"),
]
