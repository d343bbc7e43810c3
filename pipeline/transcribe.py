"""Transcribe stage: words with start and end seconds, from audio.wav. Writes transcript.json.

How it runs, and why (measured on 2 CPU cores, int8, see bench/transcribe.py and RESEARCH.md):

- Recognition is WhisperX's backend, faster-whisper (CTranslate2), called directly with
  `word_timestamps=True`. WhisperX's own batched pipeline returns segments without word times
  and needs a wav2vec2 alignment model for them; its pyannote VAD costs ~5 s of loading and
  ~1.2 GB more peak memory, and with alignment the run is slower, for no better word error
  rate (RESEARCH.md, quiet machine: faster-whisper RTF 0.11 / 0.43 GB / WER 2.2 %, WhisperX
  0.10-0.12 / 1.65 GB / 3.8 % on espeak-ng speech). So the default is faster-whisper's own word
  times (cross-attention + DTW); the tests check they are ordered, inside the audio and that
  a 3 s lead silence holds no words.
- When `align_model_dir` names a local wav2vec2 CTC model (Hugging Face layout, or one folder
  per language code such as `en/`, `es/`), WhisperX alignment (`whisperx.align`) refines the
  word times; words it cannot place (numbers, symbols) keep faster-whisper's times.
- Silence and music: faster-whisper's Silero VAD (ONNX, ships in its wheel, offline) drops
  non-speech before decoding, and `condition_on_previous_text=False` stops the repetition loops
  Whisper falls into on noise; a track with no speech gives no words and Transcript.message.
- Greedy decoding (beam 1) by default: on a 5-minute espeak-ng talk it used 0.17 CPU-seconds
  per audio second against 0.24 for beam 5 (WER 8.7 % vs 6.9 %): beam 5 cannot reach the RTF
  0.12 target on 2 cores even with both fully used. CLIPER_WHISPER_BEAM=5 buys the accuracy.
- Long audio is read from the WAV in chunks of about 5 minutes cut at the quietest 0.1 s near
  each boundary: memory stays flat for a 10-hour file and progress arrives every few seconds.
- Spread over workers (the app's queue, see pipeline.stages): `plan` cuts the audio into parts of
  about PART_S at the quietest 0.1 s (a pause between words, so no word is split or heard twice)
  and detects the language once; `run_part` transcribes one part (times offset by its first
  sample, so they are exact across joins) and `join` concatenates the parts in order.
- Threads: CTranslate2 gets the process's share of the usable cores (config.whisper_threads: all
  of them in the CLI, cores / processes in the worker; CLIPER_WHISPER_THREADS overrides), VAD
  runs single-threaded, and torch (alignment only) is limited to one thread: oversubscribed
  threads on 2 cores made VAD 7-13x slower.
- Device: CUDA with float16 when CTranslate2 sees a GPU, else CPU with int8.
"""

import tempfile
import threading
import wave
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from . import config, schemas, stages
from .errors import InputError
from .progress import Progress, no_progress, scaled

SAMPLE_RATE_HZ = 16000
CHUNK_S = 300.0  # audio handed to Whisper at once; VAD of one chunk takes a couple of seconds
PART_S = 60.0  # audio per task when workers share one transcription: 10 parts for a 10-minute talk
CUT_SEARCH_S = 15.0  # look this far back from a chunk boundary for the quietest spot
NO_SPEECH_MESSAGE = "No speech found in the audio (silence or music only): nothing to transcribe."
ENGLISH_ONLY_SUFFIX = ".en"

_models: dict[tuple[str, str], object] = {}
_models_lock = threading.Lock()


def run(workdir: Path, options: schemas.PipelineOptions, progress: Progress) -> schemas.Transcript:
    """Transcribe workdir's audio.wav (from media.json): the transcript (Stage.run writes it)."""
    workdir = Path(workdir)
    media = stages.get_stage("ingest").load_output(workdir)
    if media is None:
        raise InputError("The video has not been ingested yet (media.json is missing).")
    transcript = transcribe(
        workdir / media.audio_file,
        model=options.whisper_model or "base",
        language=options.language,
        align_model_dir=options.align_model_dir,
        progress=progress,
        beam_size=default_beam_size(),
    )
    return transcript


class TranscriptPart(BaseModel):
    """The words of one part of the audio (times from the start of the whole audio)."""

    words: list[schemas.Word]
    language: str = ""


def plan(workdir: Path, options: schemas.PipelineOptions, progress: Progress) -> list[dict]:
    """Parts of workdir's audio.wav for workers to transcribe at once: sample ranges cut at pauses,
    each with the language (the requested one, else detected once here for the whole video)."""
    workdir = Path(workdir)
    audio_path = _stage_audio(workdir)
    model = options.whisper_model or "base"
    language = _check_language(options.language, model)
    with wave.open(str(audio_path), "rb") as wav:
        bounds = list(_chunk_bounds(wav, PART_S))
        if language is None:
            progress(0.0, f"Loading the Whisper {model} model")
            language = _detect_language(load_model(model), wav, bounds)
    return [{"start": start, "end": end, "language": language or ""} for start, end in bounds]


def run_part(workdir: Path, options: schemas.PipelineOptions, spec: dict, progress: Progress) -> TranscriptPart:
    """Transcribes the part `spec` (from plan) of workdir's audio."""
    audio_path = _stage_audio(Path(workdir))
    model = options.whisper_model or "base"
    whisper = load_model(model)
    with wave.open(str(audio_path), "rb") as wav:
        wav.setpos(spec["start"])
        samples = _as_float(wav.readframes(spec["end"] - spec["start"]))
    words, language = _transcribe_chunk(
        whisper, samples, spec["start"] / SAMPLE_RATE_HZ, spec["language"] or None,
        options.align_model_dir, progress, default_beam_size(),
    )  # fmt: skip
    progress(1.0, f"{len(words)} words")
    return TranscriptPart(words=words, language=language if words else "")


def join(workdir: Path, options: schemas.PipelineOptions, results: list[dict]) -> schemas.Transcript:
    """The parts' words in order: the transcript (Stage.join writes it)."""
    workdir = Path(workdir)
    parts = [TranscriptPart.model_validate(result) for result in results]
    with wave.open(str(_stage_audio(workdir)), "rb") as wav:
        duration = wav.getnframes() / SAMPLE_RATE_HZ
    words = _tidy_times([word for part in parts for word in part.words], duration)
    transcript = schemas.Transcript(
        language=next((part.language for part in parts if part.language), options.language or ""),
        duration=round(duration, 3),
        words=words,
        model=options.whisper_model or "base",
        message="" if words else NO_SPEECH_MESSAGE,
    )
    return transcript


def _stage_audio(workdir: Path) -> Path:
    media = stages.get_stage("ingest").load_output(workdir)
    if media is None:
        raise InputError("The video has not been ingested yet (media.json is missing).")
    return workdir / media.audio_file


def _detect_language(whisper, wav: wave.Wave_read, bounds) -> str | None:
    """Whisper's language guess from the first 30 s of speech (the VAD's), None when there is none."""
    from faster_whisper.vad import get_speech_timestamps

    if not whisper.model.is_multilingual:
        return "en"
    speech = []
    for start, end in bounds:
        wav.setpos(start)
        samples = _as_float(wav.readframes(end - start))
        speech += [samples[t["start"] : t["end"]] for t in get_speech_timestamps(samples)]
        if sum(len(piece) for piece in speech) >= 30 * SAMPLE_RATE_HZ:
            break
    if not speech:
        return None
    language, _probability, _all = whisper.detect_language(audio=np.concatenate(speech))
    return language


def transcribe(
    audio_path: Path,
    *,
    model: str = "base",
    language: str | None = None,
    align_model_dir: str = "",
    progress: Progress = no_progress,
    beam_size: int = 1,
) -> schemas.Transcript:
    """Words with times (seconds from the start) of a 16 kHz mono WAV, or any media ffmpeg reads.

    model: "base" (multilingual), "tiny.en" (fast, English only) or a CTranslate2 directory.
    language: a Whisper language code ("en", "es", ...); None or "auto" detects it.
    align_model_dir: optional local wav2vec2 model(s) for WhisperX alignment (see module doc).
    progress: gets the fraction of the audio's duration transcribed so far.
    beam_size: 1 = greedy decoding (default: see module doc), 5 = Whisper's usual beam.
    """
    language = _check_language(language, model)
    audio_path = Path(audio_path)
    if not _is_pcm16_mono_16k(audio_path):
        with tempfile.TemporaryDirectory(prefix="cliper-audio-") as tmp:
            from .ingest import extract_audio

            wav_path = Path(tmp) / "audio.wav"
            extract_audio(audio_path, wav_path)
            return transcribe(
                wav_path,
                model=model,
                language=language,
                align_model_dir=align_model_dir,
                progress=progress,
                beam_size=beam_size,
            )

    progress(0.0, f"Loading the Whisper {model} model")
    whisper = load_model(model)
    with wave.open(str(audio_path), "rb") as wav:
        duration = wav.getnframes() / SAMPLE_RATE_HZ
        words: list[schemas.Word] = []
        detected = language
        for offset_s, samples in _read_chunks(wav):
            progress(offset_s / duration if duration else 0.0, f"Transcribing from {_clock(offset_s)}")
            end_s = offset_s + len(samples) / SAMPLE_RATE_HZ
            chunk_progress = scaled(progress, offset_s / duration, end_s / duration) if duration else progress
            chunk_words, chunk_language = _transcribe_chunk(
                whisper, samples, offset_s, detected, align_model_dir, chunk_progress, beam_size
            )
            words.extend(chunk_words)
            if chunk_words and detected is None:
                detected = chunk_language  # keep one language for the whole video
    words = _tidy_times(words, duration)
    progress(1.0, f"{len(words)} words")
    return schemas.Transcript(
        language=detected or "",
        duration=round(duration, 3),
        words=words,
        model=model,
        message="" if words else NO_SPEECH_MESSAGE,
    )


def default_beam_size() -> int:
    """Beam size for the stage: CLIPER_WHISPER_BEAM, else 1 (greedy)."""
    return config.current().whisper_beam


def load_model(name: str = "base"):
    """The faster-whisper model `name`, loaded once per process and shared (thread-safe)."""
    from . import assets

    device, compute_type = _device()
    key = (name, device)
    with _models_lock:
        if key not in _models:
            from faster_whisper import WhisperModel

            try:
                model_dir = assets.whisper_model_dir(name)
            except ValueError as exc:
                raise InputError(str(exc)) from None
            if not (Path(model_dir) / "model.bin").is_file():
                raise InputError(f"Whisper model {name!r} is not installed ({model_dir}); run scripts/setup.sh.")
            _models[key] = WhisperModel(
                str(model_dir), device=device, compute_type=compute_type, cpu_threads=_threads(), num_workers=1
            )
        return _models[key]


def _transcribe_chunk(whisper, samples, offset_s, language, align_model_dir, progress, beam_size):
    """Words of one chunk (times offset by offset_s) and its language; progress is the chunk's fraction."""
    chunk_s = len(samples) / SAMPLE_RATE_HZ
    segments, info = whisper.transcribe(
        samples,
        language=language,
        beam_size=beam_size,
        word_timestamps=True,
        vad_filter=True,
        condition_on_previous_text=False,
        no_speech_threshold=0.6,
        log_prob_threshold=-1.0,
    )
    words: list[schemas.Word] = []
    texts = []
    for segment in segments:
        texts.append({"text": segment.text, "start": offset_s + segment.start, "end": offset_s + segment.end})
        for word in segment.words or []:
            text = word.word.strip()
            if text:
                words.append(schemas.Word(text=text, start=offset_s + word.start, end=offset_s + word.end))
        progress(min(segment.end / chunk_s, 1.0) if chunk_s else 1.0, f"Transcribed {_clock(offset_s + segment.end)}")
    if words and align_model_dir:
        words = _align(words, texts, samples, offset_s, info.language, align_model_dir)
    return words, info.language


def _align(words, segments, samples, offset_s, language, align_model_dir):
    """Refine word times with WhisperX alignment; words it cannot place keep their times."""
    model_dir = Path(align_model_dir)
    if (model_dir / language).is_dir():
        model_dir = model_dir / language
    if not (model_dir / "config.json").is_file():
        return words  # no alignment model for this language: faster-whisper times stand
    import torch
    import whisperx

    _offline_sentence_splitter()
    torch.set_num_threads(1)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    key = ("align:" + str(model_dir), device)
    with _models_lock:
        if key not in _models:
            _models[key] = whisperx.load_align_model(language, device, model_name=str(model_dir))
    align_model, metadata = _models[key]
    local = [{**s, "start": s["start"] - offset_s, "end": s["end"] - offset_s} for s in segments]
    result = whisperx.align(local, align_model, metadata, samples, device, return_char_alignments=False)
    aligned = [w for w in result.get("word_segments", []) if str(w.get("word", "")).strip()]
    if len(aligned) != len(words):
        return words  # tokenised differently: do not risk pairing the wrong words
    refined = []
    for word, match in zip(words, aligned):
        if "start" in match and "end" in match:
            word = word.model_copy(update={"start": offset_s + match["start"], "end": offset_s + match["end"]})
        refined.append(word)
    return refined


def _offline_sentence_splitter() -> None:
    """whisperx.align splits sentences with nltk's punkt data, which cannot be downloaded here.
    We only use its word times, so nltk's untrained Punkt tokenizer is good enough."""
    import nltk
    import whisperx.alignment

    try:
        nltk.data.find("tokenizers/punkt_tab/english/")
    except LookupError:
        from nltk.tokenize.punkt import PunktSentenceTokenizer

        whisperx.alignment.nltk_load = lambda *args, **kwargs: PunktSentenceTokenizer()


def _tidy_times(words: list[schemas.Word], duration: float) -> list[schemas.Word]:
    """Times inside 0..duration, starts never going backwards, end >= start (3 decimals)."""
    tidy = []
    last_start = 0.0
    for word in words:
        start = min(max(word.start, last_start, 0.0), duration)
        end = min(max(word.end, start), duration)
        tidy.append(schemas.Word(text=word.text, start=round(start, 3), end=round(end, 3)))
        last_start = start
    return tidy


def _read_chunks(wav: wave.Wave_read):
    """(offset_s, float32 samples) pieces of about CHUNK_S, each cut at the quietest 0.1 s."""
    for start, end in _chunk_bounds(wav, CHUNK_S):
        wav.setpos(start)
        yield start / SAMPLE_RATE_HZ, _as_float(wav.readframes(end - start))


def _chunk_bounds(wav: wave.Wave_read, chunk_s: float):
    """(first sample, end sample) of consecutive pieces of about chunk_s covering the whole WAV,
    each cut at the quietest 0.1 s of its last CUT_SEARCH_S: a pause, so no word is cut in two."""
    total = wav.getnframes()
    chunk = int(chunk_s * SAMPLE_RATE_HZ)
    start = 0
    while start < total:
        end = min(start + chunk, total)
        if end < total:
            wav.setpos(start)
            end = start + _quietest_cut(_as_float(wav.readframes(end - start)))
        yield start, end
        start = end


def _as_float(frames: bytes) -> np.ndarray:
    return np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0


def _quietest_cut(samples: np.ndarray) -> int:
    frame = SAMPLE_RATE_HZ // 10
    search = min(int(CUT_SEARCH_S * SAMPLE_RATE_HZ), len(samples) // 2) // frame * frame
    tail = samples[len(samples) - search :]
    energy = np.square(tail.reshape(-1, frame)).mean(axis=1)
    return len(samples) - search + int(np.argmin(energy)) * frame + frame // 2


def _check_language(language: str | None, model: str) -> str | None:
    if language in (None, "", "auto"):
        return None
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    language = language.strip().lower()
    if language not in _LANGUAGE_CODES:
        raise InputError(f"Unknown language code {language!r}: use a Whisper code such as en, es, fr, or auto.")
    if model.endswith(ENGLISH_ONLY_SUFFIX) and language != "en":
        raise InputError(f"The {model} model only understands English; choose the base model for {language!r}.")
    return language


def _is_pcm16_mono_16k(path: Path) -> bool:
    try:
        with wave.open(str(path), "rb") as wav:
            return wav.getnchannels() == 1 and wav.getsampwidth() == 2 and wav.getframerate() == SAMPLE_RATE_HZ
    except (wave.Error, EOFError, OSError):
        return False


def _device() -> tuple[str, str]:
    import ctranslate2

    if ctranslate2.get_cuda_device_count() > 0:
        return "cuda", "float16"
    return "cpu", "int8"


def _threads() -> int:
    return config.whisper_threads()


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return f"{seconds // 60}:{seconds % 60:02d}"
