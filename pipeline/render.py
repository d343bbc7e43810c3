"""Rendering: one ffmpeg pass per output (crop path + scale + burned subtitles + source audio).

The crop follows the reframing path through `sendcmd` (a command only where the crop moves),
subtitles are burned with libass from an ASS file, and the audio is re-encoded from the source
in the same pass: no intermediate files are re-encoded. The video is written to a hidden
temporary file and renamed on success, so a failed render never replaces an earlier one.
A poster (JPEG), SRT and VTT files are written beside the video with the same stem.
"""

from pathlib import Path

from pydantic import BaseModel

from . import (
    atomic,
    browser_preview,
    config,
    crop_plan,
    face_analysis,
    ffmpeg_progress,
    frames,
    layouts,
    pacing,
    sound,
    speakers,
    subtitles,
)
from .errors import Cancelled, InputError
from .probe import input_args
from .progress import Progress, no_progress, scaled
from .schemas import CaptionStyle, CropPath, PipelineOptions, RenderResult, RendersResult, Transcript, Word

FINAL_SIZES = {"9:16": (1080, 1920), "1:1": (1080, 1080), "16:9": (1920, 1080)}
PREVIEW_SIZES = {"9:16": (540, 960), "1:1": (540, 540), "16:9": (960, 540)}
# x264 settings: libx264 is ~85 % of the render time on CPU.
FINAL_ENCODE = ("veryfast", 19)  # preset, CRF
PREVIEW_ENCODE = ("ultrafast", 26)
AUDIO_BITRATE = "128k"


def output_size(aspect: str, preview: bool, crop_width: int, crop_height: int) -> tuple[int, int]:
    """Output frame size. 16:9 keeps the source resolution (at most 1920x1080 / 960x540)."""
    width, height = (PREVIEW_SIZES if preview else FINAL_SIZES)[aspect]
    if aspect == "16:9" and crop_width < width:
        width, height = crop_width, crop_height
    return width - width % 2, height - height % 2


def render_clip(
    media_path: Path,
    start_s: float,
    end_s: float,
    out_path: Path,
    *,
    clip_index: int = 0,
    words: list[Word] | None = None,
    aspect: str = "9:16",
    strategy: str = "keep_in_frame",
    subtitle_style: str = "clean",
    caption_style: CaptionStyle | None = None,
    hook_text: str = "",
    preview: bool = True,
    sample_every: int = 3,
    max_bytes: int = 0,
    base_dir: Path | None = None,
    crop: CropPath | None = None,
    audio: sound.AudioAnalysis | None = None,
    loudness_lufs: float | None = None,
    true_peak_db: float = -1.0,
    trim_pause_s: float | None = None,
    progress: Progress = no_progress,
) -> RenderResult:
    """Render source seconds `start_s`..`end_s` of `media_path` into `out_path` (H.264 + AAC MP4).

    `words` (source-absolute times) are burned in with `subtitle_style` ("none" or no words: no
    subtitles; `caption_style` replaces the named style's look; `hook_text` is the title shown
    first when that style has hook_title on) and also written as .srt and .vtt beside the video;
    a .jpg poster is written too.
    `max_bytes` > 0 caps the video file size. File names in the result are relative to
    `base_dir` (default: out_path's folder). `crop` reuses a crop path computed earlier for the
    same clip and aspect (face_analysis.crop_path), skipping the face analysis.
    `loudness_lufs` normalises the sound to that integrated loudness (true peak `true_peak_db`);
    `trim_pause_s` cuts pauses longer than that many seconds (subtitles follow); both use the
    clip's audio analysis, `audio` when given (sound.analyse), else measured here first. Raises
    InputError for problems with the input, ffmpeg failures (with ffmpeg's message) and running
    out of space.
    """
    media_path, out_path = Path(media_path), Path(out_path)
    base_dir = Path(base_dir) if base_dir is not None else out_path.parent
    if not media_path.exists():
        raise InputError(f"No such media file: {media_path.name}")
    if subtitle_style not in ("none", *subtitles.PRESETS):
        raise InputError(f"Unknown subtitle style {subtitle_style!r}: use clean, bold, karaoke or none")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    video = face_analysis.probe_video(media_path)
    end_s = min(end_s, video.duration_s) if video.duration_s else end_s
    if end_s - start_s < 0.1:
        raise InputError(f"The clip {start_s:.2f}-{end_s:.2f} s is empty or outside the media")
    duration_s = end_s - start_s

    expected_size = crop_plan.crop_size(video.width, video.height, aspect)
    if crop is None or (crop.width, crop.height) != expected_size:
        crop = face_analysis.crop_path(
            media_path, start_s, end_s, aspect=aspect, strategy=strategy, sample_every=sample_every,
            progress=scaled(progress, 0.0, 0.3),
        )  # fmt: skip
    width, height = output_size(aspect, preview, crop.width, crop.height)
    style = None if subtitle_style == "none" else caption_style or subtitles.resolve_style(subtitle_style)
    spoken = subtitles.clip_words(words or [], start_s, end_s)
    if video.has_audio and (loudness_lufs is not None or trim_pause_s is not None):
        if audio is None:
            audio = sound.analyse(media_path, start_s, duration_s)
        if loudness_lufs is not None and (audio.gain is None or audio.gain.target_lufs != loudness_lufs):
            audio.gain = sound.plan_gain(media_path, start_s, duration_s, audio, loudness_lufs, true_peak_db)
    trim = _trim_plan(spoken, duration_s, video.fps, trim_pause_s, audio)
    spoken = [subtitles.CueWord(w.text, trim(w.start_s), trim(w.end_s)) for w in spoken]
    out_duration_s = duration_s - trim.removed_s
    cues = []
    if spoken and style is not None:
        cues = subtitles.style_cues(spoken, style, width, height)
    has_hook = style is not None and style.hook_title and hook_text.strip()

    # The ASS and command files sit beside the output, so odd folder names go through the
    # filtergraph escaping below (the original's known bug) rather than around it. Each render
    # gets its own temporary names: two renders of one clip at once never share a file.
    tmp_video, ass_path, commands_path = (
        atomic.temp_path(out_path, suffix) for suffix in (".part.mp4", ".render.ass", ".render.cmd")
    )
    try:
        commands = _crop_commands(crop, duration_s, video.fps)
        vf = [
            f"sendcmd=f={_filter_value(commands_path)}",
            f"crop@reframe=w={crop.width}:h={crop.height}:x={crop.xs[0]}:y={crop.ys[0]}",
            f"scale={width}:{height}:flags=bicubic",
            "setsar=1",
            *_trim_video_filters(trim, duration_s, video.fps),  # after the crop: its path needs no shift
        ]
        layout_graph = ""
        if layouts.needs_graph(crop):  # split or fit shots: pipeline/layouts.py draws the picture
            layout_graph, extra = layouts.filter_graph(crop, width, height, vf[0], ",".join(vf[1:4]))
            commands += extra + "\n"
            vf = ["null", *vf[4:]]  # silence trimming acts on the composed picture
        commands_path.write_text(commands, encoding="utf-8")
        if cues or has_hook:
            document = subtitles.ass_document(cues, style, width, height, hook_text=hook_text)
            ass_path.write_text(document, encoding="utf-8")
            vf.append(f"ass={_filter_value(ass_path)}")
        preset, crf = PREVIEW_ENCODE if preview else FINAL_ENCODE
        graph = f"[0:v:0]{','.join(vf)},format=yuv420p[v]"
        if layout_graph:
            graph = f"{layout_graph};[lay]{','.join(vf)},format=yuv420p[v]"
        audio_graph = _audio_graph(trim, duration_s, audio, loudness_lufs) if video.has_audio else ""
        cmd = [
            "ffmpeg", "-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-nostats",
            "-ss", f"{start_s:.3f}", "-t", f"{duration_s:.3f}", *input_args(media_path),
            "-filter_complex", f"{graph};{audio_graph}[a]" if audio_graph else graph,
            "-map", "[v]", "-map", "[a]" if audio_graph else "0:a:0?",
            "-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", AUDIO_BITRATE, "-movflags", "+faststart",
        ]  # fmt: skip
        if max_bytes > 0:
            cmd += ["-fs", str(int(max_bytes))]
        cmd += ["-progress", "pipe:1", "-f", "mp4", f"file:{tmp_video}"]
        reached_s = _run_ffmpeg(cmd, out_duration_s, scaled(progress, 0.3, 0.97), out_path.name)
        size = tmp_video.stat().st_size
        if max_bytes > 0 and (size >= 0.98 * max_bytes or reached_s < out_duration_s - 1.0):
            raise InputError(
                f"Not enough disk space to render {out_path.name}: it would exceed the limit of "
                f"{max_bytes / 1e6:.1f} MB"
            )
        tmp_video.replace(out_path)
    finally:
        for path in (tmp_video, ass_path, commands_path):
            path.unlink(missing_ok=True)

    poster_path = out_path.with_suffix(".jpg")
    frames.write_frame(out_path, min(out_duration_s / 2, 2.0), poster_path)
    result = RenderResult(
        clip_index=clip_index,
        video_file=_relative(out_path, base_dir),
        poster_file=_relative(poster_path, base_dir) if poster_path.exists() else "",
        width=width,
        height=height,
        preview=preview,
        warning=crop.warning,
    )
    if cues:
        srt_path, vtt_path = out_path.with_suffix(".srt"), out_path.with_suffix(".vtt")
        subtitles.write_text(srt_path, subtitles.srt_document(cues))
        subtitles.write_text(vtt_path, subtitles.vtt_document(cues))
        result.srt_file, result.vtt_file = _relative(srt_path, base_dir), _relative(vtt_path, base_dir)
    progress(1.0, "Rendered")
    return result


# --- sound and pacing: loudness gain and pause cuts inside the one encode -------------------


def _trim_plan(spoken, duration_s: float, fps: float, trim_pause_s, audio) -> pacing.TimeMap:
    if trim_pause_s is None:
        return pacing.TimeMap(())
    silences = audio.silences if audio is not None and not audio.is_silent else None
    spans = [(w.start_s, w.end_s) for w in spoken]
    return pacing.plan_cuts(spans, duration_s, fps, min_pause_s=trim_pause_s, silences=silences)


def _trim_video_filters(trim: pacing.TimeMap, duration_s: float, fps: float) -> list[str]:
    """Keep the frames outside the cuts and close the gaps (cuts sit on frame boundaries)."""
    if not trim.cuts:
        return []
    half_frame = 0.5 / fps
    keep = "+".join(f"between(t,{a - half_frame:.6f},{b - half_frame:.6f})" for a, b in trim.keep_segments(duration_s))
    return [f"select='{keep}'", f"setpts=N/({fps:.6f}*TB)"]


def _audio_graph(trim: pacing.TimeMap, duration_s: float, audio, loudness_lufs) -> str:
    """The filtergraph from [0:a:0] to the output sound, "" when the source sound is kept as is."""
    gain = ""
    if loudness_lufs is not None and audio is not None and audio.gain is not None and not audio.is_silent:
        gain = sound.gain_filter(audio.gain)
    if not trim.cuts:
        return f"[0:a:0]{gain}" if gain else ""
    segments = trim.keep_segments(duration_s)
    parts = [f"[0:a:0]asplit={len(segments)}" + "".join(f"[s{i}]" for i in range(len(segments)))]
    for i, (a, b) in enumerate(segments):
        fades = []
        if i > 0:
            fades.append(f"afade=t=in:d={pacing.FADE_S}")
        if i + 1 < len(segments):
            fades.append(f"afade=t=out:st={max(0.0, b - a - pacing.FADE_S):.6f}:d={pacing.FADE_S}")
        chain = ",".join([f"atrim=start={a:.6f}:end={b:.6f}", "asetpts=PTS-STARTPTS", *fades])
        parts.append(f"[s{i}]{chain}[k{i}]")
    joined = "".join(f"[k{i}]" for i in range(len(segments))) + f"concat=n={len(segments)}:v=0:a=1"
    parts.append(f"{joined},{gain}" if gain else joined)
    return ";".join(parts)


def _relative(path: Path, base_dir: Path) -> str:
    try:
        return path.resolve().relative_to(base_dir.resolve()).as_posix()
    except ValueError:
        return str(path)


def _filter_value(path: Path) -> str:
    """A file path as a filter option value inside -filter_complex (both escaping levels)."""
    value = str(path)
    for char in "\\':":  # level 1: the option value
        value = value.replace(char, "\\" + char)
    for char in "\\'[],;":  # level 2: the filtergraph description
        value = value.replace(char, "\\" + char)
    return value


def _crop_commands(crop, duration_s: float, fps: float) -> str:
    """sendcmd script: the crop position for every output frame where it changes."""
    frame_count = max(1, int(duration_s * fps + 0.5))
    xs, ys = crop_plan.positions_per_frame(crop, frame_count, fps)
    lines = []
    previous = (None, None)
    for n, (x, y) in enumerate(zip(xs, ys)):
        if (x, y) != previous:
            # half a frame early, so rounding of frame timestamps never delays a command
            at_s = max(0.0, (n - 0.5) / fps)
            lines.append(f"{at_s:.4f} crop@reframe x {x}, crop@reframe y {y};")
            previous = (x, y)
    return "\n".join(lines) + "\n"


def _run_ffmpeg(cmd: list[str], duration_s: float, progress: Progress, name: str) -> float:
    """Run ffmpeg reporting its -progress output; returns the seconds of output it reached."""
    done = ffmpeg_progress.run(cmd, duration_s, progress, "Rendering")
    message = done.stderr.strip()
    if done.returncode != 0:
        if "No space left" in message or "File too large" in message:
            raise InputError(f"Not enough disk space to render {name}: {message[-300:]}")
        raise InputError(f"ffmpeg could not render {name}: {message[-600:] or f'exit code {done.returncode}'}")
    return done.reached_s


def clip_render_path(workdir: Path, clip_index: int, preview: bool, attempt: int | None = None) -> Path:
    """Where a clip's preview or final render lives in a work directory. A final rendered for a
    queued attempt has its own name, so a render that was superseded never overwrites the newer one."""
    kind = "preview" if preview else "final" if attempt is None else f"final_{attempt}"
    return Path(workdir) / "renders" / f"clip_{clip_index}_{kind}.mp4"


def _workdir_clip(workdir: Path, clip_index: int):
    from .stages import get_stage

    media = get_stage("ingest").load_output(workdir)
    clips = get_stage("clips").load_output(workdir)
    if media is None or clips is None:
        raise InputError("Nothing to render yet: the media and its clips must be found first")
    if not 0 <= clip_index < len(clips.clips):
        raise InputError(f"There is no clip {clip_index}")
    return media, clips.clips[clip_index]


def planned_crop(
    workdir: Path,
    clip_index: int,
    start_s: float,
    end_s: float,
    options: PipelineOptions,
    progress: Progress = no_progress,
) -> CropPath:
    """Clip `clip_index`'s crop path over `start_s`..`end_s`: the browser preview's own path when
    it was planned for these bounds, else planned from the stored face samples when they cover
    the range, else from a new face analysis over the range plus a margin (then stored)."""
    from .stages import get_stage, write_model

    workdir = Path(workdir)
    shown = browser_preview.load_preview(workdir, clip_index)
    if shown is not None and shown.matches(start_s, end_s, options.aspect, options.strategy):
        return shown.crop  # exactly the path the reviewer's page showed
    samples = browser_preview.load_samples(workdir, clip_index)
    media = get_stage("ingest").load_output(workdir)
    if samples is None or not browser_preview.covers(samples, start_s, end_s):
        samples = browser_preview.analyse_faces(
            workdir / media.media_file, start_s, end_s, sample_every=options.face_sample_every, progress=progress
        )
        if not (samples.analysis_error or samples.detector_error):  # failures get retried next time
            browser_preview.faces_path(workdir, clip_index).parent.mkdir(parents=True, exist_ok=True)
            write_model(browser_preview.faces_path(workdir, clip_index), samples)
    return browser_preview.plan_crop(
        samples, start_s, end_s, aspect=options.aspect, strategy=options.strategy,
        media_path=workdir / media.media_file,
    )  # fmt: skip


def render_workdir_clip(
    workdir: Path,
    clip_index: int,
    options: PipelineOptions,
    *,
    preview: bool,
    progress: Progress = no_progress,
    start_s: float | None = None,
    end_s: float | None = None,
    words: list[Word] | None = None,
    hook_text: str = "",
    crop: CropPath | None = None,
    attempt: int | None = None,
    layout: str = "auto",
    follow_face: int | None = None,
) -> RenderResult:
    """Render clip `clip_index` of a work directory (after ingest, transcribe and clips).

    For the final render on approval: pass `preview=False`, and `start_s`/`end_s`/`words` when a
    reviewer changed the clip's times or subtitle text (defaults: clips.json and transcript.json).
    The crop comes from planned_crop (the browser preview's path) unless `crop` is given.
    `attempt` gives a final its own file name (see clip_render_path). `layout` ("auto" or a
    layout name) and `follow_face` (a FaceTrack id) are the reviewer's framing override,
    re-planned from the stored analysis. File names in the result are relative to `workdir`.
    """
    from .stages import get_stage

    workdir = Path(workdir)
    media, clip = _workdir_clip(workdir, clip_index)
    if words is None:
        transcript: Transcript | None = get_stage("transcribe").load_output(workdir)
        words = transcript.words if transcript else []
    start_s = clip.start if start_s is None else start_s
    end_s = clip.end if end_s is None else end_s
    if crop is None:
        crop = planned_crop(workdir, clip_index, start_s, end_s, options, scaled(progress, 0.0, 0.3))
    chosen = (crop.speakers.choice, crop.speakers.follow_face) if crop.speakers else ("auto", None)
    if chosen != (layout, follow_face):
        crop = speakers.replan(crop, aspect=options.aspect, choice=layout, follow=follow_face)
    loudness_lufs = None if preview else options.loudness_lufs
    audio = None
    if loudness_lufs is not None or options.trim_silence:
        audio_cache = clip_render_path(workdir, clip_index, True).with_name(f"clip_{clip_index}_audio.json")
        audio = _clip_audio_analysis(
            workdir / media.media_file, start_s, end_s, loudness_lufs, options.true_peak_db, audio_cache
        )
    return render_clip(
        workdir / media.media_file,
        start_s,
        end_s,
        clip_render_path(workdir, clip_index, preview, attempt),
        clip_index=clip_index,
        words=words if options.subtitle_style != "none" else None,
        aspect=options.aspect,
        strategy=options.strategy,
        subtitle_style=options.subtitle_style,
        caption_style=options.caption_style,
        hook_text=hook_text,
        preview=preview,
        sample_every=options.face_sample_every,
        max_bytes=options.render_max_bytes,
        base_dir=workdir,
        crop=crop,
        audio=audio,
        loudness_lufs=loudness_lufs,
        true_peak_db=options.true_peak_db,
        trim_pause_s=options.trim_pause_s if options.trim_silence else None,
        progress=progress,
    )


class _CachedAudio(BaseModel):
    key: str  # clip times the analysis is for
    audio: sound.AudioAnalysis


def _clip_audio_analysis(media_path: Path, start_s: float, end_s: float, target_lufs, true_peak_db, cache_path: Path):
    """The clip's sound measured once per target (sound.analyse) and kept beside its crop path;
    None when the media has no sound track."""
    from .atomic import write_model

    key = f"{start_s:.3f}-{end_s:.3f}-{target_lufs}-{true_peak_db}"
    if cache_path.exists():
        try:
            cached = _CachedAudio.model_validate_json(cache_path.read_text())
            if cached.key == key:
                return cached.audio
        except ValueError:
            pass
    if not face_analysis.probe_video(media_path).has_audio:
        return None
    audio = sound.analyse(media_path, start_s, end_s - start_s, target_lufs=target_lufs, true_peak_db=true_peak_db)
    write_model(cache_path, _CachedAudio(key=key, audio=audio))
    return audio


def prepare_preview(
    workdir: Path,
    clip_index: int,
    options: PipelineOptions,
    progress: Progress = no_progress,
    *,
    start_s: float | None = None,
    end_s: float | None = None,
    layout: str = "auto",
    follow_face: int | None = None,
) -> RenderResult:
    """Make one clip reviewable: its crop path (face analysis over the clip plus a margin, kept
    for later bounds changes and the final) and a poster, written as renders/clip_<i>_preview.json.
    With `options.server_previews` (the fallback) a preview is also encoded.

    This is the render stage's work for one clip; a queue task per clip may call it directly.
    `start_s`/`end_s` default to clips.json's bounds; `layout`/`follow_face` are the reviewer's
    framing override (see render_workdir_clip), planned again from the stored speaker analysis.
    """

    workdir = Path(workdir)
    media, clip = _workdir_clip(workdir, clip_index)
    start_s = clip.start if start_s is None else start_s
    end_s = clip.end if end_s is None else end_s
    analysis_share = 0.3 if options.server_previews else 0.95
    crop = planned_crop(workdir, clip_index, start_s, end_s, options, scaled(progress, 0.0, analysis_share))
    if crop.speakers is not None and any(not face.thumbnail for face in crop.speakers.faces):
        stem = browser_preview.preview_path(workdir, clip_index).with_name(f"clip_{clip_index}_face")
        speakers.write_thumbnails(workdir / media.media_file, start_s, crop, workdir, stem)  # the person picker
    chosen = (crop.speakers.choice, crop.speakers.follow_face) if crop.speakers else ("auto", None)
    if chosen != (layout, follow_face):
        crop = speakers.replan(crop, aspect=options.aspect, choice=layout, follow=follow_face)
    poster = browser_preview.poster_path(workdir, clip_index)
    has_poster = browser_preview.write_poster(workdir / media.media_file, crop, start_s, end_s, poster)
    result = RenderResult(
        clip_index=clip_index,
        video_file="",
        poster_file=_relative(poster, workdir) if has_poster else "",
        width=crop.width,
        height=crop.height,
        preview=True,
        warning=crop.warning,
    )
    if options.server_previews:
        result = render_workdir_clip(
            workdir, clip_index, options, preview=True, start_s=start_s, end_s=end_s, crop=crop,
            layout=layout, follow_face=follow_face, progress=scaled(progress, analysis_share, 1.0),
        )  # fmt: skip
    browser_preview.write_preview(
        workdir, clip_index, start_s, end_s, options, crop, poster_file=result.poster_file,
        video_file=result.video_file,
        silences=browser_preview.analyse_silences(workdir / media.media_file, start_s, end_s),
    )  # fmt: skip
    progress(1.0, "Reviewable")
    return result


def _prepare_in_parallel(
    workdir: Path, options: PipelineOptions, order: list[int], progress: Progress
) -> dict[int, RenderResult | InputError]:
    """Prepares clips two at a time, best first: face analysis is mostly one-threaded Python and
    decoding, so a second clip keeps the other core busy.

    Progress and cancellation stay on the calling thread: workers only record their fraction,
    and stop (raising Cancelled inside the clip's work, which kills its ffmpeg) once cancelled is set.
    """
    import threading
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    total = len(order)
    fractions = dict.fromkeys(order, 0.0)
    cancelled = threading.Event()
    done_word = "previews rendered" if options.server_previews else "clips reviewable"

    def prepare_one(clip_index: int) -> RenderResult | InputError:
        def clip_progress(fraction: float, message: str = "") -> None:
            if cancelled.is_set():
                raise Cancelled()
            fractions[clip_index] = fraction

        try:
            return prepare_preview(workdir, clip_index, options, clip_progress)
        except InputError as exc:
            return exc
        finally:
            fractions[clip_index] = 1.0

    results: dict[int, RenderResult | InputError] = {}
    with ThreadPoolExecutor(max_workers=min(config.current().render_parallel, max(total, 1))) as pool:
        pending = {pool.submit(prepare_one, clip_index): clip_index for clip_index in order}
        try:
            while pending:
                done, _ = wait(pending, timeout=1.0, return_when=FIRST_COMPLETED)
                for future in done:
                    results[pending.pop(future)] = future.result()
                finished = sum(1 for r in results.values() if isinstance(r, RenderResult))
                progress(sum(fractions.values()) / max(total, 1), f"{finished} of {total} {done_word}")
        except BaseException:
            cancelled.set()
            for future in pending:
                future.cancel()
            raise
    return results


def cached_crop(workdir: Path, clip_index: int) -> CropPath | None:
    """The crop path the clip's preview shows, if it has one (for single-frame previews)."""
    shown = browser_preview.load_preview(workdir, clip_index)
    return shown.crop if shown is not None else None


def run(workdir: Path, options: PipelineOptions, progress: Progress) -> RendersResult:
    """Make every clip reviewable, best-scored first (prepare_preview); Stage.run writes renders.json.

    A clip that fails is recorded with a warning and the others go on; only when every clip
    fails is that an error.
    """
    order = [spec["clip"] for spec in plan(workdir, options, progress)]
    results = _prepare_in_parallel(Path(workdir), options, order, progress)
    renders = [
        outcome if isinstance(outcome, RenderResult) else _failed(clip_index, outcome)
        for clip_index, outcome in sorted(results.items())
    ]
    result = join(workdir, options, [render.model_dump() for render in renders])
    noun = "previews rendered" if options.server_previews else "clips reviewable"
    failed = sum(1 for render in renders if render.warning.startswith(FAILED_PREFIX))
    progress(1.0, f"{len(renders) - failed} {noun}")
    return result


def plan(workdir: Path, options: PipelineOptions, progress: Progress) -> list[dict]:
    """One part per clip, best score first: the clips most likely to be approved are
    reviewable first, whether one worker goes through them or many at once."""
    from .stages import get_stage

    clips = get_stage("clips").load_output(Path(workdir))
    if clips is None:
        raise InputError("Nothing to render yet: the clips must be found first")
    order = sorted(range(len(clips.clips)), key=lambda i: (-clips.clips[i].score, i))
    return [{"clip": clip_index} for clip_index in order]


def run_part(workdir: Path, options: PipelineOptions, spec: dict, progress: Progress) -> RenderResult:
    """One clip made reviewable; a clip that cannot be gives a result with the reason."""
    clip_index = spec["clip"]
    try:
        return prepare_preview(workdir, clip_index, options, progress)
    except InputError as exc:
        return _failed(clip_index, exc)


FAILED_PREFIX = "Render failed: "


def _failed(clip_index: int, exc: InputError) -> RenderResult:
    return RenderResult(
        clip_index=clip_index, video_file="", width=0, height=0, preview=True, warning=f"{FAILED_PREFIX}{exc}"
    )


def join(workdir: Path, options: PipelineOptions, results: list[dict]) -> RendersResult:
    """renders.json's content from the clips' results, in clip order (Stage.join writes it); an
    error only when every clip failed."""
    renders = sorted((RenderResult.model_validate(result) for result in results), key=lambda r: r.clip_index)
    failed = [render for render in renders if render.warning.startswith(FAILED_PREFIX)]
    if renders and len(failed) == len(renders):
        raise InputError(f"No clip could be rendered: {failed[0].warning.removeprefix(FAILED_PREFIX)}")
    return RendersResult(renders=renders)
