"""The web dashboard and JSON API (``asylumlens serve``): thin shells over the analytics.

Modules, one job each:

* :mod:`~asylumlens.web.app` builds the FastAPI app pinned to one release;
* :mod:`~asylumlens.web.params` validates query-string parameters (API and pages alike);
* :mod:`~asylumlens.web.queries` is the only caller of the analytics, memoised per release;
* :mod:`~asylumlens.web.views` assembles each page's data; :mod:`~asylumlens.web.api` and
  :mod:`~asylumlens.web.pages` render it as JSON/CSV or HTML;
* :mod:`~asylumlens.web.charts` builds Vega-Lite specs with Altair;
* :mod:`~asylumlens.web.errors` gives every failure one shape.
"""

from __future__ import annotations

from asylumlens.web.app import create_app

__all__ = ["create_app"]
