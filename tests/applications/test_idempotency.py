"""Idempotent submission: a retried request gives the same application and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from application_support import CITIZEN, Canary, CountingIds, ManualClock, answers, documents
from hypothesis import given, settings
from hypothesis import strategies as st

from onestop.domain.catalogue.model import Catalogue
from onestop.domain.common.parties import Representative
from onestop.exceptions import IdempotencyConflict
from onestop.ports.events import SummaryQuery
from onestop.storage.memory import MemoryStore
from onestop.usecases.mall import Mall

CANARY = Canary.new()
PAYLOADS = (
    {"business_name": "Warung A"},
    {"business_name": "Warung B"},
    {"floor_area": 120},
)


def _mall(catalogue: Catalogue, store: MemoryStore | None = None) -> Mall:
    return Mall(
        catalogue=catalogue,
        store=MemoryStore() if store is None else store,
        clock=ManualClock(),
        ids=CountingIds(),
    )


def _submit(mall: Mall, key: str, payload: dict[str, Any], actor: Any = CITIZEN) -> Any:
    return mall.submit(
        "izin-usaha",
        channel="online",
        applicant=CANARY.person(),
        answers=answers(CANARY, **payload),
        documents=documents(),
        actor=actor,
        idempotency_key=key,
    )


def test_same_key_same_payload_replays(mall: Mall, store: MemoryStore) -> None:
    """A retry with the same key and payload gives the same application and writes nothing."""
    first = _submit(mall, "key-1", PAYLOADS[0])
    before = store.notifications(limit=1000)

    again = _submit(mall, "key-1", PAYLOADS[0])

    assert (again.application_id, again.number, again.due) == (
        first.application_id,
        first.number,
        first.due,
    )
    assert again.replayed
    assert again.lookup_secret is None
    assert store.notifications(limit=1000) == before


def test_same_key_different_payload_conflicts(mall: Mall, store: MemoryStore) -> None:
    """Reusing a key with a different payload raises IdempotencyConflict and writes nothing."""
    first = _submit(mall, "key-1", PAYLOADS[0])
    before = store.notifications(limit=1000)

    with pytest.raises(IdempotencyConflict) as caught:
        _submit(mall, "key-1", PAYLOADS[1])

    assert caught.value.application_id == first.application_id
    assert store.notifications(limit=1000) == before


def test_a_retry_is_answered_as_of_its_first_submission(catalogue: Catalogue) -> None:
    """A retry of a request accepted yesterday, whose representative's authorisation ended
    yesterday, gets its receipt: the request is checked as of the first submission, not
    refused for what changed since."""
    clock = ManualClock()
    mall = Mall(catalogue=catalogue, store=MemoryStore(), clock=clock, ids=CountingIds())
    until = clock.now().date()
    helper = Representative(person=Canary.new().person(), authorisation="sk-1", valid_until=until)

    def submit() -> Any:
        return mall.submit(
            "izin-usaha",
            channel="online",
            applicant=CANARY.person(),
            representative=helper,
            answers=answers(CANARY, **PAYLOADS[0]),
            documents=documents(),
            actor=CITIZEN,
            idempotency_key="key-late",
        )

    first = submit()
    clock.advance(days=2)
    again = submit()
    assert (again.application_id, again.replayed) == (first.application_id, True)


class _LateKey(MemoryStore):
    """A store whose first lookup of a key misses it, as when another submission under
    the same key commits between a submission's check and its commit."""

    missed = False

    def idempotency(self, key: str) -> Any:
        if not self.missed:
            self.missed = True
            return None
        return super().idempotency(key)


def test_a_submission_losing_its_keys_race_answers_the_winners_receipt(
    catalogue: Catalogue,
) -> None:
    """A submission whose key was taken while it ran loses the commit, looks again and
    answers the receipt of the application that took the key, writing nothing."""
    store = _LateKey()
    first = _submit(_mall(catalogue, store), "key-race", PAYLOADS[0])
    store.missed = False
    before = store.notifications(limit=1000)
    again = _submit(_mall(catalogue, store), "key-race", PAYLOADS[0])
    assert (again.application_id, again.replayed) == (first.application_id, True)
    assert store.notifications(limit=1000) == before


def test_keys_are_scoped_per_actor(mall: Mall) -> None:
    """The same key from two actors makes two applications."""
    first = _submit(mall, "key-1", PAYLOADS[0])
    other = CITIZEN.__class__(id="citizen-8", roles=frozenset({"applicant"}))

    second = _submit(mall, "key-1", PAYLOADS[0], actor=other)

    assert second.application_id != first.application_id


@settings(max_examples=60, deadline=None)
@given(
    requests=st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, len(PAYLOADS) - 1)), min_size=1, max_size=15
    )
)
def test_side_effects_equal_distinct_keys(
    catalogue: Catalogue, requests: list[tuple[int, int]]
) -> None:
    """Over any sequence of keyed requests: one application per key, else a conflict."""
    mall = _mall(catalogue)
    first: dict[int, tuple[int, str]] = {}
    for key, payload in requests:
        if key in first and first[key][0] != payload:
            with pytest.raises(IdempotencyConflict):
                _submit(mall, f"key-{key}", PAYLOADS[payload])
            continue
        receipt = _submit(mall, f"key-{key}", PAYLOADS[payload])
        if key in first:
            assert receipt.application_id == first[key][1]
            assert receipt.replayed
        else:
            first[key] = (payload, receipt.application_id)
    rows = mall.store.summaries(SummaryQuery(include_closed=True, limit=1000)).items
    assert len(rows) == len(first)
    assert len(mall.store.notifications(limit=1000)) == len(first)
