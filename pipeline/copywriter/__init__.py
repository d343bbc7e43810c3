"""The copy stage: social-media copy for each proposed clip (clips.json -> copies.json).

Providers: "local" (default, no key: zero-shot style + extractive drafts, labelled as drafts),
"gemini" (langchain-google-genai) and "openai" (any OpenAI-compatible server: Ollama, llama.cpp,
vLLM). The workflow is a LangGraph StateGraph (see graph.py). Importing this package is light:
langgraph, langchain and sentence-transformers load on first use.
"""

from pathlib import Path

from ..errors import InputError
from ..progress import Progress, no_progress
from ..schemas import ClipProposal, CopiesResult, PipelineOptions
from . import rules
from .providers import RetryPolicy

__all__ = ["run", "write_copies", "merge_copies", "RetryPolicy"]


def write_copies(
    clips: dict[int, ClipProposal],
    *,
    language: str,
    options: PipelineOptions,
    progress: Progress = no_progress,
    retry: RetryPolicy | None = None,
) -> CopiesResult:
    """Copy for the given clips (keys: index in clips.json) in the video's `language`.

    Used for the whole video and to regenerate one clip. Clips that fail are listed in
    `failures` with a reason; the others are returned (partial success). Raises InputError for
    a provider that is not configured or an unknown platform.
    """
    from .graph import CopyJob, run_graph
    from .providers import make_client

    max_chars = rules.char_limit(options.platform)
    if not clips:
        return CopiesResult(copies=[], provider=options.copy_provider, is_local_draft=options.copy_provider == "local")
    client = None if options.copy_provider == "local" else make_client(options, retry or RetryPolicy())
    job = CopyJob(clips=dict(clips), language=language, options=options, client=client, max_chars=max_chars)
    return run_graph(job, progress)


def merge_copies(earlier: CopiesResult, fresh: CopiesResult) -> CopiesResult:
    """`earlier` with the clips in `fresh` replaced (regenerating some clips). Tokens and cost add up."""
    redone = {copy.clip_index for copy in fresh.copies} | {failure.clip_index for failure in fresh.failures}
    copies = [copy for copy in earlier.copies if copy.clip_index not in redone] + fresh.copies
    failures = [failure for failure in earlier.failures if failure.clip_index not in redone] + fresh.failures
    return fresh.model_copy(
        update={
            "copies": sorted(copies, key=lambda copy: copy.clip_index),
            "failures": sorted(failures, key=lambda failure: failure.clip_index),
            "tokens_in": earlier.tokens_in + fresh.tokens_in,
            "tokens_out": earlier.tokens_out + fresh.tokens_out,
            "cost_usd": round(earlier.cost_usd + fresh.cost_usd, 6),
        }
    )


def run(workdir: Path, options: PipelineOptions, progress: Progress) -> CopiesResult:
    """The stage: reads clips.json and transcript.json (for the language), writes copies.json."""
    from ..stages import get_stage

    clips_result = get_stage("clips").load_output(workdir)
    if clips_result is None:
        raise InputError("No clips.json yet: find clips before writing copy")
    transcript = get_stage("transcribe").load_output(workdir)
    language = (transcript.language if transcript else None) or options.language or "en"
    return write_copies(dict(enumerate(clips_result.clips)), language=language, options=options, progress=progress)
