"""Progress reporting shared by every stage."""

from typing import Protocol


class Progress(Protocol):
    def __call__(self, fraction: float, message: str = "") -> None:
        """fraction is 0..1 of the current stage; may raise errors.Cancelled."""


def no_progress(fraction: float, message: str = "") -> None:
    pass


def scaled(progress: Progress, start: float, end: float) -> Progress:
    """A callback that maps 0..1 onto start..end of another one (for sub-steps)."""

    def report(fraction: float, message: str = "") -> None:
        progress(start + (end - start) * min(max(fraction, 0.0), 1.0), message)

    return report
