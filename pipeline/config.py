"""The pipeline's settings, parsed from the environment in this one place (pydantic-settings).

Two kinds of setting live here:
- per-run choices with a site default (Whisper model, copy provider, platform, ...): they end up
  in `PipelineOptions`, which the stages receive; `pipeline_options()` builds one.
- machine settings (where model files are, threads, parallel renders): the stages read them with
  `current()`, parsed once per process.

Variables are named CLIPER_<FIELD> (CLIPER_WHISPER_MODEL, ...); the Gemini key is GEMINI_API_KEY
(or GOOGLE_API_KEY). An empty variable means the default.
"""

import functools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from .schemas import PipelineOptions, Platform, Provider

REPO_DIR = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLIPER_", env_ignore_empty=True, extra="ignore")

    # machine settings
    models_dir: Path = REPO_DIR / "models"
    workers: int = Field(0, ge=0)  # queue worker processes per machine; 0 = one per usable core
    whisper_threads: int = Field(0, ge=0)  # 0 = the usable cores shared out (see whisper_threads())
    whisper_beam: int = Field(1, ge=1)  # 1 = greedy; 5 is ~40 % slower, slightly more accurate
    render_parallel: int = Field(2, ge=1)  # previews rendered at once
    # "auto": try function calling, then JSON schema, remember what the server accepts
    openai_structured_method: Literal["auto", "function_calling", "json_schema", "json_mode"] = "auto"
    # site defaults of the per-run choices (PipelineOptions fields of the same name)
    whisper_model: str = "base"
    align_model_dir: str = ""
    embedding_model: str = ""
    copy_provider: Provider | Literal[""] = ""  # "" = gemini when a key is set, else local
    gemini_api_key: str = Field("", validation_alias=AliasChoices("GEMINI_API_KEY", "GOOGLE_API_KEY"))
    gemini_model: str = "gemini-2.5-flash"
    gemini_base_url: str = ""
    openai_base_url: str = ""
    openai_api_key: str = ""
    openai_model: str = ""
    mandatory_hashtags: Annotated[list[str], NoDecode] = Field(default_factory=list)
    platform: Platform = "tiktok"
    quality_threshold: float = 7.5
    face_sample_every: int = Field(3, ge=1)
    max_upload_bytes: int = 10 * 1024**3
    max_duration_s: float = 10 * 3600
    allow_private_urls: bool = False
    # CIDRs a URL ingest may not connect to; unset = every non-public range (pipeline.netguard)
    blocked_networks: Annotated[list[str] | None, NoDecode] = None
    render_max_bytes: int = 0  # 0 = no limit beyond the disk
    server_previews: bool = False  # encode a preview per clip instead of cropping the source in the browser
    # finals: loudness target (LUFS integrated; "off" keeps the source levels), true peak ceiling,
    # and the pause length silence trimming cuts (trimming itself is chosen per video and clip)
    loudness_lufs: float | None = -14.0
    true_peak_db: float = -1.0
    trim_pause_s: float = Field(0.6, ge=0.2)

    @field_validator("mandatory_hashtags", "blocked_networks", mode="before")
    @classmethod
    def _split_list(cls, value):
        # "#AICDMX,#Tech" or "#AICDMX #Tech", as people write them in a shell
        if isinstance(value, str):
            return value.replace(",", " ").split()
        return value

    @field_validator("loudness_lufs", mode="before")
    @classmethod
    def _off_is_none(cls, value):
        return None if isinstance(value, str) and value.strip().lower() in ("off", "none") else value

    @field_validator("blocked_networks")
    @classmethod
    def _none_when_empty(cls, value):
        return value or None  # an empty list would block nothing: keep the safe default


def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def worker_processes(settings: Settings | None = None) -> int:
    """How many processes `manage.py worker` runs: CLIPER_WORKERS, else one per usable core.
    Parts of a stage (transcription chunks, clips) run one per process, so each core has one."""
    return (settings or current()).workers or usable_cores()


def worker_threads(processes: int) -> int:
    """Threads each of `processes` processes on this machine may use (CTranslate2's Whisper)."""
    return max(1, usable_cores() // max(1, processes))


def whisper_threads() -> int:
    """CLIPER_WHISPER_THREADS, else every usable core (the CLI); the worker command sets it to
    its processes' share, so two processes on two cores do not run four threads."""
    return current().whisper_threads or usable_cores()


@functools.cache
def current() -> Settings:
    """This process's settings (parsed on first use)."""
    return Settings()


def pipeline_options(site: Settings | Mapping | None = None, **per_run) -> PipelineOptions:
    """PipelineOptions from the site settings (`site`, else the environment) and the choices
    made for this run (`per_run`; None values mean "the site default")."""
    if site is None:
        site = Settings()
    values = site.model_dump() if isinstance(site, Settings) else dict(site)
    values = {name: values[name] for name in PipelineOptions.model_fields if name in values}
    values.update({name: value for name, value in per_run.items() if value is not None})
    if not values.get("copy_provider"):
        values["copy_provider"] = "gemini" if values.get("gemini_api_key") else "local"
    return PipelineOptions(**values)
