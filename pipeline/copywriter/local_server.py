"""A local OpenAI-compatible model server (Ollama, llama.cpp's server, vLLM): is it up, which
models does it serve, and which structured-output method does it accept.

Servers differ: llama.cpp's server takes tools only when started with --jinja, some builds refuse
`response_format` JSON schemas, small models sometimes ignore a forced tool call and write prose.
So with CLIPER_OPENAI_STRUCTURED_METHOD=auto (the default) a request tries function calling, then
JSON schema, and the first that gives an answer is remembered per server and model for the
rest of the process.
"""

import threading
from dataclasses import dataclass, field

from .providers import CallResult

METHODS = ("function_calling", "json_schema")
LABELS = {"function_calling": "function calling", "json_schema": "JSON schema"}
# Statuses a server answers a request shape it does not support with (llama.cpp: 500 for tools
# without --jinja; others 400/404/422/501).
UNSUPPORTED_STATUSES = frozenset({400, 404, 405, 415, 422, 500, 501})
MAX_MODELS = 200  # listed on the page; more is a misconfigured server

_accepted: dict[tuple[str, str], str] = {}
_lock = threading.Lock()


def methods_to_try(server: str, model: str) -> list[str]:
    """The remembered method alone, else every method in order."""
    with _lock:
        known = _accepted.get((server.rstrip("/"), model))
    return [known] if known else list(METHODS)


def remember_method(server: str, model: str, method: str) -> None:
    with _lock:
        _accepted[(server.rstrip("/"), model)] = method


def forget_methods() -> None:
    """For tests: start from nothing known."""
    with _lock:
        _accepted.clear()


def may_be_unsupported(result: CallResult) -> bool:
    """Whether a failed call may have failed for the method rather than the content."""
    return result.unstructured or result.status in UNSUPPORTED_STATUSES


def next_label(method: str) -> str:
    following = METHODS[(METHODS.index(method) + 1) % len(METHODS)] if method in METHODS else METHODS[0]
    return LABELS[following]


@dataclass
class ServerStatus:
    """What the page shows about the configured server."""

    base_url: str
    answers: bool
    models: list[str] = field(default_factory=list)
    message: str = ""


def server_status(base_url: str, api_key: str = "", timeout_s: float = 3.0) -> ServerStatus:
    """GET {base_url}/models: whether the server answers and the model ids it lists.

    `base_url` comes from the site settings, never from a request: the page only reads it."""
    import httpx

    if not base_url:
        return ServerStatus("", False, message="No server configured: set CLIPER_OPENAI_BASE_URL")
    url = base_url.rstrip("/") + "/models"
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        response = httpx.get(url, headers=headers, timeout=timeout_s, follow_redirects=False)
    except httpx.TimeoutException:
        return ServerStatus(base_url, False, message=f"No answer from {url} within {timeout_s:.0f} s")
    except httpx.HTTPError as exc:
        return ServerStatus(base_url, False, message=f"Cannot reach {url} ({type(exc).__name__})")
    if response.status_code != 200:
        return ServerStatus(base_url, False, message=f"{url} answered HTTP {response.status_code}")
    try:
        entries = response.json().get("data", [])
        models = [str(entry["id"])[:200] for entry in entries if isinstance(entry, dict) and entry.get("id")]
    except (ValueError, AttributeError, TypeError):
        return ServerStatus(base_url, False, message=f"{url} did not answer with a model list")
    models = sorted(set(models))[:MAX_MODELS]
    message = f"{len(models)} model{'s' if len(models) != 1 else ''} served" if models else "No models loaded"
    return ServerStatus(base_url, True, models, message)
