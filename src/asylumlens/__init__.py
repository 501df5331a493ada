"""AsylumLens: reproducible, explainable asylum-outcome analytics over EOIR's case-data release."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
