"""`python -m pipeline ...`: every stage as a command, plus `run` for the whole pipeline."""

import argparse
import importlib
import sys

from ..errors import InputError

# Each module adds its own sub-commands through register(subparsers); imported here, so the
# stage modules (and torch) load only when a command runs.
COMMAND_MODULES = (
    "pipeline.cli.ingest",
    "pipeline.cli.transcribe",
    "pipeline.cli.clips",
    "pipeline.cli.copy",
    "pipeline.cli.reframe",
    "pipeline.cli.render",
    "pipeline.cli.run",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args) or 0
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
