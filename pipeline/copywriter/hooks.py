"""Short lines from a clip's own words: hook candidates, their quotability, and compressed sentences.

Everything here is extractive: a hook or caption sentence is the speaker's words with filler,
dangling starts, parentheticals and attributions taken out, cut only at clause or phrase
boundaries (never mid-word, never with an ellipsis).
"""

import re
from dataclasses import dataclass

from .prompts import prompt_language

HOOK_MAX_WORDS = 12
HOOK_MIN_WORDS = 4
SENTENCE_MAX_WORDS = 26  # a caption sentence after compression

# Hesitations removed wherever they are; discourse fillers only between commas or at the start.
_HESITATION = re.compile(r"(?:,\s*)?\b(?:u+m+|u+h+|e+r+m+|e+h+m*|h+m+|mm+)\b[,.]?\s*", re.IGNORECASE)
_FILLERS = {
    "en": [
        "you know",
        "i mean",
        "like",
        "basically",
        "literally",
        "actually",
        "honestly",
        "kind of",
        "sort of",
        "for example",
        "of course",
    ],
    "es": [
        "o sea",
        "digamos",
        "¿no?",
        "¿sabes?",
        "¿vale?",
        "bueno",
        "la verdad",
        "tipo",
        "en plan",
        "este",
        "por ejemplo",
    ],
}
# Removed from the start of a line: conjunctions always, discourse markers before a comma.
_LEADING = {
    "en": (
        ["and then", "and so", "and", "but", "so", "or", "then", "also", "plus", "yet", "because of that"],
        ["well", "okay", "ok", "right", "now", "look", "listen", "anyway", "yeah", "yes", "oh", "see", "alright"],
    ),
    "es": (
        ["y entonces", "y luego", "así que", "por eso", "y", "pero", "entonces", "pues", "luego", "además", "o"],
        ["bueno", "mira", "oye", "vale", "a ver", "este", "bien", "claro", "sí", "eh", "ok", "okay"],
    ),
}
_DEPENDENT_START = {
    "en": re.compile(r"^(which|who|whom|whose|that|because|although|though|whereas)\b", re.IGNORECASE),
    "es": re.compile(r"^(que|cual|cuales|quien|quienes|cuyo|cuya|porque|aunque)\b", re.IGNORECASE),
}
_PRONOUN_START = {
    "en": re.compile(
        r"^((most|some|many|all|each|one|none|few) of (them|these|those|it)|it|its|this|that|they|their|these|those"
        r"|he|she|his|her|them|there)\b",
        re.IGNORECASE,
    ),
    "es": re.compile(r"^(eso|esto|ello|ella|él|ellos|ellas|le|les|su|sus)\b", re.IGNORECASE),
}
_THE_POINT_IS = {
    "en": re.compile(r"\s+(?:is|was) (?:that|this:)\s+", re.IGNORECASE),
    "es": re.compile(r"\s+(?:es|era|fue) que\s+", re.IGNORECASE),
}
# Words a line may be cut before (prepositions and subordinators): what follows is detail.
_CUT_BEFORE = {
    "en": frozenset(
        "in on at for with from by during after before since until into through across over under "
        "between about when while because which where although if but so".split()
    ),
    "es": frozenset(
        "en con para por durante después antes desde hasta sobre entre cuando mientras porque donde "
        "aunque si pero así".split()
    ),
}
# A line must not end on these: it would dangle.
_BAD_END = {
    "en": frozenset(
        "a an the of to in on at for with from by and or but so that which who my your his her its our "
        "their this these those is are was were be very more most than as if".split()
    ),
    "es": frozenset(
        "a al el la los las un una unos unas de del en con para por y o pero que mi tu su sus mis tus "
        "este esta estos estas es son fue muy más como si".split()
    ),
}
_ATTRIBUTION = {
    "en": [
        re.compile(r"^according to [^,]{1,60},\s*", re.IGNORECASE),
        re.compile(r",\s*according to [^,.!?]{1,60},(?=\s)", re.IGNORECASE),
        re.compile(r",\s*according to [^,.!?]{1,60}(?=[.!?]|$)", re.IGNORECASE),
        re.compile(
            r",\s*(?:he|she|they|we|i|(?:the |a |our |my )?[\w'-]+(?: [\w'-]+){0,2})\s+"
            r"(?:said|says|told \w+|explained|added|noted|claimed|reported|wrote)(?=[.!?]|$)"
        ),
        re.compile(
            r"^(?:(?:the )?(?:researchers|scientists|experts|studies|officials|police|doctors|[A-Z][\w'-]+"
            r"(?: [A-Z][\w'-]+)?)) (?:say|says|said|reported|report|found|explained|told \w+) that\s+",
        ),
    ],
    "es": [
        re.compile(r"^según [^,]{1,60},\s*", re.IGNORECASE),
        re.compile(r",\s*según [^,.!?]{1,60},(?=\s)", re.IGNORECASE),
        re.compile(r",\s*según [^,.!?]{1,60}(?=[.!?]|$)", re.IGNORECASE),
        re.compile(r",\s*(?:dijo|afirmó|explicó|contó|aseguró|señaló)(?: [^,.!?]{1,40})?(?=[,.!?]|$)"),
        re.compile(
            r"^(?:(?:los )?(?:investigadores|científicos|expertos|estudios|médicos|[A-ZÁÉÍÓÚ][\w'-]+)) "
            r"(?:dicen|dice|dijo|afirman|afirma|explica|explican|aseguran) que\s+",
        ),
    ],
}
_PARENTHETICAL = re.compile(r"\s*(?:\([^()]*\)|\[[^\[\]]*\]|\s[—–]\s[^—–]{1,80}\s[—–](?=\s)|\s-\s[^-]{1,60}\s-(?=\s))")

_NUMBER = re.compile(
    r"\d|\b(?:two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|thirty|forty|fifty|sixty|seventy"
    r"|eighty|ninety|hundred|thousand|million|billion|percent|half|dos|tres|cuatro|cinco|seis|siete|ocho"
    r"|nueve|diez|doce|veinte|treinta|cuarenta|cincuenta|cien|ciento|mil|millones|millón|mitad)\b",
    re.IGNORECASE,
)
_YOU = re.compile(
    r"\b(you|your|you're|you'll|you've|yourself|tú|tu|tus|te|ti|usted|ustedes|vosotros|contigo)\b", re.IGNORECASE
)
_CONTRAST = re.compile(
    r"\b(but|not|never|nobody|no one|instead|actually|wrong|myth|mistake|truth|secret|however|yet|rather than|"
    r"isn't|doesn't|don't|can't|won't|pero|nunca|nadie|en realidad|error|mito|secreto|sino|no es|en vez de)\b",
    re.IGNORECASE,
)
_IMPERATIVE_START = re.compile(
    r"^[¡¿]?(stop|never|don't|try|imagine|forget|picture|deja de|dejen de|no hagas|nunca|imagina|prueba|olvida)\b",
    re.IGNORECASE,
)
_SUPERLATIVE = re.compile(
    r"\b(most|least|best|worst|biggest|largest|smallest|fastest|slowest|longest|oldest|cheapest|ever|only|"
    r"every single|el más|la más|los más|las más|el mejor|la mejor|el peor|la peor|mayor|único|única)\b|"
    r"\b(?!(?:interest|honest|forest|request|suggest|harvest|contest|protest|latest|modest|digest|invest)\b)"
    r"[a-z]{3,}iest\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Line:
    """A candidate line: the cleaned words, where it came from and how it was cut."""

    text: str
    sentence_index: int  # among the analysed sentences
    whole: bool  # the entire (cleaned) sentence
    cut: bool  # ends before the sentence's clause did


def clean(text: str, language: str) -> str:
    """Filler and dangling starts out, spacing and the first capital fixed."""
    lang = prompt_language(language)
    text = _HESITATION.sub(" ", " " + text + " ")
    for filler in _FILLERS[lang]:
        escaped = re.escape(filler)
        # between commas ("it was, you know, huge") or opening the line ("Basically, ...")
        text = re.sub(rf",\s*{escaped}\s*,", " ", text, flags=re.IGNORECASE)
        text = re.sub(rf"^\s*{escaped}\s*,\s*", " ", text, flags=re.IGNORECASE)
        if " " not in filler and filler.isalpha() and filler not in ("like", "tipo", "este", "bueno"):
            text = re.sub(rf"(?<=\s){escaped}\s+(?=\w)", "", text, flags=re.IGNORECASE)
    text = " ".join(text.split())
    text = _strip_leading(text, lang)
    text = re.sub(r"\s+([,.!?;:])", r"\1", text)
    text = re.sub(r"^[,;:.\s]+", "", text)
    return capitalise(text)


def _strip_leading(text: str, lang: str) -> str:
    conjunctions, markers = _LEADING[lang]
    changed = True
    while changed:
        changed = False
        for word in conjunctions:
            match = re.match(rf"^[¿¡]?{re.escape(word)}\b[,]?\s+", text, re.IGNORECASE)
            if match and len(text.split()) > len(word.split()) + 2:
                text = _keep_opening_mark(text, match.end())
                changed = True
        for word in markers:
            match = re.match(rf"^[¿¡]?{re.escape(word)}\s*,\s*", text, re.IGNORECASE)
            if match:
                text = _keep_opening_mark(text, match.end())
                changed = True
    return text


def _keep_opening_mark(text: str, end: int) -> str:
    # Spanish '¿' / '¡' open the sentence: dropping the word after them must keep them.
    mark = text[0] if text[:1] in "¿¡" else ""
    return mark + text[end:]


def capitalise(text: str) -> str:
    """The first letter upper-case, the rest as written ('¿qué...' -> '¿Qué...')."""
    for index, char in enumerate(text):
        if char.isalpha():
            return text[:index] + char.upper() + text[index + 1 :]
    return text


def compress(sentence: str, language: str, max_words: int = SENTENCE_MAX_WORDS) -> str:
    """A caption sentence: parentheticals, attributions and filler out, long tails cut at a phrase."""
    lang = prompt_language(language)
    text = _PARENTHETICAL.sub("", sentence)
    for pattern in _ATTRIBUTION[lang]:  # before and after filler goes: fillers hide the commas
        text = pattern.sub("", text)
    text = clean(text, lang)
    for pattern in _ATTRIBUTION[lang]:
        text = pattern.sub("", text)
    text = capitalise(" ".join(text.split()).strip(" ,;:"))
    words = text.split()
    if len(words) <= max_words:
        return _end_sentence(text)
    cut = _cut(words, max_words, lang)
    return _end_sentence(" ".join(cut)) if cut else ""


def _end_sentence(text: str) -> str:
    text = text.rstrip(" ,;:-")
    return text if not text or text[-1] in '.!?…"”»' else text + "."


def _cut(words: list[str], max_words: int, lang: str) -> list[str] | None:
    """The longest prefix of at most max_words that ends just before a preposition or subordinator
    (or at a comma) and does not dangle; None when there is none of at least HOOK_MIN_WORDS."""
    for end in range(min(max_words, len(words) - 1), HOOK_MIN_WORDS - 1, -1):
        before, after = words[end - 1], words[end]
        # a comma ends a clause unless a list goes on after it ('needs, wants and savings')
        rest = " ".join(words[end:]).split(",")[0].split()
        at_comma = before.endswith((",", ";", ":")) and len(rest) >= HOOK_MIN_WORDS
        if not at_comma and _bare(after) not in _CUT_BEFORE[lang]:
            continue
        if _bare(before) in _BAD_END[lang]:
            continue
        return [*words[: end - 1], before.rstrip(",;:")]
    return None


def _bare(word: str) -> str:
    return word.strip(".,;:!?¿¡\"'()“”«»").lower()


def lines(sentences: list[str], language: str) -> list[Line]:
    """Hook candidates: each sentence, its clauses, and phrase-boundary cuts, all cleaned and at
    most HOOK_MAX_WORDS words, at least HOOK_MIN_WORDS, not ending on a dangling word."""
    lang = prompt_language(language)
    found: list[Line] = []
    for index, sentence in enumerate(sentences):
        cleaned = clean(_PARENTHETICAL.sub("", sentence), lang)
        # 'The thing nobody tells you is that X': X is the line worth quoting.
        tail = _THE_POINT_IS[lang].split(cleaned, maxsplit=1)
        if len(tail) == 2 and len(tail[1].split()) >= HOOK_MIN_WORDS:
            for piece in _clauses(capitalise(tail[1])):
                if len(piece.split()) <= HOOK_MAX_WORDS:
                    found.append(Line(_hook_text(piece), index, False, cut=False))
        clauses = _clauses(cleaned)
        for start in range(len(clauses)):
            for end in range(start + 1, len(clauses) + 1):
                span = clean(" ".join(clauses[start:end]), lang)
                words = span.split()
                whole = start == 0 and end == len(clauses)
                if len(words) <= HOOK_MAX_WORDS:
                    found.append(Line(_hook_text(span), index, whole, cut=False))
                    continue
                cut = _cut(words, HOOK_MAX_WORDS, lang)
                if cut:
                    found.append(Line(_hook_text(" ".join(cut)), index, False, cut=True))
                break  # longer spans from this start only get longer
    unique = {}
    for line in found:
        words = line.text.split()
        if len(words) >= HOOK_MIN_WORDS and _bare(words[-1]) not in _BAD_END[lang] and line.text not in unique:
            unique[line.text] = line
    return list(unique.values())


def _clauses(sentence: str) -> list[str]:
    """A sentence split at , ; : and dashes, short pieces (list items: 'flour, water, salt and
    yeast') kept with the clause before them so a line never ends inside a list."""
    clauses: list[str] = []
    listing = False  # inside a list a colon opened ('three settings: the aperture, the shutter...')
    for part in re.split(r"(?<=[,;:])\s+|\s+[—–]\s+", sentence):
        part = part.strip()
        if not part:
            continue
        short = len(part.split()) < HOOK_MIN_WORDS
        if clauses and (short or listing or len(clauses[-1].split()) < 2):
            clauses[-1] = f"{clauses[-1]} {part}"
            listing = listing or (short and ":" in clauses[-1])
        else:
            clauses.append(part)
            listing = False
    return clauses


def fit_chars(text: str, max_chars: int, language: str) -> str:
    """`text` cut to at most max_chars at a phrase boundary (else at a word), never dangling."""
    if len(text) <= max_chars:
        return text
    words = text.split()
    lang = prompt_language(language)
    for max_words in range(len(words) - 1, HOOK_MIN_WORDS - 1, -1):
        cut = _cut(words, max_words, lang)
        if cut and len(" ".join(cut)) <= max_chars:
            return " ".join(cut)
    while words and len(" ".join(words)) > max_chars:
        words.pop()
    while len(words) > 1 and _bare(words[-1]) in _BAD_END[lang]:
        words.pop()
    return " ".join(words).rstrip(",;:")


def _hook_text(text: str) -> str:
    """A hook keeps a closing ? or ! and drops a closing full stop or comma."""
    text = text.strip().rstrip(",;:-–— ")
    if text.endswith(".") and not text.endswith("..."):
        text = text[:-1]
    if text.startswith("¿") and not text.endswith("?"):
        text = text[1:]  # a cut Spanish question lost its '?': not a question any more
    if text.startswith("¡") and not text.endswith("!"):
        text = text[1:]
    return capitalise(text)


def quotability(line: Line, language: str) -> float:
    """Bonus (cosine units) for what makes a line worth quoting: a question, a number, a contrast,
    a superlative, talking to the viewer; minus for lines that lean on context or were cut."""
    lang = prompt_language(language)
    text = line.text
    words = len(text.split())
    score = 0.3 * text.endswith("?") + 0.05 * text.endswith("!")
    score += 0.15 * bool(_NUMBER.search(text)) + 0.12 * bool(_CONTRAST.search(text))
    score += 0.12 * bool(_SUPERLATIVE.search(text)) + 0.12 * bool(_YOU.search(text) or _IMPERATIVE_START.match(text))
    score -= 0.3 * bool(_DEPENDENT_START[lang].match(text.lstrip("¿¡")))
    score -= 0.25 * bool(_PRONOUN_START[lang].match(text.lstrip("¿¡")))  # 'It flows...': what does?
    score -= 0.1 * (words < 6) + 0.08 * line.cut - 0.04 * line.whole
    return score


def is_question(text: str) -> bool:
    return text.rstrip().endswith("?")


def addresses_viewer(text: str) -> bool:
    return bool(_YOU.search(text))


def leans_on_context(text: str, language: str) -> bool:
    """Starts with a pronoun or a subordinate word: unclear without what came before."""
    lang = prompt_language(language)
    bare = text.lstrip("¿¡")
    return bool(_DEPENDENT_START[lang].match(bare) or _PRONOUN_START[lang].match(bare))


def has_number(text: str) -> bool:
    return bool(_NUMBER.search(text))


def dangles(word: str, language: str = "en") -> bool:
    """Whether a line ending on `word` would dangle (an article, a preposition, 'and'...)."""
    return _bare(word) in _BAD_END[prompt_language(language)]
