"""``.json`` / ``.csv`` suffixes on page URLs, Datasette-style: ``/judges/ABC.csv``.

Each page's data lives under ``/api/v1``; these routes send a page URL with a suffix to
its API twin (307, query string kept), so ``/explorer.csv?by=court`` is the Explorer's CSV.
They are registered before the pages, whose ``{code}`` would otherwise take ``ABC.csv``.
"""

from __future__ import annotations

from typing import Final, Literal
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

router = APIRouter(include_in_schema=False)

Suffix = Literal["json", "csv"]

PAGE_TWINS: Final[dict[str, str]] = {
    "/index": "/api/v1/compare",
    "/explorer": "/api/v1/rates",
    "/claim": "/api/v1/claim",
    "/judges": "/api/v1/judges",
    "/courts": "/api/v1/courts",
    "/nationalities": "/api/v1/nationalities",
    "/data": "/api/v1/release",
    "/methodology": "/api/v1/definitions",
    "/similar": "/api/v1/similar",
}


def _redirect(request: Request, target: str, suffix: Suffix) -> RedirectResponse:
    query = request.url.query
    return RedirectResponse(f"{target}.{suffix}" + (f"?{query}" if query else ""), 307)


def _listing(page: str, target: str) -> None:
    for suffix in ("json", "csv"):

        def twin(
            request: Request, suffix: Suffix = suffix, target: str = target
        ) -> RedirectResponse:
            return _redirect(request, target, suffix)

        router.get(f"{page}.{suffix}")(twin)


for _page, _target in PAGE_TWINS.items():
    _listing(_page, _target)


for _kind in ("judges", "courts", "nationalities"):
    for _suffix in ("json", "csv"):

        def _detail_twin(
            request: Request, code: str, kind: str = _kind, suffix: Suffix = _suffix
        ) -> RedirectResponse:
            return _redirect(request, f"/api/v1/{kind}/{quote(code, safe='')}", suffix)

        router.get(f"/{_kind}/{{code}}.{_suffix}")(_detail_twin)
