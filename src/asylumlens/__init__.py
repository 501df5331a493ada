"""AsylumLens: reproducible, explainable asylum-outcome analytics over EOIR's case-data release.

The public API, importable from the package root::

    import asylumlens
    asylumlens.rates("eoir", by="fiscal_year")            # a DataFrame, provenance on every row
    asylumlens.ingest_release(path, asylumlens.Store(root))

The analytics, the store and the ingest are imported on first use (PEP 562), so ``import
asylumlens`` stays cheap (no DuckDB) for the generator and the command line's ``--help``;
type checkers see the real signatures through the ``TYPE_CHECKING`` imports.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Final

from asylumlens.errors import (
    AsylumLensError,
    FetchError,
    QueryError,
    ReleaseError,
    StorageError,
    StoreError,
)

if TYPE_CHECKING:
    from asylumlens.analytics.codes import codes
    from asylumlens.analytics.compare import compare
    from asylumlens.analytics.disparity import judges
    from asylumlens.analytics.rates import rates
    from asylumlens.pipeline import ingest_release
    from asylumlens.store import Release, Store

__version__ = "0.1.0"

__all__ = [
    "AsylumLensError",
    "FetchError",
    "QueryError",
    "Release",
    "ReleaseError",
    "StorageError",
    "Store",
    "StoreError",
    "__version__",
    "codes",
    "compare",
    "ingest_release",
    "judges",
    "rates",
]

_LAZY: Final = {
    "codes": "asylumlens.analytics",
    "compare": "asylumlens.analytics",
    "judges": "asylumlens.analytics",
    "rates": "asylumlens.analytics",
    "ingest_release": "asylumlens.pipeline",
    "Release": "asylumlens.store",
    "Store": "asylumlens.store",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'asylumlens' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
