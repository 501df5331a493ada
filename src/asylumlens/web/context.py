"""What every request handler needs, built once per app: the pinned release and its tools.

The app serves exactly one release for its whole life (chosen at start-up), so links,
ETags and cached results can never mix two releases. Handlers receive it through the
typed dependency :data:`StateDep`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from jinja2 import Environment

from asylumlens.store import Release, Store
from asylumlens.web.provenance import ReleaseInfo
from asylumlens.web.queries import Queries


@dataclass(frozen=True)
class WebState:
    store: Store
    release: Release
    info: ReleaseInfo
    etag: str
    queries: Queries
    templates: Environment
    base_url: str = ""
    """Prefix of the absolute links the app builds (``next``, ``Link``): ``serve
    --base-url``, else empty, so links are relative; never taken from the Host header."""


def get_state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


StateDep = Annotated[WebState, Depends(get_state)]
