"""Turn a result table into the API's JSON envelope or its CSV twin, with ETag and paging.

Both formats are cut from the same rows with the same ``_size``/``_next`` slice, so the CSV
of a URL holds exactly the rows of its JSON (a test checks this). Conditional requests are
answered here, after the parameters were validated, so a bad URL gets its 422 even when the
client sends a matching ``If-None-Match``.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from asylumlens.output import Format, emit
from asylumlens.web.canonical import canonical_query
from asylumlens.web.context import WebState
from asylumlens.web.params import OutputFormat, Page
from asylumlens.web.provenance import ReleaseInfo, etag_matches


class Envelope(BaseModel):
    """Every successful JSON response: provenance, the query as understood, one table."""

    ok: Literal[True] = True
    release: ReleaseInfo
    query: dict[str, Any]
    columns: list[str]
    rows: list[dict[str, Any]]
    total_rows: int
    next: str | None
    next_url: str | None
    model: dict[str, Any] | None = None
    """With a court's judges: how the estimates were made (``model``, ``note``, ``prior``)
    and the codes that are not judges (``not_judges``), never fitted or ranked."""


def cache_headers(state: WebState) -> dict[str, str]:
    return {
        "ETag": state.etag,
        "Cache-Control": "no-cache",
        "X-AsylumLens-Release": state.info.id,
        "X-AsylumLens-Synthetic": "true" if state.info.synthetic else "false",
    }


def not_modified(request: Request, state: WebState) -> Response | None:
    """A 304 when the client already holds this release's rendering of the URL."""
    if request.method in ("GET", "HEAD") and etag_matches(
        request.headers.get("if-none-match"), state.etag
    ):
        return Response(status_code=304, headers=cache_headers(state))
    return None


def _next_url(request: Request, state: WebState, token: str) -> str:
    """The next page's URL: the configured base URL (relative when none), the path, the
    route's declared parameters, never the request's Host header or junk parameters."""
    query = canonical_query(request.scope, drop=("_next",))
    query = f"{query}&_next={token}" if query else f"_next={token}"
    return f"{state.base_url}{request.url.path}?{query}"


def csv_filename(request: Request, state: WebState) -> str:
    stem = request.url.path.rstrip("/").rsplit("/", 1)[-1] or "data"
    stem = stem.removesuffix(".csv").removesuffix(".json")
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in stem)
    label = "-SYNTHETIC" if state.info.synthetic else ""
    return f"{safe}-{state.info.id}{label}.csv"


def respond(
    request: Request,
    state: WebState,
    fmt: OutputFormat,
    columns: Sequence[str],
    rows: Sequence[Mapping[str, Any]],
    page: Page,
    query: Mapping[str, Any],
    envelope: type[Envelope] = Envelope,
    **extra: Any,
) -> Response:
    """The JSON envelope (``envelope`` may add keys via ``extra``) or the CSV of one page."""
    if (cached := not_modified(request, state)) is not None:
        return cached
    sliced = list(rows[page.offset : page.offset + page.size])
    token = page.next_token(len(rows))
    headers = cache_headers(state)
    if token is not None:
        headers["Link"] = f'<{_next_url(request, state, token)}>; rel="next"'
    if fmt == "csv":
        out = io.StringIO()
        emit(sliced, Format.csv, out=out, columns=list(columns))
        headers["Content-Disposition"] = f'attachment; filename="{csv_filename(request, state)}"'
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)
    body = envelope(
        release=state.info,
        query=dict(query),
        columns=list(columns),
        rows=[dict(r) for r in sliced],
        total_rows=len(rows),
        next=token,
        next_url=_next_url(request, state, token) if token else None,
        **extra,
    )
    return JSONResponse(body.model_dump(mode="json"), headers=headers)


__all__ = ["Envelope", "not_modified", "respond"]
