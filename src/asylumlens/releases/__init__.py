"""Getting EOIR releases: download the monthly zip when it changed (``fetch``)."""

from __future__ import annotations

from asylumlens.releases.fetch import (
    DEFAULT_URL,
    FetchResult,
    FetchStatus,
    fetch_release,
    release_file_name,
)
from asylumlens.releases.fetch_limits import DEFAULT_LIMITS, FetchLimits
from asylumlens.releases.progress import FetchProgress, LineProgress, RichProgress

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_URL",
    "FetchLimits",
    "FetchProgress",
    "FetchResult",
    "FetchStatus",
    "LineProgress",
    "RichProgress",
    "fetch_release",
    "release_file_name",
]
