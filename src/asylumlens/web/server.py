"""Run the app under uvicorn: the body of ``asylumlens serve``."""

from __future__ import annotations

from typing import Any

import uvicorn

from asylumlens.analytics.source import DEFAULT_ENGINE_KIND, Engine
from asylumlens.store import Store
from asylumlens.web.app import create_app

MAX_REQUEST_HEAD = 2 * 1024 * 1024
"""How much of a request head uvicorn reads before giving up with its own plain-text 400.

Above :data:`asylumlens.web.guard.MAX_URL_BYTES`, so an over-long URL (up to this size)
reaches the app and gets the project's 414 in its error shape."""


def server_config(app: Any, host: str, port: int, *, log_level: str = "info") -> uvicorn.Config:
    """The uvicorn settings of ``asylumlens serve`` (the tests serve through the same)."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        proxy_headers=False,
        h11_max_incomplete_event_size=MAX_REQUEST_HEAD,
    )


def serve(
    store: Store,
    release_id: str | None,
    host: str,
    port: int,
    base_url: str | None = None,
    *,
    engine: Engine | str = DEFAULT_ENGINE_KIND,
) -> None:
    """Build the app (failing fast on a bad store or release, or a Spark engine that cannot
    start), then serve until interrupted. ``engine``: see :func:`create_app`."""
    app = create_app(store, release_id, base_url=base_url, engine=engine)
    app.state.cases.check_key()  # a wrong case key stops here, never decrypting garbage
    uvicorn.Server(server_config(app, host, port)).run()
