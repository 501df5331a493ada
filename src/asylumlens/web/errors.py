"""One error shape for every failure, as JSON under ``/api/`` and as a page elsewhere.

JSON errors always look like (Datasette's envelope, plus suggestions)::

    {"ok": false, "status": 422, "error": "a; b", "errors": ["a", "b"], "suggestions": [...]}

``error`` is always ``"; ".join(errors)``, so a client can show one line or a list. Bad
input never shows a traceback: FastAPI's own validation errors, unknown routes, the
analytics layer's :class:`~asylumlens.errors.QueryError` and unexpected failures are all
turned into this shape here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from asylumlens.errors import AsylumLensError

log = logging.getLogger("asylumlens.web")


class Suggestion(BaseModel):
    """A near match for an unknown code: what the user may have meant, with its page."""

    code: str
    label: str | None
    url: str


class ErrorBody(BaseModel):
    """The body of every error response."""

    ok: Literal[False] = False
    status: int
    error: str
    errors: list[str]
    suggestions: list[Suggestion] = []


class WebError(Exception):
    """An error meant for the user: a status, messages that say what is valid, suggestions."""

    def __init__(
        self,
        status: int,
        errors: Sequence[str],
        suggestions: Sequence[Suggestion] = (),
    ) -> None:
        super().__init__("; ".join(errors))
        self.status = status
        self.errors = list(errors)
        self.suggestions = list(suggestions)

    def body(self) -> ErrorBody:
        return ErrorBody(
            status=self.status,
            error="; ".join(self.errors),
            errors=self.errors,
            suggestions=self.suggestions,
        )


def bad_params(*errors: str) -> WebError:
    """422: the request is well formed but asks for something that does not exist."""
    return WebError(422, errors)


def not_found(message: str, suggestions: Sequence[Suggestion] = ()) -> WebError:
    return WebError(404, [message], suggestions)


ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorBody, "description": "Malformed URL (a NUL character)"},
    404: {"model": ErrorBody, "description": "Unknown code; `suggestions` lists near matches"},
    414: {"model": ErrorBody, "description": "URL longer than the server accepts"},
    422: {"model": ErrorBody, "description": "Invalid parameters; the message lists valid ones"},
}
"""OpenAPI ``responses=`` entry shared by every API route, so the schema documents errors."""


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
        return JSONResponse(error.body().model_dump(mode="json"), status_code=error.status)
    from asylumlens.web.rendering import render_error_page  # cycle: rendering uses errors

    return render_error_page(request, error)


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
