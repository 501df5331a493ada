"""Byte ranges against a plain slice of the file (the oracle), RFC 9110 §14's cases."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asylumlens.web.errors import WebError
from asylumlens.web.ranges import byte_range

SIZE = 1000


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-499", (0, 499)),
        ("bytes=500-", (500, 999)),
        ("bytes=-200", (800, 999)),
        ("bytes=-5000", (0, 999)),
        ("bytes=900-5000", (900, 999)),
        ("bytes=0-0", (0, 0)),
        (None, None),
        ("", None),
        ("bytes=0-1,5-6", None),  # several ranges: the whole file
        ("items=0-5", None),
        ("bytes=9-3", None),
        ("bytes=-", None),
    ],
)
def test_ranges(header: str | None, expected: tuple[int, int] | None) -> None:
    assert byte_range(header, SIZE) == expected


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=5000-6000", "bytes=-0"])
def test_unsatisfiable_ranges_are_416_with_the_size(header: str) -> None:
    with pytest.raises(WebError) as refused:
        byte_range(header, SIZE)
    assert refused.value.status == 416
    assert refused.value.headers == {"Content-Range": f"bytes */{SIZE}"}


@given(st.integers(0, 2000), st.integers(0, 2000), st.integers(1, 1500))
def test_a_satisfiable_range_selects_what_a_slice_selects(a: int, b: int, size: int) -> None:
    data = bytes(i % 251 for i in range(size))
    try:
        got = byte_range(f"bytes={a}-{b}", size)
    except WebError:
        assert a >= size
        return
    if got is None:
        assert b < a
        return
    first, last = got
    assert data[first : last + 1] == data[a : b + 1]
