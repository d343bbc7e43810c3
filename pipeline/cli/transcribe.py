"""`transcribe`: one media file to transcript JSON, outside the app."""

import argparse
import sys
from pathlib import Path

from ..atomic import write_model
from ..errors import InputError
from ..transcribe import default_beam_size, transcribe


def register(subparsers) -> None:
    p = subparsers.add_parser("transcribe", help="transcribe a media file into words with times (JSON)")
    p.add_argument("media", type=Path, help="video or audio file")
    p.add_argument("-o", "--output", required=True, type=Path, help="transcript JSON to write")
    p.add_argument("--model", default="base", help="base (multilingual), tiny.en (fast, English) or a directory")
    p.add_argument("--language", default="auto", help="auto, en, es, ... (any Whisper language code)")
    p.add_argument("--align-model-dir", default="", help="local wav2vec2 model for WhisperX alignment")
    p.add_argument("--beam", type=int, default=None, help="beam size (default 1 = greedy, or CLIPER_WHISPER_BEAM)")
    p.set_defaults(handler=_transcribe_command)


def _transcribe_command(args: argparse.Namespace) -> int:
    if not args.media.is_file():
        raise InputError(f"File not found: {args.media}")

    def show(fraction: float, message: str = "") -> None:
        print(f"\r{100 * fraction:5.1f}% {message[:60]:<60}", end="", flush=True, file=sys.stderr)

    transcript = transcribe(
        args.media,
        model=args.model,
        language=args.language,
        align_model_dir=args.align_model_dir,
        progress=show,
        beam_size=args.beam or default_beam_size(),
    )
    print(file=sys.stderr)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_model(args.output, transcript)
    if transcript.message:
        print(transcript.message, file=sys.stderr)
    print(args.output)
    return 0
