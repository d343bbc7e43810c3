"""What a worker imports once, before its cluster forks the processes that run tasks.

Stage modules import their heavy libraries inside functions (so the web process never loads
torch); a task process would then pay for them on its first task of each kind: ~7 s of CPU for
sentence-transformers (torch, transformers), ~1 s each for MediaPipe and LangGraph. Imported in
the parent, every forked process shares them, whichever task it takes first, and a recycled
process starts warm. Only imports: models load lazily in the process that uses them.
"""

import importlib

from .stages import STAGES

LIBRARIES = ("faster_whisper", "sentence_transformers", "mediapipe", "cv2", "langgraph.graph")


def preload() -> list[str]:
    """Import every stage module and the libraries their work needs; the names that failed."""
    failed = []
    for name in (*(stage.module for stage in STAGES), *LIBRARIES):
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - the worker must start: the task that needs it fails with the reason
            failed.append(name)
    return failed
