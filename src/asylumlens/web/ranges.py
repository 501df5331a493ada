"""HTTP byte ranges (RFC 9110 §14) for exhibit downloads: a video player seeks with them.

One range per request (``bytes=500-999``, ``bytes=500-``, ``bytes=-500``); several ranges or
a malformed header are ignored and the whole file is sent (§14.2 lets a server ignore
Range), and a range wholly past the end is 416 with ``Content-Range: bytes */SIZE``.
"""

from __future__ import annotations

import re
from typing import Final

from asylumlens.web.errors import WebError

_ONE_RANGE: Final = re.compile(r"bytes=(\d*)-(\d*)")


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive (first, last) byte the ``Range`` header asks of a ``size``-byte file,
    or None for the whole file; raises the 416 :class:`WebError` when unsatisfiable."""
    if not header or size <= 0:
        return None
    match = _ONE_RANGE.fullmatch(header.strip())
    if match is None:
        return None
    first_text, last_text = match.groups()
    if not first_text and not last_text:
        return None
    if not first_text:  # a suffix: the last N bytes
        n = int(last_text)
        if n == 0:
            raise unsatisfiable(size)
        return max(0, size - n), size - 1
    first = int(first_text)
    if first >= size:
        raise unsatisfiable(size)
    last = int(last_text) if last_text else size - 1
    if last < first:
        return None
    return first, min(last, size - 1)


def unsatisfiable(size: int) -> WebError:
    return WebError(
        416, [f"range not satisfiable: the file has {size} bytes"],
        headers={"Content-Range": f"bytes */{size}"},
    )  # fmt: skip
