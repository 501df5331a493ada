"""The store's locks: one ingest at a time, and read pins on the release versions in use.

Both are ``fcntl.flock`` locks, so the kernel drops them when the holding process dies,
however it dies: a ``kill -9`` never leaves a store locked, and no stale lock needs clearing.

* The **ingest lock** (``<store>/ingest.lock``) is held exclusively for a whole ingest and
  for every repair of the store's folders. A second ingest does not wait: it fails at once
  with a one-line :class:`~asylumlens.errors.StoreError` (an ingest takes minutes at full
  scale; a scheduler should see the clash rather than pile up runs). It is re-entrant
  within a process, so ``Store.publish`` called inside ``ingest_release`` takes it again.
* A **read pin** is a shared lock on one published version folder, taken when a process
  opens a release (``Store.release``) and kept for the rest of that process's life. The
  collection of superseded versions tries the exclusive lock without waiting and skips a
  version still pinned, so a running server keeps reading exactly the files it started on.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from asylumlens.errors import StoreError

INGEST_LOCK = "ingest.lock"

_guard = threading.Lock()
_held: dict[str, tuple[int, int]] = {}  # store root -> (fd, depth)
_pins: dict[str, int] = {}  # version folder -> fd holding LOCK_SH


def _open_lock_file(root: Path) -> int:
    try:
        root.mkdir(parents=True, exist_ok=True)
        return os.open(root / INGEST_LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise StoreError(
            f"{root}: cannot write the store ({exc.strerror or exc.__class__.__name__})"
        ) from None


def _flock_now(fd: int, mode: int) -> bool:
    """``flock(fd, mode)`` without waiting; on refusal the descriptor is closed."""
    try:
        fcntl.flock(fd, mode | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return False
    return True


def _acquire(root: Path, open_lock_file: Callable[[Path], int]) -> bool:
    """Take the ingest lock (re-entrant within this process); False if another process
    holds it. ``open_lock_file`` says what a store that cannot be written means."""
    key = str(root.resolve())
    with _guard:
        held = _held.get(key)
        if held is not None:
            _held[key] = (held[0], held[1] + 1)
            return True
    fd = open_lock_file(root)
    if fd < 0 or not _flock_now(fd, fcntl.LOCK_EX):
        return False
    with _guard:
        _held[key] = (fd, 1)
    return True


@contextmanager
def ingest_lock(root: Path) -> Iterator[None]:
    """Hold the store's ingest lock, or raise :class:`StoreError` at once if another
    process holds it."""
    if not _acquire(root, _open_lock_file):
        raise StoreError(
            f"{root}: another ingest into this store is running; "
            "run this one again when it has finished"
        )
    try:
        yield
    finally:
        release_ingest_lock(root)


def _open_if_writable(root: Path) -> int:
    try:
        return os.open(root / INGEST_LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError:
        return -1


def try_ingest_lock(root: Path) -> bool:
    """Whether the ingest lock could be taken now (it is then held: release it with
    :func:`release_ingest_lock`). False when another process holds it or the store is
    read-only: callers then simply skip their optional repair."""
    return _acquire(root, _open_if_writable)


def release_ingest_lock(root: Path) -> None:
    key = str(root.resolve())
    with _guard:
        fd, depth = _held[key]
        if depth > 1:
            _held[key] = (fd, depth - 1)
            return
        del _held[key]
    os.close(fd)  # closing the only descriptor releases the flock


def pin(folder: Path) -> bool:
    """Take (once per process) a shared lock on ``folder``; False if it is gone or being
    collected right now (the caller looks the release up again)."""
    key = str(folder.resolve())
    with _guard:
        if key in _pins:
            return True
        try:
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except (FileNotFoundError, NotADirectoryError):
            return False
        if not _flock_now(fd, fcntl.LOCK_SH):
            return False
        _pins[key] = fd
        return True


def unpin(folder: Path) -> None:
    with _guard:
        fd = _pins.pop(str(folder.resolve()), None)
    if fd is not None:
        os.close(fd)


def pinned(folder: Path) -> bool:
    """Whether this process holds a read pin on ``folder``."""
    with _guard:
        return str(folder.resolve()) in _pins


@contextmanager
def exclusive_if_unused(folder: Path) -> Iterator[bool]:
    """Yield True while holding ``folder`` exclusively, or False if some process (this
    one included) has it pinned; the folder is then left alone."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)
