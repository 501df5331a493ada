"""Compile a query once per *shape*, its code values bound as SQL parameters.

Building and compiling an Ibis expression costs 20-60 ms of Python, more than DuckDB takes
to answer it from a rollup. A cold page asks the same few shapes of query for every judge,
court or nationality (``rates by fiscal_year where judge = ?``), so the SQL of a shape is
compiled once, with a placeholder string where each code goes, and every later query of
that shape only binds its codes (``$1``, ``$2``, ... on DuckDB's prepared statements).

The values then never become SQL text at all, which is stronger than Ibis's quoting. The
placeholders are random per process, so no code in a release can collide with one. A
placeholder that Ibis moved out of a string literal, or dropped, makes the shape
unbindable: :func:`bind_placeholders` says so and the caller compiles with literals, as
before. Spark keeps literals (its session API has no positional parameters to bind).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Final, TypeVar

_PREFIX: Final = f"asylumlens{secrets.token_hex(8)}"

V = TypeVar("V")


def placeholder(index: int) -> str:
    """The stand-in for the ``index``-th bound value (a string no release holds)."""
    return f"{_PREFIX}p{index}q"


def placeholders(count: int) -> tuple[str, ...]:
    return tuple(placeholder(i) for i in range(count))


def filled(values: Sequence[V], bound: Mapping[str, V]) -> tuple[V, ...]:
    """``values`` with each placeholder replaced by its bound value (others kept)."""
    return tuple(bound.get(v, v) if isinstance(v, str) else v for v in values)


def bind_placeholders(sql: str, count: int) -> str | None:
    """``sql`` with each quoted placeholder ``'…p{i}q'`` replaced by ``${i + 1}``, or None
    when a placeholder is missing or appears anywhere but as a whole string literal."""
    for i in range(count):
        token = placeholder(i)
        quoted = f"'{token}'"
        uses = sql.count(token)
        if uses == 0 or uses != sql.count(quoted):
            return None
        sql = sql.replace(quoted, f"${i + 1}")
    return None if _PREFIX in sql else sql
