"""TextTiling over sentence embeddings: a numpy port of ClipsAI 0.2.1 (TextTiler + ClipFinder).

Hearst's TextTiling with embeddings: a gap score per gap between units (cosine of the mean
embedding of up to k units on the left and on the right), a flat moving average, depth scores,
and boundaries at local maxima of depth above a cutoff. ClipFinder repeats this on "super
clips" (segments pooled into one embedding) at several window sizes to get multi-scale clips.

Float32 casts sit where ClipsAI's torch code has float32 tensors, so the same embeddings give
the same boundaries. Every step is vectorised over gaps.
"""

from dataclasses import dataclass

import numpy as np

CUTOFF_POLICIES = ("high", "average", "low")
DUPLICATE_S = 15.0  # ClipFinder: |start diff| + |end diff| below this is the same clip
# ClipFinder's passes: window sizes and the shortest clip (s) each pass may propose;
# None = the caller's minimum.
CLIPSAI_PASSES = (((5, 7), None), ((11, 17), 180.0), ((37, 53, 73, 97), 600.0))


@dataclass(frozen=True)
class Span:
    """Consecutive sentences [first, end) and their times in seconds."""

    first: int
    end: int
    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


def gap_similarities(embeddings: np.ndarray, k: int) -> np.ndarray:
    """Cosine similarity, for each of the N-1 gaps, of the mean of up to k units either side."""
    n = len(embeddings)
    sums = np.vstack([np.zeros((1, embeddings.shape[1])), np.cumsum(embeddings, axis=0, dtype=np.float64)])
    gap = np.arange(n - 1)
    left_lo = np.maximum(0, gap - k + 1)
    right_hi = np.minimum(gap + 1 + k, n)
    left = (sums[gap + 1] - sums[left_lo]) / (gap + 1 - left_lo)[:, None]
    right = (sums[right_hi] - sums[gap + 1]) / (right_hi - gap - 1)[:, None]
    norms = np.linalg.norm(left, axis=1) * np.linalg.norm(right, axis=1)
    return ((left * right).sum(axis=1) / np.maximum(norms, 1e-8)).astype(np.float32)


def smooth(x: np.ndarray, width: int = 3) -> np.ndarray:
    """Flat moving average with reflected ends (the SciPy cookbook `smooth` that ClipsAI uses)."""
    if width < 3:
        return x
    x = np.asarray(x, dtype=np.float64)
    padded = np.r_[2 * x[0] - x[width:1:-1], x, 2 * x[-1] - x[-1:-width:-1]]
    return np.convolve(np.ones(width) / width, padded, mode="same")[width - 1 : -width + 1]


def depth_scores(scores: np.ndarray) -> np.ndarray:
    """Hearst depth: (left peak - score) + (right peak - score), climbing while not decreasing."""
    n = len(scores)
    idx = np.arange(n)
    # Walking left from i stops at the first j with scores[j] < scores[j+1]; the peak is j+1.
    rises = np.r_[False, scores[:-1] < scores[1:]]  # rises[i]: scores[i-1] < scores[i]
    left_peak_at = np.maximum.accumulate(np.where(rises, idx, 0))
    # Walking right stops at the first j with scores[j] < scores[j-1]; the peak is j-1.
    falls = np.r_[scores[1:] < scores[:-1], False]  # falls[i]: scores[i+1] < scores[i]
    right_peak_at = np.minimum.accumulate(np.where(falls, idx, n - 1)[::-1])[::-1]
    return (scores[left_peak_at] - scores) + (scores[right_peak_at] - scores)


def cutoff_for(depths: np.ndarray, policy: str = "high") -> float:
    mean, std = depths.mean(), depths.std()
    return {"high": mean + std, "average": mean, "low": mean - std}[policy]


def local_peaks(depths: np.ndarray, cutoff: float) -> np.ndarray:
    """Gaps whose depth exceeds cutoff and is a local maximum (not a flat plateau)."""
    left = np.r_[depths[:1], depths[:-1]]
    right = np.r_[depths[1:], depths[-1:]]
    flat = (depths == left) & (depths == right)
    return (depths > cutoff) & (depths >= left) & (depths >= right) & ~flat


def text_tile(
    embeddings: np.ndarray,
    k: int,
    *,
    smoothing_width: int = 3,
    cutoff_policy: str = "high",
    sharpen: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """One TextTiling pass. Returns (boundaries, pooled).

    boundaries: N booleans, True at unit i when a segment ends after it (the last is True).
    pooled: one max-magnitude-pooled embedding per segment.
    sharpen: move each boundary to the least similar of its own and its neighbouring gaps
    before smoothing (see sharpen_boundaries); False is ClipsAI exactly.
    """
    n = len(embeddings)
    if k >= n:
        k = max(n // 5, 2)
    if smoothing_width >= n:
        smoothing_width = 2
    raw = gap_similarities(embeddings, k)
    depths = depth_scores(smooth(raw, smoothing_width).astype(np.float32))
    gaps = local_peaks(depths, cutoff_for(depths, cutoff_policy))
    if sharpen:
        gaps = sharpen_boundaries(gaps, raw)
    boundaries = np.r_[gaps, True]
    return boundaries, pool_segments(embeddings, boundaries)


def sharpen_boundaries(gaps: np.ndarray, raw_similarity: np.ndarray, reach: int = 1) -> np.ndarray:
    """Each boundary moved to the gap of lowest unsmoothed similarity within `reach` gaps.

    The 3-wide smoothing that makes detection robust also flattens a dip into a plateau over
    the true gap and its two neighbours, so noise (and a slightly lower similarity just before
    a change) decides the position: boundaries landed one sentence early about twice as often
    as late. The unsmoothed similarity has its minimum on the true gap far more often
    (bench/segment.py counts early/late boundaries).
    """
    out = np.zeros_like(gaps, dtype=bool)
    for _, new in boundary_moves(gaps, raw_similarity, reach):
        out[new] = True
    return out


def boundary_moves(gaps: np.ndarray, raw_similarity: np.ndarray, reach: int = 1) -> list[tuple[int, int]]:
    """(old gap, new gap) for each boundary in gaps, as sharpen_boundaries moves them."""
    moves = []
    for gap in np.flatnonzero(gaps).tolist():
        lo, hi = max(0, gap - reach), min(len(raw_similarity), gap + reach + 1)
        moves.append((gap, lo + int(np.argmin(raw_similarity[lo:hi]))))
    return moves


def pool_segments(embeddings: np.ndarray, boundaries: np.ndarray) -> np.ndarray:
    """Per segment and dimension, the value of largest magnitude (ClipsAI's "max" pooling)."""
    starts = np.r_[0, np.flatnonzero(boundaries)[:-1] + 1]
    biggest = np.maximum.reduceat(embeddings, starts, axis=0)
    smallest = np.minimum.reduceat(embeddings, starts, axis=0)
    return np.where(np.abs(smallest) > np.abs(biggest), smallest, biggest)


def clipsai_clips(
    sentences: list[Span],
    embeddings: np.ndarray,
    *,
    min_s: float,
    max_s: float,
    legacy_start: bool = False,
    sharpen: bool = False,
) -> list[Span]:
    """ClipsAI's ClipFinder.find_clips: multi-scale, overlapping candidates in min_s..max_s.

    legacy_start=True reproduces ClipsAI exactly, including its quirk that each segment after
    the first starts at the previous segment's last unit (one sentence early, or more on later
    rounds). False starts right after the previous segment: the fix. sharpen: see text_tile.
    """
    clips: list[Span] = []
    media_end_s = sentences[-1].end_s
    if media_end_s <= max_s:
        clips.append(Span(0, len(sentences), 0.0 if legacy_start else sentences[0].start_s, media_end_s))
    for window_sizes, pass_min_s in CLIPSAI_PASSES:
        for k in window_sizes:
            clips = _tile_rounds(
                sentences,
                embeddings,
                k,
                min_s if pass_min_s is None else pass_min_s,
                max_s,
                clips,
                legacy_start,
                sharpen,
            )
    return clips


def _tile_rounds(units, embeddings, k, min_s, max_s, kept, legacy_start, sharpen):
    kept = list(kept)
    while len(embeddings) > 8:
        boundaries, pooled = text_tile(embeddings, 3 if k >= len(embeddings) else k, sharpen=sharpen)
        ends = np.flatnonzero(boundaries)
        starts = np.r_[0, ends[:-1] if legacy_start else ends[:-1] + 1]
        supers = [
            Span(units[a].first, units[b].end, units[a].start_s, units[b].end_s)
            for a, b in zip(starts.tolist(), ends.tolist())
        ]
        earlier = list(kept)  # ClipsAI compares against clips kept before this round only
        kept += [s for s in supers if min_s <= s.duration_s <= max_s and not is_duplicate(s, earlier)]
        units, embeddings = supers, pooled
    return kept


def is_duplicate(span: Span, others: list[Span], within_s: float = DUPLICATE_S) -> bool:
    """True when |start diff| + |end diff| to any of others is under within_s seconds."""
    if not others:
        return False
    starts = np.array([o.start_s for o in others])
    ends = np.array([o.end_s for o in others])
    return bool(np.any(np.abs(starts - span.start_s) + np.abs(ends - span.end_s) < within_s))
