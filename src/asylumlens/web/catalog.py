"""The judges, courts and nationalities a release knows, for listings, links and near matches.

The directory is :func:`asylumlens.analytics.codes`: the codes that occur on at least one
decided asylum application of the release, with their labels and decision counts, so a
code is "known" exactly when some rate can be computed for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal
from urllib.parse import quote

from asylumlens.analytics.code_match import KnownCode, near_matches
from asylumlens.web.errors import Suggestion, not_found
from asylumlens.web.queries import Queries

Kind = Literal["judges", "courts", "nationalities"]

DIMENSION_OF: Final[dict[Kind, str]] = {
    "judges": "judge",
    "courts": "court",
    "nationalities": "nationality",
}
SINGULAR: Final[dict[Kind, str]] = {
    "judges": "judge",
    "courts": "court",
    "nationalities": "nationality",
}


def label_column(dimension: str) -> str:
    """The analytics' label column for a dimension (``judge`` -> ``judge_name``)."""
    return f"{dimension}_name"


def entity_path(kind: Kind, code: str) -> str:
    return f"/{kind}/{quote(code, safe='')}"


@dataclass(frozen=True)
class Entity:
    kind: Kind
    code: str
    label: str | None
    decisions: int

    @property
    def path(self) -> str:
        return entity_path(self.kind, self.code)

    @property
    def title(self) -> str:
        return f"{self.label} ({self.code})" if self.label else self.code


def entities(queries: Queries, kind: Kind) -> list[Entity]:
    """Every code of ``kind`` with at least one decided application, largest caseload first."""
    found = [
        Entity(
            kind,
            str(row["code"]),
            str(row["label"]).strip() if row.get("label") not in (None, "") else None,
            int(row.get("decisions") or 0),
        )
        for row in queries.codes(DIMENSION_OF[kind]).rows
        if row.get("code") not in (None, "")
    ]
    return sorted(found, key=lambda e: (-e.decisions, e.code))


def matches_search(query: str | None, code: object, label: object) -> bool:
    """The listing search rule: ``query`` occurs, ignoring case and surrounding spaces, in
    the code or in the name. An empty query matches everything."""
    needle = (query or "").strip().casefold()
    if not needle:
        return True
    return any(needle in str(text).casefold() for text in (code, label) if text not in (None, ""))


def find(queries: Queries, kind: Kind, code: str) -> Entity:
    """The entity with this code, or a 404 that suggests near matches."""
    known = entities(queries, kind)
    for entity in known:
        if entity.code == code:
            return entity
    stripped = code.strip().upper()
    for entity in known:
        if entity.code.strip().upper() == stripped:
            return entity
    raise not_found(
        f"no {SINGULAR[kind]} with code {code!r} in this release",
        suggest(known, code),
    )


def suggest(known: list[Entity], text: str, limit: int = 8) -> list[Suggestion]:
    """Near matches over codes and labels, closest first (the library's rule,
    :func:`asylumlens.analytics.code_match.near_matches`); when nothing is near, the
    largest caseloads, so the page is never a dead end."""
    by_code = {e.code: e for e in known}
    near = near_matches(text, (KnownCode(e.code, e.label) for e in known), limit)
    picked = [by_code[k.code] for k in near] or known[:5]
    return [Suggestion(code=e.code, label=e.label, url=e.path) for e in picked[:limit]]
