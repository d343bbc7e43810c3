"""Test media for the ingest and transcribe tests, generated on the spot (espeak-ng, ffmpeg)."""

import functools
import http.server
import re
import subprocess
import threading
from pathlib import Path

SPEECH_TEXT = (
    "Four score and seven years ago our fathers brought forth on this continent a new nation, "
    "conceived in liberty, and dedicated to the proposition that all men are created equal. "
    "Now we are engaged in a great civil war, testing whether that nation, or any nation so "
    "conceived and so dedicated, can long endure. We are met on a great battlefield of that war."
)

TALK_PARAGRAPHS = (
    "Good morning everyone, and thank you for coming to this short talk about gardens in small cities.",
    "Most people think a garden needs a lot of space, but a balcony can grow herbs, tomatoes and beans.",
    "The first thing to check is the light, because vegetables want at least six hours of sun every day.",
    "The second thing is water. A simple drip line and a timer save hours of work during the summer.",
    "Soil matters more than seeds. Buy good compost, mix it with sand, and feed it again every spring.",
    "Neighbours can share tools, seeds and harvests, and the street becomes a friendlier place to live.",
    "Children learn where food comes from, and they eat more vegetables when they helped to grow them.",
    "Finally, start small. Two pots this year, four next year, and you will never buy basil again.",
)


def run(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, capture_output=True)


def speak(text: str, wav_path: Path, *, voice: str = "en", words_per_minute: int = 160) -> Path:
    """espeak-ng speech as a WAV file (22.05 kHz mono)."""
    run(["espeak-ng", "-v", voice, "-s", str(words_per_minute), "-w", str(wav_path), text])
    return wav_path


def video_with_audio(audio_path: Path, out_path: Path, *, size: str = "160x90", extra: list[str] = ()) -> Path:
    """A small test-pattern H.264/AAC MP4 as long as the given audio."""
    run([
        "ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc=s={size}:r=10",
        "-i", str(audio_path), "-shortest", "-c:v", "libx264", "-preset", "ultrafast",
        "-c:a", "aac", *extra, str(out_path),
    ])  # fmt: skip
    return out_path


def lavfi_video(
    out_path: Path, *, seconds: float, audio: str | None = "sine=f=300:r=16000", extra: list[str] = ()
) -> Path:
    """A test-pattern video of the given length; audio is a lavfi source or None for no audio."""
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc=s=160x90:r=10:d={seconds}"]
    if audio:
        cmd += ["-f", "lavfi", "-i", f"{audio}:d={seconds}" if "=" in audio else f"{audio}=d={seconds}", "-c:a", "aac"]
    cmd += ["-c:v", "libx264", "-preset", "ultrafast", *extra, str(out_path)]
    run(cmd)
    return out_path


def normalise(text: str) -> list[str]:
    return re.sub(r"[^\w']+", " ", text.lower()).split()


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Levenshtein distance over words ÷ reference length."""
    ref, hyp = normalise(reference), normalise(hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, ref_word in enumerate(ref, 1):
        current = [i]
        for j, hyp_word in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word)))
        previous = current
    return previous[-1] / max(len(ref), 1)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def handle(self) -> None:
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            pass  # yt-dlp hangs up early on refused downloads


class LocalServer:
    """http.server on 127.0.0.1 (a free port) serving a directory, in a thread."""

    def __init__(self, directory: Path) -> None:
        handler = functools.partial(_QuietHandler, directory=str(directory))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "LocalServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/{path}"


def random_wav2vec2_dir(folder: Path) -> Path:
    """A tiny randomly initialised wav2vec2 CTC model in Hugging Face layout (letters + '|').

    Its times are meaningless: it only lets tests drive WhisperX alignment offline.
    """
    import json

    import torch
    from transformers import (
        Wav2Vec2Config,
        Wav2Vec2CTCTokenizer,
        Wav2Vec2FeatureExtractor,
        Wav2Vec2ForCTC,
        Wav2Vec2Processor,
    )

    folder.mkdir(parents=True, exist_ok=True)
    vocab = {"<pad>": 0, "<s>": 1, "</s>": 2, "<unk>": 3, "|": 4}
    for char in "abcdefghijklmnopqrstuvwxyz'":
        vocab[char] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab))
    tokenizer = Wav2Vec2CTCTokenizer(str(folder / "vocab.json"), word_delimiter_token="|")
    features = Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000, padding_value=0.0, do_normalize=True)
    Wav2Vec2Processor(feature_extractor=features, tokenizer=tokenizer).save_pretrained(folder)
    config = Wav2Vec2Config(
        vocab_size=len(vocab), hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
        conv_dim=(16,) * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2, pad_token_id=0,
    )  # fmt: skip
    torch.manual_seed(0)
    Wav2Vec2ForCTC(config).save_pretrained(folder)
    return folder
