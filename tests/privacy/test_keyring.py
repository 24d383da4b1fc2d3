"""The keyring: values sealed per subject, erased subjects, blind indexes, subject ids."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from privacy_support import HandClock

from onestop.exceptions import InvalidValue, KeyUnavailable, PersonalDataErased, StorageError
from onestop.ports.keys import PersonalDataKeys
from onestop.privacy import (
    BLIND_INDEX_SUBJECT,
    Keyring,
    StaticKeyProvider,
    subject_id,
    subject_parts,
)
from onestop.storage.memory import MemoryStore

ANI = "app-1/applicant"
LATER = datetime(2026, 4, 1, tzinfo=UTC)

# Text as a person may type it: any code point UTF-8 can carry (no lone surrogates).
TEXT = st.text(st.characters(exclude_categories=["Cs"]))


@pytest.fixture(scope="module")
def shared() -> Keyring:
    """One keyring for the Hypothesis tests (fixtures are not reset between examples)."""
    return Keyring(StaticKeyProvider.generate(), MemoryStore())


def test_a_keyring_is_personal_data_keys(keyring: Keyring) -> None:
    """Keyring implements the PersonalDataKeys port."""
    assert isinstance(keyring, PersonalDataKeys)


@given(value=TEXT, context=st.binary(max_size=40))
def test_any_text_round_trips(shared: Keyring, value: str, context: bytes) -> None:
    """Any Unicode text, sealed as UTF-8 under a subject and context, opens to itself."""
    token = shared.seal(ANI, value.encode("utf-8"), context=context)
    assert token.isascii()
    assert shared.open(ANI, token, context=context) == value.encode("utf-8")


@given(value=st.binary())
def test_sealing_is_deterministic_per_subject(shared: Keyring, value: bytes) -> None:
    """The same subject, value and context give the same token; another subject another."""
    token = shared.seal(ANI, value, context=b"app-1")
    assert shared.seal(ANI, value, context=b"app-1") == token
    assert shared.seal("app-2/applicant", value, context=b"app-1") != token


def test_a_token_opens_only_under_its_subject_and_context(keyring: Keyring) -> None:
    """A token opened under another subject or context, or altered, is a StorageError."""
    token = keyring.seal(ANI, b"Siti Rahayu", context=b"app-1")
    keyring.seal("app-1/representative", b"anything", context=b"app-1")
    for subject, context, text in (
        ("app-1/representative", b"app-1", token),
        (ANI, b"app-2", token),
        (ANI, b"app-1", token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]),
    ):
        with pytest.raises(StorageError) as refused:
            keyring.open(subject, text, context=context)
        assert "Siti" not in str(refused.value)
        assert text not in str(refused.value)


def test_a_subject_without_a_key_cannot_open(keyring: Keyring) -> None:
    """Opening under a subject that never had a key is a StorageError, and makes no key."""
    token = keyring.seal(ANI, b"x", context=b"c")
    with pytest.raises(StorageError):
        keyring.open("app-9/applicant", token, context=b"c")
    assert keyring._store.subject_keys(["app-9/applicant"]) == {}  # type: ignore[attr-defined]


def test_a_destroyed_subject_opens_as_none_and_cannot_seal(
    keyring: Keyring, store: MemoryStore
) -> None:
    """Once its key is destroyed and forgotten, its tokens open as None; sealing refuses."""
    token = keyring.seal(ANI, b"Siti", context=b"c")
    other = keyring.seal("app-2/applicant", b"Budi", context=b"c")
    assert store.destroy_subject_keys([ANI], at=LATER) == 1
    keyring.forget([ANI])
    assert keyring.open(ANI, token, context=b"c") is None
    assert keyring.open(ANI, "s1.garbage", context=b"c") is None
    assert keyring.open("app-2/applicant", other, context=b"c") == b"Budi"
    with pytest.raises(PersonalDataErased) as refused:
        keyring.seal(ANI, b"new", context=b"c")
    assert refused.value.subject == ANI


def test_two_keyrings_racing_on_a_subject_agree_on_one_key(store: MemoryStore) -> None:
    """Two keyrings sealing for a new subject on one store end with one key between them."""
    provider = StaticKeyProvider.generate()
    first, second = Keyring(provider, store), Keyring(provider, store)
    token = first.seal(ANI, b"Siti", context=b"c")
    assert second.seal(ANI, b"Siti", context=b"c") == token
    assert second.open(ANI, token, context=b"c") == b"Siti"


def test_a_keyring_uses_the_key_the_store_kept_when_it_lost_the_race(
    clock: HandClock, store: MemoryStore
) -> None:
    """When the store already holds another writer's key, seal uses that key, not its own."""
    provider = StaticKeyProvider.generate()
    winner = Keyring(provider, store)
    loser = Keyring(provider, store)
    real = store.subject_keys

    def late(subjects: object) -> object:  # the loser looked before the winner wrote
        return {}

    loser._store = type("Late", (), {})()  # type: ignore[assignment]
    loser._store.subject_keys = late  # type: ignore[attr-defined]
    loser._store.add_subject_keys = store.add_subject_keys  # type: ignore[attr-defined]
    token = winner.seal(ANI, b"Siti", context=b"c")
    assert loser.seal(ANI, b"Siti", context=b"c") == token
    assert real([ANI])[ANI].wrapped is not None


def test_a_missing_master_key_is_unavailable(store: MemoryStore) -> None:
    """Opening with a provider that lacks the master key raises KeyUnavailable."""
    token = Keyring(StaticKeyProvider.generate("mk-1"), store).seal(ANI, b"x", context=b"c")
    with pytest.raises(KeyUnavailable):
        Keyring(StaticKeyProvider.generate("mk-2"), store).open(ANI, token, context=b"c")


@given(
    number=st.text("0123456789", min_size=1, max_size=20),
    noise=st.lists(st.sampled_from([" ", "-", ".", "/", "\u3000"]), max_size=4),
)
def test_a_blind_index_ignores_spacing_and_case(
    shared: Keyring, number: str, noise: list[str]
) -> None:
    """Numbers differing only in spaces, dashes, dots, slashes or the scheme's case index alike."""
    spaced = "".join(noise) + number + "".join(noise)
    assert shared.blind_index("ID-NIK", spaced) == shared.blind_index("id-nik", number)


def test_a_blind_index_is_keyed_per_store(store: MemoryStore) -> None:
    """The index is hex HMAC-SHA256, stable for one store's key, and differs on another store."""
    provider = StaticKeyProvider.generate()
    first = Keyring(provider, store).blind_index("id-nik", "3171015708450001")
    again = Keyring(provider, store).blind_index("id-nik", "3171015708450001")
    elsewhere = Keyring(provider, MemoryStore()).blind_index("id-nik", "3171015708450001")
    assert first == again != elsewhere
    assert len(first) == 64
    assert int(first, 16) >= 0
    assert "3171015708450001" not in repr(store.subject_keys([BLIND_INDEX_SUBJECT]))
    assert Keyring(provider, store).blind_index("kr-rrn", "3171015708450001") != first


def test_a_destroyed_blind_index_key_is_unavailable(store: MemoryStore) -> None:
    """If the blind index key was destroyed, blind_index raises KeyUnavailable."""
    store.destroy_subject_keys([BLIND_INDEX_SUBJECT], at=LATER)
    with pytest.raises(KeyUnavailable):
        Keyring(StaticKeyProvider.generate(), store).blind_index("id-nik", "1")


@pytest.mark.parametrize(
    ("scheme", "number", "field"),
    [
        ("", "1", "scheme"),
        ("a:b", "1", "scheme"),
        ("id-nik", " - ", "number"),
        (1, "1", "scheme"),
        ("id-nik", "1\x00", "number"),
        ("id-nik", "9" * 300, "number"),
    ],
)
def test_nothing_to_index_is_an_invalid_value(
    keyring: Keyring, scheme: object, number: object, field: str
) -> None:
    """A scheme or number that is not text, or holds nothing to index, is an InvalidValue."""
    with pytest.raises(InvalidValue) as refused:
        keyring.blind_index(scheme, number)  # type: ignore[arg-type]
    assert refused.value.field == field


def test_subject_ids_are_checked_and_parsed_back() -> None:
    """subject_id joins an application id and a role; subject_parts splits it back."""
    assert subject_id("app-1", "applicant") == ANI
    assert subject_parts("a/b/representative") == ("a/b", "representative")
    for application_id, role in (
        ("app-1", "courier"),
        ("", "applicant"),
        ("$x", "applicant"),
        ("a\nb", "applicant"),
        (1, "applicant"),
        ("a" * 300, "applicant"),
    ):
        with pytest.raises(InvalidValue):
            subject_id(application_id, role)  # type: ignore[arg-type]
    for subject in ("app-1", "app-1/courier", BLIND_INDEX_SUBJECT, "/applicant", 7):
        with pytest.raises(InvalidValue):
            subject_parts(subject)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda k: k.seal(BLIND_INDEX_SUBJECT, b"x", context=b"c"), "subject"),
        (lambda k: k.seal("", b"x", context=b"c"), "subject"),
        (lambda k: k.seal(ANI, "x", context=b"c"), "plaintext"),
        (lambda k: k.seal(ANI, b"x", context="c"), "context"),
        (lambda k: k.open(ANI, b"s1.", context=b"c"), "token"),
        (lambda k: k.open(7, "s1.", context=b"c"), "subject"),
        (lambda k: k.forget("app-1/applicant"), "subjects"),
        (lambda k: k.forget([1]), "subjects[0]"),
        (lambda k: k.rotate(page=0), "page"),
        (lambda k: k.rotate(retired="mk-1"), "retired"),
        (lambda k: k.rotate(retired=[""]), "retired[0]"),
    ],
)
def test_hostile_arguments_are_invalid_values(keyring: Keyring, call: object, field: str) -> None:
    """A hostile subject, value, context, token or option is an InvalidValue naming it."""
    with pytest.raises(InvalidValue) as refused:
        call(keyring)  # type: ignore[operator]
    assert refused.value.field == field


def test_an_opener_opens_as_open_does_and_honours_forget(
    keyring: Keyring, store: MemoryStore
) -> None:
    """An opener opens a cached subject's tokens; after forget it reads an erased one as None."""
    assert keyring.opener(ANI) is None  # no key cached yet
    token = keyring.seal(ANI, b"Siti", context=b"c")
    opener = keyring.opener(ANI)
    assert opener is not None
    assert opener(token, b"c") == b"Siti"
    with pytest.raises(StorageError):
        opener(token, b"other")
    store.destroy_subject_keys([ANI], at=LATER)
    keyring.forget([ANI])
    assert opener(token, b"c") is None
