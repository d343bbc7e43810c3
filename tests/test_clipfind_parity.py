"""Our TextTiling port gives ClipsAI 0.2.1's boundaries, apart from the documented start fix.

ClipsAI is a test-only dependency, installed --no-deps. Importing `clipsai` runs its
__init__, which pulls whisperx, pyannote and facenet and calls nltk.download, so the shim
loads only clip/clipfinder.py and clip/texttiler.py with their own imports, replacing:
- the `clipsai` package object (so its __init__ does not run),
- `clipsai.transcribe.transcription` (its module calls nltk.download; ClipFinder only needs
  the name for a type hint; the transcription object below gives the three things it reads),
- `clipsai.filesys.manager` (it needs python-magic; TextTiler creates a FileSystemManager in
  __init__ and never uses it),
- `psutil` and `pynvml`, imported at the top of clipsai/utils/pytorch.py but used only to
  pick a GPU, which device="cpu" skips,
- ClipFinder's TextEmbedder (hard-coded to download all-roberta-large-v1) with one that
  returns our embeddings of the same sentences from the same local model: both sides get
  identical input, so any difference comes from the algorithm.
Everything is put back in sys.modules afterwards.
"""

import importlib
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from pipeline.embeddings import embed_sentences, load_model
from pipeline.sentences import split_sentences
from pipeline.texttiling import Span, clipsai_clips, text_tile

from .clipfind_support import choi_document, timed_transcript

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def clipsai_modules():
    torch = pytest.importorskip("torch")
    spec = importlib.util.find_spec("clipsai")
    if spec is None:
        pytest.skip("clipsai (test-only, --no-deps) is not installed")
    root = Path(spec.origin).parent
    load_model()  # imports sentence_transformers/transformers before psutil is stubbed
    saved = {name: mod for name, mod in sys.modules.items() if name.split(".")[0] in ("clipsai", "psutil", "pynvml")}
    package = types.ModuleType("clipsai")
    package.__path__ = [str(root)]
    transcription = types.ModuleType("clipsai.transcribe.transcription")
    transcription.Transcription = object
    filesys_manager = types.ModuleType("clipsai.filesys.manager")
    filesys_manager.FileSystemManager = object
    stubs = {
        "clipsai": package,
        "clipsai.transcribe.transcription": transcription,
        "clipsai.filesys.manager": filesys_manager,
        "psutil": types.ModuleType("psutil"),
        "pynvml": types.ModuleType("pynvml"),
    }
    sys.modules.update(stubs)
    try:
        clipfinder = importlib.import_module("clipsai.clip.clipfinder")
        texttiler = importlib.import_module("clipsai.clip.texttiler")
    finally:
        for name in [n for n in sys.modules if n.split(".")[0] in ("clipsai", "psutil", "pynvml")]:
            del sys.modules[name]
        sys.modules.update(saved)

    class LocalEmbedder:  # same local model, same vectors as ours (and encoded only once)
        def embed_sentences(self, sentences):
            return torch.tensor(embed_sentences(list(sentences)))

    clipfinder.TextEmbedder = LocalEmbedder
    return clipfinder, texttiler, torch


class SentenceTranscription:
    """The three things ClipFinder reads from a clipsai Transcription, from our sentences."""

    def __init__(self, sentences):
        self.sentences = sentences
        self.end_time = sentences[-1].end_s

    def get_sentence_info(self):
        info, char = [], 0
        for s in self.sentences:
            info.append(
                {
                    "sentence": s.text,
                    "start_char": char,
                    "end_char": char + len(s.text),
                    "start_time": s.start_s,
                    "end_time": s.end_s,
                }
            )
            char += len(s.text) + 1
        return info

    def get_char_info(self):
        return [None] * sum(len(s.text) + 1 for s in self.sentences)


@pytest.fixture(scope="module")
def document():
    sentences_text, segment_ids = choi_document(seed=11)
    sentences = split_sentences(timed_transcript(sentences_text, segment_ids, seed=11).words)
    assert [s.text for s in sentences] == sentences_text
    return sentences, embed_sentences([s.text for s in sentences])


def units_of(sentences):
    return [Span(i, i + 1, s.start_s, s.end_s) for i, s in enumerate(sentences)]


def test_one_texttiling_pass_gives_clipsais_boundaries(clipsai_modules, document):
    _, texttiler, torch = clipsai_modules
    _, embeddings = document
    for k in (3, 5, 7, 11):
        theirs, their_pooled = texttiler.TextTiler("cpu").text_tile(torch.tensor(embeddings), k)
        ours, our_pooled = text_tile(embeddings, k)
        assert [int(b) for b in theirs] == ours.astype(int).tolist(), f"k={k}"
        np.testing.assert_allclose(our_pooled, their_pooled.numpy(), atol=1e-6)


@pytest.mark.parametrize("min_s, max_s", [(30, 90), (15, 900)])
def test_multi_scale_clips_equal_clipsai_with_legacy_start(clipsai_modules, document, min_s, max_s):
    clipfinder, _, _ = clipsai_modules
    sentences, embeddings = document
    finder = clipfinder.ClipFinder(device="cpu", min_clip_duration=min_s, max_clip_duration=max_s)
    theirs = [(c.start_time, c.end_time) for c in finder.find_clips(SentenceTranscription(sentences))]
    ours = clipsai_clips(units_of(sentences), embeddings, min_s=min_s, max_s=max_s, legacy_start=True)
    assert len(theirs) >= 3
    assert [(c.start_s, c.end_s) for c in ours] == theirs


def test_clipsai_starts_one_sentence_early_and_we_do_not(clipsai_modules, document):
    clipfinder, _, torch = clipsai_modules
    sentences, embeddings = document
    finder = clipfinder.ClipFinder(device="cpu")
    info = SentenceTranscription(sentences).get_sentence_info()
    theirs, _ = finder._text_tile(info, torch.tensor(embeddings), 5)
    boundaries, _ = text_tile(embeddings, 5)
    last_sentences = np.flatnonzero(boundaries)
    assert [c["end_time"] for c in theirs] == [sentences[i].end_s for i in last_sentences]
    for previous_last, clip in zip(last_sentences, theirs[1:]):
        # ClipsAI: the next clip starts with the previous clip's last sentence.
        assert clip["start_time"] == sentences[previous_last].start_s
    ours = clipsai_clips(units_of(sentences), embeddings, min_s=1, max_s=10_000)
    ends = {c.end for c in ours}
    for clip in ours:
        assert clip.first == 0 or clip.first in ends  # right after a segment's last sentence
