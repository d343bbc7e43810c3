"""The clip score's named sub-scores and the loudness they read from audio.wav (no model)."""

import wave

import numpy as np

from pipeline.clipfind import sentence_loudness_db
from pipeline.clipscore import WEIGHTS, build_context, hook_strength, payoff_strength, score_clip
from pipeline.sentences import Sentence
from pipeline.texttiling import Span


def sentences_of(texts, seconds=5.0):
    out, word = [], 0
    for i, text in enumerate(texts):
        n = len(text.split())
        out.append(Sentence(text, i * seconds, (i + 1) * seconds - 0.4, word, word + n))
        word += n
    return out


def test_hooks_and_payoffs_rank_as_an_editor_would():
    assert hook_strength("Why do bees dance?") > hook_strength("The colony was studied in detail.")
    assert hook_strength("You have been brewing coffee wrong for 10 years.") > hook_strength("It was late.")
    assert hook_strength("But the results were mixed.") < 0.2  # leans on what came before
    assert payoff_strength("That's why the bridge fell in 1907.") > payoff_strength("The bridge fell.")
    assert payoff_strength("So what happened next?") < 0.2  # a set-up, not a payoff


def test_sub_scores_are_named_0_to_100_and_the_score_is_their_weighted_sum():
    texts = [
        "Why does bread rise?",
        "First, yeast eats the sugar in the dough.",
        "Second, it breathes out carbon dioxide.",
        "Three hours later the loaf has doubled.",
        "That's why bakers wait.",
    ]
    sentences = sentences_of(texts)
    ctx = build_context(sentences, np.array([0.1, 0.2, 0.1, 0.9]), None)
    score, reason, subscores = score_clip(Span(0, 5, 0.0, 24.6), ctx)
    assert list(subscores) == list(WEIGHTS)
    assert all(0 <= v <= 100 for v in subscores.values())
    assert abs(score - sum(WEIGHTS[k] * v / 100 for k, v in subscores.items())) < 0.01
    assert subscores["hook"] == 100 and subscores["payoff"] >= 85
    assert reason and len(reason.splitlines()) == 1
    flat = [
        "The oven was warm.",
        "The dough sat there.",
        "The kitchen was quiet.",
        "The loaf was in the tin.",
        "The day went on.",
    ]
    _, _, dull = score_clip(Span(0, 5, 0.0, 24.6), build_context(sentences_of(flat), np.zeros(0), None))
    assert dull["energy"] < subscores["energy"] and dull["hook"] < subscores["hook"]


def write_wav(path, levels, seconds=5.0, rate=16000):
    rng = np.random.default_rng(0)
    chunks = [level * rng.uniform(-1, 1, int(seconds * rate)) for level in levels]
    data = (np.concatenate(chunks) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(data.tobytes())


def test_loudness_per_sentence_comes_from_the_wav_and_lifts_energy(tmp_path):
    texts = ["One loud line here.", "A quiet line now.", "Loud again it is.", "Soft once more."]
    sentences = sentences_of(texts)
    write_wav(tmp_path / "lively.wav", [0.5, 0.05, 0.5, 0.05])
    write_wav(tmp_path / "flat.wav", [0.2, 0.2, 0.2, 0.2])
    lively = sentence_loudness_db(tmp_path / "lively.wav", sentences)
    flat = sentence_loudness_db(tmp_path / "flat.wav", sentences)
    assert lively[0] - lively[1] > 15 and np.ptp(flat) < 1
    span = Span(0, 4, 0.0, 19.6)
    energy = [score_clip(span, build_context(sentences, np.zeros(0), None, db))[2]["energy"] for db in (lively, flat)]
    assert energy[0] > energy[1]
    (tmp_path / "not.wav").write_bytes(b"RIFF....not audio")
    assert sentence_loudness_db(tmp_path / "not.wav", sentences) is None
