"""Reading the form of an Open311 GeoReport v2 ``POST requests.json`` (`parse_request_form`)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from open311_support import AT, CATALOGUE, CITIZEN, EMAIL, NIK, form

from onestop.domain.applications.submission import Submit, submit
from onestop.domain.catalogue.model import ChannelKind
from onestop.exceptions import (
    AgencyNotFound,
    InvalidApplication,
    InvalidValue,
    NaiveDatetime,
    Problem,
    ServiceNotFound,
)
from onestop.interop.open311_forms import (
    IDENTITY_NUMBER,
    IDENTITY_SCHEME_CODE,
    MAX_FIELDS,
    MAX_PROBLEMS,
    MAX_VALUE,
    Open311Submission,
    parse_request_form,
)

SECRET_DIGEST = "0" * 64


def parse(**overrides: Any) -> Open311Submission:
    """Parse the valid test form with *overrides* at the test instant."""
    return parse_request_form(form(**overrides), catalogue=CATALOGUE, at=AT)


def refusal(fields: dict[str, Any]) -> InvalidApplication:
    """The InvalidApplication *fields* are refused with."""
    with pytest.raises(InvalidApplication) as caught:
        parse_request_form(fields, catalogue=CATALOGUE, at=AT)
    return caught.value


def paths(**overrides: Any) -> set[str]:
    """The problem paths of the test form with *overrides*."""
    return {problem.path for problem in refusal(form(**overrides)).problems}


def test_a_valid_form_gives_the_service_and_the_typed_answers() -> None:
    """The minimal form gives the service code, the online channel and typed answers."""
    parsed = parse()
    assert (parsed.service, parsed.channel) == ("izin-usaha", ChannelKind.ONLINE)
    assert dict(parsed.answers) == {"business_name": "Warung Canary", "floor_area": 36}


def test_the_applicant_is_a_person_from_the_names_and_identity_attributes() -> None:
    """first_name and last_name are joined; identity comes from the reserved attributes."""
    applicant = parse().applicant
    assert applicant.name.reveal() == "Siti Canary Rahayu"
    assert (applicant.identity_number.reveal(), applicant.identity_scheme) == (NIK, "id-nik")
    assert applicant.email is not None
    assert applicant.email.reveal() == EMAIL


def test_the_submission_is_accepted_by_the_domain_submit() -> None:
    """What the parser returns is what submit needs: it records the application."""
    parsed = parse(**{"attribute[activities][]": ["food"], "attribute[has_npwp]": "false"})
    command = Submit(
        application_id="app-1",
        number="N/1",
        service=parsed.service,
        channel=parsed.channel,
        applicant=parsed.applicant,
        answers=parsed.answers,
        actor=CITIZEN,
        secret_digest=SECRET_DIGEST,
    )
    assert submit(command, catalogue=CATALOGUE, at=AT).answers["activities"] == ("food",)


@pytest.mark.parametrize(
    ("text", "typed"),
    [("36", 36), ("-7", -7), ("12.5", Decimal("12.5")), ("12.0", Decimal("12.0"))],
)
def test_a_number_is_an_int_without_a_point_and_a_decimal_with_one(
    text: str, typed: object
) -> None:
    """'36' is the int 36 and '12.5' the Decimal 12.5: never a float."""
    answer = parse(**{"attribute[floor_area]": text}).answers["floor_area"]
    assert (answer, type(answer)) == (typed, type(typed))


@pytest.mark.parametrize(
    "text", ["NaN", "Infinity", "1e3", "0x10", "1_000", "", "twelve", "1.5.2", "+-1"]
)
def test_a_number_that_is_no_decimal_is_refused(text: str) -> None:
    """A non-numeric or exotic number is a problem of its attribute (blank: missing)."""
    assert paths(**{"attribute[floor_area]": text}) == {"attribute[floor_area]"}


@pytest.mark.parametrize(("text", "typed"), [("true", True), ("false", False)])
def test_a_boolean_is_true_or_false(text: str, typed: bool) -> None:
    """The boolean values the service definition announces are read as bools."""
    assert parse(**{"attribute[has_npwp]": text}).answers["has_npwp"] is typed


@pytest.mark.parametrize("text", ["True", "1", "yes", "on", "false "[:-1] + "\u200b"])
def test_another_boolean_spelling_is_refused(text: str) -> None:
    """Only 'true' and 'false' are booleans."""
    assert paths(**{"attribute[has_npwp]": text}) == {"attribute[has_npwp]"}


@pytest.mark.parametrize("text", ["2025-01-02", "2025-01-02T23:30:00+07:00", "2025-01-02 08:00"])
def test_a_date_keeps_the_day_and_drops_a_time(text: str) -> None:
    """A datetime attribute is a date; a time of day after it is ignored."""
    assert parse(**{"attribute[opened_on]": text}).answers["opened_on"] == date(2025, 1, 2)


@pytest.mark.parametrize(
    "text", ["2025-13-01", "02/01/2025", "2025-01-02Tnonsense", "2025-01-02T25:00"]
)
def test_a_date_that_is_no_date_is_refused(text: str) -> None:
    """An impossible or foreign-format date is a problem of its attribute."""
    assert paths(**{"attribute[opened_on]": text}) == {"attribute[opened_on]"}


def test_a_multivaluelist_takes_repeated_values_in_either_spelling() -> None:
    """attribute[code][] and attribute[code] both collect values into one tuple."""
    parsed = parse(
        **{"attribute[activities][]": ["food", "retail"], "attribute[activities]": "export"}
    )
    assert parsed.answers["activities"] == ("food", "retail", "export")


def test_a_document_field_names_an_upload_by_id() -> None:
    """A document attribute is kept as an upload id for the host to resolve."""
    parsed = parse(**{"attribute[identity_card]": "doc-9f2c"})
    assert (dict(parsed.document_ids), "identity_card" in parsed.answers) == (
        {"identity_card": "doc-9f2c"},
        False,
    )


@pytest.mark.parametrize("key", ["first_name", "service_code", "attribute[floor_area]", "email"])
def test_a_single_valued_key_given_twice_is_refused(key: str) -> None:
    """Repeating a key that holds one value is a problem of that key."""
    assert key in paths(**{key: ["a", "b"]})


@pytest.mark.parametrize("missing", [IDENTITY_NUMBER, IDENTITY_SCHEME_CODE])
def test_a_missing_identity_attribute_is_refused(missing: str) -> None:
    """Without the identity number or its scheme the applicant cannot be built."""
    assert paths(**{f"attribute[{missing}]": None}) == {f"attribute[{missing}]"}


def test_a_missing_name_is_refused_under_first_name() -> None:
    """Without first_name and last_name there is no applicant's name."""
    assert paths(first_name=None, last_name=None) == {"first_name"}


def test_a_last_name_alone_is_a_name() -> None:
    """One of first_name and last_name is enough."""
    assert parse(first_name=None).applicant.name.reveal() == "Canary Rahayu"


def test_every_problem_is_reported_at_once() -> None:
    """Bad e-mail, bad phone, bad number, missing identity and an unknown key come together."""
    found = paths(
        email="not an address",
        phone="12",
        **{
            "attribute[floor_area]": "many",
            f"attribute[{IDENTITY_NUMBER}]": None,
            "colour": "red",
            "attribute[nope]": "x",
        },
    )
    assert found == {
        "email",
        "phone",
        "attribute[floor_area]",
        f"attribute[{IDENTITY_NUMBER}]",
        "colour",
        "attribute[nope]",
    }


def test_a_missing_service_code_is_a_problem_not_a_404() -> None:
    """No service_code is a 400-style problem, listed with the others."""
    assert "service_code" in paths(service_code=None)


@pytest.mark.parametrize("blank", ["", "   ", [], ["", " "]])
def test_a_blank_service_code_is_a_missing_one(blank: object) -> None:
    """A service_code of white space only is as good as none: a problem of its own."""
    assert paths(service_code=blank) == {"service_code"}


def test_an_unknown_service_is_service_not_found() -> None:
    """A well-formed code of no service raises ServiceNotFound (GeoReport's 404)."""
    with pytest.raises(ServiceNotFound):
        parse(service_code="izin-tidak-ada")


def test_a_service_outside_the_jurisdiction_is_not_found() -> None:
    """jurisdiction_id limits the services to an agency's subtree."""
    assert parse(jurisdiction_id="pemprov").jurisdiction_id == "pemprov"
    with pytest.raises(ServiceNotFound):
        parse(jurisdiction_id="makassar")


def test_an_unknown_jurisdiction_is_agency_not_found() -> None:
    """A jurisdiction_id that names no agency raises AgencyNotFound."""
    with pytest.raises(AgencyNotFound):
        parse(jurisdiction_id="atlantis")


def test_location_description_and_device_are_checked_and_dropped() -> None:
    """lat, long, address_string, description, device_id and media_url are not kept."""
    parsed = parse(
        lat="-6.2",
        long="106.8",
        address_string="Jl. Canary 7\nJakarta",
        description="Please hurry\nThanks",
        device_id="dev-1",
        account_id="acc-1",
        address_id="addr-1",
        media_url="https://example.org/a.jpg",
    )
    shown = repr(parsed) + repr(dict(parsed.answers))
    assert not [text for text in ("Canary 7", "hurry", "dev-1", "acc-1", "106.8") if text in shown]


@pytest.mark.parametrize(
    ("overrides", "path"),
    [
        ({"lat": "91", "long": "0"}, "lat"),
        ({"lat": "0", "long": "-180.5"}, "long"),
        ({"lat": "1e1", "long": "0"}, "lat"),
        ({"lat": "1"}, "long"),
        ({"description": "x" * 4001}, "description"),
        ({"device_id": "a\nb"}, "device_id"),
    ],
)
def test_a_dropped_field_that_is_malformed_is_still_refused(
    overrides: dict[str, str], path: str
) -> None:
    """Fields that are not kept are still checked: a bad one is a problem of its own."""
    assert paths(**overrides) == {path}


@pytest.mark.parametrize(
    "value",
    [
        "a\x00b",
        "a\x1bb",
        "\ud800",
        "x" * (MAX_VALUE + 1),
        12,
        True,
        None,
        b"bytes",
        ["a", 3],
        {"a": "b"},
    ],
    ids=[
        "nul",
        "escape",
        "surrogate",
        "huge",
        "int",
        "bool",
        "none",
        "bytes",
        "mixed-list",
        "dict",
    ],
)
def test_a_hostile_value_is_a_problem_of_its_key(value: object) -> None:
    """Control characters, lone surrogates, huge text and non-text values are refused by key."""
    assert paths(**{"attribute[business_name]": value}) == {"attribute[business_name]"}


def test_a_hostile_key_is_refused_without_being_shown() -> None:
    """A key that is not a plain name is never repeated in a problem."""
    hostile: dict[Any, str] = {"NIK 3171015708850001": "x", "attribute[\ud800]": "y", 7: "z"}
    error = refusal({**form(), **hostile})
    assert "3171015708850001" not in str(error)
    assert {p.path for p in error.problems} == {
        "(a key not shown)",
        "attribute[(a code not shown)]",
    }


def test_too_many_fields_are_refused_unread() -> None:
    """A form of more than MAX_FIELDS keys is refused at once."""
    fields = {f"k{i}": "v" for i in range(MAX_FIELDS + 1)}
    assert [p.path for p in refusal(fields).problems] == [""]


def test_the_problems_listed_are_capped() -> None:
    """At most MAX_PROBLEMS problems are listed, then one saying how many more."""
    fields = form(**{f"extra_{i}": "v" for i in range(MAX_PROBLEMS + 20)})
    problems = refusal(fields).problems
    assert len(problems) == MAX_PROBLEMS + 1
    assert "more" in problems[-1].message


@pytest.mark.parametrize("fields", [None, "service_code=x", [("service_code", "x")], 3])
def test_fields_that_are_not_a_mapping_are_an_invalid_value(fields: object) -> None:
    """The host must pass a mapping: anything else is InvalidValue naming fields."""
    with pytest.raises(InvalidValue) as caught:
        parse_request_form(fields, catalogue=CATALOGUE, at=AT)  # type: ignore[arg-type]
    assert caught.value.field == "fields"


def test_a_naive_moment_is_refused() -> None:
    """*at* must carry a time zone."""
    with pytest.raises(NaiveDatetime):
        parse_request_form(form(), catalogue=CATALOGUE, at=datetime(2025, 7, 14))  # noqa: DTZ001


def test_a_bad_language_is_refused() -> None:
    """language must be a BCP 47 tag when given."""
    with pytest.raises(InvalidValue):
        parse_request_form(form(), catalogue=CATALOGUE, at=AT, language="not a tag!")


def test_the_repr_of_a_submission_shows_no_personal_data_or_key() -> None:
    """Neither the applicant, the answers nor the api_key appear in the repr."""
    text = repr(parse(api_key="sekret-key-123"))
    assert not [t for t in (NIK, "Siti", "Warung", "sekret") if t in text]


KEYS = st.one_of(
    st.sampled_from(
        [
            *sorted(form()),
            "attribute[activities][]",
            "lat",
            "long",
            "description",
            "attribute[has_npwp]",
        ]
    ),
    st.text(max_size=30),
)
VALUES = st.one_of(
    st.text(max_size=60), st.lists(st.text(max_size=20), max_size=4), st.integers(), st.none()
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(KEYS, VALUES, max_size=12), st.text(min_size=8, max_size=20))
def test_any_form_is_parsed_or_refused_by_key_without_quoting(
    fields: dict[str, Any], canary: str
) -> None:
    """Any form either parses or raises a typed refusal, whose text never quotes a value."""
    fields = {**fields, "attribute[notes]": f"<{canary}>"}
    problems: tuple[Problem, ...] = ()
    try:
        parse_request_form(fields, catalogue=CATALOGUE, at=AT)
    except InvalidApplication as error:
        problems = error.problems
    except (ServiceNotFound, AgencyNotFound):
        pass
    assert f"<{canary}>" not in str(InvalidApplication(problems))
    assert all(p.path and len(p.path) < 120 for p in problems)


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=40).filter(lambda t: t.strip() not in ("", "true", "false")))
def test_any_other_boolean_text_is_refused(text: str) -> None:
    """Whatever text is sent for a boolean other than true or false is a problem of it."""
    assert paths(**{"attribute[has_npwp]": text}) == {"attribute[has_npwp]"}


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-(10**29), max_value=10**29))
def test_any_whole_number_reads_back_as_that_int(number: int) -> None:
    """A whole number written in decimal is read back as the same int."""
    assert parse(**{"attribute[floor_area]": str(number)}).answers["floor_area"] == number
