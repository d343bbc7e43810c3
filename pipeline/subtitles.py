"""Subtitles for one clip from word timestamps: ASS (burned in, three style presets), SRT and VTT.

Words are grouped into cues of at most two lines of at most 42 characters (fewer when the style's
font would not fit the frame width); cue times are clip-relative seconds. Text is user-editable,
so ASS override characters are escaped and always render literally.
"""

from dataclasses import dataclass
from pathlib import Path

from .schemas import Word

MAX_LINE_CHARS = 42
MAX_LINES = 2
MAX_GAP_S = 1.0  # a pause this long starts a new cue
MAX_CUE_S = 6.0
LINGER_S = 0.4  # a cue stays this much after its last word, unless the next one starts
SENTENCE_ENDS = (".", "!", "?", "…", "。", "！", "？", "؟")
WORD_JOINER = "\u2060"


@dataclass(frozen=True)
class StylePreset:
    font_scale: float  # font size as a fraction of min(frame width, height)
    bold: bool
    primary: str  # ASS colour &HAABBGGRR
    outline: str
    outline_scale: float  # outline width as a fraction of the font size
    highlight: str = ""  # karaoke: colour of the word being spoken
    char_width_em: float = 0.6  # average character width of DejaVu Sans, for line lengths


PRESETS = {
    "clean": StylePreset(0.055, False, "&H00FFFFFF", "&H00000000", 0.07),
    "bold": StylePreset(0.075, True, "&H0000FFFF", "&H00000000", 0.1, char_width_em=0.68),
    "karaoke": StylePreset(0.06, True, "&H00FFFFFF", "&H00000000", 0.08, highlight="&H0000E5FF", char_width_em=0.68),
}


@dataclass(frozen=True)
class CueWord:
    text: str
    start_s: float  # clip-relative
    end_s: float


@dataclass(frozen=True)
class Cue:
    start_s: float  # clip-relative
    end_s: float
    lines: tuple[tuple[CueWord, ...], ...]

    @property
    def words(self) -> tuple[CueWord, ...]:
        return tuple(word for line in self.lines for word in line)

    def text(self, line_break: str = "\n") -> str:
        return line_break.join(" ".join(word.text for word in line) for line in self.lines)


def clip_words(words: list[Word], start_s: float, end_s: float) -> list[CueWord]:
    """The words spoken within start_s..end_s (source seconds), with clip-relative times.

    A word cut by a clip edge is kept when its middle is inside the clip.
    """
    duration_s = end_s - start_s
    selected = []
    for word in words:
        text = " ".join(word.text.split())
        if not text or not start_s <= (word.start + word.end) / 2 < end_s:
            continue
        start = max(0.0, word.start - start_s)
        selected.append(CueWord(text, start, max(start, min(duration_s, word.end - start_s))))
    return selected


def line_chars(style: str, width: int, height: int) -> int:
    """How many characters fit on one line for `style` in a width x height frame (at most 42)."""
    preset = PRESETS[style]
    font_px = preset.font_scale * min(width, height)
    return max(8, min(MAX_LINE_CHARS, int(0.9 * width / (preset.char_width_em * font_px))))


def group_cues(words: list[CueWord], max_chars: int = MAX_LINE_CHARS, max_lines: int = MAX_LINES) -> list[Cue]:
    """Cues of at most `max_lines` lines of at most `max_chars` characters.

    A cue ends at a sentence end, a pause of MAX_GAP_S or after MAX_CUE_S. A word longer than a
    line is cut into line-long pieces.
    """
    pieces = []
    for word in words:
        if len(word.text) <= max_chars:
            pieces.append(word)
        else:
            pieces += [
                CueWord(word.text[i : i + max_chars], word.start_s, word.end_s)
                for i in range(0, len(word.text), max_chars)
            ]
    cues: list[list[list[CueWord]]] = []
    lines: list[list[CueWord]] = []
    previous = None
    for word in pieces:
        new_cue = (
            not lines
            or word.start_s - previous.end_s > MAX_GAP_S
            or previous.text.endswith(SENTENCE_ENDS)
            or word.end_s - lines[0][0].start_s > MAX_CUE_S
        )
        if not new_cue:
            line = lines[-1]
            if len(" ".join(w.text for w in line + [word])) <= max_chars:
                line.append(word)
            elif len(lines) < max_lines:
                lines.append([word])
            else:
                new_cue = True
        if new_cue:
            lines = [[word]]
            cues.append(lines)
        previous = word
    result = []
    for i, cue_lines in enumerate(cues):
        start_s = cue_lines[0][0].start_s
        end_s = cue_lines[-1][-1].end_s + LINGER_S
        if i + 1 < len(cues):
            end_s = min(end_s, cues[i + 1][0][0].start_s)
        end_s = max(end_s, start_s + 0.1)
        result.append(Cue(start_s, end_s, tuple(tuple(line) for line in cue_lines)))
    return result


def ass_escape(text: str) -> str:
    """Make user text render literally in ASS: no override blocks, no \\N line breaks."""
    # libass reads "\{" and "\}" as literal braces; a word joiner after a backslash keeps
    # "\N", "\n" and "\h" from being read as breaks or hard spaces.
    return text.replace("\\", "\\" + WORD_JOINER).replace("{", "\\{").replace("}", "\\}")


def _ass_time(seconds: float) -> str:
    centiseconds = max(0, round(seconds * 100))
    h, rest = divmod(centiseconds, 360000)
    m, rest = divmod(rest, 6000)
    s, cs = divmod(rest, 100)
    return f"{h}:{m:02d}:{s:02d}.{cs:02d}"


def _srt_time(seconds: float, separator: str = ",") -> str:
    milliseconds = max(0, round(seconds * 1000))
    h, rest = divmod(milliseconds, 3600000)
    m, rest = divmod(rest, 60000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{separator}{ms:03d}"


def ass_document(cues: list[Cue], style: str, width: int, height: int) -> str:
    """A complete ASS script for a width x height video (PlayRes = frame size)."""
    preset = PRESETS[style]
    font_px = round(preset.font_scale * min(width, height))
    outline_px = max(1.0, round(preset.outline_scale * font_px, 1))
    margin_v = round(height * (0.16 if height > width else 0.07))
    margin_h = round(width * 0.05)
    header = f"""[Script Info]
ScriptType: v4.00+
PlayResX: {width}
PlayResY: {height}
WrapStyle: 0
ScaledBorderAndShadow: yes

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Caption,DejaVu Sans,{font_px},{preset.primary},{preset.primary},{preset.outline},&H80000000,{-1 if preset.bold else 0},0,0,0,100,100,0,0,1,{outline_px},{round(outline_px / 2, 1)},2,{margin_h},{margin_h},{margin_v},1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
"""
    events = []
    for cue in cues:
        if not preset.highlight:
            text = "\\N".join(ass_escape(" ".join(w.text for w in line)) for line in cue.lines)
            events.append(f"Dialogue: 0,{_ass_time(cue.start_s)},{_ass_time(cue.end_s)},Caption,,0,0,0,,{text}")
            continue
        words = cue.words
        for i, spoken in enumerate(words):  # one event per word, that word highlighted
            start_s = cue.start_s if i == 0 else spoken.start_s
            end_s = cue.end_s if i + 1 == len(words) else words[i + 1].start_s
            if end_s <= start_s:
                continue
            text = "\\N".join(
                " ".join(
                    f"{{\\c{preset.highlight}}}{ass_escape(w.text)}{{\\r}}" if w is spoken else ass_escape(w.text)
                    for w in line
                )
                for line in cue.lines
            )
            events.append(f"Dialogue: 0,{_ass_time(start_s)},{_ass_time(end_s)},Caption,,0,0,0,,{text}")
    return header + "\n".join(events) + "\n"


def srt_document(cues: list[Cue]) -> str:
    blocks = [f"{i}\n{_srt_time(c.start_s)} --> {_srt_time(c.end_s)}\n{c.text()}\n" for i, c in enumerate(cues, 1)]
    return "\n".join(blocks)


def vtt_document(cues: list[Cue]) -> str:
    def escape(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    blocks = [f"{_srt_time(c.start_s, '.')} --> {_srt_time(c.end_s, '.')}\n{escape(c.text())}\n" for c in cues]
    return "WEBVTT\n\n" + "\n".join(blocks)


def write_text(path: Path, text: str) -> None:
    """Write UTF-8 text atomically (temporary file beside it, then rename)."""
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
