"""What the outcome model may know about a case: its attributes at the application's filing.

The model answers "how did this court decide applications like this one, filed like this
one?", so every feature is read from what the record says when the asylum application was
received (``appl_recd_date``), never from how or when it ended. The target is the default
definition's (``eoir``) verdict on a decided asylum (ASYL) application in its scope (case
types RMV/DEP/EXC/AOC, initial completions): 1 for a grant (APPL_DEC G, F, C, I, P), 0 for
a denial (D). The definition's "others" (abandoned, withdrawn, not adjudicated, other, CAT
granted instead: A, L, M, O, W) are not verdicts on the claim and are left out, so the
model's probability is "granted, given that the judge granted or denied" (docs/model.md).

What the fact table holds and what it does not (docs/model.md, "Known biases"):

* ``custody`` is the completing proceeding's CUSTODY code (D/R/N); EOIR does not say when
  it was set. tbl_CustodyHistory would give custody on the filing date; the fact table
  does not carry it.
* ``represented`` is the fact table's flag: a court-level respondent representative
  (tbl_RepsAssigned) or an EOIR-28 on the case. It is not dated in the fact table, so it
  may record a representative who arrived after filing: the one feature that can know more
  than the filing did. It is kept because representation is the strongest known
  predictor (GAO-17-72) and an attorney knows it when asking.
* ``judge`` and ``court`` are the completing proceeding's, which may differ from the ones
  assigned at filing (reassignments, venue changes).
* Years since entry are not used: the fact table does not carry DATE_OF_ENTRY.

Pure functions over a DataFrame of fact-table rows; the query lives in
:func:`load_decisions` (an Ibis expression, no SQL text from input).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from asylumlens.analytics import DEFAULT_DEFINITION, get_definition
from asylumlens.analytics.source import Coverage, Engine, ReleaseArg, StoreArg, open_source

FEATURES: Final[tuple[str, ...]] = (
    "nationality",
    "language",
    "court",
    "judge",
    "custody",
    "represented",
    "case_type",
    "asylum_type",
    "sex",
    "filing_fiscal_year",
)
"""The model's inputs, in the order the booster sees them."""

NUMERIC_FEATURES: Final[tuple[str, ...]] = ("filing_fiscal_year",)
CATEGORICAL_FEATURES: Final[tuple[str, ...]] = tuple(
    f for f in FEATURES if f not in NUMERIC_FEATURES
)

SOURCE_COLUMNS: Final[dict[str, str]] = {
    "nationality": "nationality",
    "language": "language",
    "court": "court",
    "judge": "judge",
    "custody": "custody",
    "represented": "represented",
    "case_type": "case_type",
    "asylum_type": "asylum_type",
    "sex": "sex",
    "filing_fiscal_year": "appl_recd_date",
}
"""The one fact-table column each feature is computed from."""

OUTCOME_COLUMNS: Final[tuple[str, ...]] = ("appl_dec", "fiscal_year")
"""Read beside the features, never into them: the target and the time-ordered split."""

MISSING: Final = "(missing)"
"""The level of a feature the record leaves empty (informative: e.g. sex not recorded)."""

DEFINITION: Final = DEFAULT_DEFINITION
GRANT_CODES: Final[tuple[str, ...]] = get_definition(DEFINITION).grant_codes
DENIAL_CODES: Final[tuple[str, ...]] = get_definition(DEFINITION).denial_codes


def _category(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return MISSING
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    text = str(value).strip().upper()
    return text or MISSING


def feature_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The :data:`FEATURES` of fact-table rows: category levels as text, the filing fiscal
    year as a number. Reads only :data:`SOURCE_COLUMNS`, so no outcome or later date can
    leak in (tests/test_model.py changes every other column and compares)."""
    out: dict[str, Any] = {}
    for feature in CATEGORICAL_FEATURES:
        column = rows[SOURCE_COLUMNS[feature]]
        if feature == "represented":
            out[feature] = [
                MISSING if v is None or pd.isna(v) else ("true" if bool(v) else "false")
                for v in column
            ]
        else:
            out[feature] = [_category(v) for v in column]
    dates = pd.to_datetime(rows[SOURCE_COLUMNS["filing_fiscal_year"]], errors="coerce")
    years = dates.dt.year + (dates.dt.month >= 10).astype("float64")
    out["filing_fiscal_year"] = years.astype("float64").to_numpy()
    return pd.DataFrame(out, index=rows.index)[list(FEATURES)]


def target(rows: pd.DataFrame) -> np.ndarray[Any, np.dtype[np.int8]]:
    """1 for a grant, 0 for a denial (:data:`GRANT_CODES` / :data:`DENIAL_CODES`)."""
    codes = rows["appl_dec"].astype(str).str.strip().str.upper()
    return np.asarray(codes.isin(GRANT_CODES), dtype=np.int8)


@dataclass(frozen=True)
class Decisions:
    """The model's rows of one release: features' source columns, outcome and split year."""

    rows: pd.DataFrame
    release: str
    synthetic: bool
    coverage: Coverage


def load_decisions(
    store: StoreArg = None, release: ReleaseArg = None, *, engine: Engine | None = None
) -> Decisions:
    """Decided ASYL applications in the default definition's scope that were granted or
    denied, with :data:`SOURCE_COLUMNS` and :data:`OUTCOME_COLUMNS` only."""
    definition = get_definition(DEFINITION)
    with open_source(store, release, engine=engine) as source:
        t = source.table
        expr = t.filter(
            t.appl_code == "ASYL",
            t.appl_dec.isin([*GRANT_CODES, *DENIAL_CODES]),
            t.initial_completion,
        )
        if definition.case_types is not None:
            expr = expr.filter(expr.case_type.isin(list(definition.case_types)))
        columns = sorted({*SOURCE_COLUMNS.values(), *OUTCOME_COLUMNS})
        rows = source.run(expr.select(*columns))
        return Decisions(rows, source.release.id, source.release.synthetic, source.coverage)
