"""Test helpers for the copy stage: sample transcripts and fake LLM servers on 127.0.0.1.

The fake servers speak the real protocols (Gemini REST generateContent, OpenAI chat
completions), record every request, and answer through a `reply(request) -> FakeReply` function
each test scripts.
"""

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from pipeline.schemas import ClipProposal, ClipsResult, PipelineOptions, Transcript, Word

ENGLISH_CLIPS = [
    # educational
    "How do you make your code run faster? First, measure it. Most people guess where the time "
    "goes and they are usually wrong. A profiler shows you the three functions that take ninety "
    "percent of the time. Then fix those functions, and measure again. That is the whole method.",
    # storytelling
    "When I was nineteen I moved to Mexico City with two hundred dollars and a guitar. The first "
    "night I slept in a bus station. A woman selling tamales asked me where I was going. I told "
    "her I had no idea. She gave me a job the next morning, and that job changed my whole life.",
    # viral
    "Nobody tells you this about coffee! This is insane. Drinking coffee right after you wake up "
    "actually makes you more tired later. Wait ninety minutes and the crash is gone. I tried it "
    "for a week and I will never go back. Try it tomorrow and tell me I am wrong!",
    # educational, about AI
    "What is a neural network? A neural network is a stack of simple functions. Each layer "
    "multiplies its input by weights and adds them up. Training means nudging the weights so "
    "the network's answers get closer to the right ones. Neural networks learn from examples, "
    "and more examples usually means better answers.",
]

SPANISH_CLIPS = [
    "¿Sabes cuál es el error más común al ahorrar dinero? Ahorrar lo que sobra al final del mes. "
    "Nunca sobra nada. El truco es apartar el ahorro el día que cobras, antes de gastar. Con el "
    "diez por ciento basta para empezar y en un año tienes un fondo de emergencia.",
    "Cuando tenía quince años mi abuela me enseñó a cocinar mole. Tardamos dos días enteros. "
    "Yo quería rendirme a las tres horas, pero ella me dijo que la paciencia también es un "
    "ingrediente. Hoy tengo un restaurante en la Ciudad de México y su receta sigue en la carta.",
]


def transcript_for(texts: list[str], language: str, seconds_per_word: float = 0.35) -> tuple[Transcript, ClipsResult]:
    """A transcript whose words are the texts in order, and clips.json with one clip per text."""
    words, clips, t = [], [], 0.0
    for index, text in enumerate(texts):
        start = t
        for token in text.split():
            words.append(Word(text=token, start=round(t, 2), end=round(t + seconds_per_word * 0.9, 2)))
            t += seconds_per_word
        clips.append(ClipProposal(start=start, end=t, text=text, score=0.5 + 0.1 * (index % 4), reason="test"))
        t += 1.0
    transcript = Transcript(language=language, duration=t, words=words, model="test")
    return transcript, ClipsResult(topics=[], clips=clips)


@dataclass
class FakeReply:
    status: int = 200
    body: dict | str = field(default_factory=dict)
    headers: dict = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass
class Recorded:
    path: str
    headers: dict
    body: dict

    @property
    def prompt_text(self) -> str:
        """Every piece of text the request carries (system and user turns), joined."""
        return json.dumps(self.body, ensure_ascii=False)

    @property
    def clip_indexes(self) -> list[int]:
        """The clip ids the request asks about (from the clips JSON in the user turn)."""
        return [int(match) for match in re.findall(r'\\?"clip_index\\?": (\d+)', self.prompt_text)]

    @property
    def kind(self) -> str:
        """'classify' or the copy style the request asks for."""
        text = self.prompt_text
        if "clip_styles" in text:
            return "classify"
        for style, marker in (
            ("viral", "scroll-stopping"),
            ("educational", "educational videos"),
            ("storytelling", "into a story"),
        ):
            if marker in text:
                return style
        for style, marker in (
            ("viral", "frenan el scroll"),
            ("educational", "educativos"),
            ("storytelling", "en una historia"),
        ):
            if marker in text:
                return style
        return "unknown"


class FakeServer:
    """A scripted HTTP server in a thread. Use as a context manager."""

    def __init__(self, reply):
        self.reply = reply
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                recorded = Recorded(self.path, dict(self.headers), json.loads(raw or b"{}"))
                with server._lock:
                    server.requests.append(recorded)
                    number = len(server.requests)
                answer = server.reply(recorded, number)
                if answer.delay_s:
                    time.sleep(answer.delay_s)
                payload = answer.body if isinstance(answer.body, str) else json.dumps(answer.body)
                data = payload.encode()
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    def of_kind(self, kind: str) -> list[Recorded]:
        return [request for request in self.requests if request.kind == kind]


# --- answers in each protocol ---------------------------------------------------------------


def gemini_json(payload: dict | str, tokens_in: int = 100, tokens_out: int = 50) -> FakeReply:
    """A generateContent answer whose text is `payload` (a dict is dumped as JSON)."""
    text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return FakeReply(
        body={
            "candidates": [
                {"content": {"parts": [{"text": text}], "role": "model"}, "finishReason": "STOP", "index": 0}
            ],
            "usageMetadata": {
                "promptTokenCount": tokens_in,
                "candidatesTokenCount": tokens_out,
                "totalTokenCount": tokens_in + tokens_out,
            },
            "modelVersion": "gemini-2.5-flash",
        }
    )


def gemini_error(status: int, headers: dict | None = None) -> FakeReply:
    names = {429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
    return FakeReply(
        status=status,
        body={"error": {"code": status, "message": "fake failure", "status": names.get(status, "UNKNOWN")}},
        headers=headers or {},
    )


def openai_tool_call(payload: dict | str, tool_name: str, tokens_in: int = 100, tokens_out: int = 50) -> FakeReply:
    """A chat completion answering with one tool call whose arguments are `payload`."""
    arguments = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return FakeReply(
        body={
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": "local-model",
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "id": "call_1",
                                "type": "function",
                                "function": {"name": tool_name, "arguments": arguments},
                            }
                        ],
                    },
                    "finish_reason": "tool_calls",
                }
            ],
            "usage": {
                "prompt_tokens": tokens_in,
                "completion_tokens": tokens_out,
                "total_tokens": tokens_in + tokens_out,
            },
        }
    )


def openai_error(status: int, headers: dict | None = None) -> FakeReply:
    return FakeReply(
        status=status,
        body={"error": {"message": "fake failure", "type": "server_error", "code": status}},
        headers=headers or {},
    )


def good_copy(
    clip_index: int, *, engagement: float = 8.5, viral: float = 7.0, text: str | None = None, hashtags=None
) -> dict:
    return {
        "clip_index": clip_index,
        "hook": f"Hook for clip {clip_index}?",
        "text": text if text is not None else f"Hook for clip {clip_index}?\nA caption line for clip {clip_index}.",
        "hashtags": hashtags if hashtags is not None else ["#coding", "python"],
        "topics": ["coding", "speed"],
        "engagement_score": engagement,
        "viral_potential": viral,
    }


def classification(clip_indexes: list[int], styles: dict[int, str] | None = None) -> dict:
    styles = styles or {}
    return {
        "classifications": [
            {"clip_index": clip_index, "style": styles.get(clip_index, "educational"), "confidence": 0.9}
            for clip_index in clip_indexes
        ]
    }


# --- one helper per protocol, so each scenario runs against both fakes ------------------------

FAST_RETRY = dict(rate_limit_tries=4, error_tries=3, base_delay_s=0.01, max_delay_s=0.2, timeout_s=2.0)


class GeminiProtocol:
    name = "gemini"
    path = "/v1beta/models/gemini-2.5-flash:generateContent"

    @staticmethod
    def options(url: str, **values) -> PipelineOptions:
        return PipelineOptions(copy_provider="gemini", gemini_api_key="test-key", gemini_base_url=url, **values)

    @staticmethod
    def answer(request: Recorded, payload: dict | str, tokens_in: int = 100, tokens_out: int = 50) -> FakeReply:
        return gemini_json(payload, tokens_in, tokens_out)

    @staticmethod
    def error(status: int, headers: dict | None = None) -> FakeReply:
        return gemini_error(status, headers)


class OpenAIProtocol:
    name = "openai"
    path = "/v1/chat/completions"

    @staticmethod
    def options(url: str, **values) -> PipelineOptions:
        return PipelineOptions(
            copy_provider="openai", openai_base_url=f"{url}/v1", openai_model="local-model", **values
        )

    @staticmethod
    def answer(request: Recorded, payload: dict | str, tokens_in: int = 100, tokens_out: int = 50) -> FakeReply:
        tool = "clip_styles" if request.kind == "classify" else "copy_batch"
        return openai_tool_call(payload, tool, tokens_in, tokens_out)

    @staticmethod
    def error(status: int, headers: dict | None = None) -> FakeReply:
        return openai_error(status, headers)
