"""Hypothesis profiles for the whole suite: deterministic in CI, exploring on a workstation.

``ci`` (chosen when ``$CI`` is set, as ``.ci/run`` runs): every run draws the same examples
(``derandomize``) and reads or writes no example database, so a run is repeatable and a
fresh clone behaves like every other; a failure prints its reproduction blob.

``dev`` (the default): random exploration, as Hypothesis intends, with the example database
in ``<repo>/.hypothesis/`` (git-ignored) whatever folder pytest runs from, so a failure
found once is replayed first next time until it is fixed.

Neither has a deadline or the timing health check: the suite shares small machines, and a
test must not fail because it was slow (no timing assertions). Tests may still set their own
``max_examples``. ``HYPOTHESIS_PROFILE=ci|dev`` picks a profile explicitly.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

REPO = Path(__file__).resolve().parent.parent

# the web store, app and TestClient; the browser suites' fixtures (a real server, Chromium);
# the case database (SQLite and PostgreSQL) and the case workspace behind the web app
pytest_plugins = ["web_support", "browser_support", "case_db", "case_web_support"]

CHROMIUM = Path(os.environ.get("ASYLUMLENS_CHROMIUM", "/usr/bin/chromium"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--browser",
        action="store_true",
        help="run the browser suites (headless Debian Chromium; `make test` passes this when "
        "chromium is installed, .ci/run always)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests are opt-in: skipped (saying how to run them) without ``--browser``; with
    it, a missing Chromium fails the run instead of skipping it, so CI cannot go quietly
    green without them."""
    browser_items = [item for item in items if item.get_closest_marker("browser")]
    if not browser_items:
        return
    if config.getoption("--browser"):
        if not CHROMIUM.exists():
            raise pytest.UsageError(
                f"--browser: {CHROMIUM} is absent (apt-get install -y chromium, or set "
                "ASYLUMLENS_CHROMIUM)"
            )
        return
    skip = pytest.mark.skip(
        reason="browser tests are opt-in: pytest --browser (needs Debian chromium)"
    )
    for item in browser_items:
        item.add_marker(skip)


settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    print_blob=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev",
    database=DirectoryBasedExampleDatabase(REPO / ".hypothesis" / "examples"),
    print_blob=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)
