"""The chunked AEAD (STREAM) of exhibit files: round trips, every kind of tamper, ranges."""

from __future__ import annotations

import hashlib
import io
import secrets

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asylumlens.cases.sealed import (
    HEADER_BYTES,
    TAG_BYTES,
    SealBroken,
    SealingWriter,
    chunk_count,
    open_sealed,
    read_range,
)

KEY = secrets.token_bytes(32)
SMALL = 64  # a small chunk size, so several chunks cost nothing


def seal(data: bytes, chunk_size: int = SMALL, pieces: int = 7) -> tuple[bytes, int]:
    """``data`` sealed, fed in uneven pieces like a streamed body; the chunk count."""
    out = io.BytesIO()
    writer = SealingWriter(out, KEY, chunk_size)
    step = max(1, len(data) // pieces)
    for i in range(0, len(data), step):
        writer.write(data[i : i + step])
    summary = writer.close()
    assert summary.size == len(data)
    assert summary.sha256 == hashlib.sha256(data).hexdigest()
    return out.getvalue(), summary.chunks


def unseal(blob: bytes) -> bytes:
    return b"".join(open_sealed(io.BytesIO(blob), KEY))


def chunks_of(blob: bytes, chunk_size: int = SMALL) -> tuple[bytes, list[bytes]]:
    body = blob[HEADER_BYTES:]
    step = chunk_size + TAG_BYTES
    return blob[:HEADER_BYTES], [body[i : i + step] for i in range(0, len(body), step)]


@pytest.mark.parametrize("size", [0, 1, SMALL - 1, SMALL, SMALL + 1, 3 * SMALL, 5 * SMALL + 17])
def test_round_trip_sizes(size: int) -> None:
    """Bytes out equal bytes in for sizes at and around chunk boundaries (an exact multiple
    of the chunk size included), with the chunk count the format promises."""
    data = secrets.token_bytes(size)
    blob, chunks = seal(data)
    assert chunks == chunk_count(size, SMALL)
    assert unseal(blob) == data
    assert len(blob) == HEADER_BYTES + size + chunks * TAG_BYTES


def test_default_chunk_size_round_trip() -> None:
    """The default 1 MiB chunks: a 2.5 MiB file is three chunks and comes back whole."""
    data = secrets.token_bytes(5 * 512 * 1024)
    out = io.BytesIO()
    writer = SealingWriter(out, KEY)
    for i in range(0, len(data), 300_000):
        writer.write(data[i : i + 300_000])
    assert writer.close().chunks == 3
    assert unseal(out.getvalue()) == data


def test_wrong_key_fails() -> None:
    """Another file's key opens nothing."""
    blob, _ = seal(b"evidence" * 20)
    with pytest.raises(SealBroken, match="chunk 0 fails authentication"):
        list(open_sealed(io.BytesIO(blob), secrets.token_bytes(32)))


@pytest.mark.parametrize("position", [0, 4, 5, 9, 15, HEADER_BYTES, HEADER_BYTES + 100, -1])
def test_flipped_byte_anywhere_is_found(position: int) -> None:
    """One flipped bit in the header (magic, version, chunk size, nonce prefix) or in any
    chunk fails."""
    blob = bytearray(seal(secrets.token_bytes(4 * SMALL + 3))[0])
    blob[position] ^= 0x01
    with pytest.raises(SealBroken):
        unseal(bytes(blob))


def test_every_chunk_flip_names_the_chunk() -> None:
    """A flip in chunk i is reported as chunk i."""
    blob, chunks = seal(secrets.token_bytes(4 * SMALL + 3))
    for i in range(chunks):
        bad = bytearray(blob)
        bad[HEADER_BYTES + i * (SMALL + TAG_BYTES) + 2] ^= 0x80
        with pytest.raises(SealBroken, match=f"chunk {i} fails authentication"):
            unseal(bytes(bad))


@pytest.mark.parametrize("size", [4 * SMALL + 3, 4 * SMALL])
def test_structural_tampering_is_found(size: int) -> None:
    """Dropping a middle or the final chunk, swapping two, cutting mid-chunk and appending
    garbage or a copied chunk each fail, for a short and for a full final chunk."""
    header, chunks = chunks_of(seal(secrets.token_bytes(size))[0])
    cases = {
        "drop middle": [chunks[0], *chunks[2:]],
        "drop final": chunks[:-1],
        "swap": [chunks[1], chunks[0], *chunks[2:]],
        "cut mid-chunk": [*chunks[:-2], chunks[-2][: SMALL // 2]],
        "cut final short": [*chunks[:-1], chunks[-1][:-1]],
        "append garbage": [*chunks, b"x" * 40],
        "append copy": [*chunks, chunks[1]],
        "only header": [],
    }
    for name, parts in cases.items():
        with pytest.raises(SealBroken):
            unseal(header + b"".join(parts))
            pytest.fail(name)


def test_messages_say_what_failed() -> None:
    """The final chunk missing, or data after it, is named as such."""
    header, chunks = chunks_of(seal(secrets.token_bytes(3 * SMALL))[0])
    with pytest.raises(SealBroken, match="truncated: no final chunk"):
        unseal(header + b"".join(chunks[:-1]))
    with pytest.raises(SealBroken, match="data after the final chunk"):
        unseal(header + b"".join(chunks) + chunks[0])
    with pytest.raises(SealBroken, match="bad magic"):
        unseal(b"ZZZZ" + header[4:] + b"".join(chunks))


@settings(max_examples=60)
@given(
    data=st.binary(min_size=1, max_size=6 * SMALL),
    a=st.integers(min_value=0),
    b=st.integers(min_value=0),
)
def test_read_range_equals_the_slice(data: bytes, a: int, b: int) -> None:
    """Any range of any sealed file decrypts to exactly the plaintext slice."""
    blob, _ = seal(data)
    start, end = sorted((a % len(data), b % len(data)))
    got = b"".join(read_range(io.BytesIO(blob), KEY, start, end, len(data)))
    assert got == data[start : end + 1]


def test_read_range_reads_only_its_chunks_and_checks_them() -> None:
    """A range in chunk 2 works even if chunk 0 is damaged (only its chunks are read), and
    fails when its own chunk is; a wrong size fails authentication of the last chunk."""
    data = secrets.token_bytes(5 * SMALL + 9)
    blob = bytearray(seal(data)[0])
    blob[HEADER_BYTES + 1] ^= 1  # chunk 0
    inside = b"".join(
        read_range(io.BytesIO(bytes(blob)), KEY, 2 * SMALL + 3, 2 * SMALL + 30, len(data))
    )
    assert inside == data[2 * SMALL + 3 : 2 * SMALL + 31]
    with pytest.raises(SealBroken, match="chunk 0"):
        list(read_range(io.BytesIO(bytes(blob)), KEY, 0, 3, len(data)))
    good, _ = seal(data)
    with pytest.raises(SealBroken):
        list(read_range(io.BytesIO(good), KEY, len(data) - 2, len(data) - 1, len(data) + 1))
    with pytest.raises(ValueError):
        list(read_range(io.BytesIO(good), KEY, 5, 4, len(data)))
