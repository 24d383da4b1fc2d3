"""Form fields: number bounds, phone and e-mail types, in Python and in catalogue files."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from onestop.domain.catalogue.model import FieldType, FormField
from onestop.domain.common.text import LocalizedText
from onestop.exceptions import InvalidCalendar, InvalidCatalogue, InvalidValue, NaiveDatetime
from onestop.usecases.catalogue.loading import dump_catalogue, load_catalogue

LICENCE = Path(__file__).parents[1] / "applications" / "licence.toml"
LABEL = 'label = { id = "Isian", en = "Field" }'
N_LABEL = LocalizedText.of(en="N")


def _with_fields(tmp_path: Path, *fields: str) -> Path:
    """The test licence catalogue with extra form fields, written to a file."""
    text = LICENCE.read_text(encoding="utf-8")
    extra = "".join(f"[[services.form]]\n{LABEL}\n{field}\n\n" for field in fields)
    anchor = '[[services.requirements]]\ncode = "ktp"'
    path = tmp_path / "catalogue.toml"
    path.write_text(text.replace(anchor, extra + anchor, 1), encoding="utf-8")
    return path


def _problems(tmp_path: Path, *fields: str) -> list[tuple[str, str]]:
    with pytest.raises(InvalidCatalogue) as caught:
        load_catalogue(_with_fields(tmp_path, *fields))
    return [(p.path, p.message) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("given", "kept"),
    [(0, 0), (-5, -5), ("0.5", Decimal("0.5")), (Decimal("-1.25"), Decimal("-1.25"))],
)
def test_a_bound_is_an_int_or_a_decimal(given: object, kept: object) -> None:
    """A bound given as an int stays one; decimal text becomes a Decimal."""
    field = FormField(name="n", label=N_LABEL, type=FieldType.NUMBER, minimum=given)  # type: ignore[arg-type]
    assert field.minimum == kept
    assert type(field.minimum) is type(kept)


@pytest.mark.parametrize("bound", [True, 1.5, "1e3", "\u0661", 10**40, ""])
def test_a_bound_that_is_not_a_number_is_refused(bound: object) -> None:
    """A bool, a float, an exponent, another script's digit or a huge number is no bound."""
    with pytest.raises(InvalidValue) as caught:
        FormField(name="n", label=N_LABEL, type=FieldType.NUMBER, maximum=bound)  # type: ignore[arg-type]
    assert caught.value.field == "maximum"


def test_bounds_phones_and_emails_load_and_dump(tmp_path: Path) -> None:
    """minimum, maximum and region load from TOML, dump, and load back equal."""
    catalogue = load_catalogue(
        _with_fields(
            tmp_path,
            'name = "storeys"\ntype = "number"\nminimum = 1\nmaximum = "40.5"',
            'name = "depth"\ntype = "number"\nminimum = -20',
            'name = "mobile"\ntype = "phone"\nregion = "ID"',
            'name = "mail"\ntype = "email"',
        )
    )
    form = {f.name: f for f in catalogue.services[0].form}
    assert (form["storeys"].minimum, form["storeys"].maximum) == (1, Decimal("40.5"))
    assert form["depth"].minimum == -20
    assert (form["mobile"].type, form["mobile"].region) == (FieldType.PHONE, "ID")
    assert form["mail"].type is FieldType.EMAIL
    dumped = tmp_path / "dumped.json"
    dumped.write_text(dump_catalogue(catalogue), encoding="utf-8")
    assert load_catalogue(dumped) == catalogue
    storeys = json.loads(dumped.read_text(encoding="utf-8"))["services"][0]["form"][7]
    assert (storeys["minimum"], storeys["maximum"]) == (1, "40.5")


@pytest.mark.parametrize(
    ("field", "path", "words"),
    [
        ('name = "n"\ntype = "number"\nminimum = 5\nmaximum = 1', "maximum", "below the minimum"),
        ('name = "n"\ntype = "text"\nminimum = 1', "minimum", "only number fields"),
        ('name = "n"\ntype = "text"\nmaximum = 1', "maximum", "only number fields"),
        ('name = "n"\ntype = "number"\nminimum = 1.5', "minimum", "float"),
        ('name = "n"\ntype = "number"\nmaximum = true', "maximum", "boolean"),
        ('name = "n"\ntype = "text"\nregion = "ID"', "region", "only phone fields"),
        ('name = "n"\ntype = "phone"\nregion = "XX"', "region", "region code"),
        ('name = "n"\ntype = "phone"\nregion = "id"', "region", "region code"),
        ('name = "N"\ntype = "text"', "name", "upper-case"),
        ('name = "n\\n"\ntype = "text"', "name", "line break"),
    ],
)
def test_field_options_are_checked_when_the_catalogue_loads(
    tmp_path: Path, field: str, path: str, words: str
) -> None:
    """A bound off a number field, min above max, or an unknown region is reported at its path."""
    problems = _problems(tmp_path, field)
    assert len(problems) == 1, problems
    where, message = problems[0]
    assert where == f"services[0].form[7].{path}"
    assert words in message


def test_a_naive_instant_is_a_typed_error(tmp_path: Path) -> None:
    """Catalogue.service refuses a naive datetime (NaiveDatetime) and a non-datetime, typed."""
    catalogue = load_catalogue(LICENCE)
    with pytest.raises(NaiveDatetime):
        catalogue.service("izin-usaha", at=datetime(2025, 7, 14, 9))  # noqa: DTZ001
    with pytest.raises(InvalidCalendar):
        catalogue.service("izin-usaha", at="2025-07-14")  # type: ignore[arg-type]
