"""``make demo``'s case workspace: ``asylumlens admin demo`` makes a DEMO office whose
printed credentials sign in, with one fictional case whose deadlines show; run again it keeps
the case, and only the new password works."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import warnings
from datetime import date, timedelta
from pathlib import Path

import pytest

from asylumlens.cases.deadlines import appeal_due
from asylumlens.store import Store
from asylumlens.web import create_app
from asylumlens.web.workspace import CaseWorkspace

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PRINTED = re.compile(r"as (\S+@\S+) with password (\S+) - case #(\d+)")


def _run(*argv: str, root: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASYLUMLENS_")}
    done = subprocess.run(
        [sys.executable, "-m", "asylumlens", *argv, "--store", str(root)],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    return done.stdout


def test_admin_demo_prints_working_credentials_and_keeps_its_case(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The printed password signs in through the web app; the case page shows the DHS
    appeal deadline of the demo's oral grant two weeks ago (the deadline rules' own answer);
    a second run prints the same case and a new password, and the old one is refused."""
    root = tmp_path / "store"
    _run("cases", "init-key", root=root)
    first = PRINTED.search(_run("admin", "demo", root=root))
    second = PRINTED.search(_run("admin", "demo", root=root))
    assert first and second, "admin demo prints the email, password and case"
    assert first[1] == second[1] and first[3] == second[3] and first[2] != second[2]
    assert "DEMO" in _run("admin", "demo", root=root)
    for name in [k for k in os.environ if k.startswith("ASYLUMLENS_")]:
        monkeypatch.delenv(name)
    workspace = CaseWorkspace.for_store(root)
    with TestClient(create_app(store, cases=workspace), base_url="https://testserver") as c:
        old = c.post("/api/v1/session", json={"email": first[1], "password": first[2]})
        assert old.status_code == 401
        r = c.post("/api/v1/session", json={"email": first[1], "password": third_password(root)})
        assert r.status_code == 200
        detail = c.get(f"/api/v1/cases/{first[3]}").json()
    decided = date.today() - timedelta(days=14)
    dhs = [d for d in detail["deadlines"] if d["kind"] == "bia_appeal_dhs"]
    assert [d["due"] for d in dhs] == [appeal_due(decided).due.isoformat()]
    assert detail["detention"]["detained_now"] is True
    assert "fictional" in detail["case"]["client_name"]


def third_password(root: Path) -> str:
    """The password of one more run (each run sets a new one)."""
    printed = PRINTED.search(_run("admin", "demo", root=root))
    assert printed
    return printed[2]
