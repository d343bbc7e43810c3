"""`run`: every stage on a media file or URL, resumable (stages whose output exists are kept)."""

from pathlib import Path

from tqdm import tqdm

from .. import schemas, stages


def register(subparsers) -> None:
    p = subparsers.add_parser("run", help="run every stage on a media file or URL")
    p.add_argument("source", help="media file path or http(s) URL")
    p.add_argument("-o", "--output", required=True, type=Path, help="work directory")
    p.add_argument("--model", default="base", help="Whisper model: base or tiny.en")
    p.add_argument("--language", default="auto")
    p.add_argument("--min", dest="min_clip_s", type=float, default=30.0)
    p.add_argument("--max", dest="max_clip_s", type=float, default=90.0)
    p.add_argument("--provider", default="local", choices=["local", "gemini", "openai"])
    p.add_argument("--aspect", default="9:16", choices=["9:16", "1:1", "16:9"])
    p.add_argument("--strategy", default="keep_in_frame", choices=["keep_in_frame", "centered"])
    p.add_argument("--subtitles", default="clean", choices=["clean", "bold", "karaoke", "none"])
    p.add_argument("--force", action="store_true", help="rerun stages whose output exists")
    p.set_defaults(handler=run_all)


def run_all(args) -> int:
    options = schemas.PipelineOptions(
        source=args.source,
        whisper_model=args.model,
        language=None if args.language == "auto" else args.language,
        min_clip_s=args.min_clip_s,
        max_clip_s=args.max_clip_s,
        copy_provider=args.provider,
        aspect=args.aspect,
        strategy=args.strategy,
        subtitle_style=args.subtitles,
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
