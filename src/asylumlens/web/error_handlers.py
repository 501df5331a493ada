"""Every failure as a response: JSON under ``/api/`` (and the ``.json``/``.csv`` twins), a
page elsewhere, in the one shape of :mod:`asylumlens.web.errors`.

Kept apart from the error values so that rendering (which needs :class:`WebError`) and the
handlers (which need rendering) import each other in one direction only.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from asylumlens.errors import AsylumLensError
from asylumlens.web.errors import WebError
from asylumlens.web.rendering import render_error_page

log = logging.getLogger("asylumlens.web")


def _describe_validation(exc: RequestValidationError) -> list[str]:
    """One message per bad parameter (a union's branches would otherwise each complain)."""
    messages: dict[str, str] = {}
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ())]
        where = loc[0] if loc else "request"
        label = f"{where} parameter {loc[1]!r}" if len(loc) > 1 else where
        messages.setdefault(label, f"{label}: {err.get('msg', 'invalid value')}")
    return list(messages.values()) or ["invalid request"]


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or path.endswith((".json", ".csv"))


def error_response(request: Request, error: WebError) -> Response:
    """Render ``error`` as JSON for API clients and as a page for browsers."""
    if _wants_json(request):
        response: Response = JSONResponse(
            error.body().model_dump(mode="json"), status_code=error.status
        )
    else:
        response = render_error_page(request, error)
    for key, value in error.headers.items():
        response.headers[key] = value
    return response


def install_error_handlers(app: FastAPI) -> None:
    """Route every kind of failure through :func:`error_response`."""

    async def on_web_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, WebError)
        return error_response(request, exc)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return error_response(request, WebError(422, _describe_validation(exc)))

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 404:
            message = f"no page at {request.url.path}"
        elif exc.status_code == 405:
            message = f"method {request.method} is not allowed here; use GET"
        else:
            message = str(exc.detail)
        response = error_response(request, WebError(exc.status_code, [message]))
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    async def on_query_error(request: Request, exc: Exception) -> Response:
        return error_response(request, WebError(422, [str(exc)]))

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s", request.url.path, exc_info=exc)
        return error_response(
            request, WebError(500, ["internal error; the server log has the details"])
        )

    app.add_exception_handler(WebError, on_web_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(AsylumLensError, on_query_error)
    app.add_exception_handler(Exception, on_unexpected)
