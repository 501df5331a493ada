"""A real synthetic store for the web tests: ``asylumlens synth`` then ``asylumlens ingest``.

Both web test modules call :func:`web_store` from their session fixtures; the store is built
once per pytest run under the session's base temp folder and reused.
"""

from __future__ import annotations

import threading
from pathlib import Path

from asylumlens.pipeline import ingest_release
from asylumlens.store import Store
from asylumlens.synth import generate

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
