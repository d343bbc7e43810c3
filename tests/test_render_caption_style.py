"""The caption style model and its ASS form (no video): every option reaches the script."""

import pytest
from pydantic import ValidationError

from pipeline.schemas import BUILTIN_CAPTION_STYLES, CAPTION_FONTS, CaptionStyle, PipelineOptions, Word
from pipeline.subtitles import ass_colour, ass_document, clip_words, style_cues

WORDS = [
    Word(text=w, start=i * 0.3, end=i * 0.3 + 0.25)
    for i, w in enumerate("one two three four five six seven eight nine ten".split())
]


def ass_for(style: CaptionStyle, hook: str = "Hook title") -> str:
    return ass_document(style_cues(clip_words(WORDS, 0, 10), style, 540, 960), style, 540, 960, hook_text=hook)


def dialogue(document: str) -> list[str]:
    return [line for line in document.splitlines() if line.startswith("Dialogue")]


def test_colours_are_written_as_ass_blue_green_red_with_alpha():
    assert ass_colour("#FFE500") == "&H0000E5FF"
    assert ass_colour("#102030", 0.0) == "&HFF302010"


def test_hostile_or_unknown_values_are_refused():
    for bad in ({"text_colour": "red"}, {"text_colour": "#FFF;}"}, {"font": "Comic Sans"}, {"size_pct": 99},
                {"lines_per_cue": 0}, {"unknown": 1}):  # fmt: skip
        with pytest.raises(ValidationError):
            CaptionStyle(**bad)
    assert len(CAPTION_FONTS) >= 5


@pytest.mark.parametrize(
    "change",
    [
        {"font": "Roboto"},
        {"bold": True},
        {"size_pct": 8},
        {"text_colour": "#00FF00"},
        {"outline_pct": 0},
        {"outline_colour": "#FF0000"},
        {"shadow_pct": 0},
        {"shadow_colour": "#FF0000"},
        {"box": True},
        {"bottom_pct": 40},
        {"uppercase": True},
        {"words_per_line": 2},
        {"lines_per_cue": 1},
        {"karaoke": True},
        {"hook_title": True},
    ],
)
def test_every_option_changes_the_script(change):
    assert ass_for(CaptionStyle(**change)) != ass_for(CaptionStyle())


def test_words_per_line_and_lines_per_cue_shape_the_cues():
    cues = style_cues(clip_words(WORDS, 0, 10), CaptionStyle(words_per_line=2, lines_per_cue=1), 540, 960)
    assert [c.text(" ") for c in cues] == ["one two", "three four", "five six", "seven eight", "nine ten"]
    cues = style_cues(clip_words(WORDS, 0, 10), CaptionStyle(words_per_line=2, lines_per_cue=3), 540, 960)
    assert [c.text("|") for c in cues] == ["one two|three four|five six", "seven eight|nine ten"]
    one_line = style_cues(clip_words(WORDS, 0, 10), CaptionStyle(lines_per_cue=1), 540, 960)
    assert all(len(c.lines) == 1 for c in one_line) and len(one_line) >= 2


def test_karaoke_and_highlight_colour_and_uppercase():
    events = dialogue(ass_for(CaptionStyle(karaoke=True, highlight_colour="#00FF00", uppercase=True), hook=""))
    assert len(events) == 10 and "{\\c&H0000FF00}TWO{\\r}" in events[1]


def test_the_hook_title_is_shown_only_for_its_seconds_and_escaped():
    events = dialogue(ass_for(CaptionStyle(hook_title=True, hook_s=2.5), hook="{\\pos(1,1)}Why?"))
    hook = [e for e in events if ",Hook," in e]
    assert len(hook) == 1 and hook[0].startswith("Dialogue: 1,0:00:00.00,0:00:02.50,Hook")
    assert "{\\pos" not in hook[0]
    assert not [e for e in dialogue(ass_for(CaptionStyle(hook_title=False))) if ",Hook," in e]


def test_pipeline_options_pick_the_look():
    assert PipelineOptions().captions() == BUILTIN_CAPTION_STYLES["clean"]
    assert PipelineOptions(subtitle_style="karaoke").captions().karaoke
    custom = CaptionStyle(font="Inter")
    assert PipelineOptions(caption_style=custom).captions() == custom
    assert PipelineOptions(subtitle_style="none", caption_style=custom).captions() is None
