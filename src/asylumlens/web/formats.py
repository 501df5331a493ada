"""Turn a result table into the API's JSON envelope or its CSV twin, with ETag and paging.

JSON is cut into pages (``_size``, default 1000, and ``_next``). A CSV with an explicit
``_size`` holds exactly the rows of the JSON page for the same URL (a test checks this); a
CSV without one is the whole list, streamed row batch by row batch, because a download
that stops at 1,000 rows looks complete and is not.

Every response's ETag is a function of the served release's ETag, the app version and the
canonical URL (path plus the route's declared parameters, :func:`url_etag`): two URLs never
share one, one URL keeps its ETag across requests and processes. :func:`cache_headers` and
:func:`not_modified` are the one place that computes and honours it, for the API and the
pages alike. Conditional requests are answered after the parameters were validated, so a
bad URL gets its 422 even when the client sends a matching ``If-None-Match``.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final, Literal

from fastapi import Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel

from asylumlens import __version__
from asylumlens.output import Format, emit, jsonable
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


def url_etag(release_etag: str, path: str, query: str) -> str:
    """The strong ETag of one URL's rendering: release ETag, app version, path, query."""
    basis = "\x1f".join([release_etag, __version__, path, query])
    return '"' + hashlib.sha256(basis.encode("utf-8")).hexdigest()[:32] + '"'


def request_etag(request: Request, state: WebState) -> str:
    """:func:`url_etag` of this request: its path and canonical (declared-only) query."""
    return url_etag(state.etag, request.url.path, canonical_query(request.scope))


def cache_headers(request: Request, state: WebState) -> dict[str, str]:
    return {
        "ETag": request_etag(request, state),
        "Cache-Control": "no-cache",
        "X-AsylumLens-Release": state.info.id,
        "X-AsylumLens-Synthetic": "true" if state.info.synthetic else "false",
    }


def not_modified(request: Request, state: WebState) -> Response | None:
    """A 304 when the client already holds this release's rendering of the URL."""
    if request.method in ("GET", "HEAD") and etag_matches(
        request.headers.get("if-none-match"), request_etag(request, state)
    ):
        return Response(status_code=304, headers=cache_headers(request, state))
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


CSV_BATCH: Final = 500
"""Rows per chunk of a streamed CSV: small enough to start at once, large enough that the
per-chunk overhead (a thread hop each) stays negligible."""


def csv_chunks(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> Iterator[str]:
    """The CSV of ``rows``, as :func:`asylumlens.output.emit` writes it, in batches."""
    cols = list(columns)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(cols)
    for start in range(0, len(rows), CSV_BATCH):
        for r in rows[start : start + CSV_BATCH]:
            writer.writerow(["" if (v := jsonable(r.get(c))) is None else v for c in cols])
        yield out.getvalue()
        out.seek(0)
        out.truncate()
    if out.tell():
        yield out.getvalue()  # the header of an empty list


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
    """The JSON envelope (``envelope`` may add keys via ``extra``) of one page, the CSV of
    one page (``_size`` given) or the CSV of every row from the page's offset on."""
    if (cached := not_modified(request, state)) is not None:
        return cached
    headers = cache_headers(request, state)
    if fmt == "csv" and not page.sized:
        headers["Content-Disposition"] = f'attachment; filename="{csv_filename(request, state)}"'
        return StreamingResponse(
            csv_chunks(rows[page.offset :], columns),
            media_type="text/csv; charset=utf-8",
            headers=headers,
        )
    sliced = list(rows[page.offset : page.offset + page.size])
    token = page.next_token(len(rows))
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


__all__ = ["Envelope", "cache_headers", "not_modified", "respond", "url_etag"]
