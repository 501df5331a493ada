"""Pure checks for case input: A-numbers, dates, codes, choices, and the order of dates.

No I/O and no database: the service layer (:mod:`asylumlens.cases.records`) and any web
form call these first, so nothing is saved from bad input. A refusal is a
:class:`CaseInputError` naming the field and what is valid, never the value given: the value
may be a client's name or A-number (8 CFR 208.6).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Final

from asylumlens.errors import AsylumLensError

OUTCOMES: Final = frozenset({"grant", "deny", "other"})
HEARING_MODES: Final = frozenset({"in_person", "video"})
APPELLANTS: Final = frozenset({"respondent", "dhs"})
APPEAL_STATUSES: Final = frozenset(
    {"due", "filed", "pending", "sustained", "dismissed", "remanded", "withdrawn"}
)
_CODE = re.compile(r"[A-Z0-9]{1,16}")
_A_NUMBER = re.compile(r"\d{8,9}")


class CaseInputError(AsylumLensError):
    """Bad case input; ``field`` names the field (the message never holds the value)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class KnownCodes:
    """The codes a release knows, to check a case against; ``None`` skips that check
    (the format is still checked). Passed in so validation stays pure."""

    nationality: Collection[str] | None = None
    court: Collection[str] | None = None
    judge: Collection[str] | None = None


def a_number(value: object, field: str = "a_number") -> str:
    """An A-number as 9 digits: ``A-012-345-678``, ``a12345678`` and ``012 345 678`` all
    give ``012345678`` (an 8-digit number gains its leading zero)."""
    if not isinstance(value, str):
        raise CaseInputError(field, "must be text: 8 or 9 digits, optionally after 'A'")
    digits = re.sub(r"[\s-]", "", value.strip())
    if digits[:1] in ("A", "a"):
        digits = digits[1:]
    if not _A_NUMBER.fullmatch(digits):
        raise CaseInputError(field, "must be 8 or 9 digits, optionally after 'A' with dashes")
    return digits.rjust(9, "0")


def text(value: object, field: str, *, max_length: int, required: bool = True) -> str | None:
    """Trimmed text of at most ``max_length`` characters; empty is ``None`` unless required."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise CaseInputError(field, "is required")
        return None
    if not isinstance(value, str):
        raise CaseInputError(field, "must be text")
    cleaned = value.strip()
    if len(cleaned) > max_length:
        raise CaseInputError(field, f"must be at most {max_length} characters")
    return cleaned


def required_text(value: object, field: str, *, max_length: int) -> str:
    """:func:`text` that is never empty."""
    cleaned = text(value, field, max_length=max_length, required=True)
    assert cleaned is not None
    return cleaned


def a_date(value: object, field: str) -> date:
    """A date, given as a :class:`date` or an ISO ``YYYY-MM-DD`` string."""
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise CaseInputError(field, "must be a date YYYY-MM-DD")


def optional_date(value: object, field: str) -> date | None:
    """:func:`a_date`, or ``None`` for a missing or empty value."""
    if value is None or value == "":
        return None
    return a_date(value, field)


def not_before(later: date | None, earlier: date | None, field: str, what: str) -> None:
    """Refuse ``later`` when it falls before ``earlier`` (either missing: nothing to check)."""
    if later is not None and earlier is not None and later < earlier:
        raise CaseInputError(field, f"must not be before {what}")


def code(value: object, field: str, known: Collection[str] | None = None) -> str:
    """An EOIR code (letters and digits, upper-cased); one of ``known`` when given."""
    if not isinstance(value, str) or not _CODE.fullmatch(value.strip().upper()):
        raise CaseInputError(field, "must be a code of 1-16 letters or digits")
    cleaned = value.strip().upper()
    if known is not None and cleaned not in known:
        raise CaseInputError(field, "is not a code in the release")
    return cleaned


def optional_code(value: object, field: str, known: Collection[str] | None = None) -> str | None:
    """:func:`code`, or ``None`` for a missing or empty value."""
    if value is None or value == "":
        return None
    return code(value, field, known)


def choice(value: object, field: str, allowed: Collection[str]) -> str:
    """One of ``allowed`` (case-insensitive)."""
    cleaned = value.strip().lower() if isinstance(value, str) else None
    if cleaned is None or cleaned not in allowed:
        raise CaseInputError(field, f"must be one of {', '.join(sorted(allowed))}")
    return cleaned


def flag(value: object, field: str) -> bool:
    """A yes/no value: a bool, or ``true``/``false``/``yes``/``no``/``1``/``0`` text."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "yes", "1", "false", "no", "0"}:
        return value.strip().lower() in {"true", "yes", "1"}
    raise CaseInputError(field, "must be true or false")


def only_fields(data: Mapping[str, object], allowed: Collection[str]) -> None:
    """Refuse a field the form does not have (a typo would otherwise be dropped silently)."""
    for name in data:
        if name not in allowed:
            raise CaseInputError(name, f"is not a field; fields: {', '.join(sorted(allowed))}")
