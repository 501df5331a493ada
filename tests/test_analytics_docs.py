"""Docs as contract: every definition and dimension is documented; the engine choice is."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import asylumlens
from asylumlens import analytics
from asylumlens.analytics import DEFINITIONS, DIMENSIONS

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.mark.parametrize("name", sorted(DEFINITIONS))
def test_every_definition_has_a_methodology_section(name: str) -> None:
    text = (DOCS / "methodology.md").read_text(encoding="utf-8")
    headings = re.findall(r"^###\s+`([a-z_]+)`\s*$", text, flags=re.MULTILINE)
    assert name in headings, f"docs/methodology.md has no '### `{name}`' section"


def test_methodology_names_no_unknown_definition() -> None:
    text = (DOCS / "methodology.md").read_text(encoding="utf-8")
    headings = re.findall(r"^###\s+`([a-z_]+)`\s*$", text, flags=re.MULTILINE)
    assert set(headings) == set(DEFINITIONS)


def test_engine_choice_is_documented() -> None:
    text = (DOCS / "analytics-engine.md").read_text(encoding="utf-8")
    assert "Ibis" in text and 'dialect="pyspark"' in text


def test_dimensions_have_descriptions_and_public_reexports() -> None:
    assert all(d.description for d in DIMENSIONS.values())
    # the root facade hands out the analytics functions themselves, not stand-ins
    assert asylumlens.rates is analytics.rates and asylumlens.compare is analytics.compare
    assert asylumlens.judges is analytics.judges and asylumlens.codes is analytics.codes
    with pytest.raises(AttributeError):
        _ = asylumlens.nothing_here  # type: ignore[attr-defined]
