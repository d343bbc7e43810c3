""" "Find moments about ...": semantic search over a mixed transcript, with the real MiniLM model."""

import json

import pytest

from pipeline import schemas
from pipeline.cli import build_parser
from pipeline.clipedges import depends_on_previous
from pipeline.errors import InputError
from pipeline.moment_search import MAX_QUERY_CHARS, clean_query, find_moments
from pipeline.sentences import split_sentences

from .clipfind_support import choi_document, source_texts, timed_transcript

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def mixed():
    """Ten passages on ten subjects; which sentences belong to the bees passage is known."""
    for seed in range(100):
        sentences, segment_ids = choi_document(seed, min_len=8, max_len=10)
        bees = set(source_texts()["bees"])
        if any(s in bees for s in sentences):
            break
    transcript = timed_transcript(sentences, segment_ids, seed=seed, pause_mode="noise")
    spoken = split_sentences(transcript.words)
    bee_times = [(s.start_s, s.end_s) for s, text in zip(spoken, sentences) if text in bees]
    return transcript, spoken, bee_times


def test_search_finds_the_passage_about_the_query(mixed):
    transcript, spoken, bee_times = mixed
    moments = find_moments(transcript, "honeybee hives and pollen", min_s=20, max_s=60)
    assert moments
    best = moments[0]
    bee_start, bee_end = bee_times[0][0], bee_times[-1][1]
    shared = min(best.end, bee_end) - max(best.start, bee_start)
    assert shared >= 0.6 * (best.end - best.start), best.text[:120]
    assert "honeybee hives and pollen" in best.reason
    starts = {s.start_s: s for s in spoken}
    ends = {s.end_s for s in spoken}
    for moment in moments:
        assert moment.start in starts and moment.end in ends  # sentence-snapped
        assert 20 <= moment.end - moment.start <= 60  # same length rules as clips
        assert not depends_on_previous(starts[moment.start].text)
    assert [m.score for m in moments] == sorted((m.score for m in moments), reverse=True)


def test_another_query_finds_another_passage(mixed):
    transcript, _, bee_times = mixed
    bee_start, bee_end = bee_times[0][0], bee_times[-1][1]
    best = find_moments(transcript, "bees", min_s=20, max_s=60, limit=1)[0]
    other = find_moments(transcript, "volcano eruptions and lava", min_s=20, max_s=60, limit=1)
    assert min(best.end, bee_end) - max(best.start, bee_start) > 0
    assert not other or min(other[0].end, bee_end) - max(other[0].start, bee_start) <= 0


def test_queries_are_one_bounded_line_and_never_empty():
    assert clean_query("  pricing \n\t models ") == "pricing models"
    assert len(clean_query("x" * 10_000)) == MAX_QUERY_CHARS
    with pytest.raises(InputError):
        clean_query(" \n ")


def test_the_cli_writes_moments_about_a_query(tmp_path, mixed, capsys):
    transcript, _, _ = mixed
    source = tmp_path / "transcript.json"
    source.write_text(transcript.model_dump_json())
    out = tmp_path / "moments.json"
    args = build_parser().parse_args(["clips", str(source), "-o", str(out), "--about", "bees", "--max", "60"])
    assert args.handler(args) == 0
    result = schemas.ClipsResult.model_validate(json.loads(out.read_text()))
    assert 1 <= len(result.clips) <= 5 and "bees" in result.note
    assert all(c.end - c.start <= 60 for c in result.clips)
    assert "moments about “bees”" in capsys.readouterr().out
