"""Sentence splitting from timed Whisper words, English and Spanish, without nltk data."""

from pipeline.schemas import Word
from pipeline.sentences import split_sentences


def words_of(text: str, *, gap_s: float = 0.1, pauses: dict[int, float] | None = None) -> list[Word]:
    """Whisper-like words (leading space, punctuation attached), 0.3 s each."""
    words, t = [], 0.0
    for i, token in enumerate(text.split()):
        words.append(Word(text=" " + token, start=round(t, 3), end=round(t + 0.3, 3)))
        t += 0.3 + (pauses or {}).get(i, gap_s)
    return words


def texts(words: list[Word], **kw) -> list[str]:
    return [s.text for s in split_sentences(words, **kw)]


def test_it_splits_at_terminal_punctuation():
    assert texts(words_of("Hello there. How are you? Great!")) == ["Hello there.", "How are you?", "Great!"]


def test_it_keeps_abbreviations_and_initials_inside_a_sentence():
    text = "Dr. Smith met Mr. J. Brown at 5 p.m. today. Then they left."
    assert texts(words_of(text)) == ["Dr. Smith met Mr. J. Brown at 5 p.m. today.", "Then they left."]


def test_it_does_not_split_a_mid_sentence_ellipsis_or_lowercase_continuation():
    text = "So... we tried again. It worked... Really."
    assert texts(words_of(text)) == ["So... we tried again.", "It worked...", "Really."]


def test_it_handles_spanish_punctuation_and_abbreviations():
    text = "¿Qué pasó ayer? La Sra. García llegó tarde. ¡Qué sorpresa! Después hablamos con el Dr. Pérez."
    assert texts(words_of(text)) == [
        "¿Qué pasó ayer?",
        "La Sra. García llegó tarde.",
        "¡Qué sorpresa!",
        "Después hablamos con el Dr. Pérez.",
    ]


def test_it_keeps_closing_quotes_with_the_sentence():
    assert texts(words_of('He said "stop." Then silence.')) == ['He said "stop."', "Then silence."]


def test_it_cuts_an_unpunctuated_run_at_its_longest_pause():
    tokens = [f"w{i}" for i in range(90)]
    words = words_of(" ".join(tokens), pauses={39: 1.5})
    sentences = split_sentences(words, max_words=60)
    assert [(s.first_word, s.end_word) for s in sentences] == [(0, 40), (40, 90)]


def test_every_word_belongs_to_one_sentence_with_times_from_its_words():
    words = words_of("One two. Three four five? Six")
    sentences = split_sentences(words)
    assert [(s.first_word, s.end_word) for s in sentences] == [(0, 2), (2, 5), (5, 6)]
    assert sentences[1].start_s == words[2].start and sentences[1].end_s == words[4].end
    assert sentences[-1].text == "Six"


def test_no_words_gives_no_sentences():
    assert split_sentences([]) == []
