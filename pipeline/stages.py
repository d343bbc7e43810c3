"""The stage order, written down once. The CLI's `run` and the worker's tasks both walk it.

Every stage module has `run(workdir, options, progress) -> <output model>` which reads the
outputs of earlier stages from `workdir` and returns its output; `Stage.run` checks it and writes
it as the stage's file (replacing it whole, so rerunning a stage never duplicates anything).

A stage that `fans_out` can also be run in parts by many workers at once: its module has
`plan(workdir, options, progress) -> [spec, ...]` (JSON-able, quick), `run_part(workdir, options,
spec, progress) -> model` for one part (any order, any machine sharing the work directory), and
`join(workdir, options, [part result as JSON, ...]) -> <output model>`, written by `Stage.join`.
"""

import importlib
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from . import schemas
from .atomic import write_model
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
        """Runs the stage and writes its output file; returns the output."""
        runner = importlib.import_module(self.module).run
        return self._write(workdir, runner(Path(workdir), options, progress))

    def plan(self, workdir: Path, options: schemas.PipelineOptions, progress: Progress) -> list[dict]:
        return importlib.import_module(self.module).plan(Path(workdir), options, progress)

    def run_part(self, workdir: Path, options: schemas.PipelineOptions, spec: dict, progress: Progress) -> BaseModel:
        return importlib.import_module(self.module).run_part(Path(workdir), options, spec, progress)

    def join(self, workdir: Path, options: schemas.PipelineOptions, results: list[dict]) -> BaseModel:
        """Joins the parts' results and writes the output file; returns the output."""
        return self._write(workdir, importlib.import_module(self.module).join(Path(workdir), options, results))

    def _write(self, workdir: Path, output: BaseModel) -> BaseModel:
        if type(output) is not self.output_model:
            raise TypeError(f"stage {self.name} returned {type(output).__name__}, not {self.output_model.__name__}")
        output = self.output_model.model_validate(output.model_dump())  # validators rerun on the final values
        write_model(self.output_path(workdir), output)
        return output

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
    Stage("render", "pipeline.render", "renders.json", schemas.RendersResult, "Prepare previews", "previews"),
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
