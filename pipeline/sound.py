"""The sound of a clip: an audio-only ffmpeg pass measures its loudness (EBU R128, loudnorm's
first pass) and finds its silences; the final render applies the gain in its single encode.

Measuring costs a decode of the clip's audio only (a few hundredths of the clip's duration, one
to three more when peaks must be limited), so it is done once per clip and target and kept
beside the crop path; the video encode is never repeated.
"""

import json
import re
import subprocess
from pathlib import Path

from pydantic import BaseModel, Field

from .errors import InputError
from .probe import input_args

SILENCE_NOISE_DB = -35  # below this (dBFS) for SILENCE_MIN_S counts as silence
SILENCE_MIN_S = 0.3
SILENCE_FILTER = f"silencedetect=noise={SILENCE_NOISE_DB}dB:d={SILENCE_MIN_S},"
TRUE_PEAK_MARGIN_DB = 0.5
LIMITER_ROUNDS = 3
_SILENCE_START = re.compile(r"silence_start: (-?[\d.]+)")
_SILENCE_END = re.compile(r"silence_end: (-?[\d.]+)")


class GainPlan(BaseModel):
    """The gain that brings one clip to a loudness target."""

    target_lufs: float
    true_peak_db: float
    gain_db: float
    limit: bool = False  # a peak limiter after the gain keeps the true peak under the target
    expected_lufs: float  # measured through the same filters


class AudioAnalysis(BaseModel):
    """What the analysis pass measured over one clip (times clip-relative seconds)."""

    input_i: float  # integrated loudness, LUFS
    input_tp: float  # true peak, dBTP
    input_lra: float  # loudness range, LU
    input_thresh: float  # the relative gate, LUFS
    silences: list[tuple[float, float]] = Field(default_factory=list)
    gain: GainPlan | None = None

    @property
    def is_silent(self) -> bool:
        return self.input_i < -69  # loudnorm reports -70 (the absolute gate) for digital silence


def analyse(
    media_path: Path, start_s: float, duration_s: float, *, target_lufs: float | None = None, true_peak_db: float = -1.0
) -> AudioAnalysis:
    """Loudness and silences of source seconds start_s..start_s+duration_s (audio decode only),
    and with `target_lufs` the gain that reaches it (GainPlan)."""
    log = _measure(media_path, start_s, duration_s, SILENCE_FILTER)
    analysis = AudioAnalysis(**_loudness(log, media_path), silences=_silences(log, duration_s))
    if target_lufs is not None:
        analysis.gain = plan_gain(media_path, start_s, duration_s, analysis, target_lufs, true_peak_db)
    return analysis


def plan_gain(
    media_path: Path,
    start_s: float,
    duration_s: float,
    analysis: AudioAnalysis,
    target_lufs: float,
    true_peak_db: float,
) -> GainPlan:
    """A constant gain to the target when the peaks allow it (loudnorm's linear mode). Speech
    often peaks more than 13 dB over its loudness, so at -14 LUFS / -1 dBTP the peaks must be
    limited, which lowers the loudness: then the gain is corrected from a measurement through
    the limiter (audio only, at most LIMITER_ROUNDS passes) until it lands on the target."""
    gain_db = target_lufs - analysis.input_i
    if analysis.is_silent or analysis.input_tp + gain_db <= true_peak_db:
        return GainPlan(target_lufs=target_lufs, true_peak_db=true_peak_db, gain_db=gain_db, expected_lufs=target_lufs)
    plan = None
    for _ in range(LIMITER_ROUNDS):
        plan = GainPlan(
            target_lufs=target_lufs, true_peak_db=true_peak_db, gain_db=gain_db, limit=True, expected_lufs=0
        )
        plan.expected_lufs = _loudness(_measure(media_path, start_s, duration_s, gain_filter(plan) + ","), media_path)[
            "input_i"
        ]
        if abs(plan.expected_lufs - target_lufs) <= 0.3:
            break
        gain_db += target_lufs - plan.expected_lufs
    return plan


def silences(media_path: Path, start_s: float, duration_s: float) -> list[tuple[float, float]]:
    """Only the silences of source seconds start_s..start_s+duration_s (clip-relative), by the same
    silencedetect as analyse() without its loudness pass (~6x less CPU): what a browser preview
    needs to skip the pauses a trimmed final cuts."""
    return _silences(_measure(media_path, start_s, duration_s, SILENCE_FILTER, loudness=False), duration_s)


def _measure(media_path: Path, start_s: float, duration_s: float, filters: str, *, loudness: bool = True) -> str:
    # loudnorm's first pass only: it measures
    chain = f"{filters}loudnorm=print_format=json" if loudness else filters.rstrip(",")
    cmd = [
        "ffmpeg", "-hide_banner", "-nostdin", "-nostats",
        "-ss", f"{start_s:.3f}", "-t", f"{duration_s:.3f}", *input_args(media_path),
        "-map", "0:a:0", "-vn", "-sn",
        "-af", chain,
        "-f", "null", "-",
    ]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise InputError(f"Could not measure the sound of {Path(media_path).name}: {result.stderr.strip()[-400:]}")
    return result.stderr


def _loudness(log: str, media_path: Path) -> dict[str, float]:
    brace = log.rfind("{")
    try:
        measured = json.loads(log[brace : log.index("}", brace) + 1])
        values = {key: float(measured[key]) for key in ("input_i", "input_tp", "input_lra", "input_thresh")}
    except (ValueError, KeyError) as exc:
        raise InputError(f"ffmpeg gave no loudness for {Path(media_path).name}") from exc
    return {key: max(value, -99.0) for key, value in values.items()}  # "-inf" on silence


def _silences(log: str, duration_s: float) -> list[tuple[float, float]]:
    starts = [float(m) for m in _SILENCE_START.findall(log)]
    ends = [float(m) for m in _SILENCE_END.findall(log)]
    ends += [duration_s] * (len(starts) - len(ends))  # silence running to the end of the clip
    return [(max(0.0, a), min(duration_s, b)) for a, b in zip(starts, ends) if b > a]


def gain_filter(plan: GainPlan) -> str:
    """The filters that apply a GainPlan: the gain, then (if planned) a peak limiter.

    loudnorm's own second pass is not used: in Debian's ffmpeg 5.1 it cannot be followed by a
    resampler once ffmpeg reconfigures the graph (the first decoded audio frame does that), and
    it works at 192 kHz. alimiter limits sample peaks, so it aims TRUE_PEAK_MARGIN_DB lower to
    keep the inter-sample peaks under the target too.
    """
    chain = f"volume={plan.gain_db:.2f}dB"
    if plan.limit:
        limit = 10 ** ((plan.true_peak_db - TRUE_PEAK_MARGIN_DB) / 20)
        chain += f",alimiter=limit={limit:.4f}:attack=5:release=50:level=false"
    return chain
