"""The data protection desk: holds, refusals, erasure, interrupted erasures, sweeps, export."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from privacy_desk_support import (
    ARCHIVE,
    CITIZEN,
    DOCUMENTS,
    FRONT,
    KEEP_30_DAYS,
    LICENCE,
    DeskClock,
    answers,
    person,
    sealed_mall,
)

from onestop.domain.applications.events import Visibility
from onestop.domain.applications.privacy import ErasePersonalData
from onestop.domain.catalogue.retention import Retention
from onestop.domain.common.parties import Personal, Representative
from onestop.domain.common.subjects import subject_id
from onestop.domain.courier.jobs import TimeWindow
from onestop.exceptions import (
    ApplicationNotFound,
    CommandRefused,
    ConfigurationError,
    ErasureRefused,
    IdempotencyConflict,
    InvalidValue,
    StorageError,
)
from onestop.privacy import StaticKeyProvider
from onestop.storage.memory import MemoryStore
from onestop.usecases.courier.desk import CourierDesk
from onestop.usecases.mall import Mall
from onestop.usecases.privacy import Erasure, PrivacyDesk

NIK = "3171015708850003"
HELPER_NIK = "3171014403900007"
NAME = "Siti Zubaedah Rahmawati"
ADDRESS = "Jl. Somba Opu 77, Makassar"
HOME = "Jl. Kanari 7, Makassar"
BASIS = "UU 27/2022 art. 8"


@pytest.fixture
def clock() -> DeskClock:
    return DeskClock()


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


def _desk(store: MemoryStore, clock: DeskClock, retention: Retention | None = None) -> PrivacyDesk:
    return PrivacyDesk(sealed_mall(store, clock=clock, retention=retention))


def _submit(desk: PrivacyDesk, *, name: str = NAME, **extra: Any) -> str:
    receipt = desk._mall.submit(
        "izin-usaha",
        channel="online",
        applicant=person(NIK, name, ADDRESS),
        answers=answers(HOME),
        documents=DOCUMENTS,
        actor=CITIZEN,
        **extra,
    )
    return receipt.application_id


def _closed(desk: PrivacyDesk, **extra: Any) -> str:
    application_id = _submit(desk, **extra)
    desk._mall.withdraw(application_id, reason="applicant_request", actor=CITIZEN)
    return application_id


def _refusal(desk: PrivacyDesk, reference: str, *, overriding: bool = False) -> str:
    with pytest.raises(ErasureRefused) as refused:
        desk.erase(reference, legal_basis=BASIS, actor=FRONT, overriding=overriding)
    return refused.value.rule


def _live(store: MemoryStore, application_id: str) -> bool:
    subject = subject_id(application_id, "applicant")
    return store.subject_keys((subject,))[subject].live


def test_a_desk_needs_a_mall_that_seals(store: MemoryStore) -> None:
    """A mall without keys is refused with ConfigurationError, and a non-mall with InvalidValue."""
    from privacy_desk_support import LICENCE

    with pytest.raises(ConfigurationError):
        PrivacyDesk(Mall(catalogue=LICENCE, store=store))
    with pytest.raises(InvalidValue):
        PrivacyDesk(store)  # type: ignore[arg-type]


def test_an_open_application_is_refused_by_the_open_rule(
    store: MemoryStore, clock: DeskClock
) -> None:
    """An application still open is refused by rule 'open', even overriding, and nothing changes."""
    desk = _desk(store, clock)
    application_id = _submit(desk)
    version = desk.application(application_id).version
    assert _refusal(desk, application_id, overriding=True) == "open"
    assert desk.application(application_id).version == version
    assert _live(store, application_id)


def test_a_legal_hold_refuses_until_it_is_lifted(store: MemoryStore, clock: DeskClock) -> None:
    """A hold placed through the desk refuses erasure by rule 'legal_hold'; lifted, it erases."""
    desk = _desk(store, clock)
    application_id = _closed(desk)
    number = desk.application(application_id).number
    held = desk.place_hold(number, "PN-JKT-2026-17", reason="court_order", actor=FRONT)
    assert [hold.hold_id for hold in held.holds] == ["PN-JKT-2026-17"]
    assert _refusal(desk, number, overriding=True) == "legal_hold"
    assert desk.lift_hold(application_id, "PN-JKT-2026-17", actor=FRONT).holds == ()
    assert desk.erase(number, legal_basis=BASIS, actor=FRONT).keys_destroyed == 1


def test_holds_are_refused_twice_unknown_or_after_erasure(
    store: MemoryStore, clock: DeskClock
) -> None:
    """A hold placed twice, a hold lifted that is not on, and a hold on erased data are refused."""
    desk = _desk(store, clock)
    application_id = _closed(desk)
    desk.place_hold(application_id, "H-1", reason="audit", actor=FRONT)
    with pytest.raises(CommandRefused):
        desk.place_hold(application_id, "H-1", reason="audit", actor=FRONT)
    with pytest.raises(CommandRefused):
        desk.lift_hold(application_id, "H-2", actor=FRONT)
    desk.lift_hold(application_id, "H-1", actor=FRONT)
    desk.erase(application_id, legal_basis=BASIS, actor=FRONT)
    with pytest.raises(CommandRefused):
        desk.place_hold(application_id, "H-3", reason="audit", actor=FRONT)


def test_an_archive_rule_refuses_even_an_overriding_erasure(
    store: MemoryStore, clock: DeskClock
) -> None:
    """A service that archives refuses erasure by rule 'archive', overriding or not."""
    desk = _desk(store, clock, ARCHIVE)
    application_id = _closed(desk)
    assert _refusal(desk, application_id) == "archive"
    assert _refusal(desk, application_id, overriding=True) == "archive"
    assert _live(store, application_id)


def test_the_keep_period_refuses_unless_overriding(store: MemoryStore, clock: DeskClock) -> None:
    """Within the keep period erasure is refused by rule 'retention'; overriding erases."""
    desk = _desk(store, clock, KEEP_30_DAYS)
    application_id = _closed(desk)
    assert _refusal(desk, application_id) == "retention"
    done = desk.erase(application_id, legal_basis=BASIS, actor=FRONT, overriding=True)
    assert done.keys_destroyed == 1
    assert desk.application(application_id).erased is not None


def test_the_keep_period_run_out_lets_erasure_through(store: MemoryStore, clock: DeskClock) -> None:
    """Once the keep period has run out, an erasure that does not override goes through."""
    desk = _desk(store, clock, KEEP_30_DAYS)
    application_id = _closed(desk)
    clock.advance(days=31)
    assert desk.erase(application_id, legal_basis=BASIS, actor=FRONT).keys_destroyed == 1


def test_a_retry_after_erasure_confirms_nothing(store: MemoryStore, clock: DeskClock) -> None:
    """Once an application is erased, its idempotency key answers IdempotencyConflict to any
    body, the original one too: a 200 would confirm a guess of the erased values."""
    desk = _desk(store, clock)
    application_id = _closed(desk, idempotency_key="retry-key-0001")
    desk.erase(application_id, legal_basis=BASIS, actor=FRONT, overriding=True)
    for name in (NAME, "Another Name"):
        with pytest.raises(IdempotencyConflict) as refused:
            _submit(desk, name=name, idempotency_key="retry-key-0001")
        assert refused.value.application_id == application_id


def test_erase_by_number_and_by_id(store: MemoryStore, clock: DeskClock) -> None:
    """An application is erased by its number or by its id, and reads erased afterwards."""
    desk = _desk(store, clock)
    by_number, by_id = _closed(desk), _closed(desk)
    number = desk.application(by_number).number
    first = desk.erase(number, legal_basis=BASIS, actor=FRONT)
    second = desk.erase(by_id, legal_basis=BASIS, actor=FRONT)
    assert (first.application_id, first.number) == (by_number, number)
    assert second.application_id == by_id
    for application_id in (by_number, by_id):
        application = desk.application(application_id)
        assert application.applicant.name.is_erased
        assert application.answers == {}
        assert desk._mall.verify(application_id).ok


def test_an_unknown_reference_is_not_found(store: MemoryStore, clock: DeskClock) -> None:
    """A reference that is neither a number nor an id raises ApplicationNotFound, which never
    repeats it (it may be an identity number typed into the wrong box)."""
    desk = _desk(store, clock)
    for reference in ("dpmptsp/izin-usaha/2026/999999", NIK, NAME):
        with pytest.raises(ApplicationNotFound) as missing:
            desk.erase(reference, legal_basis=BASIS, actor=FRONT)
        assert missing.value.reference is None
        assert reference not in str(missing.value)


def test_erase_person_erases_what_it_may_and_names_what_it_may_not(
    store: MemoryStore, clock: DeskClock
) -> None:
    """Of a person's two applications, the closed one is erased and the open one refused."""
    desk = _desk(store, clock)
    closed, still_open = _closed(desk), _submit(desk)
    results = desk.erase_person("id-nik", NIK, legal_basis=BASIS, actor=FRONT)
    assert [type(r) for r in results] == [Erasure, ErasureRefused]
    assert isinstance(results[0], Erasure)
    assert results[0].application_id == closed
    assert isinstance(results[1], ErasureRefused)
    assert results[1].rule == "open"
    assert desk.application(closed).applicant.name.is_erased
    assert desk.application(still_open).applicant.name.reveal() == NAME
    assert [a.id for a in desk.applications_of("id-nik", NIK)] == [still_open]


def _interrupted(desk: PrivacyDesk) -> str:
    """An erasure recorded in the stream whose keys were never destroyed (a crash between)."""
    application_id = _closed(desk)
    command = ErasePersonalData(legal_basis=BASIS, actor=FRONT, overriding=True)
    desk._mall.execute(application_id, command)
    return application_id


def test_erase_finishes_an_interrupted_erasure(store: MemoryStore, clock: DeskClock) -> None:
    """An erasure recorded without its keys destroyed is finished by erase, once."""
    desk = _desk(store, clock)
    application_id = _interrupted(desk)
    assert _live(store, application_id)
    version = desk.application(application_id).version
    done = desk.erase(application_id, legal_basis=BASIS, actor=FRONT)
    assert done.keys_destroyed == 1
    assert not _live(store, application_id)
    assert desk.application(application_id).version == version  # no second record
    assert desk.application(application_id).applicant.name.is_erased
    again = desk.erase(application_id, legal_basis=BASIS, actor=FRONT)
    assert again.keys_destroyed == 0


def test_sweep_finishes_an_interrupted_erasure(store: MemoryStore, clock: DeskClock) -> None:
    """The sweep finishes an erasure recorded without its keys destroyed, even with no keep rule."""
    desk = _desk(store, clock)
    application_id = _interrupted(desk)
    number = desk.application(application_id).number
    report = desk.sweep(actor=FRONT)
    assert report.due == (number,)
    assert [e.application_id for e in report.erased] == [application_id]
    assert not _live(store, application_id)
    assert desk.sweep(actor=FRONT).due == ()


def test_sweep_dry_run_lists_and_changes_nothing(store: MemoryStore, clock: DeskClock) -> None:
    """A dry run lists what is due and erases nothing."""
    desk = _desk(store, clock, KEEP_30_DAYS)
    application_id = _closed(desk)
    number = desk.application(application_id).number
    clock.advance(days=31)
    report = desk.sweep(actor=FRONT, dry_run=True)
    assert (report.due, report.erased, report.dry_run) == ((number,), (), True)
    assert desk.application(application_id).applicant.name.reveal() == NAME


def test_sweep_erases_only_what_the_keep_period_ran_out_for(
    store: MemoryStore, clock: DeskClock
) -> None:
    """The sweep erases a closed application once its keep period ran out, not before, and never
    an open one or one on hold."""
    desk = _desk(store, clock, KEEP_30_DAYS)
    early = _closed(desk)
    clock.advance(days=10)
    late, held, still_open = _closed(desk), _closed(desk), _submit(desk)
    desk.place_hold(held, "H-9", reason="litigation", actor=FRONT)
    clock.advance(days=25)
    assert desk.sweep(actor=FRONT).due == (desk.application(early).number,)
    clock.advance(days=10)
    report = desk.sweep(actor=FRONT)
    assert [e.application_id for e in report.erased] == [late]
    assert desk.application(early).erased is not None
    for kept in (held, still_open):
        assert desk.application(kept).applicant.name.reveal() == NAME


def test_sweep_refuses_a_dry_run_that_is_not_a_boolean(
    store: MemoryStore, clock: DeskClock
) -> None:
    """dry_run must be a boolean."""
    with pytest.raises(InvalidValue):
        _desk(store, clock).sweep(actor=FRONT, dry_run="yes")  # type: ignore[arg-type]


def _full(desk: PrivacyDesk, clock: DeskClock) -> str:
    """An application with a representative, a note and a courier pickup, then closed."""
    helper = Representative(
        person=person(HELPER_NIK, "Budi Santoso", "Jl. Helper 3"), authorisation="surat-kuasa-1"
    )
    application_id = _submit(desk, representative=helper)
    mall = desk._mall
    mall.add_note(application_id, "Ibu Siti called about it", visibility="internal", actor=FRONT)
    courier = CourierDesk(mall, otp_key=b"privacy-desk-test-otp-key-32byte")
    start = clock.now()
    window = TimeWindow(start + timedelta(hours=1), start + timedelta(hours=3))
    courier.book_pickup(
        application_id, window=window, address=Personal("Jl. Pickup 5"), actor=FRONT
    )
    mall.withdraw(application_id, reason="applicant_request", actor=CITIZEN)
    return application_id


def test_export_shows_everything_held_about_the_person(
    store: MemoryStore, clock: DeskClock
) -> None:
    """The export holds the applicant, representative, answers, notes, documents and courier
    addresses, and the role the person has."""
    desk = _desk(store, clock)
    application_id = _full(desk, clock)
    [found] = desk.export("id-nik", NIK)["applications"]
    assert found["application_id"] == application_id
    assert found["roles"] == ["applicant"]
    assert (found["applicant"]["name"], found["applicant"]["address"]) == (NAME, ADDRESS)
    assert found["applicant"]["identity_number"] == NIK
    assert found["representative"]["person"]["name"] == "Budi Santoso"
    assert found["answers"]["home_address"] == HOME
    assert [note["text"] for note in found["notes"]] == ["Ibu Siti called about it"]
    assert sorted(d["requirement"] for d in found["documents"]) == ["foto", "ktp"]
    assert found["courier_addresses"] == ["Jl. Pickup 5"]
    [helped] = desk.export("id-nik", HELPER_NIK)["applications"]
    assert helped["roles"] == ["representative"]


def test_an_erasure_by_identity_leaves_the_applications_the_person_only_represents(
    store: MemoryStore, clock: DeskClock
) -> None:
    """Erasing a representative by identity refuses, by rule 'representative', each
    application whose applicant they only represent, and destroys nothing of it."""
    desk = _desk(store, clock)
    application_id = _full(desk, clock)
    [refused] = desk.erase_person(
        "id-nik", HELPER_NIK, legal_basis=BASIS, actor=FRONT, overriding=True
    )
    assert isinstance(refused, ErasureRefused)
    assert (refused.application_id, refused.rule) == (application_id, "representative")
    kept = desk.application(application_id)
    assert kept.erased is None
    assert kept.applicant.name.reveal() == NAME
    assert [a.id for a in desk.applications_of("id-nik", HELPER_NIK)] == [application_id]


def test_after_erasure_the_person_is_no_longer_found(store: MemoryStore, clock: DeskClock) -> None:
    """Erasure removes the blind index rows: neither person of the application is found."""
    desk = _desk(store, clock)
    _full(desk, clock)
    desk.erase_person("id-nik", NIK, legal_basis=BASIS, actor=FRONT)
    assert desk.export("id-nik", NIK)["applications"] == []
    assert desk.export("id-nik", HELPER_NIK)["applications"] == []


def test_export_shows_erased_values_as_erased(store: MemoryStore, clock: DeskClock) -> None:
    """An application still indexed whose keys are gone exports every personal value as
    '<erased>' (keys destroyed by hand, as a crash of an older order could leave them)."""
    desk = _desk(store, clock)
    application_id = _full(desk, clock)
    subjects = [subject_id(application_id, r) for r in ("applicant", "representative")]
    store.destroy_subject_keys(subjects, at=clock.now())
    desk._mall.forget(application_id)
    [found] = desk.export("id-nik", NIK)["applications"]
    assert found["applicant"]["name"] == "<erased>"
    assert found["applicant"]["identity_number"] == "<erased>"
    assert found["representative"]["person"]["name"] == "<erased>"
    assert found["notes"][0]["text"] == "<erased>"
    assert found["courier_addresses"] == ["<erased>"]
    assert found["answers"] == {}
    text = repr(found)
    for value in (NAME, ADDRESS, HOME, "Budi", "Pickup", "called"):
        assert value not in text


def test_erasure_drops_the_fold_cache_and_the_key_cache(
    store: MemoryStore, clock: DeskClock
) -> None:
    """A mall that cached the application and its key reads it erased right after erasure."""
    mall = sealed_mall(store, clock=clock, cache_size=16)
    desk = PrivacyDesk(mall)
    application_id = _closed(desk)
    before = mall.application(application_id)  # folded and cached, key cached
    assert before.applicant.name.reveal() == NAME
    desk.erase(application_id, legal_basis=BASIS, actor=FRONT)
    after = mall.application(application_id)
    assert after.applicant.name.is_erased
    assert after.answers == {}
    assert NAME not in repr(after)
    assert HOME not in repr(after)
    subject = subject_id(application_id, "applicant")
    assert mall.keys is not None
    # A key still cached would try this token and fail (StorageError); a dropped one reads erased.
    assert mall.keys.open(subject, "AAAA", context=b"x") is None


@pytest.mark.parametrize("cache_size", [16, 0])
def test_a_mall_that_kept_the_application_reads_another_process_erasure_erased(
    store: MemoryStore, clock: DeskClock, cache_size: int
) -> None:
    """A mall that kept the application folded (or not: it is folded afresh) and its key
    cached reads it erased once another mall (another process) erased it: the kept copy
    and key go when the erasure is read."""
    provider = StaticKeyProvider.generate("mk-1")
    kept = sealed_mall(store, clock=clock, provider=provider, cache_size=cache_size)
    eraser = PrivacyDesk(sealed_mall(store, clock=clock, provider=provider))
    application_id = _closed(PrivacyDesk(kept))
    assert kept.application(application_id).applicant.name.reveal() == NAME  # kept, key cached
    eraser.erase(application_id, legal_basis=BASIS, actor=FRONT)
    after = kept.application(application_id)
    assert after.erased is not None
    assert after.applicant.name.is_erased
    assert after.answers == {}


class _FailingOnce(MemoryStore):
    """A memory store whose next key destruction, or index removal, fails."""

    def __init__(self) -> None:
        super().__init__()
        self.fail: str | None = None

    def destroy_subject_keys(self, subjects: Any, /, *, at: Any) -> int:
        if self.fail == "destroy":
            self.fail = None
            raise StorageError("the disk went away")
        return super().destroy_subject_keys(subjects, at=at)

    def unindex_subjects(self, subjects: Any, /) -> int:
        if self.fail == "unindex":
            self.fail = None
            raise StorageError("the disk went away")
        return super().unindex_subjects(subjects)


@pytest.mark.parametrize("failing", ["destroy", "unindex"])
def test_an_erasure_by_identity_stopped_midway_is_finished_by_running_it_again(
    clock: DeskClock, failing: str
) -> None:
    """An erasure by identity whose key destruction or index removal failed is found and
    finished by running it again."""
    store = _FailingOnce()
    desk = _desk(store, clock)
    application_id = _closed(desk)
    store.fail = failing
    with pytest.raises(StorageError):
        desk.erase_person("id-nik", NIK, legal_basis=BASIS, actor=FRONT, overriding=True)
    [again] = desk.erase_person("id-nik", NIK, legal_basis=BASIS, actor=FRONT, overriding=True)
    assert isinstance(again, Erasure)
    assert again.application_id == application_id
    assert not _live(store, application_id)
    assert desk.applications_of("id-nik", NIK) == ()
    assert desk.application(application_id).applicant.name.is_erased


def test_sweep_finishes_an_erasure_stopped_after_unindexing(
    store: MemoryStore, clock: DeskClock
) -> None:
    """An erasure stopped after its index rows went but before its keys did still has live
    keys, so the sweep finds and finishes it."""
    desk = _desk(store, clock)
    application_id = _interrupted(desk)
    store.unindex_subjects([subject_id(application_id, "applicant")])
    assert desk.applications_of("id-nik", NIK) == ()
    report = desk.sweep(actor=FRONT)
    assert [e.application_id for e in report.erased] == [application_id]
    assert not _live(store, application_id)


def test_an_application_stored_in_plain_text_is_refused_as_unsealed(
    store: MemoryStore, clock: DeskClock
) -> None:
    """An application written before the mall had keys is refused by rule 'unsealed', unchanged."""
    plain = Mall(catalogue=LICENCE, store=store, clock=clock)
    receipt = plain.submit(
        "izin-usaha",
        channel="online",
        applicant=person(NIK, NAME, ADDRESS),
        answers=answers(HOME),
        documents=DOCUMENTS,
        actor=CITIZEN,
    )
    plain.withdraw(receipt.application_id, reason="applicant_request", actor=CITIZEN)
    desk = _desk(store, clock)
    version = desk.application(receipt.application_id).version
    assert _refusal(desk, receipt.application_id, overriding=True) == "unsealed"
    assert desk.application(receipt.application_id).version == version


def test_an_application_sealed_only_after_its_submission_is_refused_as_unsealed(
    store: MemoryStore, clock: DeskClock
) -> None:
    """An application submitted in plain text that gained a key later (a note written
    once the mall had keys) is still refused by rule 'unsealed': destroying the key would
    leave its applicant in plain text."""
    plain = Mall(catalogue=LICENCE, store=store, clock=clock)
    receipt = plain.submit(
        "izin-usaha",
        channel="online",
        applicant=person(NIK, NAME, ADDRESS),
        answers=answers(HOME),
        documents=DOCUMENTS,
        actor=CITIZEN,
    )
    desk = _desk(store, clock)
    desk._mall.add_note(
        receipt.application_id, "called the applicant", visibility="internal", actor=FRONT
    )
    desk._mall.withdraw(receipt.application_id, reason="applicant_request", actor=CITIZEN)
    assert store.subject_keys([subject_id(receipt.application_id, "applicant")])  # a key now
    version = desk.application(receipt.application_id).version
    assert _refusal(desk, receipt.application_id, overriding=True) == "unsealed"
    assert desk.application(receipt.application_id).version == version
    assert _live(store, receipt.application_id)


def test_no_note_is_added_once_the_data_is_erased(store: MemoryStore, clock: DeskClock) -> None:
    """A note on an erased application is refused with CommandRefused, and nothing is written."""
    desk = _desk(store, clock)
    application_id = _closed(desk)
    desk.erase(application_id, legal_basis=BASIS, actor=FRONT, overriding=True)
    version = desk.application(application_id).version
    with pytest.raises(CommandRefused):
        desk._mall.add_note(
            application_id, "called again", visibility=Visibility.INTERNAL, actor=FRONT
        )
    assert desk.application(application_id).version == version
