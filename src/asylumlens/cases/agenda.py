"""A case's deadlines and detention figures, and the organisation's agenda, from its records.

The rules are :mod:`asylumlens.cases.deadlines` (pure, cited); this module decides which rule
applies to which stored record and whether the obligation is still open. The derivation
(:func:`deadlines_of`, :func:`agenda_of`) is pure: it takes a
:class:`~asylumlens.cases.records.CaseDates` and ``today``. The three entry points
(:func:`case_agenda`, :func:`org_agenda`, :func:`feed_items`) only read through the scoped,
permission-checked, audited reads of :mod:`asylumlens.cases.records`.

PRIVACY (8 CFR 208.6): deadlines are built from dates, ids and closed-vocabulary codes only;
no name, A-number, note or free text (a hearing's ``kind`` and ``location`` are free text and
are never put in a title). A title names the case by its id: ``"DHS appeal to the BIA due -
case #12"``. So the titles may go into a calendar feed that leaves our control.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Final

from sqlalchemy.orm import Session

from asylumlens.cases import records
from asylumlens.cases.crypto import FieldKey
from asylumlens.cases.deadlines import (
    Deadline,
    DeadlineItem,
    appeal_due,
    days_detained,
    one_year_due,
    upcoming_and_overdue,
)
from asylumlens.cases.records import Actor, AppealView, CaseDates, DecisionView

BIA_APPEAL_DHS: Final = "bia_appeal_dhs"
BIA_APPEAL_RESPONDENT: Final = "bia_appeal_respondent"
ONE_YEAR: Final = "one_year"
HEARING: Final = "hearing"

OPEN: Final = "open"
"""Still to be done (or, for a hearing, still to be held)."""
MET: Final = "met"
"""Done in time: an appeal recorded as filed on or before its due day (or filed with no date
recorded), an asylum application filed on or before the one-year due day."""
MISSED: Final = "missed"
"""Done, but after the due day: a filing date later than the deadline."""
PAST: Final = "past"
"""A hearing before today: held (or adjourned); nothing left to do for it."""
SUPERSEDED: Final = "superseded"
"""An appeal deadline of an older decision that nobody appealed, once a newer decision was
made on the case (after a remand or a reopening): no longer actionable, so never overdue."""

FEED_PAST_DAYS: Final = 30
"""How long an open deadline stays in a calendar feed after its due day: long enough that a
missed one is still seen, short enough that the feed does not fill up with old items."""

_SIDES: Final = {
    "dhs": (BIA_APPEAL_DHS, "DHS"),
    "respondent": (BIA_APPEAL_RESPONDENT, "Respondent"),
}
_FILED_STATUSES: Final = frozenset(
    {"filed", "pending", "sustained", "dismissed", "remanded", "withdrawn"}
)
"""Appeal statuses that say a Notice of Appeal was filed (``"due"`` records only a due day)."""
_MODES: Final = {"in_person": "in person", "video": "video"}


@dataclass(frozen=True)
class CaseDeadline:
    """One dated obligation of one case, with the rule that dated it and whether it is met.

    ``kind``: ``"bia_appeal_dhs"``, ``"bia_appeal_respondent"``, ``"one_year"`` or
    ``"hearing"``. ``title`` never identifies the client (module docstring). ``rule`` is the
    rule applied with its citation (None for a hearing, which a court sets, not a rule);
    ``rolled_because`` why the nominal last day was not a business day, or None. ``status``:
    ``"open"``, ``"met"``, ``"missed"``, ``"past"`` or ``"superseded"`` (the module's
    constants say when). ``decision_id`` is the decision an appeal deadline runs from, or None.
    """

    kind: str
    due: date
    title: str
    case_id: int
    rule: str | None
    rolled_because: str | None
    status: str
    decision_id: int | None = None

    def as_item(self) -> DeadlineItem:
        """The dashboard / calendar form (:class:`~asylumlens.cases.deadlines.DeadlineItem`)."""
        return DeadlineItem(kind=self.kind, due=self.due, title=self.title, case_ref=self.case_id)


@dataclass(frozen=True)
class CaseAgenda:
    """A case's deadlines (all of them, by due day) and detention, as of ``today``.

    ``upcoming`` and ``overdue`` hold open deadlines only, with the semantics of
    :func:`~asylumlens.cases.deadlines.upcoming_and_overdue` (upcoming: due from today to
    today + horizon; overdue: due before today, oldest first). ``days_detained`` counts every
    calendar day in custody across spells to today (inclusive); ``detained_now`` is whether a
    spell has begun and not ended by today (released today: not detained now).
    """

    case_id: int
    deadlines: list[CaseDeadline]
    days_detained: int
    detained_now: bool
    upcoming: list[CaseDeadline]
    overdue: list[CaseDeadline]


@dataclass(frozen=True)
class OrgAgenda:
    """The organisation's open deadlines across all its cases, and how many clients are
    detained now."""

    upcoming: list[CaseDeadline]
    overdue: list[CaseDeadline]
    detained: int


def _order(d: CaseDeadline) -> tuple[date, str, int, str]:
    return (d.due, d.kind, d.case_id, d.title)


def _appeal_target(appeal: AppealView, decisions: Sequence[DecisionView]) -> DecisionView | None:
    """The decision an appeal is from: the newest decided on or before its filing day (else
    its recorded due day); with neither day, the newest decision. An appeal dated before every
    decision is from none of them (records carry no link, so the date is the link)."""
    when = appeal.filed or appeal.due
    if when is None:
        return decisions[-1] if decisions else None
    earlier = [d for d in decisions if d.on <= when]
    return earlier[-1] if earlier else None


def _appeal_status(due: date, filings: Sequence[AppealView], *, newest: bool) -> str:
    if any(a.filed is None or a.filed <= due for a in filings):
        return MET
    if filings:
        return MISSED
    return OPEN if newest else SUPERSEDED


UNSERVED_NOTE: Final = (
    "; no service date is recorded for this written decision, so the period is counted from "
    "the decision date: the earliest day it can end (record the service date)"
)


def _appeal_rule(decision: DecisionView) -> Deadline:
    """The appeal rule for one decision. An oral decision counts from its day, even when a
    service date was recorded for its memorandum (Matter of Iskandarani). A written decision
    counts from ``served``. If no service date is recorded, it counts from the decision date
    (service is never before it): the earliest the deadline can fall, and the rule text
    says so. A deadline shown a day early is safe, and one left out is not."""
    if decision.oral:
        return appeal_due(decision.on)
    if decision.served is not None:
        return appeal_due(decision.on, written=True, served=decision.served)
    found = appeal_due(decision.on, written=True, served=decision.on)
    return replace(found, rule=found.rule + UNSERVED_NOTE)


def _appeal_deadlines(dates: CaseDates) -> list[CaseDeadline]:
    """Both sides' BIA appeal deadlines for every decision (8 CFR 1003.38(b): the same 30
    days bind DHS and the respondent). The newest decision is the one that matters: its
    unappealed deadlines are open; an older decision's unappealed ones are superseded (a
    newer decision replaced it), while a recorded appeal of it stays met or missed, as
    history. An appeal counts as a filing when it has a filing day or a filed-like status."""
    decisions = sorted(dates.decisions, key=lambda d: (d.on, d.id))
    filings: dict[tuple[int, str], list[AppealView]] = {}
    for appeal in dates.appeals:
        target = _appeal_target(appeal, decisions)
        if target is not None and (appeal.filed is not None or appeal.status in _FILED_STATUSES):
            filings.setdefault((target.id, appeal.by), []).append(appeal)
    out: list[CaseDeadline] = []
    for decision in decisions:
        rule = _appeal_rule(decision)
        for side, (kind, label) in _SIDES.items():
            status = _appeal_status(
                rule.due, filings.get((decision.id, side), []), newest=decision is decisions[-1]
            )
            out.append(
                CaseDeadline(
                    kind=kind,
                    due=rule.due,
                    title=f"{label} appeal to the BIA due - case #{dates.case_id}",
                    case_id=dates.case_id,
                    rule=rule.rule,
                    rolled_because=rule.rolled_because,
                    status=status,
                    decision_id=decision.id,
                )
            )
    return out


def _one_year_deadline(dates: CaseDates) -> list[CaseDeadline]:
    """The one-year filing deadline from the last arrival, if one is recorded: met when the
    application was filed on or before the due day, missed when after (exceptions of 8 CFR
    208.4(a)(4)-(5) are for the adjudicator), open when not filed."""
    if dates.last_arrival is None:
        return []
    rule = one_year_due(dates.last_arrival)
    filed = dates.filed
    status = OPEN if filed is None else (MET if filed <= rule.due else MISSED)
    return [
        CaseDeadline(
            kind=ONE_YEAR,
            due=rule.due,
            title=f"One-year asylum filing deadline - case #{dates.case_id}",
            case_id=dates.case_id,
            rule=rule.rule,
            rolled_because=rule.rolled_because,
            status=status,
        )
    ]


def _hearings(dates: CaseDates, today: date) -> list[CaseDeadline]:
    """Hearings on or after today are open, earlier ones past. The title shows the mode only
    (a closed vocabulary); the hearing's kind and location are free text and stay out."""
    return [
        CaseDeadline(
            kind=HEARING,
            due=h.on,
            title=f"Hearing ({_MODES.get(h.mode, 'hearing')}) - case #{dates.case_id}",
            case_id=dates.case_id,
            rule=None,
            rolled_because=None,
            status=OPEN if h.on >= today else PAST,
        )
        for h in dates.hearings
    ]


def deadlines_of(dates: CaseDates, *, today: date) -> list[CaseDeadline]:
    """Every deadline of one case, sorted by due day (then kind and title)."""
    found = _appeal_deadlines(dates) + _one_year_deadline(dates) + _hearings(dates, today)
    return sorted(found, key=_order)


def _detention(dates: CaseDates, today: date) -> tuple[int, bool]:
    """(days detained to today, detained now). A spell recorded to begin after today (a
    booking entered ahead) has not begun: it neither counts nor makes the client detained."""
    begun = [(c.start, c.end) for c in dates.custody if c.start <= today]
    now = any(end is None or end > today for _, end in begun)
    return days_detained(begun, today=today), now


def _split(
    deadlines: Iterable[CaseDeadline], *, today: date, horizon_days: int
) -> tuple[list[CaseDeadline], list[CaseDeadline]]:
    """(upcoming, overdue) of the open deadlines, by the rule of ``upcoming_and_overdue``."""
    pending: dict[DeadlineItem, list[CaseDeadline]] = {}
    items: list[DeadlineItem] = []
    for d in deadlines:
        if d.status == OPEN:
            item = d.as_item()
            items.append(item)
            pending.setdefault(item, []).append(d)
    upcoming, overdue = upcoming_and_overdue(items, today=today, horizon_days=horizon_days)
    return [pending[i].pop(0) for i in upcoming], [pending[i].pop(0) for i in overdue]


def agenda_of(dates: CaseDates, *, today: date, horizon_days: int = 30) -> CaseAgenda:
    """The agenda of one case from its dated facts (pure)."""
    deadlines = deadlines_of(dates, today=today)
    detained, now = _detention(dates, today)
    upcoming, overdue = _split(deadlines, today=today, horizon_days=horizon_days)
    return CaseAgenda(dates.case_id, deadlines, detained, now, upcoming, overdue)


def case_agenda(
    session: Session,
    actor: Actor,
    key: FieldKey,
    case_id: int,
    *,
    today: date,
    horizon_days: int = 30,
) -> CaseAgenda:
    """One case's agenda: VIEW_CASE in the actor's organisation (another organisation's case
    is :class:`~asylumlens.cases.records.CaseNotFound`), audited as exactly one view
    (``case_deadlines``, the case id). ``key`` is taken for the records convention, but
    nothing is decrypted: a deadline needs no name."""
    del key  # nothing identifying is read (module docstring)
    return agenda_of(
        records.case_dates(session, actor, case_id), today=today, horizon_days=horizon_days
    )


def org_agenda(
    session: Session,
    actor: Actor,
    key: FieldKey,
    *,
    today: date,
    horizon_days: int = 30,
) -> OrgAgenda:
    """The organisation's open upcoming and overdue deadlines across its cases, and the number
    of cases whose client is detained now; five queries whatever the number of cases, one
    audit event (a view of ``org_deadlines``). VIEW_CASE; ``key`` as in :func:`case_agenda`."""
    del key
    everything: list[CaseDeadline] = []
    detained = 0
    for dates in records.org_case_dates(session, actor):
        everything.extend(deadlines_of(dates, today=today))
        detained += _detention(dates, today)[1]
    upcoming, overdue = _split(everything, today=today, horizon_days=horizon_days)
    return OrgAgenda(upcoming, overdue, detained)


def feed_items(session: Session, actor: Actor, key: FieldKey, *, today: date) -> list[DeadlineItem]:
    """The items of the actor's calendar feed: every open deadline of the organisation due on
    or after ``today - FEED_PAST_DAYS`` (no horizon: a calendar shows the future), by due
    day. Titles identify no one. A feed leaves our control, so this is an export: it needs
    the EXPORT permission and is audited as an export of ``calendar_feed``."""
    del key
    since = today - timedelta(days=FEED_PAST_DAYS)
    found = [
        d
        for dates in records.org_case_dates(session, actor, export=True)
        for d in deadlines_of(dates, today=today)
        if d.status == OPEN and d.due >= since
    ]
    return [d.as_item() for d in sorted(found, key=_order)]
