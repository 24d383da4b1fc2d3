"""The memory store keeps subject keys and the blind index as `SubjectKeyStore` promises."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from privacy_support import START

from onestop.exceptions import InvalidStoreInput, StorageError
from onestop.ports.keys import SubjectKey, SubjectKeyStore, WrappedKey
from onestop.storage.memory import MemoryStore

LATER = datetime(2026, 5, 1, tzinfo=UTC)


def _key(subject: str, master: str = "mk-1", data: bytes = b"wrapped") -> SubjectKey:
    return SubjectKey(
        subject=subject, wrapped=WrappedKey(master_key_id=master, data=data), created_at=START
    )


def test_the_memory_store_is_a_subject_key_store(store: MemoryStore) -> None:
    """MemoryStore implements the SubjectKeyStore port."""
    assert isinstance(store, SubjectKeyStore)


def test_adding_keeps_the_first_key_of_a_subject(store: MemoryStore) -> None:
    """A second key for a subject is not stored: both writers get the first one back."""
    first, second = _key("a/applicant", data=b"one"), _key("a/applicant", data=b"two")
    assert store.add_subject_keys([first]) == {"a/applicant": first}
    assert store.add_subject_keys([second, _key("b/applicant")])["a/applicant"] == first
    assert store.subject_keys(["a/applicant", "b/applicant", "c/applicant"]).keys() == {
        "a/applicant",
        "b/applicant",
    }


def test_destroying_keeps_a_tombstone_that_never_revives(store: MemoryStore) -> None:
    """A destroyed key loses its bytes for good: adding or rewrapping never brings it back."""
    store.add_subject_keys([_key("a/applicant")])
    assert store.destroy_subject_keys(["a/applicant", "never/applicant"], at=LATER) == 1
    assert store.destroy_subject_keys(["a/applicant"], at=START) == 0
    tombstone = store.subject_keys(["a/applicant"])["a/applicant"]
    assert (tombstone.wrapped, tombstone.destroyed_at, tombstone.created_at) == (None, LATER, START)
    assert store.add_subject_keys([_key("a/applicant")])["a/applicant"] == tombstone
    assert store.add_subject_keys([_key("never/applicant")])["never/applicant"].wrapped is None
    assert store.rewrap_subject_keys([_key("a/applicant", master="mk-2")]) == 0
    assert store.subject_keys(["a/applicant"])["a/applicant"] == tombstone


def test_rewrapping_pages_keys_away_from_a_master_key(store: MemoryStore) -> None:
    """subject_keys_under lists live keys of a master key by subject; rewrapped ones leave it."""
    store.add_subject_keys([_key(f"{n}/applicant") for n in "cab"] + [_key("d/applicant", "mk-2")])
    page = store.subject_keys_under("mk-1", limit=2)
    assert [k.subject for k in page] == ["a/applicant", "b/applicant"]
    moved = [
        SubjectKey(
            subject=k.subject, wrapped=WrappedKey(master_key_id="mk-2", data=b"n"), created_at=LATER
        )
        for k in page
    ]
    assert store.rewrap_subject_keys(moved) == 2
    assert [k.subject for k in store.subject_keys_under("mk-1", limit=2)] == ["c/applicant"]
    assert store.subject_keys(["a/applicant"])["a/applicant"].created_at == START


def test_the_blind_index_names_subjects_until_they_are_unindexed(store: MemoryStore) -> None:
    """index_subject is idempotent; indexed_subjects is sorted; unindex removes every row."""
    for blind, subject in (
        ("h1", "b/applicant"),
        ("h1", "a/applicant"),
        ("h1", "a/applicant"),
        ("h2", "a/applicant"),
    ):
        store.index_subject(blind, subject)
    assert store.indexed_subjects("h1") == ("a/applicant", "b/applicant")
    assert store.unindex_subjects(["a/applicant"]) == 2
    assert (store.indexed_subjects("h1"), store.indexed_subjects("h2")) == (("b/applicant",), ())
    assert store.indexed_subjects("\x00") == ()


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda s: s.add_subject_keys(["a/applicant"]), "keys[0]"),
        (lambda s: s.add_subject_keys("a"), "keys"),
        (lambda s: s.subject_keys([1]), "subjects[0]"),
        (lambda s: s.destroy_subject_keys([""], at=LATER), "subjects[0]"),
        (lambda s: s.destroy_subject_keys(["a"], at=datetime(2026, 1, 1)), "at"),  # noqa: DTZ001
        (
            lambda s: s.rewrap_subject_keys(
                [SubjectKey(subject="a", wrapped=None, created_at=START, destroyed_at=START)]
            ),
            "keys[0]",
        ),
        (lambda s: s.subject_keys_under("mk-1", limit=0), "limit"),
        (lambda s: s.subject_keys_under(1, limit=1), "master_key_id"),
        (lambda s: s.index_subject("h", "a" * 300), "subject"),
        (lambda s: s.indexed_subjects(b"h"), "blind"),
        (lambda s: s.unindex_subjects(None), "subjects"),
    ],
)
def test_malformed_input_is_refused_before_anything_changes(
    store: MemoryStore, call: object, field: str
) -> None:
    """A malformed argument is an InvalidStoreInput naming it, and nothing is stored."""
    with pytest.raises(InvalidStoreInput) as refused:
        call(store)  # type: ignore[operator]
    assert refused.value.field == field
    assert store._subject_keys == {}
    assert store._blind == {}


def test_a_closed_store_refuses_key_calls(store: MemoryStore) -> None:
    """After close, the subject key methods raise StorageError."""
    store.close()
    with pytest.raises(StorageError):
        store.subject_keys(["a/applicant"])
