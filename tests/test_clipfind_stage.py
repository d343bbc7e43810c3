"""The clip finding stage end to end on Choi-style transcripts, with the real MiniLM model."""

import json

import numpy as np
import pytest
from nltk.metrics.segmentation import pk

from pipeline import clipfind, schemas, stages
from pipeline.cli import build_parser
from pipeline.errors import InputError
from pipeline.sentences import split_sentences

from .clipfind_support import boundary_string, choi_document, real_texts, source_texts, timed_transcript

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def talk():
    sentences, segment_ids = choi_document(seed=11)
    return timed_transcript(sentences, segment_ids, seed=11), segment_ids


@pytest.fixture(scope="module")
def found(talk):
    transcript, _ = talk
    return clipfind.find_clips(transcript, min_s=30, max_s=90)


def test_clips_start_and_end_on_sentence_boundaries_within_the_range(talk, found):
    transcript, _ = talk
    sentences = split_sentences(transcript.words)
    starts = {s.start_s for s in sentences}
    ends = {s.end_s for s in sentences}
    assert len(found.clips) >= 3
    for clip in found.clips:
        assert clip.start in starts and clip.end in ends
        assert 30 <= clip.end - clip.start <= 90
        assert clip.text[0].isupper() and clip.text.endswith(".")
        assert 0 <= clip.score <= 1 and clip.reason
    assert [c.start for c in found.clips] == sorted(c.start for c in found.clips)


def test_topics_cover_the_transcript_in_order(talk, found):
    transcript, _ = talk
    assert found.topics[0].start == 0.0
    assert found.topics[-1].end == transcript.duration
    for before, after in zip(found.topics, found.topics[1:]):
        assert before.end == after.start and before.start < before.end


def test_topics_find_the_joins_between_source_texts(talk, found):
    transcript, segment_ids = talk
    sentences = split_sentences(transcript.words)
    topic_starts = {t.start for t in found.topics[1:]}
    hypothesis = "".join("1" if b.start_s in topic_starts else "0" for b in sentences[1:]) + "0"
    assert pk(boundary_string(segment_ids), hypothesis, boundary="1") <= 0.2


def test_the_stage_reads_the_transcript_and_writes_clips_json(tmp_path, talk):
    transcript, _ = talk
    (tmp_path / "transcript.json").write_text(transcript.model_dump_json())
    options = schemas.PipelineOptions(min_clip_s=60, max_clip_s=180)
    messages = []
    result = stages.get_stage("clips").run(tmp_path, options, lambda f, m="": messages.append((f, m)))
    saved = schemas.ClipsResult.model_validate_json((tmp_path / "clips.json").read_text())
    assert saved == result and result.clips
    assert all(60 <= c.end - c.start <= 180 for c in result.clips)
    fractions = [f for f, _ in messages]
    assert fractions == sorted(fractions) and 0 <= fractions[0] and fractions[-1] <= 1


def test_the_cli_writes_topics_and_clips(tmp_path, talk, capsys):
    transcript, _ = talk
    source = tmp_path / "transcript.json"
    source.write_text(transcript.model_dump_json())
    parser = build_parser()
    args = parser.parse_args(["clips", str(source), "-o", str(tmp_path / "out.json"), "--min", "20", "--max", "60"])
    assert args.handler(args) == 0
    data = json.loads((tmp_path / "out.json").read_text())
    assert set(data) >= {"topics", "clips"}
    assert set(data["clips"][0]) >= {"start", "end", "text", "score", "reason"}
    assert all(20 <= c["end"] - c["start"] <= 60 for c in data["clips"])
    assert "clips ->" in capsys.readouterr().out


def test_no_words_gives_no_clips_and_a_note():
    result = clipfind.find_clips(schemas.Transcript(language="en", duration=12.0, words=[]))
    assert result.topics == [] and result.clips == [] and result.note == "No speech, so no clips"


def test_a_short_talk_still_gets_a_sentence_aligned_clip():
    sentences = ["This is short.", "It has three sentences.", "Nothing more to say."]
    transcript = timed_transcript(sentences, [0, 0, 0])
    result = clipfind.find_clips(transcript, min_s=30, max_s=90)
    assert len(result.clips) == 1 and result.note
    assert result.clips[0].start == transcript.words[0].start
    assert result.clips[0].end == transcript.words[-1].end
    assert [(t.start, t.end) for t in result.topics] == [(0.0, transcript.duration)]


def test_a_range_no_topic_fits_falls_back_to_chunks(talk):
    transcript, _ = talk
    result = clipfind.find_clips(transcript, min_s=0.5, max_s=1.0)  # shorter than every sentence
    assert result.clips and "chunks" in result.note


def test_invalid_ranges_and_models_are_input_errors(talk, tmp_path):
    transcript, _ = talk
    with pytest.raises(InputError):
        clipfind.find_clips(transcript, min_s=90, max_s=30)
    with pytest.raises(InputError, match="sentence-transformers"):
        clipfind.find_clips(transcript, embedding_model=str(tmp_path))


def test_presets_match_the_product_ranges():
    assert clipfind.PRESETS == {"short": (30.0, 60.0), "medium": (30.0, 90.0), "long": (60.0, 180.0)}


def test_spanish_talk_gets_clips_that_end_on_sentences():
    spanish = [
        "¿Sabías que el café crece mejor en las montañas?",
        "La planta da cerezas rojas con dos semillas.",
        "Casi todo el café se recoge a mano.",
        "Después se seca al sol durante varios días.",
        "El tostado crea cientos de aromas nuevos.",
        "Un tueste claro conserva el sabor del origen.",
        "El Dr. Gómez estudia el clima de la región.",
        "Las lluvias cambian cada año.",
        "Ahora hablemos de fútbol.",
        "El equipo presiona muy arriba.",
        "Los laterales suben por las bandas.",
        "El portero inicia el juego con pases cortos.",
        "Un gol temprano cambia el plan.",
        "Los datos ayudan al entrenador.",
        "Pero los jugadores deciden en el campo.",
    ]
    transcript = timed_transcript(spanish, [0] * 8 + [1] * 7, words_per_s=1.2, language="es")
    result = clipfind.find_clips(transcript, min_s=15, max_s=60)
    assert result.clips
    assert all(c.text.endswith((".", "?")) and c.text[0] in "¿ELUDAP" for c in result.clips)
    assert np.isclose(result.topics[-1].end, transcript.duration)


def test_speech_throughout_gives_at_least_one_clip_per_minute(talk, found):
    transcript, _ = talk
    assert len(found.clips) >= transcript.duration / 60
    for i, a in enumerate(found.clips):
        for b in found.clips[i + 1 :]:
            shared = min(a.end, b.end) - max(a.start, b.start)
            assert shared <= clipfind.COVERAGE_OVERLAP * min(a.end - a.start, b.end - b.start) + 1e-6
            assert abs(a.start - b.start) + abs(a.end - b.end) >= 15  # no near-duplicates


def test_no_clip_opens_on_a_sentence_that_leans_on_the_one_before():
    from pipeline.clipedges import depends_on_previous

    # Every second sentence leans on the one before it, so half of all openings are wrong.
    lines = []
    for sentences in [lines_ for _, lines_ in sorted(source_texts().items())[:6]]:
        lines += [
            s if i % 2 == 0 else f"{('And', 'But', 'So', 'That is why')[i % 4]} {s[0].lower()}{s[1:]}"
            for i, s in enumerate(sentences[:8])
        ]
    assert sum(depends_on_previous(s) for s in lines) >= len(lines) // 2
    transcript = timed_transcript(lines, [i // 8 for i in range(len(lines))], seed=3)
    result = clipfind.find_clips(transcript, min_s=20, max_s=60)
    assert len(result.clips) >= 3
    by_start = {s.start_s: s for s in split_sentences(transcript.words)}
    for clip in result.clips:
        assert not depends_on_previous(by_start[clip.start].text), clip.text[:60]


def test_a_four_minute_single_topic_passage_yields_several_clips():
    sentences = real_texts()["py:execmodel"]
    transcript = timed_transcript(sentences, [0] * len(sentences), seed=5)
    words = [w for w in transcript.words if w.end <= 240]
    passage = schemas.Transcript(language="en", duration=words[-1].end + 0.5, words=words)
    assert 200 < passage.duration <= 241
    result = clipfind.find_clips(passage, min_s=30, max_s=90)
    assert len(result.clips) >= 2
    assert all(30 <= c.end - c.start <= 90 for c in result.clips)


def test_the_clip_cap_keeps_the_best(talk, found):
    transcript, _ = talk
    capped = clipfind.find_clips(transcript, min_s=30, max_s=90, max_clips=2)
    assert len(capped.clips) == 2
    assert sorted(c.score for c in capped.clips) == sorted(c.score for c in found.clips)[-2:]
    with pytest.raises(InputError, match="cap"):
        clipfind.find_clips(transcript, max_clips=0)
