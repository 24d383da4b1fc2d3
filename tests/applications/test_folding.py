"""The mall's kept applications and memoised deadlines never change what it does or writes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs
import pytest
from application_support import (
    CITIZEN,
    START,
    Canary,
    CountingIds,
    ManualClock,
    answers,
    documents,
    officer,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from onestop.calendars import calendar_for
from onestop.domain.catalogue.model import Catalogue
from onestop.exceptions import (
    ApplicationNotFound,
    ConcurrencyConflict,
    ConfigurationError,
    InvalidValue,
    OnestopError,
)
from onestop.ports.events import SummaryQuery
from onestop.storage.memory import MemoryStore
from onestop.usecases.applications.cache import Deadlines, FoldedStreams, PublicStatuses
from onestop.usecases.mall import Mall
from onestop.usecases.mall_support import Receipt

VERIFIER = officer("verifier-1", "verifier")
PROCESSOR = officer("processor-1", "processor")
APPROVER = officer("approver-1", "approver")
FRONT_OFFICE = officer("front-1", "front_office")
CANARY = Canary.new()
JAKARTA = calendar_for("ID", years=[2025, 2026])


class FixedIds(CountingIds):
    """Counting ids with secrets that are the same in every run, so stores can be compared."""

    def secret(self) -> str:
        return f"secret-{self.count:04d}-fixed"


def _mall(catalogue: Catalogue, store: MemoryStore, clock: ManualClock, **options: Any) -> Mall:
    return Mall(
        catalogue=catalogue,
        store=store,
        clock=clock,
        calendars={"*": JAKARTA},
        ids=FixedIds(),
        **options,
    )


def _receipt(mall: Mall) -> Receipt:
    return mall.submit(
        "izin-usaha",
        channel="online",
        applicant=CANARY.person(),
        answers=answers(CANARY),
        documents=documents(),
        actor=CITIZEN,
    )


def _submit(mall: Mall) -> str:
    return _receipt(mall).application_id


def test_a_kept_application_sees_another_malls_write(catalogue: Catalogue) -> None:
    """A mall that kept an application folds on what another mall wrote to the same store."""
    store, clock = MemoryStore(), ManualClock(START)
    first, second = _mall(catalogue, store, clock), _mall(catalogue, store, clock)
    app_id = _submit(first)
    assert second.application(app_id).version == 1  # now kept by the second mall

    first.act(app_id, "send_back", actor=VERIFIER, inputs={"reason": "Foto buram"})
    seen = second.application(app_id)
    second.act(app_id, "resubmit", actor=CITIZEN)

    assert (seen.state, seen.version) == ("returned", 2)
    assert second.application(app_id).state == "submitted"
    assert second.verify(app_id).ok


def test_a_stale_expected_version_is_refused_after_another_write(catalogue: Catalogue) -> None:
    """An expected version that was current when kept is refused once another mall moved on."""
    store, clock = MemoryStore(), ManualClock(START)
    first, second = _mall(catalogue, store, clock), _mall(catalogue, store, clock)
    app_id = _submit(first)
    second.application(app_id)
    first.act(app_id, "send_back", actor=VERIFIER, inputs={"reason": "Foto buram"})

    with pytest.raises(ConcurrencyConflict):
        second.act(app_id, "resubmit", actor=CITIZEN, expected_version=1)


def test_a_stream_that_no_longer_matches_is_read_again(catalogue: Catalogue) -> None:
    """A kept application whose last hash the store does not hold is replaced by the stored one."""
    store, clock = MemoryStore(), ManualClock(START)
    mall = _mall(catalogue, store, clock)
    app_id = _submit(mall)
    streams = FoldedStreams(size=10)
    stored = mall.application(app_id)
    streams.remember(attrs.evolve(stored, state="issued"), "f" * 64)

    found, last = streams.load(store, app_id)

    assert found == stored
    assert last == store.read(app_id)[-1].hash


def test_tracking_sees_another_malls_write_without_reading_the_stream_twice(
    catalogue: Catalogue,
) -> None:
    """A kept application serves tracking only at the version its row names: after another
    mall's action the status shows the new state, and an unchanged one reads no events."""
    store, clock = MemoryStore(), ManualClock(START)
    first, second = _mall(catalogue, store, clock), _mall(catalogue, store, clock)
    receipt = _receipt(first)
    assert second.track(receipt.number, receipt.lookup_secret, language="id").state == "submitted"
    first.act(receipt.application_id, "send_back", actor=VERIFIER, inputs={"reason": "Foto"})
    assert second.track(receipt.number, receipt.lookup_secret, language="id").state == "returned"

    reads = []
    read = store.read
    store.read = lambda *a, **k: reads.append(a) or read(*a, **k)  # type: ignore[method-assign]
    again = second.track(receipt.number, receipt.lookup_secret, language="id")
    assert (again.state, reads) == ("returned", [])


def test_a_kept_application_is_given_only_at_its_version(catalogue: Catalogue) -> None:
    """`FoldedStreams.kept` answers the application at the version asked, else None."""
    store, clock = MemoryStore(), ManualClock(START)
    app_id = _submit(_mall(catalogue, store, clock))
    streams = FoldedStreams(size=10)
    assert streams.kept(app_id, 1) is None  # not kept yet
    loaded, _ = streams.load(store, app_id)
    assert streams.kept(app_id, 1) is loaded
    assert streams.kept(app_id, 2) is None
    assert streams.kept("another", 1) is None


@pytest.mark.parametrize(("stream_id", "version"), [(1, 1), ("a", True), ("a", "1"), ("a", 1.0)])
def test_kept_refuses_what_is_not_an_id_and_a_version(stream_id: Any, version: Any) -> None:
    """A stream id that is not text, or a version that is not a whole number, is InvalidValue."""
    with pytest.raises(OnestopError):
        FoldedStreams(size=1).kept(stream_id, version)


def test_a_cache_of_size_zero_keeps_nothing(catalogue: Catalogue) -> None:
    """With size 0 every load reads the stream and nothing is kept."""
    store, clock = MemoryStore(), ManualClock(START)
    app_id = _submit(_mall(catalogue, store, clock))
    streams = FoldedStreams(size=0)

    streams.load(store, app_id)

    assert len(streams) == 0


def test_the_cache_forgets_the_oldest_beyond_its_size(catalogue: Catalogue) -> None:
    """A cache of size 2 keeps the two applications stored last."""
    store, clock = MemoryStore(), ManualClock(START)
    mall = _mall(catalogue, store, clock)
    ids = [_submit(mall) for _ in range(3)]
    streams = FoldedStreams(size=2)

    for app_id in ids:
        streams.load(store, app_id)

    assert len(streams) == 2


def test_a_negative_cache_size_is_refused(catalogue: Catalogue) -> None:
    """A negative cache size is a configuration mistake, refused at construction, typed."""
    with pytest.raises(ConfigurationError, match="cache_size"):
        _mall(catalogue, MemoryStore(), ManualClock(START), cache_size=-1)


def test_a_deadline_without_trace_has_the_same_dates(catalogue: Catalogue) -> None:
    """The untraced deadline the read model uses has the dates of the explained one."""
    store, clock = MemoryStore(), ManualClock(START)
    mall = _mall(catalogue, store, clock)
    app_id = _submit(mall)
    clock.advance(hours=2)
    mall.suspend(app_id, reason="system_outage", actor=VERIFIER)
    clock.advance(days=1)
    mall.resume(app_id, actor=VERIFIER)
    application = mall.application(app_id)
    deadlines = Deadlines(size=10)

    plain = deadlines(application, JAKARTA, explain=False)
    explained = application.deadline(JAKARTA)

    assert plain.trace == ()
    assert attrs.evolve(plain, trace=explained.trace) == explained


def test_an_application_at_risk_is_at_risk_from_each_commit(catalogue: Catalogue) -> None:
    """Once at risk, each commit's row says it is at risk from that commit's instant."""
    store, clock = MemoryStore(), ManualClock(START)
    mall = _mall(catalogue, store, clock)
    app_id = _submit(mall)
    found = []
    for requirement in ("ktp", "foto"):
        clock.advance(days=6, hours=requirement == "foto")
        mall.check_document(app_id, requirement, verdict="verified", actor=VERIFIER)
        row = store.summary(app_id)
        assert row is not None
        found.append(row.at_risk_from)

    assert found == [START + timedelta(days=6), START + timedelta(days=12, hours=1)]


STEPS = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=1),  # which application
        st.sampled_from(
            [
                ("act", "send_back", VERIFIER, {"reason": "Foto buram"}),
                ("act", "resubmit", CITIZEN, {}),
                ("act", "verify", VERIFIER, {}),
                ("act", "process", PROCESSOR, {}),
                ("act", "approve", APPROVER, {}),
                ("act", "issue", FRONT_OFFICE, {}),
                ("suspend", "system_outage", VERIFIER, {}),
                ("resume", "", VERIFIER, {}),
                ("check", "ktp", VERIFIER, {}),
                ("check", "foto", VERIFIER, {}),
            ]
        ),
        st.integers(min_value=0, max_value=60 * 60 * 60),  # seconds the clock moves first
    ),
    max_size=25,
)


def _run(mall: Mall, clock: ManualClock, ids: list[str], step: Any) -> str:
    index, (kind, name, actor, inputs), seconds = step
    clock.advance(seconds=seconds)
    app_id = ids[index]
    try:
        if kind == "act":
            mall.act(app_id, name, actor=actor, inputs=inputs)
        elif kind == "suspend":
            mall.suspend(app_id, reason=name, actor=actor)
        elif kind == "resume":
            mall.resume(app_id, actor=actor)
        else:
            mall.check_document(app_id, name, verdict="verified", actor=actor)
    except OnestopError as exc:
        return type(exc).__name__
    return "ok"


def _everything(store: MemoryStore) -> tuple[object, ...]:
    rows = store.summaries(SummaryQuery(include_closed=True, limit=100)).items
    return rows, tuple(store.read(row.stream_id) for row in rows)


@settings(max_examples=100, deadline=None)
@given(STEPS)
def test_kept_state_writes_what_a_mall_without_it_writes(
    catalogue: Catalogue, steps: list[Any]
) -> None:
    """Any command sequence gives the same outcomes, rows, events and public statuses
    (in two languages) with the cache or without."""
    stores = (MemoryStore(), MemoryStore())
    clocks = (ManualClock(START), ManualClock(START))
    malls = (
        _mall(catalogue, stores[0], clocks[0]),
        _mall(catalogue, stores[1], clocks[1], cache_size=0),
    )
    receipts = [[_receipt(mall) for _ in range(2)] for mall in malls]
    ids = [[receipt.application_id for receipt in made] for made in receipts]
    outcomes: list[list[object]] = [[], []]
    for step in steps:
        for k in (0, 1):
            outcome = _run(malls[k], clocks[k], ids[k], step)
            statuses = [
                malls[k].track(r.number, r.lookup_secret, language=language)
                for r in receipts[k]
                for language in ("id", "en")
            ]
            outcomes[k].append((outcome, stores[k].summary(ids[k][step[0]]), statuses))

    assert outcomes[0] == outcomes[1]
    assert _everything(stores[0]) == _everything(stores[1])
    for clock in clocks:
        clock.advance(days=8)
    assert malls[0].overdue().items == malls[1].overdue().items


def test_a_status_is_made_once_per_version_and_language(catalogue: Catalogue) -> None:
    """Tracking an unchanged application again serves the status made the first time, per
    language, even once the application itself is no longer kept; after an action, or
    once the mall forgets the application (an erasure), a new one is made."""
    store, clock = MemoryStore(), ManualClock(START)
    mall = _mall(catalogue, store, clock)
    receipt = _receipt(mall)

    def track(language: str = "id") -> Any:
        return mall.track(receipt.number, receipt.lookup_secret, language=language)

    first = track()
    assert track() is first
    assert track("en") is not first
    assert track("en") is track("en")
    mall._streams.forget(receipt.application_id)  # no longer kept: the status still is
    assert track() is first
    mall.act(receipt.application_id, "send_back", actor=VERIFIER, inputs={"reason": "Foto"})
    after = track()
    assert (after.state, after is first) == ("returned", False)
    mall.forget(receipt.application_id)
    assert track() is not after
    assert track() == after


def test_a_kept_status_still_checks_the_secret(catalogue: Catalogue) -> None:
    """A wrong secret for an application whose status is kept is `ApplicationNotFound`."""
    store, clock = MemoryStore(), ManualClock(START)
    mall = _mall(catalogue, store, clock)
    receipt = _receipt(mall)
    mall.track(receipt.number, receipt.lookup_secret, language="id")
    with pytest.raises(ApplicationNotFound):
        mall.track(receipt.number, receipt.lookup_secret + "x", language="id")


def _tracked(catalogue: Catalogue) -> tuple[Any, Any]:
    """A submitted application, as folded, and its public status in ``id``."""
    mall = _mall(catalogue, MemoryStore(), ManualClock(START))
    receipt = _receipt(mall)
    status = mall.track(receipt.number, receipt.lookup_secret, language="id")
    return mall.application(receipt.application_id), status


def test_statuses_are_kept_per_version_up_to_four_languages(catalogue: Catalogue) -> None:
    """Statuses are given only at the version they were made at; at most four languages
    are kept per version; a later version replaces them and an earlier one is not kept
    over it."""
    application, status = _tracked(catalogue)
    statuses = PublicStatuses(size=10)
    for language in ("id", "en", "fr", "de", "nl"):
        statuses.put(application, language, status)
    kept = [statuses.get(application.id, 1, tag) for tag in ("id", "en", "fr", "de", "nl")]
    assert kept == [(application.secret_digest, status)] * 4 + [None]
    assert statuses.get(application.id, 2, "id") is None
    later = attrs.evolve(application, version=2)
    statuses.put(later, "en", status)
    statuses.put(application, "id", status)  # stale: the later version stays
    assert (statuses.get(application.id, 1, "id"), statuses.get(application.id, 2, "en")) == (
        None,
        (application.secret_digest, status),
    )
    statuses.forget(application.id)
    assert (len(statuses), statuses.get(application.id, 2, "en")) == (0, None)


@pytest.mark.parametrize(
    "arguments",
    [(1, 1, "id"), ("app", True, "id"), ("app", "1", "id"), ("app", 1, None), ("app", 1.0, "id")],
)
def test_asking_for_a_status_with_wrong_types_is_refused(arguments: tuple[Any, ...]) -> None:
    """An id or language that is not text, or a version that is not a whole number (a
    bool is not one), is `InvalidValue`."""
    with pytest.raises(InvalidValue):
        PublicStatuses(size=4).get(*arguments)


def test_keeping_what_is_not_a_status_is_refused(catalogue: Catalogue) -> None:
    """Putting something other than an application, a language and a `PublicStatus` is
    `InvalidValue` naming the argument."""
    application, status = _tracked(catalogue)
    statuses = PublicStatuses(size=4)
    for arguments, field in [
        (("app", "id", status), "application"),
        ((application, 1, status), "language"),
        ((application, "id", {"state": "issued"}), "status"),
    ]:
        with pytest.raises(InvalidValue) as caught:
            statuses.put(*arguments)
        assert caught.value.field == field


def test_an_action_makes_the_kept_statuses_again_for_tracking(catalogue: Catalogue) -> None:
    """After an action, the statuses kept in each language are made at the new version by
    the writer: tracking then reads no events, even once the application is no longer
    kept, and they are those a mall without caches makes."""
    store, clock = MemoryStore(), ManualClock(START)
    mall = _mall(catalogue, store, clock)
    receipt = _receipt(mall)
    for language in ("id", "en"):
        mall.track(receipt.number, receipt.lookup_secret, language=language)
    mall.act(receipt.application_id, "send_back", actor=VERIFIER, inputs={"reason": "Foto"})
    assert mall._statuses.languages(receipt.application_id) == ("id", "en")
    mall._streams.forget(receipt.application_id)
    reads = []
    read = store.read
    store.read = lambda *a, **k: reads.append(a) or read(*a, **k)  # type: ignore[method-assign]
    seen = [mall.track(receipt.number, receipt.lookup_secret, language=t) for t in ("id", "en")]
    assert reads == []
    plain = _mall(catalogue, store, clock, cache_size=0)
    assert seen == [
        plain.track(receipt.number, receipt.lookup_secret, language=t) for t in ("id", "en")
    ]
    assert seen[0].state == "returned"


def test_a_status_that_fails_to_make_after_a_write_is_dropped(
    catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The write still succeeds when its statuses cannot be made again; none is kept, so
    the next lookup makes the status itself (and raises what making it raises)."""
    from onestop.usecases import _mall_queries

    store, clock = MemoryStore(), ManualClock(START)
    mall = _mall(catalogue, store, clock)
    receipt = _receipt(mall)
    mall.track(receipt.number, receipt.lookup_secret, language="id")

    def failing(*_: Any, **__: Any) -> Any:
        raise InvalidValue(field="status", reason="cannot be made")

    monkeypatch.setattr(_mall_queries, "public_status", failing)
    moved = mall.act(receipt.application_id, "send_back", actor=VERIFIER, inputs={"reason": "F"})
    assert (moved.state, mall._statuses.languages(receipt.application_id)) == ("returned", ())
    with pytest.raises(InvalidValue):
        mall.track(receipt.number, receipt.lookup_secret, language="id")


@pytest.mark.parametrize("application_id", [None, 5, b"app", ("a",), "never-tracked"])
def test_languages_of_what_has_no_statuses_are_none(application_id: Any) -> None:
    """`PublicStatuses.languages` of an id with no statuses, or of what is not text, is ()."""
    assert PublicStatuses(size=4).languages(application_id) == ()
