"""The case workspace through the web app (SQLite and PostgreSQL): sign-in and its cookie,
CSRF, same-origin, throttling, timeouts, the story of one detained client through the API,
the calendar feed's secret URL, the private headers, and no client data where it must not be.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from icalendar import Calendar

from asylumlens.cases.roles import Role
from asylumlens.web import create_app
from asylumlens.web.workspace import CaseWorkspace
from case_web_support import CLIENT_NAME, PASSWORD, csrf, email
from case_world import A_NUMBER, A_NUMBER_DIGITS, sample_case

if TYPE_CHECKING:
    from pathlib import Path

    from asylumlens.store import Store
    from case_web_support import Office


ATTORNEY = email(Role.ATTORNEY)


def test_sign_in_sets_a_secure_http_only_lax_cookie_and_returns_the_csrf_token(
    office: Office,
) -> None:
    """POST /api/v1/session: the cookie's flags, the user and token in the body; GET tells
    who is signed in; DELETE signs out on the server, after which the cookie opens nothing."""
    c = office.client()
    r = c.post("/api/v1/session", json={"email": ATTORNEY.upper(), "password": PASSWORD})
    assert r.status_code == 200, r.text
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("asylumlens_session=")
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "secure", "samesite=lax", "path=/"} <= flags
    body = r.json()
    assert body["user"] == {
        "id": body["user"]["id"], "email": ATTORNEY, "role": "attorney",
        "organisation": "Legal Aid East",
    }  # fmt: skip
    token = body["csrf_token"]
    assert c.get("/api/v1/session").json()["csrf_token"] == token
    assert c.get("/api/v1/cases").status_code == 200
    stolen = c.cookies.get("asylumlens_session")
    assert c.delete("/api/v1/session", headers={"X-CSRF-Token": token}).status_code == 204
    assert c.get("/api/v1/cases").status_code == 401
    replay = office.client()
    replay.cookies.set("asylumlens_session", stolen or "", domain="testserver")
    assert replay.get("/api/v1/cases").status_code == 401  # ended on the server


def test_wrong_passwords_are_refused_alike_and_then_throttled(office: Office) -> None:
    """A wrong password and an unknown email get the same 401; the sixth failure for one
    email within the window is a 429 with Retry-After, even with the right password."""
    c = office.client()
    unknown = c.post("/api/v1/session", json={"email": "nobody@x.example", "password": "x" * 12})
    wrong = c.post("/api/v1/session", json={"email": ATTORNEY, "password": "x" * 12})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json()["error"] == wrong.json()["error"]
    for _ in range(4):
        assert (
            c.post("/api/v1/session", json={"email": ATTORNEY, "password": "y" * 12}).status_code
            == 401
        )
    right = c.post("/api/v1/session", json={"email": ATTORNEY, "password": PASSWORD})
    assert right.status_code == 429, right.text
    assert int(right.headers["retry-after"]) > 0
    assert right.json()["ok"] is False
    office.clock.advance(timedelta(minutes=16))
    assert (
        c.post("/api/v1/session", json={"email": ATTORNEY, "password": PASSWORD}).status_code == 200
    )


def test_state_changes_need_the_csrf_token_and_this_site(office: Office) -> None:
    """Missing or wrong X-CSRF-Token, or a right one from another Origin: 403, nothing saved;
    a page form without its csrf_token field: 403."""
    c = office.client(Role.ATTORNEY)
    case = sample_case(office.workspace.case_key())
    assert c.post("/api/v1/cases", json=case).status_code == 403
    assert c.post("/api/v1/cases", json=case, headers={"X-CSRF-Token": "forged"}).status_code == 403
    evil = {**csrf(c), "Origin": "https://evil.example"}
    assert c.post("/api/v1/cases", json=case, headers=evil).status_code == 403
    assert (
        c.post(
            "/cases", data={k: str(v) for k, v in case.items()}, follow_redirects=False
        ).status_code
        == 403
    )
    assert c.get("/api/v1/cases").json()["cases"] == []
    same = {**csrf(c), "Origin": "https://testserver"}
    assert c.post("/api/v1/cases", json=case, headers=same).status_code == 201


def test_a_session_past_its_idle_or_absolute_timeout_is_refused(office: Office) -> None:
    """29 minutes idle: still signed in; then 31 more: 401 (API) and a redirect to sign in
    (page). Kept busy, a session still ends 12 hours after sign-in."""
    c = office.client(Role.VIEWER)
    office.clock.advance(timedelta(minutes=29))
    assert c.get("/api/v1/cases").status_code == 200
    office.clock.advance(timedelta(minutes=31))
    assert c.get("/api/v1/cases").status_code == 401
    page = c.get("/cases/1", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/cases/1"
    busy = office.client(Role.VIEWER)
    for _ in range(12 * 3):
        office.clock.advance(timedelta(minutes=20))
        status = busy.get("/api/v1/cases").status_code
    assert status == 401


def test_the_detained_clients_story_through_the_api(office: Office) -> None:
    """Detained 2026-08-12 and still held; an oral grant on Friday 2026-11-13. DHS has 30
    days (8 CFR 1003.38(b)): day 30 is Sunday 2026-12-13, so the appeal is due Monday
    2026-12-14 (1003.38(c)). On 2026-11-20 he has been held 101 days (Aug 12-31: 20, Sep 30,
    Oct 31, Nov 1-20: 20), counting both ends. A DHS appeal filed marks it met."""
    c = office.client(Role.ATTORNEY)
    case_id = office.case_of("own")
    h = csrf(c)
    spell = {"facility": "Otero County Processing Center", "start": "2026-08-12"}
    assert c.post(f"/api/v1/cases/{case_id}/custody", json=spell, headers=h).status_code == 201
    hearing = {"on": "2026-11-13", "kind": "individual", "mode": "video", "location": "Otero"}
    assert c.post(f"/api/v1/cases/{case_id}/hearings", json=hearing, headers=h).status_code == 201
    grant = {"on": "2026-11-13", "oral": True, "outcome": "grant"}
    assert c.post(f"/api/v1/cases/{case_id}/decisions", json=grant, headers=h).status_code == 201
    detail = c.get(f"/api/v1/cases/{case_id}").json()
    assert detail["detention"] == {"days": 101, "detained_now": True, "as_of": "2026-11-20"}
    dhs = [d for d in detail["deadlines"] if d["kind"] == "bia_appeal_dhs"]
    assert [(d["due"], d["status"], d["rolled_because"]) for d in dhs] == [
        ("2026-12-14", "open", "Sunday")
    ]
    assert "1003.38" in dhs[0]["rule"]
    assert [e["kind"] for e in detail["timeline"]][:3] == ["decision", "hearing", "custody_start"]
    org = c.get("/api/v1/deadlines").json()
    assert ("bia_appeal_dhs", "2026-12-14", case_id) in {
        (d["kind"], d["due"], d["case_id"]) for d in org["upcoming"]
    }
    assert org["detained"] == 1
    filed = {"by": "dhs", "filed": "2026-12-01", "status": "filed"}
    assert c.post(f"/api/v1/cases/{case_id}/appeals", json=filed, headers=h).status_code == 201
    after = c.get(f"/api/v1/cases/{case_id}").json()["deadlines"]
    assert {d["status"] for d in after if d["kind"] == "bia_appeal_dhs"} == {"met"}


def test_bad_input_names_the_field_saves_nothing_and_never_echoes_the_value(
    office: Office,
) -> None:
    """A 7-digit A-number, a release date before detention, an unknown field: 422 naming the
    field, in the project's error shape, without the value; nothing saved."""
    c = office.client(Role.ATTORNEY)
    bad = {**sample_case(office.workspace.case_key()), "a_number": "1234567"}
    r = c.post("/api/v1/cases", json=bad, headers=csrf(c))
    assert r.status_code == 422
    assert r.json()["error"].startswith("a_number:")
    assert CLIENT_NAME not in r.text and "1234567" not in r.text
    case_id = office.case_of("own")
    spell = {"facility": "Otero", "start": "2026-08-12", "end": "2026-08-01"}
    r = c.post(f"/api/v1/cases/{case_id}/custody", json=spell, headers=csrf(c))
    assert r.status_code == 422 and r.json()["errors"] == ["end: must not be before start"]
    r = c.post(f"/api/v1/cases/{case_id}/notes", json={"text": "x", "by": "me"}, headers=csrf(c))
    assert r.status_code == 422 and "by" in r.json()["error"]
    detail = c.get(f"/api/v1/cases/{case_id}").json()
    assert detail["timeline"] == [
        e for e in detail["timeline"] if e["kind"] in {"arrival", "filed"}
    ]
    assert len(c.get("/api/v1/cases").json()["cases"]) == 1


def test_private_responses_are_never_cached_or_readable_cross_origin(office: Office) -> None:
    """Every private response (a 200, a 401, a redirect) says Cache-Control: no-store,
    carries no CORS header even when asked from another origin, and is not compressed; the
    public API still has its CORS."""
    anon = office.client()
    signed = office.client(Role.VIEWER)
    origin = {"Origin": "https://newsroom.example"}
    for r in (
        anon.get("/api/v1/cases", headers=origin),
        signed.get("/api/v1/cases", headers=origin),
        anon.get("/cases", follow_redirects=False),
        signed.get("/cases"),
        anon.get("/login"),
    ):
        assert r.headers["cache-control"] == "no-store", r.url
        assert "access-control-allow-origin" not in r.headers, r.url
    big = signed.get("/cases", headers={"Accept-Encoding": "gzip"})
    assert len(big.content) > 1024 and "content-encoding" not in big.headers  # never gzipped
    public = anon.get("/api/v1/release", headers=origin)
    assert public.status_code == 200 and public.headers["access-control-allow-origin"] == "*"
    assert public.headers.get("cache-control") != "no-store"


def test_the_calendar_feed_is_a_revocable_secret_url_without_client_data(office: Office) -> None:
    """An attorney creates a feed on the account page; the .ics holds the DHS appeal
    deadline by case number, no name or A-number; revoked, the URL is a 404; a viewer (no
    export right) gets no feed."""
    c = office.client(Role.ATTORNEY)
    case_id = office.case_of("own")
    grant = {"on": "2026-11-13", "oral": True, "outcome": "grant"}
    c.post(f"/api/v1/cases/{case_id}/decisions", json=grant, headers=csrf(c))
    page = c.post("/account/feeds", data={"csrf_token": csrf(c)["X-CSRF-Token"]})
    assert page.status_code == 200
    url = page.text.split('id="new-feed-url">', 1)[1].split("<", 1)[0]
    assert url.startswith("/calendar/") and url.endswith(".ics")
    anon = office.client()
    ics = anon.get(url)
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    events = [e for e in Calendar.from_ical(ics.content).walk("VEVENT")]
    dues = {(str(e["categories"].cats[0]), e.decoded("dtstart").isoformat()) for e in events}
    assert ("bia_appeal_dhs", "2026-12-14") in dues
    for secret in (CLIENT_NAME, A_NUMBER, A_NUMBER_DIGITS):
        assert secret not in ics.text
    feed_id = page.text.split('action="/account/feeds/', 1)[1].split("/", 1)[0]
    c.post(f"/account/feeds/{feed_id}/revoke", data={"csrf_token": csrf(c)["X-CSRF-Token"]})
    assert anon.get(url).status_code == 404
    viewer = office.client(Role.VIEWER)
    refused = viewer.post("/account/feeds", data={"csrf_token": csrf(viewer)["X-CSRF-Token"]})
    assert refused.status_code == 403


def test_no_client_data_in_logs_urls_titles_or_errors(
    office: Office, caplog: pytest.LogCaptureFixture
) -> None:
    """Every log record at any level, every URL and Location, every page title and every
    error body of a whole session of work holds neither the name nor the A-number."""
    caplog.set_level(logging.DEBUG)
    c = office.client(Role.ATTORNEY)
    token = csrf(c)["X-CSRF-Token"]
    case = {k: str(v) for k, v in sample_case(office.workspace.case_key()).items()}
    made = c.post("/cases", data={**case, "csrf_token": token}, follow_redirects=False)
    assert made.status_code == 303
    seen = [made]
    location = made.headers["location"]
    seen.append(c.get(location))
    seen.append(c.post(location + "/notes", data={"text": CLIENT_NAME, "csrf_token": token}))
    seen.append(
        c.post(location + "/custody", data={"facility": "x", "start": "bad", "csrf_token": token})
    )
    seen.append(c.post("/cases", data={**case, "a_number": "12", "csrf_token": token}))
    seen.append(c.get("/cases"))
    seen.append(c.get("/deadlines"))
    for r in seen:
        for secret in (CLIENT_NAME, A_NUMBER, A_NUMBER_DIGITS):
            assert secret not in str(r.url) and secret not in r.headers.get("location", "")
            title = r.text.split("<title>", 1)[-1].split("</title>", 1)[0]
            assert secret not in title, r.url
            if r.status_code >= 400:
                assert secret not in r.text.split('id="form-error">', 1)[-1].split("<", 1)[0]
    assert seen[3].status_code == 422 and seen[4].status_code == 422
    assert CLIENT_NAME in seen[1].text  # the attorney does see her client on the case page
    logged = "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records)
    for secret in (CLIENT_NAME, A_NUMBER, A_NUMBER_DIGITS):
        assert secret not in logged


def test_without_a_case_key_the_workspace_says_how_to_make_one(
    store: Store, tmp_path: Path
) -> None:
    """A store with no key: the private pages answer 503 naming `asylumlens cases init-key`
    (never the key file's path); the public dashboard is unaffected."""
    from fastapi.testclient import TestClient

    ws = CaseWorkspace(f"sqlite:///{tmp_path / 'c.sqlite'}", store_root=tmp_path)
    with TestClient(create_app(store, cases=ws), base_url="https://testserver") as c:
        r = c.post("/api/v1/session", json={"email": "a@b.example", "password": "x" * 12})
        assert r.status_code == 503 and "asylumlens cases init-key" in r.json()["error"]
        assert str(tmp_path) not in r.text
        assert c.get("/").status_code == 200


def test_the_openapi_document_lists_the_private_api(office: Office) -> None:
    """/api/v1/session and /api/v1/cases are in the OpenAPI document, with the error shape."""
    doc = office.client().get("/api/v1/openapi.json").json()
    paths = doc["paths"]
    assert {"post", "get", "delete"} <= set(paths["/api/v1/session"])
    assert {"get", "post"} <= set(paths["/api/v1/cases"])
    assert {"get", "patch"} <= set(paths["/api/v1/cases/{case_id}"])
    assert "401" in paths["/api/v1/cases"]["get"]["responses"]


def test_the_case_page_names_its_codes_from_the_release(office: Office, store: Store) -> None:
    """The judge and court of the case are named as the release names them (the public
    listing's own label) and linked to their pages; a judge code the release does not have
    is kept and said to be absent, not refused."""
    from asylumlens import analytics

    judges = analytics.codes("judge", store=store)
    courts = analytics.codes("court", store=store)
    judge, court = judges.iloc[0], courts.iloc[0]
    c = office.client(Role.ATTORNEY)
    case = {
        **sample_case(office.workspace.case_key()),
        "judge": judge["code"],
        "court": court["code"],
    }
    case_id = c.post("/api/v1/cases", json=case, headers=csrf(c)).json()["case"]["id"]
    page = c.get(f"/cases/{case_id}").text
    judge_cell = page.split('id="case-judge">', 1)[1].split("</dd>", 1)[0]
    assert f'href="/judges/{judge["code"]}"' in judge_cell and str(judge["label"]) in judge_cell
    court_cell = page.split('id="case-court">', 1)[1].split("</dd>", 1)[0]
    assert str(court["label"]) in court_cell
    r = c.patch(f"/api/v1/cases/{case_id}", json={"judge": "ZZZ999"}, headers=csrf(c))
    assert r.status_code == 200 and r.json()["case"]["judge"] == "ZZZ999"
    release_id = store.release().id
    absent = c.get(f"/cases/{case_id}").text.split('id="case-judge">', 1)[1].split("</dd>", 1)[0]
    assert f"not in release {release_id}" in absent
