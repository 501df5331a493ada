"""Chunked authenticated encryption of one exhibit file: the STREAM construction.

Why chunks: an exhibit may be a video of several GB, uploaded and downloaded as a stream,
with HTTP Range for playback, so the file is sealed in chunks of ``CHUNK`` bytes, each with
AES-256-GCM, never whole in memory. Sealing chunks independently would let someone reorder,
drop, truncate or extend them unnoticed, so each chunk's nonce carries its index and a
last-chunk flag: the STREAM construction of Hoang, Reyhanitabar, Rogaway and Vizár, "Online
Authenticated-Encryption and its Nonce-Reuse Misuse-Resistance" (CRYPTO 2015), as used by
Tink's streaming AEAD and by age.

Layout: a 16-byte header ``b"ALX1" || version (1) || chunk size (4, big-endian) || nonce
prefix (7 random bytes)``, then the chunks, each ``ciphertext || 16-byte tag``; every chunk
but the last holds exactly ``chunk size`` plaintext bytes. Chunk ``i``'s nonce is
``prefix || i (4 bytes, big-endian) || flag`` (flag 1 on the last chunk, else 0) and its
associated data is the header, so the header cannot be changed either. The key is a fresh
random per-file key (:mod:`asylumlens.cases.keys`), so a nonce is never reused.
"""

from __future__ import annotations

import hashlib
import secrets
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from asylumlens.errors import AsylumLensError

MAGIC: Final = b"ALX1"
VERSION: Final = 1
CHUNK: Final = 1024 * 1024
PREFIX_BYTES: Final = 7
TAG_BYTES: Final = 16
HEADER_BYTES: Final = len(MAGIC) + 1 + 4 + PREFIX_BYTES
MAX_CHUNK: Final = 64 * 1024 * 1024
MAX_CHUNKS: Final = 2**32
KEY_BYTES: Final = 32
_HEADER: Final = struct.Struct(">4sBI7s")


class SealBroken(AsylumLensError):
    """A sealed file that fails authentication; the message names what failed (a chunk's
    index, a missing final chunk, data after it), never any content."""


@dataclass(frozen=True)
class SealSummary:
    """What was sealed: plaintext size, SHA-256 (hex) of the plaintext, and chunk count."""

    size: int
    sha256: str
    chunks: int


def _nonce(prefix: bytes, index: int, final: bool) -> bytes:
    return prefix + index.to_bytes(4, "big") + (b"\x01" if final else b"\x00")


def _check_key(file_key: bytes) -> AESGCM:
    if len(file_key) != KEY_BYTES:
        raise ValueError(f"file key: must be {KEY_BYTES} bytes")
    return AESGCM(file_key)


def _check_chunk_size(chunk_size: int) -> None:
    if not 1 <= chunk_size <= MAX_CHUNK:
        raise ValueError(f"chunk size: must be 1..{MAX_CHUNK} bytes")


class SealingWriter:
    """Push-style sealer: :meth:`write` as bytes arrive, :meth:`close` at the end.

    Holds at most one chunk (plus the last ``write``'s bytes) in memory. A chunk is sealed
    only once more bytes follow it, so the one left at :meth:`close` is the final chunk."""

    def __init__(self, out: BinaryIO, file_key: bytes, chunk_size: int = CHUNK) -> None:
        _check_chunk_size(chunk_size)
        self._aead = _check_key(file_key)
        self._out = out
        self._chunk_size = chunk_size
        self._prefix = secrets.token_bytes(PREFIX_BYTES)
        self._header = _HEADER.pack(MAGIC, VERSION, chunk_size, self._prefix)
        self._buffer = bytearray()
        self._hash = hashlib.sha256()
        self._size = 0
        self._index = 0
        self._closed = False
        out.write(self._header)

    def _seal(self, plaintext: bytes | bytearray | memoryview, final: bool) -> None:
        if self._index >= MAX_CHUNKS:
            raise ValueError("sealed file: too many chunks for a 4-byte index")
        nonce = _nonce(self._prefix, self._index, final)
        self._out.write(self._aead.encrypt(nonce, bytes(plaintext), self._header))
        self._index += 1

    def write(self, data: bytes) -> None:
        """Add plaintext; seals every full chunk that has more bytes after it."""
        if self._closed:
            raise ValueError("sealed file: write after close")
        self._hash.update(data)
        self._size += len(data)
        self._buffer += data
        size = self._chunk_size
        if len(self._buffer) <= size:
            return
        view = memoryview(self._buffer)
        start = 0
        while len(self._buffer) - start > size:
            self._seal(view[start : start + size], final=False)
            start += size
        view.release()
        del self._buffer[:start]

    def close(self) -> SealSummary:
        """Seal the final chunk (empty only for an empty file) and say what was sealed."""
        if self._closed:
            raise ValueError("sealed file: closed twice")
        self._seal(self._buffer, final=True)
        self._buffer = bytearray()
        self._closed = True
        return SealSummary(self._size, self._hash.hexdigest(), self._index)


def _read_header(inp: BinaryIO) -> tuple[bytes, bytes, int]:
    header = inp.read(HEADER_BYTES)
    if len(header) < HEADER_BYTES:
        raise SealBroken("truncated: no complete header")
    magic, version, chunk_size, prefix = _HEADER.unpack(header)
    if magic != MAGIC:
        raise SealBroken("not a sealed exhibit file (bad magic)")
    if version != VERSION:
        raise SealBroken(f"sealed file version {version} is not one this version reads")
    if not 1 <= chunk_size <= MAX_CHUNK:
        raise SealBroken("header: chunk size out of range")
    return header, prefix, chunk_size


def _open_chunk(
    aead: AESGCM, header: bytes, prefix: bytes, index: int, sealed: bytes, final: bool
) -> bytes | None:
    try:
        return aead.decrypt(_nonce(prefix, index, final), sealed, header)
    except InvalidTag:
        return None


def open_sealed(inp: BinaryIO, file_key: bytes) -> Iterator[bytes]:
    """The plaintext, chunk by chunk in order; :class:`SealBroken` as soon as any check
    fails (a caller streaming to a client must treat what it already sent as void)."""
    aead = _check_key(file_key)
    header, prefix, chunk_size = _read_header(inp)
    full = chunk_size + TAG_BYTES
    index = 0
    current = inp.read(full)
    while True:
        if not current:
            raise SealBroken("truncated: no final chunk")
        following = inp.read(full) if len(current) == full else b""
        final = not following
        plain = _open_chunk(aead, header, prefix, index, current, final)
        if plain is None:
            if _open_chunk(aead, header, prefix, index, current, not final) is None:
                raise SealBroken(f"chunk {index} fails authentication")
            raise SealBroken("truncated: no final chunk" if final else "data after the final chunk")
        if final and not plain and index > 0:
            raise SealBroken("an empty final chunk after data")
        yield plain
        if final:
            return
        current = following
        index += 1


def chunk_count(size: int, chunk_size: int = CHUNK) -> int:
    """How many chunks a plaintext of ``size`` bytes is sealed in (an empty file: one)."""
    return max(1, -(-size // chunk_size))


def read_range(
    inp: BinaryIO, file_key: bytes, start: int, end_inclusive: int, size: int
) -> Iterator[bytes]:
    """Plaintext bytes ``start..end_inclusive`` of a sealed file of ``size`` plaintext bytes
    (the recorded size), decrypting only the chunks that cover them (for HTTP Range). A
    wrong ``size`` fails authentication: the final chunk's flag and length depend on it."""
    if not 0 <= start <= end_inclusive < size:
        raise ValueError("range: need 0 <= start <= end < size")
    aead = _check_key(file_key)
    header, prefix, chunk_size = _read_header(inp)
    last_index = chunk_count(size, chunk_size) - 1
    for index in range(start // chunk_size, end_inclusive // chunk_size + 1):
        final = index == last_index
        plain_len = size - index * chunk_size if final else chunk_size
        inp.seek(HEADER_BYTES + index * (chunk_size + TAG_BYTES))
        sealed = inp.read(plain_len + TAG_BYTES)
        if len(sealed) < plain_len + TAG_BYTES:
            raise SealBroken(f"truncated: chunk {index} is cut short")
        plain = _open_chunk(aead, header, prefix, index, sealed, final)
        if plain is None:
            raise SealBroken(f"chunk {index} fails authentication")
        base = index * chunk_size
        yield plain[max(start - base, 0) : end_inclusive - base + 1]
