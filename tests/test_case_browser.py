"""The whole case flow in a real browser against a real ``asylumlens serve``: sign in, create
a case, record detention and an oral grant, see the DHS appeal deadline and the detention
days, sign out, and find the case unreachable. The server's log is then searched for the
client's name and A-number.

The server runs with its own case database and key (``ASYLUMLENS_DATABASE_URL``,
``ASYLUMLENS_KEY``), and the organisation and user are made with ``asylumlens admin``, as an
office would set itself up.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from fpdf import FPDF
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from asylumlens.store import Store
from browser_support import BROWSER_MARKS, free_port, serving, watching

pytestmark = BROWSER_MARKS

EMAIL = "ana@legal-aid.example"
PASSWORD = "a long passphrase for ana"
CLIENT = "Tesfaye Wolde-Giorgis"
A_NUMBER = "208-114-377"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A release large enough to train the outcome model on (15,000 cases), made, ingested
    and trained through the CLI as an office would."""
    folder = tmp_path_factory.mktemp("case-release")
    cli = [sys.executable, "-m", "asylumlens"]
    root = folder / "store"
    subprocess.run([*cli, "synth", str(folder / "rel"), "--cases", "15000", "--seed", "7"],
                   check=True, capture_output=True)  # fmt: skip
    (release,) = [p for p in (folder / "rel").iterdir() if p.is_dir()]
    subprocess.run([*cli, "ingest", str(release), "--store", str(root)],
                   check=True, capture_output=True)  # fmt: skip
    subprocess.run([*cli, "model", "train", "--store", str(root)],
                   check=True, capture_output=True)  # fmt: skip
    return Store(root)


def _busy_judge(store: Store) -> tuple[str, str, str]:
    """The judge with the most decisions, their main court and most frequent nationality."""
    from asylumlens import analytics

    by_judge = analytics.rates(by=("judge",), store=store)
    by_judge = by_judge[by_judge["judge"].notna()].sort_values("total")
    judge = str(by_judge["judge"].iloc[-1])
    court = str(analytics.judge_courts(judge, store=store)["court"].iloc[0])
    mix = analytics.rates(by=("nationality",), where={"judge": judge}, store=store)
    return judge, court, str(mix.sort_values("total")["nationality"].iloc[-1])


@pytest.fixture(scope="module")
def served(store: Store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("case-server")
    env = {
        "ASYLUMLENS_DATABASE_URL": f"sqlite:///{folder / 'cases.sqlite'}",
        "ASYLUMLENS_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
    }
    run = [sys.executable, "-m", "asylumlens", "admin"]
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        for argv, stdin in (
            (["create-org", "Legal Aid East"], None),
            (["create-user", EMAIL, "--org", "Legal Aid East", "--role", "attorney"], PASSWORD),
        ):
            argv = [*run, *argv, "--store", str(store.root)]
            subprocess.run(argv, input=stdin, text=True, check=True, capture_output=True)
        log = folder / "serve.log"
        with serving(store.root, free_port(), log) as url:
            yield url, log


def test_sign_in_record_detention_and_a_grant_see_the_deadline_sign_out(
    browser: Browser, served: tuple[str, Path], store: Store, tmp_path: Path
) -> None:
    """The attorney's whole flow, and the deadline and detention counter the page shows,
    against independent reasoning: an oral decision on Friday 2026-11-13 gives DHS 30 days
    (8 CFR 1003.38(b)); day 30 is Sunday 2026-12-13, so the notice is due Monday 2026-12-14
    (1003.38(c)). Detained since 2026-08-12 and still held: today - Aug 12 + 1 days."""
    base_url, log = served
    judge, court, nationality = _busy_judge(store)
    options = {"viewport": {"width": 1280, "height": 900}, "accept_downloads": True}
    with watching(browser, base_url, **options) as w:
        page = w.page
        page.goto(f"{base_url}/cases")
        assert page.url.startswith(f"{base_url}/login")
        page.fill("#email", EMAIL)
        page.fill("#password", PASSWORD)
        page.click("#sign-in")
        page.wait_for_url(f"{base_url}/cases")
        expect(page.locator("#signed-in-as")).to_contain_text(EMAIL)

        form = page.locator("#new-case")
        form.locator("[name=client_name]").fill(CLIENT)
        form.locator("[name=a_number]").fill(A_NUMBER)
        form.locator("[name=nationality]").fill(nationality)
        form.locator("[name=court]").fill(court)
        form.locator("[name=judge]").fill(judge)
        form.locator("[name=last_arrival]").fill("2021-05-04")
        form.locator("[name=filed]").fill("2021-12-01")
        page.click("#create-case")
        page.wait_for_url(f"{base_url}/cases/*")
        case_url = page.url
        assert CLIENT not in page.title() and "Case #" in page.title()
        expect(page.locator("#client-name")).to_have_text(CLIENT)
        expect(page.locator("#a-number")).to_have_text("208114377")

        custody = page.locator("#add-custody")
        custody.locator("[name=facility]").fill("Otero County Processing Center")
        custody.locator("[name=start]").fill("2026-08-12")
        custody.locator("button").click()
        page.wait_for_url(f"{case_url}#timeline")

        decision = page.locator("#add-decision")
        decision.locator("[name=on]").fill("2026-11-13")
        decision.locator("[name=oral]").select_option("true")
        decision.locator("[name=outcome]").select_option("grant")
        decision.locator("button").click()
        page.wait_for_url(f"{case_url}#timeline")

        dhs = page.locator('#deadline-table tr[data-kind="bia_appeal_dhs"]')
        expect(dhs).to_have_count(1)
        expect(dhs.locator("time")).to_have_attribute("datetime", "2026-12-14")
        expect(dhs).to_contain_text("Sunday")
        days = (date.today() - date(2026, 8, 12)).days + 1
        expect(page.locator("#days-detained")).to_have_text(str(days))
        expect(page.locator("#detention")).to_contain_text("still detained")

        _context_and_estimate(page, store, judge, court, nationality)
        _exhibit_verify_and_packet(page, tmp_path)

        page.click("#sign-out")
        page.wait_for_url(f"{base_url}/login")
        page.goto(case_url)
        assert page.url.startswith(f"{base_url}/login"), page.url
        expect(page.locator("body")).not_to_contain_text(CLIENT)
        page.go_back()  # no-store: the back button does not show the client's page
        expect(page.locator("body")).not_to_contain_text(CLIENT)
    case_id = case_url.rsplit("/", 1)[1]
    assert httpx.get(f"{base_url}/api/v1/cases/{case_id}").status_code == 401
    logged = log.read_text()
    assert f"/cases/{case_id}" in logged  # the access log is there to be searched
    for secret in (CLIENT, A_NUMBER, A_NUMBER.replace("-", "")):
        assert secret not in logged


def _context_and_estimate(page: Page, store: Store, judge: str, court: str, nat: str) -> None:
    """The context panel shows the judge's and the court's figures; the estimate is the
    library's for the same inputs (detained, represented) and carries its caveat."""
    from asylumlens.model import estimate

    panel = page.locator("#context-panel")
    expect(panel.locator("#ctx-judge")).to_have_count(1)
    expect(panel.locator("#ctx-court")).to_have_count(1)
    expect(panel).to_contain_text("SYNTHETIC")
    want = estimate(store, judge=judge, court=court, nationality=nat, custody="D", represented=True)
    expect(page.locator("#estimate-probability")).to_have_text(f"{want.probability * 100:.0f}%")
    expect(page.locator("#estimate-caveat")).to_contain_text("not legal advice")


def _exhibit_verify_and_packet(page: Page, tmp_path: Path) -> None:
    """Upload a PDF exhibit through the form, see its SHA-256, verify it, download the
    packet and find the exhibit's pages in it."""
    doc = FPDF()
    doc.add_page()
    doc.set_font("helvetica", size=14)
    doc.cell(text="DECLARATION OF THE RESPONDENT")
    data = bytes(doc.output())
    upload = page.locator("#upload-exhibit")
    upload.locator("[name=title]").fill("Declaration")
    upload.locator("[name=kind]").select_option("declaration")
    upload.locator("#exhibit-file").set_input_files(
        {"name": "declaration.pdf", "mimeType": "application/pdf", "buffer": data}
    )
    page.click("#upload-button")
    page.wait_for_selector("#exhibit-table")
    expect(page.locator("#exhibit-table code.sha256")).to_have_text(
        hashlib.sha256(data).hexdigest()
    )
    page.click("#verify-exhibits")
    expect(page.locator('#verify-results tr[data-status="ok"]')).to_have_count(1)
    with page.expect_download() as download:
        page.click("#packet-link")
    saved = tmp_path / "packet.pdf"
    download.value.save_as(saved)
    reader = PdfReader(saved)
    assert len(reader.pages) == 4  # cover, contents, tab A, the declaration
    assert "DECLARATION OF THE RESPONDENT" in reader.pages[3].extract_text()
