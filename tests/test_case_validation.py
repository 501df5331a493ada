"""Pure case-input checks: normalised A-numbers, dates, codes; refusals name the field only."""

from __future__ import annotations

from datetime import date

import pytest

from asylumlens.cases import validation as v
from asylumlens.cases.validation import CaseInputError
from asylumlens.errors import AsylumLensError


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("A-201-555-019", "201555019"),
        ("a201555019", "201555019"),
        ("201 555 019", "201555019"),
        ("12345678", "012345678"),
        (" A12-345-678 ", "012345678"),
    ],
)
def test_a_numbers_normalise_to_nine_digits(given: str, stored: str) -> None:
    assert v.a_number(given) == stored


@pytest.mark.parametrize(
    "given", ["1234567", "1234567890", "B12345678", "A-12-34-5X", "", 201555019]
)
def test_bad_a_numbers_name_the_field_not_the_value(given: object) -> None:
    with pytest.raises(CaseInputError) as caught:
        v.a_number(given)
    assert caught.value.field == "a_number"
    assert isinstance(caught.value, AsylumLensError)
    assert str(given) not in str(caught.value) or str(given) == ""


def test_dates_and_their_order() -> None:
    assert v.a_date("2024-02-29", "on") == date(2024, 2, 29)
    for bad in ("2023-02-29", "02/01/2024", None, 20240101):
        with pytest.raises(CaseInputError, match=r"^on: must be a date YYYY-MM-DD$"):
            v.a_date(bad, "on")
    assert v.optional_date("", "end") is None
    v.not_before(date(2024, 1, 2), date(2024, 1, 2), "end", "start")
    v.not_before(None, date(2024, 1, 2), "end", "start")
    with pytest.raises(CaseInputError, match=r"^end: must not be before start$"):
        v.not_before(date(2024, 1, 1), date(2024, 1, 2), "end", "start")


def test_codes_choices_and_flags() -> None:
    assert v.code(" ven ", "nationality") == "VEN"
    assert v.code("nyc", "court", {"NYC"}) == "NYC"
    with pytest.raises(CaseInputError, match=r"^court: is not a code in the release$"):
        v.code("XYZ", "court", {"NYC"})
    with pytest.raises(CaseInputError, match=r"^judge: must be a code"):
        v.code("J. Smith", "judge")
    assert v.choice("Video", "mode", v.HEARING_MODES) == "video"
    with pytest.raises(CaseInputError, match=r"^mode: must be one of in_person, video$"):
        v.choice("phone", "mode", v.HEARING_MODES)
    assert v.flag("yes", "oral") is True and v.flag(False, "oral") is False
    with pytest.raises(CaseInputError, match=r"^oral:"):
        v.flag("maybe", "oral")
    with pytest.raises(CaseInputError, match=r"^client_name: must be at most 5 characters$"):
        v.text("Zorabel", "client_name", max_length=5)
