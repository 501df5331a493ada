"""The query string as the app understands it: only the parameters the route declares.

A parameter no route reads (``?utm_source=x``, ``?junk=1``) cannot change a response, so it
must not change the response cache's key (or every junk value would be a new entry) nor
reappear in the links a page or a ``next`` URL is built from. Both use
:func:`canonical_query`: the declared parameters in the order sent, the rest dropped.
Values are kept as sent; the handlers validate them (an invalid one gets its 422). The
declared names are known once the router has matched the request (``scope["route"]``).
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi.routing import APIRoute
from starlette.types import Scope

_guard = threading.Lock()
_known: dict[int, frozenset[str]] = {}


def _names(dependant: Any) -> set[str]:
    names = {str(field.alias) for field in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _names(sub)
    return names


def route_parameters(route: APIRoute) -> frozenset[str]:
    """The query parameter names ``route`` declares, its dependencies' included."""
    with _guard:
        found = _known.get(id(route))
        if found is None:
            found = frozenset(_names(route.dependant))
            _known[id(route)] = found
        return found


def matching_route(scope: Scope) -> APIRoute | None:
    """The route that handled this request (set in the scope by the router), if any."""
    route = scope.get("route")
    return route if isinstance(route, APIRoute) else None


def normalised_query(scope: Scope) -> str:
    """Every parameter, decoded and encoded again as :func:`canonical_query` encodes: the
    two are equal exactly when the request carries no undeclared parameter."""
    raw = scope.get("query_string", b"").decode("latin-1")
    return urlencode(parse_qsl(raw, keep_blank_values=True))


def canonical_pairs(scope: Scope) -> list[tuple[str, str]]:
    """The declared parameters of the request, in the order sent; [] before routing."""
    route = matching_route(scope)
    if route is None:
        return []
    known = route_parameters(route)
    raw = scope.get("query_string", b"").decode("latin-1")
    return [(k, v) for k, v in parse_qsl(raw, keep_blank_values=True) if k in known]


def canonical_query(scope: Scope, *, drop: tuple[str, ...] = ()) -> str:
    """:func:`canonical_pairs` encoded again, without the names in ``drop``."""
    return urlencode([(k, v) for k, v in canonical_pairs(scope) if k not in drop])
