"""The package's layers and import graph, enforced (pyproject's ``[tool.importlinter]``).

The contracts say which way data flows (shells over library over data).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from importlinter.cli import lint_imports

REPO = Path(__file__).resolve().parent.parent


def test_layer_contracts_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    assert lint_imports(config_filename="pyproject.toml", no_cache=True) == 0
