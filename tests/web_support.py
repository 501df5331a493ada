"""A real synthetic store for the web tests: ``asylumlens synth`` then ``asylumlens ingest``.

The store is built once per pytest run under the session's base temp folder and reused.
``tests/conftest.py`` loads this module as a plugin, so its fixtures reach every module:
``store`` (that synthetic store, session-wide), ``app`` (``create_app(store)``, one per
module) and ``client`` (a ``TestClient`` over ``app`` that turns server exceptions into 500s,
as a real server would). A module with its own ``store`` (a hand-built release) gets ``app``
and ``client`` over that store; one with its own ``client`` overrides this one.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi import FastAPI

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # as the web test modules import it
    from fastapi.testclient import TestClient

from analytics_support import Builder
from asylumlens.pipeline import ingest_release
from asylumlens.store import Store
from asylumlens.synth import generate
from asylumlens.web import create_app

CASES = 3000
SEED = 20261129
_lock = threading.Lock()


def web_store(base: Path) -> Store:
    """The synthetic store under ``base`` (built on first call)."""
    root = base / "web-store"
    with _lock:
        store = Store(root)
        if not store.releases():
            made = generate(base / "web-synth", cases=CASES, seed=SEED)
            ingest_release(made.release, store)
    return store


def publish_nyc(root: Path, release_id: str, fy2026_grants: int) -> None:
    """A hand-built release at court NYC, judges JAA and JBB, 10 decisions a fiscal year:
    5 of 10 granted in FY2024 and FY2025, ``fy2026_grants`` of 10 in FY2026 (the pinned-
    release suites publish two of these with different FY2026 numbers)."""
    b = Builder()
    for fy, grants in ((2024, 5), (2025, 5), (2026, fy2026_grants)):
        for i in range(10):
            judge = "JAA" if i % 2 else "JBB"
            b.decided(date(fy, 3, 1), "G" if i < grants else "D", ij_code=judge)
    b.publish(root, release_id=release_id, release_date=release_id)


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return web_store(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def app(store: Store) -> FastAPI:
    return create_app(store)


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
