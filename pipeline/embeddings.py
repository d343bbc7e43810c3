"""Sentence embeddings from a local sentence-transformers directory, loaded once per process."""

import hashlib
import threading
from collections import OrderedDict

import numpy as np

from .assets import embedding_model_dir
from .errors import InputError
from .progress import Progress, no_progress

_models: dict[str, object] = {}
_lock = threading.Lock()
BATCH_SENTENCES = 64  # per encode call: progress is reported between calls
# Rerunning the clip stage with another duration range in the same worker reuses these.
_recent: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
RECENT_KEPT = 4


def load_model(configured: str = ""):
    """The SentenceTransformer for `configured` (a directory; "" = packaged all-MiniLM-L6-v2)."""
    path = embedding_model_dir(configured)
    key = str(path)
    with _lock:
        if key not in _models:
            if not (path / "config.json").is_file() and not (path / "modules.json").is_file():
                raise InputError(
                    f"Embedding model {path} is not a sentence-transformers directory "
                    "(no config.json). Set the embedding model to a local model folder."
                )
            from sentence_transformers import SentenceTransformer

            _models[key] = SentenceTransformer(key, device="cpu", local_files_only=True)
        return _models[key]


def embed_sentences(texts: list[str], configured: str = "", progress: Progress = no_progress) -> np.ndarray:
    """(N, E) float32 embeddings, in the order of texts, exactly as model.encode gives them."""
    model = load_model(configured)
    dimension = _dimension(model)
    if not texts:
        return np.zeros((0, dimension), dtype=np.float32)
    key = (str(embedding_model_dir(configured)), hashlib.sha256("\n".join(texts).encode()).hexdigest())
    with _lock:
        cached = _recent.get(key)
        if cached is not None:
            _recent.move_to_end(key)
    if cached is not None:
        progress(1.0, "Embeddings reused")
        return cached.copy()
    # Longest first in one global order so batches hold similar lengths (less padding).
    order = np.argsort([-len(t) for t in texts], kind="stable")
    out = np.empty((len(texts), dimension), dtype=np.float32)
    for lo in range(0, len(texts), BATCH_SENTENCES):
        chunk = order[lo : lo + BATCH_SENTENCES]
        out[chunk] = model.encode([texts[i] for i in chunk], batch_size=32, convert_to_numpy=True)
        done = lo + len(chunk)
        progress(done / len(texts), f"Embedded {done} of {len(texts)} sentences")
    with _lock:
        _recent[key] = out
        while len(_recent) > RECENT_KEPT:
            _recent.popitem(last=False)
    return out.copy()


def _dimension(model) -> int:
    # sentence-transformers 5.x renamed the method; keep working with either name.
    getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return getter()
