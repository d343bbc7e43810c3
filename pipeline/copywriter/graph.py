"""The copy workflow as a LangGraph StateGraph.

classify → group → write_viral | write_educational | write_storytelling (one call per batch of a
style) → merge → validate → quality → save, or back to group with the invalid and weak clips
(at most MAX_ATTEMPTS rounds). Clips still without a valid copy at the end are failures with a
reason; the others are saved (partial success).
"""

import json
import operator
from dataclasses import dataclass, field
from typing import Annotated, Any, TypedDict

from pydantic import ValidationError

from ..progress import Progress
from ..schemas import ClipCopy, ClipProposal, CopiesResult, CopyFailure, CopyStyle, PipelineOptions
from . import calls_to_action, local, prompts, rules
from .providers import LLMClient, estimated_cost_usd

STYLES: tuple[CopyStyle, ...] = ("viral", "educational", "storytelling")
MAX_ATTEMPTS = 3
BATCH_SIZE = 8  # clips per LLM call; bounds the answer's length
MAX_TRANSCRIPT_CHARS = 3000  # per clip in a prompt
# Share of the progress bar for each node of the first round; later rounds share what is left.
NODE_PROGRESS = {"classify": 0.15, "group": 0.2, "merge": 0.75, "validate": 0.8, "quality": 0.85, "save": 1.0}
ROUND_SPANS = {1: (0.0, 0.85), 2: (0.85, 0.93), 3: (0.93, 0.98)}


def _merge_round(old: dict, new: dict | None) -> dict:
    """Reducer: parallel writers add their clips; group resets the dict with None."""
    return {} if new is None else {**old, **new}


class CopyState(TypedDict, total=False):
    styles: dict[int, tuple[CopyStyle, float]]
    attempt: int
    pending: list[int]  # clips to write in the current round
    groups: dict[CopyStyle, list[int]]
    calls_to_action: dict[int, str]  # local drafts: one per clip, planned across the video
    feedback: dict[int, str]  # what was wrong with a clip's last copy, for the next prompt
    round_results: Annotated[dict, _merge_round]  # clip id -> draft dict | ("error", reason, retryable)
    merged: dict[int, Any]
    valid: dict[int, ClipCopy]  # this round
    problems: dict[int, tuple[str, bool]]  # this round: clip id -> (reason, retryable)
    best: dict[int, ClipCopy]  # best valid copy so far (highest engagement)
    failures: dict[int, str]
    tries: dict[int, int]  # rounds each clip was written in
    tokens_in: Annotated[int, operator.add]
    tokens_out: Annotated[int, operator.add]
    result: CopiesResult


@dataclass
class CopyJob:
    """What every node needs and never changes during a run."""

    clips: dict[int, ClipProposal]
    language: str
    options: PipelineOptions
    client: LLMClient | None  # None: the local drafter
    max_chars: int
    analyses: dict[int, local.ClipAnalysis] = field(default_factory=dict)

    @property
    def is_local(self) -> bool:
        return self.client is None

    def local_analyses(self, on_progress=None) -> dict[int, local.ClipAnalysis]:
        missing = {clip_index: clip for clip_index, clip in self.clips.items() if clip_index not in self.analyses}
        if missing:
            self.analyses.update(local.analyse(missing, self.options.embedding_model, on_progress, self.language))
        return self.analyses


def build_graph(job: CopyJob):
    """The compiled StateGraph for one run (nodes close over `job`)."""
    from langgraph.config import get_stream_writer
    from langgraph.graph import END, START, StateGraph

    def note(message: str, fraction: float | None = None) -> None:
        get_stream_writer()({"note": message, "fraction": fraction})

    def embedding_progress(done: int, total: int) -> None:
        note(f"Reading the clips: {done}/{total} sentences and keywords", NODE_PROGRESS["classify"] * done / total)

    def classify(state: CopyState) -> dict:
        if job.is_local:
            analyses = job.local_analyses(embedding_progress)
            return {"styles": local.classify(analyses, job.language, job.options.embedding_model)}
        styles, update = _classify_with_llm(job, note)
        missing = [clip_index for clip_index in job.clips if clip_index not in styles]
        if missing:  # the model failed or skipped clips: zero-shot for those
            note(f"Classifying {len(missing)} clips locally")
            fallback = local.classify(job.local_analyses(embedding_progress), job.language, job.options.embedding_model)
            styles.update({clip_index: fallback[clip_index] for clip_index in missing})
        return {"styles": styles, **update}

    def group(state: CopyState) -> dict:
        attempt = state.get("attempt", 0) + 1
        pending = state["pending"] if attempt > 1 else list(job.clips)
        groups = {style: [c for c in pending if state["styles"][c][0] == style] for style in STYLES}
        tries = dict(state.get("tries", {}))
        tries.update({clip_index: tries.get(clip_index, 0) + 1 for clip_index in pending})
        update = {"attempt": attempt, "pending": pending, "groups": groups, "tries": tries, "round_results": None}
        if job.is_local:
            update["calls_to_action"] = _plan_calls_to_action(job, state["styles"])
        return update

    def route_writers(state: CopyState) -> list[str]:
        return [f"write_{style}" for style in STYLES if state["groups"][style]]

    def make_writer(style: CopyStyle):
        def write(state: CopyState) -> dict:
            clip_indexes = state["groups"][style]
            if job.is_local:
                analyses = job.local_analyses()
                drafts = {
                    clip_index: local.draft(
                        clip_index,
                        job.clips[clip_index],
                        analyses[clip_index],
                        style,
                        language=job.language,
                        call_to_action=state["calls_to_action"][clip_index],
                        mandatory_hashtags=job.options.mandatory_hashtags,
                        max_chars=job.max_chars,
                    )
                    for clip_index in clip_indexes
                }
                return {"round_results": drafts}
            return _write_with_llm(job, style, clip_indexes, state.get("feedback", {}), note)

        return write

    def merge(state: CopyState) -> dict:
        results = state.get("round_results", {})
        merged = {
            clip_index: results.get(clip_index, ("error", "the model returned no copy for this clip", True))
            for clip_index in state["pending"]
        }
        return {"merged": merged}

    def validate(state: CopyState) -> dict:
        valid, problems = {}, {}
        for clip_index, outcome in state["merged"].items():
            if isinstance(outcome, tuple):
                problems[clip_index] = (outcome[1], outcome[2])
                continue
            style, confidence = state["styles"][clip_index]
            try:
                valid[clip_index] = rules.validate_draft(
                    outcome,
                    style=style,
                    confidence=confidence,
                    mandatory_hashtags=job.options.mandatory_hashtags,
                    max_chars=job.max_chars,
                )
            except ValidationError as exc:
                problems[clip_index] = (rules.describe_error(exc), True)
        return {"valid": valid, "problems": problems}

    def quality(state: CopyState) -> dict:
        best = dict(state.get("best", {}))
        for clip_index, copy in state["valid"].items():
            if clip_index not in best or copy.engagement_score > best[clip_index].engagement_score:
                best[clip_index] = copy
        failures = dict(state.get("failures", {}))
        threshold = job.options.quality_threshold
        feedback, retry = {}, []
        for clip_index, (reason, retryable) in state["problems"].items():
            if clip_index in best:
                continue  # an earlier round gave a valid copy: keep it
            if retryable:
                retry.append(clip_index)
                feedback[clip_index] = prompts.phrase("feedback_invalid", job.language, reason=reason)
            failures[clip_index] = reason
        average = sum(copy.engagement_score for copy in best.values()) / len(best) if best else 0.0
        if best and average < threshold:
            for clip_index, copy in best.items():
                if copy.engagement_score < threshold and clip_index in state["pending"]:
                    retry.append(clip_index)
                    feedback[clip_index] = prompts.phrase(
                        "feedback_weak", job.language, score=copy.engagement_score, threshold=threshold
                    )
        can_retry = not job.is_local and state["attempt"] < MAX_ATTEMPTS
        for clip_index in best:
            failures.pop(clip_index, None)
        return {"best": best, "failures": failures, "feedback": feedback, "pending": sorted(retry) if can_retry else []}

    def route_quality(state: CopyState) -> str:
        return "group" if state["pending"] else "save"

    def save(state: CopyState) -> dict:
        best = state.get("best", {})
        failures = [
            CopyFailure(clip_index=clip_index, reason=_failure_reason(reason, state["tries"][clip_index]))
            for clip_index, reason in sorted(state.get("failures", {}).items())
            if clip_index not in best
        ]
        tokens_in, tokens_out = state.get("tokens_in", 0), state.get("tokens_out", 0)
        model_name = local.model_label(job.options.embedding_model) if job.is_local else job.client.model_name
        result = CopiesResult(
            copies=[best[clip_index] for clip_index in sorted(best)],
            failures=failures,
            provider="local" if job.is_local else job.client.provider,
            model=model_name,
            is_local_draft=job.is_local,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            cost_usd=round(estimated_cost_usd(model_name, tokens_in, tokens_out), 6),
        )
        return {"result": result}

    graph = StateGraph(CopyState)
    graph.add_node("classify", classify)
    graph.add_node("group", group)
    for style in STYLES:
        graph.add_node(f"write_{style}", make_writer(style))
        graph.add_edge(f"write_{style}", "merge")
    graph.add_node("merge", merge)
    graph.add_node("validate", validate)
    graph.add_node("quality", quality)
    graph.add_node("save", save)
    graph.add_edge(START, "classify")
    graph.add_edge("classify", "group")
    graph.add_conditional_edges("group", route_writers, [f"write_{style}" for style in STYLES])
    graph.add_edge("merge", "validate")
    graph.add_edge("validate", "quality")
    graph.add_conditional_edges("quality", route_quality, ["group", "save"])
    graph.add_edge("save", END)
    return graph.compile()


def _plan_calls_to_action(job: CopyJob, styles: dict[int, tuple[CopyStyle, float]]) -> dict[int, str]:
    """Every clip's call to action at once, so neighbours differ (the writers run per style)."""
    analyses = job.local_analyses()
    kinds = {
        clip_index: calls_to_action.kind_of(styles[clip_index][0], analyses[clip_index].sentences)
        for clip_index in job.clips
    }
    has_topic = {clip_index: bool(analyses[clip_index].candidates) for clip_index in job.clips}
    return calls_to_action.plan(kinds, has_topic, job.language)


def _failure_reason(reason: str, attempts: int) -> str:
    return f"{reason} (after {attempts} attempts)" if attempts > 1 else reason


def _clips_message(job: CopyJob, clip_indexes: list[int], feedback: dict[int, str]) -> str:
    clips = []
    for clip_index in clip_indexes:
        clip = job.clips[clip_index]
        entry = {
            "clip_index": clip_index,
            "duration_s": round(clip.end - clip.start, 1),
            "transcript": clip.text[:MAX_TRANSCRIPT_CHARS],
        }
        if clip_index in feedback:
            entry["feedback"] = feedback[clip_index]
        clips.append(entry)
    return json.dumps({"clips": clips}, ensure_ascii=False, indent=1)


def _classify_with_llm(job: CopyJob, note) -> tuple[dict, dict]:
    styles: dict[int, tuple[CopyStyle, float]] = {}
    tokens_in = tokens_out = 0
    ids = list(job.clips)
    for start in range(0, len(ids), BATCH_SIZE * 2):  # classification answers are short
        batch = ids[start : start + BATCH_SIZE * 2]
        user = prompts.phrase("classify_intro", job.language) + "\n\n" + _clips_message(job, batch, {})
        outcome = job.client.call(prompts.prompt("classifier", job.language), user, rules.classifier_schema(), note)
        tokens_in, tokens_out = tokens_in + outcome.tokens_in, tokens_out + outcome.tokens_out
        if outcome.data is None:
            note(f"Classification failed: {outcome.error}")
            continue
        for item in outcome.data.get("classifications", []):
            try:
                clip_index, style = _as_clip_index(item["clip_index"]), item["style"]
                confidence = min(max(float(item.get("confidence", 0.5)), 0.0), 1.0)
            except (KeyError, TypeError, ValueError):
                continue
            if clip_index in batch and style in STYLES and clip_index not in styles:
                styles[clip_index] = (style, confidence)
    return styles, {"tokens_in": tokens_in, "tokens_out": tokens_out}


def _write_with_llm(job: CopyJob, style: CopyStyle, clip_indexes: list[int], feedback: dict[int, str], note) -> dict:
    mandatory = " ".join(rules.merge_hashtags(job.options.mandatory_hashtags, []))
    if mandatory:
        rule = prompts.phrase("mandatory_rule", job.language, hashtags=mandatory)
    else:
        rule = prompts.phrase("no_mandatory_rule", job.language)
    system = prompts.prompt(
        style, job.language, platform=job.options.platform, max_chars=job.max_chars, mandatory_rule=rule
    )
    results: dict[int, Any] = {}
    tokens_in = tokens_out = 0
    for start in range(0, len(clip_indexes), BATCH_SIZE):
        batch = clip_indexes[start : start + BATCH_SIZE]
        user = prompts.phrase("user_intro", job.language) + "\n\n" + _clips_message(job, batch, feedback)
        outcome = job.client.call(system, user, rules.llm_schema(), note)
        tokens_in, tokens_out = tokens_in + outcome.tokens_in, tokens_out + outcome.tokens_out
        if outcome.data is None:
            results.update({clip_index: ("error", outcome.error, outcome.retryable) for clip_index in batch})
            continue
        copies = outcome.data.get("copies")
        for item in copies if isinstance(copies, list) else []:
            clip_index = _as_clip_index(item.get("clip_index")) if isinstance(item, dict) else None
            if clip_index in batch and clip_index not in results:
                results[clip_index] = item
        if len(clip_indexes) > BATCH_SIZE:
            note(
                f"{style.capitalize()} copy: {min(start + BATCH_SIZE, len(clip_indexes))} of {len(clip_indexes)} clips"
            )
    return {"round_results": results, "tokens_in": tokens_in, "tokens_out": tokens_out}


def _as_clip_index(value) -> int | None:
    """Models sometimes quote numbers: 3, 3.0 and "3" are all clip 3."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else None


def run_graph(job: CopyJob, progress: Progress) -> CopiesResult:
    """Run the workflow, reporting progress per node (LangGraph "updates" stream)."""
    graph = build_graph(job)
    attempt, last = 1, 0.0
    message = ""
    result = None
    for mode, chunk in graph.stream({}, stream_mode=["updates", "custom"]):
        if mode == "custom":
            if chunk.get("fraction") is not None and attempt == 1:
                last = max(last, chunk["fraction"])
            progress(last, chunk.get("note") or message)
            continue
        for node, update in chunk.items():
            update = update or {}
            attempt = update.get("attempt", attempt)
            start, end = ROUND_SPANS.get(attempt, (0.98, 0.99))
            fraction = NODE_PROGRESS.get(node)
            if node.startswith("write_"):
                fraction = 0.5
            if node == "save":
                start, end = 0.0, 1.0
            last = max(last, start + (end - start) * (fraction if fraction is not None else 0.5))
            message = _node_message(node, update, attempt)
            progress(last, message)
            if "result" in update:
                result = update["result"]
    return result


def _node_message(node: str, update: dict, attempt: int) -> str:
    prefix = f"attempt {attempt} of {MAX_ATTEMPTS}: " if attempt > 1 else ""
    if node == "classify":
        return f"Classified {len(update.get('styles', {}))} clips"
    if node == "group":
        counts = ", ".join(f"{len(ids)} {style}" for style, ids in update["groups"].items() if ids)
        return f"{prefix}writing copy ({counts})".capitalize()
    if node.startswith("write_"):
        return f"{prefix}wrote {node.removeprefix('write_')} copy".capitalize()
    if node == "validate":
        return f"{prefix}{len(update['valid'])} valid, {len(update['problems'])} to fix".capitalize()
    if node == "quality":
        pending = len(update.get("pending", []))
        return f"Retrying {pending} clips" if pending else "Quality check done"
    if node == "save":
        result = update["result"]
        return f"{len(result.copies)} copies, {len(result.failures)} failed"
    return node.capitalize()
