"""Browser previews: what a page needs to show a clip without encoding it.

The render stage analyses faces over each clip's range plus ANALYSIS_MARGIN_S on each side and
keeps the samples (`renders/clip_<i>_faces.json`). A crop path for any bounds inside that range
is then pure maths (crop_plan), cheap enough for the web process: a reviewer who moves a clip's
start or end gets a new, truthful crop path at once, and the final render on approval plans its
crop from the same samples with the same function, so it shows what the reviewer approved.

`renders/clip_<i>_preview.json` (a ClipPreview) holds the crop path planned for the clip's
bounds and a poster; a clip is reviewable as soon as it exists.
"""

from pathlib import Path

from . import crop_plan, face_analysis, frames, lips, pacing, sound, speakers, subtitles
from .errors import InputError
from .progress import Progress, no_progress
from .schemas import ClipPreview, CropPath, FaceSamplesFile, MediaInfo, PipelineOptions, Silences, Word

ANALYSIS_MARGIN_S = 6.0  # bounds moved by up to this much need no new analysis
SAFE_ZONE_MARGIN = 0.15  # keep_in_frame's safe zone, fraction of the crop width
POSTER_WIDTH = 540  # px
POSTER_AT_S = 2.0  # seconds into the clip (or its middle, if shorter)


def faces_path(workdir: Path, clip_index: int) -> Path:
    return Path(workdir) / "renders" / f"clip_{clip_index}_faces.json"


def preview_path(workdir: Path, clip_index: int) -> Path:
    return Path(workdir) / "renders" / f"clip_{clip_index}_preview.json"


def poster_path(workdir: Path, clip_index: int) -> Path:
    return Path(workdir) / "renders" / f"clip_{clip_index}_preview.jpg"  # the media view serves this name


def playable_file(media: MediaInfo) -> str:
    """The file (relative to the work directory) a browser plays for previews."""
    return media.proxy_file or media.media_file


def analyse_faces(
    media_path: Path, start_s: float, end_s: float, *, sample_every: int = 3, progress: Progress = no_progress
) -> FaceSamplesFile:
    """Face samples over `start_s`..`end_s` widened by ANALYSIS_MARGIN_S (within the media)."""
    video = face_analysis.probe_video(media_path)
    media_end_s = video.duration_s or end_s + ANALYSIS_MARGIN_S
    start = max(0.0, start_s - ANALYSIS_MARGIN_S)
    end = min(media_end_s, end_s + ANALYSIS_MARGIN_S)
    if end <= start:
        raise InputError(f"The clip {start_s:.2f}-{end_s:.2f} s is empty or outside the media")
    sample_every = max(1, int(sample_every))
    stored = FaceSamplesFile(
        start=start, end=end, source_width=video.width, source_height=video.height, fps=video.fps,
        sample_every=sample_every,
    )  # fmt: skip
    try:
        seen = face_analysis.face_samples(media_path, video, start, end, sample_every, progress, lips=True)
    except (InputError, OSError, RuntimeError, ValueError) as exc:
        stored.analysis_error = f"Face analysis failed ({str(exc)[:200]}): centre crop"
        return stored
    stored.times, stored.shot_ids, stored.cuts = seen.times, seen.shot_ids, seen.cuts
    stored.boxes = [[list(box) for box in boxes] for boxes in seen.boxes]
    stored.detector_error = seen.detector_error
    stored.lips_measured = seen.lips_measured
    stored.mouths = [
        [m.t, m.shot, round(m.x, 1), round(m.y, 1), round(m.width, 1), _rounded(m.opening), _rounded(m.jaw)]
        for m in seen.mouths
    ]
    return stored


def _rounded(value: float) -> float | None:
    """4 decimals, None for NaN (JSON has none)."""
    return None if value != value else round(value, 4)


def analyse_silences(media_path: Path, start_s: float, end_s: float) -> Silences | None:
    """The silences over the clip widened by ANALYSIS_MARGIN_S (silencedetect only, ~0.1 s of
    CPU per clip), so that the preview skips the pauses a trimmed final cuts, also after a
    bounds change inside the margin; None without a sound track."""
    video = face_analysis.probe_video(media_path)
    if not video.has_audio:
        return None
    start = max(0.0, start_s - ANALYSIS_MARGIN_S)
    end = min(video.duration_s or end_s + ANALYSIS_MARGIN_S, end_s + ANALYSIS_MARGIN_S)
    try:
        found = sound.silences(media_path, start, end - start)
    except InputError:
        return None  # the preview then skips the word gaps alone; the final measures again
    return Silences(start=start, end=end, spans=[(round(start + a, 3), round(start + b, 3)) for a, b in found])


def trim_cuts(
    words: list[Word], start_s: float, end_s: float, fps: float, options: PipelineOptions, silences: Silences | None
) -> list[tuple[float, float]]:
    """The pauses (clip-relative seconds) a final of this clip cuts with silence trimming, by the
    rule the render uses (pacing.plan_cuts over the words the final shows and the silences)."""
    if not options.trim_silence:
        return []
    # as render_workdir_clip: without subtitles the final is given no words, and cuts on silences alone
    spoken = subtitles.clip_words(words if options.subtitle_style != "none" else [], start_s, end_s)
    # No measurement: the word gaps decide, as in a final without sound. (A silent track is all
    # silence, so its word gaps are cut here as in the final, which then plans on words alone.)
    inside = None
    if silences is not None and covers(silences, start_s, end_s):
        inside = [
            (max(a, start_s) - start_s, min(b, end_s) - start_s) for a, b in silences.spans if b > start_s and a < end_s
        ]
    plan = pacing.plan_cuts(
        [(w.start_s, w.end_s) for w in spoken], end_s - start_s, fps, min_pause_s=options.trim_pause_s, silences=inside
    )
    return [list(cut) for cut in plan.cuts]


def covers(samples: FaceSamplesFile | Silences, start_s: float, end_s: float) -> bool:
    """Whether `samples` (faces or silences) were analysed over all of `start_s`..`end_s`."""
    return samples.start <= start_s + 1e-3 and end_s <= samples.end + 1e-3


def clip_samples(samples: FaceSamplesFile, start_s: float, end_s: float) -> crop_plan.FaceSamples:
    """The stored samples inside `start_s`..`end_s`, with clip-relative times."""
    offset = start_s - samples.start  # sample times count from the analysed range's start
    duration_s = end_s - start_s
    inside = [i for i, t in enumerate(samples.times) if offset - 1e-6 <= t < offset + duration_s]
    nan = float("nan")
    mouths = [
        lips.MouthSample(round(t - offset, 3), int(shot), x, y, w, nan if o is None else o, nan if j is None else j)
        for t, shot, x, y, w, o, j in samples.mouths
        if offset - 1e-6 <= t < offset + duration_s
    ]
    return crop_plan.FaceSamples(
        times=[round(samples.times[i] - offset, 3) for i in inside],
        shot_ids=[samples.shot_ids[i] for i in inside],
        boxes=[[tuple(box) for box in samples.boxes[i]] for i in inside],
        cuts=[round(c - offset, 3) for c in samples.cuts if 0 < c - offset < duration_s],
        detector_error=samples.detector_error,
        mouths=mouths,
        lips_measured=samples.lips_measured,
    )


def needs_speaker_analysis(samples: FaceSamplesFile, start_s: float, end_s: float) -> bool:
    """Whether the clip shows anything but one face per shot: then who speaks when (lips, voices;
    a decode and models, worker work) decides the layouts, not the face samples alone."""
    if samples.analysis_error or not samples.times:
        return False
    return speakers.needs_analysis(speakers.link_tracks(clip_samples(samples, start_s, end_s), end_s - start_s))


def plan_crop(
    samples: FaceSamplesFile,
    start_s: float,
    end_s: float,
    *,
    aspect: str,
    strategy: str,
    media_path: Path | None = None,
) -> CropPath:
    """The crop path over the clip `start_s`..`end_s` (inside the samples), clip-relative times.

    The same function plans the browser preview and the final render: both show the same crop.
    With `media_path`, clips with several faces or odd shots get speaker-aware layouts
    (pipeline/speakers.py; that analysis decodes the clip again). Without it they follow one face.
    """
    if not covers(samples, start_s, end_s):
        raise InputError(f"The face analysis does not cover {start_s:.2f}-{end_s:.2f} s")
    if aspect not in crop_plan.ASPECTS:
        raise InputError(f"Unknown aspect ratio {aspect!r}: use 9:16, 1:1 or 16:9")
    path = crop_plan.centred_path(samples.source_width, samples.source_height, samples.fps, aspect)
    width, height = path.width, path.height
    if width == samples.source_width and height == samples.source_height:
        return path  # nothing to reframe: the crop is the whole frame
    if samples.analysis_error:
        path.warning = samples.analysis_error
        return path
    inside = clip_samples(samples, start_s, end_s)
    if not inside.times:
        path.warning = "No frame analysed in this range: centre crop"
        return path
    crop_plan.plan(path, inside, strategy, SAFE_ZONE_MARGIN)
    if media_path is not None:
        video = face_analysis.probe_video(media_path)
        path = speakers.frame(
            path, inside, media_path, video, start_s, end_s, aspect=aspect, margin=SAFE_ZONE_MARGIN
        )  # fmt: skip
    return path


def caption_cues(words: list[Word], start_s: float, end_s: float, options: PipelineOptions) -> list[dict]:
    """The caption cues the final render burns in, for the browser overlay (clip-relative seconds)."""
    style = options.captions()
    if style is None or not words:
        return []
    width, height = _final_size(options.aspect)  # the final's frame decides the line length
    cues = subtitles.style_cues(subtitles.clip_words(words, start_s, end_s), style, width, height)
    return [
        {
            "start": round(cue.start_s, 3),
            "end": round(cue.end_s, 3),
            "lines": [
                [{"text": w.text, "start": round(w.start_s, 3), "end": round(w.end_s, 3)} for w in line]
                for line in cue.lines
            ],
        }
        for cue in cues
    ]


def caption_look(options: PipelineOptions) -> dict | None:
    """The caption style the overlay draws (sizes relative to the frame, as ass_document reads
    them), with the hook title's constants; None when captions are off."""
    style = options.captions()
    if style is None:
        return None
    return {**style.model_dump(), "hook_scale": subtitles.HOOK_SCALE, "hook_top_pct": subtitles.HOOK_TOP_PCT}


def _final_size(aspect: str) -> tuple[int, int]:
    from .render import FINAL_SIZES

    return FINAL_SIZES[aspect]


def write_poster(media_path: Path, crop: CropPath, start_s: float, end_s: float, out_path: Path) -> bool:
    """One JPEG frame of the clip, cropped as the crop path says at that moment."""
    at_s = min((end_s - start_s) / 2, POSTER_AT_S)
    xs, ys = crop_plan.positions_per_frame(crop, int(at_s * crop.fps) + 1, crop.fps)
    x, y = int(xs[-1]), int(ys[-1])
    width = min(POSTER_WIDTH, crop.width)
    video_filter = f"crop={crop.width}:{crop.height}:{x}:{y},scale={width - width % 2}:-2"
    return frames.write_frame(media_path, start_s + at_s, out_path, video_filter=video_filter, quality=4)


def load_samples(workdir: Path, clip_index: int) -> FaceSamplesFile | None:
    path = faces_path(workdir, clip_index)
    try:
        return FaceSamplesFile.model_validate_json(path.read_text())
    except (OSError, ValueError):
        return None


def load_preview(workdir: Path, clip_index: int) -> ClipPreview | None:
    path = preview_path(workdir, clip_index)
    try:
        return ClipPreview.model_validate_json(path.read_text())
    except (OSError, ValueError):
        return None


def reframe(workdir: Path, clip_index: int, *, layout: str, follow_face: int | None) -> ClipPreview | None:
    """The clip's preview planned again for a reviewer's layout / person to follow, from the
    speaker analysis stored with it (speakers.replan: no decoding, milliseconds), so the page shows
    the choice at once. None when the preview has no analysis to re-plan (a preview job must run)."""
    from .stages import write_model

    planned = load_preview(workdir, clip_index)
    if planned is None or planned.crop.speakers is None:
        return None
    crop = speakers.replan(planned.crop, aspect=planned.aspect, choice=layout, follow=follow_face)
    planned = planned.model_copy(update={"crop": crop})
    write_model(preview_path(workdir, clip_index), planned)
    return planned


def replan(
    workdir: Path, clip_index: int, start_s: float, end_s: float, options: PipelineOptions
) -> ClipPreview | None:
    """New bounds for a clip: its preview planned again from the stored samples (no analysis).

    Returns None when the samples do not cover the new bounds, or when the clip shows several
    faces (who speaks when needs the worker's analysis): then a preview job must run.
    """

    samples = load_samples(workdir, clip_index)
    if samples is None or not covers(samples, start_s, end_s) or needs_speaker_analysis(samples, start_s, end_s):
        return None
    previous = load_preview(workdir, clip_index)
    crop = plan_crop(samples, start_s, end_s, aspect=options.aspect, strategy=options.strategy)
    silences = previous.silences if previous and previous.silences else None
    return write_preview(
        workdir, clip_index, start_s, end_s, options, crop,
        poster_file=previous.poster_file if previous else "",
        silences=silences if silences and covers(silences, start_s, end_s) else None,
    )  # fmt: skip


def write_preview(
    workdir: Path,
    clip_index: int,
    start_s: float,
    end_s: float,
    options: PipelineOptions,
    crop: CropPath,
    *,
    poster_file: str,
    silences: Silences | None,
    video_file: str = "",
) -> ClipPreview:
    """Writes renders/clip_<i>_preview.json: the plan the card plays (and the final reuses)."""
    from .stages import write_model

    preview = ClipPreview(
        clip_index=clip_index, start=start_s, end=end_s, aspect=options.aspect, strategy=options.strategy,
        crop=crop, poster_file=poster_file, video_file=video_file, warning=crop.warning, silences=silences,
    )  # fmt: skip
    write_model(preview_path(workdir, clip_index), preview)
    return preview
