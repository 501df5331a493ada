"""``asylumlens model train|evaluate`` and ``asylumlens estimate``: the outcome model's shell.

Thin commands over :mod:`asylumlens.model`: the features, fit, scores and estimate live
there. This module parses options, shows progress on stderr and prints.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from asylumlens.cli_options import format_option
from asylumlens.output import Format, emit, emit_document

model_app = typer.Typer(
    name="model",
    help=(
        "The outcome model: LightGBM on filing-time features, calibrated, scored on the "
        "release's last two complete fiscal years against baselines (majority, judge, "
        "nationality, judge x nationality). See docs/model.md.\n\n"
        "Example: asylumlens model train && asylumlens model evaluate -f json"
    ),
    add_completion=False,
    pretty_exceptions_enable=False,
)

_err = Console(stderr=True)

StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help="Store folder. Default: $ASYLUMLENS_STORE, else ./asylumlens-data.",
        show_default=False,
    ),
]
ReleaseOption = Annotated[
    str | None, typer.Option("--release", help="Release id. Default: the newest.")
]
FormatOption = Annotated[
    Format, format_option("table or json (the others print the table's rows). SYNTHETIC says so.")
]


@model_app.callback(invoke_without_command=True)
def _group(ctx: typer.Context) -> None:
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit()


def _synthetic(flag: bool, release: str) -> None:
    if flag:
        _err.print(f"[bold red]SYNTHETIC[/] release {release}: generated data, not EOIR figures")


def _metric_rows(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    names = ("rows", "accuracy", "auc", "brier", "log_loss", "ece")
    return [{"predictor": k, **{n: v.get(n) for n in names}} for k, v in metrics.items()]


@model_app.command("train")
def train_command(
    store: StoreOption = None,
    release: ReleaseOption = None,
    test_years: Annotated[
        int, typer.Option("--test-years", min=1, max=5, help="Held-out complete fiscal years.")
    ] = 2,
    fmt: FormatOption = Format.table,
) -> None:
    """Train the outcome model of a release and save it in the store (models/<release>/).

    Example: asylumlens model train --release 2026-11-01
    """
    from asylumlens.model import train

    with _err.status("training the outcome model (LightGBM + bootstrap models)..."):
        model = train(store, release, test_years=test_years)
    card = model.card
    _synthetic(bool(card["synthetic"]), str(card["release"]))
    if fmt is Format.json:
        emit_document({k: v for k, v in card.items() if k != "levels"}, out=sys.stdout)
        return
    window = card["window"]
    title = (
        f"Outcome model of release {card['release']}: trained FY{window['first_fiscal_year']}-"
        f"FY{window['calibration_fiscal_year']}, scored on FY"
        f"{window['test_fiscal_years'][0]}-FY{window['test_fiscal_years'][-1]}"
    )
    emit(
        _metric_rows(card["metrics"]),
        fmt,
        out=sys.stdout,
        title=title,
        synthetic=bool(card["synthetic"]),
    )


@model_app.command("evaluate")
def evaluate_command(
    store: StoreOption = None,
    release: ReleaseOption = None,
    fmt: FormatOption = Format.table,
    html: Annotated[
        Path | None,
        typer.Option("--html", help="Also write the report as one self-contained HTML page."),
    ] = None,
) -> None:
    """Score the saved model on its held-out years beside the baselines, overall and by
    custody and representation.

    Example: asylumlens model evaluate -f json --html model-report.html
    """
    from asylumlens.model import evaluate, html_report

    with _err.status("scoring the outcome model..."):
        report = evaluate(store, release)
    _synthetic(bool(report["synthetic"]), str(report["release"]))
    if html is not None:
        html.write_text(html_report(report), encoding="utf-8")
    if fmt is Format.json:
        emit_document(report, out=sys.stdout)
        return
    window = report["window"]
    title = (
        f"Held-out FY{window['test_fiscal_years'][0]}-FY{window['test_fiscal_years'][-1]}, "
        f"release {report['release']}"
    )
    emit(
        _metric_rows(report["metrics"]),
        fmt,
        out=sys.stdout,
        title=title,
        synthetic=bool(report["synthetic"]),
    )


def _represented(value: str | None) -> bool | None:
    if value is None:
        return None
    lowered = value.strip().lower()
    if lowered not in ("true", "false"):
        raise typer.BadParameter("--represented takes true or false")
    return lowered == "true"


def estimate_command(
    judge: Annotated[str, typer.Option("--judge", help="Judge code (IJ_CODE).")],
    court: Annotated[str, typer.Option("--court", help="Court code (BASE_CITY_CODE).")],
    nationality: Annotated[str, typer.Option("--nationality", help="Nationality code.")],
    custody: Annotated[
        str | None,
        typer.Option("--custody", help="D (detained), R (released) or N (never detained)."),
    ] = None,
    represented: Annotated[
        str | None, typer.Option("--represented", help="true or false.", show_default=False)
    ] = None,
    store: StoreOption = None,
    release: ReleaseOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """The outcome model's probability of a grant for a case like this, with its interval,
    the features that moved it most, and the caveat. Not legal advice.

    Example: asylumlens estimate --judge JAA --court NYC --nationality CH --custody D -f json
    """
    from asylumlens.model import estimate

    if custody is not None and custody.strip().upper() not in ("D", "R", "N"):
        raise typer.BadParameter("--custody takes D, R or N")
    result = estimate(
        store,
        judge=judge,
        court=court,
        nationality=nationality,
        custody=custody,
        represented=_represented(represented),
        release=release,
    )
    _synthetic(result.synthetic, result.release)
    for warning in result.warnings:
        _err.print(f"[yellow]warning:[/] {warning}", highlight=False)
    if fmt is Format.json:
        emit_document(result.as_dict(), out=sys.stdout)
        return
    title = (
        f"Estimate {result.probability:.1%} ({result.low:.1%}-{result.high:.1%}), release "
        f"{result.release}: {result.caveat}"
    )
    emit(result.contributions, fmt, out=sys.stdout, title=title, synthetic=result.synthetic)
