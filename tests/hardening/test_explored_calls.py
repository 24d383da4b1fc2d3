"""Calls ``ONESTOP_SURFACE_EXPLORE`` drove into an untyped error, each kept as a test.

The derandomized surface run of CI draws the same examples every time; exploring from
random seeds found these, and each now raises a typed `OnestopError` (or answers).
"""

from __future__ import annotations

import copy
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, time
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import attrs
import pytest

from onestop.cli.demo import run_demo
from onestop.domain.catalogue.fees import FeeRounding
from onestop.domain.catalogue.identity import DeclaredValidator, check_identity_schemes
from onestop.domain.catalogue.model import Catalogue
from onestop.domain.catalogue.rules import Rule, parse_rule
from onestop.domain.common.audit import GENESIS, SealedEntry, chain_hash
from onestop.domain.common.checkpoints import StreamHead, judge
from onestop.domain.common.formats import check_int, int_problem
from onestop.domain.staff import AccountAdded
from onestop.domain.time.hours import WeeklyHours
from onestop.domain.workflow.guards import Facts
from onestop.exceptions import (
    ChannelNotOffered,
    ConfigurationError,
    DeliveryFailed,
    GuardFailed,
    InvalidCalendar,
    InvalidValue,
    InvalidWorkflow,
    OnestopError,
    Problem,
    SigningKeyError,
    StateNotFound,
    StorageError,
    TransitionNotAllowed,
    WorkflowVersionConflict,
)
from onestop.locales import format_money, format_number
from onestop.ports.events import StoredEvent
from onestop.privacy.signing import write_key_files
from onestop.storage.sqlite import SQLiteStore
from onestop.usecases.catalogue.loading import catalogue_to_dict, dump_catalogue, load_catalogue
from onestop.usecases.staff.codec import account_appends, fold_more
from onestop.web.settings import ServeSettings

HUGE = 10**5000
_ADDED = AccountAdded(account_id="clerk-1", by="admin", at=datetime(2025, 7, 1, tzinfo=UTC))
JAKARTA = Path(__file__).parents[2] / "examples" / "jakarta"


def _store_on_a_surrogate_path() -> object:
    connection = sqlite3.connect(":memory:", isolation_level=None)
    try:
        return SQLiteStore(connection, path="invalid\ud875.sqlite3", read_timeout=1.0)
    finally:
        connection.close()


def _judged_with_a_huge_version() -> object:
    body = b"{}"
    entry = SealedEntry(HUGE, body, chain_hash(GENESIS, 1, body), GENESIS)
    head = StreamHead(
        stream="app-1", version=1, hash=chain_hash(GENESIS, 1, body), application="app-1"
    )
    return judge(head, (entry,))


def _scheme(**changes: object) -> object:
    from onestop.domain.catalogue.identity import IdentityScheme
    from onestop.domain.common.text import LocalizedText

    name = LocalizedText({"en": "ID"})
    return IdentityScheme(code="xx-id", name=name, pattern="[0-9]{16}", **changes)  # type: ignore[arg-type]


def _stored(**changes: object) -> StoredEvent:
    """A stored event of a staff account's stream, changed by *changes*."""
    fields: dict[str, object] = {
        "stream_id": "staff-clerk-1",
        "version": 1,
        "kind": "account_added",
        "body": b"{}",
        "hash": "0" * 64,
        "previous_hash": GENESIS,
        "recorded_at": datetime(2025, 7, 1, tzinfo=UTC),
    }
    return StoredEvent(**(fields | changes))  # type: ignore[arg-type]


@cache
def _jakarta() -> Catalogue:
    return load_catalogue(JAKARTA)


def _catalogue_with(**changes: object) -> Catalogue:
    """Jakarta's catalogue, built in code with one identity scheme it never checked."""
    from onestop.domain.catalogue.identity import IdentityScheme
    from onestop.domain.common.text import LocalizedText

    changes.setdefault("name", LocalizedText({"id": "X"}))
    scheme = IdentityScheme(code="id-x", **changes)  # type: ignore[arg-type]
    return attrs.evolve(_jakarta(), identity_schemes=(scheme,))


CALLS: dict[str, tuple[Callable[[], object], type[OnestopError]]] = {
    "format_number of a number with 5,000 digits": (
        lambda: format_number(HUGE, "id"),
        InvalidValue,
    ),
    "format_number of a number with 400 decimals": (
        lambda: format_number(Decimal("1E-400"), "km"),
        InvalidValue,
    ),
    "format_money of a number with 400 digits": (
        lambda: format_money(-(10**400), "IDR", "en"),
        InvalidValue,
    ),
    "format_money of a number of 29 significant digits": (
        lambda: format_money(90082423674103054507471536128, "USD", "en"),
        InvalidValue,
    ),
    "FeeRounding.apply of 1E+999999": (
        lambda: FeeRounding().apply(Decimal("1E+999999"), "USD"),
        InvalidValue,
    ),
    "check_int with a minimum of 5,000 digits": (
        lambda: check_int(-HUGE, field="capital", minimum=HUGE),
        InvalidValue,
    ),
    "SQLiteStore on a path no file name holds": (_store_on_a_surrogate_path, ConfigurationError),
    "ServeSettings.beside_store with a suffix that is not text": (
        lambda: ServeSettings(catalogue="c.toml", store_url="sqlite:///s.db").beside_store(7),  # type: ignore[arg-type]
        InvalidValue,
    ),
    "WeeklyHours.uniform of a week of lists": (
        lambda: WeeklyHours.uniform([[1], [2]], time(8), time(16)),  # type: ignore[list-item]
        InvalidCalendar,
    ),
    "Problem with a path of bytes": (
        lambda: Problem(path=b"services[0]", message="no name"),  # type: ignore[arg-type]
        InvalidValue,
    ),
    "Problem.located in a file named by bytes": (
        lambda: Problem(path="services[0]", message="no name").located(b"mall.toml"),  # type: ignore[arg-type]
        InvalidValue,
    ),
    "Problem.located under a prefix of bytes": (
        lambda: Problem(path="services[0]", message="no name").located(None, b"x"),  # type: ignore[arg-type]
        InvalidValue,
    ),
    "Rule of a root that is not a parsed rule's": (
        lambda: Rule("x", 5),  # type: ignore[arg-type]
        InvalidValue,
    ),
    "Rule of a source that is not text": (
        lambda: Rule(b"x", parse_rule("x")._node),  # type: ignore[arg-type]
        InvalidValue,
    ),
    "int_problem with a maximum that is text": (
        lambda: int_problem(10**400 + 7, maximum="1"),  # type: ignore[arg-type]
        InvalidValue,
    ),
    "check_identity_schemes of text": (
        lambda: check_identity_schemes("a" * 100_000),  # type: ignore[arg-type]
        InvalidValue,
    ),
    "check_identity_schemes under a path of 70,000 characters": (
        lambda: check_identity_schemes((), path="😀" * 70_000),
        InvalidValue,
    ),
    "run_demo of a catalogue path of bytes": (
        lambda: run_demo(store_url="memory://", catalogue_path=b"catalogue.toml"),  # type: ignore[arg-type]
        ConfigurationError,
    ),
    "run_demo with a seed of 5,000 digits": (
        lambda: run_demo(store_url="memory://", seed=-HUGE),
        ConfigurationError,
    ),
    "run_demo with a seed of text": (
        lambda: run_demo(store_url="memory://", seed="1"),  # type: ignore[arg-type]
        ConfigurationError,
    ),
    "DeclaredValidator of a scheme of a length of 5,000 digits": (
        lambda: DeclaredValidator(_scheme(length=HUGE)),
        ConfigurationError,
    ),
    "dump_catalogue of a scheme with a weight of 5,000 digits": (
        lambda: dump_catalogue(_catalogue_with(weights=(HUGE,))),
        InvalidValue,
    ),
    "dump_catalogue of a workflow whose separation of duties holds an empty pair": (
        lambda: dump_catalogue(
            attrs.evolve(
                _jakarta(),
                workflows=(attrs.evolve(_jakarta().workflows[0], separation_of_duties=[(), "x"]),),
            )
        ),
        InvalidValue,
    ),
    "dump_catalogue of a scheme with a pattern of bytes": (
        lambda: dump_catalogue(_catalogue_with(pattern=b"[0-9]+")),
        InvalidValue,
    ),
    "account_appends with a directory that is a list": (
        lambda: account_appends(None, (_ADDED,), at=_ADDED.at, directory=[[0]] * 5000),  # type: ignore[arg-type]
        InvalidValue,
    ),
    "account_appends with a directory version that is text": (
        lambda: account_appends(None, (_ADDED,), at=_ADDED.at, directory=("1", GENESIS)),  # type: ignore[arg-type]
        InvalidValue,
    ),
    "account_appends after an account that is not folded": (
        lambda: account_appends("clerk-1", (_ADDED,), at=_ADDED.at),  # type: ignore[arg-type]
        InvalidValue,
    ),
    "catalogue_to_dict of a scheme whose name is text": (
        lambda: catalogue_to_dict(_catalogue_with(name="")),
        InvalidValue,
    ),
    "fold_more of a record at a version of 5,000 digits": (
        lambda: fold_more(None, (_stored(version=HUGE),)),
        StorageError,
    ),
    "write_key_files of the working directory": (lambda: write_key_files("."), SigningKeyError),
    "write_key_files of the root": (lambda: write_key_files("/"), SigningKeyError),
    "Facts of document codes that are not text": (
        lambda: Facts(required_documents=(("pbg",),)),  # type: ignore[arg-type]
        InvalidValue,
    ),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_an_explored_call_raises_its_typed_error(name: str) -> None:
    """The call raises the typed error named beside it, not an untyped one."""
    call, expected = CALLS[name]
    with pytest.raises(expected):
        call()


def test_a_huge_version_is_judged_not_shown_in_full() -> None:
    """A head judged against an entry claiming a version of 5,000 digits gets a verdict
    whose problem shows the version shortened."""
    verdict = _judged_with_a_huge_version()
    assert not verdict.ok  # type: ignore[attr-defined]
    assert len(verdict.problem) < 400  # type: ignore[attr-defined]


def test_an_identity_scheme_of_a_length_of_thousands_of_digits_is_a_problem() -> None:
    """A scheme whose length has 5,000 digits gets problems at its length, each short."""
    from onestop.domain.catalogue.identity import IdentityScheme, check_identity_schemes
    from onestop.domain.common.text import LocalizedText

    scheme = IdentityScheme(
        code="xx-id",
        name=LocalizedText({"en": "ID"}),
        length=-HUGE,
        checksum="mod11",
        weights=(2, 3),
    )
    found = check_identity_schemes((scheme,))
    assert "identity_schemes[0].length" in [problem.path for problem in found]
    assert all(len(problem.message) < 400 for problem in found)


def test_a_span_refused_under_a_long_label_shows_it_shortened() -> None:
    """parse_span refusing a value under a label of 1,001 characters shows the label
    shortened, not whole."""
    from onestop.domain.time.hours import parse_span

    with pytest.raises(InvalidCalendar) as caught:
        parse_span(7, field="é" * 1001)
    assert len(str(caught.value)) < 400


def test_a_migration_error_of_many_problems_shows_three_and_keeps_all() -> None:
    """A MigrationError of 100,000 problems shows three and counts the rest, and keeps
    every one in its problems."""
    from onestop.exceptions import MigrationError

    problems = [Problem(path=f"state_map[{i}]", message="no such state") for i in range(100_000)]
    error = MigrationError(problems)
    assert str(error).endswith("(and 99997 more)")
    assert len(error.problems) == 100_000


def test_a_workflow_of_a_huge_version_is_drawn_with_it_shortened() -> None:
    """to_dot of a workflow evolved to a version of 5,000 digits draws it, its title
    naming the version shortened (writing it whole raised ValueError)."""
    from onestop.domain.workflow.model import State, StateKind, Workflow
    from onestop.domain.workflow.render import to_dot

    states = (State(name="open", kind=StateKind.ACTIVE), State(name="end", kind=StateKind.SUCCESS))
    dot = to_dot(Workflow(code="w", version=HUGE, states=states))
    assert "an integer of 5001 digits" in dot
    assert len(dot) < 20_000


LONG = "😀" * 70_000


@pytest.mark.parametrize(
    "make",
    [
        lambda: TransitionNotAllowed(workflow=LONG, state="s", action="a", reason="no"),
        lambda: GuardFailed(workflow="w", state="s", action="a", guard=LONG, reason="no"),
        lambda: StateNotFound(workflow=LONG, state="s"),
        lambda: InvalidWorkflow(LONG, [Problem(path="states", message="none")]),
        lambda: WorkflowVersionConflict(LONG, 2),
        lambda: DeliveryFailed(message_id=LONG, destination=None, reason="down"),
        lambda: ChannelNotOffered(service=LONG, channel=LONG, offered=()),
    ],
    ids=["transition", "guard", "state", "invalid", "conflict", "delivery", "channel"],
)
def test_an_error_naming_a_huge_identifier_shows_it_shortened(
    make: Callable[[], Exception],
) -> None:
    """An error naming a workflow, guard, message or service of 70,000 characters keeps
    its message short (fire_automatic of such a workflow made one of 140,000)."""
    error = make()
    assert len(str(error)) + len(repr(error)) < 1000


def test_a_migration_between_workflows_of_huge_codes_says_so_briefly() -> None:
    """A migration plan whose workflows have codes of 70,000 characters is refused with
    a MigrationError whose message names them shortened (it made one of 140,000)."""
    from onestop.domain.workflow.model import State, StateKind, Workflow
    from onestop.domain.workflow.versions import MigrationPlan
    from onestop.exceptions import MigrationError

    states = (State(name="open", kind=StateKind.ACTIVE), State(name="end", kind=StateKind.SUCCESS))
    source = Workflow(code="9" * 70_000, version=1, states=states)
    target = Workflow(code="8" * 70_000, version=2, states=states)
    with pytest.raises(MigrationError) as caught:
        MigrationPlan(source=source, target=target).apply("open")
    assert len(str(caught.value)) + len(repr(caught.value)) < 2000


@pytest.mark.parametrize("version", [HUGE, -HUGE + 7], ids=["huge", "hugely negative"])
def test_calendars_of_a_version_of_thousands_of_digits_are_problems_told_briefly(
    version: int,
) -> None:
    """check_calendars of a calendar evolved to a version of 5,000 digits answers with
    problems that show it shortened (writing it whole raised ValueError)."""
    from onestop.domain.catalogue.calendars import check_calendars

    first = _jakarta().calendars[0]
    found = check_calendars((first, attrs.evolve(first, version=version)), {})
    assert "calendars[1].version" in [problem.path for problem in found]
    assert any("an integer of 500" in problem.message for problem in found)
    assert all(len(problem.message) < 400 for problem in found)


def test_a_service_version_of_thousands_of_digits_overlapping_is_told_briefly() -> None:
    """check_catalogue of a service republished at a version of 5,000 digits over the
    same dates names the overlap with the version shortened."""
    from onestop.domain.catalogue.checks import check_catalogue

    catalogue = _jakarta()
    again = attrs.evolve(catalogue.services[0], version=HUGE)
    found = check_catalogue(attrs.evolve(catalogue, services=(*catalogue.services, again)))
    overlaps = [problem for problem in found if "overlaps" in problem.message]
    assert overlaps
    assert all(len(problem.message) < 400 for problem in found)


def test_a_finished_application_on_a_huge_workflow_version_is_told_briefly() -> None:
    """Migrating a final state the target lacks from a workflow at a version of 5,000
    digits is refused with a MigrationError naming the version shortened (writing it whole
    raised ValueError)."""
    from onestop.domain.workflow.model import State, StateKind, Workflow
    from onestop.domain.workflow.versions import MigrationPlan
    from onestop.exceptions import MigrationError

    open_state = State(name="open", kind=StateKind.ACTIVE)
    source = Workflow(
        code="w", version=HUGE, states=(open_state, State(name="end", kind=StateKind.SUCCESS))
    )
    target = Workflow(
        code="w", version=HUGE + 1, states=(open_state, State(name="done", kind=StateKind.SUCCESS))
    )
    with pytest.raises(MigrationError, match=r"unmapped.*an integer of 5001 digits"):
        MigrationPlan(source=source, target=target).apply("end")


def test_a_retry_after_of_hundreds_of_digits_is_deferred() -> None:
    """RetryPolicy.next_wait deferring a retry_after of 401 digits, longer than its cap,
    answers no attempt now (comparing it as a float overflowed)."""
    from onestop.transport import RetryPolicy

    assert RetryPolicy().next_wait(2, retry_after=10**400 + 7, defer=True) is None


def test_identity_validators_of_a_stdnum_of_70000_characters_say_so_briefly() -> None:
    """identity_validators refusing a scheme whose stdnum module name has 70,000
    characters raises a ConfigurationError that shows the name shortened."""
    from onestop.usecases.catalogue.identity import identity_validators

    scheme = _catalogue_with(stdnum="a" * 70_000).identity_schemes[0]
    with pytest.raises(ConfigurationError) as caught:
        identity_validators((scheme,))
    assert len(str(caught.value)) < 1000


def _long_date(data: dict[str, Any]) -> None:
    data["services"][0]["effective_from"] = "9" * 70_000


def _long_section(data: dict[str, Any]) -> None:
    data["9" * 70_000] = []


def _long_stdnum(data: dict[str, Any]) -> None:
    name = {"id": "X", "en": "X"}
    data["identity_schemes"] = [{"code": "id-x", "name": name, "stdnum": "a" * 70_000}]


@pytest.mark.parametrize("spoil", [_long_date, _long_section, _long_stdnum])
def test_a_catalogue_quoting_a_value_of_70000_characters_shows_it_shortened(
    spoil: Callable[[dict[str, Any]], None],
) -> None:
    """A catalogue whose date, section name or stdnum module has 70,000 characters is
    refused with problems whose messages show it shortened, not whole."""
    from onestop.exceptions import InvalidCatalogue
    from onestop.usecases.catalogue.loading import catalogue_from_data, catalogue_to_dict

    data = copy.deepcopy(catalogue_to_dict(_jakarta()))
    spoil(data)
    with pytest.raises(InvalidCatalogue) as caught:
        catalogue_from_data(data, source="mall.json")
    assert all(len(problem.message) < 400 for problem in caught.value.problems)
