"""The outcome model (issue 16): features at filing, fit, held-out scores, estimate, shells.

The oracle is ``model_support``: a release whose grants follow a known logistic model in
which judge, nationality, detention and representation all matter, so the model must beat
every baseline that sees only some of them, and detention must lower the estimate.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from analytics_support import Builder
from asylumlens.model import FEATURES, ModelError, TrainOptions, estimate, evaluate, html_report
from asylumlens.model import train as train_model
from asylumlens.model.features import SOURCE_COLUMNS, feature_frame, load_decisions
from asylumlens.store import Store
from asylumlens.web import create_app
from cli_support import run_cli
from model_support import known_release

SMALL = TrainOptions(
    n_estimators=80, bootstrap=5, bootstrap_estimators=30, min_level_count=5, min_decisions=100
)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    root = tmp_path_factory.mktemp("model-store")
    known_release(root)
    st = Store(root)
    train_model(st, options=SMALL)
    return st


def test_feature_list_is_exactly_the_filing_time_features() -> None:
    """The model's inputs are these ten, in this order, each from one fact-table column."""
    assert FEATURES == (
        "nationality", "language", "court", "judge", "custody", "represented",
        "case_type", "asylum_type", "sex", "filing_fiscal_year",
    )  # fmt: skip
    assert set(SOURCE_COLUMNS) == set(FEATURES)
    dates = {c for c in SOURCE_COLUMNS.values() if "date" in c}
    assert dates == {"appl_recd_date"}


def _decided_release(root: Path, completed: date, decision: str, absentia: str) -> Store:
    b = Builder()
    for nat in ("CH", "MX", "ES"):
        case = b.case(nat=nat, c_asy_type="E", sex="F", lang="SP")
        proc = b.proceeding(case, completed, custody="D", absentia=absentia, ij_code="JBB")
        b.application(proc, decision)
    b.publish(root)
    return Store(root)


def test_no_feature_changes_when_anything_after_filing_changes(tmp_path: Path) -> None:
    """Two releases with the same cases filed on the same day but decided on other dates,
    with other outcomes and absentia flags: every feature is identical, the outcome is not."""
    early = load_decisions(_decided_release(tmp_path / "a", date(2016, 3, 1), "G", "N"))
    late = load_decisions(_decided_release(tmp_path / "b", date(2024, 11, 5), "D", "Y"))
    a = early.rows.sort_values("nationality").reset_index(drop=True)
    b = late.rows.sort_values("nationality").reset_index(drop=True)
    assert list(a["fiscal_year"]) != list(b["fiscal_year"])
    assert list(a["appl_dec"]) != list(b["appl_dec"])
    pd.testing.assert_frame_equal(feature_frame(a), feature_frame(b))
    assert feature_frame(a)["filing_fiscal_year"].tolist() == [2015.0] * 3


def test_model_beats_every_baseline_on_held_out_years(store: Store) -> None:
    """On FY2024-FY2025 (never seen in training) the model has a higher AUC and a lower
    Brier score than majority, judge, nationality and judge x nationality; ECE is reported."""
    report = evaluate(store)
    assert report["window"]["test_fiscal_years"] == [2024, 2025]
    assert report["window"]["calibration_fiscal_year"] == 2023
    metrics = report["metrics"]
    model = metrics["model"]
    for name in ("majority", "judge", "nationality", "judge_nationality"):
        assert model["auc"] > metrics[name]["auc"], name
        assert model["brier"] < metrics[name]["brier"], name
    assert 0 <= model["ece"] < 0.1
    assert sum(r["rows"] for r in report["reliability"]["model"]) == model["rows"]
    assert set(report["breakdowns"]["custody"]) == {"D", "R", "N"}
    assert set(report["breakdowns"]["represented"]) == {"true", "false"}


def test_html_report_is_self_contained_and_labelled(store: Store) -> None:
    """The HTML report embeds its scripts and specs (no src=/href= to anywhere) and says
    SYNTHETIC for a synthetic release."""
    page = html_report(evaluate(store))
    assert "SYNTHETIC" in page
    assert "<script src" not in page and "<link" not in page
    assert "vegaEmbed" in page


def test_detention_lowers_and_representation_raises_the_estimate(store: Store) -> None:
    """The simulation's effects come back in the right direction and order, with an
    interval around the estimate and the caveat."""
    args = {"judge": "JCC", "court": "ARL", "nationality": "CH"}
    detained = estimate(store, **args, custody="D", represented=True)
    never = estimate(store, **args, custody="N", represented=True)
    alone = estimate(store, **args, custody="N", represented=False)
    assert detained.probability < never.probability - 0.1
    assert alone.probability < never.probability - 0.1
    for e in (detained, never, alone):
        assert 0 < e.low <= e.probability <= e.high < 1
        assert e.warnings == []
        assert "not legal advice" in e.caveat
        assert len(e.contributions) == 5
    assert {c["feature"] for c in detained.contributions} >= {"custody"}


def test_unknown_codes_warn_and_never_crash(store: Store) -> None:
    """A judge and a nationality the model never saw: an estimate, with one warning each."""
    e = estimate(store, judge="ZZZ", court="ARL", nationality="QQ")
    assert 0 < e.probability < 1
    assert len(e.warnings) == 2
    assert any("'ZZZ'" in w and "other/unknown" in w for w in e.warnings)
    with pytest.raises(ModelError, match="unknown estimate input 'colour'"):
        estimate(store, judge="JAA", court="NYC", nationality="CH", colour="red")


def test_too_few_decisions_is_refused(tmp_path: Path) -> None:
    """A release of 300 cases cannot fill fit, calibration and test years with 200 each."""
    known_release(tmp_path, n_cases=300)
    with pytest.raises(ModelError, match="too few decisions to train"):
        train_model(Store(tmp_path), save_model=False)


def test_estimate_without_model_says_how_to_train(tmp_path: Path) -> None:
    """No trained model for the release: the message names the train command."""
    known_release(tmp_path, n_cases=50)
    with pytest.raises(ModelError, match=r"asylumlens model train --release 2026-0101"):
        estimate(Store(tmp_path), judge="JAA", court="NYC", nationality="CH")


def test_training_is_deterministic(store: Store) -> None:
    """The same release and options give the same held-out scores."""
    again = train_model(store, options=SMALL, save_model=False)
    first = json.loads((store.root / "models" / "2026-0101" / "card.json").read_text())
    assert again.card["metrics"]["model"] == first["metrics"]["model"]


def test_cli_train_evaluate_estimate(tmp_path: Path) -> None:
    """The three commands through the real CLI, as JSON; estimate before train is one
    line and exit 2 naming the train command."""
    known_release(tmp_path, n_cases=3000)
    store = ["--store", str(tmp_path)]
    before = run_cli("estimate", "--judge", "JAA", "--court", "NYC", "--nationality", "CH", *store)
    assert before.returncode == 2
    assert "asylumlens model train --release 2026-0101" in before.stderr
    trained = run_cli("model", "train", *store, "-f", "json")
    assert trained.returncode == 0, trained.stderr
    assert json.loads(trained.stdout)["window"]["test_fiscal_years"] == [2024, 2025]
    html = tmp_path / "report.html"
    evaluated = run_cli("model", "evaluate", *store, "-f", "json", "--html", str(html))
    assert evaluated.returncode == 0, evaluated.stderr
    metrics = json.loads(evaluated.stdout)["metrics"]
    for name in ("model", "majority", "judge", "nationality", "judge_nationality"):
        assert {"auc", "brier", "log_loss"} <= set(metrics[name])
    assert "SYNTHETIC" in html.read_text()
    out = run_cli(
        "estimate", "--judge", "JAA", "--court", "NYC", "--nationality", "CH",
        "--custody", "D", "--represented", "false", *store, "-f", "json",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert body["low"] <= body["probability"] <= body["high"]
    assert body["contributions"] and "not legal advice" in body["caveat"]
    bad = run_cli("estimate", "--judge", "JAA", "--court", "NYC", "--nationality", "CH",
                  "--custody", "X", *store)  # fmt: skip
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


def test_api_estimate(store: Store, tmp_path: Path) -> None:
    """/api/v1/estimate answers as the library does; bad custody and unknown parameters
    are 422; a release without a model is 404 naming the train command."""
    with TestClient(create_app(store), raise_server_exceptions=False) as client:
        r = client.get("/api/v1/estimate?judge=JCC&court=ARL&nationality=CH&custody=D")
        assert r.status_code == 200, r.text
        body = r.json()
        lib = estimate(store, judge="JCC", court="ARL", nationality="CH", custody="D")
        assert np.isclose(body["probability"], lib.probability)
        assert body["synthetic"] is True and body["release"] == "2026-0101"
        assert (
            client.get("/api/v1/estimate?judge=J&court=A&nationality=C&custody=X").status_code
            == 422
        )
        assert (
            client.get("/api/v1/estimate?judge=J&court=A&nationality=C&colour=1").status_code == 422
        )
        unknown = client.get("/api/v1/estimate?judge=ZZZ&court=ARL&nationality=CH").json()
        assert unknown["warnings"]
    known_release(tmp_path, n_cases=50)
    with TestClient(create_app(Store(tmp_path)), raise_server_exceptions=False) as client:
        r = client.get("/api/v1/estimate?judge=JAA&court=NYC&nationality=CH")
        assert r.status_code == 404
        assert "asylumlens model train --release 2026-0101" in r.json()["error"]
