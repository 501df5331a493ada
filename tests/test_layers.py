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


DEFERRED = ("altair", "fpdf", "lightgbm", "numba", "pypdf", "sklearn", "vl_convert")
"""Imported only by the routes and commands that use them: the server's resident set at
start-up is what an exhibit upload's peak RSS stands on (``bench/exhibits.py``)."""


def test_server_start_leaves_the_heavy_libraries_unloaded() -> None:
    import subprocess
    import sys

    probe = (
        "import sys, asylumlens.cli, asylumlens.web.app, asylumlens.cases.passwords as p;"
        f"print(','.join(m for m in {DEFERRED!r} if m in sys.modules));"
        "print(p.dummy_hash.cache_info().currsize)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert out[0] == "", f"imported at start-up: {out[0]}"
    assert out[1] == "0", "the dummy password hash (argon2id, 64 MiB) was made at import"
