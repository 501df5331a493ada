"""The package root is the public API: what ``__all__`` names resolves, to the real objects,
with their real types for a type checker, and ``import asylumlens`` pulls in no engine."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import mypy.api
import pytest

import asylumlens
from asylumlens import analytics, errors, pipeline, store

SRC = Path(__file__).resolve().parent.parent / "src"


def test_all_is_sorted_unique_and_resolves_to_the_defining_objects() -> None:
    names = asylumlens.__all__
    assert names == sorted(set(names), key=names.index)  # no repeats
    assert sorted(names) == names
    expected = {
        "rates": analytics.rates,
        "compare": analytics.compare,
        "judges": analytics.judges,
        "codes": analytics.codes,
        "ingest_release": pipeline.ingest_release,
        "Store": store.Store,
        "Release": store.Release,
        "QueryError": errors.QueryError,
        "StoreError": errors.StoreError,
        "ReleaseError": errors.ReleaseError,
        "FetchError": errors.FetchError,
        "StorageError": errors.StorageError,
        "AsylumLensError": errors.AsylumLensError,
    }
    for name in names:
        assert hasattr(asylumlens, name), name
    for name, obj in expected.items():
        assert getattr(asylumlens, name) is obj, name
    assert set(names) == {*expected, "__version__"}
    assert set(names) <= set(dir(asylumlens))


def test_import_loads_no_engine() -> None:
    code = (
        "import sys, asylumlens; "
        "print(sorted(m for m in ('duckdb', 'pandas', 'ibis', 'fastapi') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(SRC)},
    ).stdout
    assert out.strip() == "[]"


def test_unknown_attribute_is_an_attribute_error() -> None:
    try:
        _ = asylumlens.no_such_thing  # type: ignore[attr-defined]
    except AttributeError as error:
        assert "no_such_thing" in str(error)
    else:
        raise AssertionError("asylumlens.no_such_thing resolved")


def test_type_checkers_see_the_real_signatures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A user's mypy sees ``asylumlens.rates`` as the function, not ``object``."""
    monkeypatch.chdir(tmp_path)  # a user's folder: none of the project's mypy settings
    monkeypatch.setenv("MYPYPATH", str(SRC))
    snippet = "import asylumlens\nreveal_type(asylumlens.rates)\nreveal_type(asylumlens.Store)\n"
    out, err, _ = mypy.api.run(
        ["--config-file=", "--no-incremental", "--ignore-missing-imports", "-c", snippet]
    )
    assert 'Revealed type is "def (definition: str =' in out, out + err
    assert ") -> pandas.core.frame.DataFrame" in out, out
    assert 'Revealed type is "def (root:' in out, out
