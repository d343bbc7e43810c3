"""Sentences and keyword candidates from spoken text (English and Spanish), no model needed."""

import re
from collections import Counter

# Function words and filler of both languages: a video may mix them.
STOP_WORDS = frozenset(
    """
    a about above after again against all almost also although always am among an and another any
    anybody anyone anything anyway are around as at away back be became because become been before
    being below between both but by can cannot could did do does doing done don down during each
    either else enough even ever every everybody everyone everything few first for from further get
    gets getting go goes going gone got gotta had has have having he her here hers herself him
    himself his how however i if in into is isn it its itself just kind know let like look lot lots
    made make makes many may maybe me might mine more most much must my myself need never new next
    no nobody none nor not nothing now of off often oh ok okay on once one only or other others our
    ours ourselves out over own pretty quite rather really right said same say says see seem seems
    several shall she should since so some somebody someone something sometimes still such sure take
    than that thats the their theirs them themselves then there these they thing things think this
    those though through thus to today too toward under until up upon us very want wanna was way we
    well were what whatever when where whether which while who whole whom whose why will with within
    without would yeah yes yet you your yours yourself yourselves actually basically literally gonna
    guys hey hello thank thanks going stuff every let's i'm you're it's that's don't can't we're
    they're i've you've i'll we'll didn't doesn't isn't wasn't aren't won't there's here's what's
    um uh hmm mean means talk talking tell told call called put use used using year years time times
    day days good great bit little big
    al algo algunas algunos ante antes aquel aquella aquello aquí así aun aunque bajo bien cada casi
    como cómo con contra cual cuál cuales cuando cuándo cuanto de del desde donde dónde dos el él ella
    ellas ello ellos en entonces entre era eran eres es esa esas ese eso esos esta está están estar
    estas este esto estos estoy fue fueron fui ha había habían han hasta hay haber he hemos la las le
    les lo los más me mi mis mismo mucho muchos muy nada ni no nos nosotros o os otra otras otro otros
    para pero poco por porque pues que qué quien quién se sea según ser si sí sido siempre sin sino
    sobre solo sólo son su sus también tan tanto te tenemos tener tengo ti tiene tienen todo todos tu
    tú tus un una uno unos usted ustedes va vamos van vez y ya yo bueno entonces digamos osea o sea
    este pues mira oye vale verdad cosa cosas hacer hace hacen hizo puede pueden puedo decir dice
    dije creo año años día días tiempo gente parte forma manera ahora luego después hoy mucha muchas
    estaba estaban tenía tenían voy vas vamos ver veces nunca quería quiero quieres sigue seguir
    dijo dijeron tardamos pasó pasa pasar tenemos tienes había hubo sabes saber sabe
    """.split()
)

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_WORD = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)
_TOKEN = re.compile(r"[\w'’-]+|[^\w\s]", re.UNICODE)
WORDS_PER_CHUNK = 22  # for unpunctuated speech


def sentences(text: str) -> list[str]:
    """Split speech into sentences; unpunctuated runs over 44 words become ~22-word chunks."""
    pieces = []
    for sentence in _SENTENCE_END.split(text.strip()):
        words = sentence.split()
        if len(words) <= 2 * WORDS_PER_CHUNK:
            pieces.append(sentence)
            continue
        pieces += [" ".join(words[i : i + WORDS_PER_CHUNK]) for i in range(0, len(words), WORDS_PER_CHUNK)]
    return [piece for piece in pieces if piece]


def content_words(text: str) -> list[list[str]]:
    """Runs of consecutive keyword-like words (as written), broken at stop words and punctuation."""
    runs: list[list[str]] = [[]]
    for token in _TOKEN.findall(text):
        word = token.strip("'’-")
        if _WORD.fullmatch(word) and _is_keyword(word):
            runs[-1].append(word)
        elif runs[-1]:
            runs.append([])
    return [run for run in runs if run]


def _is_keyword(word: str) -> bool:
    if word.lower() in STOP_WORDS:
        return False
    return len(word) >= 4 or (word.isupper() and len(word) >= 2)  # short acronyms: AI, UX


def candidates(text: str, limit: int = 12) -> list[str]:
    """Keyword candidates (words and repeated two-word phrases), most frequent first.

    A phrase said at least twice replaces the words it is made of when they occur only in it
    ("machine learning", not "machine" and "learning").
    """
    words: Counter[str] = Counter()
    pairs: Counter[str] = Counter()
    spelling: dict[str, str] = {}
    for run in content_words(text):
        for i, word in enumerate(run):
            key = word.lower()
            words[key] += 1
            spelling.setdefault(key, word)
            if i + 1 < len(run):
                pairs[f"{key} {run[i + 1].lower()}"] += 1
    names = _names(text)
    scores = dict(words)
    for pair in pairs:
        if pair in names:  # a name said once still beats its parts ('Mexico City')
            pairs[pair] = max(pairs[pair], 2)
    for pair, count in pairs.items():
        if count >= 2:
            scores[pair] = count + 0.5
            for key in pair.split():
                if words[key] <= count:
                    scores.pop(key, None)
    for key in list(scores):
        scores[key] += 0.6 * (key in names) - 0.6 * _looks_like_verb(key)
    ranked = sorted(scores, key=lambda key: (-scores[key], -len(key)))[:limit]
    return [" ".join(_display(key, spelling, names) for key in phrase.split()) for phrase in ranked]


def _names(text: str) -> set[str]:
    """Lowercased capitalised words and name pairs met inside sentences ('mexico city')."""
    names: set[str] = set()
    for sentence in sentences(text):
        tokens = [token.strip("'’-,;:") for token in sentence.split()[1:]]
        capitalised = [token if token[:1].isupper() and _WORD.fullmatch(token) else "" for token in tokens]
        names.update(token.lower() for token in capitalised if token)
        names.update(f"{a} {b}".lower() for a, b in zip(capitalised, capitalised[1:]) if a and b)
    names.discard("")
    return names


def _looks_like_verb(key: str) -> bool:
    # Past tenses and gerunds make poor hashtags: 'moved', 'talking', 'enseñó', 'quería', 'cocinando'.
    return " " not in key and bool(re.search(r"(ed|ing|ó|ía|ían|aba|aban|ando|iendo|aron|ieron)$", key))


def _display(key: str, spelling: dict[str, str], names: set[str]) -> str:
    # Names and acronyms keep their capitals; a capital at a sentence start means nothing.
    return spelling[key] if key in names or spelling[key].isupper() else key


def hashtag_from_phrase(phrase: str) -> str:
    """'machine learning' -> '#MachineLearning'; 'python' -> '#python'; 'CDMX' -> '#CDMX'."""
    words = phrase.split()
    if len(words) == 1:
        return "#" + re.sub(r"[^\w]", "", words[0])
    return "#" + "".join(re.sub(r"[^\w]", "", word[:1].upper() + word[1:]) for word in words)
