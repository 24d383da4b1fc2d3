"""Applicants, personal data masking and identity-number validators.

Every identity number here is synthetic: built from the format rules, never a real
person's.  ``3171011708450001`` and ``3171015708450001`` are python-stdnum's doctest
examples.
"""

from __future__ import annotations

import copy
import pickle
import random
import uuid
from datetime import date, datetime
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from onestop.domain.common.formats import MAX_NAME, kind_of
from onestop.domain.common.parties import (
    MASK,
    MAX_ADDRESS,
    NIK_PROVINCES,
    IdentityValidators,
    IndonesianNIK,
    KoreanRRN,
    Organisation,
    Person,
    Personal,
    Representative,
    check_party,
    default_validators,
    personal_fields,
)
from onestop.exceptions import (
    InvalidIdentityNumber,
    InvalidValue,
    OnestopError,
    PartyError,
    UnknownIdentityScheme,
)


def make_nik(
    *,
    province: str = "31",
    regency: str = "71",
    district: str = "01",
    day: int = 17,
    month: int = 8,
    year: int = 45,
    female: bool = False,
    serial: int = 1,
) -> str:
    """Assemble a synthetic NIK from its parts."""
    encoded_day = day + 40 if female else day
    return f"{province}{regency}{district}{encoded_day:02d}{month:02d}{year:02d}{serial:04d}"


def leaks(secret: str, text: str) -> bool:
    """Whether *text* shows *secret*, or any run of 8 or more of its characters."""
    if not secret:
        return False
    width = min(8, len(secret))
    return any(secret[i : i + width] in text for i in range(len(secret) - width + 1))


@attrs.frozen
class Canaries:
    """Unique synthetic personal values for one test run."""

    nik: str
    name: str
    phone: str
    email: str
    address: str
    birth_date: date

    def values(self) -> list[str]:
        """Every canary as text, the birth date in the forms it could leak in."""
        born = self.birth_date
        return [
            self.nik,
            self.name,
            self.phone,
            self.email,
            self.address,
            born.isoformat(),
            born.strftime("%d%m%y"),
        ]


@pytest.fixture
def canaries() -> Canaries:
    """Fresh canary values: a valid-format NIK and a name, phone, e-mail and address."""
    rng = random.Random()
    tag = uuid.uuid4().hex[:10]
    born = date(rng.randint(1950, 2005), rng.randint(1, 12), rng.randint(1, 28))
    return Canaries(
        nik=make_nik(
            day=born.day, month=born.month, year=born.year % 100, serial=rng.randint(1, 9999)
        ),
        name=f"Canary Kenari {tag}",
        phone=f"+62812{rng.randint(10**7, 10**8 - 1)}",
        email=f"kenari.{tag}@mail.example",
        address=f"Jl. Kanari {tag} No. 7",
        birth_date=born,
    )


@pytest.fixture
def person(canaries: Canaries) -> Person:
    """A person holding every canary."""
    return Person.of(
        identity_number=canaries.nik,
        identity_scheme="id-nik",
        name=canaries.name,
        phone=canaries.phone,
        email=canaries.email,
        address=canaries.address,
        birth_date=canaries.birth_date,
    )


_NAME_CHARACTERS = st.characters(exclude_categories=("Cc", "Cs"))


class TestPersonal:
    def test_repr_and_str_show_the_mask(self) -> None:
        """repr() and str() show the mask, never the value."""
        secret = Personal("3171011708450001")
        assert repr(secret) == MASK
        assert str(secret) == MASK

    @pytest.mark.parametrize("spec", ["", "s", ">40", "^30", "x<20"])
    def test_format_shows_the_mask_whatever_the_spec(self, spec: str) -> None:
        """format() gives the mask for any format spec."""
        assert format(Personal("3171011708450001"), spec) == MASK

    def test_f_strings_and_percent_formatting_show_the_mask(self) -> None:
        """f-strings (with !r and !s) and %-formatting show only the mask."""
        secret = Personal("Siti Aminah")
        rendered = [f"{secret}", f"{secret!r}", f"{secret!s}", "%s %r" % (secret, secret)]  # noqa: UP031
        assert all("Siti" not in text for text in rendered)

    @given(st.from_regex(r"[0-9]{8,20}", fullmatch=True))
    def test_no_digits_of_the_value_ever_show(self, number: str) -> None:
        """Whatever digits it holds, repr, str and format show none of them."""
        secret = Personal(number)
        assert not any(c.isdigit() for c in repr(secret) + str(secret) + f"{secret:>30}")

    def test_reveal_returns_the_value(self) -> None:
        """reveal() gives back exactly the value wrapped."""
        assert Personal(date(1945, 8, 17)).reveal() == date(1945, 8, 17)

    def test_equal_values_are_equal_and_hash_alike(self) -> None:
        """Two wrappers of equal values are equal and have the same hash."""
        assert Personal("a") == Personal("a")
        assert hash(Personal("a")) == hash(Personal("a"))
        assert Personal("a") != Personal("b")

    def test_never_equal_to_the_bare_value(self) -> None:
        """A wrapper does not compare equal to the value it holds."""
        assert Personal("a") != "a"

    def test_is_immutable(self) -> None:
        """Its value cannot be replaced or deleted."""
        secret = Personal("a")
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            secret._value = "b"
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            del secret._value

    def test_pickle_and_copies_keep_the_value(self) -> None:
        """Pickling, copying and deep-copying give an equal wrapper."""
        secret = Personal("3171011708450001")
        restored = pickle.loads(pickle.dumps(secret))  # noqa: S301 - our own bytes
        assert restored == copy.copy(secret) == copy.deepcopy(secret) == secret


class TestPerson:
    def test_repr_shows_no_canary(self, person: Person, canaries: Canaries) -> None:
        """No canary value appears in repr(person) or str(person)."""
        text = repr(person) + str(person)
        assert not any(leaks(value, text) for value in canaries.values())

    def test_repr_still_names_the_fields_and_scheme(self, person: Person) -> None:
        """The masked repr keeps field names and the scheme, so it stays useful."""
        assert f"identity_number={MASK}" in repr(person)
        assert "identity_scheme='id-nik'" in repr(person)

    def test_organisation_and_representative_reprs_show_no_canary(
        self, person: Person, canaries: Canaries
    ) -> None:
        """Wrapping a person in an organisation or a representative leaks nothing either."""
        organisation = Organisation(
            business_number="9120001234567", name="PT Kenari", contact_person=person
        )
        representative = Representative(person=person, authorisation="doc-42")
        text = repr(organisation) + repr(representative) + str([organisation, representative])
        assert not any(leaks(value, text) for value in canaries.values())

    def test_a_bare_value_is_refused_without_quoting_it(self, canaries: Canaries) -> None:
        """Passing a bare string raises InvalidValue whose message does not contain it."""
        with pytest.raises(InvalidValue, match="must be wrapped in Personal") as caught:
            Person(
                identity_number=canaries.nik,  # type: ignore[arg-type]
                identity_scheme="id-nik",
                name=Personal(canaries.name),
            )
        assert caught.value.field == "identity_number"
        assert not leaks(canaries.nik, str(caught.value))

    def test_a_wrapped_value_of_the_wrong_type_is_refused(self, canaries: Canaries) -> None:
        """A birth date must wrap a date, not a datetime; the message names only types."""
        when = datetime(1990, 1, 2, 3, 4)  # noqa: DTZ001 - the wrong type on purpose
        with pytest.raises(InvalidValue, match="must hold a date, not a datetime"):
            Person.of(
                identity_number=canaries.nik, identity_scheme="id-nik", name="A", birth_date=when
            )

    @pytest.mark.parametrize("scheme", ["", "nik", "ID-NIK", "id_nik", "id-"])
    def test_a_malformed_scheme_is_refused(self, scheme: str) -> None:
        """The identity scheme must be a code such as id-nik."""
        with pytest.raises(InvalidValue, match=r"identity scheme|is empty") as caught:
            Person.of(identity_number="1", identity_scheme=scheme, name="A")
        assert caught.value.field == "identity_scheme"

    def test_of_wraps_plain_values_and_keeps_wrapped_ones(self) -> None:
        """Person.of wraps bare values and leaves values already wrapped alone."""
        made = Person.of(
            identity_number=Personal("1"),
            identity_scheme="id-nik",
            name="A",
            phone="+6281234567890",
        )
        assert made.identity_number == Personal("1")
        assert made.phone == Personal("+6281234567890")
        assert made.email is None

    def test_equal_people_are_equal(self, canaries: Canaries) -> None:
        """Two persons built from the same values are equal and hash alike."""
        first = Person.of(identity_number=canaries.nik, identity_scheme="id-nik", name="A")
        second = Person.of(identity_number=canaries.nik, identity_scheme="id-nik", name="A")
        assert first == second
        assert hash(first) == hash(second)

    @given(
        st.from_regex(r"[0-9]{16}", fullmatch=True),
        st.text(_NAME_CHARACTERS, min_size=8, max_size=190).map(lambda text: f"canary:{text}"),
        st.one_of(
            st.none(),
            st.text(_NAME_CHARACTERS, min_size=8, max_size=490).map(lambda t: f"canary:{t}"),
        ),
    )
    def test_no_personal_value_ever_appears_in_repr(
        self, number: str, name: str, address: str | None
    ) -> None:
        """For any values, repr(person) shows none of them."""
        made = Person.of(
            identity_number=number, identity_scheme="id-nik", name=name, address=address
        )
        text = repr(made)
        assert "canary:" not in text
        assert not leaks(number, text)

    def test_representative_validity_ends_after_its_last_day(self, person: Person) -> None:
        """A power of attorney holds up to and including valid_until, and not after."""
        representative = Representative(
            person=person, authorisation="sha256:ab12", valid_until=date(2025, 6, 30)
        )
        assert representative.is_valid_on(date(2025, 6, 30))
        assert not representative.is_valid_on(date(2025, 7, 1))
        assert Representative(person=person, authorisation="doc-1").is_valid_on(date(2999, 1, 1))

    def test_representative_needs_a_person_and_an_authorisation(self) -> None:
        """A representative without a Person or with an empty authorisation is refused."""
        with pytest.raises(InvalidValue, match="must be a Person"):
            Representative(person="someone", authorisation="doc-1")  # type: ignore[arg-type]
        with pytest.raises(InvalidValue, match="authorisation"):
            Representative(
                person=Person.of(identity_number="1", identity_scheme="id-nik", name="A"),
                authorisation=" ",
            )

    def test_organisation_contact_must_be_a_person(self) -> None:
        """An organisation's contact person must be a Person or None."""
        with pytest.raises(InvalidValue, match="contact_person"):
            Organisation(business_number="1", name="PT A", contact_person="Budi")  # type: ignore[arg-type]


class TestPersonalFields:
    def test_lists_the_personal_fields_that_hold_a_value(self, person: Person) -> None:
        """Every filled personal field of a person is listed, in field order."""
        assert personal_fields(person) == [
            "identity_number",
            "name",
            "phone",
            "email",
            "address",
            "birth_date",
        ]

    def test_leaves_out_empty_fields(self) -> None:
        """Personal fields that are None are not listed."""
        made = Person.of(identity_number="1", identity_scheme="id-nik", name="A")
        assert personal_fields(made) == ["identity_number", "name"]

    def test_follows_nested_objects_mappings_and_lists(self) -> None:
        """Paths go through attributes, mapping keys and list positions."""
        contact = Person.of(identity_number="1", identity_scheme="id-nik", name="A")
        organisation = Organisation(business_number="1", name="PT A", contact_person=contact)
        found = personal_fields({"applicant": organisation, "others": [Personal("x"), 3]})
        assert found == [
            "['applicant'].contact_person.identity_number",
            "['applicant'].contact_person.name",
            "['others'][0]",
        ]

    def test_organisation_without_contact_has_no_personal_fields(self) -> None:
        """An organisation's own number and name are not personal data."""
        assert personal_fields(Organisation(business_number="1", name="PT A")) == []

    def test_a_bare_personal_value_is_the_empty_path(self) -> None:
        """A Personal given directly is listed as the empty path."""
        assert personal_fields(Personal("x")) == [""]

    def test_a_cycle_is_walked_once(self) -> None:
        """A list that contains itself does not loop forever."""
        loop: list[Any] = [Personal("x")]
        loop.append(loop)
        assert personal_fields(loop) == ["[0]"]


VALID_NIKS = [
    "3171011708450001",  # python-stdnum: male, 17 Aug 1945, Jakarta
    "3171015708450001",  # python-stdnum: female, same date
    make_nik(province="11", regency="01", district="01", day=1, month=1, year=0),
    make_nik(province="96", regency="71", district="09", day=31, month=12, year=99, serial=9999),
    make_nik(province="93", day=31, month=12, year=5, female=True),  # day 71
    make_nik(day=29, month=2, year=0),  # 29 Feb 2000 is a leap day (1900 is not)
    make_nik(day=29, month=2, year=96, female=True),
]

FULL_WIDTH = "".join(chr(0xFF10 + int(c)) for c in "3171011708450001")  # Unicode digits, not 0-9

BROKEN_NIKS = [
    (make_nik(province="99"), "digits 1-2 are not a province code"),
    (make_nik(province="20"), "digits 1-2 are not a province code"),
    (make_nik(regency="00"), "digits 3-4 (regency or city) must not be 00"),
    (make_nik(district="00"), "digits 5-6 (district) must not be 00"),
    (make_nik(day=0), "digits 7-8"),
    (make_nik(day=32), "digits 7-8"),
    ("3171014008450001", "digits 7-8"),  # day 40: neither a man's nor a woman's
    (make_nik(day=32, female=True), "digits 7-8"),  # day 72
    (make_nik(month=0), "digits 9-10 (month of birth) must be 01-12"),
    (make_nik(month=13), "digits 9-10 (month of birth) must be 01-12"),
    (make_nik(day=31, month=4), "digits 7-12 are not a birth date that exists"),
    (make_nik(day=29, month=2, year=1), "digits 7-12 are not a birth date that exists"),
    (make_nik(day=30, month=2, year=0, female=True), "digits 7-12"),
    (make_nik(serial=0), "digits 13-16 (serial) must not be 0000"),
    ("317101170845001", "must be exactly 16 digits"),
    ("31710117084500011", "must be exactly 16 digits"),
    ("3171.0117.0845.0001", "must be exactly 16 digits"),
    ("3171 0117 0845 0001", "must be exactly 16 digits"),
    (FULL_WIDTH, "must be exactly 16 digits"),
    ("", "must be exactly 16 digits"),
]


class TestIndonesianNIK:
    @pytest.mark.parametrize("nik", VALID_NIKS)
    def test_well_formed_numbers_pass(self, nik: str) -> None:
        """Synthetic numbers that follow every rule have no problems."""
        assert IndonesianNIK().validate(nik) == []

    @pytest.mark.parametrize(("nik", "reason"), BROKEN_NIKS)
    def test_each_broken_rule_is_named(self, nik: str, reason: str) -> None:
        """A number breaking one rule is refused with that rule named."""
        with pytest.raises(InvalidIdentityNumber) as caught:
            default_validators().validate("id-nik", nik)
        assert reason in caught.value.reason

    @pytest.mark.parametrize(("nik", "reason"), BROKEN_NIKS)
    def test_the_refusal_never_quotes_the_number(self, nik: str, reason: str) -> None:
        """Neither the message nor the problems contain the number or 8 of its characters."""
        with pytest.raises(InvalidIdentityNumber) as caught:
            default_validators().validate("id-nik", nik)
        assert not leaks(nik, str(caught.value) + repr(caught.value.problems))

    def test_every_broken_rule_is_listed_at_once(self) -> None:
        """A number breaking several rules gets one problem per rule."""
        nik = make_nik(province="00", regency="00", district="00", month=13, serial=0)
        assert len(IndonesianNIK().validate(nik)) == 5

    def test_the_province_list_has_the_38_provinces(self) -> None:
        """The list has Indonesia's 38 provinces, including the Papua provinces of 2022."""
        assert len(NIK_PROVINCES) == 38
        assert {"93", "94", "95", "96"} <= set(NIK_PROVINCES)

    @given(st.integers(0, 99))
    def test_province_codes_outside_the_list_are_refused(self, code: int) -> None:
        """A two-digit province code passes exactly when it is on the list."""
        problems = IndonesianNIK().validate(make_nik(province=f"{code:02d}"))
        assert (problems == []) == (f"{code:02d}" in NIK_PROVINCES)

    @given(st.from_regex(r"[0-9]{16}", fullmatch=True))
    def test_any_sixteen_digits_validate_or_give_reasons(self, nik: str) -> None:
        """Any 16 digits either pass or raise InvalidIdentityNumber that never quotes them."""
        validators = default_validators()
        if not validators.problems("id-nik", nik):
            validators.validate("id-nik", nik)
            return
        with pytest.raises(InvalidIdentityNumber) as caught:
            validators.validate("id-nik", nik)
        assert not leaks(nik, str(caught.value))

    @given(st.text(max_size=40))
    def test_any_text_gives_a_list_of_problems(self, text: str) -> None:
        """Any text at all gives a list of problems, without raising."""
        assert isinstance(IndonesianNIK().validate(text), list)


class TestKoreanRRN:
    @pytest.mark.parametrize(
        "rrn",
        ["800101-1234567", "8001011234567", "000229-3234567", "991231-2000000", "010101-8123456"],
    )
    def test_well_formed_numbers_pass(self, rrn: str) -> None:
        """Thirteen digits with an existing birth date pass, with or without the hyphen."""
        assert KoreanRRN().validate(rrn) == []

    def test_the_century_digit_decides_whether_a_leap_day_exists(self) -> None:
        """29 Feb of year 00 exists for the 2000s (digit 3) but not the 1900s (digit 1)."""
        assert KoreanRRN().validate("000229-3234567") == []
        assert KoreanRRN().validate("000229-1234567") != []

    @pytest.mark.parametrize(
        "rrn", ["801301-1234567", "800132-1234567", "80010-1234567", "800101_1234567"]
    )
    def test_malformed_numbers_are_refused(self, rrn: str) -> None:
        """A bad month, day, length or separator is refused, without quoting the number."""
        problems = KoreanRRN().validate(rrn)
        assert problems
        assert not any(leaks(rrn, problem) for problem in problems)


@attrs.frozen
class QuotingValidator:
    """A careless third-party validator that quotes the number in its problems."""

    @property
    def scheme(self) -> str:
        """A made-up scheme."""
        return "xx-test"

    def validate(self, number: str, /) -> list[str]:
        """Refuse everything, quoting the number."""
        return [f"{number} is not accepted", f"{number.replace('-', '')} in compact form"]


class TestIdentityValidators:
    def test_an_unknown_scheme_raises_and_lists_the_known_ones(self) -> None:
        """Validating under a scheme with no validator raises UnknownIdentityScheme."""
        with pytest.raises(UnknownIdentityScheme, match="known: id-nik, kr-rrn") as caught:
            default_validators().validate("kh-nid", "123456789")
        assert isinstance(caught.value, LookupError)
        assert caught.value.known == ("id-nik", "kr-rrn")

    def test_adding_a_validator_leaves_the_original_alone(self) -> None:
        """with_validator returns a new registry; the old one is unchanged."""
        empty = IdentityValidators()
        grown = empty.with_validator(IndonesianNIK())
        assert empty.schemes == ()
        assert grown.schemes == ("id-nik",)

    def test_a_validator_replaces_the_one_for_its_scheme(self) -> None:
        """Registering a second validator for a scheme replaces the first."""
        registry = IdentityValidators().with_validator(KoreanRRN()).with_validator(KoreanRRN())
        assert registry.schemes == ("kr-rrn",)

    def test_a_quoted_number_is_masked(self) -> None:
        """If a validator quotes the number, the registry masks it before anyone sees it."""
        registry = default_validators().with_validator(QuotingValidator())
        with pytest.raises(InvalidIdentityNumber) as caught:
            registry.validate("xx-test", "1234-5678-9012")
        assert "5678" not in str(caught.value)
        assert MASK in str(caught.value)

    def test_a_wrapped_number_can_be_validated(self) -> None:
        """validate accepts a Personal number as well as a bare one."""
        default_validators().validate("id-nik", Personal("3171011708450001"))

    def test_a_person_is_checked_against_their_scheme(self, person: Person) -> None:
        """validate_person checks the person's number under the person's scheme."""
        default_validators().validate_person(person)
        stranger = Person.of(identity_number="3171011708450001", identity_scheme="kr-rrn", name="A")
        with pytest.raises(InvalidIdentityNumber, match="not a valid kr-rrn number"):
            default_validators().validate_person(stranger)

    def test_the_error_sits_in_the_onestop_tree(self) -> None:
        """InvalidIdentityNumber is a PartyError and a ValueError, with typed attributes."""
        error = InvalidIdentityNumber(scheme="id-nik", problems=["a", "b"])
        assert isinstance(error, PartyError)
        assert isinstance(error, OnestopError)
        assert isinstance(error, ValueError)
        assert (error.scheme, error.problems, error.reason) == ("id-nik", ("a", "b"), "a; b")


class TestWhatAPersonHolds:
    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"name": "Siti\x00Rahma"}, "name"),
            ({"name": "Siti\nRahma"}, "name"),
            ({"name": "S" * (MAX_NAME + 1)}, "name"),
            ({"name": "Siti \ud800"}, "name"),
            ({"address": "Jl. Kenari 7\x00"}, "address"),
            ({"address": "a" * (MAX_ADDRESS + 1)}, "address"),
            ({"phone": "0812-3456-7890"}, "phone"),
            ({"phone": "+62 812-3456-7890\r\n"}, "phone"),
            ({"phone": "+1-800-FLOWERS"}, "phone"),
            ({"email": "siti@localhost"}, "email"),
            ({"email": "siti@mail.example\r\nBcc: x@mail.example"}, "email"),
        ],
        ids=[
            "NUL in a name",
            "line break in a name",
            "name too long",
            "lone surrogate",
            "NUL in an address",
            "address too long",
            "national phone",
            "CRLF phone",
            "letters in a phone",
            "no dot in the domain",
            "header injection",
        ],
    )
    def test_of_refuses_what_cannot_be_kept_as_meant(
        self, changes: dict[str, str], field: str
    ) -> None:
        """Names, addresses, phones and e-mails are checked by Person.of, naming the field only."""
        values = {"identity_number": "1", "identity_scheme": "id-nik", "name": "Siti", **changes}
        with pytest.raises(InvalidValue) as caught:
            Person.of(**values)  # type: ignore[arg-type]
        assert caught.value.field == field
        assert "Siti" not in str(caught.value)
        assert "3456" not in str(caught.value)

    def test_an_address_may_run_over_several_lines(self) -> None:
        """An address keeps its line breaks."""
        made = Person.of(
            identity_number="1", identity_scheme="id-nik", name="A", address="Jl. Kenari 7\nJakarta"
        )
        assert made.address == Personal("Jl. Kenari 7\nJakarta")

    def test_phone_and_email_are_kept_normalised(self) -> None:
        """Person.of keeps the phone in E.164 and the e-mail address as the library writes it."""
        made = Person.of(
            identity_number="1",
            identity_scheme="id-nik",
            name="A",
            phone="+62 (812) 3456-7890",
            email="Siti@Mail.Example",
        )
        assert made.phone == Personal("+6281234567890")
        assert made.email == Personal("Siti@mail.example")

    def test_the_constructor_checks_types_only_so_history_reads_back(self) -> None:
        """Person() keeps a value recorded before these checks existed; check_party reports it."""
        old = Person(
            identity_number=Personal("1"),
            identity_scheme="id-nik",
            name=Personal("A"),
            phone=Personal("0812-3456-7890"),
        )
        same, problems = check_party(old)
        assert same == old
        assert [field for field, _ in problems] == ["phone"]

    def test_check_party_follows_representatives_and_contact_people(self) -> None:
        """A representative's person and an organisation's contact person are checked too."""
        bad = Person(identity_number=Personal("1"), identity_scheme="id-nik", name=Personal("\x00"))
        company = Organisation(business_number="912\n", name="PT Uji", contact_person=bad)
        _, found = check_party(company)
        assert [field for field, _ in found] == ["business_number", "contact_person.name"]
        _, found = check_party(Representative(person=bad, authorisation="sk\x001"))
        assert [field for field, _ in found] == ["person.name", "authorisation"]

    @pytest.mark.parametrize("number", [3171011708450001, None, b"3171011708450001"])
    def test_a_number_that_is_not_text_is_a_problem_not_a_crash(self, number: object) -> None:
        """A validator given a number that is not text says so, for every scheme."""
        for scheme in ("id-nik", "kr-rrn"):
            problems = default_validators().problems(scheme, number)  # type: ignore[arg-type]
            assert problems == [f"expected the number as text, not {kind_of(number)}"]

    @pytest.mark.parametrize(
        ("scheme", "number"),
        [
            ("id-nik", "3171011708450001\n"),
            ("id-nik", "\u0663171011708450001"),
            ("id-nik", "\uff13171011708450001"),
            ("kr-rrn", "850317-1234567\n"),
            ("kr-rrn", "\u0668\u0665\u0660317-1234567"),
        ],
    )
    def test_identity_numbers_are_whole_string_ascii(self, scheme: str, number: str) -> None:
        """A trailing line break or another script's digit makes a number malformed."""
        assert default_validators().problems(scheme, number) != []
