"""Choice lists for models and forms, built from the pipeline's Literal types (pipeline.schemas),
so a value is added in one place. Only the labels people read live here."""

from pipeline.schemas import Aspect, ClipPreset, Language, LayoutChoice, Provider, Strategy, SubtitleStyle, values

LABELS = {
    "keep_in_frame": "Keep in frame",
    "centered": "Centered",
    "none": "No subtitles",
    "short": "Short (30–60 s)",
    "medium": "Medium (30–90 s)",
    "long": "Long (60–180 s)",
    "local": "Local draft (offline)",
    "gemini": "Gemini",
    "openai": "Local model server (OpenAI-compatible)",
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "de": "German",
    "pt": "Portuguese",
    "it": "Italian",
    "nl": "Dutch",
    "auto": "Automatic",
    "single": "Follow one face",
    "speaker": "Cut to the speaker",
    "split": "Split: both, stacked",
    "fit": "Whole picture (fit)",
}


def choices(literal, blank: str = "") -> list[tuple[str, str]]:
    """(value, label) pairs of a Literal type; `blank` labels a leading "" choice when given."""
    pairs = [(value, LABELS.get(value, value.capitalize())) for value in values(literal)]
    return [("", blank), *pairs] if blank else pairs


ASPECTS = choices(Aspect)
STRATEGIES = choices(Strategy)
SUBTITLE_STYLES = choices(SubtitleStyle)
CLIP_PRESETS = [*choices(ClipPreset), ("custom", "Custom")]
LANGUAGES = choices(Language, blank="Detect automatically")
PROVIDERS = choices(Provider, blank="Site default")
LAYOUTS = choices(LayoutChoice)
