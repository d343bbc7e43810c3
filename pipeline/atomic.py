"""Files that appear whole or not at all: written under a hidden temporary name beside the
target (same file system, so the rename is atomic), then renamed over it. A killed process or a
failed ffmpeg leaves the earlier file in place and no half-written one."""

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel


def temp_path(path: Path, suffix: str = "") -> Path:
    """A new, unique, hidden file name beside `path`, ending in `suffix` (default: ".part" and
    path's own suffix, which ffmpeg reads the format from). The file exists, empty, so the name is
    this caller's alone (two renders of one clip never share one); the caller removes it if it is
    not renamed."""
    path = Path(path)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=suffix or f".part{path.suffix}")
    os.close(fd)
    return Path(name)


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """`with atomic_path(target) as tmp:` write `tmp`; it replaces `target` when the block ends
    without an exception, and is removed otherwise."""
    tmp = temp_path(path)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_model(path: Path, model: BaseModel) -> None:
    """A Pydantic model as JSON."""
    write_text(path, model.model_dump_json(indent=1))
