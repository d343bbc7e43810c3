"""Silence trimming inside a clip: which pauses to cut, and where every time lands afterwards.

A pause is a gap between spoken words (the transcript's word times, and the clip's edges)
longer than `min_pause_s`; when the audio analysis found silences, only the part of the gap that
is also silent counts, so a word the transcript timed badly is never cut. Each cut leaves
KEEP_S of the pause on both sides so speech keeps its rhythm, and starts and ends on a frame so
picture and sound stay in step. The render keeps the other segments in its single encode (a
short fade at each join, so no click) and shifts the subtitles with `TimeMap`; the crop path
needs no change because the crop is applied before the cut.
"""

import math
from dataclasses import dataclass

KEEP_S = 0.12  # of each pause kept before and after the cut
FADE_S = 0.012  # fade out / in at each join
MIN_CUT_FRAMES = 2


@dataclass(frozen=True)
class TimeMap:
    """Clip-relative seconds before trimming -> seconds in the trimmed output."""

    cuts: tuple[tuple[float, float], ...]  # sorted, disjoint, clip-relative

    @property
    def removed_s(self) -> float:
        return sum(b - a for a, b in self.cuts)

    def __call__(self, t: float) -> float:
        shift = 0.0
        for a, b in self.cuts:
            if t >= b:
                shift += b - a
            elif t > a:  # inside a cut: where the cut was made
                return a - shift
            else:
                break
        return t - shift

    def keep_segments(self, duration_s: float) -> list[tuple[float, float]]:
        """The clip-relative spans that stay, in order."""
        segments, position = [], 0.0
        for a, b in self.cuts:
            if a > position:
                segments.append((position, a))
            position = b
        if duration_s > position:
            segments.append((position, duration_s))
        return segments


def plan_cuts(
    word_spans: list[tuple[float, float]],
    duration_s: float,
    fps: float,
    *,
    min_pause_s: float,
    silences: list[tuple[float, float]] | None = None,
) -> TimeMap:
    """The cuts for a clip whose words span `word_spans` (clip-relative, in order)."""
    edges = [(0.0, 0.0), *sorted(word_spans), (duration_s, duration_s)]
    cuts = []
    for (_, gap_start), (gap_end, _) in zip(edges, edges[1:]):
        for start, end in _silent_parts(gap_start, gap_end, silences):
            if end - start <= min_pause_s:
                continue
            # Frame-aligned, inside the pause with KEEP_S left at each side.
            a = math.ceil((start + KEEP_S) * fps - 1e-6) / fps
            b = math.floor((end - KEEP_S) * fps + 1e-6) / fps
            if b - a >= MIN_CUT_FRAMES / fps:
                cuts.append((round(a, 6), round(b, 6)))
    return TimeMap(tuple(cuts))


def _silent_parts(start: float, end: float, silences: list[tuple[float, float]] | None):
    if silences is None:
        yield start, end
        return
    for s0, s1 in silences:
        lo, hi = max(start, s0), min(end, s1)
        if hi > lo:
            yield lo, hi
