"""`Catalogue.current_services` picks, in one pass, the version `Catalogue.service` picks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onestop.domain.catalogue.model import (
    Agency,
    AgencyKind,
    Catalogue,
    ChannelKind,
    ChannelVariant,
    Service,
    ServiceKind,
    VersionStatus,
)
from onestop.domain.common.text import LocalizedText
from onestop.domain.common.values import Duration
from onestop.exceptions import ServiceNotFound

ZONES = {"west": "Asia/Jakarta", "east": "Pacific/Kiritimati", "far": "America/Adak"}
START = date(2025, 1, 1)


def agency(code: str) -> Agency:
    """An agency in the zone *code* names."""
    return Agency(
        code=code,
        name=LocalizedText.of(en=code),
        kind=AgencyKind.REGIONAL,
        time_zone=ZONES[code],
    )


@st.composite
def versions(draw: st.DrawFn) -> Service:
    """A version of one of three services, at any agency, status and effective days."""
    start = START + timedelta(days=draw(st.integers(0, 6)))
    length = draw(st.none() | st.integers(1, 4))
    return Service(
        code=draw(st.sampled_from(["a", "b", "c"])),
        version=draw(st.integers(1, 3)),
        status=draw(st.sampled_from(VersionStatus)),
        effective_from=start,
        effective_until=None if length is None else start + timedelta(days=length),
        agency=draw(st.sampled_from(sorted(ZONES)) | st.just("nowhere")),
        name=LocalizedText.of(en="service"),
        kind=ServiceKind.LICENSING,
        time_limit=Duration.working_days(5),
        service_norm=Duration.working_days(5),
        channels=(ChannelVariant(channel=ChannelKind.COUNTER),),
    )


def _mall(services: list[Service]) -> Catalogue:
    """A catalogue of *services* at the three agencies."""
    return Catalogue(
        name=LocalizedText.of(en="mall"),
        languages=("en",),
        agencies=tuple(agency(code) for code in ZONES),
        services=tuple(services),
    )


@settings(max_examples=200)
@given(
    services=st.lists(versions(), max_size=12),
    hours=st.integers(0, 24 * 12),
)
def test_current_services_is_service_for_each_code(services: list[Service], hours: int) -> None:
    """Each service listed is the version `service` returns for its code, in code order."""
    catalogue, at = _mall(services), datetime(2024, 12, 31, tzinfo=UTC) + timedelta(hours=hours)
    expected = []
    for code in catalogue.service_codes():
        try:
            expected.append(catalogue.service(code, at=at))
        except ServiceNotFound:
            continue
    assert [id(s) for s in catalogue.current_services(at=at)] == [id(s) for s in expected]


@settings(max_examples=200)
@given(
    services=st.lists(versions(), max_size=12),
    hours=st.integers(0, 24 * 12),
)
def test_a_miss_names_only_the_services_in_effect(services: list[Service], hours: int) -> None:
    """A code with no version in effect is `ServiceNotFound` naming, as known, only the codes
    of services in effect then: never a draft's, a retired one's or a future one's."""
    catalogue, at = _mall(services), datetime(2024, 12, 31, tzinfo=UTC) + timedelta(hours=hours)
    in_effect = tuple(s.code for s in catalogue.current_services(at=at))
    for code in ("a", "b", "c"):
        if code in in_effect:
            continue
        with pytest.raises(ServiceNotFound) as caught:
            catalogue.service(code, at=at)
        assert caught.value.known == in_effect
