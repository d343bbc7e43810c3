"""An offline sample talk: espeak-ng speech over a panning face photograph, with hard cuts.

Used by the web app's "try a sample video" and by tests. Everything it needs ships with the
system (espeak-ng, ffmpeg) or with packages (scikit-image's astronaut photograph), so it works
without a network. `compose_face_video` is the building block: shots of a coloured background
with face photographs moving linearly across it, joined by hard cuts.
"""

import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError

SCRIPT_DIR = Path(__file__).resolve().parent
# The astronaut photograph cropped around the head: 300x300 px, face box at x 103..206, y 67..170.
HEAD_CROP = (70, 0, 300, 300)  # x, y, w, h in astronaut.png
HEAD_FACE_BOX = (103, 67, 103, 103)  # x, y, w, h inside the head crop, MediaPipe's box
# The cameraman photograph (grayscale), whole: face box at x 200..277, y 122..199.
CAMERA_FACE_BOX = (200, 122, 77, 77)

TALK_EN = """\
Let me start with coffee. Coffee beans are the roasted seeds of a cherry that grows on shrubs \
in the tropics. Farmers pick the ripe red cherries by hand, dry them in the sun, and remove the \
fruit to reach the green beans. Roasting turns those green beans brown and creates the aroma we \
love. A light roast keeps the fruity acidity, while a dark roast tastes bitter and smoky. When \
you brew coffee at home, grind the beans just before brewing, use water slightly below boiling, \
and weigh the coffee and the water. Espresso pushes hot water through finely ground coffee \
under pressure, and a good espresso has a thick golden crema on top.

Now let us leave the kitchen and travel to space. Astronauts on the International Space \
Station orbit the Earth every ninety minutes, so they see sixteen sunrises and sixteen sunsets \
each day. The station flies about four hundred kilometres above the ground at twenty eight \
thousand kilometres per hour. In microgravity muscles and bones grow weaker, so the crew \
exercises for two hours every day on a treadmill and a special weight machine. Rockets launch \
fresh food, water, oxygen tanks and science experiments. Astronauts also grow lettuce in orbit \
and study how plants, crystals and flames behave without gravity.

My third topic is money, and how to build a simple household budget. First, write down your \
monthly income after taxes. Then list your fixed expenses such as rent, insurance and loan \
payments. Next, track variable spending on groceries, transport and restaurants for one month. \
Many people follow the fifty thirty twenty rule: fifty percent for needs, thirty percent for \
wants, and twenty percent for savings and paying off debt. Keep an emergency fund that covers \
three to six months of expenses in a separate savings account, and pay off credit cards with \
high interest rates first.

Finally, a few words about the ocean and its tides. Tides are the regular rise and fall of the \
sea, caused mainly by the gravity of the Moon pulling on the water of our planet. Most beaches \
get two high tides and two low tides every day. When the Sun and the Moon line up, we get \
spring tides with the biggest difference between high and low water. Tide pools left behind on \
rocky shores are home to crabs, starfish, sea anemones and small fish that survive the waves. \
Fishermen and sailors check tide tables before they leave the harbour. Thank you for listening.
"""

DEFAULT_SCRIPTS = {"en": TALK_EN}


@dataclass(frozen=True)
class Placement:
    """A face photograph moving linearly from (x0, y0) to (x1, y1) during a shot.

    Positions are the photograph's top-left corner in output pixels; `scale` multiplies the
    photograph's size (head crop: 300 px; cameraman: 512 px).
    """

    x0: float
    y0: float
    x1: float | None = None  # None = does not move
    y1: float | None = None
    scale: float = 1.0
    photo: str = "astronaut"  # "astronaut" (head crop, colour) or "camera" (grayscale man)

    def position_at(self, t: float, duration_s: float) -> tuple[float, float]:
        """Top-left corner at `t` seconds into a shot of `duration_s` seconds."""
        u = min(max(t / duration_s, 0.0), 1.0) if duration_s > 0 else 0.0
        x1 = self.x0 if self.x1 is None else self.x1
        y1 = self.y0 if self.y1 is None else self.y1
        return self.x0 + (x1 - self.x0) * u, self.y0 + (y1 - self.y0) * u

    def face_box_at(self, t: float, duration_s: float) -> tuple[float, float, float, float]:
        """Approximate face box (x, y, w, h) in output pixels, as MediaPipe reports it."""
        left, top = self.position_at(t, duration_s)
        fx, fy, fw, fh = HEAD_FACE_BOX if self.photo == "astronaut" else CAMERA_FACE_BOX
        s = self.scale
        return left + fx * s, top + fy * s, fw * s, fh * s


@dataclass(frozen=True)
class Shot:
    """One camera shot: a background colour (0xRRGGBB) and the photographs on it."""

    duration_s: float
    background: str = "0x2f5d50"
    faces: tuple[Placement, ...] = field(default_factory=tuple)


def write_photos(directory: Path) -> dict[str, Path]:
    """Write the face photographs as PNG files into `directory`; returns {name: path}."""
    import cv2
    import numpy as np
    import skimage.data

    x, y, w, h = HEAD_CROP
    head = skimage.data.astronaut()[y : y + h, x : x + w]
    camera = np.stack([skimage.data.camera()] * 3, axis=-1)
    paths = {"astronaut": directory / "astronaut_head.png", "camera": directory / "camera.png"}
    cv2.imwrite(str(paths["astronaut"]), cv2.cvtColor(head, cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(paths["camera"]), camera)
    return paths


def compose_face_video(
    out_path: Path,
    shots: list[Shot],
    *,
    width: int = 640,
    height: int = 360,
    fps: int = 25,
    audio_path: Path | None = None,
    crf: int = 23,
) -> Path:
    """Render shots joined by hard cuts into an H.264 + AAC MP4 in one ffmpeg run.

    Without `audio_path` the audio track is a quiet 440 Hz tone as long as the video. With it,
    the video is as long as the shots (the audio is cut or padded with silence to match).
    """
    out_path = Path(out_path)
    total_s = sum(shot.duration_s for shot in shots)
    with tempfile.TemporaryDirectory(prefix="cliper-compose-") as tmp:
        photos = write_photos(Path(tmp))
        args = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
        graph = []
        input_index = 0
        for i, shot in enumerate(shots):
            graph.append(f"color=c={shot.background}:s={width}x{height}:r={fps}:d={shot.duration_s:.3f}[s{i}_0]")
            for j, face in enumerate(shot.faces):
                args += ["-i", f"file:{photos[face.photo]}"]
                d = shot.duration_s
                x1 = face.x0 if face.x1 is None else face.x1
                y1 = face.y0 if face.y1 is None else face.y1
                x_expr = f"{face.x0:.2f}+({x1 - face.x0:.2f})*min(t/{d:.3f}\\,1)"
                y_expr = f"{face.y0:.2f}+({y1 - face.y0:.2f})*min(t/{d:.3f}\\,1)"
                # One decoded frame repeated in memory: decoding the PNG per frame was 10x slower.
                graph.append(
                    f"[{input_index}:v]scale=iw*{face.scale}:-1,loop=loop=-1:size=1,setpts=N/{fps}/TB[p{i}_{j}]"
                )
                graph.append(
                    f"[s{i}_{j}][p{i}_{j}]overlay=x='{x_expr}':y='{y_expr}':eval=frame:shortest=1[s{i}_{j + 1}]"
                )
                input_index += 1
            graph.append(f"[s{i}_{len(shot.faces)}]setsar=1[shot{i}]")
        graph.append("".join(f"[shot{i}]" for i in range(len(shots))) + f"concat=n={len(shots)}:v=1:a=0[v]")
        if audio_path is None:
            args += ["-f", "lavfi", "-i", f"sine=f=440:r=48000:d={total_s:.3f},volume=0.05"]
        else:
            args += ["-i", f"file:{audio_path}"]
        graph.append(f"[{input_index}:a]apad,atrim=0:{total_s:.3f},aresample=48000[a]")
        args += ["-filter_complex", ";".join(graph), "-map", "[v]", "-map", "[a]"]
        args += ["-c:v", "libx264", "-preset", "ultrafast", "-crf", str(crf), "-pix_fmt", "yuv420p"]
        args += ["-g", str(fps * 2), "-c:a", "aac", "-b:a", "96k", "-t", f"{total_s:.3f}"]
        args += ["-movflags", "+faststart", f"file:{out_path}"]
        result = subprocess.run(args, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"ffmpeg failed composing {out_path.name}: {result.stderr[-2000:]}")
    return out_path


def speak(text: str, wav_path: Path, *, language: str = "en", words_per_minute: int = 160) -> Path:
    """Synthesize `text` with espeak-ng into a WAV file (22.05 kHz mono)."""
    result = subprocess.run(
        ["espeak-ng", "-v", language, "-s", str(words_per_minute), "-w", str(wav_path), "--stdin"],
        input=text,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0 or not Path(wav_path).exists():
        raise InputError(f"espeak-ng could not speak language {language!r}: {result.stderr.strip()[-300:]}")
    return Path(wav_path)


def media_duration_s(path: Path) -> float:
    """Container duration in seconds, from ffprobe."""
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", f"file:{path}"],
        capture_output=True,
        text=True,
    )
    return float(result.stdout.strip())


def sample_shots(total_s: float, width: int, height: int) -> list[Shot]:
    """Four shots: wide slow pan, cut to a close-up, a two-person framing, a final slow pan."""
    head = 300
    wide = 0.9 * height / head  # the head photograph fills 90 % of the height
    close = 1.0 * height / head * 1.0
    top_wide = (height - head * wide) / 2
    fractions = (0.3, 0.25, 0.2, 0.25)
    durations = [total_s * f for f in fractions]
    w_wide = head * wide
    return [
        Shot(durations[0], "0x2f5d50", (Placement(0.12 * width, top_wide, 0.45 * width, top_wide, wide),)),
        Shot(durations[1], "0x3b3f7a", (Placement(width - w_wide - 0.1 * width, 0, scale=close),)),
        Shot(
            durations[2],
            "0x6b4a2e",
            (
                Placement(0.05 * width, top_wide, scale=wide),
                Placement(0.62 * width, height * 0.2, scale=0.55 * height / 512, photo="camera"),
            ),
        ),
        Shot(durations[3], "0x2f5d50", (Placement(0.5 * width, top_wide, 0.2 * width, top_wide, wide),)),
    ]


def make_sample_talk(
    out_path: Path,
    *,
    language: str = "en",
    width: int = 1280,
    height: int = 720,
    fps: int = 25,
    text: str | None = None,
) -> Path:
    """Write an offline talking-head sample video (H.264 + AAC MP4) and return its path.

    The default script (English) is about 2.5 minutes of speech on four unrelated topics
    (coffee, space station, household budget, ocean tides), so clip finding yields several clips.
    Pass `text` for another script or language (an espeak-ng voice name such as "es").
    """
    if text is None:
        if language not in DEFAULT_SCRIPTS:
            raise InputError(f"No sample script for language {language!r}: pass the text to speak")
        text = DEFAULT_SCRIPTS[language]
    out_path = Path(out_path)
    with tempfile.TemporaryDirectory(prefix="cliper-sample-") as tmp:
        wav_path = speak(text, Path(tmp) / "speech.wav", language=language)
        total_s = media_duration_s(wav_path) + 0.5
        shots = sample_shots(total_s, width, height)
        # CRF 28: x264 is most of the time here, and the picture is a photograph on a flat colour
        compose_face_video(out_path, shots, width=width, height=height, fps=fps, audio_path=wav_path, crf=28)
    return out_path
