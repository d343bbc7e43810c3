"""`render` one clip and make the offline `sample` talk."""

from pathlib import Path

from ..errors import InputError
from ..render import render_clip
from ..schemas import CaptionStyle, LayoutChoice, SubtitleStyle, Transcript, values
from .reframe import add_clip_arguments


def register(subparsers) -> None:
    p = subparsers.add_parser("render", help="render one clip (crop, subtitles, audio) to MP4")
    add_clip_arguments(p)
    p.add_argument("--transcript", type=Path, help="transcript.json with word times (for subtitles)")
    p.add_argument("--subtitles", default="clean", choices=values(SubtitleStyle))
    p.add_argument("--preview", action="store_true", help="540x960 fast preview instead of the final")
    p.add_argument("--max-bytes", type=int, default=0, help="refuse outputs larger than this")
    p.add_argument(
        "--style", type=Path, help="caption style JSON (pipeline.schemas.CaptionStyle), replaces --subtitles"
    )
    p.add_argument("--hook", default="", help="hook title shown first (when the style has hook_title on)")
    p.add_argument("--loudness", type=float, help="normalise to this integrated loudness (LUFS), e.g. -14")
    p.add_argument("--true-peak", type=float, default=-1.0, help="true peak ceiling with --loudness (dBTP)")
    p.add_argument("--trim-pauses", type=float, help="cut pauses between words longer than this (seconds)")
    p.add_argument(
        "--layout", default="auto", choices=values(LayoutChoice), help="framing; auto: chosen per shot from who speaks"
    )
    p.add_argument("--follow-face", type=int, help="follow this face id (the crop path's speakers.faces)")
    p.add_argument("-o", "--output", type=Path, required=True, help="output .mp4")
    p.set_defaults(handler=_render_command)

    p = subparsers.add_parser("sample", help="make the offline sample talk video (espeak-ng speech)")
    p.add_argument("-o", "--output", type=Path, required=True, help="output .mp4")
    p.add_argument("--language", default="en")
    p.add_argument("--width", type=int, default=1280)
    p.add_argument("--height", type=int, default=720)
    p.add_argument("--fps", type=int, default=25)
    p.add_argument("--text", help="text to speak instead of the built-in talk")
    p.set_defaults(handler=_sample_command)


def _render_command(args) -> int:
    from tqdm import tqdm

    words = None
    if args.transcript:
        if not args.transcript.exists():
            raise InputError(f"No such transcript: {args.transcript}")
        words = Transcript.model_validate_json(args.transcript.read_text()).words
    style = None
    if args.style:
        if not args.style.exists():
            raise InputError(f"No such caption style file: {args.style}")
        try:
            style = CaptionStyle.model_validate_json(args.style.read_text())
        except ValueError as exc:
            raise InputError(f"{args.style} is not a caption style: {exc}") from exc
    with tqdm(total=100, desc="Render", unit="%") as bar:

        def report(fraction: float, message: str = "") -> None:
            bar.n = round(100 * fraction)
            bar.set_postfix_str(message, refresh=True)

        crop = _chosen_framing(args, report) if args.layout != "auto" or args.follow_face is not None else None
        result = render_clip(
            args.media, args.start, args.end, args.output, words=words, aspect=args.aspect,
            strategy=args.strategy, subtitle_style=args.subtitles, preview=args.preview,
            sample_every=args.sample_every, max_bytes=args.max_bytes, progress=report,
            caption_style=style, hook_text=args.hook, loudness_lufs=args.loudness, true_peak_db=args.true_peak,
            trim_pause_s=args.trim_pauses, crop=crop,
        )  # fmt: skip
    print(result.model_dump_json(indent=1))
    return 0


def _chosen_framing(args, report):
    """The clip's crop path planned for --layout / --follow-face, as a reviewer's override is."""
    from .. import speakers
    from ..face_analysis import crop_path
    from ..progress import scaled

    if not args.media.exists():
        raise InputError(f"No such media file: {args.media.name}")
    crop = crop_path(
        args.media, args.start, args.end, aspect=args.aspect, strategy=args.strategy,
        sample_every=args.sample_every, progress=scaled(report, 0.0, 0.3),
    )  # fmt: skip
    if crop.speakers is None:
        raise InputError("This clip's crop is the whole picture: there is no framing to choose")
    if args.follow_face is not None and args.follow_face not in {f.id for f in crop.speakers.faces}:
        faces = ", ".join(str(f.id) for f in crop.speakers.faces) or "none"
        raise InputError(f"No face {args.follow_face} in this clip (faces: {faces})")
    return speakers.replan(crop, aspect=args.aspect, choice=args.layout, follow=args.follow_face)


def _sample_command(args) -> int:
    from ..sample import make_sample_talk

    path = make_sample_talk(
        args.output, language=args.language, width=args.width, height=args.height, fps=args.fps, text=args.text
    )
    print(path)
    return 0
