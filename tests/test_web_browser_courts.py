"""Courts have names, in a real browser at desktop and phone width: the Courts page's table
and chart show each court by its city (from the lookup's BASE_CITY/BASE_STATE), never the
generic "IMMIGRATION COURT", and the chart draws one bar per court listed in it."""

from __future__ import annotations

from asylumlens import analytics
from asylumlens.store import Store
from browser_support import BROWSER_MARKS, Watched, wait_for_charts

pytestmark = BROWSER_MARKS

GENERIC = "IMMIGRATION COURT"


def test_courts_are_named_and_charted(sized: Watched, base_url: str, store: Store) -> None:
    page = sized.page
    page.goto(f"{base_url}/courts")
    assert wait_for_charts(page) == 1
    names = analytics.codes("court", store=store).set_index("code")["label"]
    assert names.notna().all() and not names.str.upper().eq(GENERIC).any()
    assert names.nunique() == len(names)  # two courts never share a name
    shown = page.eval_on_selector_all(
        "#listing-table tbody tr", "rows => rows.map(r => r.innerText)"
    )
    assert len(shown) == len(names)
    text = "\n".join(shown)
    assert GENERIC not in text.upper()
    for code, name in names.items():
        assert str(name) in text, (code, name)
    # one bar per court the chart lists, each labelled by name on its axis
    bars = page.locator("#chart-listing svg .mark-rect path, #chart-listing svg .mark-rule line")
    assert bars.count() >= 2
    axis = page.eval_on_selector_all(
        "#chart-listing svg .role-axis-label text", "ts => ts.map(t => t.textContent)"
    )
    assert axis and GENERIC not in " ".join(axis).upper()
    assert set(axis) & set(map(str, names))
    width = page.viewport_size["width"] if page.viewport_size else 1280
    assert page.evaluate("document.documentElement.scrollWidth") <= width
