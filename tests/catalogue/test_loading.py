"""Loading catalogue files: every defect is reported with its file and path."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from onestop.domain.catalogue.model import ChannelKind, ServiceKind
from onestop.exceptions import CatalogueReadError, InvalidCatalogue, Problem
from onestop.usecases.catalogue.loading import dump_catalogue, load_catalogue, read_catalogue

HERE = Path(__file__).parent
VALID = HERE / "valid" / "minimal.toml"
BROKEN = HERE / "broken"
NOW = datetime(2025, 6, 2, 3, 0, tzinfo=UTC)


def problems_of(name: str) -> list[Problem]:
    with pytest.raises(InvalidCatalogue) as caught:
        load_catalogue(BROKEN / name)
    assert caught.value.problems, "an invalid catalogue names at least one problem"
    return list(caught.value.problems)


def test_minimal_catalogue_loads() -> None:
    """The minimal valid catalogue loads into typed objects."""
    catalogue = load_catalogue(VALID)
    service = catalogue.service("tax-id", at=NOW)
    assert service.kind is ServiceKind.NON_LICENSING
    assert service.channel_kinds == (ChannelKind.COUNTER,)
    assert service.fees[0].amount == Decimal(0)


# Each broken file: (file, the path the problem names, words the message contains).
DEFECTS = [
    ("unknown_key.toml", "services[0].colour", "unknown key"),
    ("wrong_type.toml", "services[0].code", "expected a string, got a table"),
    ("duplicate_code.toml", "agencies[1].code", "duplicate agency code 'tax'"),
    ("dangling_agency.toml", "services[0].agency", "unknown agency 'police'"),
    (
        "dangling_evidence.toml",
        "services[0].requirements[0].evidence_type",
        "unknown evidence type",
    ),
    ("dangling_workflow.toml", "services[0].workflow", "unknown workflow 'no-such-flow'"),
    ("norm_above_limit.toml", "services[0].service_norm", "exceeds the statutory time limit"),
    ("negative_money.toml", "services[0].fees[0].amount", "must not be negative"),
    ("float_money.toml", "services[0].fees[0].amount", "not a float"),
    ("missing_translation.toml", "services[0].name", "missing translation(s): id"),
    ("invalid_language.toml", "catalogue.languages[2]", "not a BCP 47 language tag"),
    ("unsafe_rule.toml", "services[0].requirements[0].when", "rule"),
    ("malformed_rule.toml", "services[0].requirements[0].when", "rule"),
    (
        "undeclared_rule_field.toml",
        "services[0].requirements[0].when",
        "undeclared form field 'has_car'",
    ),
    ("bad_time_zone.toml", "agencies[0].time_zone", "not an IANA time zone"),
    ("bad_enum.toml", "agencies[0].kind", "'ministry' is not one of national"),
]


@pytest.mark.parametrize(("name", "path", "words"), DEFECTS, ids=[d[0] for d in DEFECTS])
def test_each_defect_is_reported_with_file_and_path(name: str, path: str, words: str) -> None:
    """Each defect class is reported once, naming its file and the exact path."""
    problems = problems_of(name)
    matching = [p for p in problems if p.path == path]
    assert matching, f"no problem at {path}: {problems}"
    assert words in matching[0].message
    assert matching[0].file == str(BROKEN / name)


def test_every_defect_in_one_file_is_reported() -> None:
    """A file with five defects, structural and semantic, gets all five reported in one run."""
    problems = problems_of("several_defects.toml")
    assert sorted(p.path for p in problems) == [
        "services[0].agency",
        "services[0].colour",
        "services[0].fees[0].amount",
        "services[0].name",
        "services[0].service_norm",
    ]


def test_a_value_left_out_raises_no_second_problem_of_its_own() -> None:
    """Leaving out a float amount to check the rest does not add 'give an amount or tiers'."""
    problems = problems_of("float_money.toml")
    assert [p.path for p in problems] == ["services[0].fees[0].amount"]


def test_semantic_problems_of_a_structurally_broken_file_still_show() -> None:
    """Structural errors in one service do not hide semantic problems in another file."""
    problems = problems_of("several_defects.toml")
    assert any("unknown key" in p.message for p in problems)


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("empty.toml", "file is empty"),
        ("binary.toml", "binary"),
        ("truncated.toml", "cannot parse"),
        ("deeply_nested.json", "nested too deeply"),
        ("deeply_nested.toml", "nested too deeply"),
    ],
)
def test_unreadable_content_is_a_clean_problem(name: str, words: str) -> None:
    """Empty, binary, truncated and deeply nested files give one clean problem each."""
    problems = problems_of(name)
    assert any(words in p.message for p in problems), problems


def test_missing_path_is_a_read_error() -> None:
    """A path that does not exist raises CatalogueReadError, an OSError."""
    with pytest.raises(CatalogueReadError) as caught:
        load_catalogue(HERE / "no-such-dir")
    assert isinstance(caught.value, OSError)
    assert "no such file" in str(caught.value)


def test_a_catalogue_without_header_is_reported(tmp_path: Path) -> None:
    """Files with no [catalogue] table are refused with a problem saying so."""
    (tmp_path / "agencies.toml").write_text("agencies = []\n")
    catalogue, problems = read_catalogue(tmp_path)
    assert catalogue is None
    assert "no [catalogue] table" in problems[0].message


def test_two_headers_are_refused(tmp_path: Path) -> None:
    """A second [catalogue] table in another file is a problem naming the first file."""
    text = VALID.read_text()
    (tmp_path / "a.toml").write_text(text)
    (tmp_path / "b.toml").write_text(text.split("[[agencies]]")[0])
    _, problems = read_catalogue(tmp_path)
    assert any(
        "second [catalogue]" in p.message and p.file == str(tmp_path / "b.toml") for p in problems
    )


def test_problems_in_a_directory_name_the_file_they_are_in(tmp_path: Path) -> None:
    """In a directory, a dangling reference is reported in the file holding the service."""
    text = VALID.read_text()
    head, services = text.split("[[services]]", 1)
    (tmp_path / "a.toml").write_text(head)
    (tmp_path / "b.toml").write_text(
        "[[services]]" + services.replace('agency = "tax"', 'agency = "x"')
    )
    _, problems = read_catalogue(tmp_path)
    assert [(p.file, p.path) for p in problems] == [
        (str(tmp_path / "b.toml"), "services[0].agency")
    ]


def test_json_catalogues_load_like_toml(tmp_path: Path) -> None:
    """A catalogue dumped to JSON loads back equal to the TOML original."""
    catalogue = load_catalogue(VALID)
    file = tmp_path / "catalogue.json"
    file.write_text(dump_catalogue(catalogue))
    assert load_catalogue(file) == catalogue


def test_json_floats_are_refused_for_money(tmp_path: Path) -> None:
    """A JSON float amount is refused; only integers and decimal strings are money."""
    data = json.loads(dump_catalogue(load_catalogue(VALID)))
    data["services"][0]["fees"][0]["amount"] = 0.1
    file = tmp_path / "c.json"
    file.write_text(json.dumps(data))
    _, problems = read_catalogue(file)
    assert [p.path for p in problems] == ["services[0].fees[0].amount"]


def test_nan_is_refused_in_json(tmp_path: Path) -> None:
    """JSON's non-standard NaN constant is refused, not read as a number."""
    file = tmp_path / "c.json"
    file.write_text('{"catalogue": {"name": {"en": "x"}, "languages": ["en"]}, "x": NaN}')
    _, problems = read_catalogue(file)
    assert "NaN is not allowed" in problems[0].message


def test_a_well_formed_date_that_does_not_exist_is_named_so(tmp_path: Path) -> None:
    """2025-02-30 in JSON is reported as no calendar date, not as a date of another form."""
    data = json.loads(dump_catalogue(load_catalogue(VALID)))
    data["services"][0]["effective_from"] = "2025-02-30"
    file = tmp_path / "c.json"
    file.write_text(json.dumps(data))
    _, problems = read_catalogue(file)
    assert [p.path for p in problems] == ["services[0].effective_from"]
    assert problems[0].message == "'2025-02-30' is not a calendar date (no such day)"


def test_a_toml_date_that_does_not_exist_gets_a_hint(tmp_path: Path) -> None:
    """TOML's parse error on a line holding 2025-13-01 adds that a date must be a calendar date."""
    file = tmp_path / "c.toml"
    file.write_text('[catalogue]\nname = { en = "x" }\nlanguages = ["en"]\nday = 2025-13-01\n')
    _, problems = read_catalogue(file)
    assert problems[0].message.startswith("cannot parse: ")
    assert "(a date on that line must be a calendar date: YYYY-MM-DD" in problems[0].message
