"""`Personal` values that hold nothing: erased (the key destroyed) and withheld (no keys)."""

from __future__ import annotations

import copy
import pickle

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from onestop.domain.common.parties import ERASED_MASK, MASK, Person, Personal
from onestop.exceptions import KeyUnavailable, PersonalDataErased

STATES = {"erased": Personal.erased, "withheld": Personal.withheld}


def test_an_erased_value_shows_the_erased_mask() -> None:
    """repr, str and format of an erased value give the erased mask."""
    erased = Personal.erased()

    assert (repr(erased), str(erased), f"{erased:>40}") == (ERASED_MASK,) * 3


def test_a_withheld_value_shows_the_mask() -> None:
    """A withheld value looks like any other personal value: it may well exist."""
    assert (repr(Personal.withheld()), f"{Personal.withheld()}") == (MASK, MASK)


def test_revealing_an_erased_value_raises_personal_data_erased() -> None:
    """reveal() of an erased value raises PersonalDataErased."""
    with pytest.raises(PersonalDataErased):
        Personal.erased().reveal()


def test_revealing_a_withheld_value_raises_key_unavailable() -> None:
    """reveal() of a value read without keys raises KeyUnavailable."""
    with pytest.raises(KeyUnavailable):
        Personal.withheld().reveal()


def test_the_state_properties_tell_the_three_states_apart() -> None:
    """is_erased and is_available tell held, erased and withheld values apart."""
    states = [Personal("x"), Personal.erased(), Personal.withheld()]

    assert [(p.is_erased, p.is_available) for p in states] == [
        (False, True),
        (True, False),
        (False, False),
    ]


@given(st.one_of(st.none(), st.text(max_size=20)))
def test_an_unavailable_value_equals_no_held_value(value: str | None) -> None:
    """Neither an erased nor a withheld value equals a held one, even one holding None."""
    assert Personal(value) not in (Personal.erased(), Personal.withheld())
    assert Personal.erased() != Personal.withheld()


@pytest.mark.parametrize("state", sorted(STATES))
def test_unavailable_values_of_one_state_are_equal_and_hash_alike(state: str) -> None:
    """Two erased (or two withheld) values compare equal and hash alike."""
    make = STATES[state]

    assert make() == make()
    assert hash(make()) == hash(make())


@pytest.mark.parametrize("state", sorted(STATES))
def test_pickles_and_copies_keep_the_state(state: str) -> None:
    """Pickling, copy and deepcopy keep an erased or withheld state."""
    value = STATES[state]()

    restored = pickle.loads(pickle.dumps(value))  # noqa: S301 - our own bytes
    for again in (restored, copy.copy(value), copy.deepcopy(value)):
        assert again == value
        assert again.is_erased is value.is_erased


def test_a_held_value_survives_pickling() -> None:
    """A held value still pickles as the value it holds."""
    restored = pickle.loads(pickle.dumps(Personal("3171011708450001")))  # noqa: S301 - ours
    assert restored.reveal() == "3171011708450001"


def test_an_unavailable_value_is_immutable() -> None:
    """An erased value refuses attribute assignment and deletion."""
    erased = Personal.erased()

    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        erased._value = "x"  # type: ignore[misc]  # the point of the test
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        del erased._state


def test_a_person_can_hold_erased_fields() -> None:
    """A Person rebuilt with erased values passes its type checks and shows no value."""
    person = Person(
        identity_number=Personal.erased(),
        identity_scheme="id-nik",
        name=Personal.erased(),
        address=Personal.withheld(),
    )

    assert ERASED_MASK in repr(person)
    assert person.name.is_erased
