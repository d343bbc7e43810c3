"""`fetch`, `ingest` and `probe`: the ingest stage by hand."""

import sys
from pathlib import Path

from .. import schemas
from ..fetch import fetch
from ..ingest import run
from ..probe import probe


def register(subparsers) -> None:
    p = subparsers.add_parser("fetch", help="download a video from a URL; prints the file path")
    p.add_argument("url")
    p.add_argument("-o", "--output", required=True, type=Path, help="directory to download into")
    p.add_argument("--allow-private", action="store_true", help="allow private/loopback hosts")
    p.add_argument("--max-bytes", type=int, default=schemas.PipelineOptions().max_upload_bytes)
    p.set_defaults(handler=_fetch_command)

    p = subparsers.add_parser("ingest", help="fetch/copy a source into a work directory, probe it, extract audio")
    p.add_argument("source", help="media file path or http(s) URL")
    p.add_argument("-o", "--output", required=True, type=Path, help="work directory")
    p.add_argument("--allow-private", action="store_true", help="allow private/loopback hosts")
    p.add_argument("--max-duration", type=float, default=schemas.PipelineOptions().max_duration_s, help="seconds")
    p.set_defaults(handler=_ingest_command)

    p = subparsers.add_parser("probe", help="check a media file and print what ingest would record")
    p.add_argument("media", type=Path)
    p.add_argument("--max-duration", type=float, default=schemas.PipelineOptions().max_duration_s, help="seconds")
    p.set_defaults(handler=_probe_command)


def _print_progress(fraction: float, message: str = "") -> None:
    print(f"\r{100 * fraction:5.1f}% {message[:70]:<70}", end="", flush=True, file=sys.stderr)


def _fetch_command(args) -> int:
    path, _title = fetch(
        args.url, args.output, allow_private=args.allow_private, max_bytes=args.max_bytes, progress=_print_progress
    )
    print(file=sys.stderr)
    print(path)
    return 0


def _ingest_command(args) -> int:
    options = schemas.PipelineOptions(
        source=args.source, allow_private_urls=args.allow_private, max_duration_s=args.max_duration
    )
    info = run(args.output, options, _print_progress)
    print(file=sys.stderr)
    print(info.model_dump_json(indent=1))
    return 0


def _probe_command(args) -> int:
    print(probe(args.media, max_duration_s=args.max_duration).model_dump_json(indent=1))
    return 0
