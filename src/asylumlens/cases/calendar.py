"""An iCalendar (RFC 5545) feed of deadlines, for a user's calendar application.

One all-day VEVENT per :class:`~asylumlens.cases.deadlines.DeadlineItem`. The feed is bytes
the web layer serves at a secret, revocable URL; this module does no I/O and knows nothing of
users or tokens.

PRIVACY (8 CFR 208.6): a calendar feed leaves our control (it is synced to phones and
third-party calendar services), so nothing identifying may be in it. The only text in an
event is the caller's ``title``: callers must pass non-identifying titles (``"BIA appeal due -
case #12"``, never a client's name or A-number). UIDs are hashes of the item's kind, case id
and due date; URLs carry only the case id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Final

from icalendar import Calendar, Event

from asylumlens.cases.deadlines import DeadlineError, DeadlineItem

PRODID: Final = "-//AsylumLens//Case deadlines//EN"
UID_DOMAIN: Final = "deadlines.asylumlens"


def event_uid(item: DeadlineItem) -> str:
    """A UID that stays the same across feeds for the same kind, case and due date, so a
    calendar application updates an event instead of duplicating it; a changed due date is
    a new event (the old one leaves the feed)."""
    key = f"{item.kind}|{'' if item.case_ref is None else item.case_ref}|{item.due.isoformat()}"
    return f"{hashlib.sha256(key.encode('utf-8')).hexdigest()[:32]}@{UID_DOMAIN}"


def feed(
    items: Sequence[DeadlineItem],
    *,
    calendar_name: str,
    url_base: str | None,
    stamp: datetime | None = None,
) -> bytes:
    """The ICS document for ``items``: a VCALENDAR of all-day VEVENTs, sorted by due date.

    ``calendar_name`` is shown by calendar applications (``X-WR-CALNAME``, ``NAME``);
    ``url_base`` (e.g. ``https://lens.example.org``), when given, gives each event tied to
    a case the URL ``{url_base}/cases/{case_ref}``. ``stamp`` is every event's DTSTAMP, the
    time the feed was made (default now, UTC; a test passes a fixed one). Titles must not
    identify a client (module docstring).
    """
    if not calendar_name.strip():
        raise DeadlineError("calendar_name", "empty; give the name calendars should show")
    made = (stamp or datetime.now(UTC)).astimezone(UTC)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("name", calendar_name)
    cal.add("x-wr-calname", calendar_name)
    base = url_base.rstrip("/") if url_base else None
    ordered = sorted(items, key=lambda i: (i.due, i.kind, i.case_ref or 0, i.title))
    for item in ordered:
        event = Event()
        event.add("uid", event_uid(item))
        event.add("dtstamp", made)
        event.add("dtstart", item.due)  # a date, not a datetime: VALUE=DATE, all day
        event.add("dtend", item.due + timedelta(days=1))  # DTEND is exclusive (RFC 5545)
        event.add("summary", item.title)
        event.add("categories", [item.kind])
        event.add("transp", "TRANSPARENT")  # a deadline does not make anyone busy
        if base is not None and item.case_ref is not None:
            event.add("url", f"{base}/cases/{item.case_ref}")
        cal.add_component(event)
    ics: bytes = cal.to_ical()  # icalendar types it Any
    return ics
