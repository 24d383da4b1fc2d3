"""The Mall refuses hostile arguments and settings with typed errors, and writes nothing.

An ``expected_version`` of ``True`` is not version 1, an application id is a key
(`onestop.domain.common.formats.KEY`), an idempotency key too; a Mall built with a setting of
the wrong kind fails when it is built, not at the first command.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onestop.calendars import calendar_for
from onestop.domain.applications.forms import DocumentRef
from onestop.domain.common.formats import INT64_MAX
from onestop.domain.common.parties import Person
from onestop.domain.workflow.engine import Actor
from onestop.exceptions import (
    ApplicationNotFound,
    ConfigurationError,
    InvalidApplication,
    InvalidStoreInput,
    InvalidValue,
    NaiveDatetime,
)
from onestop.storage.memory import MemoryStore
from onestop.usecases.catalogue.loading import load_catalogue
from onestop.usecases.mall import Mall

WITA = ZoneInfo("Asia/Makassar")
START = datetime(2025, 7, 14, 9, 0, tzinfo=WITA)
CATALOGUE = load_catalogue("examples/tutorial/mall.toml")
CALENDARS = {"*": calendar_for("ID", years=[2025, 2026], time_zone="Asia/Makassar")}
CLERK = Actor(id="clerk-rina", roles={"front_office"})
SITI = Person.of(identity_number="7371015708850003", identity_scheme="id-nik", name="Siti Rahma")


@attrs.define
class Clock:
    """A clock that stays where it is put."""

    current: datetime = START

    def now(self) -> datetime:
        return self.current


@attrs.define
class Ids:
    """Ids from a list, for a generator that misbehaves."""

    given: str = "app-1"

    def new_id(self) -> str:
        return self.given

    def secret(self) -> str:
        return "s" * 32


def _scan() -> DocumentRef:
    content = b"a photo of an identity card"
    return DocumentRef(
        requirement="identity",
        evidence_type="identity-card",
        sha256=hashlib.sha256(content).hexdigest(),
        media_type="image/jpeg",
        size=len(content),
        content=content,
    )


def _mall(store: MemoryStore | None = None, **settings: Any) -> Mall:
    return Mall(
        catalogue=CATALOGUE,
        store=store if store is not None else MemoryStore(),
        clock=Clock(),
        calendars=CALENDARS,
        **settings,
    )


def _submit(mall: Mall, **changes: Any) -> str:
    arguments: dict[str, Any] = {
        "channel": "counter",
        "applicant": SITI,
        "answers": {"applicant_type": "person", "floor_area": 36},
        "documents": [_scan()],
        "actor": CLERK,
    } | changes
    return mall.submit("trade-licence", **arguments).application_id


@pytest.fixture
def mall() -> Mall:
    return _mall()


@pytest.fixture
def submitted(mall: Mall) -> str:
    return _submit(mall)


# --- expected versions -------------------------------------------------------------------


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    version=st.one_of(
        st.booleans(),
        st.integers(max_value=-1),
        st.integers(min_value=INT64_MAX + 1),
        st.floats(),
        st.text(max_size=3),
    )
)
def test_an_expected_version_that_is_not_a_version_is_refused(
    mall: Mall, submitted: str, version: object
) -> None:
    """True, "1", 1.0, -1 or 2**63 is refused as InvalidApplication, never read as a version.

    The message never reads "at version 1, not True" nor shows a huge number in full.
    """
    before = mall.store.notifications(limit=1000)
    with pytest.raises(InvalidApplication) as caught:
        mall.assign(submitted, "officer-1", actor=CLERK, expected_version=version)  # type: ignore[arg-type]
    assert caught.value.fields == ("expected_version",)
    assert "True" not in str(caught.value) or isinstance(version, str)
    assert len(str(caught.value)) < 200
    assert mall.store.notifications(limit=1000) == before


def test_a_valid_expected_version_still_conflicts_when_stale(mall: Mall, submitted: str) -> None:
    """An integer version is checked against the stream as before."""
    mall.assign(submitted, "officer-1", actor=CLERK, expected_version=1)
    with pytest.raises(Exception, match="reload and retry"):
        mall.assign(submitted, "officer-2", actor=CLERK, expected_version=1)


# --- application ids -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "application_id",
    [7, None, ["a"], "", "app-1\n", "app\x00", "app 1", "a" * 129, "app-\u0661"],
    ids=["int", "none", "list", "empty", "line-break", "nul", "space", "too-long", "arabic"],
)
@pytest.mark.parametrize(
    "call",
    [
        lambda mall, i: mall.application(i),
        lambda mall, i: mall.verify(i),
        lambda mall, i: mall.deadline(i),
        lambda mall, i: mall.assign(i, "officer-1", actor=CLERK),
        lambda mall, i: mall.notify_event(i, "agency.approved"),
    ],
    ids=["application", "verify", "deadline", "assign", "notify_event"],
)
def test_an_application_id_that_is_not_a_key_is_refused(
    mall: Mall, submitted: str, application_id: Any, call: Any
) -> None:
    """Something that cannot name an application raises InvalidApplication, never TypeError."""
    with pytest.raises(InvalidApplication) as caught:
        call(mall, application_id)
    assert caught.value.fields == ("application_id",)
    assert "a" * 50 not in str(caught.value)


def test_a_well_formed_unknown_id_is_not_found(mall: Mall, submitted: str) -> None:
    """A key that names no application still raises ApplicationNotFound."""
    with pytest.raises(ApplicationNotFound):
        mall.application("app-does-not-exist")


def test_an_id_generator_that_misbehaves_is_a_configuration_error() -> None:
    """An id the generator makes that is not a key is refused before anything is written."""
    store = MemoryStore()
    mall = _mall(store, ids=Ids("app 1\n"))
    with pytest.raises(ConfigurationError, match="ids"):
        _submit(mall)
    assert store.notifications() == ()


# --- idempotency keys ----------------------------------------------------------------------


@pytest.mark.parametrize("key", ["k" * 129, "k\n", "kunci rahasia", 7, "\u0661"])
def test_an_idempotency_key_that_is_not_a_key_is_refused(mall: Mall, key: Any) -> None:
    """Idempotency keys are KEY values: 1 to 128 visible ASCII characters, never quoted."""
    with pytest.raises(InvalidApplication) as caught:
        _submit(mall, idempotency_key=key)
    assert caught.value.fields == ("idempotency_key",)
    assert "kunci" not in str(caught.value)
    assert mall.store.notifications() == ()


def test_the_longest_idempotency_key_is_taken(mall: Mall) -> None:
    """A key of 128 visible ASCII characters is accepted and replays."""
    key = "K~" * 64
    first = _submit(mall, idempotency_key=key)
    assert _submit(mall, idempotency_key=key) == first


# --- queries and timers --------------------------------------------------------------------


@pytest.mark.parametrize("batch", [0, True, "200", 1001, 2.0])
def test_fire_timers_refuses_a_batch_out_of_range(mall: Mall, batch: Any) -> None:
    """fire_timers' batch is an integer from 1 to 1000."""
    with pytest.raises(InvalidApplication) as caught:
        mall.fire_timers(batch=batch)
    assert caught.value.fields == ("batch",)


@pytest.mark.parametrize("since", [datetime(2025, 7, 1), "2025-07-01", 1751328000])  # noqa: DTZ001
def test_changed_since_must_be_an_aware_datetime(mall: Mall, since: Any) -> None:
    """changed() with a naive datetime, text or a number raises NaiveDatetime."""
    with pytest.raises(NaiveDatetime):
        mall.changed(since)


@pytest.mark.parametrize("now", [datetime(2025, 7, 1), "now"])  # noqa: DTZ001
def test_sla_report_now_must_be_an_aware_datetime(mall: Mall, submitted: str, now: Any) -> None:
    """sla_report(now=...) with a naive datetime or text raises NaiveDatetime, not TypeError."""
    with pytest.raises(NaiveDatetime):
        mall.sla_report(now=now)


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"limit": True}, "limit"),
        ({"limit": 0}, "limit"),
        ({"limit": "5"}, "limit"),
        ({"cursor": 5}, "cursor"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"state": ["submitted"]}, "states[0]"),
    ],
)
def test_a_worklist_with_arguments_of_the_wrong_kind_is_refused(
    mall: Mall, arguments: dict[str, Any], field: str
) -> None:
    """worklist's limit, cursor and filters are refused by the store's one check, typed."""
    with pytest.raises(InvalidStoreInput) as caught:
        mall.worklist(**arguments)
    assert caught.value.field == field


def test_changed_since_far_in_the_past_is_refused_at_the_boundary(mall: Mall) -> None:
    """An instant that does not exist in UTC is InvalidValue naming it, not an OverflowError."""
    with pytest.raises(InvalidValue) as caught:
        mall.changed(datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))))
    assert caught.value.field == "since"


# --- settings ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "setting",
    [
        {"retries": True},
        {"retries": "5"},
        {"retries": -1},
        {"retries": 10**6},
        {"cache_size": True},
        {"cache_size": -1},
        {"cache_size": 10**20},
        {"at_risk_share": "0.2"},
        {"at_risk_share": 0},
        {"at_risk_share": 1.0},
        {"at_risk_share": float("nan")},
        {"at_risk_share": True},
        {"at_risk_share": -(10**400)},
        {"numbering": 5},
        {"store": None},
        {"store": object()},
        {"clock": "utc"},
        {"ids": object()},
        {"calendars": {"*": "Asia/Jakarta"}},
        {"calendars": ["*"]},
        {"courier_facts": 5},
    ],
    ids=lambda setting: next(iter(setting)) + "=" + repr(next(iter(setting.values())))[:12],
)
def test_a_setting_of_the_wrong_kind_is_refused_when_the_mall_is_built(
    setting: dict[str, Any],
) -> None:
    """Every Mall setting is checked at construction: ConfigurationError naming it."""
    arguments: dict[str, Any] = {
        "catalogue": CATALOGUE,
        "store": MemoryStore(),
        "clock": Clock(),
        "calendars": CALENDARS,
    } | setting
    with pytest.raises(ConfigurationError, match=next(iter(setting))):
        Mall(**arguments)
