"""Clip edges: no clip opens on a sentence that leans on the one before, nor closes on a set-up."""

import pytest

from pipeline.clipedges import continues_previous, depends_on_previous, is_setup, settle_edges
from pipeline.sentences import Sentence


@pytest.mark.parametrize(
    "text",
    [
        "And then the team changed its plan.",
        "But nobody expected the second wave.",
        "So the bridge had to close.",
        "That's why the price doubled.",
        "That’s because the glue was wet.",
        "Which means we start again.",
        "They sold it the next morning.",
        "It was the wrong decision.",
        "That was the hard part.",
        "Pero nadie lo esperaba.",
        "Por eso el precio subió.",
        "Ella ganó la carrera.",
    ],
)
def test_openings_that_lean_on_the_previous_sentence(text):
    assert depends_on_previous(text)


@pytest.mark.parametrize(
    "text",
    [
        "Why do bees dance?",
        "This year the harvest came early.",
        "Three things decide a marathon.",
        "Honey never spoils.",
        "El café crece mejor en las montañas.",
        "Andrew started the company in 2004.",  # "And..." inside a name is no connective
    ],
)
def test_openings_that_stand_alone(text):
    assert not depends_on_previous(text)


def test_set_ups_and_continuations():
    assert is_setup("So what happened next?")
    assert is_setup("Here's the trick:")
    assert is_setup("Here's why it works.")
    assert is_setup("And then...")
    assert not is_setup("The bridge reopened in May.")
    assert continues_previous("That's why it failed.") and continues_previous("But it held.")
    assert not continues_previous("It reopened in May.")


def timed(texts, seconds=10.0):
    return [Sentence(t, i * seconds, (i + 1) * seconds - 0.5, 0, 0) for i, t in enumerate(texts)]


def test_a_dependent_opening_is_extended_back_to_its_context():
    sentences = timed(["The dam broke in 1889.", "It flooded the valley.", "The town rebuilt.", "Tourists came."])
    assert settle_edges(1, 4, sentences, 10, 60) == (0, 4)


def test_when_extending_back_breaks_the_limit_the_clip_starts_later():
    sentences = timed(["The dam broke.", "But the town held.", "Rebuilding took years.", "Tourists came back."])
    # [1, 4) opens on "But" and [0, 4) is 39.5 s: with room for three sentences the context
    # comes first (back to the start, one fewer at the end)...
    assert settle_edges(1, 4, sentences, 25, 30) == (0, 3)
    # ...and when the first sentence alone is too long, the clip starts after the "But".
    sentences[0] = Sentence("The dam broke.", -30.0, 9.5, 0, 0)
    assert settle_edges(1, 4, sentences, 15, 30) == (2, 4)


def test_a_set_up_at_the_end_takes_its_payoff():
    sentences = timed(
        ["Bread needs time.", "What makes it rise?", "Yeast eats sugar and breathes out gas.", "Ovens vary."]
    )
    assert settle_edges(0, 2, sentences, 10, 40) == (0, 3)


def test_an_ending_followed_by_its_own_conclusion_takes_it():
    sentences = timed(["Pipes froze.", "The pump failed.", "That's why the city flooded.", "Summer came."])
    assert settle_edges(0, 2, sentences, 10, 40) == (0, 3)


def test_no_clean_edges_within_the_limits_gives_none():
    sentences = timed(["And so.", "But then.", "So what?"])
    assert settle_edges(1, 3, sentences, 5, 12) is None
