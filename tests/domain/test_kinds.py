"""Checks of a value's kind (`onestop.domain.common.kinds`): types, members, instants, numbers."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Literal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from onestop.domain.common import kinds
from onestop.domain.common.kinds import to_ascii_digits
from onestop.exceptions import InvalidValue, NaiveDatetime


@pytest.mark.parametrize(
    ("text", "languages", "expected"),
    [
        ("\u17e1\u17e0", ("km",), "10"),
        ("\u0661\u0660", ("ar",), "10"),
        ("\u06f1\u06f0", ("fa",), "10"),
        ("\uff11\uff10\uff10", ("ja",), "100"),
        ("\uff11\uff10\uff10", ("ko-KR",), "100"),
        ("\u0661\u0660", ("km", "en"), "\u0661\u0660"),  # not a Khmer or English digit
        ("12", ("id",), "12"),
    ],
)
def test_local_digits_become_ascii_for_the_declared_languages_only(
    text: str, languages: tuple[str, ...], expected: str
) -> None:
    """Digits of the form's declared languages are converted; others are left to be refused."""
    assert to_ascii_digits(text, languages=languages) == expected


class _Kind(enum.Enum):
    PICKUP = "pickup"
    LEG = "leg"


class _Other(enum.Enum):
    PICKUP = "pickup"


@pytest.mark.parametrize("given", [_Kind.PICKUP, "pickup"])
def test_check_member_accepts_a_member_or_its_value(given: object) -> None:
    """An enum member, or its exact value, gives the member."""
    assert kinds.check_member(_Kind, given, field="kind") is _Kind.PICKUP


@pytest.mark.parametrize("given", ["PICKUP", "pickup\n", _Other.PICKUP, None, ["pickup"], True])
def test_check_member_refuses_anything_else_with_the_values_allowed(given: object) -> None:
    """Another spelling, another enum's member or another type is refused with InvalidValue."""
    with pytest.raises(InvalidValue) as caught:
        kinds.check_member(_Kind, given, field="kind")
    assert caught.value.field == "kind"
    assert caught.value.reason.endswith("is not one of 'pickup', 'leg'")


def test_check_type_names_the_type_expected_and_given() -> None:
    """A wrong type is refused by field, naming what was expected and what was given."""
    assert kinds.check_type("x", str, field="id") == "x"
    with pytest.raises(InvalidValue, match=r"^id: expected str or None, not an integer$"):
        kinds.check_type(5, (str, type(None)), field="id")


_EAST = timezone(timedelta(hours=14))


@pytest.mark.parametrize(
    "given",
    [
        datetime(2025, 3, 10, tzinfo=UTC),
        datetime.max.replace(tzinfo=UTC),
        datetime.min.replace(tzinfo=UTC),
        datetime(9999, 12, 31, 23, tzinfo=_EAST),
    ],
)
def test_check_instant_accepts_aware_instants_of_the_years_1_to_9999(given: datetime) -> None:
    """An aware datetime that is an instant of the years 1 to 9999 in UTC is accepted."""
    assert kinds.check_instant(given, field="at") is given


def test_check_instant_refuses_a_naive_datetime() -> None:
    """A datetime without a time zone raises NaiveDatetime naming the field."""
    with pytest.raises(NaiveDatetime, match=r"^at must be a timezone-aware datetime"):
        kinds.check_instant(datetime(2025, 3, 10), field="at")  # noqa: DTZ001


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        (datetime(1, 1, 1, tzinfo=_EAST), "lies outside the years 1 to 9999 in UTC"),
        (date(2025, 3, 10), "expected a timezone-aware datetime, not a value of type date"),
        ("2025-03-10T00:00Z", "expected a timezone-aware datetime, not text"),
    ],
)
def test_check_instant_refuses_what_is_not_an_instant(given: object, reason: str) -> None:
    """Something that is no instant in UTC is refused with InvalidValue saying why."""
    with pytest.raises(InvalidValue) as caught:
        kinds.check_instant(given, field="at")
    assert caught.value.reason == reason


@given(
    st.one_of(
        st.integers(),
        st.decimals(),
        st.text(max_size=50),
        st.booleans(),
        st.floats(),
        st.none(),
    )
)
def test_parse_number_is_exact_or_refuses(value: object) -> None:
    """A number comes back equal to what was given (text as its Decimal), or InvalidValue."""
    refused: InvalidValue | None = None
    try:
        number = kinds.parse_number(value, field="minimum")
    except InvalidValue as error:
        refused = error
    if refused is not None:
        assert refused.field == "minimum"
        assert len(str(refused)) < 200
        return
    assert not isinstance(value, bool | float)
    assert number == (Decimal(value) if isinstance(value, str) else value)
    size = number.copy_abs() if isinstance(number, Decimal) else abs(number)
    assert size < 10**30  # copy_abs: abs() rounds to the context's 28 digits


def test_check_date_takes_a_day_and_refuses_a_datetime() -> None:
    """A date passes; a datetime, which Python counts as a date, is refused by name."""
    assert kinds.check_date(date(2025, 7, 1), field="day") == date(2025, 7, 1)
    for wrong in (datetime(2025, 7, 1, tzinfo=UTC), "2025-07-01", None):
        with pytest.raises(InvalidValue) as caught:
            kinds.check_date(wrong, field="day")
        assert caught.value.field == "day"


@pytest.mark.parametrize(
    "given", [["id", "en"], ("id",), frozenset({"km"}), (tag for tag in ("id", "en")), {"id": 1}]
)
def test_check_strings_reads_a_collection_of_text_once(given: object) -> None:
    """Lists, tuples, sets, one-shot iterators and a mapping's keys are read as a tuple."""
    found = kinds.check_strings(given, field="languages")
    assert isinstance(found, tuple)
    assert all(isinstance(tag, str) for tag in found)
    assert found


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ("id", "languages"),
        (b"id", "languages"),
        (5, "languages"),
        (None, "languages"),
        (["id", b"en"], "languages[1]"),
        ([["id"]], "languages[0]"),
    ],
)
def test_check_strings_refuses_text_itself_and_items_that_are_not_text(
    given: object, field: str
) -> None:
    """A bare string would be read as its characters: refused, as is any item not a str."""
    with pytest.raises(InvalidValue) as caught:
        kinds.check_strings(given, field="languages")
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: kinds.local_digits("km"), "languages"),
        (lambda: kinds.local_digits([b"id", "km"]), "languages[0]"),
        (lambda: to_ascii_digits(b"\xd9\xa1", languages=("ar",)), "text"),
        (lambda: to_ascii_digits("1", languages=("ar", None)), "languages[1]"),
    ],
)
def test_local_digits_refuse_what_is_not_text(call: Any, field: str) -> None:
    """A language list that is a string or holds bytes, or bytes to convert, is refused."""
    with pytest.raises(InvalidValue) as caught:
        call()
    assert caught.value.field == field


@attrs.frozen(kw_only=True, field_transformer=kinds.typed_fields)
class _Typed:
    count: int
    day: date
    tags: tuple[str, ...] = ()
    pair: tuple[int, str] = (0, "")
    note: str | None = None
    unit: _Kind = _Kind.PICKUP
    mode: Literal["a", "b"] = "a"
    amount: Decimal | int | None = None


def test_typed_fields_accept_values_of_the_declared_types() -> None:
    """Each field takes its declared type: unions, tuples, enums and literals included."""
    made = _Typed(
        count=1,
        day=date(2025, 1, 1),
        tags=("a",),
        pair=(1, "x"),
        note="n",
        mode="b",
        amount=Decimal(1),
    )
    assert attrs.evolve(made, amount=5, note=None).amount == 5


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"count": True}, "count", "expected an integer, not a boolean"),
        ({"day": datetime(2025, 1, 1, tzinfo=UTC)}, "day", "expected a date, not a date and time"),
        ({"tags": ["a"]}, "tags", "expected a tuple, not a value of type list"),
        ({"tags": ("a", b"b")}, "tags[1]", "expected text, not a value of type bytes"),
        ({"pair": (1, 2)}, "pair[1]", "expected text, not an integer"),
        ({"pair": (1,)}, "pair", "expected a tuple of 2 items, not a value of type tuple"),
        ({"note": 5}, "note", "expected text or None, not an integer"),
        ({"unit": "pickup"}, "unit", "expected a _Kind ('pickup', 'leg'), not text"),
        ({"mode": "c"}, "mode", "expected one of 'a', 'b'"),
        ({"amount": 1.5}, "amount", "expected a Decimal or an integer or None, not a float"),
    ],
)
def test_typed_fields_refuse_a_value_of_another_type_naming_the_field(
    changes: dict[str, object], field: str, reason: str
) -> None:
    """A wrong type is InvalidValue on the field (and item), whether built or evolved."""
    made = _Typed(count=1, day=date(2025, 1, 1))
    with pytest.raises(InvalidValue) as caught:
        attrs.evolve(made, **changes)
    assert (caught.value.field, caught.value.reason) == (field, reason)


def test_typed_fields_refuse_a_declaration_they_cannot_check() -> None:
    """A field declared with a type the check does not know fails when the class is defined."""
    with pytest.raises(TypeError, match="cannot check"):

        @attrs.frozen(field_transformer=kinds.typed_fields)
        class _Odd:
            items: list[int]


@pytest.mark.parametrize(
    ("given", "field"),
    [
        (["a"], "codes"),
        (iter(("a",)), "codes"),
        ("a", "codes"),
        (("a", 2), "codes[1]"),
        (("a", b"b"), "codes[1]"),
    ],
)
def test_check_items_refuses_another_container_or_item_by_name(given: object, field: str) -> None:
    """A list, an iterator or text where a tuple of text belongs, or an item of another
    type, is refused with InvalidValue naming the collection or the item's position."""
    with pytest.raises(InvalidValue) as caught:
        kinds.check_items(given, str, field="codes")
    assert caught.value.field == field


@given(st.lists(st.text(max_size=3), max_size=5))
def test_check_items_returns_a_collection_of_the_kind_unchanged(items: list[str]) -> None:
    """A tuple (or the container asked for) of instances of the kind is returned as it is."""
    assert kinds.check_items(tuple(items), str, field="codes") == tuple(items)
    assert kinds.check_items(frozenset(items), str, field="codes", container=frozenset) == (
        frozenset(items)
    )


def test_type_validator_refuses_a_wrong_type_with_invalid_value() -> None:
    """An attrs field checked by type_validator refuses another type with InvalidValue,
    not the TypeError of attrs.validators.instance_of."""

    @attrs.frozen
    class Held:
        count: int = attrs.field(validator=kinds.type_validator(int))
        names: tuple[str, ...] = attrs.field(validator=kinds.type_validator(tuple, items=str))

    assert Held(1, ("a",)).names == ("a",)
    with pytest.raises(InvalidValue, match=r"^count: expected int, not text$"):
        Held("1", ())  # type: ignore[arg-type]
    with pytest.raises(InvalidValue, match=r"^names\[0\]: expected str, not an integer$"):
        Held(1, (1,))  # type: ignore[arg-type]


@pytest.mark.parametrize("field", ["9" * 70_000, "\U0001f600" * 1001])
def test_a_huge_field_name_is_shortened_in_the_message(field: str) -> None:
    """InvalidValue keeps the field name it was given but shows it shortened: a caller's
    70,000-character field name is not repeated in the message."""
    with pytest.raises(InvalidValue) as refused:
        kinds.check_instant(" 2025", field=field)
    assert refused.value.field == field
    assert field[:130] not in str(refused.value)
    assert len(str(refused.value)) < 200


@given(
    st.one_of(
        st.integers(min_value=0, max_value=kinds.MAX_SECONDS),
        st.floats(min_value=0, max_value=kinds.MAX_SECONDS),
    )
)
def test_a_number_of_seconds_in_range_is_accepted(value: float) -> None:
    """An int or finite float from 0 to MAX_SECONDS is a number of seconds."""
    assert kinds.seconds_problem(value) is None


@pytest.mark.parametrize(
    ("value", "options", "reason"),
    [
        (True, {}, "expected a number of seconds, not a boolean"),
        ("1.5", {}, "expected a number of seconds, not text"),
        (Decimal("1"), {}, "expected a number of seconds, not a value of type Decimal"),
        (float("nan"), {}, "must be a finite number of seconds, not nan"),
        (float("inf"), {}, "must be a finite number of seconds, not inf"),
        (-0.5, {}, "must be at least 0 seconds, not -0.5"),
        (0, {"positive": True}, "must be above 0 seconds, not 0"),
        (3601, {"maximum": 3600.0}, "must be at most 3600 seconds, not 3601"),
        (10**400, {}, "must be at most 1000000000 seconds, not an integer of 401 digits"),
        (-(10**5000), {}, "must be at least 0 seconds, not an integer of 5001 digits"),
    ],
    ids=["bool", "text", "decimal", "nan", "inf", "negative", "zero", "above", "huge", "-huge"],
)
def test_what_is_not_a_number_of_seconds_is_named_without_overflow(
    value: object, options: dict[str, Any], reason: str
) -> None:
    """A bool, text, NaN, infinity or a number out of range is refused, a huge one too."""
    assert kinds.seconds_problem(value, **options) == reason


@pytest.mark.parametrize(
    "options",
    [
        {"maximum": -(10**5000)},
        {"maximum": float("nan")},
        {"maximum": True},
        {"maximum": "60"},
        {"positive": None},
    ],
)
def test_a_wrong_seconds_option_is_the_callers_typed_error(options: dict[str, Any]) -> None:
    """A maximum that is not a number from 0, or a positive that is not a bool."""
    with pytest.raises(InvalidValue) as caught:
        kinds.seconds_problem(1.0, **options)
    assert caught.value.field in options
    assert len(str(caught.value)) < 200
