"""Which failures are faults of the machine, not of AsylumLens, and the one line for each.

A full disk, a read-only or permission-denied store, a quota, DuckDB running out of memory:
the operator can fix these, so they are reported like bad input, on one line naming the file
(or the store) and with exit status 2 on the CLI. Such faults reach us from many places
(Python file writes, pyarrow, DuckDB's own writer threads), as ``OSError`` with an errno, as
``OSError`` with only the system's words (pyarrow), or as ``duckdb.IOException`` whose text
carries the system's words and errno. Everything else that is not an
:class:`~asylumlens.errors.AsylumLensError` is a bug and must keep its traceback, so the test
is narrow: a known errno, or the system's own message for one.
"""

from __future__ import annotations

import errno
import json
import os
import re
from pathlib import Path

from asylumlens.errors import StorageError

# Faults of the storage underneath: space, quota, read-only, permission, file size, the device.
STORAGE_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG, errno.EIO}
)
_WORDS = {os.strerror(code).lower(): code for code in STORAGE_ERRNOS}
_DUCKDB_DETAIL = re.compile(r"\{.*\}", re.DOTALL)


def storage_fault(exc: BaseException, store: Path | None = None) -> StorageError | None:
    """The :class:`StorageError` for ``exc`` (or what it was raised from), else None.

    ``store`` is named when the fault's own message names no file.
    """
    seen: BaseException | None = exc
    while seen is not None:
        fault = _one(seen, store)
        if fault is not None:
            return fault
        seen = seen.__cause__
    return None


def _one(exc: BaseException, store: Path | None) -> StorageError | None:
    import duckdb

    if isinstance(exc, duckdb.OutOfMemoryException):
        return StorageError(_with_store(f"out of memory: {_first_line(str(exc))}", store))
    if isinstance(exc, duckdb.IOException):
        text = _duckdb_text(str(exc))
        code = _code_in(text)
        if code is None:
            return None
        return StorageError(_with_store(f"{text} ({errno.errorcode[code]})", store))
    if isinstance(exc, OSError):
        code = exc.errno if exc.errno in STORAGE_ERRNOS else _code_in(str(exc))
        if code is None:
            return None
        reason = exc.strerror or os.strerror(code)
        if exc.filename is not None:
            return StorageError(f"{exc.filename}: {reason} ({errno.errorcode[code]})")
        detail = _first_line(str(exc))
        return StorageError(_with_store(f"{detail} ({errno.errorcode[code]})", store))
    return None


def _code_in(text: str) -> int | None:
    """The storage errno whose system message appears in ``text``."""
    lowered = text.lower()
    return next((code for words, code in _WORDS.items() if words in lowered), None)


def _duckdb_text(message: str) -> str:
    """DuckDB's words, without the JSON it wraps around a writer thread's failure."""
    match = _DUCKDB_DETAIL.search(message)
    if match:
        try:
            detail = json.loads(match.group(0))
        except ValueError:
            detail = None
        if isinstance(detail, dict) and isinstance(detail.get("exception_message"), str):
            return _first_line(detail["exception_message"])
    return _first_line(message)


def _first_line(text: str) -> str:
    return " ".join(text.strip().splitlines()[0].split()) if text.strip() else "no detail"


def _with_store(text: str, store: Path | None) -> str:
    return f"{text} (store {store})" if store is not None and str(store) not in text else text
