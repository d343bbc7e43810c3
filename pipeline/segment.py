"""Linear topic segmentation of a transcript: TextTiling depth plus speech pauses.

What a transcript adds to text: a speaker pauses longer where the topic changes. Each gap
between sentences gets a strength = (embedding depth score / its std) + w * (how much longer
than usual the pause is, in std of log pause, 0 when shorter than the median). The pause
weight w follows how well pauses agree with the text signal in this very transcript
(1.5 x their correlation, capped at 0.5), so a speaker who pauses at random cannot hurt much.

Boundaries are local maxima of strength above mean + 0.5 std. The window k starts at 3 and is
then set from the segment length found (mean length / 2.5, 2..12 sentences), so long topics
get wide windows. Each boundary is then moved to the least similar gap next to it before
smoothing (texttiling.boundary_moves): smoothing alone put boundaries one sentence early
twice as often as late. bench/segment.py reports Pk with and without informative pauses.
"""

import numpy as np

from .texttiling import boundary_moves, depth_scores, gap_similarities, local_peaks, smooth

FIRST_WINDOW = 3
CUTOFF_STDS = 0.5
PAUSE_WEIGHT_PER_CORRELATION = 1.5
PAUSE_WEIGHT_CAP = 0.5
SENTENCES_PER_WINDOW = 2.5
MIN_SENTENCES = 9  # fewer: no segmentation (ClipsAI needs more than 8 units as well)


def pause_zscores(pauses_s: np.ndarray) -> np.ndarray:
    """How much longer than the median each pause is, in std of log pause (0 for shorter)."""
    log_pause = np.log(np.maximum(pauses_s, 0.0) + 0.1)
    spread = log_pause.std()
    if spread < 1e-6:
        return np.zeros_like(log_pause)
    return np.clip((log_pause - np.median(log_pause)) / spread, 0.0, None)


def gap_strengths(embeddings: np.ndarray, pauses_s: np.ndarray, k: int) -> np.ndarray:
    """Topic-shift strength of each of the N-1 gaps between N sentences (unitless, >= 0)."""
    depths = depth_scores(smooth(gap_similarities(embeddings, k), 3).astype(np.float64))
    text = depths / (depths.std() + 1e-9)
    pauses = pause_zscores(pauses_s)
    return text + pause_weight(text, pauses) * pauses


def pause_weight(text: np.ndarray, pauses: np.ndarray) -> float:
    """How much pauses count: 1.5 x their correlation with the text signal, 0..0.5."""
    if pauses.std() < 1e-9 or text.std() < 1e-9:
        return 0.0
    return float(np.clip(PAUSE_WEIGHT_PER_CORRELATION * np.corrcoef(text, pauses)[0, 1], 0.0, PAUSE_WEIGHT_CAP))


def segment_topics(embeddings: np.ndarray, pauses_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(boundaries, strengths) over the N-1 gaps; boundaries[i] = a topic ends after sentence i.

    pauses_s: silence before each sentence but the first (seconds), length N-1.
    """
    n = len(embeddings)
    if n < MIN_SENTENCES:
        return np.zeros(max(n - 1, 0), dtype=bool), np.zeros(max(n - 1, 0))
    strengths = gap_strengths(embeddings, pauses_s, FIRST_WINDOW)
    boundaries = _peaks(strengths)
    mean_length = n / (boundaries.sum() + 1)
    k = int(np.clip(round(mean_length / SENTENCES_PER_WINDOW), 2, 12))
    if k != FIRST_WINDOW:
        strengths = gap_strengths(embeddings, pauses_s, k)
        boundaries = _peaks(strengths)
    # Sharpening looks at the unsmoothed similarity, plus pauses as much as they count here.
    raw = gap_similarities(embeddings, k).astype(np.float64)
    depths = depth_scores(smooth(raw, 3))
    pauses = pause_zscores(pauses_s)
    weight = pause_weight(depths / (depths.std() + 1e-9), pauses)
    sharpness = raw / (raw.std() + 1e-9) - weight * pauses
    sharpened = np.zeros_like(boundaries)
    found = strengths.copy()
    strengths = strengths.copy()
    for old, new in boundary_moves(boundaries, sharpness):
        # A moved boundary takes the strength found for it, so scores rank the gap it sits on.
        sharpened[new] = True
        strengths[old], strengths[new] = found[new], max(found[old], found[new])
    return sharpened, strengths


def _peaks(strengths: np.ndarray) -> np.ndarray:
    return local_peaks(strengths, strengths.mean() + CUTOFF_STDS * strengths.std())
