"""LLM re-ranking of clip candidates against fake Gemini and OpenAI-compatible servers on 127.0.0.1."""

import pytest

from pipeline import schemas
from pipeline.copywriter import RetryPolicy
from pipeline.copywriter.local_server import METHODS
from pipeline.rerank import RERANK_TOP, rerank

from .copy_support import FAST_RETRY, FakeServer, GeminiProtocol, OpenAIProtocol, gemini_json, openai_tool_call

TEXTS = [
    "Why do bees dance? A forager tells her sisters where the flowers are.",
    "Bread rises because yeast eats sugar and breathes out gas.",
    "The marathon is 42 kilometres because of a royal box in 1908.",
    "Coral reefs cover less than one percent of the sea floor.",
    "Chess engines now beat every human player.",
]


def offline_result(count=5) -> schemas.ClipsResult:
    clips = [
        schemas.ClipProposal(
            start=60.0 * i,
            end=60.0 * i + 40,
            text=TEXTS[i % len(TEXTS)] + f" Clip {i}.",
            score=round(0.9 - 0.05 * i, 2),
            reason="Offline reason",
            subscores={"hook": 50},
        )
        for i in range(count)
    ]
    return schemas.ClipsResult(topics=[schemas.Topic(start=0.0, end=60.0 * count)], clips=clips)


def structured_methods(protocol) -> int:
    """HTTP requests one call may make per attempt: an OpenAI-compatible server that answers
    without the structure asked for is asked once more by JSON schema (copywriter.local_server)."""
    return len(METHODS) if protocol is OpenAIProtocol else 1


def answer(protocol, payload):
    if protocol is GeminiProtocol:
        return gemini_json(payload)
    return openai_tool_call(payload, "clip_ranking")


def ranked(protocol, payload, result=None, status=200):
    def reply(request, number):
        return answer(protocol, payload) if status == 200 else protocol.error(status)

    with FakeServer(reply) as server:
        options = protocol.options(server.url)
        out = rerank(result or offline_result(), options, retry=RetryPolicy(**FAST_RETRY))
    return out, server


@pytest.fixture(params=[GeminiProtocol, OpenAIProtocol], ids=lambda p: p.name)
def protocol(request):
    return request.param


def test_one_request_ranks_every_candidate_and_its_reasons_are_shown(protocol):
    order = [5, 3, 1, 2, 4]
    payload = {"ranking": [{"clip": n, "reason": f"LLM likes candidate {n}"} for n in order]}
    before = offline_result()
    after, server = ranked(protocol, payload, before)

    assert len(server.requests) == 1
    prompt = server.requests[0].prompt_text
    assert all(clip.text in prompt for clip in before.clips)  # every candidate in the one request
    # Candidates are numbered best offline first: number n is clip n-1 here.
    best_first = sorted(after.clips, key=lambda c: -c.score)
    assert [c.text for c in best_first] == [before.clips[n - 1].text for n in order]
    assert sorted(c.score for c in after.clips) == sorted(c.score for c in before.clips)
    assert best_first[0].reason == "LLM likes candidate 5"
    assert [c.start for c in after.clips] == [c.start for c in before.clips]  # same clips, same places
    assert after.clips[0].subscores == {"hook": 50}
    assert after.ranked_by.startswith(protocol.name + ":")


@pytest.mark.parametrize(
    "payload",
    [
        '{"ranking": [{"clip": 1, "reason": "cut off',  # not JSON
        {"ranking": [{"clip": n, "reason": "ok"} for n in (1, 2, 3, 4)]},  # one missing
        {"ranking": [{"clip": n, "reason": "ok"} for n in (1, 1, 2, 3, 4)]},  # a repeat
        {"ranking": [{"clip": n, "reason": "ok"} for n in (1, 2, 3, 4, 9)]},  # not a candidate
        {"ranking": [{"clip": str(n), "reason": "ok"} for n in (1, 2, 3, 4, 5)]},  # wrong type
        {"ranking": [{"clip": n, "reason": " "} for n in (1, 2, 3, 4, 5)]},  # no reason
        {"order": [1, 2, 3, 4, 5]},
    ],
    ids=["truncated", "missing", "repeat", "unknown", "strings", "blank-reason", "wrong-key"],
)
def test_a_malformed_answer_keeps_the_offline_order(protocol, payload):
    before = offline_result()
    after, server = ranked(protocol, payload, before)
    # One call for all candidates (a second request only to try the other structured-output method).
    assert 1 <= len(server.requests) <= structured_methods(protocol)
    assert all(clip.text in request.prompt_text for clip in before.clips for request in server.requests)
    assert after.clips == before.clips and after.ranked_by == ""
    assert "offline order kept" in after.note


def test_a_failing_server_keeps_the_offline_order(protocol):
    before = offline_result()
    after, server = ranked(protocol, {}, before, status=500)
    assert len(server.requests) == FAST_RETRY["error_tries"] * structured_methods(protocol)
    assert after.clips == before.clips and "HTTP 500" in after.note


def test_only_the_top_candidates_are_sent():
    count = RERANK_TOP + 5
    before = offline_result(count)
    payload = {"ranking": [{"clip": n, "reason": "fine"} for n in range(RERANK_TOP, 0, -1)]}
    after, server = ranked(OpenAIProtocol, payload, before)
    prompt = server.requests[0].prompt_text
    assert f"[{RERANK_TOP}]" in prompt and f"[{RERANK_TOP + 1}]" not in prompt
    assert after.clips[RERANK_TOP:] == before.clips[RERANK_TOP:]  # the rest keep their offline scores
    assert max(after.clips, key=lambda c: c.score) == before.clips[RERANK_TOP - 1].model_copy(
        update={"score": before.clips[0].score, "reason": "fine"}
    )


def test_without_a_provider_nothing_is_sent_and_nothing_changes():
    before = offline_result()
    assert rerank(before, schemas.PipelineOptions(copy_provider="local")) == before
