""" "Find moments about ..." on the clips page. The search runs in the worker, which has the
embedding model loaded (the web process never loads torch); the answer is a small JSON file in
the video's work directory that the page polls for. The same query on the same video is
searched once: later requests read the file.
"""

import hashlib
import time
from dataclasses import dataclass

from django_q.tasks import async_task

from pipeline.errors import InputError
from pipeline.moment_search import clean_query
from pipeline.schemas import ClipProposal, ClipsResult

from ..models import Clip, Video

SEARCH_DIR = "moments"
PENDING_STALE_S = 300  # a search not answered by then (worker died) is queued again


@dataclass(frozen=True)
class Moment:
    proposal: ClipProposal
    clip: Clip | None  # the existing clip that overlaps it most, if any

    @property
    def points(self) -> int:
        return round(self.proposal.score * 100)


@dataclass(frozen=True)
class MomentSearch:
    query: str
    pending: bool = False
    moments: tuple[Moment, ...] = ()
    error: str = ""


def moments_search(*, video: Video, query: str) -> MomentSearch:
    """The answer for `query` if the worker has written it; otherwise queue the search once."""
    try:
        query = clean_query(query)
    except InputError as exc:
        return MomentSearch(query="", error=str(exc))
    answer, pending = _paths(video, query)
    if answer.exists():
        result = ClipsResult.model_validate_json(answer.read_text())
        if result.note.startswith("error:"):
            answer.unlink(missing_ok=True)  # shown once: asking again searches again (e.g. once transcribed)
            return MomentSearch(query=query, error=result.note.removeprefix("error:").strip())
        return MomentSearch(query=query, moments=tuple(_with_clips(video, result.clips)))
    fresh = pending.exists() and time.time() - pending.stat().st_mtime < PENDING_STALE_S
    if not fresh:
        pending.parent.mkdir(parents=True, exist_ok=True)
        pending.touch()
        async_task("clips.tasks.search_moments", video.pk, query)
    return MomentSearch(query=query, pending=True)


def moments_search_now(*, video_id: int, query: str) -> None:
    """Runs in the worker: search the transcript, write the answer file the page polls for."""
    from pipeline.moment_search import find_moments
    from pipeline.stages import get_stage, write_model

    from ..options import pipeline_options

    video = Video.objects.get(pk=video_id)
    answer, pending = _paths(video, query)
    transcript = get_stage("transcribe").load_output(video.workdir)
    try:
        if transcript is None:
            raise InputError("There is no transcript yet: wait for transcription to finish.")
        options = pipeline_options(video)
        moments = find_moments(
            transcript,
            query,
            min_s=video.min_clip_s,
            max_s=video.max_clip_s,
            embedding_model=options.embedding_model,
        )
        result = ClipsResult(topics=[], clips=moments, note=f"Moments about “{query}”")
    except InputError as exc:
        result = ClipsResult(topics=[], clips=[], note=f"error: {exc}")
    write_model(answer, result)
    pending.unlink(missing_ok=True)


def _paths(video: Video, query: str):
    # The file name is a hash: the query never becomes part of a path.
    key = hashlib.sha256(f"{query}|{video.min_clip_s}|{video.max_clip_s}".encode()).hexdigest()[:32]
    folder = video.workdir / SEARCH_DIR
    return folder / f"{key}.json", folder / f"{key}.pending"


def _with_clips(video: Video, proposals) -> list[Moment]:
    clips = list(video.clips.all())
    moments = []
    for proposal in proposals:

        def shared(clip, p=proposal):
            return min(clip.end_s, p.end) - max(clip.start_s, p.start)

        best = max(clips, key=shared, default=None)
        moments.append(Moment(proposal, best if best is not None and shared(best) > 0 else None))
    return moments
