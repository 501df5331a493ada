"""Getting EOIR releases: download the monthly zip when it changed (``fetch``)."""

from __future__ import annotations

from asylumlens.releases.fetch import (
    DEFAULT_URL,
    FetchResult,
    FetchStatus,
    fetch_release,
    release_file_name,
)
from asylumlens.releases.progress import FetchProgress, LineProgress, RichProgress

__all__ = [
    "DEFAULT_URL",
    "FetchProgress",
    "FetchResult",
    "FetchStatus",
    "LineProgress",
    "RichProgress",
    "fetch_release",
    "release_file_name",
]
