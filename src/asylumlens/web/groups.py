"""The judge page's group filters (nationality, custody, representation, period), validated.

"This judge, Chinese, detained, the last 5 years" is a permalink: every choice is a GET
parameter, shared by the page and its JSON twin (``/api/v1/judges/{code}``) through
:data:`JudgeGroupDep`, so the two cannot read a URL differently. Values are checked here
for shape only (a yes/no flag, a count of years, a fiscal year); whether a code exists,
and which code a spelling means, is the library's to say (:func:`views.resolve_group`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Final

from fastapi import Depends, Query

from asylumlens.web.errors import bad_params
from asylumlens.web.params import PeriodQuery, check_period

GROUP_DIMENSIONS: Final = ("nationality", "custody", "represented")
"""The dimensions a judge page can be narrowed to, in the order the page shows them."""

FLAGS: Final = {"true": "true", "yes": "true", "false": "false", "no": "false"}
LAST_CHOICES: Final = (5, 10)
"""The "last N fiscal years" the page's form offers (any 1-50 is accepted in a URL)."""
LAST_MAX: Final = 50


@dataclass(frozen=True)
class JudgeGroup:
    """Which decisions of a judge to count: a group and a period, as given in the URL."""

    nationality: str | None = None
    custody: str | None = None
    represented: str | None = None
    since: str | None = None
    until: str | None = None
    last: int | None = None

    def filters(self) -> tuple[tuple[str, str], ...]:
        """The group as (dimension, value) pairs, unresolved, in page order."""
        return tuple(
            (dim, value) for dim in GROUP_DIMENSIONS if (value := getattr(self, dim)) is not None
        )

    def query_pairs(self) -> list[tuple[str, str]]:
        """The URL parameters that reproduce this group (empty ones left out)."""
        pairs = list(self.filters())
        if self.last is not None:
            pairs.append(("last", str(self.last)))
        pairs += [(k, v) for k, v in (("since", self.since), ("until", self.until)) if v]
        return pairs


def _text(value: str | None) -> str | None:
    if value is None or value.strip() == "":
        return None
    return value.strip()


def check_flag(name: str, value: str | None) -> str | None:
    text = _text(value)
    if text is None:
        return None
    flag = FLAGS.get(text.lower())
    if flag is None:
        raise bad_params(f"{name}={value!r} is not a yes/no value; valid: true, false")
    return flag


def check_last(value: str | None) -> int | None:
    text = _text(value)
    if text is None:
        return None
    if not text.isdigit() or not 1 <= int(text) <= LAST_MAX:
        raise bad_params(f"last={value!r} is not a number of fiscal years from 1 to {LAST_MAX}")
    return int(text)


def judge_group(
    nationality: Annotated[
        str | None, Query(description="Only decisions for this nationality (NAT code).")
    ] = None,
    custody: Annotated[
        str | None, Query(description="Only decisions with this custody code: D, R or N.")
    ] = None,
    represented: Annotated[
        str | None, Query(description="Only represented (true) or unrepresented (false).")
    ] = None,
    last: Annotated[
        str | None,
        Query(
            description=("The last N fiscal years of the release (e.g. 5), instead of since/until.")
        ),
    ] = None,
    since: PeriodQuery = None,
    until: PeriodQuery = None,
) -> JudgeGroup:
    """The judge page's group and period, validated (a bad value is a 422 naming it)."""
    years = check_last(last)
    start, end = check_period("since", since), check_period("until", until)
    if years is not None and (start or end):
        raise bad_params(
            f"last={years} and since/until both set a period; give one "
            "(last=N means the release's last N fiscal years)"
        )
    return JudgeGroup(
        nationality=_text(nationality),
        custody=_text(custody),
        represented=check_flag("represented", represented),
        since=start,
        until=end,
        last=years,
    )


JudgeGroupDep = Annotated[JudgeGroup, Depends(judge_group)]
