"""Framing per shot — single, speaker, split or fit — with the reason, and its ffmpeg filters.

- single: today's tracker follows one face (shots with one face; the path is the reframer's).
- speaker: two faces and clear turns: the crop cuts (never pans) to whoever speaks, each shot
  held at least HOLD_S, the cuts placed to show the speaker as much as the hold allows
  (held_cuts); turns under INTERJECTION_S ("yeah", a laugh) never cut.
- split: two faces whose turns alternate faster than the hold can follow, or who talk at once:
  two stacked halves, each framed on one face (left person on top).
- fit: the whole picture scaled into the frame over a blurred, darkened copy: three or more
  faces, no usable face, or a close-up whose face is wider than the crop.

`plan` is pure: it works from the reframer's path and the stored analysis, so a reviewer's
override is re-planned without looking at the video again.
"""

import numpy as np

from . import crop_plan
from .schemas import Box, CropPath, LayoutSegment, ShotLayout, SpeakerAnalysis

HOLD_S = 1.5  # the shortest time a speaker shot is held
GRID_S = 0.1  # speaker cuts are planned on this grid
CUT_COST_S = 0.25  # a cut must show the speaker this much longer than not cutting: no flitting
INTERJECTION_S = 0.7  # another face's stretch of speech shorter than this never gets a cut
SPLIT_SHORT_SHARE = 0.4  # this share of stretches shorter than the hold: turns alternate too fast
SPLIT_MISS_SHARE = 0.12  # ... or speaker cuts held HOLD_S would miss more of the speech than this
MAX_CUTS_PER_MIN = 26.0  # ... or need more cuts a minute than this
OVERLAP_SHARE = 0.3  # this share of speech with both mouths moving: they talk at once
CLOSE_UP_RATIO = 0.95  # a face wider than this share of the crop cannot be framed by it
SPLIT_FACE_SPAN = 3.0  # a split half is this many face heights tall
REASONS = {
    "single": "1 face: follows it",
    "speaker": "2 speakers, cuts on turns",
    "split": "2 speakers, turns too quick: split",
    "overlap": "2 speakers talking at once: split",
    "fit_wide": "wide shot: fit",
    "fit_none": "no usable face: fit",
    "fit_close": "close-up wider than the crop: fit",
    "quiet": "2 faces, nobody speaks: follows one",
    "override": "reviewer's choice",
}


def runs_of(turns) -> list[list]:
    """[start, end, face] runs of consecutive turns of one face."""
    runs: list[list] = []
    for turn in sorted((t for t in turns if t.face >= 0), key=lambda t: t.start):
        if runs and runs[-1][2] == turn.face:
            runs[-1][1] = turn.end
        else:
            runs.append([turn.start, turn.end, turn.face])
    return runs


def stretches(turns, shot_start: float, shot_end: float) -> list[tuple[float, float, int]]:
    """(start, end, face) runs of one person speaking; interjections folded into the run around them."""
    runs = runs_of(turns)
    changed = True
    while changed and len(runs) > 1:
        changed = False
        for i, run in enumerate(runs):
            if run[1] - run[0] < INTERJECTION_S:
                neighbour = runs[i - 1] if i > 0 else runs[i + 1]
                neighbour[0], neighbour[1] = min(neighbour[0], run[0]), max(neighbour[1], run[1])
                del runs[i]
                for j in range(len(runs) - 1, 0, -1):  # neighbours of the same face join up
                    if runs[j][2] == runs[j - 1][2]:
                        runs[j - 1][1] = runs[j][1]
                        del runs[j]
                changed = True
                break
    return [(max(a, shot_start), min(b, shot_end), face) for a, b, face in runs]


def choose(shot, turns, crop_width: int, aspect: str) -> tuple[str, str]:
    """(layout, reason key) for one shot under the automatic rules."""
    faces = shot.tracks
    if not faces:
        return "fit", "fit_none"
    if len(faces) >= 3 or shot.faces_per_frame >= 3:  # people walking by leave short tracks
        return "fit", "fit_wide"
    if max(f.box.width for f in faces) > CLOSE_UP_RATIO * crop_width:
        return "fit", "fit_close"
    if len(faces) == 1:
        return "single", "single"
    own = [t for t in turns if shot.start <= t.start < shot.end and t.face >= 0]
    if not own:
        return "single", "quiet"
    speech_s = sum(t.end - t.start for t in own)
    overlap_s = sum(t.end - t.start for t in own if t.overlap)
    if aspect != "16:9" and overlap_s / speech_s >= OVERLAP_SHARE:
        return "split", "overlap"
    # Quick exchanges, not interjections: both people have turns shorter than the hold. A
    # listener's "yeah"s are short too, but the speaker's runs around them are long.
    runs = runs_of(own)
    short = [run for run in runs if run[1] - run[0] < HOLD_S]
    quick = len({run[2] for run in short}) == 2 and len(short) / len(runs) >= SPLIT_SHORT_SHARE
    if aspect != "16:9" and len(runs) >= 3 and quick:
        return "split", "split"
    # or the best held cuts would still miss too much of the speech, or cut too often
    cuts, missed = held_cuts(stretches(own, shot.start, shot.end), shot.start, shot.end)
    too_many = (len(cuts) - 1) * 60 / max(shot.end - shot.start, 1e-3) > MAX_CUTS_PER_MIN
    if aspect != "16:9" and (missed > SPLIT_MISS_SHARE or too_many):
        return "split", "split"
    return "speaker", "speaker"


def plan(path: CropPath, shots, turns, *, aspect: str, margin: float, choice: str = "auto", follow=None) -> CropPath:
    """A copy of the reframer's `path` with per-shot layouts (path.speakers) and, for speaker
    shots, the crop cutting between faces (path.xs/ys, path.switches)."""
    planned = path.model_copy(deep=True)
    analysis = SpeakerAnalysis(
        faces=[f for s in shots for f in s.tracks],
        turns=list(turns),
        choice=choice,
        follow_face=follow,
        tracker_xs=list(path.xs),
        tracker_ys=list(path.ys),
    )
    times = np.asarray(path.times, dtype=float)
    xs, ys = np.asarray(path.xs, dtype=float), np.asarray(path.ys, dtype=float)
    switches: list[float] = []
    split_size = _split_size(shots, path, aspect)
    for shot in shots:
        layout, key = choose(shot, turns, path.width, aspect)
        ids = {f.id for f in shot.tracks}
        if follow is not None and follow in ids:
            layout, key = "single", "override"
        elif choice != "auto":
            wanted = choice
            if wanted in ("speaker", "split") and len(shot.tracks) != 2:
                wanted = layout if layout in ("single", "fit") else "single"
            if wanted == "split" and aspect == "16:9":
                wanted = "speaker"
            layout, key = wanted, "override"
        in_shot = (times >= shot.start - 1e-6) & (times < shot.end - 1e-6)
        segments: list[LayoutSegment] = []
        if layout == "single" and follow in ids:
            face = next(f for f in shot.tracks if f.id == follow)
            xs[in_shot], ys[in_shot] = _follow(face, times[in_shot], path, margin)
            segments.append(LayoutSegment(start=shot.start, end=shot.end, faces=[face.id]))
        elif layout == "speaker":
            own = [t for t in turns if shot.start <= t.start < shot.end]
            runs = stretches(own, shot.start, shot.end) or [(shot.start, shot.end, shot.tracks[0].id)]
            bounds, _ = held_cuts(runs, shot.start, shot.end)
            for (low, high), face_id in bounds:
                face = next(f for f in shot.tracks if f.id == face_id)
                inside = (times >= low - 1e-6) & (times < high - 1e-6)
                if inside.any():
                    xs[inside], ys[inside] = _follow(face, times[inside], path, margin)
                first = int(np.argmax(inside)) if inside.any() else 0
                crop = Box(x=int(round(xs[first])), y=int(round(ys[first])), width=path.width, height=path.height)
                segments.append(LayoutSegment(start=low, end=high, faces=[face_id], crop=crop))
                if low > shot.start + 1e-6:
                    switches.append(round(low, 3))
        elif layout == "split":
            top, bottom = shot.tracks[0], shot.tracks[1]
            segments.append(
                LayoutSegment(
                    start=shot.start,
                    end=shot.end,
                    faces=[top.id, bottom.id],
                    top=_split_box(top.box, split_size, path),
                    bottom=_split_box(bottom.box, split_size, path),
                )
            )
        else:
            segments.append(LayoutSegment(start=shot.start, end=shot.end))
        reason = REASONS[key]
        if key == "override":
            reason = f"{REASONS['override']}: {layout}"
        analysis.layouts.append(
            ShotLayout(
                start=shot.start,
                end=shot.end,
                layout=layout,
                reason=reason,
                segments=segments,
                faces_per_frame=shot.faces_per_frame,
            )
        )
    planned.xs = [int(round(x)) for x in xs]
    planned.ys = [int(round(y)) for y in ys]
    planned.switches = sorted(set(switches))
    analysis.summary = summary(analysis.layouts)
    planned.speakers = analysis
    return planned


def summary(layouts: list[ShotLayout]) -> str:
    """The clip card's line: the reasons, longest-shown first."""
    seconds: dict[str, float] = {}
    for shot in layouts:
        seconds[shot.reason] = seconds.get(shot.reason, 0.0) + shot.end - shot.start
    return "; ".join(sorted(seconds, key=seconds.get, reverse=True))


def held_cuts(runs, shot_start: float, shot_end: float) -> tuple[list[tuple[tuple[float, float], int]], float]:
    """Speaker shots: ((start, end), face) shots that show whoever speaks as much as possible,
    each held at least HOLD_S; and the share of the speech they still miss.

    A small dynamic programme over a GRID_S grid (state: the face shown and how long it has been
    held): a hand-over that comes before the hold ends is cut to once the hold allows, if enough
    of it is left to be worth a cut (CUT_COST_S), instead of being skipped whole. Interjections
    are already folded into the runs around them (stretches), so they never cut.
    """
    faces = sorted({face for _, _, face in runs})
    cells = max(1, int(np.ceil((shot_end - shot_start) / GRID_S - 1e-9)))
    if len(faces) < 2 or cells < 2 * round(HOLD_S / GRID_S):
        face = max(faces, key=lambda f: sum(b - a for a, b, g in runs if g == f)) if faces else -1
        return [((shot_start, shot_end), face)], 0.0
    speaker = np.full(cells, -1)
    for a, b, face in runs:
        speaker[int(round((a - shot_start) / GRID_S)) : int(round((b - shot_start) / GRID_S))] = faces.index(face)
    hold = round(HOLD_S / GRID_S)
    cut_cost = CUT_COST_S / GRID_S
    count = len(faces)
    # cost[f, age]: cells missed so far with face f shown for `age` cells (capped at `hold`).
    # Holding on ages a shot by one cell; a cut, allowed only from a held shot, starts one.
    cost = np.full((count, hold + 1), np.inf)
    cost[:, 1] = [float(speaker[0] not in (-1, f)) for f in range(count)]
    kept_held = np.zeros((cells, count), dtype=bool)  # the held state came from a held one
    came_from = np.zeros((cells, count), dtype=np.int32)  # the face a new shot cut from
    others = ~np.eye(count, dtype=bool)
    for i in range(1, cells):
        miss = np.array([float(speaker[i] not in (-1, f)) for f in range(count)])
        new = np.full_like(cost, np.inf)
        new[:, 2:hold] = cost[:, 1 : hold - 1]
        kept_held[i] = cost[:, hold] < cost[:, hold - 1]
        new[:, hold] = np.minimum(cost[:, hold - 1], cost[:, hold])
        cut_from = np.where(others, cost[None, :, hold], np.inf)  # [to, from]
        came_from[i] = np.argmin(cut_from, axis=1)
        new[:, 1] = cut_from.min(axis=1) + cut_cost
        cost = new + miss[:, None]
    f, age = int(np.argmin(cost[:, hold])), hold  # the last shot is held too
    shown = np.zeros(cells, dtype=int)
    for i in range(cells - 1, -1, -1):
        shown[i] = f
        if age == 1:
            f, age = int(came_from[i, f]), hold
        elif age < hold or not kept_held[i, f]:
            age -= 1
    cuts = [shot_start + i * GRID_S for i in range(1, cells) if shown[i] != shown[i - 1]]
    edges = [shot_start, *cuts, shot_end]
    for i in range(1, len(edges) - 1):  # onto the speaker's own start when that close and the hold allows
        face = faces[shown[int(round((edges[i] - shot_start) / GRID_S))]]
        near = [a for a, _, g in runs if g == face and abs(a - edges[i]) <= GRID_S]
        at = min(near, key=lambda a: abs(a - edges[i]), default=edges[i])
        if at - edges[i - 1] >= HOLD_S - 1e-6 and edges[i + 1] - at >= HOLD_S - 1e-6:
            edges[i] = at
    edges = [edges[0], *(round(e, 3) for e in edges[1:-1]), edges[-1]]
    starts = [0, *(int(round((c - shot_start) / GRID_S)) for c in cuts)]
    bounds = [((edges[i], edges[i + 1]), faces[shown[start]]) for i, start in enumerate(starts)]
    speech = int((speaker >= 0).sum())
    missed = int(((speaker >= 0) & (speaker != shown)).sum())
    return bounds, missed / speech if speech else 0.0


def _follow(face, times: np.ndarray, path: CropPath, margin: float) -> tuple[np.ndarray, np.ndarray]:
    """Crop positions that keep one face track in frame (the reframer's keep_in_frame)."""
    track_t = np.asarray(face.times, dtype=float)
    out = []
    for axis, crop_len, source_len in ((0, path.width, path.source_width), (1, path.height, path.source_height)):
        starts = np.interp(times, track_t, [b.x if axis == 0 else b.y for b in face.boxes])
        sizes = np.interp(times, track_t, [b.width if axis == 0 else b.height for b in face.boxes])
        if crop_len >= source_len or not len(times):
            out.append(np.zeros(len(times)))
        else:
            out.append(crop_plan._keep_in_frame(times, starts, sizes, crop_len, source_len, margin))
    return out[0], out[1]


HALF_ASPECTS = {"9:16": (9, 8), "1:1": (2, 1)}  # output halves of the stacked split


def _split_size(shots, path: CropPath, aspect: str) -> tuple[int, int]:
    """One source box size for every split half of the clip (the filter's crop size is fixed)."""
    aw, ah = HALF_ASPECTS.get(aspect, (9, 8))
    heights = [f.box.height for s in shots if len(s.tracks) == 2 for f in s.tracks] or [path.source_height / 4]
    height = min(path.source_height, SPLIT_FACE_SPAN * max(heights))
    width = height * aw / ah
    if width > path.source_width:
        width, height = path.source_width, path.source_width * ah / aw
    return int(width) - int(width) % 2, int(height) - int(height) % 2


def _split_box(face: Box, size: tuple[int, int], path: CropPath) -> Box:
    width, height = size
    cx, cy = face.x + face.width / 2, face.y + face.height / 2
    x = int(np.clip(cx - width / 2, 0, path.source_width - width))
    y = int(np.clip(cy - 0.45 * height, 0, path.source_height - height))
    return Box(x=x, y=y, width=width, height=height)


# --- ffmpeg ----------------------------------------------------------------------------------


def needs_graph(path: CropPath) -> bool:
    """True when some shot is split or fit: the plain crop chain cannot draw it."""
    return bool(path.speakers) and any(s.layout in ("split", "fit") for s in path.speakers.layouts)


def filter_graph(path: CropPath, width: int, height: int, sendcmd: str, crop_chain: str) -> tuple[str, str]:
    """(filtergraph text ending in label [lay], extra sendcmd lines) for a clip with split/fit shots.

    `sendcmd` is the sendcmd filter reading the command file (the crop path's lines plus the
    returned ones); `crop_chain` the plain path's filters (crop@reframe + scale + setsar) for
    single and speaker shots. Each layout present gets one branch; the first is the base and the
    others are overlaid only during their shots (overlay's timeline `enable`).
    """
    layouts = path.speakers.layouts
    present = [name for name in ("single", "speaker", "split", "fit") if any(s.layout == name for s in layouts)]
    branches = []
    if "single" in present or "speaker" in present:
        branches.append(("crop", [s for s in layouts if s.layout in ("single", "speaker")]))
    if "split" in present:
        branches.append(("split", [s for s in layouts if s.layout == "split"]))
    if "fit" in present:
        branches.append(("fit", [s for s in layouts if s.layout == "fit"]))
    parts = [f"[0:v:0]{sendcmd},split={len(branches)}" + "".join(f"[in{i}]" for i in range(len(branches)))]
    commands: list[str] = []
    half = height // 2 - (height // 2) % 2
    for i, (name, shots) in enumerate(branches):
        if name == "crop":
            parts.append(f"[in{i}]{crop_chain}[b{i}]")
        elif name == "split":
            first = shots[0].segments[0]
            w, h = first.top.width, first.top.height
            parts.append(
                f"[in{i}]split[t{i}][u{i}];"
                f"[t{i}]crop@top=w={w}:h={h}:x={first.top.x}:y={first.top.y},scale={width}:{half}[tt{i}];"
                f"[u{i}]crop@bottom=w={w}:h={h}:x={first.bottom.x}:y={first.bottom.y},"
                f"scale={width}:{height - half}[bb{i}];"
                f"[tt{i}][bb{i}]vstack,setsar=1[b{i}]"
            )
            for shot in shots:
                segment = shot.segments[0]
                at = max(0.0, shot.start - 0.02)
                commands.append(
                    f"{at:.4f} crop@top x {segment.top.x}, crop@top y {segment.top.y}, "
                    f"crop@bottom x {segment.bottom.x}, crop@bottom y {segment.bottom.y};"
                )
        else:
            small_w, small_h = max(2, width // 8 // 2 * 2), max(2, height // 8 // 2 * 2)
            parts.append(
                f"[in{i}]split[f{i}][g{i}];"
                f"[f{i}]scale={small_w}:{small_h}:force_original_aspect_ratio=increase,crop={small_w}:{small_h},"
                f"boxblur=6:2,eq=brightness=-0.18:saturation=0.8,scale={width}:{height},setsar=1[bg{i}];"
                f"[g{i}]scale={width}:{height}:force_original_aspect_ratio=decrease,setsar=1[fg{i}];"
                f"[bg{i}][fg{i}]overlay=x=(W-w)/2:y=(H-h)/2[b{i}]"
            )
    current = "b0"
    for i, (_, shots) in enumerate(branches[1:], start=1):
        enable = "+".join(f"between(t,{s.start:.3f},{s.end - 0.001:.3f})" for s in shots)
        parts.append(f"[{current}][b{i}]overlay=x=0:y=0:enable='{enable}'[o{i}]")
        current = f"o{i}"
    parts.append(f"[{current}]null[lay]")
    return ";".join(parts), "\n".join(commands)
