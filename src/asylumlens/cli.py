"""The ``asylumlens`` command line: thin Typer commands over the library modules.

Every command resolves the store the same way (``--store``, else ``$ASYLUMLENS_STORE``,
else ``./asylumlens-data``). :func:`main` is the one error boundary: an
:class:`~asylumlens.errors.AsylumLensError`, a fault of the machine recognised by
:func:`asylumlens.faults.storage_fault` (disk full, read-only, permission, out of memory) and
a bad option all become one line on stderr and exit status 2; anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from asylumlens import __version__
from asylumlens.cli_admin import admin_app
from asylumlens.cli_cases import cases_app
from asylumlens.cli_deadlines import deadlines_app
from asylumlens.cli_model import estimate_command, model_app
from asylumlens.cli_options import format_option
from asylumlens.errors import AsylumLensError
from asylumlens.output import Format
from asylumlens.releases.fetch_limits import (
    DEFAULT_DEADLINE,
    DEFAULT_MAX_BYTES,
    DEFAULT_MIN_RATE,
    DEFAULT_RATE_WINDOW,
    FetchLimits,
)

app = typer.Typer(
    name="asylumlens",
    help="Reproducible asylum-outcome analytics over EOIR's immigration-court case data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

err_console = Console(stderr=True)
app.add_typer(cases_app, name="cases")
app.add_typer(admin_app, name="admin")


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"asylumlens {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    # the app's help text is Typer(help=...) above; this callback only adds --version
    pass


MAX_LIMIT = 10**9  # --limit: far above any release's rejects, far below DuckDB's BIGINT


class _Invocation:
    """The ``--store`` given to the running command, for naming it in a storage fault."""

    store: Path | None = None


def _note_store(value: Path | None) -> Path | None:
    _Invocation.store = value
    return value


StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help="Store folder. Default: $ASYLUMLENS_STORE, else ./asylumlens-data.",
        show_default=False,
        callback=_note_store,
    ),
]
DeadlineOption = Annotated[
    float,
    typer.Option(
        "--deadline",
        min=0.1,
        help="Give up the download after this many seconds in all (HEAD, retries, pauses).",
    ),
]
MinRateOption = Annotated[
    float,
    typer.Option(
        "--min-rate",
        min=0,
        help="Bytes/s the download must average over --rate-window, else it is cut and "
        "resumed (counts as a retry); 0 turns the check off.",
    ),
]
RateWindowOption = Annotated[
    float, typer.Option("--rate-window", min=0.1, help="Seconds over which --min-rate is averaged.")
]
MaxBytesOption = Annotated[
    int,
    typer.Option("--max-bytes", min=1, help="Refuse a release zip larger than this many bytes."),
]
AllowCountMismatchOption = Annotated[
    bool,
    typer.Option(
        "--allow-count-mismatch",
        help="Ingest even if a table's line count is more than 5 lines off the release's "
        "Count.txt (a few lines off always loads, and is recorded).",
    ),
]


@app.command()
def fetch(
    url: Annotated[
        str | None,
        typer.Option("--url", help="Release zip URL. Default: EOIR's official URL."),
    ] = None,
    dest: Annotated[
        Path | None,
        typer.Option(
            "--dest", help="Download folder. Default: <store>/downloads.", show_default=False
        ),
    ] = None,
    store: StoreOption = None,
    deadline: DeadlineOption = DEFAULT_DEADLINE,
    min_rate: MinRateOption = DEFAULT_MIN_RATE,
    rate_window: RateWindowOption = DEFAULT_RATE_WINDOW,
    max_bytes: MaxBytesOption = DEFAULT_MAX_BYTES,
) -> None:
    """Download the EOIR case-data zip if it changed since the last fetch (resumes cut downloads).

    The download is bounded: --deadline, --min-rate over --rate-window, --max-bytes.
    Example: asylumlens fetch --store /srv/asylumlens
    """
    from asylumlens.releases import DEFAULT_URL, LineProgress, RichProgress, fetch_release
    from asylumlens.store import resolve_store_root

    folder = dest if dest is not None else resolve_store_root(store) / "downloads"
    progress = RichProgress(err_console) if err_console.is_terminal else LineProgress(sys.stderr)
    limits = FetchLimits(deadline, min_rate, rate_window, max_bytes)
    result = fetch_release(url or DEFAULT_URL, folder, progress=progress, limits=limits)
    if result.status == "unchanged":
        typer.echo(f"unchanged since {result.last_modified or result.etag}: {result.path}")
    else:
        typer.echo(f"{result.status} {result.path} ({result.bytes} bytes, sha256 {result.sha256})")


@app.command()
def synth(
    out: Annotated[Path, typer.Argument(help="Folder to write the release and manifest into.")],
    seed: Annotated[int, typer.Option("--seed", help="Random seed; same seed, same bytes.")],
    cases: Annotated[
        int | None,
        typer.Option("--cases", help="Number of cases (A_TblCase rows); required without --from."),
    ] = None,
    release_date: Annotated[
        str | None,
        typer.Option(
            "--date",
            help="Release date YYYY-MM-DD (names the folder). Default: 2026-11-01, or one "
            "month after the --from release.",
            show_default=False,
        ),
    ] = None,
    from_: Annotated[
        Path | None,
        typer.Option(
            "--from",
            help="An earlier synthetic release folder: write the next month's release from it "
            "(cases added, deleted, decisions recoded; all listed in synth-manifest.json).",
        ),
    ] = None,
    zip_: Annotated[
        bool, typer.Option("--zip", help="Also pack OUT/EOIR Case Data.zip (folder is kept).")
    ] = False,
    clean: Annotated[bool, typer.Option("--clean", help="Inject no faults.")] = False,
) -> None:
    """Write a synthetic EOIR release (real layout, real codes, injected faults) and its manifest.

    Example: asylumlens synth /tmp/synth --cases 20000 --seed 1 --zip
    Next month: asylumlens synth /tmp/next --from "/tmp/synth/EOIR Case Data 2026-1101" --seed 2
    """
    import time
    from datetime import date

    from asylumlens.errors import ReleaseError
    from asylumlens.synth import generate

    try:
        when = date.fromisoformat(release_date) if release_date else None
    except ValueError:
        raise ReleaseError(f"--date {release_date!r} is not a date; use YYYY-MM-DD") from None
    started = time.monotonic()
    if from_ is not None:
        _synth_next(out, from_, seed, when, zip_, cases, clean, started)
        return
    if cases is None:
        raise ReleaseError("--cases is required (a positive number of cases), unless --from")
    when = when or date(2026, 11, 1)
    if err_console.is_terminal:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        bar = Progress(
            TextColumn("synth"),
            BarColumn(),
            TextColumn("{task.completed:,}/{task.total:,} cases"),
            TextColumn("{task.fields[rows]:,} rows ({task.fields[rate]:,.0f} rows/s)"),
            TimeElapsedColumn(),
            console=err_console,
        )
        task = bar.add_task("synth", total=cases, rows=0, rate=0.0)

        def report(done: int, total: int, rows: int) -> None:
            rate = rows / max(time.monotonic() - started, 1e-9)
            bar.update(task, completed=done, rows=rows, rate=rate)

        with bar:
            result = generate(
                out, cases, seed, release_date=when, faults=not clean, zip=zip_, progress=report
            )
    else:

        def report(done: int, total: int, rows: int) -> None:
            rate = rows / max(time.monotonic() - started, 1e-9)
            print(
                f"synth: {done:,}/{total:,} cases, {rows:,} rows, {rate:,.0f} rows/s",
                file=sys.stderr,
                flush=True,
            )

        result = generate(
            out, cases, seed, release_date=when, faults=not clean, zip=zip_, progress=report
        )
    typer.echo(f"release: {result.release}")
    if result.zip is not None:
        typer.echo(f"zip: {result.zip}")
    typer.echo(f"manifest: {result.manifest}")
    for stem, n in result.counts.items():
        typer.echo(f"  {stem}\t{n:,} rows")
    typer.echo(f"done in {time.monotonic() - started:.1f} s")


def _synth_next(
    out: Path,
    source: Path,
    seed: int,
    when: Any,
    zip_: bool,
    cases: int | None,
    clean: bool,
    started: float,
) -> None:
    """``synth --from``: the next month's release of an earlier synthetic one."""
    import time

    from asylumlens.errors import ReleaseError
    from asylumlens.synth import next_release

    if cases is not None:
        raise ReleaseError("--cases does not apply with --from (the earlier release sets it)")
    if clean:
        raise ReleaseError(
            "--clean does not apply with --from: the earlier release's faults are carried over "
            "as written and the added rows are clean; start from a `synth --clean` release"
        )
    result = next_release(source, out, seed, release_date=when, zip=zip_)
    typer.echo(f"release: {result.release} (SYNTHETIC, next after {source.name})")
    if result.zip is not None:
        typer.echo(f"zip: {result.zip}")
    typer.echo(f"manifest: {result.manifest} (changes under 'evolution')")
    for stem, n in result.counts.items():
        typer.echo(f"  {stem}\t{n:,} rows")
    typer.echo(f"done in {time.monotonic() - started:.1f} s")


# ---------------------------------------------------------------------------------------
# Outcome analytics: rates, compare, judges, codes (asylumlens.analytics).

DEFAULT_DEFINITION_NAME = "eoir"
"""asylumlens.analytics.DEFAULT_DEFINITION, spelled out for the help text only: the CLI does
not import the analytics (DuckDB, Ibis, pandas) to print --help; a test keeps the two equal.
Commands pass None on to the library, whose default applies."""

DefinitionOption = Annotated[
    str | None,
    typer.Option(
        "--definition",
        "-d",
        help=(
            "Grant-rate definition: eoir (EOIR's published rate), trac (TRAC's judge-report "
            f"rate), ... Default: {DEFAULT_DEFINITION_NAME}, on every command "
            "(docs/methodology.md)."
        ),
    ),
]
WhereOption = Annotated[
    list[str] | None,
    typer.Option(
        "--where",
        "-w",
        help="Filter DIMENSION=CODE[,CODE] or DIMENSION:CODE[,CODE], as in the web's where= "
        "(a code in any case, or a name: nationality=china); repeatable; values are OR'ed.",
    ),
]
SinceOption = Annotated[str | None, typer.Option("--since", help="FY2010 or 2009-10-01.")]
UntilOption = Annotated[str | None, typer.Option("--until", help="FY2025 or 2025-09-30.")]
ReleaseOption = Annotated[
    str | None, typer.Option("--release", help="Release id. Default: the newest.")
]
EngineOption = Annotated[
    str,
    typer.Option(
        "--engine",
        help="duckdb (one machine) or spark (the same queries on Apache Spark; docs/scale.md).",
    ),
]
SparkMasterOption = Annotated[
    str | None,
    typer.Option(
        "--spark-master",
        help="Spark master URL for --engine spark. Default: $SPARK_MASTER, else local[2].",
        show_default=False,
    ),
]


def _engine(kind: str, spark_master: str | None) -> Any:
    """The ``engine=`` of a query command: the process's engine of ``kind``, or a Spark
    engine on ``spark_master`` (an unknown kind is the library's one-line QueryError)."""
    from asylumlens.analytics import Engine

    if spark_master is None:
        return kind
    return Engine(kind, spark_master=spark_master)


FORMAT_HELP = (
    "table, json, csv, ndjson or tsv. A table piped or redirected is printed at full "
    "width, its title on a line above it: no value wraps across lines. Rows from a "
    "SYNTHETIC release say so: the table's title, a synthetic field (json, ndjson) or "
    "column (csv, tsv)."
)
FormatOption = Annotated[Format, format_option(FORMAT_HELP)]


def _synthetic_banner(what: str) -> None:
    """The stderr line shown beside any output from a SYNTHETIC release (``what``: e.g.
    ``release 2026-11-01``)."""
    err_console.print(
        f"[bold yellow]SYNTHETIC[/] {escape(what)}: generated data, not EOIR figures",
        highlight=False,
        soft_wrap=True,
    )


UnitOption = Annotated[
    str | None,
    typer.Option(
        "--unit",
        help="Count each application, or one decision per case or per proceeding. "
        "Default: the definition's own (eoir: application; trac: case).",
        show_default=False,
    ),
]
_PROVENANCE_COLUMNS = ("definition", "unit", "release", "synthetic")


@app.command()
def ingest(
    path: Annotated[
        Path,
        typer.Argument(help="The release: EOIR Case Data.zip, or a folder holding its tables."),
    ],
    store: StoreOption = None,
    allow_count_mismatch: AllowCountMismatchOption = False,
) -> None:
    """Load a release into the store: every line loaded, repaired or quarantined, counted.

    The release becomes visible only when complete; a failure leaves the store as it was.
    Ingesting the same release again changes nothing. Files that are no table of the
    EOIR layout are listed as warnings and not read.
    Example: asylumlens ingest "EOIR Case Data.zip" --store /srv/asylumlens
    """
    from asylumlens.pipeline import ingest_release
    from asylumlens.store import Store
    from asylumlens.terminal import ingest_progress

    target = Store.resolve(store)
    with ingest_progress(err_console) as progress:
        outcome = ingest_release(
            path, target, progress=progress, allow_count_mismatch=allow_count_mismatch
        )
    info = outcome.manifest["release"]
    if outcome.status == "ingested":
        listed = info.get("ignored", [])
        warnings = [f"{s['path']}: {s['reason']}; not read" for s in listed]
        if info.get("ignored_total", 0) > len(listed):
            warnings.append(f"{info['ignored_total'] - len(listed):,} more files not read")
        for warning in warnings:
            err_console.print(f"warning: {warning}", markup=False, highlight=False, soft_wrap=True)
    totals = outcome.manifest["totals"]
    label = " [SYNTHETIC]" if info.get("synthetic") else ""
    if outcome.status == "unchanged":
        typer.echo(f"unchanged: release {info['id']}{label} is already in {target.root}")
        return
    typer.echo(
        f"ingested {totals['lines']:,} rows of release {info['id']}{label} into {target.root}: "
        f"{totals['loaded']:,} loaded ({totals['repaired']:,} repaired), "
        f"{totals['quarantined']:,} quarantined, in {info['duration_s']:.1f} s"
    )


@app.command()
def status(
    store: StoreOption = None,
    release: Annotated[str | None, typer.Option(help="Release id (default: newest).")] = None,
    fmt: FormatOption = Format.table,
    as_json: Annotated[
        bool, typer.Option("--json", help="Deprecated: the same as -f json.")
    ] = False,
) -> None:
    """The release in the store and, per table: lines, loaded, repaired, quarantined, reasons.

    Its JSON form (-f json) is one document: the release's manifest entry and its tables.
    Example: asylumlens status --store demo-data -f json
    """
    from asylumlens.errors import QueryError
    from asylumlens.manifest import Manifest, ReleaseBlock
    from asylumlens.output import emit, emit_document
    from asylumlens.quality import table_quality
    from asylumlens.store import Store

    if as_json:
        if fmt not in (Format.table, Format.json):
            raise QueryError(f"--json asks for json but --format asks for {fmt}; give one")
        err_console.print("note: --json is deprecated; use -f json", highlight=False)
        fmt = Format.json
    rel = Store.resolve(store).release(release)
    manifest: Manifest = rel.manifest
    quality = table_quality(rel)
    keep = ("lines", "loaded", "repaired", "quarantined")
    tables = {
        t.table: {**{k: getattr(t, k) for k in keep}, "reasons": dict(t.reasons)} for t in quality
    }
    info: ReleaseBlock = manifest["release"]
    if info.get("synthetic"):
        _synthetic_banner(f"release {info['id']}")
    if fmt is Format.json:
        emit_document({"release": info, "tables": tables}, out=sys.stdout)
        return
    rows = [
        {
            "table": t.table,
            **{k: getattr(t, k) for k in keep},
            "count_txt": t.count_txt,
            "reasons": ", ".join(f"{r} {n}" for r, n in sorted(t.reasons.items())),
        }
        for t in quality
    ]
    title = f"release {info['id']} ({info.get('source_kind')}: {info.get('source')})"
    emit(rows, fmt, out=sys.stdout, title=title, synthetic=bool(info.get("synthetic")))


@app.command()
def rejects(
    store: StoreOption = None,
    release: Annotated[str | None, typer.Option(help="Release id (default: newest).")] = None,
    table: Annotated[str | None, typer.Option(help="Only this table (file stem).")] = None,
    reason: Annotated[str | None, typer.Option(help="Only this reason.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=MAX_LIMIT, help="At most this many rows.")] = 20,
    fmt: FormatOption = Format.table,
) -> None:
    """Show quarantined rows: table, line, reason, detail and the raw text.

    Example: asylumlens rejects --table A_TblCase --reason duplicate_key --limit 5
    """
    from asylumlens.output import emit
    from asylumlens.quality import REJECT_COLUMNS, rejected_rows
    from asylumlens.store import Store

    rel = Store.resolve(store).release(release)
    rows = rejected_rows(rel, table=table, reason=reason, limit=limit)
    if rel.synthetic:
        _synthetic_banner(f"release {rel.id}")
    title = f"rejects in release {rel.id}"
    emit(rows, fmt, out=sys.stdout, columns=REJECT_COLUMNS, title=title, synthetic=rel.synthetic)


def _analytics_output(
    df: Any,
    fmt: Format,
    title: str,
    notes: list[str] | None = None,
    table_columns: list[str] | None = None,
) -> None:
    """Print an analytics frame; SYNTHETIC releases are labelled on stderr and in the title.

    ``table_columns`` narrows the table form only (machine formats get every column). The
    table's title names the definition's unit, the release and the last complete day of
    its data; the per-row provenance columns are left to the machine formats.
    """
    import math

    from asylumlens.analytics import DIMENSIONS
    from asylumlens.output import emit

    release = df.attrs.get("release")
    synthetic = bool(df.attrs.get("synthetic"))
    if synthetic:
        _synthetic_banner(f"release {release}")
    rows = df.to_dict("records")
    if fmt is Format.table:
        for row in rows:  # an unlabelled code shows the code itself
            for name, dim in DIMENSIONS.items():
                label = dim.label
                if label and label in row and name in row:
                    value = row[label]
                    if value is None or (isinstance(value, float) and math.isnan(value)):
                        row[label] = row[name]
    columns = [str(c) for c in df.columns]
    if fmt is Format.table:
        columns = table_columns or [c for c in columns if c not in _PROVENANCE_COLUMNS]
    scope = []
    if df.attrs.get("unit"):
        scope.append(f"unit: {df.attrs['unit']}")
    if df.attrs.get("last_complete_day"):
        scope.append(f"data complete through {df.attrs['last_complete_day']}")
    emit(
        rows,
        fmt,
        out=sys.stdout,
        columns=columns,
        title=f"{title} (release {release})" + (f", {', '.join(scope)}" if scope else ""),
        synthetic=synthetic,
    )
    for note in notes or []:
        if df.attrs.get("synthetic"):
            note = f"SYNTHETIC: {note}"  # a sentence quoted alone must keep its label
        if fmt is Format.table:
            typer.echo(note)
        else:
            err_console.print(note, highlight=False, soft_wrap=True)


@app.command()
def rates(
    definition: DefinitionOption = None,
    by: Annotated[
        str,
        typer.Option("--by", "-b", help="Comma list of dimensions, e.g. fiscal_year,nationality."),
    ] = "fiscal_year",
    where: WhereOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    unit: UnitOption = None,
    grant_codes: Annotated[
        str | None,
        typer.Option("--grant-codes", help="APPL_DEC codes counted as grants, e.g. G,F."),
    ] = None,
    min_decisions: Annotated[
        int | None, typer.Option("--min-decisions", help="Flag rows with fewer decisions.")
    ] = None,
    fmt: FormatOption = Format.table,
    store: StoreOption = None,
    release: ReleaseOption = None,
    engine: EngineOption = "duckdb",
    spark_master: SparkMasterOption = None,
) -> None:
    """Asylum grant rates broken down by dimensions, with 95% Wilson intervals.

    Example: asylumlens rates -d trac --by fiscal_year,nationality --where nationality=CH
    """
    from asylumlens.analytics import DEFAULT_DEFINITION
    from asylumlens.analytics import rates as compute
    from asylumlens.analytics.dimensions import parse_where_strings

    df = compute(
        definition=definition or DEFAULT_DEFINITION,
        by=by,
        where=parse_where_strings(where or []),
        since=since,
        until=until,
        unit=unit,
        grant_codes=grant_codes,
        min_decisions=min_decisions,
        store=store,
        release=release,
        engine=_engine(engine, spark_master),
    )
    notes = [f"below_threshold: fewer than {df.attrs['min_decisions']} decisions"]
    if df["partial"].any():
        notes.append(
            f"partial: the row's period runs past {df.attrs['last_complete_day']}, the last "
            "complete day of this release's data; its counts are incomplete"
        )
    _analytics_output(df, fmt, f"Asylum grant rates, {df.attrs['definition_title']}", notes)


@app.command()
def compare(
    period: Annotated[
        str | None,
        typer.Option(
            "--period",
            help="FY2025, or a range FY2024-FY2025. Default: the latest fiscal year complete "
            "in the release.",
        ),
    ] = None,
    baseline: Annotated[
        str | None,
        typer.Option(
            "--baseline",
            help="Fiscal years to compare with, e.g. FY2010-FY2024. Default: FY2010 (or the "
            "first fiscal year with data) to the year before the period.",
        ),
    ] = None,
    definition: DefinitionOption = None,
    where: WhereOption = None,
    unit: UnitOption = None,
    fmt: FormatOption = Format.table,
    store: StoreOption = None,
    release: ReleaseOption = None,
    engine: EngineOption = "duckdb",
    spark_master: SparkMasterOption = None,
) -> None:
    """A period's grant rate beside the baseline's mean of yearly rates and its pooled rate,
    with the counts behind each and the thin, missing and partial years named.

    Without --period/--baseline it prints the journalist's default line, the same as the
    web home page: the latest complete fiscal year against FY2010 onwards.

    Example: asylumlens compare --period FY2025 --baseline FY2010-FY2024 --definition eoir
    """
    from asylumlens.analytics import DEFAULT_DEFINITION
    from asylumlens.analytics import compare as compute
    from asylumlens.analytics.dimensions import parse_where_strings

    df = compute(
        period=period,
        baseline=baseline,
        definition=definition or DEFAULT_DEFINITION,
        where=parse_where_strings(where or []),
        unit=unit,
        store=store,
        release=release,
        engine=_engine(engine, spark_master),
    )
    narrow = ["measure", "fiscal_years", "grants", "total", "decisions", "rate", "ci_low"]
    narrow += ["ci_high", "years_below_threshold", "partial"]
    _analytics_output(
        df,
        fmt,
        f"{df.attrs['period']} vs {df.attrs['baseline']}, {df.attrs['definition_title']}",
        [df.attrs["sentence"]],
        table_columns=narrow,
    )


@app.command()
def judges(
    court: Annotated[str, typer.Option("--court", help="Base city code of the court, e.g. NYC.")],
    nationality: Annotated[
        str | None, typer.Option("--nationality", help="NAT code, e.g. CH.")
    ] = None,
    definition: DefinitionOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    unit: UnitOption = None,
    fmt: FormatOption = Format.table,
    store: StoreOption = None,
    release: ReleaseOption = None,
    engine: EngineOption = "duckdb",
    spark_master: SparkMasterOption = None,
) -> None:
    """Each judge's raw grant rate and empirical-Bayes shrunken estimate, and their spread.

    Example: asylumlens judges --court NYC --nationality CH --since FY2020
    """
    from asylumlens.analytics import DEFAULT_DEFINITION
    from asylumlens.analytics import judges as compute

    df = compute(
        court=court,
        nationality=nationality,
        definition=definition or DEFAULT_DEFINITION,
        since=since,
        until=until,
        unit=unit,
        store=store,
        release=release,
        engine=_engine(engine, spark_master),
    )
    notes = []
    for name, s in df.attrs["spread"].items():
        notes.append(
            f"spread {name}: {s['judges']} judges, min {s['min']:.1%}, max {s['max']:.1%}, "
            f"IQR {s['iqr']:.1%}"
        )
    prior = df.attrs["prior"]
    notes.append(f"prior Beta({prior['alpha']:.3g}, {prior['beta']:.3g}), mean {prior['mean']:.1%}")
    notes.append(f"model: {df.attrs['note']}")
    apart = df.attrs["not_judges"]
    if apart:
        listed = ", ".join(f"{r['judge'] or '(blank)'} {r['total']}" for r in apart[:8])
        notes.append(
            f"not judges (not fitted or ranked): {len(apart)} codes, "
            f"{sum(r['total'] for r in apart)} decisions: {listed}"
        )
    narrow = ["judge", "judge_name", "grants", "denials", "total", "rate", "ci_low", "ci_high"]
    narrow += ["shrunk_rate", "shrunk_low", "shrunk_high", "below_threshold", "partial"]
    title = f"Judges at {court}, {df.attrs['definition_title']}"
    _analytics_output(df, fmt, title, notes, table_columns=narrow)


@app.command()
def codes(
    dimension: Annotated[str, typer.Argument(help="court, judge, nationality, language, ...")],
    search: Annotated[
        str | None,
        typer.Option("--search", "-s", help="Only codes whose code or name contains TEXT."),
    ] = None,
    fmt: FormatOption = Format.table,
    store: StoreOption = None,
    release: ReleaseOption = None,
    engine: EngineOption = "duckdb",
    spark_master: SparkMasterOption = None,
) -> None:
    """The codes a release uses for a dimension, with labels and asylum decision counts.

    Example: asylumlens codes court --search "new york"
    """
    from asylumlens.analytics import codes as compute
    from asylumlens.analytics import find_codes

    if search is not None:
        df = find_codes(
            dimension, search, store=store, release=release, engine=_engine(engine, spark_master)
        )
        _analytics_output(df, fmt, f"{dimension} codes matching {search!r}")
        return
    df = compute(dimension, store=store, release=release, engine=_engine(engine, spark_master))
    _analytics_output(df, fmt, f"{dimension} codes")


@app.command()
def serve(
    store: StoreOption = None,
    release: ReleaseOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on (loopback by default).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port to listen on.")] = 8000,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="Public URL prefix for the absolute links the API builds (next pages); "
            "default: relative links. Never taken from the request's Host header.",
            show_default=False,
        ),
    ] = None,
    engine: EngineOption = "duckdb",
    spark_master: SparkMasterOption = None,
) -> None:
    """Serve the dashboard and the JSON API (/api/v1) for one release of the store.

    The server keeps serving the release version it started on until it restarts, even
    if that release id is ingested again meanwhile. Every public page and API query runs
    on --engine (DuckDB answers in milliseconds; Spark in most of a second a query, and it
    starts its session before the server listens: docs/scale.md).
    Example: asylumlens serve --store demo-data --port 8000
    """
    from asylumlens.store import Store
    from asylumlens.web.server import serve as run

    run(Store.resolve(store), release, host, port, base_url, engine=_engine(engine, spark_master))


# ---------------------------------------------------------------------------------------
# Releases side by side: update, releases, diff (asylumlens.releases).


@app.command()
def update(
    url: Annotated[
        str | None,
        typer.Option("--url", help="Release zip URL. Default: EOIR's official URL."),
    ] = None,
    store: StoreOption = None,
    deadline: DeadlineOption = DEFAULT_DEADLINE,
    min_rate: MinRateOption = DEFAULT_MIN_RATE,
    rate_window: RateWindowOption = DEFAULT_RATE_WINDOW,
    max_bytes: MaxBytesOption = DEFAULT_MAX_BYTES,
    allow_count_mismatch: AllowCountMismatchOption = False,
) -> None:
    """Fetch the release zip if it changed, and ingest it beside the releases already stored.

    Nothing is ingested when the zip is unchanged and already in the store. The download is
    bounded as in `fetch` (--deadline, --min-rate, --rate-window, --max-bytes).
    Example (for schedulers): asylumlens update --store /srv/asylumlens
    """
    from asylumlens.releases import DEFAULT_URL, LineProgress, RichProgress
    from asylumlens.releases.update import update_release
    from asylumlens.store import Store
    from asylumlens.terminal import ingest_progress

    target = Store.resolve(store)
    progress = RichProgress(err_console) if err_console.is_terminal else LineProgress(sys.stderr)
    with ingest_progress(err_console) as ingesting:
        outcome = update_release(
            target,
            url=url or DEFAULT_URL,
            fetch_progress=progress,
            ingest_progress=ingesting,
            limits=FetchLimits(deadline, min_rate, rate_window, max_bytes),
            allow_count_mismatch=allow_count_mismatch,
        )
    typer.echo(outcome.summary)


@app.command(name="releases")
def releases_command(
    store: StoreOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """The releases in the store, oldest first: id, date, synthetic, source, rows loaded.

    Example: asylumlens releases --store demo-data -f json
    """
    from asylumlens.output import emit
    from asylumlens.releases.listing import release_rows
    from asylumlens.store import Store

    target = Store.resolve(store)
    rows = release_rows(target)
    if fmt is Format.table:
        if not rows:
            typer.echo(f"no release in store {target.root}")
            return
        for row in rows:  # the JSON form keeps the full values
            row["synthetic"] = {True: "SYNTHETIC", False: "no", None: "?"}[row["synthetic"]]
            row["sha256"] = (row["sha256"] or "")[:12]
            row["source"] = Path(row["source"]).name if row["source"] else None
            status, _, problem = row["status"].partition(": ")
            if problem:  # the table says "damaged"; stderr says why, one line each
                err_console.print(
                    f"{row['id']}: {escape(problem)}", highlight=False, soft_wrap=True
                )
                row["status"] = status
    emit(rows, fmt, out=sys.stdout, title=f"releases in {target.root}")  # synthetic per row


@app.command()
def diff(
    old: Annotated[str, typer.Argument(help="The earlier release id (see `asylumlens releases`).")],
    new: Annotated[str, typer.Argument(help="The later release id.")],
    store: StoreOption = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Report folder. Default: <store>/diffs.", show_default=False),
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """What changed between two releases: records, recoded decisions, grant-rate moves.

    Writes <OLD>__<NEW>.json and .html to --out and prints a summary: three tables, or the
    report's JSON document (-f json), or their rows in one list (csv, tsv, ndjson), each
    row naming its section (records, recoded, moves).
    Example: asylumlens diff 2026-10-01 2026-11-01
    """
    from asylumlens.output import emit, emit_document
    from asylumlens.releases.diff import diff_releases, diffs_dir, write_report
    from asylumlens.store import Store

    target = Store.resolve(store)
    report = diff_releases(target.release(old), target.release(new))
    json_path, html_path = write_report(report, out if out is not None else diffs_dir(target))
    if report.synthetic:
        _synthetic_banner(f"release(s) among {old}, {new}")
    if fmt is Format.json:
        emit_document(report.as_json(), out=sys.stdout)
        return
    sections = _diff_sections(report, as_table=fmt is Format.table)
    if fmt is not Format.table:
        rows = [{"section": name, **row} for name, (_, part) in sections.items() for row in part]
        emit(rows, fmt, out=sys.stdout, synthetic=report.synthetic)
        return
    for name, (title, part) in sections.items():
        if part or name != "moves":
            emit(part, fmt, out=sys.stdout, title=title, synthetic=report.synthetic)
    if not sections["moves"][1]:
        typer.echo(
            f"no grant-rate cell has {report.min_decisions}+ decisions in both releases "
            f"and moved ({len(report.rate_moves)} cells compared)"
        )
    typer.echo(f"report: {json_path}")
    typer.echo(f"report: {html_path}")


def _diff_sections(report: Any, *, as_table: bool) -> dict[str, tuple[str, list[dict[str, Any]]]]:
    """``diff``'s rows by section, with their table titles: records per table, decisions
    recoded, the ten largest grant-rate moves (rates as percentages in a table)."""
    old, new = report.old["id"], report.new["id"]

    def rate(value: float | None) -> float | str | None:
        return value if value is None or not as_table else f"{value:.1%}"

    records = [
        {k: getattr(t, k) for k in ("table", "old_rows", "new_rows", "added", "removed", "changed")}
        for t in report.tables
    ]
    recoded = [
        {"table": c.table, "column": c.column, "old": c.old, "new": c.new, "rows": c.rows}
        for c in report.recoded
    ]
    moves = [
        {
            "definition": m.definition,
            "fiscal_year": m.fiscal_year,
            "nationality": m.nationality,
            "old_rate": rate(m.old_rate),
            "new_rate": rate(m.new_rate),
            "points": m.change_points,
            "old_total": m.old_total,
            "new_total": m.new_total,
        }
        for m in report.largest_moves[:10]
    ]
    return {
        "records": (f"records {old} -> {new}", records),
        "recoded": ("decisions recoded", recoded),
        "moves": ("largest grant-rate moves", moves),
    }


@app.command(name="history")
def history_command(
    table: Annotated[
        str,
        typer.Option("--table", help="case, proceeding or application (the record followed)."),
    ] = "application",
    summary: Annotated[
        bool,
        typer.Option(
            "--summary",
            help="One row per consecutive release pair and definition: records added, "
            "deleted, recoded, and the grant-rate move; instead of one row per record.",
        ),
    ] = False,
    fmt: FormatOption = Format.table,
    store: StoreOption = None,
    engine: EngineOption = "duckdb",
    spark_master: SparkMasterOption = None,
) -> None:
    """The history of every record across all releases in the store (oldest first).

    Per record: first and last release seen, releases where it was absent, deleted and
    back, and where its decision code or completion date changed. Lists of release ids
    are JSON lists in -f json/ndjson, space-separated elsewhere.
    Example: asylumlens history --table proceeding --summary -f csv
    """
    from asylumlens.output import emit
    from asylumlens.releases.history import history, history_summary

    compute = history_summary if summary else history
    df = compute(store, table=table, engine=_engine(engine, spark_master))
    synthetic = bool(df.attrs.get("synthetic"))
    if synthetic:
        _synthetic_banner(f"release(s) among {', '.join(df.attrs['releases'])}")
    rows = [{str(k): v for k, v in row.items()} for row in df.to_dict("records")]
    if fmt not in (Format.json, Format.ndjson):
        for row in rows:
            for name, value in row.items():
                if isinstance(value, list):
                    row[name] = " ".join(value)
    what = "release-pair summary" if summary else "history"
    emit(
        rows,
        fmt,
        out=sys.stdout,
        columns=[str(c) for c in df.columns],
        title=f"{table} {what} over {len(df.attrs['releases'])} release(s)",
        synthetic=synthetic,
    )


@app.command()
def claim(
    sentence: Annotated[
        str | None,
        typer.Argument(
            help='The claim as one sentence, e.g. "fell to 10% in 2025 from a 28% average '
            'between 2010 and 2024". Or give --rate and --period.'
        ),
    ] = None,
    rate: Annotated[
        str | None, typer.Option("--rate", help="The claimed rate in percent, e.g. 10.")
    ] = None,
    period: Annotated[
        str | None,
        typer.Option(
            "--period",
            help="FY2025, 2025 (fiscal or calendar), CY2025, or 2025-01-01..2025-09-30.",
        ),
    ] = None,
    baseline_rate: Annotated[
        str | None,
        typer.Option("--baseline-rate", help="The claimed baseline rate in percent, e.g. 28."),
    ] = None,
    baseline: Annotated[
        str | None,
        typer.Option("--baseline", help="The baseline span, e.g. 2010-2024 or FY2010-FY2024."),
    ] = None,
    where: WhereOption = None,
    tolerance: Annotated[
        float | None,
        typer.Option(
            "--tolerance",
            help="Percentage points. Default: the claim's rounding (0.5 for whole percents).",
        ),
    ] = None,
    fmt: FormatOption = Format.table,
    store: StoreOption = None,
    release: ReleaseOption = None,
    engine: EngineOption = "duckdb",
    spark_master: SparkMasterOption = None,
) -> None:
    """Which reading of the data reproduces a published figure? Sweeps definition, unit,
    fiscal/calendar year (and to date), pooled or mean baseline and grant set, and ranks
    every reading by its distance from the claim (docs/claims.md).

    Example: asylumlens claim "plummeted to 10 percent in 2025, from the 28 percent
    average recorded between 2010 and 2024"
    """
    from asylumlens.analytics import check_claim
    from asylumlens.analytics.dimensions import parse_where_strings

    filters = parse_where_strings(where or [])
    df = check_claim(
        sentence,
        rate=rate,
        period=period,
        baseline_rate=baseline_rate,
        baseline=baseline,
        where=filters or None,
        tolerance=tolerance,
        store=store,
        release=release,
        engine=_engine(engine, spark_master),
    )
    label = "SYNTHETIC: " if df.attrs.get("synthetic") else ""
    understood = f"{label}understood: {df.attrs['understood']}"
    if fmt is Format.table:
        typer.echo(understood)
    else:
        err_console.print(understood, highlight=False, soft_wrap=True)
    shown = df if fmt is not Format.table else _claim_table(df)
    notes = [df.attrs["verdict"]]
    if fmt is Format.table:
        notes.append("* partial year (runs past the last complete day); ! a year under 25")
    _analytics_output(shown, fmt, "Readings of the claim, closest first", notes)


def _claim_table(df: Any) -> Any:
    """The readings in a terminal's width: one text cell per reading, period and baseline
    (machine formats keep every column)."""
    import pandas as pd

    def figure(row: Any, role: str) -> str:
        rate = row.get(f"{role}_rate")
        if rate is None or pd.isna(rate):
            return "-"
        grants = row.get(f"{role}_grants")
        counts = (
            f"{grants}/{row[f'{role}_decisions']}"
            if grants is not None
            else (f"{row[f'{role}_decisions']} dec.")
        )
        flags = "".join(
            mark
            for mark, col in (("*", f"{role}_partial"), ("!", f"{role}_below_threshold"))
            if row.get(col)
        )
        return f"{rate * 100:.1f}% ({counts}){flags}"

    rows = []
    for _, row in df.iterrows():
        reading = f"{row['definition']}, {row['unit']}, {row['year_basis']}, {row['grant_set']}"
        if isinstance(row.get("aggregation"), str):
            reading += f", {row['aggregation']}"
        rows.append(
            {
                "reading": reading,
                "period": f"{row['period_label']}: {figure(row, 'period')}",
                "baseline": (
                    f"{row['baseline_label']}: {figure(row, 'baseline')}"
                    if "baseline_label" in row
                    else "-"
                ),
                "off_by": f"{row['distance_points']:.1f} pt",
                "matches": "yes" if row["matches"] else "no",
            }
        )
    table = pd.DataFrame(rows)
    table.attrs.update(df.attrs)
    return table


app.add_typer(deadlines_app, name="deadlines")
app.add_typer(model_app, name="model")
app.command("estimate")(estimate_command)


def main() -> None:
    """Console-script entry point and the CLI's one error boundary.

    Bad options, :class:`AsylumLensError` and faults of the machine (disk full, read-only,
    permission, out of memory: :func:`asylumlens.faults.storage_fault`) print one line on
    stderr and exit with status 2. Any other exception is a bug and keeps its traceback.
    """
    from asylumlens.faults import storage_fault

    if not sys.argv[1:]:  # no command: Typer prints the help (exit status 2)
        app()
    try:
        code = app(standalone_mode=False)
    except typer.TyperException as exc:  # a bad option or command, caught at parse time
        ctx = getattr(exc, "ctx", None)
        where = f" (see {ctx.command_path} --help)" if ctx is not None else ""
        _one_line(f"{exc.format_message()}{where}")
        sys.exit(exc.exit_code)
    except typer.Abort:
        _one_line("aborted")
        sys.exit(1)
    except AsylumLensError as exc:
        _one_line(str(exc))
        sys.exit(2)
    except Exception as exc:
        fault = storage_fault(exc, _invoked_store())
        if fault is None:
            raise
        _one_line(str(fault))
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)


def _invoked_store() -> Path:
    from asylumlens.store import resolve_store_root

    return resolve_store_root(_Invocation.store)


def _one_line(message: str) -> None:
    """``error: ...`` on stderr, folded to one line whatever the message holds."""
    text = " ".join(message.split())
    err_console.print(f"[bold red]error:[/] {escape(text)}", highlight=False, soft_wrap=True)


if __name__ == "__main__":  # pragma: no cover
    main()
