"""Crop paths computed from composed videos with a real face photograph at known places."""

import numpy as np
import pytest

from pipeline import config
from pipeline.crop_plan import crop_size, positions_per_frame
from pipeline.face_analysis import crop_path
from pipeline.sample import Shot
from tests.media_support import FPS, HEIGHT, WIDTH, face_box, face_video, head

STILL = [Shot(3.0, faces=(head(200),))]
PAN = [Shot(5.0, faces=(head(0, 400),))]
CUT = [Shot(2.0, "0x2f5d50", (head(20),)), Shot(2.0, "0x3b3f7a", (head(380),))]
TWO_EQUAL = [Shot(3.0, faces=(head(20), head(380)))]
BIG_AND_SMALL = [Shot(3.0, faces=(head(0), head(440, scale=0.6)))]
NO_FACE = [Shot(2.0)]


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reframe")
    named = {
        "still": STILL,
        "pan": PAN,
        "cut": CUT,
        "two_equal": TWO_EQUAL,
        "big_and_small": BIG_AND_SMALL,
        "no_face": NO_FACE,
    }
    return {name: face_video(folder / f"{name}.mp4", shots) for name, shots in named.items()}


def assert_face_inside(path, shots, slack_px=4, index=0):
    for t, x in zip(path.times, path.xs):
        fx, _, fw, _ = face_box(shots, t, index)
        assert x - slack_px <= fx and fx + fw <= x + path.width + slack_px, f"face outside crop at {t:.2f} s"


def test_crop_size_fits_the_aspect_inside_the_source():
    assert crop_size(1920, 1080, "9:16") == (608, 1080)
    assert crop_size(1920, 1080, "1:1") == (1080, 1080)
    assert crop_size(1920, 1080, "16:9") == (1920, 1080)
    assert crop_size(1080, 1920, "16:9") == (1080, 608)
    assert crop_size(WIDTH, HEIGHT, "9:16") == (202, 360)


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["keep_in_frame", "centered"])
def test_the_crop_holds_still_while_the_face_is_still(videos, strategy):
    path = crop_path(videos["still"], 0, 3.0, strategy=strategy)
    assert (path.width, path.height, path.source_width) == (202, 360, WIDTH)
    assert path.frames_analysed == path.faces_seen >= 24  # 75 frames, every 3rd
    assert max(path.xs) - min(path.xs) == 0
    assert path.cuts == [] and path.warning == ""
    assert_face_inside(path, STILL)


@pytest.mark.slow
def test_keep_in_frame_follows_a_panning_face_with_eased_moves(videos):
    path = crop_path(videos["pan"], 0, 5.0)
    assert_face_inside(path, PAN)
    steps = np.diff(path.xs)
    assert (steps >= 0).all(), "the crop went backwards while the face moved one way"
    assert path.xs[-1] - path.xs[0] > 300
    assert np.abs(steps).max() <= 40, "a jump instead of eased motion"
    assert steps[0] == 0, "the crop moved while the face was still inside the safe zone"
    moving = steps[steps > 0]
    assert moving[0] < np.median(moving), "the move did not ease in"


@pytest.mark.slow
def test_centered_follows_a_panning_face_smoothly(videos):
    path = crop_path(videos["pan"], 0, 5.0, strategy="centered")
    assert_face_inside(path, PAN)
    steps = np.diff(path.xs)
    assert (steps >= 0).all()
    assert np.abs(np.diff(steps)).max() <= 12, "jitter: the crop speed changes abruptly"


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["keep_in_frame", "centered"])
def test_the_path_resets_at_a_camera_cut(videos, strategy):
    path = crop_path(videos["cut"], 0, 4.0, strategy=strategy)
    assert len(path.cuts) == 1 and abs(path.cuts[0] - 2.0) <= 1.5 / FPS
    assert_face_inside(path, CUT)
    before = [x for t, x in zip(path.times, path.xs) if t < path.cuts[0]]
    after = [x for t, x in zip(path.times, path.xs) if t >= path.cuts[0]]
    assert max(before) - min(before) <= 2 and max(after) - min(after) <= 2
    assert after[0] - before[-1] > 300  # a step at the cut ...
    xs, _ = positions_per_frame(path, 4 * FPS, FPS)
    cut_frame = round(path.cuts[0] * FPS)
    assert set(xs[:cut_frame]) == {before[-1]} and set(xs[cut_frame:]) == {after[0]}  # ... no slide


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["keep_in_frame", "centered"])
def test_two_faces_one_is_followed_without_flip_flopping(videos, strategy):
    path = crop_path(videos["two_equal"], 0, 3.0, strategy=strategy)
    assert path.faces_seen == path.frames_analysed
    assert max(path.xs) - min(path.xs) <= 2
    followed = 0 if path.xs[0] < WIDTH / 2 - path.width / 2 else 1
    assert_face_inside(path, TWO_EQUAL, index=followed)
    big = crop_path(videos["big_and_small"], 0, 3.0, strategy=strategy)
    assert_face_inside(big, BIG_AND_SMALL)  # the larger face, index 0


@pytest.mark.slow
def test_no_face_gives_a_centre_crop_and_a_warning(videos):
    path = crop_path(videos["no_face"], 0, 2.0)
    assert "No face found" in path.warning
    assert set(path.xs) == {(WIDTH - 202) // 2} and path.faces_seen == 0


@pytest.mark.slow
def test_a_missing_detector_model_never_fails_the_crop(videos, tmp_path, monkeypatch):
    no_models = config.Settings(models_dir=tmp_path)  # no model files here
    monkeypatch.setattr(config, "current", lambda: no_models)
    path = crop_path(videos["still"], 0, 3.0)
    assert path.warning.startswith("Face detection failed")
    assert set(path.xs) == {(WIDTH - 202) // 2}


@pytest.mark.slow
def test_only_the_clip_range_is_analysed_and_times_are_clip_relative(videos):
    path = crop_path(videos["cut"], 1.0, 3.0, aspect="1:1", sample_every=2)
    assert (path.width, path.height) == (360, 360)
    assert path.times[0] == 0.0 and path.times[-1] < 2.0
    assert len(path.cuts) == 1 and abs(path.cuts[0] - 1.0) <= 1.5 / FPS
    full = crop_path(videos["cut"], 0, 4.0, aspect="16:9")
    assert (full.width, full.height, full.frames_analysed) == (WIDTH, HEIGHT, 0)
