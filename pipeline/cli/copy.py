"""`copy`: write copy for clips.json, or regenerate some clips into an existing copies.json."""

from pathlib import Path

from .. import config
from ..atomic import write_model
from ..copywriter import merge_copies, write_copies
from ..errors import InputError
from ..schemas import ClipsResult, CopiesResult, Platform, Provider, Transcript, values


def register(subparsers) -> None:
    p = subparsers.add_parser("copy", help="write social-media copy for clips.json")
    p.add_argument("clips", type=Path, help="clips.json")
    p.add_argument("--transcript", type=Path, help="transcript.json (its language picks the prompts)")
    p.add_argument("-o", "--output", type=Path, required=True, help="copies.json to write")
    p.add_argument(
        "--provider",
        choices=values(Provider),
        help="default: CLIPER_COPY_PROVIDER, else gemini when GEMINI_API_KEY is set, else local",
    )
    p.add_argument("--language", help="when there is no transcript (default en)")
    p.add_argument("--platform", choices=values(Platform), help="default: CLIPER_PLATFORM or tiktok")
    p.add_argument(
        "--hashtag",
        action="append",
        dest="hashtags",
        help="mandatory hashtag (repeatable); default CLIPER_MANDATORY_HASHTAGS",
    )
    p.add_argument(
        "--clip",
        type=int,
        action="append",
        dest="clip_indexes",
        help="only this clip index (repeatable); merged into the output",
    )
    p.set_defaults(handler=_copy_command)


def _copy_command(args) -> int:
    from tqdm import tqdm

    try:
        clips = ClipsResult.model_validate_json(args.clips.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"Cannot read clips from {args.clips}: {exc}") from exc
    language = args.language or "en"
    if args.transcript:
        try:
            language = Transcript.model_validate_json(args.transcript.read_text()).language or language
        except (OSError, ValueError) as exc:
            raise InputError(f"Cannot read the transcript {args.transcript}: {exc}") from exc
    options = config.pipeline_options(
        copy_provider=args.provider, platform=args.platform, mandatory_hashtags=args.hashtags
    )
    selected = dict(enumerate(clips.clips))
    if args.clip_indexes:
        unknown = [i for i in args.clip_indexes if i not in selected]
        if unknown:
            raise InputError(f"No clip {unknown[0]} in {args.clips} (it has {len(selected)})")
        selected = {i: selected[i] for i in args.clip_indexes}
    with tqdm(total=100, desc="Write copy", unit="%", bar_format="{l_bar}{bar}| {postfix}") as bar:

        def progress(fraction, message=""):
            bar.n = round(100 * min(max(fraction, 0.0), 1.0))
            bar.set_postfix_str(message[:60], refresh=True)

        result = write_copies(selected, language=language, options=options, progress=progress)
    if args.clip_indexes and args.output.exists():
        result = merge_copies(CopiesResult.model_validate_json(args.output.read_text()), result)
    write_model(args.output, result)
    label = " (local drafts)" if result.is_local_draft else ""
    print(f"{len(result.copies)} copies{label}, {len(result.failures)} failed -> {args.output}")
    for failure in result.failures:
        print(f"  clip {failure.clip_index}: {failure.reason}")
    if result.tokens_in or result.tokens_out:
        print(f"  tokens {result.tokens_in} in / {result.tokens_out} out, estimated ${result.cost_usd:.4f}")
    return 0
