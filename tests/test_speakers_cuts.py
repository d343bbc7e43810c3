"""Where speaker shots cut, whose turn a turn is, and where the two-face decode finds camera cuts."""

import subprocess

import numpy as np
import pytest

from pipeline import face_analysis, layouts, lips, speakers
from pipeline.probe import probe_video
from pipeline.schemas import SpeechTurn
from tests import speaker_panels as panels


def shots_of(bounds):
    return [(round(low, 2), round(high, 2), face) for (low, high), face in bounds]


def test_a_hand_over_inside_the_hold_is_cut_to_once_the_hold_allows():
    # B answers 1.2 s after A's shot began: the old rule skipped B's whole 2.2 s answer
    runs = [(0.0, 1.2, 0), (1.2, 3.4, 1), (3.4, 6.0, 0)]
    bounds, missed = layouts.held_cuts(runs, 0.0, 6.0)
    assert shots_of(bounds) == [(0.0, 1.5, 0), (1.5, 3.4, 1), (3.4, 6.0, 0)]
    assert missed == pytest.approx(0.3 / 6.0, abs=0.02)


def test_every_speaker_shot_is_held_and_the_crop_never_flits():
    rng = np.random.default_rng(3)
    for _ in range(30):
        at, runs, face = 0.0, [], 0
        while at < 20:
            length = float(rng.uniform(0.3, 3.0))
            runs.append((at, at + length, face))
            at, face = at + length, 1 - face
        bounds, _ = layouts.held_cuts(runs, 0.0, at)
        lengths = [high - low for (low, high), _ in bounds]
        assert min(lengths[:-1], default=layouts.HOLD_S) >= layouts.HOLD_S - 1e-6
        assert lengths[-1] >= layouts.HOLD_S - layouts.GRID_S  # the grid ends within a cell of the shot
        assert all(a[1] != b[1] for a, b in zip(bounds, bounds[1:]))  # every cut changes the face
        assert bounds[0][0][0] == 0.0 and bounds[-1][0][1] == at


def test_a_first_speaker_too_short_to_hold_costs_less_than_skipping_the_next():
    bounds, _ = layouts.held_cuts([(0.0, 0.4, 0), (0.4, 5.0, 1)], 0.0, 5.0)
    assert shots_of(bounds) == [(0.0, 5.0, 1)]
    bounds, _ = layouts.held_cuts([(0.0, 1.2, 0), (1.2, 5.0, 1)], 0.0, 5.0)
    assert shots_of(bounds) == [(0.0, 1.5, 0), (1.5, 5.0, 1)]


def test_speech_that_cuts_cannot_follow_is_split():
    # 1.2 s answers back and forth: held cuts would miss about a fifth of it
    turns = [SpeechTurn(start=i * 1.2, end=(i + 1) * 1.2, face=i % 2) for i in range(10)]
    tracks = [_track(0, 100), _track(1, 1300)]
    shot = speakers.ShotFaces(0, 0.0, 12.0, tracks)
    assert layouts.choose(shot, turns, 608, "9:16") == ("split", "split")
    long_turns = [SpeechTurn(start=i * 4.0, end=(i + 1) * 4.0, face=i % 2) for i in range(3)]
    assert layouts.choose(shot, long_turns, 608, "9:16") == ("speaker", "speaker")


def _track(track_id, x):
    from pipeline.schemas import Box, FaceTrack

    box = Box(x=x, y=300, width=200, height=200)
    return FaceTrack(id=track_id, shot=0, box=box, times=[0.0, 12.0], boxes=[box, box])


def test_clear_lips_overrule_a_short_turns_voice_but_not_a_close_call():
    turns = [SpeechTurn(start=2.0 * i, end=2.0 * i + 1.5) for i in range(6)]
    voices = [0, 1, 0, 1, 0, 0]  # the last turn's voice embedding went with voice 0 ...
    scores = np.array([[1.0, 0.3], [0.3, 1.0], [1.0, 0.3], [0.3, 1.0], [1.0, 0.4], [0.3, 0.9]])
    speakers.assign_turns(turns, scores, voices, [7, 8])
    assert [t.face for t in turns] == [7, 8, 7, 8, 7, 8]  # ... but only face 8's mouth moved
    close = [SpeechTurn(start=2.0 * i, end=2.0 * i + 1.5) for i in range(6)]
    scores[5] = [0.8, 1.0]  # both mouths move: the voice decides
    speakers.assign_turns(close, scores, voices, [7, 8])
    assert close[5].face == 7


@pytest.mark.slow
@pytest.mark.skipif(not panels.available(), reason=panels.MISSING)
def test_the_two_face_decode_finds_camera_cuts_on_the_frames_a_full_decode_does(tmp_path):
    """It skips unreferenced frames (x264's default B-frames here), yet cuts land on the same
    frames: encoders start a new scene on a reference frame. Lips are measured in speech only:
    the sound is the first shot's only, so the last shot (two people, silent) gets none."""
    turns = [panels.Turn(0, 0.3, 2.3), panels.Turn(1, 0.5, 2.9)]
    first = panels.compose(tmp_path / "a.mp4", ("lbbc2a", "swiz3n"), turns, places=((60, 200), (700, 120)))
    second = panels.compose(tmp_path / "b.mp4", ("sbia1a", "brbk7n"), turns, places=((500, 40), (40, 300)))
    crowd = panels.MEDIA_DIR / "crowd" / "station.mp4"
    video = tmp_path / "cuts.mp4"
    parts = "".join(
        f"[{i}:v]scale=1280:720,fps=25,setsar=1,trim=duration={d},setpts=PTS-STARTPTS[v{i}];"
        for i, d in enumerate((2.28, 1.72, 2.6))
    )
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(first.path), "-i", str(crowd), "-i", str(second.path),
         "-filter_complex", f"{parts}[v0][v1][v2]concat=n=3:v=1:a=0[v];[0:a]atrim=duration=2.28[a]",
         "-map", "[v]", "-map", "[a]",
         "-c:v", "libx264", "-preset", "medium", "-c:a", "aac", str(video)],
        check=True, capture_output=True,
    )  # fmt: skip
    info = probe_video(video)
    full = face_analysis._decode(video, info, 0.0, info.duration_s, 3, None)
    two_face = face_analysis._decode(video, info, 0.0, info.duration_s, 3, None, with_lips=True)
    assert len(full.cuts) >= 2
    assert two_face.cuts == full.cuts
    assert two_face.times == full.times
    assert two_face.lips_measured and two_face.mouths
    speech = two_face.sound.speech
    assert speech and speech[-1][1] <= 2.3  # the sound is the first shot's only
    assert all(lips.in_speech(m.t, speech) for m in two_face.mouths)
    assert {m.shot for m in two_face.mouths} == {0}
