"""The contract every `onestop.ports.keys.SubjectKeyStore` keeps, as a pytest class to subclass.

Each test turns one promise of the port (or one behaviour of the memory store, the
executable specification) into a check.  Subclass `SubjectKeyStoreContract` in your
adapter's tests and override its ``store`` fixture so that it yields a new, empty
store; override ``twin`` too, so that it opens a second store on the same database
(another connection), and the race test makes two connections race::

    class TestMyKeys(SubjectKeyStoreContract):
        @pytest.fixture
        def store(self, tmp_path):
            with MyStore.open(tmp_path / "store.db") as store:
                yield store

Physical destruction (that a destroyed key's bytes leave the files) depends on the
database and is tested by each adapter's own tests.  This module needs pytest.
"""

# ruff: noqa: S101 - a test suite asserts

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from onestop.exceptions import InvalidStoreInput, InvalidValue, NaiveDatetime, StorageError
from onestop.ports.keys import SubjectKey, SubjectKeyStore, WrappedKey

__all__ = ["K0", "SubjectKeyStoreContract", "make_subject_key"]

K0 = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)
"""The instant the contract's keys are created at."""

_RACERS = 8


def make_subject_key(
    subject: str, *, data: bytes = b"\x01" * 40, master: str = "m1", at: datetime = K0
) -> SubjectKey:
    """Return a live `SubjectKey` for *subject*, wrapped (for the test) as *data* by *master*."""
    return SubjectKey(
        subject=subject, wrapped=WrappedKey(master_key_id=master, data=data), created_at=at
    )


def _wrapped(store: SubjectKeyStore, subject: str) -> bytes | None:
    key = store.subject_keys([subject]).get(subject)
    return None if key is None or key.wrapped is None else key.wrapped.data


_HOSTILE: dict[str, Callable[[Any], object]] = {
    "subjects as text": lambda s: s.destroy_subject_keys("a/applicant", at=K0),
    "a naive instant": lambda s: s.destroy_subject_keys(["a"], at=datetime(2025, 1, 1)),  # noqa: DTZ001
    "an instant that is text": lambda s: s.destroy_subject_keys(["a"], at="2025-01-01"),
    "a huge subject": lambda s: s.destroy_subject_keys(["x" * 100_000], at=K0),
    "a NUL in a subject": lambda s: s.unindex_subjects(["a\x00"]),
    "a subject that is a number": lambda s: s.unindex_subjects([7]),
    "keys that are not a sequence": lambda s: s.add_subject_keys(make_subject_key("a")),
    "a key that is text": lambda s: s.add_subject_keys(["a"]),
    "a subject twice": lambda s: s.add_subject_keys([make_subject_key("a"), make_subject_key("a")]),
    "a destroyed key": lambda s: s.add_subject_keys(
        [SubjectKey(subject="a", wrapped=None, created_at=K0, destroyed_at=K0)]
    ),
    "a naive created_at": lambda s: s.add_subject_keys(
        [make_subject_key("a", at=datetime(2025, 1, 1))]  # noqa: DTZ001
    ),
    "a bytearray": lambda s: s.rewrap_subject_keys(
        [make_subject_key("a", data=bytearray(b"x"))]  # type: ignore[arg-type]
    ),
    "empty key bytes": lambda s: s.add_subject_keys([make_subject_key("a", data=b"")]),
    "huge key bytes": lambda s: s.add_subject_keys([make_subject_key("a", data=b"x" * 10**6)]),
    "a control character in a master key id": lambda s: s.add_subject_keys(
        [make_subject_key("a", master="m\n1")]
    ),
    "a limit of 0": lambda s: s.subject_keys_under("m1", limit=0),
    "a limit that is a boolean": lambda s: s.subject_keys_under("m1", limit=True),
    "a huge limit": lambda s: s.subject_keys_under("m1", limit=2**70),
    "a blind value that is bytes": lambda s: s.index_subject(b"ab", "a"),
    "a subject read as bytes": lambda s: s.subject_keys([b"a"]),
}


class SubjectKeyStoreContract:
    """Behaviour every `onestop.ports.keys.SubjectKeyStore` must have.

    Subclass it (as ``TestMyKeys``) and override `store` and `twin`; see the module
    docstring.
    """

    @pytest.fixture
    def store(self) -> Iterator[SubjectKeyStore]:
        """Yield a new, empty store, and close it afterwards; adapters override this."""
        raise NotImplementedError("override the store fixture")  # pragma: no cover

    @pytest.fixture
    def twin(self, store: SubjectKeyStore) -> SubjectKeyStore:
        """Another store on the same database (the same object unless overridden)."""
        return store

    def test_satisfies_the_port(self, store: SubjectKeyStore) -> None:
        """The store has every method of the SubjectKeyStore protocol."""
        for name in SubjectKeyStore.__dict__:
            if not name.startswith("_"):
                assert callable(getattr(store, name))

    def test_added_keys_come_back_as_given(self, store: SubjectKeyStore) -> None:
        """Adding keys returns them, and reading gives back the same keys."""
        keys = [make_subject_key("b/applicant", data=b"\x02" * 40), make_subject_key("a/x")]
        added = store.add_subject_keys(keys)
        assert added == {key.subject: key for key in keys}
        assert store.subject_keys(["a/x", "b/applicant"]) == added

    def test_a_second_add_keeps_the_first_key(self, store: SubjectKeyStore) -> None:
        """Adding a key for a subject that has one returns the stored key, unchanged."""
        first = make_subject_key("s", data=b"first")
        store.add_subject_keys([first])
        again = store.add_subject_keys(
            [make_subject_key("s", data=b"second"), make_subject_key("t")]
        )
        assert again["s"] == first
        assert _wrapped(store, "s") == b"first"
        assert _wrapped(store, "t") is not None

    def test_unknown_subjects_are_absent(self, store: SubjectKeyStore) -> None:
        """Reading subjects never stored gives nothing for them, even text no store holds."""
        store.add_subject_keys([make_subject_key("s")])
        assert set(store.subject_keys({"s", "t", "\ud800", "x" * 10_000})) == {"s"}
        assert store.subject_keys([]) == {}

    def test_instants_keep_their_instant(self, store: SubjectKeyStore) -> None:
        """A key created at an instant in another time zone comes back at the same instant."""
        jakarta = datetime(2025, 3, 3, 9, 0, 0, 123456, tzinfo=timezone(timedelta(hours=7)))
        store.add_subject_keys([make_subject_key("s", at=jakarta)])
        assert store.subject_keys(["s"])["s"].created_at == jakarta

    def test_subject_text_round_trips(self, store: SubjectKeyStore) -> None:
        """Subjects and blind values of any stored text are kept exactly, quotes included."""
        odd = ["ä/applicant", "x'; DROP TABLE subject_keys; --", "%s", "\\", "🙂" * 64, "a" * 256]
        store.add_subject_keys([make_subject_key(subject) for subject in odd])
        assert set(store.subject_keys(odd)) == set(odd)
        for subject in odd:
            store.index_subject(subject, subject)
            assert store.indexed_subjects(subject) == (subject,)

    # --- destruction ----------------------------------------------------------------

    def test_destroying_keeps_a_tombstone(self, store: SubjectKeyStore) -> None:
        """A destroyed key has no wrapped bytes, its creation instant and its destruction's."""
        store.add_subject_keys([make_subject_key("s"), make_subject_key("t")])
        later = K0 + timedelta(days=3)
        assert store.destroy_subject_keys(["s"], at=later) == 1
        assert store.subject_keys(["s", "t"]) == {
            "s": SubjectKey(subject="s", wrapped=None, created_at=K0, destroyed_at=later),
            "t": make_subject_key("t"),
        }

    def test_destroying_again_counts_nothing_and_keeps_the_first_instant(
        self, store: SubjectKeyStore
    ) -> None:
        """Destroying a destroyed key counts 0 and leaves its destruction instant alone."""
        store.add_subject_keys([make_subject_key("s")])
        store.destroy_subject_keys(["s"], at=K0)
        assert store.destroy_subject_keys(("s",), at=K0 + timedelta(days=1)) == 0
        assert store.subject_keys(["s"])["s"].destroyed_at == K0

    def test_a_destroyed_subject_stays_destroyed(self, store: SubjectKeyStore) -> None:
        """Adding a key for a destroyed subject returns the tombstone and stores nothing."""
        store.add_subject_keys([make_subject_key("s")])
        store.destroy_subject_keys(["s"], at=K0)
        added = store.add_subject_keys([make_subject_key("s", data=b"new")])
        assert added["s"].wrapped is None
        assert _wrapped(store, "s") is None

    def test_destroying_an_unknown_subject_leaves_a_tombstone(self, store: SubjectKeyStore) -> None:
        """A subject destroyed before it had a key can never get one afterwards."""
        assert store.destroy_subject_keys(frozenset({"never"}), at=K0) == 0
        assert store.subject_keys(["never"])["never"].destroyed_at == K0
        assert store.add_subject_keys([make_subject_key("never")])["never"].wrapped is None

    # --- rotation -------------------------------------------------------------------

    def test_rewrapping_replaces_live_keys_only(self, store: SubjectKeyStore) -> None:
        """Rewrapping counts and replaces live keys; destroyed and unknown ones stay as they are."""
        store.add_subject_keys([make_subject_key("live"), make_subject_key("gone")])
        store.destroy_subject_keys(["gone"], at=K0)
        rewrapped = [
            make_subject_key(subject, data=b"\x09" * 40, master="m2")
            for subject in ("gone", "live", "unknown")
        ]
        assert store.rewrap_subject_keys(rewrapped) == 1
        found = store.subject_keys(["gone", "live", "unknown"])
        assert set(found) == {"gone", "live"}
        assert found["live"].wrapped == WrappedKey(master_key_id="m2", data=b"\x09" * 40)
        assert found["live"].created_at == K0
        assert found["gone"].wrapped is None

    def test_keys_under_a_master_key_page_by_subject(self, store: SubjectKeyStore) -> None:
        """Keys under a master key are its live keys in subject order, a page at a time."""
        store.add_subject_keys([make_subject_key(f"s{n}") for n in (3, 1, 4, 2)])
        store.add_subject_keys([make_subject_key("other", master="m2")])
        store.destroy_subject_keys(["s2"], at=K0)
        assert [key.subject for key in store.subject_keys_under("m1", limit=2)] == ["s1", "s3"]
        assert [key.subject for key in store.subject_keys_under("m1", limit=9)] == [
            "s1",
            "s3",
            "s4",
        ]
        store.rewrap_subject_keys([make_subject_key("s1", master="m2")])
        assert [key.subject for key in store.subject_keys_under("m2", limit=9)] == ["other", "s1"]
        assert store.subject_keys_under("m9", limit=9) == ()

    # --- the blind index ------------------------------------------------------------

    def test_the_blind_index_leads_to_its_subjects(self, store: SubjectKeyStore) -> None:
        """A blind value leads to each subject indexed under it once, sorted."""
        store.index_subject("ab12", "b/applicant")
        store.index_subject("ab12", "a/applicant")
        store.index_subject("ab12", "a/applicant")
        store.index_subject("cd34", "a/applicant")
        assert store.indexed_subjects("ab12") == ("a/applicant", "b/applicant")
        assert store.indexed_subjects("ef56") == ()
        assert store.indexed_subjects("\x00") == ()

    def test_unindexing_removes_every_row_of_the_subjects(self, store: SubjectKeyStore) -> None:
        """Unindexing subjects removes their rows under every blind value, and counts them."""
        store.index_subject("ab12", "a/applicant")
        store.index_subject("cd34", "a/applicant")
        store.index_subject("ab12", "b/applicant")
        assert store.unindex_subjects(["a/applicant", "z"]) == 2
        assert store.indexed_subjects("ab12") == ("b/applicant",)
        assert store.indexed_subjects("cd34") == ()
        assert store.unindex_subjects(["a/applicant"]) == 0

    # --- concurrency, input and closing ---------------------------------------------

    def test_racing_writers_agree_on_one_key(
        self, store: SubjectKeyStore, twin: SubjectKeyStore
    ) -> None:
        """Writers racing to add a key for one subject all get the same key back."""
        start = threading.Barrier(_RACERS)

        def add(n: int) -> SubjectKey:
            target = (store, twin)[n % 2]
            start.wait()
            return target.add_subject_keys([make_subject_key("race", data=bytes([n + 1]) * 40)])[
                "race"
            ]

        with ThreadPoolExecutor(_RACERS) as pool:
            results = list(pool.map(add, range(_RACERS)))
        assert len(set(results)) == 1
        assert store.subject_keys(["race"])["race"] == results[0]

    @pytest.mark.parametrize("case", sorted(_HOSTILE))
    def test_bad_input_is_refused(self, store: SubjectKeyStore, case: str) -> None:
        """Bad input is refused, naming the argument, and changes nothing.

        A key value no store can keep is refused when it is built (`InvalidValue`, `NaiveDatetime`);
        the rest by the store (`InvalidStoreInput`).
        """
        store.add_subject_keys([make_subject_key("a")])
        with pytest.raises((InvalidStoreInput, InvalidValue, NaiveDatetime)) as raised:
            _HOSTILE[case](store)
        assert getattr(raised.value, "field", None) or getattr(raised.value, "argument", None)
        assert "x" * 100 not in str(raised.value)
        assert store.subject_keys(["a"]) == {"a": make_subject_key("a")}

    def test_a_closed_store_refuses_calls(self, store: SubjectKeyStore) -> None:
        """After close, the key store's calls raise StorageError."""
        store.close()  # type: ignore[attr-defined]
        with pytest.raises(StorageError):
            store.subject_keys(["a"])
        with pytest.raises(StorageError):
            store.add_subject_keys([make_subject_key("a")])
        with pytest.raises(StorageError):
            store.indexed_subjects("ab")
