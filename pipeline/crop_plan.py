# TEMPORARY shim until health's split of reframe.py lands in main (take theirs on merge).
from .reframe import ASPECTS, crop_size, positions_per_frame  # noqa: F401
from .reframe import _plan as plan  # noqa: F401
from .reframe import _Samples as FaceSamples  # noqa: F401
