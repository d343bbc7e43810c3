"""Sentences, keyword phrases and hashtags from spoken text (English and Spanish), no model needed.

The local writer ranks the candidates found here by how central they are to the clip (local.py);
this module only decides what may be a candidate: runs of content words, names, and for Spanish
"noun de noun" phrases ("fondo de emergencia"). Generic words, numbers and verbs never are.
"""

import re
from collections import Counter

from .prompts import prompt_language

# Function words and spoken filler, per language.
STOP_WORDS_EN = frozenset(
    """
    a about above after again against all almost also although always am among an and another any
    anybody anyone anything anyway are around as at away back be became because become been before
    being below between both but by can cannot could did do does doing done don down during each
    either else enough even ever every everybody everyone everything few for from further get
    gets getting go goes going gone got gotta had has have having he her here hers herself him
    himself his how however i if in into is isn it its itself just kind know let like look lot lots
    made make makes many may maybe me might mine more most much must my myself need never new next
    no nobody none nor not nothing now of off often oh ok okay on once only or other others our
    ours ourselves out over own pretty quite rather really right said same say says see seem seems
    several shall she should since so some somebody someone something sometimes still such sure take
    than that thats the their theirs them themselves then there these they thing things think this
    those though through thus to today too toward under until up upon us very want wanna was way we
    well were what whatever when where whether which while who whole whom whose why will with within
    without would yeah yes yet you your yours yourself yourselves actually basically literally gonna
    guys hey hello thank thanks stuff let's i'm you're it's that's don't can't we're
    they're i've you've i'll we'll didn't doesn't isn't wasn't aren't won't there's here's what's
    um uh erm hmm mean means talk talking tell told call called put use used using year years time
    times day days ago also ever came come comes went keep kept give gave given find found start
    started try tried show shows showed says saying asked ask took taken felt feel feels turn turns
    """.split()
)
STOP_WORDS_ES = frozenset(
    """
    a al algo algunas algunos ante antes aquel aquella aquello aquí así aun aunque bajo bien cada casi
    como cómo con contra cual cuál cuales cuando cuándo cuanto de del desde donde dónde el él ella
    ellas ello ellos en entonces entre era eran eres es esa esas ese eso esos esta está están estar
    estas este esto estos estoy fue fueron fui ha había habían han hasta hay haber he hemos la las le
    les lo los más me mi mis mismo mucho muchos muy nada ni no nos nosotros o os otra otras otro otros
    para pero poco por porque pues que qué quien quién se sea según ser si sí sido siempre sin sino
    sobre solo sólo son su sus también tan tanto te tenemos tener tengo ti tiene tienen todo todos tu
    tú tus un una uno unos usted ustedes va vamos van vez y ya yo bueno digamos osea sea mira oye vale
    verdad hacer hace hacen hizo puede pueden puedo decir dice dije creo año años día días tiempo
    ahora luego después hoy mucha muchas estaba estaban tenía tenían voy vas ver veces nunca quería
    quiero quieres sigue seguir dijo dijeron pasó pasa pasar tienes había hubo sabes saber sabe eh
    este esta cosa cosas tal toda todas tuve tuvo estás estamos fuimos hago haces dar dio doy
    """.split()
)
# Counting words of both languages: a hashtag is never a number, spelled out or not.
NUMBER_WORDS = frozenset(
    """
    zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
    sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety
    hundred hundreds thousand thousands million millions billion billions percent dozen dozens half
    first second third fourth fifth once twice
    cero uno una dos tres cuatro cinco seis siete ocho nueve diez once doce trece catorce quince
    dieciséis veinte treinta cuarenta cincuenta sesenta setenta ochenta noventa cien ciento cientos
    doscientos trescientos quinientos mil miles millón millones ciento docena docenas mitad
    primero primera segundo segunda tercero tercera
    """.split()
)
# Words that are not function words yet say nothing about a clip's subject.
GENERIC_WORDS = frozenset(
    """
    people person thing things way ways part parts place places lot lots kind kinds life world
    example examples problem problems question questions answer answers idea ideas reason reasons
    fact facts number numbers week weeks month months hour hours minute minutes second seconds
    morning night evening video videos today tomorrow yesterday everybody guy guys man woman men
    women result results end start side group line point points level case cases area word words
    moment moments piece pieces rest type types sort top bottom front inside outside amount size
    plenty stuff bit bits time thing job jobs home work works great good bad better best worse worst
    big small large little long short high low real true easy hard whole last early late old young
    full single certain possible special major main common usual normal nice cool huge tiny crazy
    insane amazing simple different important enough really able sure right wrong next same own
    many much most less least more every lots story stories friend friends kids child children
    family someone everyone something anything nothing everything test tests thanks channel
    subscribe comment comments link
    persona personas gente cosa cosas manera maneras forma formas parte partes vez veces ejemplo
    problema problemas pregunta preguntas idea ideas razón número números semana semanas mes meses
    hora horas minuto minutos mañana noche tarde vídeo video vídeos videos mundo vida lugar momento
    resultado resultados final principio tipo caso punto nivel resto bueno buena mejor peor gran
    grande pequeño pequeña importante fácil difícil nuevo nueva viejo vieja mismo misma cierto
    posible último última primer verdad amigo amigos amiga familia niños hijos canal suscríbete
    alguien nadie todo algo trabajo casa gracias historia realidad verdad respuesta
    """.split()
)
_DETERMINERS = {
    "en": frozenset(
        """
        the a an this that these those my your his her its our their each every some any no another
        both several few of in on at for with from by about into through over under after before
        during without between against than per
        """.split()
    )
    | NUMBER_WORDS,
    "es": frozenset(
        """
        el la los las un una unos unas este esta estos estas ese esa esos esas aquel aquella mi mis
        tu tus su sus nuestro nuestra nuestros nuestras cada algún alguna algunos algunas ningún
        ninguna otro otra otros otras de del al a en con por para sin sobre entre desde hasta hacia
        contra según tras
        """.split()
    )
    | NUMBER_WORDS,
}
STOP_WORDS = STOP_WORDS_EN | STOP_WORDS_ES
_NEVER_TAGS = STOP_WORDS | NUMBER_WORDS | GENERIC_WORDS

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_WORD = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)
_TOKEN = re.compile(r"[\w'’-]+|[^\w\s]", re.UNICODE)
_POSSESSIVE = re.compile(r"(?<=\w)['’]s\b", re.IGNORECASE)
_VERB_ENDINGS = {
    "en": re.compile(r"(ed|ing)$"),
    "es": re.compile(
        r"(ó|ía|ían|aba|aban|ando|iendo|aron|ieron|amos|emos|imos|ada|adas|ado|ados|ida|idas|ar|er|ir|arse|erse|irse)$"
    ),
}
WORDS_PER_CHUNK = 22  # for unpunctuated speech


def stop_words(language: str) -> frozenset[str]:
    """The function words of a language (the other language's too: speakers mix them)."""
    own = STOP_WORDS_ES if prompt_language(language) == "es" else STOP_WORDS_EN
    return own | STOP_WORDS


def is_tag_word(word: str) -> bool:
    """Whether a word may stand in a hashtag: not a function, generic or number word."""
    return word.lower().strip("'’-") not in _NEVER_TAGS


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


def content_words(text: str, language: str = "en") -> list[list[str]]:
    """Runs of consecutive keyword-like words (as written), broken at stop words and punctuation.

    In Spanish a 'de' between two content words joins them ('fondo de emergencia')."""
    return [run for run, _ in _runs(text, language)]


def _runs(text: str, language: str) -> list[tuple[list[str], bool]]:
    """Content-word runs, each with whether it reads as a noun phrase: it follows an article, a
    possessive, a number or a preposition ('the crash', 'a neural network', 'about coffee'), or
    starts with a name. Runs after a pronoun or a verb ('I slept', 'run faster') do not."""
    lang = prompt_language(language)
    joiner = "de" if lang == "es" else None
    tokens = _TOKEN.findall(_POSSESSIVE.sub("", text))
    bare = [token.strip("'’-") for token in tokens]
    names = _names(text)
    runs: list[tuple[list[str], bool]] = []
    current: list[str] = []
    start = 0
    for index, word in enumerate([*bare, "."]):
        if index < len(bare) and _WORD.fullmatch(word) and _is_keyword(word):
            if not current:
                start = index
            current.append(word)
            continue
        if joiner and word.lower() == joiner and current and index + 1 < len(bare):
            following = bare[index + 1]
            if _WORD.fullmatch(following) and _is_keyword(following):
                current.append("de")
                continue
        if current:
            # A sentence's first words are its subject when they are two ('Blue light is...');
            # one word there is as often an imperative ('Keep one cup').
            opens = start == 0 or bare[start - 1] in {".", "!", "?", "…"}
            noun_phrase = current[0].lower() in names or _after_determiner(bare, start, lang)
            runs.append((current, noun_phrase or (opens and len(current) >= 2)))
            current = []
    return runs


def _after_determiner(bare: list[str], start: int, lang: str) -> bool:
    before = [word.lower() for word in bare[max(start - 2, 0) : start]]
    if before and before[-1] in _DETERMINERS[lang]:
        return True
    # English puts adjectives before the noun: 'the whole method', 'a rich patch'.
    return lang == "en" and len(before) == 2 and before[0] in _DETERMINERS[lang] and before[1] in _NEVER_TAGS


def _is_keyword(word: str) -> bool:
    if not is_tag_word(word):
        return False
    return len(word) >= 3 or (word.isupper() and len(word) >= 2)  # short acronyms: AI, UX


def candidates(text: str, limit: int = 16, language: str = "en") -> list[str]:
    """Keyword candidates (words, two- and three-word phrases, names), most promising first.

    Counts decide only which candidates go on to be ranked by meaning: a phrase said twice or a
    name beats its parts, a single word said once is kept only while there is room.
    """
    counts: Counter[str] = Counter()
    nounish: set[str] = set()
    spelling: dict[str, str] = {}
    names = _names(text)
    for run, is_noun_phrase in _runs(text, language):
        for size in (1, 2, 3):
            for start in range(len(run) - size + 1):
                words = run[start : start + size]
                if words[0] == "de" or words[-1] == "de":
                    continue
                if "de" in words and words[-1][:1].isupper() != words[0][:1].isupper():
                    continue  # 'parrilla de San' (Telmo): half a name
                key = " ".join(word.lower() for word in words)
                if size == 3 and key not in names and "de" not in words:
                    continue  # three-word phrases only as names ('Great Barrier Reef')
                counts[key] += 1
                spelling.setdefault(key, " ".join(words))
                if is_noun_phrase:
                    nounish.add(key)
    scores: dict[str, float] = {}
    for key, count in counts.items():
        if key not in names and (key not in nounish or _phrase_has_verb(key, language) or _is_adjective(key, language)):
            continue  # said as a verb or after one: 'slept', 'run faster', 'selling tamales'
        size = len(key.split())
        score = float(count) + 0.8 * (key in names) + 0.3 * (size > 1) - 0.6 * _looks_like_verb(key, language)
        if size > 1 and count < 2 and key not in names and "de" not in key.split():
            # Said once, a pair is a topic only if its head noun comes back ('creamy sauce' in a
            # clip about sauce); otherwise it is more likely a clause ('rain grew', 'cuerpo mejora').
            head = key.split()[0 if prompt_language(language) == "es" else -1]
            if counts[head] < 2:
                continue
            score -= 0.4
        scores[key] = score
    for key in [key for key in scores if " " in key and (key in names or counts[key] >= 2)]:
        for word in key.split():  # a name or repeated phrase beats words said only inside it
            if word in scores and counts[word] <= counts[key]:
                del scores[word]
    ranked = sorted(scores, key=lambda key: (-scores[key], -len(key)))[:limit]
    return [_display(key, spelling, names) for key in ranked]


def _names(text: str) -> set[str]:
    """Lowercased capitalised words and runs of them met inside sentences ('mexico city')."""
    names: set[str] = set()
    for sentence in sentences(_POSSESSIVE.sub("", text)):
        tokens = [token.strip("'’-,;:.!?¿¡\"") for token in sentence.split()[1:]]
        run: list[str] = []
        for token in [*tokens, ""]:
            if token[:1].isupper() and _WORD.fullmatch(token) and is_tag_word(token):
                run.append(token.lower())
                continue
            if token == "de" and run:  # 'Ciudad de México'
                run.append("de")
                continue
            while run and run[-1] == "de":
                run.pop()
            for size in range(1, min(len(run), 3) + 1):
                for start in range(len(run) - size + 1):
                    piece = run[start : start + size]
                    if piece[0] != "de" and piece[-1] != "de":
                        names.add(" ".join(piece))
            run = []
    return names


def _looks_like_verb(key: str, language: str) -> bool:
    # Past tenses and gerunds make poor hashtags: 'moved', 'talking', 'enseñó', 'quería', 'cocinando'.
    return bool(_VERB_ENDINGS[prompt_language(language)].search(key.split()[0]))


def _phrase_has_verb(key: str, language: str) -> bool:
    # 'selling tamales', 'farmer stopped', 'guaranteed' are clauses or participles, not topics;
    # a lone gerund ('charging', 'swarming') can be one.
    words = key.split()
    if " " not in key and words[0].endswith("ing"):
        return False
    english = prompt_language(language) == "en"
    return _looks_like_verb(key, language) or (english and words[-1].endswith(("ed", "ing")))


_ADJECTIVE_ENDINGS = {
    "en": re.compile(r"(ive|ous|ful|less|able|ible)$"),
    "es": re.compile(r"(oso|osa|osos|osas|ble|bles|ivo|iva|ivos|ivas)$"),
}


def _is_adjective(key: str, language: str) -> bool:
    """A lone adjective ('expensive', 'peligrosa') describes, it is not a subject."""
    return " " not in key and bool(_ADJECTIVE_ENDINGS[prompt_language(language)].search(key))


def _display(key: str, spelling: dict[str, str], names: set[str]) -> str:
    # Names and acronyms keep their capitals; a capital at a sentence start means nothing.
    words = []
    for written, lower in zip(spelling[key].split(), key.split()):
        words.append(written if lower in names or key in names or written.isupper() else lower)
    return " ".join(words)


def hashtag_from_phrase(phrase: str) -> str:
    """One casing for every tag: 'machine learning' -> '#MachineLearning', 'coffee' -> '#Coffee',
    'lithium-ion' -> '#LithiumIon', 'CDMX' -> '#CDMX', 'ciudad de méxico' -> '#CiudadDeMéxico'."""
    parts = [part for word in phrase.split() for part in re.split(r"[-'’]", word) if part]
    return "#" + "".join(re.sub(r"[^\w]", "", part[:1].upper() + part[1:]) for part in parts)


def tag_words(tag: str) -> list[str]:
    """'#BushfireSeason' -> ['bushfire', 'season']; '#CDMX' -> ['cdmx']; for checking a tag."""
    body = tag.lstrip("#")
    return [word.lower() for word in re.findall(r"[A-ZÁÉÍÓÚÑÜ]+(?![a-záéíóúñü])|[A-ZÁÉÍÓÚÑÜ]?[a-záéíóúñü0-9]+", body)]
