"""`clips`: transcript.json to clips.json."""

import argparse
from pathlib import Path

from .. import schemas
from ..atomic import write_model
from ..clipfind import DEFAULT_MAX_CLIPS, PRESETS, find_clips
from ..errors import InputError


def register(subparsers) -> None:
    p = subparsers.add_parser("clips", help="find topics and scored clips in a transcript.json")
    p.add_argument("transcript", type=Path, help="transcript.json (from the transcribe stage)")
    p.add_argument("-o", "--output", type=Path, required=True, help="clips.json to write")
    p.add_argument("--min", dest="min_s", type=float, default=None, help="shortest clip, seconds (30)")
    p.add_argument("--max", dest="max_s", type=float, default=None, help="longest clip, seconds (90)")
    p.add_argument("--preset", choices=sorted(PRESETS), help="short 30-60, medium 30-90, long 60-180")
    p.add_argument("--embedding-model", default="", help="local sentence-transformers directory")
    p.add_argument("--max-clips", type=int, default=None, help="keep the best N clips (100; moments: 5)")
    p.add_argument("--about", metavar="TEXT", help='only moments about TEXT (semantic search), e.g. --about "pricing"')
    p.set_defaults(handler=_clips_command)


def _clips_command(args: argparse.Namespace) -> int:
    preset_min, preset_max = PRESETS[args.preset] if args.preset else (30.0, 90.0)
    try:
        transcript = schemas.Transcript.model_validate_json(args.transcript.read_text())
    except FileNotFoundError:
        raise InputError(f"{args.transcript} does not exist") from None
    except ValueError as exc:
        raise InputError(f"{args.transcript} is not a transcript.json: {exc}") from None
    if args.about is not None:
        return _moments_command(args, transcript, preset_min, preset_max)
    result = find_clips(
        transcript,
        min_s=preset_min if args.min_s is None else args.min_s,
        max_s=preset_max if args.max_s is None else args.max_s,
        embedding_model=args.embedding_model,
        max_clips=DEFAULT_MAX_CLIPS if args.max_clips is None else args.max_clips,
    )
    write_model(args.output, result)
    note = f" ({result.note})" if result.note else ""
    print(f"{len(result.topics)} topics, {len(result.clips)} clips -> {args.output}{note}")
    return 0


def _moments_command(args, transcript, preset_min, preset_max) -> int:
    from ..moment_search import DEFAULT_LIMIT, clean_query, find_moments

    query = clean_query(args.about)
    moments = find_moments(
        transcript,
        query,
        min_s=preset_min if args.min_s is None else args.min_s,
        max_s=preset_max if args.max_s is None else args.max_s,
        embedding_model=args.embedding_model,
        limit=DEFAULT_LIMIT if args.max_clips is None else args.max_clips,
    )
    note = f"Moments about “{query}”, best first" if moments else f"Nothing found about “{query}”"
    write_model(args.output, schemas.ClipsResult(topics=[], clips=moments, note=note))
    print(f"{len(moments)} moments about “{query}” -> {args.output}")
    for moment in moments:
        print(f"  {moment.start:8.1f}-{moment.end:8.1f} s  {moment.reason}")
    return 0
