"""Data quality in the library (``asylumlens.quality``): the CLI's ``status``/``rejects`` and
the web's ``/api/v1/release`` show the same per-table counts and the same quarantined rows."""

from __future__ import annotations

import json
import warnings
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from asylumlens.cli import app
from asylumlens.errors import QueryError
from asylumlens.pipeline import ingest_release
from asylumlens.quality import reject_reasons, rejected_rows, table_quality
from asylumlens.store import Release, Store
from asylumlens.synth import generate
from asylumlens.web import create_app


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Release:
    root = tmp_path_factory.mktemp("quality")
    store = Store(root / "store")
    ingest_release(generate(root / "r", 300, 3, release_date=date(2026, 10, 1)).release, store)
    return store.release()


def test_table_quality_is_the_manifest(release: Release) -> None:
    tables = release.manifest["tables"]
    got = table_quality(release)
    assert [t.table for t in got] == list(tables)
    for t in got:
        assert (t.lines, t.loaded, t.quarantined) == tuple(
            tables[t.table][k] for k in ("lines", "loaded", "quarantined")
        )
        assert dict(t.reasons) == tables[t.table]["reasons"]


def test_rejected_rows_filter_order_and_limit(release: Release) -> None:
    case = next(t for t in table_quality(release) if t.table == "A_TblCase")
    rows = rejected_rows(release, table="A_TblCase", limit=10**6)
    assert len(rows) == case.quarantined
    assert [r["line"] for r in rows] == sorted(r["line"] for r in rows)
    reason = sorted(case.reasons)[0]
    some = rejected_rows(release, table="A_TblCase", reason=reason, limit=2)
    assert [r["reason"] for r in some] == [reason] * min(2, case.reasons[reason])
    with pytest.raises(QueryError, match="--reason 'nonsense': valid reasons here: "):
        rejected_rows(release, reason="nonsense")
    with pytest.raises(QueryError, match="--table 'x' is not in release"):
        rejected_rows(release, table="x")
    assert reject_reasons(release) == sorted({r for t in table_quality(release) for r in t.reasons})


def test_cli_and_web_show_the_same_quality(release: Release) -> None:
    store = str(release.path.parents[1])
    result = CliRunner().invoke(app, ["status", "--store", store, "-f", "json"])
    cli_tables = json.loads(result.stdout)["tables"]
    with TestClient(create_app(Store(Path(store)))) as client:
        web_rows = client.get("/api/v1/release").json()["rows"]
    assert {r["table"]: r["quarantined"] for r in web_rows} == {
        stem: t["quarantined"] for stem, t in cli_tables.items()
    }
    result = CliRunner().invoke(app, ["rejects", "--store", store, "-f", "json", "--limit", "3"])
    assert [(r["table"], r["line"]) for r in json.loads(result.stdout)] == [
        (r["table"], r["line"]) for r in rejected_rows(release, limit=3)
    ]
