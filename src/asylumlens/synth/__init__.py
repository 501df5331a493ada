"""Synthetic EOIR releases: the real layout, real codes and real-world faults, at any scale.

The real release cannot be downloaded everywhere, so everything downstream (ingest round
trips, analytics, the dashboard, full-scale benchmarks) is tested on releases written here.
This package imports only :mod:`asylumlens.layout` (facts) and :mod:`asylumlens.errors`,
never the ingest code, so a round trip proves the reader against an independent writer.

Public API:

* :func:`generate` - a whole release from the population model, with faults and a
  ground-truth manifest (``asylumlens synth``).
* :func:`write_release` - the given clean rows in the real layout with the standard lookups,
  Count.txt and the SYNTHETIC marker (for fixtures that must reproduce exact counts).
* :data:`DEFAULT_KNOBS` / :class:`Knobs` - every tunable of the population model.
* The fault contract is the docstring of :mod:`asylumlens.synth.faults`.
"""

from asylumlens.synth.faults import FAULT_KINDS, FaultRates
from asylumlens.synth.knobs import DEFAULT_KNOBS, Knobs
from asylumlens.synth.next_release import next_release as next_release
from asylumlens.synth.release import (
    DEFAULT_RELEASE_DATE,
    MANIFEST_NAME,
    ZIP_NAME,
    SynthResult,
    generate,
)
from asylumlens.synth.writer import release_dir_name, write_release

__all__ = [
    "DEFAULT_KNOBS",
    "DEFAULT_RELEASE_DATE",
    "FAULT_KINDS",
    "MANIFEST_NAME",
    "ZIP_NAME",
    "FaultRates",
    "Knobs",
    "SynthResult",
    "generate",
    "release_dir_name",
    "write_release",
]
