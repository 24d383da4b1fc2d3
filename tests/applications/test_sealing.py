"""Personal data sealed per data subject in the stored events, and erased by its keys."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from application_support import CITIZEN, START, CountingIds, ManualClock, document, officer
from application_support import answers as licence_answers

from onestop.calendars import calendar_for
from onestop.domain.applications.application import Verdict, Visibility
from onestop.domain.catalogue.model import Catalogue
from onestop.domain.common.parties import Person, Representative
from onestop.domain.common.subjects import subject_id
from onestop.exceptions import KeyUnavailable, PersonalDataErased, StorageError
from onestop.storage.sqlite import SQLiteStore
from onestop.usecases import streams
from onestop.usecases.applications.codec import APPLICATIONS, request_digest
from onestop.usecases.mall import Mall
from sealing_support import FakeKeys, forms

VERIFIER = officer("verifier-1", "verifier")
CALENDARS = {"*": calendar_for("ID", years=[2025, 2026])}
TOKEN = secrets.token_hex(4)
NIK = "3171015708450003"
NAME = f"Siti Ñurhäyati 李{TOKEN}"
ADDRESS = f"Jl. Kenari Ümit {TOKEN} No. 7"
PHONE = "+6281298765432"
EMAIL = f"Siti.{TOKEN}@Mail.Example"
HELPER_NAME = f"Budi Wakil {TOKEN}"
HELPER_NIK = "3171011708450004"
NOTE = f"called the applicant at home {TOKEN}z"
REASON = f"photo blurred, says neighbour {TOKEN}q"
BUSINESS = f"Warung Rahasia {TOKEN}x"


def _applicant() -> Person:
    return Person.of(
        identity_number=NIK,
        identity_scheme="id-nik",
        name=NAME,
        phone=PHONE,
        email=EMAIL,
        address=ADDRESS,
        birth_date=date(1985, 3, 17),
    )


def _representative() -> Representative:
    helper = Person.of(identity_number=HELPER_NIK, identity_scheme="id-nik", name=HELPER_NAME)
    return Representative(person=helper, authorisation="surat-kuasa-1")


def _mall(catalogue: Catalogue, store: Any, keys: FakeKeys | None) -> Mall:
    return Mall(
        catalogue=catalogue,
        store=store,
        clock=ManualClock(START),
        calendars=CALENDARS,
        ids=CountingIds(),
        keys=keys,
    )


def _documents() -> list[Any]:
    return [document("ktp", "ktp-el", b"scan"), document("foto", "pas-foto", b"photo")]


def _submit(mall: Mall) -> tuple[str, str, str]:
    receipt = mall.submit(
        "izin-usaha",
        channel="online",
        applicant=_applicant(),
        representative=_representative(),
        answers=licence_answers(business_name=BUSINESS, home_address=ADDRESS),
        documents=_documents(),
        actor=CITIZEN,
        idempotency_key="sealed-1",
    )
    app = receipt.application_id
    mall.add_note(app, NOTE, visibility=Visibility.INTERNAL, actor=VERIFIER)
    mall.check_document(app, "foto", verdict=Verdict.REJECTED, reason="blurry", actor=VERIFIER)
    mall.act(app, "send_back", actor=VERIFIER, inputs={"reason": REASON})
    return app, receipt.number, receipt.lookup_secret or ""


def _needles() -> Iterator[bytes]:
    for value in (NAME, ADDRESS, PHONE, PHONE.lstrip("+"), EMAIL, HELPER_NAME, NOTE, REASON):
        yield from forms(value)
    yield from forms(BUSINESS)
    for number in (NIK, HELPER_NIK):
        yield from (number[i : i + 8].encode() for i in range(len(number) - 7))
    yield TOKEN.encode()


@pytest.fixture
def sealed(tmp_path: Path, catalogue: Catalogue) -> Iterator[tuple[Mall, FakeKeys, Path]]:
    keys = FakeKeys()
    path = tmp_path / "store.sqlite3"
    store = SQLiteStore.open(path)
    try:
        yield _mall(catalogue, store, keys), keys, path
    finally:
        store.close()


def _raw(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def test_the_store_file_and_its_wal_hold_no_personal_value(
    sealed: tuple[Mall, FakeKeys, Path],
) -> None:
    """With keys, no personal value is found in the SQLite file or its WAL, in any form."""
    mall, _, path = sealed
    _submit(mall)
    assert Path(f"{path}-wal").exists() or path.stat().st_size > 0
    raw = _raw(path)
    mall.store.close()  # type: ignore[attr-defined]  # a SQLiteStore
    raw += _raw(path)

    assert [needle for needle in _needles() if needle in raw] == []


def test_sealed_values_read_back_with_the_keys(sealed: tuple[Mall, FakeKeys, Path]) -> None:
    """Loaded with the keys, every sealed value is the one submitted."""
    mall, keys, _ = sealed
    app, _, _ = _submit(mall)

    fresh = _mall(mall.catalogue, mall.store, keys).application(app)

    assert fresh.applicant == _applicant()
    assert fresh.representative == _representative()
    assert fresh.answers["business_name"] == BUSINESS
    assert fresh.notes[0].text.reveal() == NOTE
    assert fresh.events[-1].inputs == {"reason": REASON}  # type: ignore[union-attr]


def test_erasure_leaves_a_loadable_verifiable_trackable_application(
    sealed: tuple[Mall, FakeKeys, Path],
) -> None:
    """After the applicant's key is destroyed the application loads with its fields erased."""
    mall, keys, _ = sealed
    app, number, secret = _submit(mall)
    keys.erase(subject_id(app))
    mall.forget(app)

    erased = mall.application(app)

    assert isinstance(erased.applicant, Person)
    assert erased.applicant.name.is_erased
    assert repr(erased.applicant.identity_number) == "<personal data erased>"
    with pytest.raises(PersonalDataErased):
        erased.applicant.identity_number.reveal()
    assert erased.answers == {}
    assert erased.notes[0].text.is_erased
    assert erased.representative is not None
    assert erased.representative.person.name.reveal() == HELPER_NAME  # another subject
    assert mall.verify(app).ok
    records = mall.store.read(app)
    assert streams.audit(APPLICATIONS, app, records, keys=keys).ok
    assert mall.track(number, secret, language="en").state == erased.state
    assert keys.forgotten == [subject_id(app), subject_id(app, "representative")]


def test_a_mall_without_keys_reads_sealed_values_as_withheld(
    sealed: tuple[Mall, FakeKeys, Path],
) -> None:
    """Without keys a sealed store verifies, audits and loads, its personal values withheld."""
    mall, _, _ = sealed
    app, _, _ = _submit(mall)
    bare = _mall(mall.catalogue, mall.store, None)

    withheld = bare.application(app)

    assert isinstance(withheld.applicant, Person)
    assert not withheld.applicant.name.is_available
    assert not withheld.applicant.name.is_erased
    with pytest.raises(KeyUnavailable):
        withheld.applicant.name.reveal()
    assert withheld.answers == {}
    assert bare.verify(app).ok
    assert streams.audit(APPLICATIONS, app, mall.store.read(app)).ok


def test_stored_bodies_are_a_function_of_the_event_and_the_keys(
    sealed: tuple[Mall, FakeKeys, Path],
) -> None:
    """Encoding a stored event again with the same keys gives its stored bytes."""
    mall, keys, _ = sealed
    app, _, _ = _submit(mall)
    records = mall.store.read(app)
    events = list(streams.events_of(APPLICATIONS, app, records, keys=keys))

    again = [
        streams.encode(APPLICATIONS, app, event, keys=keys, subject=subject_id(app))
        for event in events
    ]

    assert again == [record.body for record in records]


def test_a_token_copied_into_another_stream_does_not_open(
    sealed: tuple[Mall, FakeKeys, Path],
) -> None:
    """A sealed body moved to another stream id fails to decode, naming no value."""
    mall, keys, _ = sealed
    app, _, _ = _submit(mall)
    first = mall.store.read(app)[0]
    moved = first.body.replace(f'"stream_id":"{app}"'.encode(), b'"stream_id":"other"')

    with pytest.raises(StorageError) as caught:
        streams.decode(APPLICATIONS, "other", first.kind, moved, keys=keys)
    assert TOKEN not in str(caught.value)


def test_the_request_digest_is_keyed_with_keys(sealed: tuple[Mall, FakeKeys, Path]) -> None:
    """With keys the idempotency digest differs from the plain one, and retries still replay."""
    mall, keys, _ = sealed
    app, _, _ = _submit(mall)
    submitted = mall.application(app).events[0]

    keyed = request_digest(submitted, keys=keys)  # type: ignore[arg-type]

    assert keyed != request_digest(submitted)  # type: ignore[arg-type]
    assert keyed == keys.blind_index("onestop-request", request_digest(submitted))  # type: ignore[arg-type]
    again = mall.submit(
        "izin-usaha",
        channel="online",
        applicant=_applicant(),
        representative=_representative(),
        answers=licence_answers(business_name=BUSINESS, home_address=ADDRESS),
        documents=_documents(),
        actor=CITIZEN,
        idempotency_key="sealed-1",
    )
    assert again.replayed
    assert again.application_id == app
