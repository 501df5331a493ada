"""Run the app under uvicorn: the body of ``asylumlens serve``."""

from __future__ import annotations

import uvicorn

from asylumlens.store import Store
from asylumlens.web.app import create_app


def serve(store: Store, release_id: str | None, host: str, port: int) -> None:
    """Build the app (failing fast on a bad store or release), then serve until interrupted."""
    app = create_app(store, release_id)
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False)
