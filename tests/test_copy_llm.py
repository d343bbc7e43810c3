"""The LLM providers end to end against fake Gemini and OpenAI-compatible servers on 127.0.0.1.

Each scenario runs against both protocols; assertions are on what reaches the server and on
what write_copies returns (what the stage saves).
"""

import json

import pytest

from pipeline.copywriter import RetryPolicy, write_copies
from pipeline.errors import InputError

from .copy_support import (
    ENGLISH_CLIPS,
    FAST_RETRY,
    SPANISH_CLIPS,
    FakeReply,
    FakeServer,
    GeminiProtocol,
    OpenAIProtocol,
    classification,
    good_copy,
    transcript_for,
)

STYLES = {0: "educational", 1: "storytelling", 2: "viral", 3: "educational"}
PROTOCOLS = [GeminiProtocol, OpenAIProtocol]


@pytest.fixture(params=PROTOCOLS, ids=lambda protocol: protocol.name)
def protocol(request):
    return request.param


def english_clips():
    _, clips = transcript_for(ENGLISH_CLIPS, "en")
    return dict(enumerate(clips.clips))


def serve(protocol, copy_reply, styles=STYLES):
    """A fake server answering classification with `styles` and copy requests with copy_reply."""

    def reply(request, number):
        if request.kind == "classify":
            return protocol.answer(request, classification(request.clip_indexes, styles))
        return copy_reply(request, server)

    server = FakeServer(reply)
    return server


def good_batch(protocol):
    return lambda request, server: protocol.answer(request, {"copies": [good_copy(i) for i in request.clip_indexes]})


def run_copies(protocol, server, clips=None, language="en", progress=None, retry=None, **values):
    values.setdefault("mandatory_hashtags", ["#AICDMX"])
    options = protocol.options(server.url, **values)
    return write_copies(
        clips or english_clips(),
        language=language,
        options=options,
        retry=retry or RetryPolicy(**FAST_RETRY),
        **({"progress": progress} if progress else {}),
    )


def test_it_writes_every_clip_with_one_call_per_style_batch(protocol):
    with serve(protocol, good_batch(protocol)) as server:
        messages = []
        result = run_copies(
            protocol, server, progress=lambda fraction, message="": messages.append((fraction, message))
        )

    assert [copy.clip_index for copy in result.copies] == [0, 1, 2, 3]
    assert result.failures == []
    assert {copy.clip_index: copy.style for copy in result.copies} == STYLES
    assert all(copy.hashtags[0] == "#AICDMX" for copy in result.copies)
    assert all("#python" in copy.hashtags for copy in result.copies)  # normalised from "python"
    # 1 classification + 1 call per style (both educational clips share one call)
    assert len(server.requests) == 4
    assert sorted(request.clip_indexes for request in server.of_kind("educational")) == [[0, 3]]
    assert all(request.path == protocol.path for request in server.requests)
    assert result.provider == protocol.name and not result.is_local_draft
    assert (result.tokens_in, result.tokens_out) == (400, 200)
    assert "#AICDMX" in server.of_kind("viral")[0].prompt_text  # the rule reaches the prompt
    fractions = [fraction for fraction, _ in messages]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any("Classified 4 clips" in message for _, message in messages)


def test_gemini_requests_structured_output_with_the_key():
    with serve(GeminiProtocol, good_batch(GeminiProtocol)) as server:
        result = run_copies(GeminiProtocol, server)

    request = server.of_kind("viral")[0]
    config = request.body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert "copies" in config["responseJsonSchema"]["properties"]
    assert request.headers.get("x-goog-api-key") == "test-key"
    assert result.model == "gemini-2.5-flash"
    assert result.cost_usd == pytest.approx((400 * 0.30 + 200 * 2.50) / 1e6)


def test_openai_requests_a_forced_tool_call():
    with serve(OpenAIProtocol, good_batch(OpenAIProtocol)) as server:
        result = run_copies(OpenAIProtocol, server)

    body = server.of_kind("viral")[0].body
    assert body["model"] == "local-model"
    assert body["tools"][0]["function"]["name"] == "copy_batch"
    assert body["tool_choice"]["function"]["name"] == "copy_batch"
    assert result.model == "local-model" and result.cost_usd == 0


def test_malformed_json_retries_only_that_batch(protocol):
    def reply(request, server):
        if request.kind == "viral" and len(server.of_kind("viral")) == 1:
            return protocol.answer(request, '{"copies": [{"clip_index": 2, "text": "cut off')
        return good_batch(protocol)(request, server)

    with serve(protocol, reply) as server:
        result = run_copies(protocol, server)

    assert [copy.clip_index for copy in result.copies] == [0, 1, 2, 3] and result.failures == []
    assert len(server.of_kind("viral")) == 2
    assert len(server.of_kind("educational")) == 1 and len(server.of_kind("storytelling")) == 1
    assert "rejected" in server.of_kind("viral")[1].prompt_text  # the retry says what went wrong


def test_rate_limit_backs_off_honouring_retry_after(protocol):
    def reply(request, server):
        if request.kind == "storytelling" and len(server.of_kind("storytelling")) == 1:
            return protocol.error(429, {"Retry-After": "1"})
        return good_batch(protocol)(request, server)

    notes = []
    with serve(protocol, reply) as server:
        result = run_copies(
            protocol,
            server,
            progress=lambda fraction, message="": notes.append(message),
            retry=RetryPolicy(**{**FAST_RETRY, "max_delay_s": 1.5}),
        )

    assert result.failures == [] and len(result.copies) == 4
    assert len(server.of_kind("storytelling")) == 2
    assert any("429" in note and "retrying in 1 s" in note for note in notes)


def test_server_errors_retry_then_fail_those_clips_only(protocol):
    def reply(request, server):
        if request.kind == "educational":
            return protocol.error(500)
        if request.kind == "viral" and len(server.of_kind("viral")) == 1:
            return protocol.answer(request, "Sure! Here is your copy.")  # a second round for clip 2
        return good_batch(protocol)(request, server)

    with serve(protocol, reply) as server:
        result = run_copies(protocol, server)

    assert [copy.clip_index for copy in result.copies] == [1, 2]  # partial success
    assert [failure.clip_index for failure in result.failures] == [0, 3]
    assert all(failure.reason.endswith("HTTP 500; gave up after 3 tries") for failure in result.failures)
    assert len(server.of_kind("educational")) == FAST_RETRY["error_tries"]  # no extra graph rounds


def test_a_slow_server_times_out_and_its_clips_fail(protocol):
    def reply(request, server):
        if request.kind == "viral":
            return FakeReply(delay_s=1.0)
        return good_batch(protocol)(request, server)

    with serve(protocol, reply) as server:
        result = run_copies(protocol, server, retry=RetryPolicy(**{**FAST_RETRY, "timeout_s": 0.3, "error_tries": 2}))

    assert [failure.clip_index for failure in result.failures] == [2]
    assert "did not answer in time" in result.failures[0].reason
    assert len(server.of_kind("viral")) == 2
    assert len(result.copies) == 3


def test_quality_gate_retries_weak_copy_with_feedback(protocol):
    def reply(request, server):
        attempt = len(server.of_kind(request.kind))
        engagement = 5.0 if attempt == 1 else 9.0
        return protocol.answer(request, {"copies": [good_copy(i, engagement=engagement) for i in request.clip_indexes]})

    with serve(protocol, reply) as server:
        result = run_copies(protocol, server)

    assert [copy.engagement_score for copy in result.copies] == [9.0] * 4
    assert len(server.requests) == 1 + 3 * 2  # classify + 3 styles x 2 rounds
    assert "5.0/10" in server.of_kind("viral")[1].prompt_text


def test_quality_gate_stops_after_three_attempts_and_keeps_the_best(protocol):
    def reply(request, server):
        attempt = len(server.of_kind(request.kind))
        return protocol.answer(
            request, {"copies": [good_copy(i, engagement=3.0 + attempt) for i in request.clip_indexes]}
        )

    with serve(protocol, reply, styles={i: "viral" for i in range(4)}) as server:
        result = run_copies(protocol, server)

    assert len(server.of_kind("viral")) == 3
    assert [copy.engagement_score for copy in result.copies] == [6.0] * 4  # weak but valid: saved
    assert result.failures == []


def test_invalid_copy_is_retried_then_marked_failed_with_the_reason(protocol):
    too_long = "x" * 300

    def reply(request, server):
        copies = [good_copy(i, text=too_long if i == 2 else None) for i in request.clip_indexes]
        return protocol.answer(request, {"copies": copies})

    with serve(protocol, reply) as server:
        result = run_copies(protocol, server, platform="x")

    assert [copy.clip_index for copy in result.copies] == [0, 1, 3]
    [failure] = result.failures
    assert failure.clip_index == 2
    assert "limit is 280" in failure.reason and "3 attempts" in failure.reason
    assert [request.clip_indexes for request in server.of_kind("viral")] == [[2], [2], [2]]
    assert all(len(copy.text) <= 280 for copy in result.copies)


def test_missing_mandatory_hashtags_are_added_and_scores_out_of_range_rejected(protocol):
    def reply(request, server):
        attempt = len(server.of_kind(request.kind))
        copies = [
            good_copy(i, hashtags=["#coding"], viral=11 if attempt == 1 and i == 1 else 7) for i in request.clip_indexes
        ]
        return protocol.answer(request, {"copies": copies})

    with serve(protocol, reply) as server:
        result = run_copies(protocol, server, mandatory_hashtags=["AICDMX", "#IA"])

    assert all(copy.hashtags == ["#AICDMX", "#IA", "#coding"] for copy in result.copies)
    assert len(server.of_kind("storytelling")) == 2
    assert "viral_potential" in server.of_kind("storytelling")[1].prompt_text
    assert result.failures == []


def test_a_clip_the_model_skips_is_asked_for_again(protocol):
    def reply(request, server):
        copies = [
            good_copy(i) for i in request.clip_indexes if not (i == 3 and len(server.of_kind("educational")) == 1)
        ]
        return protocol.answer(request, {"copies": copies})

    with serve(protocol, reply) as server:
        result = run_copies(protocol, server)

    assert [copy.clip_index for copy in result.copies] == [0, 1, 2, 3]
    assert [request.clip_indexes for request in server.of_kind("educational")] == [[0, 3], [3]]


def test_spanish_video_uses_spanish_prompts(protocol):
    _, clips = transcript_for(SPANISH_CLIPS, "es")
    with serve(protocol, good_batch(protocol), styles={0: "educational", 1: "storytelling"}) as server:
        result = run_copies(protocol, server, clips=dict(enumerate(clips.clips)), language="es")

    assert len(result.copies) == 2
    assert "Clasificas clips" in server.of_kind("classify")[0].prompt_text
    assert "Escribe en español" in server.of_kind("educational")[0].prompt_text


def test_regenerating_one_clip_sends_only_that_clip(protocol):
    clips = english_clips()
    with serve(protocol, good_batch(protocol)) as server:
        result = run_copies(protocol, server, clips={2: clips[2]})

    assert [copy.clip_index for copy in result.copies] == [2]
    assert [request.clip_indexes for request in server.requests] == [[2], [2]]
    assert json.loads(json.dumps(result.model_dump()))["copies"][0]["clip_index"] == 2


@pytest.mark.slow
def test_rejected_key_fails_without_retrying():
    def reply(request, number):
        return GeminiProtocol.error(403)

    with FakeServer(reply) as server:
        # classification falls back to the local model; writing fails for every clip
        result = run_copies(GeminiProtocol, server, clips={0: english_clips()[0]})

    assert result.copies == []
    assert "HTTP 403" in result.failures[0].reason
    assert len(server.requests) == 2  # one classification try, one writing try


def test_unconfigured_providers_say_what_to_set(monkeypatch):
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    monkeypatch.delenv("CLIPER_OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("CLIPER_OPENAI_API_KEY", raising=False)
    from pydantic import ValidationError

    from pipeline.schemas import PipelineOptions

    clips = english_clips()
    with pytest.raises(InputError, match="GEMINI_API_KEY"):
        write_copies(clips, language="en", options=PipelineOptions(copy_provider="gemini"))
    with pytest.raises(InputError, match="CLIPER_OPENAI_BASE_URL"):
        write_copies(clips, language="en", options=PipelineOptions(copy_provider="openai"))
    with pytest.raises(ValidationError, match="platform"):  # refused where settings are read
        PipelineOptions(platform="myspace")


@pytest.mark.slow
def test_an_unreachable_server_fails_the_clips_with_a_reason(protocol):
    with FakeServer(lambda request, number: FakeReply()) as server:
        url = server.url  # closed below: nothing listens there any more
    options = protocol.options(url, mandatory_hashtags=[])

    result = write_copies({0: english_clips()[0]}, language="en", options=options, retry=RetryPolicy(**FAST_RETRY))

    assert result.copies == []
    assert "could not be reached" in result.failures[0].reason


def test_command_picks_gemini_from_the_environment(tmp_path, monkeypatch, capsys):
    from pipeline import stages
    from pipeline.cli import build_parser
    from pipeline.schemas import CopiesResult

    transcript, clips = transcript_for(ENGLISH_CLIPS, "en")
    stages.write_model(tmp_path / "transcript.json", transcript)
    stages.write_model(tmp_path / "clips.json", clips)
    with serve(GeminiProtocol, good_batch(GeminiProtocol)) as server:
        monkeypatch.delenv("CLIPER_COPY_PROVIDER", raising=False)
        monkeypatch.setenv("GEMINI_API_KEY", "env-key")
        monkeypatch.setenv("CLIPER_GEMINI_BASE_URL", server.url)
        monkeypatch.setenv("CLIPER_MANDATORY_HASHTAGS", "#AICDMX")
        parser = build_parser()
        argv = ["copy", str(tmp_path / "clips.json"), "--transcript", str(tmp_path / "transcript.json")]
        args = parser.parse_args([*argv, "-o", str(tmp_path / "copies.json")])
        assert args.handler(args) == 0

    assert "4 copies, 0 failed" in capsys.readouterr().out
    assert server.requests[0].headers.get("x-goog-api-key") == "env-key"
    saved = CopiesResult.model_validate_json((tmp_path / "copies.json").read_text())
    assert saved.provider == "gemini" and saved.tokens_in == 400
