"""The local default (no key): zero-shot style with the packaged MiniLM, extractive drafts."""

import re
import subprocess

import numpy as np
import pytest

from pipeline import stages
from pipeline.cli import build_parser
from pipeline.copywriter import prompts, rules, write_copies
from pipeline.errors import Cancelled
from pipeline.schemas import ClipProposal, CopiesResult, PipelineOptions

from .copy_support import ENGLISH_CLIPS, SPANISH_CLIPS, transcript_for

pytestmark = pytest.mark.slow  # loads the sentence-embedding model

OPTIONS = PipelineOptions(mandatory_hashtags=["#AICDMX"])


def clips_of(texts, language="en"):
    _, clips = transcript_for(texts, language)
    return dict(enumerate(clips.clips))


def is_spanish_call_to_action(line: str) -> bool:
    pools = prompts.phrases("es")["calls_to_action"].values()
    patterns = [re.escape(c).replace(r"\$topic", ".+").replace(r"\$Topic", ".+") for pool in pools for c in pool]
    return any(re.fullmatch(pattern, line) for pattern in patterns)


def assert_valid_drafts(result: CopiesResult, clip_indexes, max_chars=2200):
    assert result.failures == []
    assert [copy.clip_index for copy in result.copies] == list(clip_indexes)
    assert result.provider == "local" and result.is_local_draft
    assert (result.tokens_in, result.tokens_out, result.cost_usd) == (0, 0, 0)
    for copy in result.copies:
        assert "#AICDMX" in copy.hashtags
        assert len(rules.caption(copy.text, copy.hashtags)) <= max_chars
        assert copy.hook and copy.hook[:15] in copy.text.splitlines()[0]  # the text opens with the hook
        assert copy.title and len(copy.title) <= rules.TITLE_MAX_CHARS
        assert 0 <= copy.engagement_score <= 10 and 0 <= copy.viral_potential <= 10
        assert 0 < copy.confidence <= 1


def test_every_english_clip_gets_a_draft_with_the_mandatory_hashtags():
    result = write_copies(clips_of(ENGLISH_CLIPS), language="en", options=OPTIONS)

    assert_valid_drafts(result, range(4))
    by_id = {copy.clip_index: copy for copy in result.copies}
    assert [by_id[i].style for i in range(4)] == ["educational", "storytelling", "viral", "educational"]
    # drafts are built from what is said, not placeholders
    assert by_id[0].hook == "How do you make your code run faster?"
    assert by_id[2].text.startswith("Nobody tells you this about coffee!\n")
    assert "#Coffee" in by_id[2].hashtags and "coffee" in by_id[2].topics
    assert "#NeuralNetwork" in by_id[3].hashtags and "#MexicoCity" in by_id[1].hashtags


def test_spanish_clips_get_spanish_calls_to_action():
    result = write_copies(clips_of(SPANISH_CLIPS, "es"), language="es", options=OPTIONS)

    assert_valid_drafts(result, range(2))
    assert result.copies[0].hook.startswith("¿Sabes cuál es el error más común")
    assert is_spanish_call_to_action(result.copies[0].text.splitlines()[-1])
    assert "#Ahorro" in result.copies[0].hashtags or "#AhorrarDinero" in result.copies[0].hashtags


def test_drafts_fit_a_youtube_title():
    result = write_copies(
        clips_of(ENGLISH_CLIPS), language="en", options=OPTIONS.model_copy(update={"platform": "youtube"})
    )

    assert_valid_drafts(result, range(4), max_chars=100)


def test_unpunctuated_and_tiny_clips_still_get_drafts():
    run_on = " ".join(["we tested the new solar panels on the roof of the school"] * 8)
    clips = {
        0: ClipProposal(start=0, end=30, text=run_on, score=0.4),
        1: ClipProposal(start=30, end=31, text="Wow.", score=0.0),
    }
    result = write_copies(clips, language="en", options=OPTIONS)

    assert_valid_drafts(result, [0, 1])
    assert "#SolarPanels" in result.copies[0].hashtags


def test_the_local_provider_is_deterministic_and_never_retries():
    options = OPTIONS.model_copy(update={"quality_threshold": 10.0})  # every draft is "weak"
    messages = []
    first = write_copies(
        clips_of(ENGLISH_CLIPS), language="en", options=options, progress=lambda f, m="": messages.append(m)
    )
    second = write_copies(clips_of(ENGLISH_CLIPS), language="en", options=options)

    assert first == second
    assert not any("attempt 2" in message.lower() for message in messages)


def test_cancelling_from_progress_stops_the_graph():
    calls = []

    def progress(fraction, message=""):
        calls.append(message)
        if len(calls) == 2:
            raise Cancelled()

    with pytest.raises(Cancelled):
        write_copies(clips_of(ENGLISH_CLIPS[:2]), language="en", options=OPTIONS, progress=progress)
    assert len(calls) == 2


def test_the_stage_reads_the_workdir_and_writes_copies_json(tmp_path):
    transcript, clips = transcript_for(SPANISH_CLIPS, "es")
    stages.write_model(tmp_path / "transcript.json", transcript)
    stages.write_model(tmp_path / "clips.json", clips)

    result = stages.get_stage("copy").run(tmp_path, OPTIONS, lambda fraction, message="": None)

    saved = CopiesResult.model_validate_json((tmp_path / "copies.json").read_text())
    assert saved == result
    assert_valid_drafts(saved, range(2))
    assert is_spanish_call_to_action(saved.copies[0].text.splitlines()[-1])


def test_command_writes_copies_and_regenerates_one_clip(tmp_path, monkeypatch, capsys):
    for name in ("CLIPER_COPY_PROVIDER", "GEMINI_API_KEY", "CLIPER_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CLIPER_MANDATORY_HASHTAGS", "#AICDMX,#Tech")
    transcript, clips = transcript_for(ENGLISH_CLIPS, "en")
    stages.write_model(tmp_path / "transcript.json", transcript)
    stages.write_model(tmp_path / "clips.json", clips)
    output = tmp_path / "copies.json"

    def command(*argv):
        parser = build_parser()
        args = parser.parse_args(
            [
                "copy",
                str(tmp_path / "clips.json"),
                "--transcript",
                str(tmp_path / "transcript.json"),
                "-o",
                str(output),
                *argv,
            ]
        )
        return args.handler(args)

    assert command() == 0
    assert "4 copies (local drafts), 0 failed" in capsys.readouterr().out
    first = CopiesResult.model_validate_json(output.read_text())
    assert all(copy.hashtags[:2] == ["#AICDMX", "#Tech"] for copy in first.copies)

    assert command("--clip", "2", "--platform", "x") == 0
    merged = CopiesResult.model_validate_json(output.read_text())
    assert [copy.clip_index for copy in merged.copies] == [0, 1, 2, 3]
    assert merged.copies[0] == first.copies[0]


def test_real_speech_transcribed_by_whisper(tmp_path):
    """espeak-ng speech -> faster-whisper words -> one clip -> a local draft."""
    from faster_whisper import WhisperModel

    from pipeline import assets

    text = "Have you ever wondered why the sky is blue? Sunlight is made of many colours. Blue light is scattered more by the air, so the sky looks blue."
    wav = tmp_path / "speech.wav"
    subprocess.run(["espeak-ng", "-v", "en", "-s", "160", "-w", str(wav), text], check=True)
    pcm = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(wav), "-f", "f32le", "-ac", "1", "-ar", "16000", "-"],
        check=True,
        capture_output=True,
    ).stdout
    audio = np.frombuffer(pcm, dtype=np.float32)  # faster-whisper's own decoder needs another PyAV
    model = WhisperModel(str(assets.whisper_model_dir("base")), device="cpu", compute_type="int8", cpu_threads=2)
    segments, info = model.transcribe(audio, word_timestamps=True, language="en")
    words = [word for segment in segments for word in segment.words]
    spoken = "".join(word.word for word in words).strip()
    clip = ClipProposal(start=words[0].start, end=words[-1].end, text=spoken, score=0.6)

    result = write_copies({0: clip}, language=info.language, options=OPTIONS)

    assert_valid_drafts(result, [0])
    [copy] = result.copies
    assert copy.style == "educational"
    assert "sky" in copy.hook.lower()
    assert any("sky" in tag.lower() or "blue" in tag.lower() or "light" in tag.lower() for tag in copy.hashtags)
