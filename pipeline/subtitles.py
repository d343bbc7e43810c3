"""Subtitles for one clip from word timestamps: ASS (burned in, drawn as a CaptionStyle), SRT and VTT.

Words are grouped into cues of at most two lines of at most 42 characters (fewer when the style's
font would not fit the frame width); cue times are clip-relative seconds. Text is user-editable,
so ASS override characters are escaped and always render literally.
"""

from dataclasses import dataclass

from . import atomic
from .schemas import BUILTIN_CAPTION_STYLES, CaptionStyle, Word
from .word_range import words_inside

MAX_LINE_CHARS = 42
MAX_LINES = 2
MAX_GAP_S = 1.0  # a pause this long starts a new cue
MAX_CUE_S = 6.0
LINGER_S = 0.4  # a cue stays this much after its last word, unless the next one starts
SENTENCE_ENDS = (".", "!", "?", "…", "。", "！", "？", "؟")
WORD_JOINER = "\u2060"


# Average character width of each font in em (bold, upper-case text is wider), for line lengths.
CHAR_WIDTH_EM = {
    "DejaVu Sans": 0.6,
    "Roboto": 0.55,
    "Open Sans": 0.57,
    "Inter": 0.58,
    "League Spartan": 0.6,
    "Bebas Neue": 0.42,  # condensed capitals
}
BOLD_WIDTH = 1.13
UPPERCASE_WIDTH = 1.15
HOOK_SCALE = 1.2  # the hook title's font size relative to the captions'
HOOK_TOP_PCT = 9  # its top edge, % of the frame height below the top
PRESETS = BUILTIN_CAPTION_STYLES  # the subtitle_style names


def resolve_style(style: "CaptionStyle | str") -> CaptionStyle:
    """A CaptionStyle from a style or a built-in style name ("clean", "bold", "karaoke")."""
    return style if isinstance(style, CaptionStyle) else BUILTIN_CAPTION_STYLES[style]


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

    A word cut by a clip edge is kept when its middle is inside the clip (pipeline.word_range).
    """
    duration_s = end_s - start_s
    selected = []
    for word in words_inside(words, start_s, end_s):
        text = " ".join(word.text.split())
        if not text:
            continue
        start = max(0.0, word.start - start_s)
        selected.append(CueWord(text, start, max(start, min(duration_s, word.end - start_s))))
    return selected


def font_px(style: CaptionStyle, width: int, height: int) -> float:
    return style.size_pct / 100 * min(width, height)


def line_chars(style: "CaptionStyle | str", width: int, height: int) -> int:
    """How many characters fit on one line for `style` in a width x height frame (at most 42)."""
    style = resolve_style(style)
    char_em = (
        CHAR_WIDTH_EM[style.font] * (BOLD_WIDTH if style.bold else 1) * (UPPERCASE_WIDTH if style.uppercase else 1)
    )
    return max(8, min(MAX_LINE_CHARS, int(0.9 * width / (char_em * font_px(style, width, height)))))


def style_cues(words: list[CueWord], style: "CaptionStyle | str", width: int, height: int) -> list["Cue"]:
    """Cues laid out for `style` in a width x height frame (line length, words per line, lines)."""
    style = resolve_style(style)
    return group_cues(words, line_chars(style, width, height), style.lines_per_cue, style.words_per_line)


def group_cues(
    words: list[CueWord], max_chars: int = MAX_LINE_CHARS, max_lines: int = MAX_LINES, max_words: int = 0
) -> list[Cue]:
    """Cues of at most `max_lines` lines of at most `max_chars` characters (and at most
    `max_words` words, when not 0).

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
            fits_words = not max_words or len(line) < max_words
            if fits_words and len(" ".join(w.text for w in line + [word])) <= max_chars:
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


def ass_colour(hex_colour: str, opacity: float = 1.0) -> str:
    """'#RRGGBB' (+ opacity 0..1) as an ASS colour &HAABBGGRR (AA 00 = opaque)."""
    r, g, b = hex_colour[1:3], hex_colour[3:5], hex_colour[5:7]
    alpha = round((1 - opacity) * 255)
    return f"&H{alpha:02X}{b}{g}{r}".upper()


def ass_document(cues: list[Cue], style: "CaptionStyle | str", width: int, height: int, *, hook_text: str = "") -> str:
    """A complete ASS script for a width x height video (PlayRes = frame size).

    `hook_text` is shown as a title at the top for the style's first hook_s seconds when the
    style has hook_title on.
    """
    style = resolve_style(style)
    size_px = font_px(style, width, height)
    font_size = round(size_px)
    outline_px = round(style.outline_pct / 100 * size_px, 1)
    shadow_px = round(style.shadow_pct / 100 * size_px, 1)
    margin_v = round(height * style.bottom_pct / 100)
    margin_h = round(width * 0.05)
    bold = -1 if style.bold else 0
    primary = ass_colour(style.text_colour)
    shadow = ass_colour(style.shadow_colour, 0.5)
    # libass BorderStyle 4 draws a box (in BackColour, padded by the outline width) behind
    # each line and keeps the outline; 1 is outline + shadow only.
    if style.box:
        border_style, back = 4, ass_colour(style.box_colour, style.box_opacity)
        box_pad_px = max(outline_px, round(0.15 * size_px, 1))
    else:
        border_style, back, box_pad_px = 1, shadow, outline_px
    caption_style = (
        f"Style: Caption,{style.font},{font_size},{primary},{primary},{ass_colour(style.outline_colour)},{back},"
        f"{bold},0,0,0,100,100,0,0,{border_style},{box_pad_px if style.box else outline_px},{shadow_px},2,"
        f"{margin_h},{margin_h},{margin_v},1"
    )
    hook_px = round(size_px * HOOK_SCALE)
    hook_style = (
        f"Style: Hook,{style.font},{hook_px},{primary},{primary},{ass_colour(style.outline_colour)},"
        f"{ass_colour(style.box_colour, max(style.box_opacity, 0.6))},-1,0,0,0,100,100,0,0,4,"
        f"{round(0.2 * hook_px, 1)},0,8,{margin_h},{margin_h},{round(height * HOOK_TOP_PCT / 100)},1"
    )
    header = f"""[Script Info]
ScriptType: v4.00+
PlayResX: {width}
PlayResY: {height}
WrapStyle: 0
ScaledBorderAndShadow: yes

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
{caption_style}
{hook_style}

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
"""

    def shown(text: str) -> str:
        return ass_escape(text.upper() if style.uppercase else text)

    events = []
    hook_text = " ".join(hook_text.split())
    if style.hook_title and hook_text:
        events.append(f"Dialogue: 1,{_ass_time(0)},{_ass_time(style.hook_s)},Hook,,0,0,0,,{shown(hook_text)}")
    highlight = ass_colour(style.highlight_colour)
    for cue in cues:
        if not style.karaoke:
            text = "\\N".join(shown(" ".join(w.text for w in line)) for line in cue.lines)
            events.append(f"Dialogue: 0,{_ass_time(cue.start_s)},{_ass_time(cue.end_s)},Caption,,0,0,0,,{text}")
            continue
        words = cue.words
        for i, spoken in enumerate(words):  # one event per word, that word highlighted
            start_s = cue.start_s if i == 0 else spoken.start_s
            end_s = cue.end_s if i + 1 == len(words) else words[i + 1].start_s
            if end_s <= start_s:
                continue
            text = "\\N".join(
                " ".join(f"{{\\c{highlight}}}{shown(w.text)}{{\\r}}" if w is spoken else shown(w.text) for w in line)
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


write_text = atomic.write_text  # subtitles are written whole or not at all
