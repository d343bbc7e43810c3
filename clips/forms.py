"""Forms: the new-video options, caption edits, clip bounds and the clip filters."""

import os
import re

from django import forms
from django.conf import settings
from django.core.validators import FileExtensionValidator

from pipeline.errors import InputError
from pipeline.fetch import check_url
from pipeline.schemas import CAPTION_FONTS, CaptionStyle

from . import choices
from .models import CaptionPreset, Clip, Copy, Video
from .review import parse_hashtags
from .uploads import VIDEO_EXTENSIONS, stored_name

FIELD_TEMPLATE = "forms/field.html"


class VideoForm(forms.ModelForm):
    upload = forms.FileField(
        required=False,
        label="Video file",
        validators=[
            FileExtensionValidator(
                VIDEO_EXTENSIONS, message="“%(extension)s” is not a video file type. Allowed: %(allowed_extensions)s."
            )
        ],
    )
    url = forms.URLField(required=False, label="…or a video URL", assume_scheme="https")

    class Meta:
        model = Video
        fields = [
            "title",
            "language",
            "clip_preset",
            "min_clip_s",
            "max_clip_s",
            "aspect",
            "subtitle_style",
            "caption_preset",
            "copy_provider",
            "copy_model",
        ]
        labels = {
            "caption_preset": "Caption preset",
            "clip_preset": "Clip length",
            "min_clip_s": "Custom minimum (s)",
            "max_clip_s": "Custom maximum (s)",
            "aspect": "Aspect ratio",
            "copy_provider": "Copy writer",
            "copy_model": "Model",
            "language": "Language",
            "subtitle_style": "Subtitles",
            "title": "Title",
        }
        help_texts = {"language": "", "copy_provider": ""}  # the blank choice says it

    def __init__(self, *args, upload_refused: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.upload_refused = upload_refused  # set by clips.uploads when it stopped the request
        self.fields["title"].widget.attrs["placeholder"] = "Optional: taken from the file or page"
        for name in ("min_clip_s", "max_clip_s"):
            self.fields[name].required = False
        presets = self.fields["caption_preset"]
        presets.empty_label = "None: the subtitle style's look"
        presets.initial = CaptionPreset.objects.filter(is_default=True).values_list("pk", flat=True).first()
        for field in self.fields.values():  # {{ form.x.as_field_group }}: label, widget, errors
            field.template_name = FIELD_TEMPLATE

    def clean(self):
        data = super().clean()
        if self.upload_refused:
            raise forms.ValidationError(self.upload_refused)
        upload, url = data.get("upload"), data.get("url")
        if self.has_error("upload"):
            return data
        if bool(upload) == bool(url):
            raise forms.ValidationError("Choose a video file or give a URL (one of the two).")
        if url:
            try:  # refuse private addresses and other schemes before anything is queued
                check_url(
                    url,
                    allow_private=settings.CLIPER["ALLOW_PRIVATE_URLS"],
                    blocked_networks=settings.CLIPER["BLOCKED_NETWORKS"],
                )
            except InputError as exc:
                self.add_error("url", str(exc))
        if upload and upload.size > settings.CLIPER["MAX_UPLOAD_BYTES"]:
            limit_gb = settings.CLIPER["MAX_UPLOAD_BYTES"] / 1024**3
            self.add_error("upload", f"The file is larger than the {limit_gb:.1f} GB limit.")
        if upload and not self.has_error("upload"):
            # The uploader's name becomes the title, never a name on our disk.
            if not data.get("title"):
                data["title"] = os.path.splitext(os.path.basename(upload.name))[0][:300]
            upload.name = stored_name(upload.name)
        if data.get("clip_preset") == Video.CUSTOM_PRESET:
            low, high = data.get("min_clip_s"), data.get("max_clip_s")
            if not low or not high or low < 5 or high <= low:
                self.add_error("max_clip_s", "Give a minimum of at least 5 s and a larger maximum.")
        else:
            data["min_clip_s"], data["max_clip_s"] = Video.PRESET_BOUNDS_S.get(data.get("clip_preset"), (30, 90))
        return data

    def clean_copy_model(self):
        # Picked from the server's /v1/models list; it travels to that server as a JSON string,
        # so only the characters model names use (Ollama 'qwen2.5:3b', paths 'org/model.gguf').
        name = self.cleaned_data.get("copy_model", "").strip()
        if name and not re.fullmatch(r"[\w.:/@+-]{1,200}", name):
            raise forms.ValidationError("Pick one of the models the server lists.")
        return name

    def video_fields(self) -> dict:
        fields = {name: self.cleaned_data[name] for name in self.Meta.fields}
        preset = fields["caption_preset"]
        fields["caption_style"] = dict(preset.style) if preset else {}  # a copy: later preset edits stay out
        return fields


class CopyForm(forms.Form):
    """One card's caption editor; many on a page, so no ids (labels wrap their inputs)."""

    title = forms.CharField(
        max_length=70,
        required=False,
        strip=True,
        label="Title",
        help_text="(Shorts / reels, at most 70 characters)",
        widget=forms.TextInput(attrs={"class": "title-input"}),
    )
    text = forms.CharField(
        label="Caption", widget=forms.Textarea(attrs={"rows": 5, "class": "caption-input"}), required=False, strip=True
    )
    hashtags = forms.CharField(
        label="Hashtags", required=False, widget=forms.TextInput(attrs={"class": "hashtags-input"})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, auto_id=False, **kwargs)
        for field in self.fields.values():
            field.template_name = FIELD_TEMPLATE

    @classmethod
    def for_copy(cls, copy: Copy | None):
        if copy is None:
            return cls(initial={"title": "", "text": "", "hashtags": "", "version": 1})
        initial = {"title": copy.title, "text": copy.text, "hashtags": " ".join(copy.hashtags), "version": copy.version}
        return cls(initial=initial)

    def hashtag_list(self) -> list[str]:
        return parse_hashtags(self.cleaned_data.get("hashtags", ""))


class BoundsForm(forms.Form):
    start_s = forms.FloatField(min_value=0, label="Start (s)", widget=forms.NumberInput(attrs={"step": "0.1"}))
    end_s = forms.FloatField(min_value=0, label="End (s)", widget=forms.NumberInput(attrs={"step": "0.1"}))

    def __init__(self, *args, clip: Clip | None = None, **kwargs):
        if clip is not None and not args and "data" not in kwargs:  # unbound: the clip's bounds
            kwargs.setdefault("initial", {"start_s": round(clip.start_s, 2), "end_s": round(clip.end_s, 2)})
        super().__init__(*args, auto_id=False, **kwargs)
        self.clip = clip
        for field in self.fields.values():
            field.template_name = FIELD_TEMPLATE

    def clean(self):
        data = super().clean()
        start_s, end_s = data.get("start_s"), data.get("end_s")
        if start_s is not None and end_s is not None:
            if end_s - start_s < 1:
                raise forms.ValidationError("The end must be at least one second after the start.")
            duration = self.clip.video.duration_s if self.clip else None
            if duration and end_s > duration + 0.5:
                self.add_error("end_s", f"The video is only {duration:.1f} s long.")
        return data


class ClipFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any status"), *Clip.Status.choices], required=False)
    style = forms.ChoiceField(choices=[("", "Any style"), *Copy.Style.choices], required=False)
    min_score = forms.FloatField(required=False, min_value=0, max_value=100, label="Min. score (%)")
    sort = forms.ChoiceField(
        choices=[
            ("position", "In video order"),
            ("score", "Best score first"),
            ("start", "Start time"),
            ("duration", "Shortest first"),
        ],
        required=False,
    )

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        min_score = data.get("min_score")
        return {
            "status": data.get("status") or "",
            "style": data.get("style") or "",
            "min_score": min_score / 100 if min_score is not None else None,
            "sort": data.get("sort") or "position",
        }


# --- finishing: caption style, brand presets, a clip's hook title and trimming ---------------

CAPTION_LABELS = {
    "font": "Font",
    "bold": "Bold",
    "size_pct": "Size (% of width)",
    "text_colour": "Text colour",
    "karaoke": "Highlight the spoken word",
    "highlight_colour": "Highlight colour",
    "outline_pct": "Outline (% of size)",
    "outline_colour": "Outline colour",
    "shadow_pct": "Shadow (% of size)",
    "shadow_colour": "Shadow colour",
    "box": "Background box",
    "box_colour": "Box colour",
    "box_opacity": "Box opacity",
    "bottom_pct": "Height above the bottom (%)",
    "uppercase": "Upper-case",
    "words_per_line": "Words per line (0 = as many as fit)",
    "lines_per_cue": "Lines per caption",
    "hook_title": "Hook title at the start",
    "hook_s": "Hook title seconds",
}


def _caption_field(name: str, info) -> forms.Field:
    """A form field for one CaptionStyle field: choices, bounds and default come from the model,
    so the rules live in one place (pipeline/schemas.py)."""
    bounds = {type(m).__name__: m for m in info.metadata}
    low = getattr(bounds.get("Ge"), "ge", None)
    high = getattr(bounds.get("Le"), "le", None)
    common = {"label": CAPTION_LABELS.get(name, name), "initial": info.default}
    if info.annotation is bool:
        return forms.BooleanField(required=False, **common)
    if name == "font":
        return forms.ChoiceField(choices=[(f, f) for f in CAPTION_FONTS], **common)
    if name.endswith("_colour"):
        return forms.RegexField(regex=r"^#[0-9A-Fa-f]{6}$", widget=forms.TextInput(attrs={"type": "color"}), **common)
    if info.annotation is int:
        return forms.IntegerField(min_value=low, max_value=high, **common)
    step = "0.05" if high is not None and high <= 1 else "0.5"
    return forms.FloatField(min_value=low, max_value=high, widget=forms.NumberInput(attrs={"step": step}), **common)


class CaptionStyleForm(forms.Form):
    """Every CaptionStyle option, plus the video's silence trimming."""

    trim_silence = forms.BooleanField(required=False, label="Trim pauses in the finals")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, info in CaptionStyle.model_fields.items():
            self.fields[name] = _caption_field(name, info)

    @classmethod
    def for_video(cls, video, style: CaptionStyle):
        return cls(initial={**style.model_dump(), "trim_silence": video.trim_silence})

    def caption_style(self) -> CaptionStyle:
        data = {name: self.cleaned_data[name] for name in CaptionStyle.model_fields}
        return CaptionStyle.model_validate(data)

    def style_fields(self):
        return [self[name] for name in CaptionStyle.model_fields]


class PresetForm(forms.Form):
    name = forms.CharField(max_length=80, label="Preset name", strip=True)
    make_default = forms.BooleanField(required=False, label="Make it the team default")


class ClipFinishForm(forms.Form):
    hook_title = forms.CharField(max_length=200, required=False, strip=True, label="Hook title")
    trim_silence = forms.TypedChoiceField(
        choices=[("", "As the video"), ("on", "Trim pauses"), ("off", "Keep pauses")],
        coerce=lambda v: {"on": True, "off": False}.get(v),
        empty_value=None,
        required=False,
        label="Pauses",
    )


class ClipFramingForm(forms.Form):
    """The reviewer's framing override: a layout, or a person (face track) to follow."""

    layout = forms.ChoiceField(choices=choices.LAYOUTS, label="Layout")
    follow_face = forms.TypedChoiceField(coerce=int, empty_value=None, required=False, label="Follow")

    def __init__(self, *args, face_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["follow_face"].choices = [("", "Nobody in particular"), *((i, f"Person {i + 1}") for i in face_ids)]

    def clean(self):
        data = super().clean()
        if data.get("follow_face") is not None:
            data["layout"] = "single"  # following one person is the one-face layout
        return data
