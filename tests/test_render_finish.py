"""Finals that are really final: loudness normalised to the target, pauses trimmed with the
subtitles still on the words, all inside the single encode; every caption style option
visibly changes the rendered frame."""

import re
import subprocess

import numpy as np
import pytest

from pipeline import pacing
from pipeline.caption_frame import render_caption_frame
from pipeline.render import render_clip
from pipeline.sample import Shot, compose_face_video, speak
from pipeline.schemas import CaptionStyle, Word
from pipeline.sound import analyse
from tests.media_support import FPS, HEIGHT, WIDTH, head, probe

pytestmark = pytest.mark.slow

PHRASES = ["Coffee is roasted.", "Beans grow on trees.", "Espresso is strong.", "Tea is calmer."]
GAPS_S = [0.4, 1.4, 0.35, 1.1, 0.5]  # before the first phrase, between phrases, after the last
QUIET_DB = -16  # the source is made this much quieter than espeak-ng speaks, far from the target


def speech_spans(path, noise_db=-40, min_silence_s=0.15) -> list[tuple[float, float]]:
    """Where a file's sound is speech: the complement of ffmpeg's silencedetect."""
    log = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats", "-i", f"file:{path}", "-map", "0:a:0",
         "-af", f"silencedetect=noise={noise_db}dB:d={min_silence_s}", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    ).stderr  # fmt: skip
    starts = [float(x) for x in re.findall(r"silence_start: (-?[\d.]+)", log)]
    ends = [float(x) for x in re.findall(r"silence_end: (-?[\d.]+)", log)]
    duration = float(probe(path)["format"]["duration"])
    edges = sorted([(max(0.0, s), "start") for s in starts] + [(e, "end") for e in ends])
    spans, speaking_from = [], 0.0
    for t, kind in edges:
        if kind == "start" and t > speaking_from + 0.02:
            spans.append((speaking_from, t))
        if kind == "end":
            speaking_from = t
    if edges and edges[-1][1] == "end" and duration > speaking_from + 0.05:
        spans.append((speaking_from, duration))
    return spans


def integrated_loudness(path) -> float:
    log = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats", "-i", f"file:{path}", "-map", "0:a:0", "-af", "ebur128", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    ).stderr  # fmt: skip
    return float(re.findall(r"I:\s+(-?[\d.]+) LUFS", log)[-1])


@pytest.fixture(scope="module")
def talk(tmp_path_factory):
    """A face video whose speech is PHRASES separated by GAPS_S of silence, quieter than usual;
    returns (video, words) with one Word per phrase at its measured speech span."""
    folder = tmp_path_factory.mktemp("finish")
    pieces = []
    for i, phrase in enumerate(PHRASES):
        pieces.append(speak(phrase, folder / f"p{i}.wav"))
    inputs, labels, filters = [], [], []
    for i, gap_s in enumerate(GAPS_S):
        filters.append(f"aevalsrc=0:d={gap_s}:s=22050[g{i}]")
        labels.append(f"[g{i}]")
        if i < len(pieces):
            inputs += ["-i", str(pieces[i])]
            labels.append(f"[{i}:a]")
    wav = folder / "speech.wav"
    graph = ";".join(filters) + ";" + "".join(labels) + f"concat=n={len(labels)}:v=0:a=1,volume={QUIET_DB}dB"
    subprocess.run(["ffmpeg", "-v", "error", "-y", *inputs, "-filter_complex", graph, str(wav)], check=True)
    spans = speech_spans(wav)
    # espeak-ng pauses inside a phrase are short; merge anything closer than 0.3 s
    merged = []
    for a, b in spans:
        if merged and a - merged[-1][1] < 0.3:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    assert len(merged) == len(PHRASES), merged
    duration_s = float(probe(wav)["format"]["duration"])
    video = compose_face_video(
        folder / "talk.mp4", [Shot(duration_s, "0x2f5d50", (head(200),))],
        width=WIDTH, height=HEIGHT, fps=FPS, audio_path=wav,
    )  # fmt: skip
    words = [Word(text=text, start=a, end=b) for text, (a, b) in zip(PHRASES, merged)]
    return video, words


def test_a_final_is_normalised_to_the_target_loudness_in_one_encode(talk, tmp_path, monkeypatch):
    video, words = talk
    encodes = []
    real_popen = subprocess.Popen

    def counting_popen(cmd, *args, **kwargs):
        if "libx264" in cmd:
            encodes.append(cmd)
        return real_popen(cmd, *args, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", counting_popen)  # every ffmpeg the render starts
    source_lufs = integrated_loudness(video)
    for target in (-14.0, -20.0):
        out = tmp_path / f"final{target}.mp4"
        render_clip(video, 0, 9, out, words=words, preview=True, loudness_lufs=target, true_peak_db=-1.0)
        assert abs(integrated_loudness(out) - target) <= 1.0, f"target {target}, source {source_lufs:.1f}"
    assert abs(source_lufs - -14.0) > 4, "the source must start far from the target"
    assert len(encodes) == 2, "one video encode per render"
    plain = tmp_path / "plain.mp4"
    render_clip(video, 0, 9, plain, words=words, preview=True)
    assert abs(integrated_loudness(plain) - source_lufs) < 1.0, "without a target the level is kept"


def test_a_trimmed_clip_is_shorter_by_the_pauses_and_its_subtitles_stay_on_the_words(talk, tmp_path):
    video, words = talk
    duration_s = float(probe(video)["format"]["duration"])
    plain, trimmed = tmp_path / "plain.mp4", tmp_path / "trimmed.mp4"
    render_clip(video, 0, duration_s, plain, words=words)
    render_clip(video, 0, duration_s, trimmed, words=words, trim_pause_s=0.6)

    # the pauses as heard (espeak-ng adds a little silence around each phrase)
    edges = [0.0] + [t for w in words for t in (w.start, w.end)] + [duration_s]
    pauses = [b - a for a, b in zip(edges[::2], edges[1::2])]
    long_pauses = [p for p in pauses if p > 0.6]
    assert len(long_pauses) >= 2
    expected_removed_s = sum(p - 2 * pacing.KEEP_S for p in long_pauses)
    plain_s, trimmed_s = (float(probe(p)["format"]["duration"]) for p in (plain, trimmed))
    tolerance_s = 2 / FPS * len(long_pauses)  # each cut starts and ends on a frame
    assert abs((plain_s - trimmed_s) - expected_removed_s) < tolerance_s, (plain_s, trimmed_s, expected_removed_s)
    streams = {s["codec_type"]: float(s["duration"]) for s in probe(trimmed)["streams"]}
    assert abs(streams["video"] - streams["audio"]) < 0.1, "picture and sound stay in step"

    # Each cue starts where its phrase is heard in the trimmed output's own sound.
    heard = [a for a, _ in speech_spans(trimmed)]
    srt = trimmed.with_suffix(".srt").read_text()
    cue_starts = [
        int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000
        for h, m, s, ms in re.findall(r"(\d+):(\d+):(\d+),(\d+) -->", srt)
    ]
    assert [line for line in srt.splitlines() if line.endswith(".")] == PHRASES
    assert len(heard) == len(cue_starts) == len(PHRASES)
    for cue_s, heard_s in zip(cue_starts, heard):
        assert abs(cue_s - heard_s) < 0.1, (cue_starts, heard)
    # no pause longer than the setting is left
    spans = speech_spans(trimmed)
    assert max(b[0] - a[1] for a, b in zip(spans, spans[1:])) < 0.6


def test_pauses_that_are_not_silent_are_not_cut(talk):
    video, words = talk
    analysis = analyse(video, 0, 9)
    assert analysis.silences, "the gaps between phrases are silent"
    # Words that say there is a long pause where the sound has speech: nothing to cut there.
    spoken = [(w.start, w.end) for w in words]
    fake = [(spoken[0][0], spoken[0][0] + 0.1), (spoken[2][0], spoken[2][1])]  # "gap" over phrase 1
    cuts = pacing.plan_cuts(fake, 9.0, FPS, min_pause_s=0.6, silences=analysis.silences).cuts
    phrase = spoken[1]
    assert not [c for c in cuts if c[0] < phrase[1] and c[1] > phrase[0]], cuts


def test_the_time_map_shifts_words_after_each_cut():
    shift = pacing.TimeMap(((1.0, 1.5), (3.0, 4.0)))
    assert [shift(t) for t in (0.5, 1.2, 2.0, 3.5, 5.0)] == [0.5, 1.0, 1.5, 2.5, 3.5]
    assert shift.keep_segments(6.0) == [(0.0, 1.0), (1.5, 3.0), (4.0, 6.0)]


STYLE_CHANGES = [
    {"font": "Bebas Neue"},
    {"bold": True},
    {"size_pct": 9},
    {"text_colour": "#00FF00"},
    {"karaoke": True, "highlight_colour": "#FF00FF"},
    {"outline_pct": 0},
    {"outline_colour": "#FF0000"},
    {"shadow_pct": 0},
    {"shadow_colour": "#FF0000", "shadow_pct": 12},
    {"box": True},
    {"box": True, "box_colour": "#0000FF", "box_opacity": 1.0},
    {"bottom_pct": 50},
    {"uppercase": True},
    {"words_per_line": 1},
    {"lines_per_cue": 1},
    {"hook_title": True},
]


@pytest.fixture(scope="module")
def frame_words():
    text = "Coffee beans are roasted seeds and espresso pushes hot water through finely ground coffee"
    return [Word(text=w, start=0.1 + i * 0.3, end=0.35 + i * 0.3) for i, w in enumerate(text.split())]


def frame(video, words, style) -> np.ndarray:
    import cv2

    data = render_caption_frame(video, 0, 9, 0.5, words=words, style=style, hook_text="Why coffee wins")
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)


@pytest.mark.parametrize("change", STYLE_CHANGES, ids=lambda c: "+".join(c))
def test_every_style_option_visibly_changes_the_rendered_frame(talk, frame_words, change):
    video, _ = talk
    base_style = CaptionStyle(words_per_line=0, lines_per_cue=2)
    base, changed = frame(video, frame_words, base_style), frame(video, frame_words, CaptionStyle(**change))
    assert base.shape == changed.shape == (960, 540, 3)
    differs = (np.abs(base.astype(int) - changed.astype(int)).max(axis=2) > 40).mean()
    assert differs > 0.0005, f"{change} changed {differs:.5f} of the frame"
