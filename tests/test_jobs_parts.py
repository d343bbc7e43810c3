"""Stages that fan out: parts queued as separate tasks, progress summed on the stage record,
cancel and retry covering every part, and transcription parts cut at pauses and stitched exactly."""

import wave

import numpy as np
import pytest

from clips import services
from clips.models import StagePart, Video
from pipeline import schemas, stages, transcribe
from pipeline.progress import no_progress
from tests.ingest_support import SPEECH_TEXT, run, speak, video_with_audio, word_error_rate

pytestmark = pytest.mark.postgres


@pytest.fixture
def transcribing(admin_user, monkeypatch, django_capture_on_commit_callbacks):
    """A video whose transcribe stage plans three parts (the pipeline's functions replaced by quick ones)."""
    seen = []

    def plan(workdir, options, progress):
        return [{"start": n * 10, "end": n * 10 + 10, "language": "en"} for n in range(3)]

    def run_part(workdir, options, spec, progress):
        progress(0.5, "half way")
        seen.append(spec["start"])
        word = schemas.Word(text=f"w{spec['start']}", start=spec["start"] + 1, end=spec["start"] + 2)
        return transcribe.TranscriptPart(words=[word], language="en")

    def join(workdir, options, results):
        words = [w for result in results for w in transcribe.TranscriptPart.model_validate(result).words]
        return schemas.Transcript(language="en", duration=30, words=words, model="tiny.en")

    for name, function in (("plan", plan), ("run_part", run_part), ("join", join)):
        monkeypatch.setattr(transcribe, name, function)
    video = services.video_create(owner=admin_user, source=Video.Source.URL, url="http://127.0.0.1:9/v", start=False)
    with django_capture_on_commit_callbacks(execute=False):
        services.video_start(video=video)
    video.stage_runs.filter(stage="ingest").update(state="done")
    run = video.stage_runs.get(stage="transcribe")
    with django_capture_on_commit_callbacks(execute=False):
        services.stage_enqueue(run=run)
    run.refresh_from_db()
    return video, run, seen


def test_a_stage_fans_out_into_parts_and_joins_when_the_last_is_done(transcribing, django_capture_on_commit_callbacks):
    video, run, seen = transcribing
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.stage_execute(video_id=video.pk, stage="transcribe", attempt=run.attempt)
    parts = list(run.parts.order_by("index"))
    assert [(p.index, p.state, p.attempt) for p in parts] == [(0, "queued", 1), (1, "queued", 1), (2, "queued", 1)]
    assert len(callbacks) == 3
    run.refresh_from_db()
    assert run.state == "running" and run.lease_until is None and run.message == "0 of 3 chunks done"

    services.part_execute(part_id=parts[2].pk, attempt=1)  # parts finish in any order
    run.refresh_from_db()
    assert run.progress == pytest.approx(1 / 3, abs=1e-3) and run.message == "1 of 3 chunks done"
    services.part_execute(part_id=parts[2].pk, attempt=1)  # a redelivered copy does nothing
    assert seen == [20]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.part_execute(part_id=parts[0].pk, attempt=1)
        services.part_execute(part_id=parts[1].pk, attempt=1)
    run.refresh_from_db()
    assert run.state == "done" and run.progress == 1.0
    assert [w["text"] for w in video.transcript.words] == ["w0", "w10", "w20"]  # joined in order
    assert video.stage_runs.get(stage="clips").state == "queued" and len(callbacks) == 1


def test_cancel_and_retry_cover_every_part(transcribing, django_capture_on_commit_callbacks):
    video, run, seen = transcribing
    with django_capture_on_commit_callbacks(execute=False):
        services.stage_execute(video_id=video.pk, stage="transcribe", attempt=run.attempt)
    first = run.parts.get(index=0)
    services.part_execute(part_id=first.pk, attempt=1)
    services.video_cancel(video=video)
    assert set(run.parts.exclude(index=0).values_list("state", flat=True)) == {"cancelled"}
    for part in run.parts.all():
        services.part_execute(part_id=part.pk, attempt=1)  # queued copies of cancelled parts: no-ops
    assert seen == [0]
    run.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.stage_retry(run=run)
    run.refresh_from_db()
    # the retry redid the cancelled parts only: the part done before the cancel kept its result
    assert run.state == "done" and run.attempt == 2 and sorted(seen) == [0, 10, 20]
    assert StagePart.objects.filter(run=run).count() == 3
    assert [w["text"] for w in video.transcript.words] == ["w0", "w10", "w20"]


def test_a_retry_redoes_every_part_once_what_they_depend_on_changed(transcribing, django_capture_on_commit_callbacks):
    video, run, seen = transcribing
    with django_capture_on_commit_callbacks(execute=False):
        services.stage_execute(video_id=video.pk, stage="transcribe", attempt=run.attempt)
    services.part_execute(part_id=run.parts.get(index=0).pk, attempt=1)
    services.video_cancel(video=video)
    # the earlier stage's output was written again meanwhile (ingest rerun): the done part is stale
    video.workdir.mkdir(parents=True, exist_ok=True)
    stages.get_stage("ingest").output_path(video.workdir).write_text("{}")
    run.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.stage_retry(run=run)
    run.refresh_from_db()
    assert run.state == "done" and sorted(seen) == [0, 0, 10, 20]


def test_a_failing_part_fails_its_stage_and_stops_the_others(
    transcribing, monkeypatch, django_capture_on_commit_callbacks
):
    video, run, seen = transcribing

    def broken(workdir, options, spec, progress):
        raise transcribe.InputError("The audio could not be read")

    monkeypatch.setattr(transcribe, "run_part", broken)
    with django_capture_on_commit_callbacks(execute=False):
        services.stage_execute(video_id=video.pk, stage="transcribe", attempt=run.attempt)
    services.part_execute(part_id=run.parts.get(index=1).pk, attempt=1)
    run.refresh_from_db()
    video.refresh_from_db()
    assert run.state == "failed" and run.message == "Part 2: The audio could not be read"
    assert video.status == Video.Status.FAILED
    assert sorted(run.parts.values_list("state", flat=True)) == ["cancelled", "cancelled", "failed"]


def test_a_retry_after_a_failed_part_keeps_the_parts_already_done(
    transcribing, monkeypatch, django_capture_on_commit_callbacks
):
    video, run, seen = transcribing
    working = transcribe.run_part

    def fails_on_the_second(workdir, options, spec, progress):
        if spec["start"] == 10:
            raise transcribe.InputError("The audio could not be read")
        return working(workdir, options, spec, progress)

    monkeypatch.setattr(transcribe, "run_part", fails_on_the_second)
    with django_capture_on_commit_callbacks(execute=False):
        services.stage_execute(video_id=video.pk, stage="transcribe", attempt=run.attempt)
    for index in (0, 2, 1):
        services.part_execute(part_id=run.parts.get(index=index).pk, attempt=1)
    run.refresh_from_db()
    assert run.state == "failed" and sorted(seen) == [0, 20]
    monkeypatch.setattr(transcribe, "run_part", working)  # the cause is fixed: retry
    with django_capture_on_commit_callbacks(execute=False):
        services.stage_retry(run=run)
    run.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=False):
        services.stage_execute(video_id=video.pk, stage="transcribe", attempt=run.attempt)
    run.refresh_from_db()
    assert (run.state, run.progress, run.message) == ("running", pytest.approx(2 / 3), "2 of 3 chunks done")
    queued = list(run.parts.filter(state="queued"))
    assert [part.index for part in queued] == [1]  # only the failed part runs again
    with django_capture_on_commit_callbacks(execute=True):
        services.part_execute(part_id=queued[0].pk, attempt=1)
    run.refresh_from_db()
    assert run.state == "done" and sorted(seen) == [0, 10, 20]
    assert [w["text"] for w in video.transcript.words] == ["w0", "w10", "w20"]


@pytest.mark.slow
def test_transcription_parts_are_cut_at_pauses_and_stitched_with_exact_times(tmp_path, monkeypatch):
    speak(SPEECH_TEXT, tmp_path / "raw.wav")
    run(["ffmpeg", "-v", "error", "-i", str(tmp_path / "raw.wav"), "-ac", "1", "-ar", "16000", str(tmp_path / "a.wav")])
    workdir = tmp_path / "work"
    source = video_with_audio(tmp_path / "a.wav", tmp_path / "talk.mp4")
    stages.get_stage("ingest").run(workdir, schemas.PipelineOptions(source=str(source)), no_progress)
    monkeypatch.setattr(transcribe, "PART_S", 8.0)
    monkeypatch.setattr(transcribe, "CUT_SEARCH_S", 3.0)
    options = schemas.PipelineOptions(whisper_model="tiny.en")
    specs = transcribe.plan(workdir, options, no_progress)
    assert len(specs) >= 3 and specs[0]["start"] == 0 and {s["language"] for s in specs} == {"en"}
    assert all(a["end"] == b["start"] for a, b in zip(specs, specs[1:]))  # no gap, no overlap
    parts = {i: transcribe.run_part(workdir, options, specs[i], no_progress) for i in reversed(range(len(specs)))}
    results = [parts[i].model_dump(mode="json") for i in range(len(specs))]
    joined = stages.get_stage("transcribe").join(workdir, options, results)  # writes transcript.json
    whole = transcribe.transcribe(workdir / "audio.wav", model="tiny.en", language="en")

    assert word_error_rate(SPEECH_TEXT, " ".join(w.text for w in joined.words)) < 0.2
    assert abs(len(joined.words) - len(whole.words)) <= 2  # nothing heard twice or lost at a join
    rate = transcribe.SAMPLE_RATE_HZ
    with wave.open(str(workdir / "audio.wav")) as wav:
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(float)
    loudness = np.sqrt(np.mean(samples**2))
    for spec in specs[1:]:  # every cut is in a pause (Whisper's word ends reach into pauses: use the audio)
        around = samples[spec["start"] - rate // 20 : spec["start"] + rate // 20]
        assert np.sqrt(np.mean(around**2)) < 0.05 * loudness, spec["start"] / rate
    for spec, part in zip(specs, (parts[i] for i in range(len(specs)))):  # times offset by the part's start
        assert all(spec["start"] / rate - 0.05 <= w.start <= w.end <= spec["end"] / rate + 0.05 for w in part.words)
    assert schemas.Transcript.model_validate_json((workdir / "transcript.json").read_text()) == joined
