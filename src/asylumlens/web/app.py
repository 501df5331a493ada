"""The dashboard and JSON API as one FastAPI app over one store, its default release fixed.

``create_app`` resolves the default release once, at start-up: a missing store or release fails
there with the store's own message (the CLI prints it), never on a visitor's request.
The store pins that release version for the life of the process, so the app serves an
immutable snapshot: a re-ingest of the same id under a running server changes nothing it
serves (figures, SHA-256, ETag) until it restarts; a new process serves the new version.
Any other release of the store is served on request with ``?release=ID`` (a permalink),
each from its own pinned version (:mod:`asylumlens.web.context`).
FastAPI's Swagger/ReDoc pages are switched off because they load their JavaScript from a
CDN; the OpenAPI schema itself is served at ``/api/v1/openapi.json``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources

from fastapi import Depends, FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles

from asylumlens import __version__
from asylumlens.analytics import Engine
from asylumlens.analytics.source import DEFAULT_ENGINE_KIND
from asylumlens.store import Store
from asylumlens.web import (
    api,
    case_api,
    case_pages,
    embeds,
    estimate_api,
    exhibit_api,
    exhibit_pages,
    pages,
    similar_page,
    twins,
)
from asylumlens.web.cache import GZIP_LEVEL, GZIP_MINIMUM_SIZE, ResponseCache, ResponseMemo
from asylumlens.web.case_api import install_case_error_handlers
from asylumlens.web.context import PinnedStates, build_state
from asylumlens.web.error_handlers import install_error_handlers
from asylumlens.web.guard import ApiCors, Guard
from asylumlens.web.params import reject_unknown_page_parameters
from asylumlens.web.private import PrivateHeaders, PublicOnly
from asylumlens.web.rendering import make_environment
from asylumlens.web.workspace import CaseWorkspace

API_DESCRIPTION = """\
Asylum grant rates computed from the ingested EOIR case-data releases of one store.

* Every endpoint also answers at `.json` and `.csv` suffixes (`/api/v1/rates.csv`), or with
  `_format=csv`. A CSV without `_size` holds every row of the result, streamed; with `_size`
  it holds exactly the rows of the JSON `rows` for the same URL.
* Filters are repeated `where=DIMENSION:CODE` parameters (`where=nationality:CH`); repeating
  a dimension means any of its codes. `by` is a comma list (`by=fiscal_year,court`).
* Every route takes `release=ID` to serve that release of the store instead of the default
  (the one chosen at start-up): a permalink whose numbers stay put; an unknown id is 404.
* JSON lists paginate: `_size` rows per page (default 1000, at most 10000), `_next` the
  opaque token from the previous response's `next` (also in the `Link: rel="next"` header).
* A parameter the endpoint does not take is a 422 that names it and suggests the closest
  valid one (`?defintion=trac`: "did you mean definition?"); `_format`, `_size`, `_next`
  and `release` are accepted everywhere.
* `HEAD` answers like `GET`, without the body. Any web origin may read the API
  (`Access-Control-Allow-Origin: *`, GET and HEAD, no credentials).
* Every response names its release (`release`) and carries an ETag of its own URL on that
  release and app version; send it back in `If-None-Match` for a 304.
* Every error is `{"ok": false, "status": ..., "error": "...", "errors": [...],
  "suggestions": [...]}`; invalid parameters give 422 and say what is valid.
"""


def create_app(
    store: Store,
    release_id: str | None = None,
    *,
    base_url: str | None = None,
    memo: ResponseMemo | None = None,
    cases: CaseWorkspace | None = None,
    engine: Engine | str = DEFAULT_ENGINE_KIND,
) -> FastAPI:
    """The app serving ``release_id`` (default: the newest release) of ``store``.

    ``base_url`` (``serve --base-url``, e.g. ``https://asylumlens.example``) prefixes the
    absolute links the API builds; without it they are relative. ``memo`` is the response
    cache (bounded in bytes), exposed as ``app.state.memo``.

    The app owns one analytics :class:`~asylumlens.analytics.Engine` (``app.state.engine``):
    every public page's and API route's queries run on it, and shutdown (the lifespan's
    end) closes it, interrupting any query still running. ``engine`` is its kind
    (``duckdb``, the default, or ``spark``: ``serve --engine``) or an engine the app takes
    over (``Engine("spark", spark_master=...)``; the app closes it at shutdown). A Spark
    engine is started here and opens the default release, so a machine without Java or
    PySpark, or a release without ``decisions.parquet``, fails at start-up with one line,
    not on a visitor's request. The case workspace (SQLAlchemy) is the same on either.

    ``cases`` is the private case workspace (``app.state.cases``): by default the store's
    (``$ASYLUMLENS_DATABASE_URL`` or ``<store>/cases.sqlite``, key from ``$ASYLUMLENS_KEY``
    or ``<store>/case.key``), opened on the first private request.
    """
    release = store.release(release_id)
    engine = engine if isinstance(engine, Engine) else Engine(engine)
    if engine.kind == "spark":
        with engine.open(store, release):
            pass  # the session, the release's view and its coverage: now, not per visitor
    workspace = cases if cases is not None else CaseWorkspace.for_store(store.root)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            engine.close()
            workspace.close()

    app = FastAPI(
        title="AsylumLens",
        version=__version__,
        description=API_DESCRIPTION,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,  # Starlette's redirect is built from Host; Guard's is relative
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.cases = workspace
    app.state.web = build_state(
        store,
        release,
        make_environment(),
        base_url=(base_url or "").rstrip("/"),
        pinned=PinnedStates(),
        engine=engine,
    )
    app.state.memo = memo if memo is not None else ResponseMemo()
    install_error_handlers(app)
    install_case_error_handlers(app)
    static_dir = resources.files("asylumlens.web").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static_dir)), name="static")
    app.include_router(case_api.router)
    app.include_router(exhibit_api.router)
    app.include_router(exhibit_pages.router)  # before case_pages: /cases/{id}/exhibits
    app.include_router(case_pages.router)
    app.include_router(api.router)
    app.include_router(estimate_api.router)
    app.include_router(twins.router)
    app.include_router(embeds.router, dependencies=[Depends(reject_unknown_page_parameters)])
    app.include_router(pages.router, dependencies=[Depends(reject_unknown_page_parameters)])
    app.include_router(similar_page.router)
    # Middleware added last runs first: gzip wraps the memo, so each client gets the encoding
    # it asked for (vega's JS shrinks ~4x for phones); the memo keeps a stored body's gzipped
    # bytes beside it and answers repeats with them, which the gzip layer passes through.
    app.add_middleware(ResponseCache, memo=app.state.memo)
    app.add_middleware(
        PublicOnly,
        middleware=GZipMiddleware,
        minimum_size=GZIP_MINIMUM_SIZE,
        compresslevel=GZIP_LEVEL,
    )
    app.add_middleware(PrivateHeaders)  # no-store on every private response
    app.add_middleware(ApiCors)  # Access-Control-Allow-Origin: * on the API, for notebooks
    app.add_middleware(Guard)  # outermost: sees every request and every response
    return app
