"""Every public call on applications refuses bad input with an OnestopError, never a bare one."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime

import pytest
from application_support import CITIZEN, START, Canary, answers, documents
from hypothesis import given, settings
from hypothesis import strategies as st

from onestop.calendars import calendar_for
from onestop.domain.applications.application import Application
from onestop.domain.applications.automatic import due_timer_events, event_events
from onestop.domain.applications.commands import Submit, decide, find_workflow
from onestop.domain.applications.tracking import public_status, sla_outcome
from onestop.domain.catalogue.model import Catalogue, ChannelKind
from onestop.exceptions import (
    CommandRefused,
    ConfigurationError,
    InvalidApplication,
    InvalidValue,
    NaiveDatetime,
    OnestopError,
)
from onestop.usecases.applications.cache import Deadlines, FoldedStreams
from onestop.usecases.applications.codec import decode_event
from onestop.usecases.applications.queries import worklist_query
from onestop.usecases.applications.writer import check_numbering, idempotency_digest, prepare_commit

CANARY = Canary.new()
JAKARTA = calendar_for("ID", years=[2025])
NAIVE = datetime(2025, 7, 14, 9)  # noqa: DTZ001 - the mistake under test


@pytest.fixture(scope="module")
def application(catalogue: Catalogue) -> Application:
    command = Submit(
        application_id="app-1",
        number="N/1",
        service="izin-usaha",
        channel=ChannelKind.ONLINE,
        applicant=CANARY.person(),
        answers=answers(CANARY),
        documents=tuple(documents()),
        actor=CITIZEN,
        secret_digest="0" * 64,
    )
    return Application.from_events(decide(None, command, catalogue=catalogue, at=START))


@pytest.mark.parametrize("events", [None, 5, [None], ["submitted"]])
def test_folding_something_that_is_not_events_is_refused(events: object) -> None:
    """Application.from_events refuses what is not a stream of events with CommandRefused."""
    with pytest.raises(CommandRefused):
        Application.from_events(events)  # type: ignore[arg-type]


def test_applying_something_that_is_not_an_event_is_refused(application: Application) -> None:
    """Application.apply refuses a non-event, naming its type, not with an AttributeError."""
    with pytest.raises(CommandRefused) as caught:
        application.apply({"kind": "withdrawn"})  # type: ignore[arg-type]
    assert "a value of type dict" in caught.value.reason


def test_a_verdict_for_a_key_that_is_not_text_is_pending(application: Application) -> None:
    """A lookup by an unhashable requirement finds nothing, as for an unknown one."""
    assert application.verdict(["ktp"]) == "pending"  # type: ignore[arg-type]


def test_naive_instants_are_refused(catalogue: Catalogue, application: Application) -> None:
    """Timers and SLA outcomes need an aware instant: a naive one raises NaiveDatetime."""
    workflow = find_workflow(catalogue, "licence", 1)
    with pytest.raises(NaiveDatetime):
        due_timer_events(application, workflow=workflow, calendar=JAKARTA, at=NAIVE)
    with pytest.raises(NaiveDatetime):
        sla_outcome(application, calendar=JAKARTA, now=NAIVE)


@pytest.mark.parametrize("language", ["", 7, None, "not a tag!"])
def test_a_status_in_a_language_that_is_no_tag_is_refused(
    catalogue: Catalogue, application: Application, language: object
) -> None:
    """public_status names the language argument when it is not a BCP 47 tag."""
    workflow = find_workflow(catalogue, "licence", 1)
    with pytest.raises(InvalidValue) as caught:
        public_status(
            application,
            catalogue=catalogue,
            workflow=workflow,
            deadline=application.deadline(JAKARTA),
            language=language,  # type: ignore[arg-type]
        )
    assert caught.value.field == "language"


def test_an_event_name_is_never_echoed_in_full(
    catalogue: Catalogue, application: Application
) -> None:
    """An unknown event of 5,000 characters is refused with a short message."""
    workflow = find_workflow(catalogue, "licence", 1)
    for event in ("x" * 5000, ["agency.approved"], None):
        with pytest.raises(OnestopError) as caught:
            event_events(application, event, workflow=workflow, at=START)  # type: ignore[arg-type]
        assert len(str(caught.value)) < 300


@pytest.mark.parametrize("version", [True, "1", [1], 2**70])
def test_a_workflow_version_that_is_no_integer_is_not_found(
    catalogue: Catalogue, version: object
) -> None:
    """find_workflow treats True or '1' as no version, never as version 1."""
    with pytest.raises(OnestopError):
        find_workflow(catalogue, "licence", version)  # type: ignore[arg-type]


@pytest.mark.parametrize("size", [-1, True, 1.5, "10", 2**64])
def test_cache_sizes_are_whole_numbers(size: object) -> None:
    """A cache of a negative, boolean, fractional or text size is a ConfigurationError."""
    with pytest.raises(ConfigurationError):
        FoldedStreams(size=size)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        Deadlines(size=size)  # type: ignore[arg-type]


def test_a_commit_without_events_is_refused() -> None:
    """prepare_commit with no event raises CommandRefused, not ValueError."""
    with pytest.raises(CommandRefused):
        prepare_commit(
            None,
            (),
            previous_hash="0" * 64,
            calendar=lambda _: JAKARTA,
            now=START,
            at_risk_share=0.2,
        )


@pytest.mark.parametrize("pattern", [None, 7, b"{seq}", "{seq"])
def test_a_numbering_pattern_is_text_that_formats(pattern: object) -> None:
    """check_numbering refuses a pattern that is not text, or does not parse, as configuration."""
    with pytest.raises(ConfigurationError):
        check_numbering(pattern)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("actor", "key", "field"),
    [
        ("officer-ana", "k" * 129, "idempotency_key"),
        ("officer-ana", "key\n", "idempotency_key"),
        ("officer-ana", 42, "idempotency_key"),
        ("Officer-Ana", "key-1", "actor.id"),
    ],
)
def test_idempotency_keys_are_keys(actor: str, key: object, field: str) -> None:
    """An idempotency key is a formats.KEY, scoped to a canonical actor id."""
    with pytest.raises(InvalidApplication) as caught:
        idempotency_digest(actor, key)  # type: ignore[arg-type]
    assert caught.value.fields == (field,)


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"assignee": "officer-ana\n"}, "assignee"),
        ({"assignee": "Officer-Ana"}, "assignee"),
        ({"role": "Verifier"}, "role"),
        ({"role": ["verifier"]}, "role"),
    ],
)
def test_a_worklist_is_asked_for_by_canonical_ids_and_roles(
    catalogue: Catalogue, arguments: dict[str, object], field: str
) -> None:
    """A worklist for a second spelling of an officer's id or role is refused, not empty."""
    with pytest.raises(InvalidValue) as caught:
        worklist_query(catalogue, now=START, **arguments)  # type: ignore[arg-type]
    assert caught.value.field == field


_CALLS: dict[str, Callable[[object], object]] = {
    "decode_event body": lambda v: decode_event("app-1", "submitted", v),  # type: ignore[arg-type]
    "decode_event kind": lambda v: decode_event("app-1", v, b"{}"),  # type: ignore[arg-type]
    "check_numbering": check_numbering,  # type: ignore[dict-item]
    "idempotency_digest": lambda v: idempotency_digest("officer-ana", v),  # type: ignore[arg-type]
    "folded streams": lambda v: FoldedStreams(size=v),  # type: ignore[arg-type]
}


@settings(max_examples=100, deadline=None)
@pytest.mark.parametrize("call", _CALLS.values(), ids=_CALLS.keys())
@given(
    value=st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(max_size=20),
        st.binary(max_size=20),
        st.lists(st.integers(), max_size=2),
    )
)
def test_hostile_values_give_a_result_or_an_onestop_error(
    call: Callable[[object], object], value: object
) -> None:
    """No bad type escapes these calls as TypeError, ValueError or KeyError."""
    with contextlib.suppress(OnestopError):
        call(value)
