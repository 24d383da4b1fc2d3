"""A catalogue's lookups answer, or refuse their arguments with a typed error."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from onestop.domain.catalogue.model import ChannelKind
from onestop.exceptions import AgencyNotFound, DateOutOfRange, InvalidValue, NaiveDatetime
from onestop.usecases.catalogue.loading import load_catalogue

CATALOGUE = load_catalogue(Path(__file__).parent / "valid" / "minimal.toml")
SERVICE = CATALOGUE.services[0]
AT = datetime(2025, 3, 3, 9, tzinfo=UTC)
EAST = timezone(timedelta(hours=23, minutes=59))
WEST = timezone(-timedelta(hours=23, minutes=59))

ENDS_OF_TIME = [
    datetime(1, 1, 1, tzinfo=EAST),  # before the year 1 in UTC
    datetime(1, 1, 1, 12, tzinfo=UTC),  # the year 1 in UTC, but not in Jakarta's west
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),  # past 9999 in Jakarta
    datetime(9999, 12, 31, tzinfo=WEST),  # after the year 9999 in UTC
]


@pytest.mark.parametrize("at", ENDS_OF_TIME, ids=["east-of-1", "utc-1", "utc-9999", "west-9999"])
@pytest.mark.parametrize(
    "look",
    [
        lambda at: CATALOGUE.service("tax-id", at=at),
        lambda at: CATALOGUE.current_services(at=at),
        lambda at: CATALOGUE.find(at=at),
    ],
    ids=["service", "current_services", "find"],
)
def test_an_instant_no_time_zone_can_read_is_refused(look: Any, at: datetime) -> None:
    """Near the years 1 and 9999 a lookup raises DateOutOfRange on at, not OverflowError."""
    with pytest.raises(DateOutOfRange) as caught:
        look(at)
    assert caught.value.field == "at"


def test_a_naive_instant_is_refused() -> None:
    """A datetime without a time zone is NaiveDatetime, as before."""
    with pytest.raises(NaiveDatetime):
        CATALOGUE.current_services(at=datetime(2025, 3, 3))  # noqa: DTZ001


def test_a_lookup_at_an_ordinary_instant_still_answers() -> None:
    """The service in effect is found, by code and among the current ones."""
    assert CATALOGUE.service("tax-id", at=AT) is SERVICE
    assert CATALOGUE.current_services(at=AT) == (SERVICE,)


@pytest.mark.parametrize("day", [datetime(2025, 3, 3, tzinfo=UTC), "2025-03-03", None])
def test_in_effect_on_takes_a_day_only(day: object) -> None:
    """A datetime (which Python calls a date too) or text is InvalidValue on day."""
    assert SERVICE.in_effect_on(date(2025, 3, 3))
    with pytest.raises(InvalidValue) as caught:
        SERVICE.in_effect_on(day)  # type: ignore[arg-type]
    assert caught.value.field == "day"


def test_a_channel_may_be_given_by_its_value() -> None:
    """'counter' is the counter channel, for every method that takes one."""
    assert SERVICE.channel("counter") is SERVICE.channel(ChannelKind.COUNTER)  # type: ignore[arg-type]
    assert SERVICE.requirements_for("counter") == SERVICE.requirements  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: SERVICE.channel("Counter"), "channel"),
        (lambda: SERVICE.applicable_requirements(b"counter", {}), "channel"),
        (lambda: SERVICE.applicable_requirements(ChannelKind.COUNTER, ["a"]), "answers"),
        (lambda: SERVICE.fees_due(ChannelKind.COUNTER, None), "answers"),
        (lambda: SERVICE.requirements[0].applies("answers"), "answers"),
        (lambda: CATALOGUE.find(at=AT, channel="fax"), "channel"),
        (lambda: CATALOGUE.find(at=AT, kind="permit"), "kind"),
        (lambda: CATALOGUE.find(at=AT, text=b"tax"), "text"),
    ],
)
def test_an_argument_of_the_wrong_type_is_refused(call: Any, field: str) -> None:
    """A channel that is no channel, or answers that are no mapping, raise InvalidValue."""
    with pytest.raises(InvalidValue) as caught:
        call()
    assert caught.value.field == field


@pytest.mark.parametrize("look", [CATALOGUE.agency, CATALOGUE.subagencies])
def test_a_huge_agency_code_is_not_repeated(look: Any) -> None:
    """AgencyNotFound for a 70,000-character code has a short message."""
    with pytest.raises(AgencyNotFound) as caught:
        look("\U0001f600" * 70_000)
    assert len(str(caught.value)) < 200
