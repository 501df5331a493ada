"""The package's layers and import graph, enforced (pyproject's ``[tool.importlinter]``).

The contracts say which way data flows (shells over library over data); the cycle check
finds import cycles anywhere in the package, including imports hidden inside functions
(type-checking-only imports excepted: they never run).
"""

from __future__ import annotations

import graphlib
from pathlib import Path

import grimp
import pytest
from importlinter.cli import lint_imports

REPO = Path(__file__).resolve().parent.parent


def test_layer_contracts_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    assert lint_imports(config_filename="pyproject.toml", no_cache=True) == 0


def import_graph() -> dict[str, set[str]]:
    graph = grimp.build_graph("asylumlens", exclude_type_checking_imports=True)
    edges = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    return edges


def test_no_import_cycles() -> None:
    try:
        list(graphlib.TopologicalSorter(import_graph()).static_order())
    except graphlib.CycleError as error:
        pytest.fail("import cycle: " + " -> ".join(error.args[1]))
