"""Test helpers for the copy stage: sample transcripts and fake LLM servers on 127.0.0.1.

The fake servers speak the real protocols (Gemini REST generateContent, OpenAI chat
completions), record every request, and answer through a `reply(request) -> FakeReply` function
each test scripts.
"""

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from pipeline.schemas import ClipProposal, ClipsResult, PipelineOptions, Transcript, Word

ENGLISH_CLIPS = [
    # educational
    "How do you make your code run faster? First, measure it. Most people guess where the time "
    "goes and they are usually wrong. A profiler shows you the three functions that take ninety "
    "percent of the time. Then fix those functions, and measure again. That is the whole method.",
    # storytelling
    "When I was nineteen I moved to Mexico City with two hundred dollars and a guitar. The first "
    "night I slept in a bus station. A woman selling tamales asked me where I was going. I told "
    "her I had no idea. She gave me a job the next morning, and that job changed my whole life.",
    # viral
    "Nobody tells you this about coffee! This is insane. Drinking coffee right after you wake up "
    "actually makes you more tired later. Wait ninety minutes and the crash is gone. I tried it "
    "for a week and I will never go back. Try it tomorrow and tell me I am wrong!",
    # educational, about AI
    "What is a neural network? A neural network is a stack of simple functions. Each layer "
    "multiplies its input by weights and adds them up. Training means nudging the weights so "
    "the network's answers get closer to the right ones. Neural networks learn from examples, "
    "and more examples usually means better answers.",
]

SPANISH_CLIPS = [
    "¿Sabes cuál es el error más común al ahorrar dinero? Ahorrar lo que sobra al final del mes. "
    "Nunca sobra nada. El truco es apartar el ahorro el día que cobras, antes de gastar. Con el "
    "diez por ciento basta para empezar y en un año tienes un fondo de emergencia.",
    "Cuando tenía quince años mi abuela me enseñó a cocinar mole. Tardamos dos días enteros. "
    "Yo quería rendirme a las tres horas, pero ella me dijo que la paciencia también es un "
    "ingrediente. Hoy tengo un restaurante en la Ciudad de México y su receta sigue en la carta.",
]


# Crafted videos for the offline writer: one list of clips per video, several topics each, spoken
# the way people talk (fillers, false starts, names, numbers, asides). Written for the tests; the
# bench measures on bench/texts instead, which the writer was not tuned on.
CRAFTED_VIDEOS = {
    "en": [
        "So, um, every summer we get the same question: is this bushfire season going to be worse "
        "than the last one? And honestly, the answer this year is yes. The Bureau of Meteorology says "
        "the bushfire season could start six weeks early in New South Wales. You know, we had the "
        "wettest two years on record, and all that rain grew grass. Now that grass is drying out, and "
        "dry grass is fuel. If you live near the bush, clean your gutters now, not in December.",
        "A computer virus hit three hospitals in Melbourne on Tuesday. Staff had to go back to paper "
        "records for almost two days. The virus, which spread through a fake invoice email, locked "
        "every file on Melbourne's hospital network. Police say no patient data was stolen, but the "
        "attackers asked for a ransom of two million dollars. The hospitals refused to pay. Their IT "
        "team restored everything from backups, which, honestly, is the only reason this didn't get "
        "much worse.",
        "When I was twenty-two I drove the Hume Highway from Sydney to Melbourne in a car with no air "
        "conditioning. It was forty-three degrees. Halfway there, near Gundagai, the engine started "
        "smoking. I pulled over and, um, an old farmer stopped his ute behind me. He didn't say a "
        "word, he just opened the bonnet, poured his own water into the radiator and drove off. I "
        "never even got his name.",
        "Why do you wake up tired even after eight hours of sleep? Most of the time it's not how long "
        "you sleep, it's when. Your body runs on a clock, the circadian rhythm, and if you go to bed "
        "at a different time every night, that clock never settles. Basically, your brain doesn't "
        "know when to release melatonin. Pick one wake-up time and keep it, even on weekends. Within "
        "two weeks most people feel the difference.",
        "Stop throwing away your pasta water! That cloudy water is full of starch, and starch is the "
        "secret to a silky sauce. Keep one cup before you drain the pasta. Add a splash to the pan "
        "with butter and parmesan and stir hard. It turns into a creamy sauce in about thirty "
        "seconds, no cream needed. Restaurants do this every single night. Try it once and tell me "
        "you'll ever go back.",
        "Should you pay off your mortgage early or invest the money? This is the question I get asked "
        "the most. If your mortgage rate is six percent, paying it off is a guaranteed six percent "
        "return. The stock market has averaged about seven percent a year, but it is not guaranteed, "
        "and some years it drops twenty percent. So it really depends on how you sleep at night. What "
        "would you do with an extra five hundred dollars a month?",
        "Electric cars are cheaper to run than most people think. Charging at home overnight costs, "
        "according to the energy regulator, about four dollars for three hundred kilometres. A petrol "
        "car would need roughly thirty dollars of fuel for the same trip. The battery (the most "
        "expensive part of the car) usually comes with an eight-year warranty. Servicing is cheaper "
        "too, because there's no oil to change and far fewer moving parts.",
    ],
    "es": [
        "Bueno, mucha gente me pregunta cuánto debería tener en su fondo de emergencia. La respuesta "
        "corta es entre tres y seis meses de gastos. No de sueldo, de gastos. Si gastas mil euros al "
        "mes, tu meta es de tres mil a seis mil euros. Y ese dinero no va en la bolsa, va en una "
        "cuenta de la que puedas sacarlo en un día. Empieza con cincuenta euros a la semana y en un "
        "año ya tienes más de dos mil quinientos.",
        "Cuando tenía veinte años me fui a vivir a Buenos Aires sin conocer a nadie. El primer mes "
        "dormí en el sofá de un amigo de un amigo. Una noche, en una parrilla de San Telmo, el dueño "
        "me vio contando monedas para pagar una empanada. Me preguntó de dónde era y me invitó a "
        "cenar. Al final de la noche me ofreció trabajo como mesero. Ocho años después, esa parrilla "
        "es mía.",
        "¿Por qué el cielo es azul? La luz del sol parece blanca, pero en realidad tiene todos los "
        "colores. Cuando entra en la atmósfera, choca con las moléculas del aire. La luz azul tiene "
        "una longitud de onda más corta y se dispersa mucho más que la roja. Por eso nos llega luz "
        "azul desde todas partes del cielo. Al atardecer la luz atraviesa más aire, el azul se pierde "
        "por el camino y vemos el cielo naranja.",
        "¡Deja de lavar el arroz así nomás! O sea, sí hay que lavarlo, pero bien. El almidón de la "
        "superficie es lo que deja el arroz pegajoso. Lávalo tres veces, hasta que el agua salga casi "
        "transparente. Luego usa una taza de arroz por una taza y media de agua, fuego bajo y la olla "
        "tapada. Veinte minutos y no lo toques. El resultado es un arroz suelto, como el de los "
        "restaurantes. Pruébalo y me cuentas.",
        "¿De verdad hay que correr todos los días para mejorar? Yo creo que no. La mayoría de los "
        "corredores aficionados que se lesionan es porque corren demasiado, no muy poco. Según un "
        "estudio de la Universidad de Granada, descansar dos días por semana reduce las lesiones casi "
        "a la mitad. Tu cuerpo mejora cuando descansa, no cuando entrenas. ¿Y tú cuántos días corres "
        "a la semana?",
        "Las contraseñas largas son más seguras que las complicadas. Una frase de cuatro palabras al "
        "azar tarda siglos en romperse. En cambio, una contraseña corta con símbolos se rompe en "
        "horas. Lo más importante es no repetir la misma contraseña en dos sitios. Usa un gestor de "
        "contraseñas y activa la verificación en dos pasos en tu correo y en tu banco.",
    ],
}

# What the checks below treat as filler the writer may drop between a hook's words.
_SKIPPABLE = frozenset(
    "um uh erm hmm you know i mean like basically literally actually honestly so and but well okay ok "
    "right now look then also for example of course o sea pues bueno y pero entonces mira este eh vale "
    "digamos luego por ejemplo".split()
)
_DANGLING = frozenset("a an the of to in on at for with and or but el la los las un una de del y o que con en".split())


def _tokens(text: str) -> list[str]:
    text = re.sub(r"\([^()]*\)", " ", text)
    return re.findall(r"[\w']+", text.lower().replace("’", "'"))


def is_phrase_of(line: str, clip_text: str, max_skip: int = 3) -> bool:
    """Whether `line` is the clip's own words in order, allowing only filler (at most `max_skip`
    words in a row) to have been left out between them."""
    wanted, said = _tokens(line), _tokens(clip_text)
    for start in range(len(said)):
        i, j, skipped = 0, start, 0
        while i < len(wanted) and j < len(said):
            if said[j] == wanted[i]:
                i, j, skipped = i + 1, j + 1, 0
            elif i > 0 and said[j] in _SKIPPABLE and skipped < max_skip:
                j, skipped = j + 1, skipped + 1
            else:
                break
        if i == len(wanted) and wanted:
            return True
    return False


def copy_problems(copy, clip_text: str, mandatory: list[str]) -> list[str]:
    """What is wrong with one clip's copy by the issue's checks; [] when it passes."""
    from pipeline.copywriter import keywords

    problems = []
    hook_words = copy.hook.split()
    if not 1 <= len(hook_words) <= 12:
        problems.append(f"hook has {len(hook_words)} words")
    if "…" in copy.hook or "..." in copy.hook:
        problems.append("hook cut with an ellipsis")
    if not is_phrase_of(copy.hook, clip_text):
        problems.append(f"hook is not the clip's words: {copy.hook!r}")
    if hook_words and hook_words[-1].strip(",.!?").lower() in _DANGLING:
        problems.append(f"hook dangles: {copy.hook!r}")
    if len(copy.title) > 70 or not copy.title:
        problems.append(f"title of {len(copy.title)} characters")
    said = " ".join(re.findall(r"[\w']+", clip_text.lower().replace("’", "'")))  # asides count here
    for tag in mandatory:
        if tag not in copy.hashtags:
            problems.append(f"mandatory {tag} missing")
    for tag in copy.hashtags:
        if tag in mandatory:
            continue
        words = keywords.tag_words(tag)
        if not words or any(word.isdigit() or word in keywords.NUMBER_WORDS for word in words):
            problems.append(f"{tag} is a number")
        elif len(words) == 1 and words[0] in keywords.STOP_WORDS:
            problems.append(f"{tag} is a stop word")
        elif any(not re.search(rf"\b{re.escape(word)}", said) for word in words if word != "de"):
            problems.append(f"{tag} is not in the clip")
    return problems


def transcript_for(texts: list[str], language: str, seconds_per_word: float = 0.35) -> tuple[Transcript, ClipsResult]:
    """A transcript whose words are the texts in order, and clips.json with one clip per text."""
    words, clips, t = [], [], 0.0
    for index, text in enumerate(texts):
        start = t
        for token in text.split():
            words.append(Word(text=token, start=round(t, 2), end=round(t + seconds_per_word * 0.9, 2)))
            t += seconds_per_word
        clips.append(ClipProposal(start=start, end=t, text=text, score=0.5 + 0.1 * (index % 4), reason="test"))
        t += 1.0
    transcript = Transcript(language=language, duration=t, words=words, model="test")
    return transcript, ClipsResult(topics=[], clips=clips)


@dataclass
class FakeReply:
    status: int = 200
    body: dict | str = field(default_factory=dict)
    headers: dict = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass
class Recorded:
    path: str
    headers: dict
    body: dict
    method: str = "POST"

    @property
    def structured_by(self) -> str:
        """How an OpenAI chat request asks for structure: 'function_calling' or 'json_schema'."""
        if "tools" in self.body:
            return "function_calling"
        if (self.body.get("response_format") or {}).get("type") == "json_schema":
            return "json_schema"
        return ""

    @property
    def prompt_text(self) -> str:
        """Every piece of text the request carries (system and user turns), joined."""
        return json.dumps(self.body, ensure_ascii=False)

    @property
    def clip_indexes(self) -> list[int]:
        """The clip ids the request asks about (from the clips JSON in the user turn)."""
        return [int(match) for match in re.findall(r'\\?"clip_index\\?": (\d+)', self.prompt_text)]

    @property
    def kind(self) -> str:
        """'classify' or the copy style the request asks for."""
        text = self.prompt_text
        if "clip_styles" in text:
            return "classify"
        for style, marker in (
            ("viral", "scroll-stopping"),
            ("educational", "educational videos"),
            ("storytelling", "into a story"),
        ):
            if marker in text:
                return style
        for style, marker in (
            ("viral", "frenan el scroll"),
            ("educational", "educativos"),
            ("storytelling", "en una historia"),
        ):
            if marker in text:
                return style
        return "unknown"


class FakeServer:
    """A scripted HTTP server in a thread. Use as a context manager."""

    def __init__(self, reply):
        self.reply = reply
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # /v1/models
                self.do_POST()

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
                recorded = Recorded(self.path, dict(self.headers), json.loads(raw or b"{}"), self.command)
                with server._lock:
                    server.requests.append(recorded)
                    number = len(server.requests)
                answer = server.reply(recorded, number)
                if answer.delay_s:
                    time.sleep(answer.delay_s)
                payload = answer.body if isinstance(answer.body, str) else json.dumps(answer.body)
                data = payload.encode()
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    def of_kind(self, kind: str) -> list[Recorded]:
        return [request for request in self.requests if request.kind == kind]


# --- answers in each protocol ---------------------------------------------------------------


def gemini_json(payload: dict | str, tokens_in: int = 100, tokens_out: int = 50) -> FakeReply:
    """A generateContent answer whose text is `payload` (a dict is dumped as JSON)."""
    text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return FakeReply(
        body={
            "candidates": [
                {"content": {"parts": [{"text": text}], "role": "model"}, "finishReason": "STOP", "index": 0}
            ],
            "usageMetadata": {
                "promptTokenCount": tokens_in,
                "candidatesTokenCount": tokens_out,
                "totalTokenCount": tokens_in + tokens_out,
            },
            "modelVersion": "gemini-2.5-flash",
        }
    )


def gemini_error(status: int, headers: dict | None = None) -> FakeReply:
    names = {429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
    return FakeReply(
        status=status,
        body={"error": {"code": status, "message": "fake failure", "status": names.get(status, "UNKNOWN")}},
        headers=headers or {},
    )


def openai_tool_call(payload: dict | str, tool_name: str, tokens_in: int = 100, tokens_out: int = 50) -> FakeReply:
    """A chat completion answering with one tool call whose arguments are `payload`."""
    arguments = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return FakeReply(
        body={
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": "local-model",
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "id": "call_1",
                                "type": "function",
                                "function": {"name": tool_name, "arguments": arguments},
                            }
                        ],
                    },
                    "finish_reason": "tool_calls",
                }
            ],
            "usage": {
                "prompt_tokens": tokens_in,
                "completion_tokens": tokens_out,
                "total_tokens": tokens_in + tokens_out,
            },
        }
    )


def openai_content(payload: dict | str, tokens_in: int = 100, tokens_out: int = 50) -> FakeReply:
    """A chat completion whose message content is `payload` (the JSON-schema answer shape)."""
    content = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return FakeReply(
        body={
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": "local-model",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {
                "prompt_tokens": tokens_in,
                "completion_tokens": tokens_out,
                "total_tokens": tokens_in + tokens_out,
            },
        }
    )


def openai_models(*ids: str) -> FakeReply:
    """GET /v1/models as OpenAI, Ollama and llama.cpp's server answer it."""
    return FakeReply(body={"object": "list", "data": [{"id": id_, "object": "model", "owned_by": "me"} for id_ in ids]})


def openai_error(status: int, headers: dict | None = None) -> FakeReply:
    return FakeReply(
        status=status,
        body={"error": {"message": "fake failure", "type": "server_error", "code": status}},
        headers=headers or {},
    )


def good_copy(
    clip_index: int, *, engagement: float = 8.5, viral: float = 7.0, text: str | None = None, hashtags=None
) -> dict:
    return {
        "clip_index": clip_index,
        "hook": f"Hook for clip {clip_index}?",
        "text": text if text is not None else f"Hook for clip {clip_index}?\nA caption line for clip {clip_index}.",
        "hashtags": hashtags if hashtags is not None else ["#coding", "python"],
        "topics": ["coding", "speed"],
        "engagement_score": engagement,
        "viral_potential": viral,
    }


def classification(clip_indexes: list[int], styles: dict[int, str] | None = None) -> dict:
    styles = styles or {}
    return {
        "classifications": [
            {"clip_index": clip_index, "style": styles.get(clip_index, "educational"), "confidence": 0.9}
            for clip_index in clip_indexes
        ]
    }


# --- one helper per protocol, so each scenario runs against both fakes ------------------------

FAST_RETRY = dict(rate_limit_tries=4, error_tries=3, base_delay_s=0.01, max_delay_s=0.2, timeout_s=2.0)


class GeminiProtocol:
    name = "gemini"
    path = "/v1beta/models/gemini-2.5-flash:generateContent"

    @staticmethod
    def options(url: str, **values) -> PipelineOptions:
        return PipelineOptions(copy_provider="gemini", gemini_api_key="test-key", gemini_base_url=url, **values)

    @staticmethod
    def answer(request: Recorded, payload: dict | str, tokens_in: int = 100, tokens_out: int = 50) -> FakeReply:
        return gemini_json(payload, tokens_in, tokens_out)

    @staticmethod
    def error(status: int, headers: dict | None = None) -> FakeReply:
        return gemini_error(status, headers)


class OpenAIProtocol:
    name = "openai"
    path = "/v1/chat/completions"

    @staticmethod
    def options(url: str, **values) -> PipelineOptions:
        return PipelineOptions(
            copy_provider="openai", openai_base_url=f"{url}/v1", openai_model="local-model", **values
        )

    @staticmethod
    def answer(request: Recorded, payload: dict | str, tokens_in: int = 100, tokens_out: int = 50) -> FakeReply:
        tool = "clip_styles" if request.kind == "classify" else "copy_batch"
        return openai_tool_call(payload, tool, tokens_in, tokens_out)

    @staticmethod
    def error(status: int, headers: dict | None = None) -> FakeReply:
        return openai_error(status, headers)
