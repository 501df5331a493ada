"""The exceptions AsylumLens raises on bad input, one tree for every interface.

    AsylumLensError            anything the user can fix; the CLI prints it on one line, exit 2
    ├── ReleaseError           a release that cannot be read (missing file, corrupt zip, bad header)
    │   └── FetchError         a release that cannot be downloaded (HTTP error, cut, wrong length)
    ├── StoreError             no store, no release in it, or a release id that is not there
    ├── QueryError             an unknown dimension, definition, filter value, or an empty result
    └── StorageError           the machine refused: disk full, read-only, no permission, no memory

Messages name the file, line or field, and say what is valid.
"""

from __future__ import annotations


class AsylumLensError(Exception):
    """Base class: a problem with the user's input, not a bug."""


class ReleaseError(AsylumLensError):
    """The release (zip or folder) cannot be read as an EOIR case-data release."""


class FetchError(ReleaseError):
    """The release cannot be downloaded: HTTP status, network failure, bad length, not a zip."""


class StoreError(AsylumLensError):
    """The store holds no usable release, or the one asked for."""


class QueryError(AsylumLensError):
    """A query asks for something that does not exist, or finds nothing."""


class StorageError(AsylumLensError):
    """The disk or the system refused the work: full, read-only, permission, quota, memory.

    Raised by :func:`asylumlens.faults.storage_fault` from the OSError or DuckDB exception
    underneath, so every interface reports it on one line naming the file or the store.
    """
