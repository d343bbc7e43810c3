# TEMPORARY shim until health's split of reframe.py lands in main (take theirs on merge).
from .reframe import _analyse as face_samples  # noqa: F401
from .reframe import probe_video  # noqa: F401
