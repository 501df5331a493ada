"""From what a user types to the release's own code: ``nyc`` -> NYC, ``china`` -> CH.

Filters select rows by code, as the release writes them, but people type codes in any case
and know places and countries by name. A filter value is resolved against the codes (with
their labels) that the release uses for that dimension, in this order:

1. the code exactly as given;
2. a code equal to it ignoring case (``nyc`` -> ``NYC``), when exactly one is;
3. a code whose whole label equals it ignoring case (``china`` -> ``CH`` "CHINA");
4. a code whose label starts with it, then one with a word of its label starting with it,
   when exactly one does (``salvador`` -> ``ES`` "EL SALVADOR") - for values of at least
   :data:`NAME_FRAGMENT_MIN` characters only. A short value is a code or nothing: ``D``
   (custody "Detained") in a release without it must be unknown, never a fragment of
   "Never Detained" - that would count the wrong people.

Two or more codes at the first step that has any is ambiguous, and no code at all is
unknown: both are a :class:`~asylumlens.errors.QueryError` of one line naming the dimension
and the candidates (for an unknown value, the release's codes), closest first
(:mod:`difflib`). The release's spelling of the code is what the query uses and what
``df.attrs["where"]`` reports.

Pure functions over ``(code, label)`` pairs, so the rules are tested without a release.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from asylumlens.errors import QueryError

SHOWN: Final = 8
"""Candidates named in an error message (closest first)."""

NEAR_MIN: Final = 0.5
"""The closeness (0..1) from which a code is offered as a near match ("did you mean")."""

NAME_FRAGMENT_MIN: Final = 3
"""The fewest characters a value needs before it may match part of a name (steps 4)."""


@dataclass(frozen=True)
class KnownCode:
    """A code the release uses for a dimension, with its label (None when unlisted)."""

    code: str
    label: str | None = None

    def shown(self) -> str:
        return f"{self.code} ({self.label})" if self.label else self.code


def _fold(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


def _closeness(value: str, known: KnownCode) -> float:
    """How close ``value`` is to a code or its label (0..1, difflib's ratio)."""
    target = _fold(value)
    scores = [difflib.SequenceMatcher(None, target, _fold(known.code)).ratio()]
    if known.label:
        label = _fold(known.label)
        scores.append(difflib.SequenceMatcher(None, target, label).ratio())
        if target and target in label:
            scores.append(0.5 + 0.5 * len(target) / len(label))
    return max(scores)


def closest(value: str, known: Iterable[KnownCode], limit: int = SHOWN) -> list[KnownCode]:
    """``known`` ordered closest to ``value`` first (ties by code), at most ``limit``."""
    ranked = sorted(known, key=lambda k: (-_closeness(value, k), k.code))
    return ranked[:limit]


def near_matches(value: str, known: Iterable[KnownCode], limit: int = SHOWN) -> list[KnownCode]:
    """The codes ``value`` may have meant ("did you mean"), closest first (ties by code):
    those at least :data:`NEAR_MIN` close to the code or the label (a label containing the
    value always is), at most ``limit``. None for an empty value or when nothing is that
    close: the caller then offers something else (the web: the largest caseloads)."""
    if not _fold(value):
        return []
    scored = sorted(((_closeness(value, k), k) for k in known), key=lambda s: (-s[0], s[1].code))
    return [k for score, k in scored if score >= NEAR_MIN][:limit]


def _listed(value: str, candidates: Sequence[KnownCode]) -> str:
    shown = closest(value, candidates)
    more = f" and {len(candidates) - len(shown)} more" if len(candidates) > len(shown) else ""
    return ", ".join(k.shown() for k in shown) + more


def _words(text: str | None) -> list[str]:
    return re.split(r"[^0-9a-z]+", _fold(text))


def matches(value: str, known: Sequence[KnownCode]) -> list[KnownCode]:
    """The codes of the first resolution step (module docstring) that ``value`` meets."""
    exact = [k for k in known if k.code == value]
    if exact:
        return exact
    target = _fold(value)
    if not target:
        return []
    steps: tuple[Callable[[KnownCode], bool], ...] = (
        lambda k: _fold(k.code) == target,
        lambda k: _fold(k.label) == target,
    )
    if len(target) >= NAME_FRAGMENT_MIN:
        steps += (
            lambda k: _fold(k.label).startswith(target),
            lambda k: any(word.startswith(target) for word in _words(k.label)),
        )
    for step in steps:
        found = [k for k in known if step(k)]
        if found:
            return found
    return []


def resolve_code(dimension: str, value: str, known: Sequence[KnownCode], release: str) -> str:
    """The release's code for ``value`` (module docstring); QueryError when there is not
    exactly one."""
    found = matches(value, known)
    if len(found) == 1:
        return found[0].code
    hint = f"list them with `asylumlens codes {dimension} --search TEXT`"
    if found:
        raise QueryError(
            f"{dimension} {value!r} is ambiguous in release {release}: it matches "
            f"{len(found)} codes, {_listed(value, found)}; give the code ({hint})"
        )
    raise QueryError(
        f"unknown {dimension} code {value!r}: no asylum decision in release {release} has "
        f"that code or name; valid ({len(known)}): {_listed(value, known)} ({hint})"
    )


def resolve_codes(
    dimension: str, values: Iterable[str], known: Sequence[KnownCode], release: str
) -> tuple[str, ...]:
    """Each value's code, in the order given, each code once."""
    return tuple(dict.fromkeys(resolve_code(dimension, v, known, release) for v in values))


def search_rank(text: str, known: KnownCode) -> int | None:
    """How well a code and label match a search fragment (0 best), None when they do not:
    the code itself, the whole label, a label prefix, a word of the label starting with it,
    the label or code containing it."""
    target = _fold(text)
    code, label = _fold(known.code), _fold(known.label)
    if code == target:
        return 0
    if label == target:
        return 1
    if label.startswith(target):
        return 2
    if any(word.startswith(target) for word in label.replace("-", " ").split()):
        return 3
    if target in label or target in code:
        return 4
    return None
