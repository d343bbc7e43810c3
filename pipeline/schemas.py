"""What crosses a stage boundary. Each stage writes one of these as JSON into the work directory.

Times are seconds from the start of the source media unless a name says otherwise.
"""

from typing import Annotated, Literal, get_args

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, StringConstraints

Aspect = Literal["9:16", "1:1", "16:9"]
Strategy = Literal["keep_in_frame", "centered"]
SubtitleStyle = Literal["clean", "bold", "karaoke", "none"]
CopyStyle = Literal["viral", "educational", "storytelling"]
Provider = Literal["local", "gemini", "openai"]
Platform = Literal["tiktok", "instagram", "youtube", "x"]  # where the copy is posted (length limits)
Language = Literal["en", "es", "fr", "de", "pt", "it", "nl"]  # offered for a video; None = detect
ClipPreset = Literal["short", "medium", "long"]
CLIP_PRESETS_S: dict[ClipPreset, tuple[float, float]] = {
    "short": (30.0, 60.0),
    "medium": (30.0, 90.0),
    "long": (60.0, 180.0),
}
# A clip's position in clips.json. Files written before the rename call it clip_id.
ClipIndex = Annotated[int, Field(validation_alias=AliasChoices("clip_index", "clip_id"))]
# How a shot is framed (see pipeline/layouts.py): follow one face, cut to whoever speaks, two
# stacked halves, or the whole picture over a blurred copy. "auto" lets the analysis choose.
Layout = Literal["single", "speaker", "split", "fit"]
LayoutChoice = Literal["auto", "single", "speaker", "split", "fit"]


def values(literal) -> tuple[str, ...]:
    """The allowed values of one of the Literal types above (choice lists are built from these)."""
    return get_args(literal)


# --- caption style ------------------------------------------------------------------------------

# Fonts installed by scripts/setup.sh from Debian packages (fonts-dejavu-core, fonts-roboto-unhinted,
# fonts-open-sans, fonts-inter, fonts-league-spartan, fonts-bebas-neue); fontconfig family names.
CaptionFont = Literal["DejaVu Sans", "Roboto", "Open Sans", "Inter", "League Spartan", "Bebas Neue"]
CAPTION_FONTS: tuple[str, ...] = CaptionFont.__args__
HexColour = Annotated[str, StringConstraints(pattern=r"^#[0-9A-Fa-f]{6}$")]


class CaptionStyle(BaseModel):
    """How burned-in captions (and the optional hook title) look.

    Sizes are relative to the frame, so one style fits every output size (540x960 preview,
    1080x1920 final, other aspects) and a browser overlay can draw the same thing with CSS:
    font size = size_pct % of the frame's shorter side (CSS `cqmin`), outline and shadow as a %
    of the font size (CSS `em / 100`), the caption block's bottom edge `bottom_pct` % of the frame
    height above the bottom, centred, each line at most `words_per_line` words (0: as many as
    fit) and each cue at most `lines_per_cue` lines. Colours are #RRGGBB.
    """

    model_config = ConfigDict(extra="forbid")

    font: CaptionFont = "DejaVu Sans"
    bold: bool = False
    size_pct: float = Field(5.5, ge=2, le=15)
    text_colour: HexColour = "#FFFFFF"
    karaoke: bool = False  # the word being spoken is drawn in highlight_colour
    highlight_colour: HexColour = "#FFE500"
    outline_pct: float = Field(7, ge=0, le=30)  # 0 = no outline
    outline_colour: HexColour = "#000000"
    shadow_pct: float = Field(3.5, ge=0, le=30)  # offset down-right; 0 = no shadow
    shadow_colour: HexColour = "#000000"  # drawn at 50 % opacity
    box: bool = False  # a filled box behind each line
    box_colour: HexColour = "#000000"
    box_opacity: float = Field(0.6, ge=0, le=1)
    bottom_pct: float = Field(16, ge=0, le=85)
    uppercase: bool = False
    words_per_line: int = Field(0, ge=0, le=12)
    lines_per_cue: int = Field(2, ge=1, le=3)
    hook_title: bool = False  # the clip's hook as a title at the top for the first hook_s seconds
    hook_s: float = Field(3.0, ge=0.5, le=10)


# The looks the three subtitle_style names always had; a CaptionStyle replaces them.
BUILTIN_CAPTION_STYLES: dict[str, CaptionStyle] = {
    "clean": CaptionStyle(),
    "bold": CaptionStyle(bold=True, size_pct=7.5, text_colour="#FFFF00", outline_pct=10, shadow_pct=5),
    "karaoke": CaptionStyle(bold=True, size_pct=6, karaoke=True, outline_pct=8, shadow_pct=4),
}


class PipelineOptions(BaseModel):
    """Everything a run of the pipeline may be told. Defaults are the product defaults."""

    source: str = ""  # a local file path or an http(s) URL; read by the ingest stage
    whisper_model: str = "base"
    language: Language | None = None  # None = detect
    align_model_dir: str = ""
    min_clip_s: float = 30.0
    max_clip_s: float = 90.0
    embedding_model: str = ""
    max_clips: int = Field(default=100, ge=1)  # per video, best scored first (clip finder)
    copy_provider: Provider = "local"
    gemini_api_key: SecretStr = SecretStr("")  # SecretStr: never in a repr, a log line or a dump
    gemini_model: str = "gemini-2.5-flash"
    gemini_base_url: str = ""
    openai_base_url: str = ""
    openai_api_key: SecretStr = SecretStr("")
    openai_model: str = ""
    mandatory_hashtags: list[str] = Field(default_factory=list)
    platform: Platform = "tiktok"
    quality_threshold: float = 7.5
    aspect: Aspect = "9:16"
    strategy: Strategy = "keep_in_frame"
    subtitle_style: SubtitleStyle = "clean"  # "none": no captions; a name: that built-in look
    caption_style: CaptionStyle | None = None  # the full look, replacing the built-in one
    face_sample_every: int = 3
    max_upload_bytes: int = 10 * 1024**3
    max_duration_s: float = 10 * 3600
    allow_private_urls: bool = False
    blocked_networks: list[str] | None = None  # CIDRs a URL ingest may not reach; None = all non-public
    render_max_bytes: int = 0  # 0 = no limit
    server_previews: bool = False  # also encode a preview per clip (browsers without the features)
    # Finals: loudness normalised (measured once per clip, applied in the same encode).
    loudness_lufs: float | None = -14.0  # integrated loudness target; None = leave the levels
    true_peak_db: float = -1.0
    # Silence trimming: pauses between words longer than this are cut (subtitles and crop follow).
    trim_silence: bool = False
    trim_pause_s: float = Field(0.6, ge=0.2)

    def captions(self) -> CaptionStyle | None:
        """The caption look to burn in, or None when captions are off."""
        if self.subtitle_style == "none":
            return None
        return self.caption_style or BUILTIN_CAPTION_STYLES[self.subtitle_style]


class MediaInfo(BaseModel):
    """media.json, written by ingest."""

    media_file: str  # file name inside the work directory
    audio_file: str = "audio.wav"  # 16 kHz mono PCM inside the work directory
    title: str = ""
    duration: float
    width: int
    height: int
    fps: float
    video_codec: str = ""
    audio_codec: str = ""
    size_bytes: int = 0
    proxy_file: str = ""  # browser-playable copy for previews (pipeline.proxy), "" = the media file plays


class Word(BaseModel):
    text: str  # as spoken, punctuation attached ("Americans,")
    start: float
    end: float


class Transcript(BaseModel):
    """transcript.json, written by transcribe."""

    language: str
    duration: float
    words: list[Word]
    model: str = ""
    message: str = ""  # e.g. "No speech found" for a silent track


class Topic(BaseModel):
    start: float
    end: float
    title: str = ""


class ClipProposal(BaseModel):
    start: float
    end: float
    text: str
    score: float = Field(ge=0, le=1)  # shown as 0-100
    reason: str = ""
    # Named parts of the score, 0-100 each (pipeline.clipscore: hook, self_contained, payoff,
    # coherence, energy); empty in clips.json files written before they existed.
    subscores: dict[str, int] = Field(default_factory=dict)


class ClipsResult(BaseModel):
    """clips.json, written by the clip finder."""

    topics: list[Topic]
    clips: list[ClipProposal]
    note: str = ""
    ranked_by: str = ""  # the LLM that re-ranked the best clips (pipeline.rerank); "" = offline score


class ClipCopy(BaseModel):
    """One clip's copy as saved (the copy module validates LLM output into this)."""

    clip_index: ClipIndex
    style: CopyStyle
    text: str
    hashtags: list[str] = Field(default_factory=list)
    engagement_score: float = Field(ge=0, le=10)
    viral_potential: float = Field(ge=0, le=10)
    hook: str = ""
    title: str = ""  # Shorts / reels title, at most 70 characters
    topics: list[str] = Field(default_factory=list)
    confidence: float = 0.0  # of the style classification


class CopyFailure(BaseModel):
    clip_index: ClipIndex
    reason: str


class CopiesResult(BaseModel):
    """copies.json, written by the copy stage. Partial success: failures sit beside copies."""

    copies: list[ClipCopy]
    failures: list[CopyFailure] = Field(default_factory=list)
    provider: str
    model: str = ""
    is_local_draft: bool = False
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0


class Box(BaseModel):
    """A rectangle in source pixels."""

    x: int
    y: int
    width: int
    height: int


class LayoutSegment(BaseModel):
    """A stretch of one shot framed one way; clip-relative seconds.

    speaker: `faces` = [the face shown]; the picture is the crop window of CropPath.times/xs/ys
    (`crop` is that window at `start`). split: `faces` = [top, bottom]; `top` / `bottom` are the
    source boxes scaled into the upper / lower half of the output (each box has the aspect of a
    half). fit and single: no boxes (fit shows the whole frame; single follows CropPath's path).
    """

    start: float
    end: float
    faces: list[int] = Field(default_factory=list)  # FaceTrack ids
    crop: Box | None = None
    top: Box | None = None
    bottom: Box | None = None


class ShotLayout(BaseModel):
    """How one camera shot of a clip is framed, and why (shown on the clip card)."""

    start: float  # clip-relative seconds
    end: float
    layout: Layout
    reason: str  # e.g. "2 speakers, cuts on turns", "wide shot: fit"
    faces_per_frame: int = 0  # faces in a busy frame of the shot (90th percentile): 3+ is a wide shot
    segments: list[LayoutSegment] = Field(default_factory=list)


class FaceTrack(BaseModel):
    """One person seen in a shot: detector boxes over time, lip activity, a thumbnail."""

    id: int
    shot: int  # index of the shot (0 = before the first cut)
    box: Box  # median box over the track
    times: list[float] = Field(default_factory=list)  # clip-relative seconds of the boxes
    boxes: list[Box] = Field(default_factory=list)
    lip_activity: float = 0.0  # mean lip movement over the clip's speech (0 = not measured)
    speaking_s: float = 0.0  # seconds of speech turns mapped to this face
    thumbnail: str = ""  # JPEG file name, relative to the work directory


class SpeechTurn(BaseModel):
    """A stretch of speech (VAD), its voice cluster and the face that voice was mapped to."""

    start: float  # clip-relative seconds
    end: float
    voice: int = -1  # -1: too short to embed
    face: int = -1  # FaceTrack id; -1: unknown
    overlap: bool = False  # two faces' lips moved at once


class SpeakerAnalysis(BaseModel):
    """Who speaks when and how each shot is framed; kept in renders/clip_<i>_crop.json."""

    faces: list[FaceTrack] = Field(default_factory=list)
    turns: list[SpeechTurn] = Field(default_factory=list)
    layouts: list[ShotLayout] = Field(default_factory=list)
    summary: str = ""  # one line for the clip card
    choice: LayoutChoice = "auto"  # the reviewer's override the layouts were planned with
    follow_face: int | None = None  # the reviewer's chosen person (FaceTrack id)
    analysis_cpu_s: float = 0.0
    # today's one-face tracker path at CropPath.times, kept so an override can be re-planned
    tracker_xs: list[int] = Field(default_factory=list)
    tracker_ys: list[int] = Field(default_factory=list)


class CropPath(BaseModel):
    """The crop window over time, source pixels. One entry per analysed (sampled) frame."""

    width: int  # crop size
    height: int
    source_width: int
    source_height: int
    fps: float
    times: list[float]  # clip-relative seconds
    xs: list[int]
    ys: list[int]
    faces_seen: int = 0  # sampled frames with a face
    frames_analysed: int = 0
    cuts: list[float] = Field(default_factory=list)  # clip-relative seconds
    warning: str = ""  # e.g. "No face found: centre crop"
    # where the crop cuts (steps, never slides) to another person; clip-relative seconds
    switches: list[float] = Field(default_factory=list)
    speakers: SpeakerAnalysis | None = None  # None: single-face clip, today's tracker only


class FaceSamplesFile(BaseModel):
    """renders/clip_<i>_faces.json: what face analysis saw over a clip's range plus a margin.

    Crop paths for any bounds inside start..end are planned from it without decoding again.
    """

    start: float  # source seconds analysed
    end: float
    source_width: int
    source_height: int
    fps: float
    sample_every: int = 3  # every Nth frame of a shot was analysed
    times: list[float] = Field(default_factory=list)  # seconds from `start` of each analysed frame
    shot_ids: list[int] = Field(default_factory=list)
    boxes: list[list[list[float]]] = Field(default_factory=list)  # per frame: [x, y, w, h, score], source px
    cuts: list[float] = Field(default_factory=list)  # seconds from `start`
    detector_error: str = ""
    analysis_error: str = ""  # decoding failed: centre crops
    # mouths measured in the same decode when its first frame showed two faces (pipeline.lips.MouthSample:
    # [t from `start`, shot, centre x, centre y, box width, opening, jawOpen], None where no landmarks)
    mouths: list[list[float | None]] = Field(default_factory=list)
    lips_measured: bool = False  # mouths cover start..end: speaker analysis needs no decode of its own


class Silences(BaseModel):
    """Where the sound is silent (sound.analyse) over source seconds start..end: the pauses a
    final with silence trimming cuts are the word gaps inside these."""

    start: float
    end: float
    spans: list[tuple[float, float]] = Field(default_factory=list)  # source seconds


class ClipPreview(BaseModel):
    """renders/clip_<i>_preview.json: what a browser needs to show clip i without an encode."""

    clip_index: int
    start: float  # the bounds the crop path was planned for
    end: float
    aspect: Aspect
    strategy: Strategy
    crop: CropPath
    poster_file: str = ""  # relative to the work directory
    video_file: str = ""  # an encoded preview, only with server-rendered previews
    warning: str = ""
    silences: Silences | None = None  # over the analysed range; None: no sound track (or not measured)

    def matches(self, start_s: float, end_s: float, aspect: str, strategy: str) -> bool:
        """Whether this preview was planned for these bounds and framing."""
        return (
            abs(self.start - start_s) < 1e-3
            and abs(self.end - end_s) < 1e-3
            and (self.aspect, self.strategy) == (aspect, strategy)
        )


class RenderResult(BaseModel):
    """One rendered clip."""

    clip_index: ClipIndex
    video_file: str  # relative to the work directory
    poster_file: str = ""
    srt_file: str = ""
    vtt_file: str = ""
    width: int
    height: int
    preview: bool
    warning: str = ""


class RendersResult(BaseModel):
    """renders.json, written by the render stage (previews for every clip)."""

    renders: list[RenderResult]
