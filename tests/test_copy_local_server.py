"""A local OpenAI-compatible model server: its model list for the page, and structured output by
function calling or JSON schema, chosen by trying and remembered per server (fake server on
127.0.0.1 speaking the OpenAI protocol)."""

import pytest

from pipeline.copywriter import RetryPolicy, local_server, write_copies

from .copy_support import (
    ENGLISH_CLIPS,
    FAST_RETRY,
    FakeReply,
    FakeServer,
    OpenAIProtocol,
    classification,
    good_copy,
    openai_content,
    openai_error,
    openai_models,
    openai_tool_call,
    transcript_for,
)


@pytest.fixture(autouse=True)
def nothing_remembered():
    local_server.forget_methods()
    yield
    local_server.forget_methods()


def payload_for(request):
    if request.kind == "classify":
        return classification(request.clip_indexes)
    return {"copies": [good_copy(i) for i in request.clip_indexes]}


def write(server, texts=ENGLISH_CLIPS[:2]):
    _, clips = transcript_for(texts, "en")
    options = OpenAIProtocol.options(server.url, mandatory_hashtags=["#AICDMX"])
    return write_copies(dict(enumerate(clips.clips)), language="en", options=options, retry=RetryPolicy(**FAST_RETRY))


def chat_requests(server):
    return [request for request in server.requests if request.path.endswith("/chat/completions")]


def test_the_status_lists_the_models_the_server_serves():
    with FakeServer(
        lambda request, number: openai_models("qwen2.5:3b-instruct", "llama3.2:3b", "qwen2.5:3b-instruct")
    ) as server:
        status = local_server.server_status(f"{server.url}/v1", api_key="secret")

    assert status.answers and status.models == ["llama3.2:3b", "qwen2.5:3b-instruct"]
    assert status.message == "2 models served"
    [request] = server.requests
    assert (request.method, request.path) == ("GET", "/v1/models")
    assert request.headers.get("Authorization") == "Bearer secret"


def test_a_server_that_is_down_or_refuses_says_so():
    with FakeServer(lambda request, number: FakeReply()) as server:
        url = server.url  # closed below
    down = local_server.server_status(f"{url}/v1")
    with FakeServer(lambda request, number: openai_error(401)) as server:
        refused = local_server.server_status(f"{server.url}/v1")
    with FakeServer(lambda request, number: FakeReply(body="<html>hello</html>")) as server:
        not_openai = local_server.server_status(f"{server.url}/v1")

    assert not down.answers and "Cannot reach" in down.message
    assert not refused.answers and "HTTP 401" in refused.message
    assert not not_openai.answers and "did not answer with a model list" in not_openai.message
    assert "CLIPER_OPENAI_BASE_URL" in local_server.server_status("").message


def test_a_server_that_takes_tools_is_asked_by_function_calling_only():
    def reply(request, number):
        tool = "clip_styles" if request.kind == "classify" else "copy_batch"
        return openai_tool_call(payload_for(request), tool)

    with FakeServer(reply) as server:
        result = write(server)

    assert result.failures == [] and len(result.copies) == 2
    assert {request.structured_by for request in chat_requests(server)} == {"function_calling"}


@pytest.mark.parametrize(
    "refusal",
    [
        lambda request: openai_error(500),  # llama.cpp's server started without --jinja
        lambda request: openai_error(400),  # "tools are not supported"
        lambda request: openai_content("Sure! Here are captions for your clips: ..."),  # prose, no tool call
    ],
    ids=["http-500", "http-400", "prose"],
)
def test_a_server_that_refuses_tools_gets_json_schema_and_it_is_remembered(refusal):
    def reply(request, number):
        if request.structured_by == "function_calling":
            return refusal(request)
        return openai_content(payload_for(request))

    with FakeServer(reply) as server:
        first = write(server)
        second = write(server)

    assert first.failures == [] and len(first.copies) == 2 and first.copies == second.copies
    methods = [request.structured_by for request in chat_requests(server)]
    tries = FAST_RETRY["error_tries"] if methods.count("function_calling") > 1 else 1
    # function calling is tried once (with its retries for a 500), then never again
    assert methods[:tries] == ["function_calling"] * tries
    assert set(methods[tries:]) == {"json_schema"}
    schema_request = next(request for request in chat_requests(server) if request.structured_by == "json_schema")
    assert "copies" in str(schema_request.body["response_format"]["json_schema"]) or "classifications" in str(
        schema_request.body["response_format"]["json_schema"]
    )


def test_a_content_error_is_not_taken_for_an_unsupported_method():
    def reply(request, number):
        if request.kind == "classify":
            return openai_tool_call(classification(request.clip_indexes), "clip_styles")
        return openai_error(401)  # a bad key: JSON schema would not help

    with FakeServer(reply) as server:
        result = write(server, ENGLISH_CLIPS[:1])

    assert [failure.clip_index for failure in result.failures] == [0]
    assert "HTTP 401" in result.failures[0].reason
    assert "json_schema" not in [request.structured_by for request in chat_requests(server)]
