"""AsylumLens: reproducible, explainable asylum-outcome analytics over EOIR's case-data release."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "codes", "compare", "judges", "rates"]

# Analytics re-exports, loaded on first use so `import asylumlens` stays cheap (no DuckDB,
# Ibis or scipy import for commands that do not need them).
_ANALYTICS = frozenset({"rates", "compare", "judges", "codes"})


def __getattr__(name: str) -> object:
    if name in _ANALYTICS:
        from asylumlens import analytics

        return getattr(analytics, name)
    raise AttributeError(f"module 'asylumlens' has no attribute {name!r}")
