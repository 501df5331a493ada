"""``asylumlens deadlines``: the case deadline rules without a case, for a quick answer.

Thin commands over :mod:`asylumlens.cases.deadlines`; the rules (30 days, the roll past
weekends and federal holidays, the leap-day convention) live there, never here. This module
only parses dates, names the option a rule's error is about, and prints.
"""

from __future__ import annotations

import sys
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer

from asylumlens.cli_options import format_option
from asylumlens.output import Format, emit, emit_document

if TYPE_CHECKING:
    from asylumlens.cases.deadlines import Deadline, DeadlineError

# The rules are imported inside each command: ``holidays`` costs ~50 ms, which every other
# asylumlens command would otherwise pay at start-up.

deadlines_app = typer.Typer(
    name="deadlines",
    help=(
        "Deadlines of an asylum case from its dates: the BIA appeal and the one-year bar.\n\n"
        "asylumlens deadlines appeal --decided YYYY-MM-DD [--written --served YYYY-MM-DD]: "
        "the Notice of Appeal due date, 30 calendar days after an oral decision or after "
        "the mailing or e-service of a written one (8 CFR 1003.38(b)-(c)). "
        "asylumlens deadlines one-year --arrived YYYY-MM-DD: the one-year filing deadline "
        "from the last arrival (8 U.S.C. 1158(a)(2)(B), 8 CFR 208.4(a)(2)). Both roll a "
        "last day on a Saturday, Sunday or federal holiday to the next business day, print "
        "the due date, the rule and the roll, and take -f json. See docs/deadlines.md.\n\n"
        "Example: asylumlens deadlines appeal --decided 2026-10-27 -f json"
    ),
    add_completion=False,
    pretty_exceptions_enable=False,
)


@deadlines_app.callback(invoke_without_command=True)
def _group(ctx: typer.Context) -> None:
    # no subcommand: the help, exit 0 (Typer's no_args_is_help is an error under main's
    # standalone_mode=False, printed as an empty one-line error)
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit()


def _parse_date(value: str | date) -> date:
    """A YYYY-MM-DD date; the error names the option (Typer adds it), never the value."""
    if isinstance(value, date):
        return value
    try:
        if len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter("not a date; give YYYY-MM-DD") from None


FormatOption = Annotated[
    Format,
    format_option("table (lines of text), json (one document), csv, ndjson or tsv (one row)."),
]


def _as_option(exc: DeadlineError) -> DeadlineError:
    """The library's error, naming the command-line option instead of the argument."""
    from asylumlens.cases.deadlines import DeadlineError

    return DeadlineError(f"--{exc.field.replace('_', '-')}", exc.reason)


def _show(deadline: Deadline, fmt: Format) -> None:
    record: dict[str, Any] = {
        "due": deadline.due.isoformat(),
        "nominal": deadline.nominal.isoformat(),
        "rule": deadline.rule,
        "rolled_because": deadline.rolled_because,
    }
    if fmt is Format.json:
        emit_document(record, out=sys.stdout)
        return
    if fmt is not Format.table:
        emit([record], fmt, out=sys.stdout, columns=list(record))
        return
    typer.echo(f"due: {deadline.due.isoformat()} ({deadline.due:%A})")
    if deadline.rolled_because is None:
        typer.echo(f"nominal: {deadline.nominal.isoformat()}, a business day: not rolled")
    else:
        typer.echo(
            f"nominal: {deadline.nominal.isoformat()} ({deadline.nominal:%A}), "
            f"rolled because: {deadline.rolled_because}"
        )
    typer.echo(f"rule: {deadline.rule}")


@deadlines_app.command()
def appeal(
    decided: Annotated[
        date,
        typer.Option(
            parser=_parse_date,
            metavar="YYYY-MM-DD",
            help="The day of the Immigration Judge's decision (an oral one: the day stated).",
        ),
    ],
    written: Annotated[
        bool,
        typer.Option(help="A written decision: counted from --served, not from --decided."),
    ] = False,
    served: Annotated[
        date | None,
        typer.Option(
            parser=_parse_date,
            metavar="YYYY-MM-DD",
            help="The day a written decision was mailed or electronically served.",
        ),
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """The BIA Notice of Appeal due date, for DHS or the respondent (8 CFR 1003.38(b)-(c)).

    Example: asylumlens deadlines appeal --decided 2026-10-27 --written --served 2026-10-30
    """
    from asylumlens.cases.deadlines import DeadlineError, appeal_due

    try:
        deadline = appeal_due(decided, written=written, served=served)
    except DeadlineError as exc:
        raise _as_option(exc) from None
    _show(deadline, fmt)


@deadlines_app.command("one-year")
def one_year(
    arrived: Annotated[
        date,
        typer.Option(
            parser=_parse_date,
            metavar="YYYY-MM-DD",
            help="The day of the last arrival in the United States.",
        ),
    ],
    fmt: FormatOption = Format.table,
) -> None:
    """The one-year asylum filing deadline (8 U.S.C. 1158(a)(2)(B), 8 CFR 208.4(a)(2)).

    Example: asylumlens deadlines one-year --arrived 2024-02-29 -f json
    """
    from asylumlens.cases.deadlines import DeadlineError, one_year_due

    try:
        deadline = one_year_due(arrived)
    except DeadlineError as exc:  # pragma: no cover - one_year_due accepts every date
        raise _as_option(exc) from None
    _show(deadline, fmt)
