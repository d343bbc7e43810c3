"""Who speaks when, from the sound alone: speech turns (Silero VAD) and one voice per turn.

Turns come from the Silero VAD model faster-whisper ships. Each turn of at least MIN_TURN_S gets
one voice embedding from resemblyzer's pretrained GE2E encoder (`models/resemblyzer_pretrained.pt`,
Apache-2.0, unpacked by scripts/setup.sh), run by the small torch module below on one thread:
resemblyzer itself would pull librosa, numba and webrtcvad for a 3-layer LSTM. Turns are then
clustered into exactly k voices (k = faces in the shot): with a fixed distance threshold the two
speakers of pyannote's own sample merge (same/different speaker cosine 0.83 / 0.75).
"""

import threading
from functools import lru_cache

import numpy as np

from . import assets

SAMPLE_RATE = 16000
MIN_TURN_S = 0.6  # shorter turns are laughs and "yeah"s: too short to embed, never a speaker cut
MIN_SILENCE_MS = 100  # a pause this long ends a turn
MAX_PIECE_S = 2.0  # longer speech is cut into equal pieces: one voice each, nearly always
# resemblyzer's hyperparameters: 25 ms / 10 ms power mel frames, 40 bands, 160-frame partials
N_FFT, HOP, N_MELS, PARTIAL_FRAMES, PARTIAL_RATE = 400, 160, 40, 160, 1.3
TARGET_DBFS = -30.0
_torch_lock = threading.Lock()


def speech_turns(audio: np.ndarray) -> list[tuple[float, float]]:
    """(start, end) seconds of speech in 16 kHz mono float audio: split at pauses >= 100 ms and
    into equal pieces of at most MAX_PIECE_S (one voice each, nearly always)."""
    return [piece for start, end in speech_stretches(audio) for piece in pieces(start, end)]


def speech_stretches(audio: np.ndarray) -> list[tuple[float, float]]:
    """(start, end) seconds of speech between pauses >= 100 ms (Silero VAD)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(min_silence_duration_ms=MIN_SILENCE_MS, speech_pad_ms=20, min_speech_duration_ms=150)
    stamps = get_speech_timestamps(audio.astype(np.float32), options, sampling_rate=SAMPLE_RATE)
    return [(stamp["start"] / SAMPLE_RATE, stamp["end"] / SAMPLE_RATE) for stamp in stamps]


def pieces(start: float, end: float) -> list[tuple[float, float]]:
    """start..end cut into equal pieces of at most MAX_PIECE_S."""
    count = max(1, int(np.ceil((end - start) / MAX_PIECE_S)))
    step = (end - start) / count
    return [(round(start + i * step, 3), round(start + (i + 1) * step, 3)) for i in range(count)]


@lru_cache(maxsize=1)
def _mel_filters() -> np.ndarray:
    """librosa.filters.mel(sr=16000, n_fft=400, n_mels=40): Slaney mel scale and area norm."""

    def hz_to_mel(f):
        f = np.asarray(f, dtype=float)
        linear = f / (200.0 / 3)
        log = 15.0 + np.log(np.maximum(f, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
        return np.where(f >= 1000.0, log, linear)

    def mel_to_hz(m):
        m = np.asarray(m, dtype=float)
        return np.where(m >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (m - 15.0)), m * 200.0 / 3)

    fft_freqs = np.linspace(0, SAMPLE_RATE / 2, 1 + N_FFT // 2)
    hz = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(SAMPLE_RATE / 2), N_MELS + 2))
    ramps = hz[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / np.diff(hz)[:-1, None]
    upper = ramps[2:] / np.diff(hz)[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    return (weights * (2.0 / (hz[2:] - hz[:-2]))[:, None]).astype(np.float32)


def mel_frames(wav: np.ndarray) -> np.ndarray:
    """Power mel spectrogram (frames x 40), as resemblyzer's wav_to_mel_spectrogram (not log)."""
    padded = np.pad(wav.astype(np.float32), N_FFT // 2)
    count = 1 + (len(padded) - N_FFT) // HOP
    frames = np.lib.stride_tricks.as_strided(
        padded, (count, N_FFT), (padded.strides[0] * HOP, padded.strides[0]), writeable=False
    )
    window = np.hanning(N_FFT + 1)[:-1].astype(np.float32)  # periodic Hann, as scipy/librosa
    power = np.abs(np.fft.rfft(frames * window, axis=1)) ** 2
    return (power @ _mel_filters().T).astype(np.float32)


@lru_cache(maxsize=1)
def _encoder():
    import torch
    from torch import nn

    class VoiceEncoder(nn.Module):
        """resemblyzer.VoiceEncoder's network: LSTM(40->256, 3 layers) + linear + ReLU, L2-normed."""

        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(N_MELS, 256, 3, batch_first=True)
            self.linear = nn.Linear(256, 256)

        def forward(self, mels):
            _, (hidden, _) = self.lstm(mels)
            raw = torch.relu(self.linear(hidden[-1]))
            return raw / torch.norm(raw, dim=1, keepdim=True).clamp_min(1e-9)

    path = assets.voice_encoder_path()
    if not path.exists():
        raise FileNotFoundError(f"voice encoder missing: {path} (run scripts/setup.sh)")
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    encoder = VoiceEncoder()
    state = {k: v for k, v in checkpoint["model_state"].items() if k.startswith(("lstm.", "linear."))}
    encoder.load_state_dict(state)
    return encoder.eval()


def embed(wav: np.ndarray) -> np.ndarray:
    """One 256-d unit voice embedding of a 16 kHz utterance (resemblyzer's embed_utterance)."""
    return embed_many([wav])[0]


def embed_many(wavs: list[np.ndarray]) -> np.ndarray:
    """embed() of each utterance (rows), with all their partials in one batch: the LSTM reads its
    weights once per step for the whole batch, not once per utterance (3x less CPU for a clip's
    turns than one call each)."""
    import torch

    batches = [_partials(wav) for wav in wavs]
    if not batches:
        return np.zeros((0, 256), np.float32)
    encoder = _encoder()
    with _torch_lock:
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # 7x faster than two threads for this small LSTM on 2 cores
        try:
            with torch.no_grad():
                partials = encoder(torch.from_numpy(np.concatenate(batches))).numpy()
        finally:
            torch.set_num_threads(threads)
    out, at = [], 0
    for batch in batches:
        mean = partials[at : at + len(batch)].mean(axis=0)
        at += len(batch)
        out.append(mean / max(float(np.linalg.norm(mean)), 1e-9))
    return np.stack(out)


def _partials(wav: np.ndarray) -> np.ndarray:
    """resemblyzer's 160-frame mel partials of an utterance (partials x 160 x 40)."""
    wav = wav.astype(np.float32)
    rms = float(np.sqrt(np.mean(wav**2))) if len(wav) else 0.0
    if rms > 0:  # resemblyzer raises quiet speech to -30 dBFS, never lowers it
        gain = 10 ** ((TARGET_DBFS - 20 * np.log10(rms)) / 20)
        wav = wav * max(gain, 1.0)
    frame_step = int(round(SAMPLE_RATE / PARTIAL_RATE / HOP))
    n_frames = int(np.ceil((len(wav) + 1) / HOP))
    starts = list(range(0, max(1, n_frames - PARTIAL_FRAMES + frame_step + 1), frame_step))
    coverage = (len(wav) - starts[-1] * HOP) / (PARTIAL_FRAMES * HOP)
    if coverage < 0.75 and len(starts) > 1:
        starts = starts[:-1]
    needed = (starts[-1] + PARTIAL_FRAMES) * HOP
    if needed >= len(wav):
        wav = np.pad(wav, (0, needed - len(wav)))
    mel = mel_frames(wav)
    return np.stack([mel[s : s + PARTIAL_FRAMES] for s in starts])


def cluster(embeddings: np.ndarray, k: int) -> list[int]:
    """Voice label per embedding: agglomerative clustering into k voices.

    Ward linkage on the unit vectors (Euclidean there is monotone in cosine): average linkage put one
    odd turn of pyannote's sample in a cluster of its own.
    """
    count = len(embeddings)
    if count == 0:
        return []
    if k <= 1 or count <= 1:
        return [0] * count
    from sklearn.cluster import AgglomerativeClustering

    k = min(k, count)
    labels = AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(embeddings)
    return [int(label) for label in labels]
