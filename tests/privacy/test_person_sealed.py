"""A Person's personal fields are stored sealed as one value, and read back field by field."""

from __future__ import annotations

import json

from onestop.domain.common.parties import Person
from onestop.privacy import Keyring, StaticKeyProvider
from onestop.storage.memory import MemoryStore
from onestop.usecases.applications.codec import APPLICATIONS
from onestop.usecases.sealing import PERSON_SEALED, SEALED, opening_scope, sealing_scope

CONVERTER = APPLICATIONS.converter
SITI = Person.of(identity_number="3171015708450001", identity_scheme="id-nik", name="Siti")


def _stored(keys: Keyring) -> dict[str, object]:
    with sealing_scope(keys, stream_id="app-1", subject="app-1/applicant"):
        return json.loads(json.dumps(CONVERTER.unstructure(SITI, Person)))


def test_a_person_is_sealed_as_one_value_naming_its_held_fields() -> None:
    """The stored person holds one sealed value, the names of its fields, and no plain value."""
    stored = _stored(Keyring(StaticKeyProvider.generate(), MemoryStore()))
    assert set(stored[PERSON_SEALED]) == {"held", "value"}  # type: ignore[arg-type]
    assert stored[PERSON_SEALED]["held"] == ["identity_number", "name"]  # type: ignore[index]
    assert SEALED in stored[PERSON_SEALED]["value"]  # type: ignore[index]
    assert "Siti" not in json.dumps(stored)


def test_a_sealed_person_reads_back_whole_and_withheld_without_keys() -> None:
    """With keys it reads back equal; without, its held fields are withheld, absent ones None."""
    keys = Keyring(StaticKeyProvider.generate(), MemoryStore())
    stored = _stored(keys)
    with opening_scope(keys, stream_id="app-1"):
        assert CONVERTER.structure(stored, Person) == SITI
    with opening_scope(None, stream_id="app-1"):
        withheld = CONVERTER.structure(stored, Person)
    assert not withheld.name.is_available
    assert not withheld.identity_number.is_available
    assert withheld.phone is None
    assert withheld.identity_scheme == "id-nik"
