"""TextTiling pieces and the pause-aware segmentation on synthetic embeddings (no model)."""

import numpy as np

from pipeline.segment import segment_topics
from pipeline.texttiling import depth_scores, gap_similarities, pool_segments, smooth


def looped_depths(scores):
    """Hearst depth written the way ClipsAI writes it, one gap at a time."""
    out = []
    for gap, score in enumerate(scores):
        left = score
        for i in range(gap, -1, -1):
            if scores[i] >= left:
                left = scores[i]
            else:
                break
        right = score
        for i in range(gap, len(scores)):
            if scores[i] >= right:
                right = scores[i]
            else:
                break
        out.append((left - score) + (right - score))
    return np.array(out)


def test_vectorised_depth_equals_the_loop_including_plateaus():
    rng = np.random.default_rng(0)
    for _ in range(50):
        scores = rng.integers(0, 4, size=rng.integers(2, 30)).astype(np.float64)  # many ties
        np.testing.assert_array_equal(depth_scores(scores), looped_depths(scores))


def test_gap_similarity_compares_window_means():
    embeddings = np.array([[1.0, 0], [1, 0], [0, 1], [0, 1]])
    sims = gap_similarities(embeddings, 2)
    np.testing.assert_allclose(sims, [1 / np.sqrt(2), 0.0, 1 / np.sqrt(2)], atol=1e-6)


def test_smoothing_is_a_three_wide_moving_average_inside():
    x = np.array([0.0, 3, 0, 3, 0, 3])
    np.testing.assert_allclose(smooth(x, 3)[1:-1], [1, 2, 1, 2])


def test_max_pooling_keeps_the_value_of_largest_magnitude():
    embeddings = np.array([[0.1, -0.9], [0.5, 0.2], [-0.3, 0.3]])
    pooled = pool_segments(embeddings, np.array([False, True, True]))
    np.testing.assert_allclose(pooled, [[0.5, -0.9], [-0.3, 0.3]])


def topic_embeddings(lengths, seed=0, noise=0.35):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(len(lengths), 64))
    rows = [
        centres[t] + noise * rng.normal(size=64) * np.linalg.norm(centres[t]) / 8
        for t, n in enumerate(lengths)
        for _ in range(n)
    ]
    return np.array(rows, dtype=np.float32)


def true_ends(lengths):
    return (np.cumsum(lengths)[:-1] - 1).tolist()


def test_it_finds_clear_topic_changes():
    lengths = [6, 9, 5, 8, 7]
    boundaries, strengths = segment_topics(topic_embeddings(lengths), np.full(sum(lengths) - 1, 0.5))
    assert np.flatnonzero(boundaries).tolist() == true_ends(lengths)
    assert len(strengths) == sum(lengths) - 1


def test_long_pauses_that_agree_with_the_text_sharpen_the_boundaries():
    lengths = [7, 7, 7, 7]
    embeddings = topic_embeddings(lengths, seed=0, noise=2.0)  # text alone misplaces two
    rng = np.random.default_rng(1)
    pauses = rng.uniform(0.3, 0.6, sum(lengths) - 1)
    flat, flat_strength = segment_topics(embeddings, pauses)
    pauses[true_ends(lengths)] = 2.0
    with_pauses, strength = segment_topics(embeddings, pauses)
    assert np.flatnonzero(flat).tolist() != true_ends(lengths)
    assert np.flatnonzero(with_pauses).tolist() == true_ends(lengths)
    assert strength[true_ends(lengths)].mean() > flat_strength[true_ends(lengths)].mean()


def test_too_few_sentences_give_no_boundaries():
    boundaries, strengths = segment_topics(topic_embeddings([3, 3]), np.full(5, 0.5))
    assert not boundaries.any() and len(boundaries) == 5
