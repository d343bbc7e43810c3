"""The offline writer's copy on crafted videos (English and Spanish, several topics each): hooks,
captions, calls to action, hashtags and titles by the issue's checks, plus its text rules alone."""

import re

import pytest

from pipeline.copywriter import hooks, keywords, prompts, write_copies
from pipeline.schemas import PipelineOptions

from .copy_support import CRAFTED_VIDEOS, copy_problems, is_phrase_of, transcript_for

MANDATORY = ["#AICDMX"]
OPTIONS = PipelineOptions(mandatory_hashtags=MANDATORY)


@pytest.fixture(scope="module")
def written():
    """Each crafted video written once: {language: (clip texts, copies by clip id)}."""
    videos = {}
    for language, texts in CRAFTED_VIDEOS.items():
        _, clips = transcript_for(texts, language)
        result = write_copies(dict(enumerate(clips.clips)), language=language, options=OPTIONS)
        assert result.failures == [] and result.is_local_draft
        videos[language] = (texts, {copy.clip_index: copy for copy in result.copies})
    return videos


def call_to_action(copy) -> str:
    return copy.text.splitlines()[-1]


def pool_of(line: str, language: str) -> str:
    """Which kind of call to action `line` is (its $topic filled in), '' for none."""
    for kind, lines in prompts.phrases(language)["calls_to_action"].items():
        if any(
            re.fullmatch(re.escape(candidate).replace(r"\$topic", ".+").replace(r"\$Topic", ".+"), line)
            for candidate in lines
        ):
            return kind
    return ""


@pytest.mark.slow
@pytest.mark.parametrize("language", ["en", "es"])
def test_every_clip_passes_the_copy_checks(written, language):
    texts, copies = written[language]

    assert sorted(copies) == list(range(len(texts)))
    problems = {i: copy_problems(copies[i], texts[i], MANDATORY) for i in copies}
    assert problems == {i: [] for i in copies}
    for copy in copies.values():
        topical = [tag for tag in copy.hashtags if tag not in MANDATORY]
        assert 3 <= len(topical) <= 5, copy.hashtags
        assert all(tag[1].isupper() for tag in topical), topical  # one casing: #CamelCase


@pytest.mark.slow
@pytest.mark.parametrize("language", ["en", "es"])
def test_calls_to_action_never_repeat_within_a_video_and_fit_the_clip(written, language):
    texts, copies = written[language]
    lines = [call_to_action(copies[i]) for i in sorted(copies)]

    assert len(texts) >= 6
    assert len(set(lines)) == len(lines), lines
    assert all(pool_of(line, language) for line in lines), lines
    assert "$" not in " ".join(lines)


@pytest.mark.slow
def test_clips_get_the_kind_of_call_to_action_their_content_asks_for(written):
    _, english = written["en"]
    _, spanish = written["es"]

    assert pool_of(call_to_action(english[2]), "en") == "story"  # a road trip told in the first person
    assert pool_of(call_to_action(english[5]), "en") == "question"  # ends asking the viewer
    assert pool_of(call_to_action(english[6]), "en") == "explainer"  # running costs of electric cars
    assert pool_of(call_to_action(spanish[1]), "es") == "story"
    assert pool_of(call_to_action(spanish[4]), "es") == "question"
    assert pool_of(call_to_action(spanish[2]), "es") == "explainer"


@pytest.mark.slow
def test_hashtags_are_central_phrases_and_names_not_possessives_or_single_words_of_them(written):
    _, english = written["en"]
    _, spanish = written["es"]

    assert "#BushfireSeason" in english[0].hashtags
    assert "#HumeHighway" in english[2].hashtags
    said_melbourne = keywords.candidates(CRAFTED_VIDEOS["en"][1], language="en")
    assert "Melbourne" in said_melbourne and not any("melbournes" in phrase.lower() for phrase in said_melbourne)
    assert "#FondoDeEmergencia" in spanish[0].hashtags
    assert "#Contraseñas" in spanish[5].hashtags or "#GestorDeContraseñas" in spanish[5].hashtags
    every_tag = [tag for copies in (english, spanish) for copy in copies.values() for tag in copy.hashtags]
    assert not any(word in keywords.GENERIC_WORDS for tag in every_tag for word in keywords.tag_words(tag))


@pytest.mark.slow
def test_captions_say_what_the_clip_gives_without_asides(written):
    _, english = written["en"]
    _, spanish = written["es"]

    for copies in (english, spanish):
        for copy in copies.values():
            hook, *middle, cta = copy.text.splitlines()
            assert hook == copy.hook
            assert middle, copy.text  # one or two key sentences between hook and call to action
            summary = " ".join(middle)
            assert 1 <= summary.count(". ") + 1 <= 2 + summary.count("? ")
            assert "(" not in summary and "according to" not in summary.lower() and "según" not in summary.lower()
            assert not any(filler in f" {summary.lower()} " for filler in (" um ", " uh ", "you know", "o sea"))
    assert all(len(copy.title) <= 70 for copy in english.values())


def test_hooks_drop_filler_and_dangling_starts_and_never_cut_mid_word():
    sentences = [
        "So, um, basically the thing nobody tells you is that, you know, the first coat of paint always looks terrible.",
        "And then we waited.",
    ]
    lines = hooks.lines(sentences, "en")

    assert lines and all(len(line.text.split()) <= hooks.HOOK_MAX_WORDS for line in lines)
    assert not any(line.text.lower().startswith(("so", "um", "and", "basically")) for line in lines)
    assert all("…" not in line.text and is_phrase_of(line.text, " ".join(sentences)) for line in lines)
    assert all(not hooks.dangles(line.text.split()[-1]) for line in lines)
    assert "The first coat of paint always looks terrible" in [line.text for line in lines]


def test_a_question_beats_a_plain_statement_of_the_same_sentence():
    question = hooks.Line("Why does bread go stale so fast?", 0, True, False)
    statement = hooks.Line("Bread goes stale because of its starch", 0, True, False)

    assert hooks.quotability(question, "en") > hooks.quotability(statement, "en")


def test_compressed_sentences_lose_parentheticals_attributions_and_filler():
    assert (
        hooks.compress("The battery (the most expensive part) comes with, you know, an eight-year warranty.", "en")
        == "The battery comes with an eight-year warranty."
    )
    assert (
        hooks.compress("Charging costs, according to the regulator, about four dollars a night.", "en")
        == "Charging costs about four dollars a night."
    )
    assert hooks.compress("Police say that no data was stolen.", "en") == "No data was stolen."
    assert (
        hooks.compress("Según el INE, o sea, los precios subieron un tres por ciento.", "es")
        == "Los precios subieron un tres por ciento."
    )


def test_keyword_candidates_skip_verbs_numbers_and_stop_words_in_both_languages():
    english = keywords.candidates(
        "I slept badly. We measured the noise in the bedroom twice. The noise came from the fridge. "
        "Twenty people said the fridge was loud.",
        language="en",
    )
    spanish = keywords.candidates(
        "Mi abuela me enseñó a cocinar. La paciencia también es un ingrediente. Tardamos dos días con la "
        "paciencia y el ingrediente secreto.",
        language="es",
    )

    assert "noise" in english and "fridge" in english and "bedroom" in english
    assert not {"slept", "measured", "twenty", "people", "said"} & set(english)
    assert "paciencia" in spanish and "ingrediente" in spanish
    assert not {"enseñó", "tardamos", "dos", "días", "también"} & set(spanish)


def test_hashtag_casing_is_the_same_for_words_phrases_names_and_acronyms():
    assert [
        keywords.hashtag_from_phrase(phrase)
        for phrase in ("coffee", "bushfire season", "Hume Highway", "lithium-ion", "CDMX", "fondo de emergencia")
    ] == ["#Coffee", "#BushfireSeason", "#HumeHighway", "#LithiumIon", "#CDMX", "#FondoDeEmergencia"]
    assert keywords.tag_words("#CiudadDeMéxico") == ["ciudad", "de", "méxico"]
    assert keywords.tag_words("#NASAMission") == ["nasa", "mission"]


def test_a_line_never_ends_inside_a_list_but_a_question_after_a_colon_is_its_own_line():
    texts = [
        line.text
        for line in hooks.lines(["Three settings control that light: the aperture, the shutter speed and ISO."], "en")
    ]
    question = [
        line.text
        for line in hooks.lines(
            ["So, um, every summer we get the same question: is this fire season going to be worse than the last?"],
            "en",
        )
    ]

    assert "Three settings control that light: the aperture" not in texts
    assert "Three settings control that light: the aperture, the shutter speed and ISO" in texts
    assert "Is this fire season going to be worse than the last?" in question
