"""A documented test hook: crash the publishing process at a named step, without strace.

``ASYLUMLENS_FAULT_AT=<step>`` makes the process that reaches ``<step>`` of a publish kill
itself with SIGKILL there (no cleanup handler runs, exactly like ``kill -9`` or a power
cut for everything not yet on disk); ``ASYLUMLENS_FAULT_AT=<step>:enospc`` raises the
``OSError`` of a full disk there instead. Unset (always, outside tests) it costs one
environment look-up per step. The steps, in order, are :data:`PUBLISH_STEPS`; the test
``tests/test_store_publish.py`` crashes an ingest at each one and checks the store. From
``linked`` on the release is visible and nothing left can fail (collection errors are
ignored), so ``:enospc`` applies only to the steps before it.
"""

from __future__ import annotations

import errno
import os
import signal
from typing import Final

FAULT_ENV: Final = "ASYLUMLENS_FAULT_AT"

PUBLISH_STEPS: Final[tuple[str, ...]] = (
    "staged",  # the release is complete in <store>/staging/<id>.<pid>, manifest written
    "moved",  # renamed to <store>/data/<id>.<stamp> (not yet visible)
    "catalog",  # catalog.duckdb written there, with its final paths
    "marked",  # the PUBLISHED marker written and synced (complete, still not visible)
    "linked",  # <store>/releases/<id> now points at it: the release is visible
    "collected",  # the superseded version removed (or kept while a reader pins it)
)


def crash_point(step: str) -> None:
    """Crash here if ``$ASYLUMLENS_FAULT_AT`` names ``step`` (see the module docstring)."""
    wanted = os.environ.get(FAULT_ENV)
    if not wanted:
        return
    name, _, mode = wanted.partition(":")
    if name != step:
        return
    if mode == "enospc":
        if PUBLISH_STEPS.index(step) >= PUBLISH_STEPS.index("linked"):
            return
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), f"<{FAULT_ENV}={wanted}>")
    os.kill(os.getpid(), signal.SIGKILL)
