"""One error shape for every failure: the error values (what went wrong, what is valid).

:mod:`asylumlens.web.error_handlers` turns them (and every other failure) into responses;
this module imports nothing that renders, so any module may raise a :class:`WebError`.

JSON errors always look like (Datasette's envelope, plus suggestions)::

    {"ok": false, "status": 422, "error": "a; b", "errors": ["a", "b"], "suggestions": [...]}

``error`` is always ``"; ".join(errors)``, so a client can show one line or a list. Bad
input never shows a traceback: FastAPI's own validation errors, unknown routes, the
analytics layer's :class:`~asylumlens.errors.QueryError` and unexpected failures are all
turned into this shape by the handlers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import BaseModel


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
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__("; ".join(errors))
        self.status = status
        self.errors = list(errors)
        self.suggestions = list(suggestions)
        self.headers = dict(headers or {})
        """Sent with the error (``Retry-After`` on a 429)."""

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
