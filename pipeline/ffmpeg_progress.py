"""One way to run a long ffmpeg command: its `-progress pipe:1` output turned into progress
calls, its stderr kept in a file, and the process killed if the caller stops (Cancelled)."""

import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

from .progress import Progress


@dataclass(frozen=True)
class Finished:
    returncode: int
    stderr: str
    reached_s: float  # how far into its output ffmpeg got (seconds)


def run(cmd: list[str], duration_s: float, progress: Progress, message: str | Callable[[float], str]) -> Finished:
    """Runs `cmd` (which must contain `-progress pipe:1 -nostats`) to its end.

    progress(fraction of duration_s, message) follows ffmpeg's out_time, about twice a second;
    `message` may be a function of the seconds done. Any exception from progress (Cancelled)
    kills ffmpeg and is raised again.
    """
    reached_s = 0.0
    # stderr goes to a file: a pipe nobody reads while progress lines are read would fill up on
    # a long run of decoder warnings and block ffmpeg (and this loop) for good.
    with tempfile.TemporaryFile() as stderr_file:
        with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=stderr_file, text=True, errors="replace") as proc:
            try:
                for line in proc.stdout:
                    key, _, value = line.strip().partition("=")
                    if key == "out_time_us" and value.lstrip("-").isdigit():
                        reached_s = max(reached_s, int(value) / 1e6)
                        if duration_s > 0:
                            text = message(reached_s) if callable(message) else message
                            progress(min(reached_s / duration_s, 1.0), text)
            except BaseException:
                proc.kill()
                raise
        stderr_file.seek(0)
        stderr = stderr_file.read().decode(errors="replace")
    return Finished(proc.returncode, stderr, reached_s)
