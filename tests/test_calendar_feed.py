"""The ICS feed of deadlines (asylumlens.cases.calendar): parsed back with icalendar, all-day
events, stable UIDs, and nothing in it but what the caller passed (no client data)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from icalendar import Calendar

from asylumlens.cases.calendar import event_uid, feed
from asylumlens.cases.deadlines import DeadlineError, DeadlineItem, appeal_due

STAMP = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)


def _items() -> list[DeadlineItem]:
    # the Thanksgiving worked example of tests/test_deadlines.py: due Fri 2026-11-27
    appeal = appeal_due(date(2026, 10, 27))
    return [
        DeadlineItem("one_year", date(2027, 3, 1), "One-year filing deadline - case #7", 7),
        DeadlineItem("bia_appeal", appeal.due, "BIA appeal due - case #12", 12),
        DeadlineItem("office", date(2026, 12, 24), "Office closed", None),
    ]


def _parse(data: bytes) -> Calendar:
    return Calendar.from_ical(data)


def test_feed_is_a_calendar_of_all_day_events_in_due_order() -> None:
    cal = _parse(feed(_items(), calendar_name="Deadlines", url_base=None, stamp=STAMP))
    assert str(cal["version"]) == "2.0"
    assert str(cal["x-wr-calname"]) == "Deadlines"
    events = cal.walk("VEVENT")
    assert [str(e["summary"]) for e in events] == [
        "BIA appeal due - case #12",
        "Office closed",
        "One-year filing deadline - case #7",
    ]
    first = events[0]
    start, end = first.decoded("dtstart"), first.decoded("dtend")
    assert type(start) is date and start == date(2026, 11, 27)  # a date: an all-day event
    assert end - start == timedelta(days=1)
    assert first["dtstart"].params.get("VALUE") == "DATE"
    assert first.decoded("dtstamp") == STAMP
    assert "url" not in first  # no url_base given


def test_uids_are_stable_and_distinct() -> None:
    items = _items()
    one = _parse(feed(items, calendar_name="A", url_base=None, stamp=STAMP))
    two = _parse(feed(list(reversed(items)), calendar_name="B", url_base=None))
    uids = [str(e["uid"]) for e in one.walk("VEVENT")]
    assert uids == [str(e["uid"]) for e in two.walk("VEVENT")]
    assert len(set(uids)) == 3
    moved = DeadlineItem("bia_appeal", date(2026, 11, 30), "BIA appeal due - case #12", 12)
    assert event_uid(moved) != event_uid(items[1])  # a changed due date is a new event
    retitled = DeadlineItem("bia_appeal", items[1].due, "Appeal - case #12", 12)
    assert event_uid(retitled) == event_uid(items[1])  # the title is not part of the UID


def test_urls_carry_only_the_case_id() -> None:
    cal = _parse(
        feed(_items(), calendar_name="D", url_base="https://lens.example.org/", stamp=STAMP)
    )
    urls = {str(e["summary"]): str(e.get("url", "")) for e in cal.walk("VEVENT")}
    assert urls["BIA appeal due - case #12"] == "https://lens.example.org/cases/12"
    assert urls["Office closed"] == ""  # not tied to a case: no link


def test_nothing_but_the_given_text_reaches_the_feed() -> None:
    """8 CFR 208.6: the feed carries the caller's titles and ids, nothing else; a client
    name that is not in a title (the caller's duty) cannot appear."""
    data = feed(_items(), calendar_name="Deadlines", url_base="https://x.example", stamp=STAMP)
    text = data.decode("utf-8")
    for line in text.splitlines():
        key = line.split(":", 1)[0].split(";", 1)[0]
        assert key in {
            "BEGIN", "END", "VERSION", "PRODID", "CALSCALE", "METHOD", "NAME", "X-WR-CALNAME",
            "UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "CATEGORIES", "TRANSP", "URL",
        }, line  # fmt: skip


def test_empty_feed_is_a_valid_calendar() -> None:
    cal = _parse(feed([], calendar_name="Deadlines", url_base=None, stamp=STAMP))
    assert cal.walk("VEVENT") == []


def test_empty_calendar_name_is_refused() -> None:
    with pytest.raises(DeadlineError, match=r"^calendar_name: empty"):
        feed([], calendar_name=" ", url_base=None)
