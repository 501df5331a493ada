"""No synthetic judge is a real person.

A synthetic release puts invented grant rates beside every judge, so its judge lookup must
name nobody real. The real names are read from copies vendored in ``tests/data`` (EOIR's
tblLookupJudge and tblLookupJudgeBaseCity as marrowb/eoir stores them), never from the
package under test, so a change to the generator's own reference data cannot make the test
agree with itself. Names are compared case- and space-insensitively, and word by word.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from asylumlens.layout import TABLES, normalise_name
from asylumlens.synth import generate

DATA = Path(__file__).parent / "data"
REAL_FILES = ("eoir_tblLookupJudge.json", "eoir_tblLookupJudgeBaseCity.json")
RELEASE = "EOIR Case Data 2026-1101"
# entries of the real lookup that name a role or a slot, not a person: the only names a
# synthetic release may share with it
NAMES_NOBODY = re.compile(
    r"^(<all judges>|clerical transfer code|.*\b(visiting|master calendar|video|test)\b.*)$"
)
_SUFFIX = re.compile(r"\((temp|visiting judge)\)\s*$")


def _norm(name: str) -> str:
    return " ".join(name.split()).casefold()


def _words(name: str) -> set[str]:
    """Name words of 3+ letters ("Brown, Alison M. (Temp)" -> brown, alison)."""
    return set(re.findall(r"[^\W\d_]{3,}", _SUFFIX.sub("", _norm(name))))


def real_names() -> set[str]:
    """Every name in the vendored real lookups (a missing file fails, never skips)."""
    names: set[str] = set()
    for file in REAL_FILES:
        raw: dict[str, str] = json.loads((DATA / file).read_text("utf-8"))
        names |= {_norm(n) for n in raw.values() if isinstance(n, str) and n.strip()}
    assert len(names) > 1000
    return names


def lookup_names(out: Path, stem: str) -> list[str] | None:
    """The name column of a generated lookup, read as plain text (None: not generated)."""
    path = out / RELEASE / "Lookup" / f"{stem}.csv"
    if not path.exists():
        return None
    lines = path.read_bytes().decode("cp1252").rstrip("\n").split("\n")
    keys = [normalise_name(h) for h in lines[0].split("\t")]
    j = keys.index("judge_name")
    return [line.split("\t")[j] for line in lines[1:]]


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("judges")
    generate(out, 600, 3, faults=False)
    return out


def test_no_synthetic_judge_has_a_real_name(release: Path) -> None:
    real = real_names()
    real_words = set().union(*(_words(n) for n in real))
    real_people = {n for n in real if not NAMES_NOBODY.match(n)}
    checked = 0
    for stem in ("tblLookupJudge", "tblLookupJudgeBaseCity"):
        if stem not in TABLES:
            continue
        names = lookup_names(release, stem)
        if names is None:
            assert stem != "tblLookupJudge", "the judge lookup is always generated"
            continue
        for name in names:
            norm = _norm(name)
            checked += 1
            assert norm not in real_people, f"{stem}: {name!r} is a real judge's name"
            if NAMES_NOBODY.match(norm) and "," not in norm:
                continue  # "<All Judges>", "Visiting Judge 3": a role, kept as EOIR has it
            shared = _words(name) & real_words
            assert not shared, f"{stem}: {name!r} shares {sorted(shared)} with real names"
    assert checked > 1000
