"""Subtitle cues, escaping and file formats (no video)."""

from pipeline.schemas import Word
from pipeline.subtitles import (
    MAX_LINE_CHARS,
    ass_document,
    ass_escape,
    clip_words,
    group_cues,
    line_chars,
    srt_document,
    vtt_document,
)


def spoken(text: str, start_s: float = 10.0, step_s: float = 0.3) -> list[Word]:
    return [
        Word(text=w, start=start_s + i * step_s, end=start_s + i * step_s + 0.25) for i, w in enumerate(text.split())
    ]


LONG_TALK = spoken(
    "Roasting turns those green beans brown and creates the aroma we love while a dark roast "
    "tastes bitter and smoky and espresso pushes hot water through finely ground coffee under "
    "pressure so a good espresso has a thick golden crema on top"
)


def test_cues_have_at_most_two_lines_of_at_most_42_characters():
    cues = group_cues(clip_words(LONG_TALK, 10.0, 30.0))
    assert len(cues) >= 3
    for cue in cues:
        assert 1 <= len(cue.lines) <= 2
        assert all(len(" ".join(w.text for w in line)) <= MAX_LINE_CHARS for line in cue.lines)
    assert " ".join(w.text for c in cues for w in c.words) == " ".join(w.text for w in LONG_TALK)
    assert all(a.end_s <= b.start_s for a, b in zip(cues, cues[1:]))


def test_a_narrow_frame_or_big_font_gets_shorter_lines():
    assert line_chars("clean", 1920, 1080) == 42
    assert line_chars("bold", 540, 960) < line_chars("clean", 540, 960) < 42
    for cue in group_cues(clip_words(LONG_TALK, 10.0, 30.0), line_chars("bold", 540, 960)):
        assert all(len(" ".join(w.text for w in line)) <= line_chars("bold", 540, 960) for line in cue.lines)


def test_times_are_clip_relative_and_clipped_to_the_clip():
    words = clip_words(spoken("one two three four five"), 10.4, 11.0)
    assert [w.text for w in words] == ["two", "three"]
    assert words[0].start_s == 0.0 and abs(words[0].end_s - 0.15) < 1e-9
    assert abs(words[-1].start_s - 0.2) < 1e-9 and abs(words[-1].end_s - 0.45) < 1e-9


def test_sentence_ends_and_pauses_start_new_cues():
    words = spoken("First sentence here. Second one") + spoken("after pause", start_s=20.0)
    cues = group_cues(clip_words(words, 0, 30))
    assert [c.text(" ") for c in cues] == ["First sentence here.", "Second one", "after pause"]


def test_a_long_word_is_cut_into_line_long_pieces():
    cues = group_cues(clip_words(spoken("x" * 100 + " end"), 0, 30), max_chars=30)
    lines = [" ".join(w.text for w in line) for cue in cues for line in cue.lines]
    assert all(len(line) <= 30 for line in lines) and "".join(lines).startswith("x" * 100)


def test_right_to_left_text_keeps_its_order_and_limits():
    hebrew = spoken("שלום לכולם וברוכים הבאים להרצאה על קפה ועל חלל ועל כסף ועל הים")
    cues = group_cues(clip_words(hebrew, 0, 30), max_chars=20)
    assert " ".join(c.text(" ") for c in cues) == " ".join(w.text for w in hebrew)
    assert all(len(" ".join(w.text for w in line)) <= 20 for c in cues for line in c.lines)
    assert "שלום לכולם" in ass_document(cues, "clean", 540, 960)


def test_ass_override_characters_in_user_text_are_escaped():
    assert ass_escape("a{\\fs400}b") == "a\\{\\\u2060fs400\\}b"
    assert "\\N" not in ass_escape("line\\Nbreak")
    document = ass_document(group_cues(clip_words(spoken("{\\b1}bold?"), 0, 30)), "clean", 540, 960)
    assert "{\\b1}" not in document and "\\{" in document


def test_karaoke_has_one_event_per_word_with_that_word_highlighted():
    cues = group_cues(clip_words(spoken("one two three."), 0, 30))
    events = [line for line in ass_document(cues, "karaoke", 1080, 1920).splitlines() if line.startswith("Dialogue")]
    assert len(events) == 3
    assert events[1].endswith(",,one {\\c&H0000E5FF}two{\\r} three.")


def test_srt_and_vtt_documents():
    cues = group_cues(clip_words(spoken("Fish & <chips> tonight.", start_s=61.0), 60.0, 70.0))
    srt = srt_document(cues)
    assert srt.startswith("1\n00:00:01,000 --> 00:00:02,") and "Fish & <chips> tonight." in srt
    vtt = vtt_document(cues)
    assert vtt.startswith("WEBVTT\n\n00:00:01.000 --> ") and "Fish &amp; &lt;chips&gt;" in vtt
