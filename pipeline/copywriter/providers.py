"""LLM calls with structured output: Gemini (langchain-google-genai) or any OpenAI-compatible server.

One `LLMClient.call(system, user, schema)` = one request, retried here (the libraries' own retries
are switched off so the policy is ours and visible): 429 backs off, honouring Retry-After; 5xx,
timeouts and connection errors retry a bounded number of times. Answers are parsed strictly
(`json.loads`): a truncated or chatty answer is a failed answer, never silently repaired.
"""

import json
import random
import re
import time
from dataclasses import dataclass, field

from .. import config
from ..errors import InputError
from ..schemas import PipelineOptions

# USD per million tokens (input, output). Estimates from public list prices (2025), labelled as
# such in the UI; unknown models (local servers) cost 0. Longest matching prefix wins.
PRICES_PER_MILLION = {
    "gemini-2.5-flash-lite": (0.10, 0.40),
    "gemini-2.5-flash": (0.30, 2.50),
    "gemini-2.5-pro": (1.25, 10.00),
    "gemini-2.0-flash": (0.10, 0.40),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
}


def estimated_cost_usd(model: str, tokens_in: int, tokens_out: int) -> float:
    """Estimated USD cost of a call from the price table; 0 for models not in it."""
    name = model.removeprefix("models/")
    matches = [prefix for prefix in PRICES_PER_MILLION if name.startswith(prefix)]
    if not matches:
        return 0.0
    price_in, price_out = PRICES_PER_MILLION[max(matches, key=len)]
    return (tokens_in * price_in + tokens_out * price_out) / 1_000_000


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try one request. Times in seconds."""

    rate_limit_tries: int = 6  # 429s
    error_tries: int = 3  # 5xx, timeouts, connection errors
    base_delay_s: float = 2.0  # doubled per try, with jitter
    max_delay_s: float = 60.0  # also caps Retry-After
    timeout_s: float = 120.0  # per request


@dataclass
class CallResult:
    data: dict | None  # the parsed JSON object, None when the call failed
    error: str = ""  # why it failed, for reviewers
    retryable: bool = True  # False: the service failed, another round won't help
    tokens_in: int = 0
    tokens_out: int = 0
    notes: list[str] = field(default_factory=list)  # e.g. rate-limit waits, for progress
    status: int | None = None  # the HTTP status of a refused request
    unstructured: bool = False  # the server answered, but not in the structure asked for


class LLMClient:
    """A chat model bound to a provider; `call` does one structured request with retries."""

    def __init__(self, provider: str, model, model_name: str, method: str, retry: RetryPolicy, server: str = ""):
        self.provider = provider
        self.model = model
        self.model_name = model_name
        self.method = method  # a structured-output method, or "auto" (see local_server.methods_to_try)
        self.retry = retry
        self.server = server  # base URL, for remembering which method this server accepts

    def call(self, system: str, user: str, schema: dict, on_wait=None) -> CallResult:
        """One structured request. `on_wait(message)` is told about backoff waits.

        With method "auto", the methods the server may accept are tried in turn (function
        calling, then JSON schema) and the first that gives an answer is remembered for it."""
        if self.method != "auto":
            return self._call(self.method, system, user, schema, on_wait)
        from . import local_server

        tokens_in = tokens_out = 0
        result = None
        for method in local_server.methods_to_try(self.server, self.model_name):
            result = self._call(method, system, user, schema, on_wait)
            tokens_in, tokens_out = tokens_in + result.tokens_in, tokens_out + result.tokens_out
            if result.data is not None or not local_server.may_be_unsupported(result):
                if result.data is not None:
                    local_server.remember_method(self.server, self.model_name, method)
                break
            if on_wait:
                on_wait(f"{result.error}; trying structured output by {local_server.next_label(method)}")
        result.tokens_in, result.tokens_out = tokens_in, tokens_out
        return result

    def _call(self, method: str, system: str, user: str, schema: dict, on_wait=None) -> CallResult:
        chain = self.model.with_structured_output(schema, method=method, include_raw=True)
        messages = [("system", system), ("human", user)]
        rate_limited = errors = 0
        tokens_in = tokens_out = 0
        while True:
            try:
                answer = chain.invoke(messages)
            except Exception as exc:  # noqa: BLE001 - classified below; bugs re-raise
                status, retry_after = _http_status(exc)
                is_timeout = _is_timeout(exc)
                if status is None and not is_timeout and not _is_connection_error(exc):
                    raise
                reason = _describe_failure(self.provider, status, exc)
                if status == 429:
                    rate_limited += 1
                    if rate_limited >= self.retry.rate_limit_tries:
                        reason = f"{reason}; gave up after {rate_limited} tries"
                        return CallResult(None, reason, False, tokens_in, tokens_out)
                    delay = retry_after if retry_after is not None else self._backoff(rate_limited)
                elif status is not None and 400 <= status < 500 and status not in (408, 409):
                    # Bad key, unknown model, bad request: trying again changes nothing.
                    return CallResult(None, reason, False, tokens_in, tokens_out, status=status)
                else:
                    errors += 1
                    if errors >= self.retry.error_tries:
                        reason = f"{reason}; gave up after {errors} tries"
                        return CallResult(None, reason, False, tokens_in, tokens_out, status=status)
                    delay = self._backoff(errors)
                delay = min(delay, self.retry.max_delay_s)
                if on_wait:
                    on_wait(f"{reason}; retrying in {delay:.0f} s")
                time.sleep(delay)
                continue
            raw = answer["raw"]
            usage = getattr(raw, "usage_metadata", None) or {}
            tokens_in += int(usage.get("input_tokens", 0))
            tokens_out += int(usage.get("output_tokens", 0))
            data, problem = self._parse(raw)
            if problem:
                return CallResult(None, problem, True, tokens_in, tokens_out, unstructured=True)
            return CallResult(data, "", True, tokens_in, tokens_out)

    def _backoff(self, tries: int) -> float:
        delay = self.retry.base_delay_s * 2 ** (tries - 1)
        return delay * (0.75 + 0.5 * random.random())

    def _parse(self, raw) -> tuple[dict | None, str]:
        tool_calls = getattr(raw, "tool_calls", None) or []
        if tool_calls:
            return tool_calls[0]["args"], ""
        invalid = getattr(raw, "invalid_tool_calls", None) or []
        if invalid:
            return None, f"malformed JSON in the model's answer: {str(invalid[0].get('error') or '')[:200]}"
        text = _message_text(raw).strip()
        fenced = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", text, re.DOTALL)
        if fenced:
            text = fenced.group(1)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            return None, f"malformed JSON in the model's answer ({exc.msg} at character {exc.pos})"
        if not isinstance(data, dict):
            return None, "the model's answer is not a JSON object"
        return data, ""


def _message_text(message) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)


def _http_status(exc: BaseException) -> tuple[int | None, float | None]:
    """(HTTP status, Retry-After seconds) from an exception or the ones it was raised from."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        status = getattr(exc, "status_code", None) or getattr(exc, "code", None)
        if isinstance(status, int) and 100 <= status < 600:
            response = getattr(exc, "response", None)
            headers = getattr(response, "headers", None) or {}
            return status, _retry_after_s(headers.get("retry-after"))
        exc = exc.__cause__ or exc.__context__
    return None, None


def _retry_after_s(value) -> float | None:
    try:
        return max(float(value), 0.0)
    except (TypeError, ValueError):
        return None  # absent, or an HTTP date: use our own backoff


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _is_timeout(exc: BaseException) -> bool:
    return any(isinstance(e, TimeoutError) or "Timeout" in type(e).__name__ for e in _chain(exc))


def _is_connection_error(exc: BaseException) -> bool:
    names = ("ConnectError", "APIConnectionError")
    return any(isinstance(e, ConnectionError) or type(e).__name__ in names for e in _chain(exc))


def _describe_failure(provider: str, status: int | None, exc: BaseException) -> str:
    name = {"gemini": "Gemini", "openai": "The OpenAI-compatible server"}.get(provider, provider)
    if status == 429:
        return f"{name} rate limit (HTTP 429)"
    if status is not None:
        return f"{name} answered HTTP {status}"
    if _is_timeout(exc):
        return f"{name} did not answer in time"
    return f"{name} could not be reached ({type(exc).__name__})"


def make_client(options: PipelineOptions, retry: RetryPolicy) -> LLMClient:
    """The configured provider's client (settings from `options`, see pipeline.config)."""
    if options.copy_provider == "gemini":
        from langchain_google_genai import ChatGoogleGenerativeAI

        key = options.gemini_api_key.get_secret_value()
        if not key:
            raise InputError("Gemini needs an API key: set GEMINI_API_KEY, or choose the local provider")
        model_name = options.gemini_model or "gemini-2.5-flash"
        base_url = options.gemini_base_url or None
        model = ChatGoogleGenerativeAI(
            model=model_name,
            api_key=key,
            base_url=base_url,
            max_retries=1,  # 1 = a single attempt in the Google SDK; retries are ours
            timeout=retry.timeout_s,
            temperature=0.7,
        )
        return LLMClient("gemini", model, model_name, "json_schema", retry)
    if options.copy_provider == "openai":
        from langchain_openai import ChatOpenAI

        base_url, model_name = options.openai_base_url, options.openai_model
        key = options.openai_api_key.get_secret_value()
        if not base_url and not key:
            raise InputError(
                "The OpenAI-compatible provider needs CLIPER_OPENAI_BASE_URL (e.g. http://localhost:11434/v1 for Ollama)"
            )
        if not model_name:
            raise InputError("Set CLIPER_OPENAI_MODEL to the model your OpenAI-compatible server serves")
        # "auto" tries function calling, then JSON schema, and remembers what the server took.
        method = config.current().openai_structured_method
        model = ChatOpenAI(
            model=model_name,
            base_url=base_url or None,
            api_key=key or "not-needed",  # local servers ignore it, the client insists on one
            max_retries=0,
            timeout=retry.timeout_s,
            temperature=0.7,
        )
        return LLMClient("openai", model, model_name, method, retry, server=base_url)
    raise ValueError(f"No LLM client for provider {options.copy_provider!r}")
