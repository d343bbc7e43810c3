"""`reframe`: the crop path of one clip as JSON."""

from pathlib import Path

from ..atomic import write_model
from ..errors import InputError
from ..face_analysis import crop_path
from ..schemas import Aspect, Strategy, values


def add_clip_arguments(p) -> None:
    """The clip and its framing, shared by `reframe` and `render`."""
    p.add_argument("media", type=Path)
    p.add_argument("--start", type=float, required=True, help="seconds")
    p.add_argument("--end", type=float, required=True, help="seconds")
    p.add_argument("--aspect", default="9:16", choices=values(Aspect))
    p.add_argument("--strategy", default="keep_in_frame", choices=values(Strategy))
    p.add_argument("--sample-every", type=int, default=3, help="analyse every Nth frame for faces")


def register(subparsers) -> None:
    p = subparsers.add_parser("reframe", help="compute the crop path of a clip (JSON)")
    add_clip_arguments(p)
    p.add_argument("--margin", type=float, default=0.15, help="safe-zone margin, fraction of crop width")
    p.add_argument("-o", "--output", type=Path, required=True, help="crop path JSON file")
    p.set_defaults(handler=_reframe_command)


def _reframe_command(args) -> int:
    if not args.media.exists():
        raise InputError(f"No such file: {args.media}")
    path = crop_path(
        args.media, args.start, args.end, aspect=args.aspect, strategy=args.strategy,
        sample_every=args.sample_every, margin=args.margin,
    )  # fmt: skip
    write_model(args.output, path)
    print(f"{path.frames_analysed} frames analysed, faces in {path.faces_seen}, cuts at {path.cuts}")
    if path.warning:
        print(f"warning: {path.warning}")
    return 0
