"""The stage order, written down once. The CLI's `run` and the worker's tasks both walk it.

Every stage module has `run(workdir, options, progress) -> <output model>` which reads the
outputs of earlier stages from `workdir` and writes its own file there (replacing it whole,
so rerunning a stage never duplicates anything).

A stage that `fans_out` can also be run in parts by many workers at once: its module has
`plan(workdir, options, progress) -> [spec, ...]` (JSON-able, quick), `run_part(workdir, options,
spec, progress) -> model` for one part (any order, any machine sharing the work directory), and
`join(workdir, options, [part result as JSON, ...]) -> <output model>` which writes the file.
"""

import importlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from . import schemas
from .progress import Progress


@dataclass(frozen=True)
class Stage:
    name: str
    module: str  # imported on first use: the web process never loads torch
    output_file: str
    output_model: type[BaseModel]
    label: str
    fans_out: str = ""  # what its parts are called ("chunks", "previews"); "" = runs as one task

    def run(self, workdir: Path, options: schemas.PipelineOptions, progress: Progress) -> BaseModel:
        runner = importlib.import_module(self.module).run
        return runner(Path(workdir), options, progress)

    def plan(self, workdir: Path, options: schemas.PipelineOptions, progress: Progress) -> list[dict]:
        return importlib.import_module(self.module).plan(Path(workdir), options, progress)

    def run_part(self, workdir: Path, options: schemas.PipelineOptions, spec: dict, progress: Progress) -> BaseModel:
        return importlib.import_module(self.module).run_part(Path(workdir), options, spec, progress)

    def join(self, workdir: Path, options: schemas.PipelineOptions, results: list[dict]) -> BaseModel:
        return importlib.import_module(self.module).join(Path(workdir), options, results)

    def output_path(self, workdir: Path) -> Path:
        return Path(workdir) / self.output_file

    def load_output(self, workdir: Path) -> BaseModel | None:
        path = self.output_path(workdir)
        if not path.exists():
            return None
        return self.output_model.model_validate_json(path.read_text())


STAGES = (
    Stage("ingest", "pipeline.ingest", "media.json", schemas.MediaInfo, "Ingest"),
    Stage("transcribe", "pipeline.transcribe", "transcript.json", schemas.Transcript, "Transcribe", "chunks"),
    Stage("clips", "pipeline.clipfind", "clips.json", schemas.ClipsResult, "Find clips"),
    Stage("copy", "pipeline.copywriter", "copies.json", schemas.CopiesResult, "Write copy"),
    Stage("render", "pipeline.render", "renders.json", schemas.RendersResult, "Render previews", "previews"),
)
STAGE_NAMES = tuple(stage.name for stage in STAGES)


def get_stage(name: str) -> Stage:
    for stage in STAGES:
        if stage.name == name:
            return stage
    raise KeyError(name)


def next_stage(name: str) -> Stage | None:
    index = STAGE_NAMES.index(name)
    return STAGES[index + 1] if index + 1 < len(STAGES) else None


def write_model(path: Path, model: BaseModel) -> None:
    """Write JSON atomically: a killed process never leaves half a file behind."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(model.model_dump_json(indent=1))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
