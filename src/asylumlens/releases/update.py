"""``asylumlens update``: fetch the release zip if it changed, then ingest it beside the others.

Schedulers run this three times a day (``docs/releases.md``), so a run that finds nothing new
must cost almost nothing and change nothing: when :func:`fetch_release` reports the zip
unchanged *and* the store already holds a release ingested from exactly those bytes (its
``source_sha256``), there is no ingest. When the zip is unchanged but no release has its
SHA-256 (a previous run downloaded it and then failed, or the store was moved), it is
ingested now, so one failed ingest never leaves a release behind for good. A new zip is
ingested as a new release; older releases stay in the store side by side.

One update per store at a time (``<store>/update.lock``, an ``flock``): a cron run and a
manual run must not both ingest the zip the first one just downloaded.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import httpx

from asylumlens.errors import StoreError
from asylumlens.ingest.load import IngestProgress
from asylumlens.pipeline import ingest_release
from asylumlens.releases.fetch import (
    DEFAULT_RETRIES,
    DEFAULT_RETRY_DELAY,
    DEFAULT_TIMEOUT,
    DEFAULT_URL,
    FetchResult,
    fetch_release,
)
from asylumlens.releases.fetch_limits import DEFAULT_LIMITS, FetchLimits
from asylumlens.releases.progress import FetchProgress
from asylumlens.store import Release, Store

UpdateStatus = Literal["unchanged", "ingested"]
LOCK_FILE = "update.lock"


@dataclass(frozen=True)
class UpdateOutcome:
    """What :func:`update_release` did: the download's result and the release it points to."""

    status: UpdateStatus
    fetch: FetchResult
    release: Release | None

    @property
    def summary(self) -> str:
        """One line for logs: what was fetched and what the store now holds."""
        rel = self.release
        label = "no release"
        if rel is not None:
            label = f"release {rel.id}" + (" [SYNTHETIC]" if rel.synthetic else "")
        if self.status == "unchanged":
            return f"unchanged: {self.fetch.path.name} is already in the store as {label}"
        totals: Mapping[str, object] = rel.manifest.get("totals", {}) if rel else {}
        return (
            f"ingested {label} from {self.fetch.path.name} ({self.fetch.status}): "
            f"{totals.get('loaded', 0):,} rows loaded, "
            f"{totals.get('quarantined', 0):,} quarantined"
        )


def downloads_dir(store: Store) -> Path:
    """Where ``update`` (and ``fetch`` by default) keeps the downloaded zips."""
    return store.root / "downloads"


def release_from_zip(store: Store, sha256: str) -> Release | None:
    """The newest release of the store ingested from a zip with this SHA-256, if any."""
    for rel in reversed(store.releases()):
        if rel.info.get("source_kind") == "zip" and rel.info.get("source_sha256") == sha256:
            return rel
    return None


@contextmanager
def _one_update(store: Store) -> Iterator[None]:
    """Hold ``<store>/update.lock`` for the whole fetch + ingest, or fail at once."""
    if sys.platform == "win32":  # pragma: no cover - no flock; rely on the operator
        yield
        return
    import fcntl

    try:
        store.root.mkdir(parents=True, exist_ok=True)
        fh = (store.root / LOCK_FILE).open("a")
    except OSError as exc:
        raise StoreError(f"{store.root}: cannot write the store ({exc.strerror})") from None
    with fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreError(f"{store.root}: another update is already running") from None
        yield


def update_release(
    store: Store,
    *,
    url: str = DEFAULT_URL,
    dest: Path | None = None,
    fetch_progress: FetchProgress | None = None,
    ingest_progress: IngestProgress | None = None,
    retries: int = DEFAULT_RETRIES,
    retry_delay: float = DEFAULT_RETRY_DELAY,
    timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
    limits: FetchLimits = DEFAULT_LIMITS,
    allow_count_mismatch: bool = False,
) -> UpdateOutcome:
    """Fetch ``url`` into ``dest`` (default ``<store>/downloads``) and ingest it if it is new.

    ``retries``, ``retry_delay``, ``timeout`` and ``limits`` go to :func:`fetch_release`; the
    deadline bounds the download, so a hostile server cannot hold the store's lock for ever.
    ``allow_count_mismatch`` goes to :func:`~asylumlens.pipeline.ingest_release`.

    :raises FetchError: the download failed (the store is unchanged).
    :raises ReleaseError: the zip is not a readable release (the store is unchanged).
    :raises StoreError: another update is running on this store.
    """
    with _one_update(store):
        return _update(
            store,
            url,
            dest,
            fetch_progress,
            ingest_progress,
            retries,
            retry_delay,
            timeout,
            limits,
            allow_count_mismatch,
        )


def _update(
    store: Store,
    url: str,
    dest: Path | None,
    fetch_progress: FetchProgress | None,
    ingest_progress: IngestProgress | None,
    retries: int,
    retry_delay: float,
    timeout: httpx.Timeout | float,
    limits: FetchLimits,
    allow_count_mismatch: bool,
) -> UpdateOutcome:
    folder = dest if dest is not None else downloads_dir(store)
    fetched = fetch_release(
        url,
        folder,
        progress=fetch_progress,
        retries=retries,
        retry_delay=retry_delay,
        timeout=timeout,
        limits=limits,
    )
    known = release_from_zip(store, fetched.sha256)
    if fetched.status == "unchanged" and known is not None:
        return UpdateOutcome("unchanged", fetched, known)
    outcome = ingest_release(
        fetched.path, store, progress=ingest_progress, allow_count_mismatch=allow_count_mismatch
    )
    return UpdateOutcome(outcome.status, fetched, outcome.release)
