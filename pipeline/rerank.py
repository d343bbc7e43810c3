"""LLM re-ranking of the best clip candidates, in one batched request.

When a provider is configured (Gemini or an OpenAI-compatible server, the copy stage's
plumbing in pipeline.copywriter.providers), the top RERANK_TOP clips by offline score are sent
together; the answer must rank every one of them exactly once with a reason. The offline
scores are then handed out again in the LLM's order (so sorting by score follows it, and the
sub-scores still explain the offline view) and each clip's reason becomes the LLM's. Any
failure (unreachable, HTTP error, malformed or incomplete answer) keeps the offline order and
says why in the result's note: ranking is an improvement, never a reason to fail the stage.
"""

from typing import TYPE_CHECKING

from . import schemas
from .errors import InputError
from .progress import Progress, no_progress

if TYPE_CHECKING:
    from .copywriter.providers import LLMClient, RetryPolicy

RERANK_TOP = 12
TEXT_CHARS = 1500  # of each clip's text in the prompt: enough to judge, bounded cost
REASON_CHARS = 200
SCHEMA = {
    "title": "clip_ranking",
    "description": "Every candidate clip number, best first, each with a short reason.",
    "type": "object",
    "properties": {
        "ranking": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"clip": {"type": "integer"}, "reason": {"type": "string"}},
                "required": ["clip", "reason"],
            },
        }
    },
    "required": ["ranking"],
}


def rerank(
    result: schemas.ClipsResult,
    options: schemas.PipelineOptions,
    *,
    language: str = "en",
    retry: "RetryPolicy | None" = None,
    client: "LLMClient | None" = None,
    progress: Progress = no_progress,
) -> schemas.ClipsResult:
    """result with its best clips re-ranked by the configured LLM, or unchanged (offline)."""
    if options.copy_provider == "local" and client is None:
        return result
    # Imported here: without a provider the clip stage never loads the LLM libraries.
    from .copywriter.prompts import prompt
    from .copywriter.providers import RetryPolicy, make_client

    top = sorted(range(len(result.clips)), key=lambda i: -result.clips[i].score)[:RERANK_TOP]
    if len(top) < 2:
        return result
    try:
        client = client or make_client(options, retry or RetryPolicy())
    except InputError as exc:
        return _offline(result, f"LLM ranking skipped: {exc}")
    progress(0.0, f"Ranking the best {len(top)} clips with {client.model_name}")
    answer = client.call(
        "You rank candidate clips for short-form video. Answer with JSON only.",
        prompt("rerank", language, count=str(len(top)), candidates=_candidates(result, top)),
        SCHEMA,
        on_wait=lambda message: progress(0.0, message),
    )
    if answer.data is None:
        return _offline(result, f"LLM ranking failed ({answer.error}); offline order kept")
    ranking = _valid_ranking(answer.data, len(top))
    if ranking is None:
        return _offline(result, "LLM ranking was malformed (every candidate exactly once); offline order kept")
    clips = list(result.clips)
    scores = sorted((clips[i].score for i in top), reverse=True)
    for score, (number, reason) in zip(scores, ranking):
        index = top[number - 1]
        clips[index] = clips[index].model_copy(update={"score": score, "reason": reason})
    progress(1.0, f"Ranked by {client.model_name}")
    return result.model_copy(update={"clips": clips, "ranked_by": f"{client.provider}:{client.model_name}"})


def _candidates(result: schemas.ClipsResult, top: list[int]) -> str:
    lines = []
    for number, index in enumerate(top, start=1):
        clip = result.clips[index]
        text = clip.text if len(clip.text) <= TEXT_CHARS else clip.text[:TEXT_CHARS] + " …"
        lines.append(f"[{number}] {clip.end - clip.start:.0f} s, score {round(100 * clip.score)}: {text}")
    return "\n".join(lines)


def _valid_ranking(data: dict, count: int) -> list[tuple[int, str]] | None:
    """[(candidate number, reason)] best first, or None unless every number 1..count is there once."""
    items = data.get("ranking")
    if not isinstance(items, list):
        return None
    ranking = []
    for item in items:
        if not isinstance(item, dict):
            return None
        number, reason = item.get("clip"), item.get("reason")
        if isinstance(number, bool) or not isinstance(number, int) or not isinstance(reason, str):
            return None
        reason = " ".join(reason.split())[:REASON_CHARS]
        if not reason:
            return None
        ranking.append((number, reason))
    if sorted(number for number, _ in ranking) != list(range(1, count + 1)):
        return None
    return ranking


def _offline(result: schemas.ClipsResult, why: str) -> schemas.ClipsResult:
    note = f"{result.note} {why}".strip()
    return result.model_copy(update={"note": note, "ranked_by": ""})
