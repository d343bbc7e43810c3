"""`run`: every stage on a media file or URL, resumable (stages whose output exists are kept)."""

from pathlib import Path

from tqdm import tqdm

from .. import config, stages
from ..schemas import Aspect, Language, Provider, Strategy, SubtitleStyle, values


def register(subparsers) -> None:
    p = subparsers.add_parser("run", help="run every stage on a media file or URL")
    p.add_argument("source", help="media file path or http(s) URL")
    p.add_argument("-o", "--output", required=True, type=Path, help="work directory")
    p.add_argument("--model", help="Whisper model: base or tiny.en (default: CLIPER_WHISPER_MODEL or base)")
    p.add_argument("--language", default="auto", choices=["auto", *values(Language)])
    p.add_argument("--min", dest="min_clip_s", type=float, default=30.0)
    p.add_argument("--max", dest="max_clip_s", type=float, default=90.0)
    p.add_argument("--provider", choices=values(Provider), help="default: the site default (CLIPER_COPY_PROVIDER)")
    p.add_argument("--aspect", default="9:16", choices=values(Aspect))
    p.add_argument("--strategy", default="keep_in_frame", choices=values(Strategy))
    p.add_argument("--subtitles", default="clean", choices=values(SubtitleStyle))
    p.add_argument("--force", action="store_true", help="rerun stages whose output exists")
    p.set_defaults(handler=run_all)


def run_all(args) -> int:
    options = config.pipeline_options(
        source=args.source,
        whisper_model=args.model,
        language=None if args.language == "auto" else args.language,
        min_clip_s=args.min_clip_s,
        max_clip_s=args.max_clip_s,
        copy_provider=args.provider,
        aspect=args.aspect,
        strategy=args.strategy,
        subtitle_style=args.subtitles,
        server_previews=True,  # a terminal has no browser to crop the source in: encode each preview
    )
    workdir = args.output
    workdir.mkdir(parents=True, exist_ok=True)
    for stage in stages.STAGES:
        if not args.force and stage.output_path(workdir).exists():
            print(f"{stage.label}: done earlier, kept ({stage.output_file})")
            continue
        with tqdm(total=100, desc=stage.label, unit="%", bar_format="{l_bar}{bar}| {postfix}") as bar:

            def progress(fraction, message="", bar=bar):
                bar.n = round(100 * min(max(fraction, 0.0), 1.0))
                bar.set_postfix_str(message[:60], refresh=True)

            stage.run(workdir, options, progress)
            progress(1.0, "done")
    print(f"Done: {workdir}")
    return 0
