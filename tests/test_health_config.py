"""Settings parsed once (pipeline.config), site defaults reaching every video, choices that validate."""

import pytest
from pydantic import ValidationError

from clips import services
from clips.forms import VideoForm
from clips.options import pipeline_options
from pipeline import caption_rules, config
from pipeline.copywriter import rules
from pipeline.schemas import Word
from pipeline.subtitles import clip_words
from pipeline.word_range import words_inside


def test_settings_come_from_cliper_variables(monkeypatch):
    monkeypatch.setenv("CLIPER_WHISPER_MODEL", "tiny.en")
    monkeypatch.setenv("CLIPER_MANDATORY_HASHTAGS", "#AICDMX, tech")
    monkeypatch.setenv("CLIPER_ALLOW_PRIVATE_URLS", "yes")
    monkeypatch.setenv("CLIPER_WHISPER_THREADS", "")  # empty = the default
    monkeypatch.setenv("CLIPER_MODELS_DIR", "/srv/models")
    monkeypatch.setenv("GOOGLE_API_KEY", "g-key")
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    monkeypatch.delenv("CLIPER_COPY_PROVIDER", raising=False)
    site = config.Settings()
    assert (site.whisper_model, site.mandatory_hashtags, site.allow_private_urls) == (
        "tiny.en",
        ["#AICDMX", "tech"],
        True,
    )
    assert site.whisper_threads == 0 and str(site.models_dir) == "/srv/models"
    options = config.pipeline_options(site, platform="x", language=None)
    assert (options.whisper_model, options.platform) == ("tiny.en", "x")
    assert options.gemini_api_key.get_secret_value() == "g-key"
    assert options.copy_provider == "gemini"  # a key and no provider chosen


def test_bad_settings_are_refused_when_read(monkeypatch):
    monkeypatch.setenv("CLIPER_PLATFORM", "myspace")
    with pytest.raises(ValidationError, match="platform"):
        config.Settings()
    monkeypatch.setenv("CLIPER_PLATFORM", "x")
    monkeypatch.setenv("CLIPER_RENDER_PARALLEL", "0")
    with pytest.raises(ValidationError, match="render_parallel"):
        config.Settings()


def test_the_site_whisper_model_reaches_uploaded_and_url_videos(editor, settings):
    settings.CLIPER = {**settings.CLIPER, "WHISPER_MODEL": "tiny.en"}
    video = services.video_create(owner=editor, source="url", url="https://example.com/talk", start=False)
    assert video.whisper_model == "" and pipeline_options(video).whisper_model == "tiny.en"
    chosen = services.video_create(
        owner=editor, source="url", url="https://example.com/talk", start=False, whisper_model="base"
    )
    assert pipeline_options(chosen).whisper_model == "base"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("language", "zz"),
        ("copy_provider", "bogus"),
        ("aspect", "4:3"),
        ("subtitle_style", "comic"),
        ("clip_preset", "huge"),
    ],
)
def test_choice_fields_refuse_values_outside_their_choices(db, field, value):
    data = {"url": "https://example.com/v", "clip_preset": "medium", "aspect": "9:16", "subtitle_style": "clean"}
    form = VideoForm(data={**data, field: value})
    assert not form.is_valid() and field in form.errors
    assert VideoForm(data={**data, "language": "es", "copy_provider": "local"}).is_valid()


def test_the_copy_stage_and_the_review_form_share_one_rule_set():
    assert rules.char_limit is caption_rules.char_limit and rules.merge_hashtags is caption_rules.merge_hashtags
    assert caption_rules.parse_hashtags("#a b, #A  c-d") == ["#a", "#b", "#cd"]
    problems = caption_rules.caption_problems("x" * 280, ["#t"], platform="x", mandatory=["brand"])
    assert problems == {
        "hashtags": "Mandatory hashtag missing: #brand",
        "text": "The caption is 284 characters with its hashtags; the x limit is 280.",
    }
    assert caption_rules.browser_rules(platform="youtube", mandatory=[])["limit"] == 100


def test_a_word_belongs_to_exactly_one_of_two_adjacent_ranges():
    words = [Word(text=t, start=s, end=e) for t, s, e in [("a", 0.0, 1.0), ("edge", 1.8, 2.4), ("b", 2.5, 3.0)]]
    first, second = words_inside(words, 0.0, 2.0), words_inside(words, 2.0, 4.0)
    assert [w.text for w in first] == ["a"] and [w.text for w in second] == ["edge", "b"]  # middle 2.1
    assert [w.text for w in clip_words(words, 2.0, 4.0)] == ["edge", "b"]  # subtitles agree


def test_chapters_put_every_word_in_one_chapter_in_one_pass(editor):
    from clips.models import Transcript, Video

    video = Video.objects.create(owner=editor, source="url", source_url="https://example.com/v")
    words = [{"text": f"w{i}", "start": i * 0.5, "end": i * 0.5 + 0.4} for i in range(20_000)]
    topics = [{"start": i * 100.0, "end": (i + 1) * 100.0, "title": ""} for i in range(100)]
    transcript = Transcript.objects.create(video=video, language="en", words=words, topics=topics[1:])
    chapters = transcript.chapters()
    assert len(chapters) == 99
    assert sum(len(c["text"].split()) for c in chapters) == len(words)  # none lost, none twice
    assert chapters[0]["text"].split()[0] == "w0" and chapters[-1]["text"].split()[-1] == "w19999"
    assert chapters[1]["title"] == "w400 w401 w402 w403 w404 w405…"
