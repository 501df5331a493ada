"""Where sealed exhibit files live: one folder of ciphertext under random names.

Why random names: an original file name ("interview-with-<name>.mp4") can identify a
person, so a file on disk is ``<32 random hex digits>.sealed`` and the name, encrypted, is
in the database only. An upload is written to ``.partial-<random>`` in the same folder and
renamed into place (atomic on one file system) only once it is complete and fsynced, so a
crash or an abort leaves no half file under a real name; :meth:`EvidenceStore.sweep_partials`
removes what a crash left. Everything in the folder is ciphertext.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Final

import filetype

from asylumlens.cases.sealed import CHUNK, SealingWriter, SealSummary
from asylumlens.errors import AsylumLensError

EVIDENCE_DIR_ENV: Final = "ASYLUMLENS_EVIDENCE_DIR"
EVIDENCE_DIR_NAME: Final = "evidence"
SUFFIX: Final = ".sealed"
PARTIAL_PREFIX: Final = ".partial-"
DEFAULT_MAX_BYTES: Final = 8 * 1024**3
SNIFF_BYTES: Final = 8192
STALE_SECONDS: Final = 3600
_STORAGE_ID = re.compile(r"[0-9a-f]{32}")


class UploadTooLarge(AsylumLensError):
    """An upload past the size limit; refused as soon as it passes, its partial removed."""


class EvidenceMissing(AsylumLensError):
    """No sealed file for this storage id."""


def evidence_root(store_root: Path) -> Path:
    """``$ASYLUMLENS_EVIDENCE_DIR`` if set, else ``<store>/evidence``."""
    env = os.environ.get(EVIDENCE_DIR_ENV)
    return Path(env) if env else store_root / EVIDENCE_DIR_NAME


def sniff_content_type(head: bytes) -> str:
    """The content type from a file's first bytes (never the client's word): ``filetype``'s
    magic numbers, else PDF by ``%PDF``, plain text if UTF-8 without NULs, else binary."""
    kind = filetype.guess(head) if head else None
    if kind is not None:
        return str(kind.mime)
    if head.startswith(b"%PDF"):
        return "application/pdf"
    if head and b"\x00" not in head:
        try:
            head.decode("utf-8")
            return "text/plain"
        except UnicodeDecodeError as exc:
            # the sniffed prefix may end inside a multi-byte character
            if exc.start >= len(head) - 3 and exc.reason == "unexpected end of data":
                return "text/plain"
    return "application/octet-stream"


def _check_id(storage_id: str) -> str:
    if not _STORAGE_ID.fullmatch(storage_id):
        raise EvidenceMissing("storage id: not one this store makes")
    return storage_id


@dataclass(frozen=True)
class FinishedUpload:
    """A complete sealed file under its final name, and what :func:`add_exhibit` needs."""

    storage_id: str
    summary: SealSummary
    file_key: bytes = field(repr=False)
    content_type: str


class PendingUpload:
    """One upload being sealed into a partial file; :meth:`finish` or :meth:`abort` it.

    As a context manager it aborts when the block raises (and after a finish it is a
    no-op), so an upload cut off mid-way leaves nothing behind."""

    def __init__(self, store: EvidenceStore, file_key: bytes, chunk_size: int) -> None:
        self._store = store
        self._file_key = file_key
        self._partial = store.root / f"{PARTIAL_PREFIX}{secrets.token_hex(16)}"
        fd = os.open(self._partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._out: BinaryIO = os.fdopen(fd, "wb")
        try:
            self._writer = SealingWriter(self._out, file_key, chunk_size)
        except BaseException:  # a bad key or chunk size: no partial file left behind
            self._out.close()
            self._partial.unlink(missing_ok=True)
            raise
        self._head = bytearray()
        self._size = 0
        self._done = False

    @property
    def size(self) -> int:
        """Plaintext bytes received so far."""
        return self._size

    def write(self, data: bytes) -> None:
        """Seal more bytes; past the store's limit the upload is aborted and refused."""
        if self._done:
            raise ValueError("upload: already finished or aborted")
        self._size += len(data)
        if self._size > self._store.max_bytes:
            self.abort()
            raise UploadTooLarge(f"file: larger than the limit of {self._store.max_bytes} bytes")
        if len(self._head) < SNIFF_BYTES:
            self._head += data[: SNIFF_BYTES - len(self._head)]
        try:
            self._writer.write(data)
        except BaseException:
            self.abort()
            raise

    def finish(self) -> FinishedUpload:
        """Seal the final chunk, fsync, and rename to ``<storage id>.sealed``."""
        if self._done:
            raise ValueError("upload: already finished or aborted")
        try:
            summary = self._writer.close()
            self._out.flush()
            os.fsync(self._out.fileno())
            self._out.close()
            storage_id = secrets.token_hex(16)
            os.replace(self._partial, self._store.path(storage_id))
            self._store.sync_folder()
        except BaseException:
            self.abort()
            raise
        self._done = True
        return FinishedUpload(
            storage_id, summary, self._file_key, sniff_content_type(bytes(self._head))
        )

    def abort(self) -> None:
        """Close and remove the partial file (idempotent)."""
        self._done = True
        if not self._out.closed:
            self._out.close()
        self._partial.unlink(missing_ok=True)

    def __enter__(self) -> PendingUpload:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None or not self._done:
            self.abort()


class EvidenceStore:
    """The sealed files of every exhibit, in one folder (made 0700 if missing)."""

    def __init__(
        self, root: Path, *, max_bytes: int = DEFAULT_MAX_BYTES, chunk_size: int = CHUNK
    ) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.chunk_size = chunk_size
        root.mkdir(parents=True, exist_ok=True, mode=0o700)

    def path(self, storage_id: str) -> Path:
        return self.root / f"{_check_id(storage_id)}{SUFFIX}"

    def sync_folder(self) -> None:
        """fsync the folder so a rename survives a power cut."""
        fd = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def begin_upload(self, file_key: bytes) -> PendingUpload:
        """Start sealing a new file under ``file_key`` (from ``keys.new_file_key()``)."""
        return PendingUpload(self, file_key, self.chunk_size)

    def open(self, storage_id: str) -> BinaryIO:
        """The sealed file for reading; :class:`EvidenceMissing` if it is not there."""
        try:
            return self.path(storage_id).open("rb")
        except FileNotFoundError:
            raise EvidenceMissing(f"exhibit file {storage_id}: missing") from None

    def exists(self, storage_id: str) -> bool:
        return self.path(storage_id).is_file()

    def remove(self, storage_id: str) -> None:
        """Delete a sealed file (missing already: nothing to do)."""
        self.path(storage_id).unlink(missing_ok=True)

    def sweep_partials(self, *, older_than: float = STALE_SECONDS) -> int:
        """Delete ``.partial-*`` files untouched for ``older_than`` seconds (a crash's
        leftovers, ciphertext only); how many were deleted."""
        cutoff = time.time() - older_than
        removed = 0
        for partial in self.root.glob(f"{PARTIAL_PREFIX}*"):
            try:
                if partial.stat().st_mtime < cutoff:
                    partial.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed


def discard(store: EvidenceStore, finished: FinishedUpload) -> None:
    """Remove a finished upload's file when its record could not be added."""
    store.remove(finished.storage_id)
