"""One person, packet or handoff has one id: spelling it another way is refused, never folded.

Before `onestop.domain.common.formats`, ids were checked by ``^...$`` patterns with
`re.match`, which let a final line break through (``"c-17\\n"`` was a second courier),
some ids were not checked at all (a courier's claim, a booking's actor), and capitals
made another person of the same officer.  Each test here names one such id.
"""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from courier_support import (
    APP,
    CITIZEN,
    COUNTER,
    COURIER,
    DESK,
    DOCUMENTS,
    KEY,
    MALL,
    T0,
    assigned_job,
    code_for,
    handoff,
    minutes,
    sealed_at_counter,
    sha,
    staff,
)

from onestop.domain.common.audit import GENESIS, chain_hash
from onestop.domain.courier.custody import seal, transfer
from onestop.domain.courier.handoffs import (
    Confirmation,
    ConfirmationMethod,
    ManifestItem,
    Packet,
    Party,
    PartyKind,
)
from onestop.domain.courier.jobs import AttemptOutcome, JobKind, book, claim, record_attempt
from onestop.domain.courier.otp import OneTimeCode, issue_code
from onestop.exceptions import ChainError, HandoffRefused, InvalidPacket, InvalidValue

LATER = T0 + minutes(30)
_TO_DESK = handoff("h-1", staff(COUNTER), staff(DESK), LATER)

# Three ways to spell an id another way: a final line break, capitals, a look-alike letter
# (U+0441 CYRILLIC SMALL LETTER ES for the Latin 'c', U+043E for the Latin 'o').
SPELLINGS = {
    "newline": lambda text: text + "\n",
    "capitals": str.upper,
    "look-alike": lambda text: text.replace("c", "\u0441").replace("o", "\u043e"),
}


def _variants(text: str) -> list[Any]:
    return [pytest.param(spell(text), id=name) for name, spell in SPELLINGS.items()]


@pytest.mark.parametrize("kind", [PartyKind.OFFICER, PartyKind.COURIER, PartyKind.AGENCY_DESK])
@pytest.mark.parametrize("spelled", _variants("c-17"))
def test_a_staff_party_id_has_one_spelling(kind: PartyKind, spelled: str) -> None:
    """A staff party's id is an actor id: another spelling of one is refused."""
    with pytest.raises(InvalidValue, match=r"^id: "):
        Party(kind, spelled)


@pytest.mark.parametrize("spelled", _variants("o-counter-3"))
def test_the_custodian_cannot_hand_a_packet_to_another_spelling_of_themselves(
    spelled: str,
) -> None:
    """Handing a packet to the custodian's own id spelled otherwise is refused: one person."""
    ledger = sealed_at_counter()
    with pytest.raises(InvalidValue):
        transfer(ledger, _from_counter_to(PartyKind.OFFICER, spelled))
    assert ledger.custodian == COUNTER


def _from_counter_to(kind: PartyKind, receiver_id: str) -> Any:
    receiver = Confirmation.by_credential(Party(kind, receiver_id), "badge-ok:x")
    return handoff("h-1", staff(COUNTER), receiver, LATER)


def test_the_custodian_cannot_hand_a_packet_to_their_own_id_as_another_kind() -> None:
    """Staff ids name one person whatever the kind of party: an officer is not their own desk."""
    ledger = sealed_at_counter()
    same = Party(PartyKind.AGENCY_DESK, COUNTER.id)
    with pytest.raises(HandoffRefused, match="same party"):
        transfer(ledger, handoff("h-1", staff(COUNTER), staff(same), LATER))


@pytest.mark.parametrize("spelled", _variants("c-17"))
def test_a_claim_names_its_courier_in_one_spelling(spelled: str) -> None:
    """A claim by another spelling of a courier id is refused, so no job has two couriers."""
    job = book("job-1", APP, JobKind.LEG_TO_AGENCY, at=T0, actor="officer-ana")
    with pytest.raises(InvalidValue, match=r"^courier_id: "):
        claim(job, spelled, T0, job.version)


@pytest.mark.parametrize("spelled", _variants("officer-ana"))
def test_a_booking_names_its_actor_in_one_spelling(spelled: str) -> None:
    """The officer booking a job is an actor id: another spelling is refused."""
    with pytest.raises(InvalidValue, match=r"^actor: "):
        book("job-1", APP, JobKind.LEG_TO_AGENCY, at=T0, actor=spelled)


@pytest.mark.parametrize("spelled", _variants("c-17"))
def test_a_visit_names_its_courier_in_one_spelling(spelled: str) -> None:
    """A failed visit recorded under another spelling of the courier's id is refused."""
    job = assigned_job(JobKind.LEG_TO_AGENCY)
    with pytest.raises(InvalidValue, match=r"^courier_id: "):
        record_attempt(job, AttemptOutcome.NO_ONE_HOME, courier_id=spelled, at=LATER)


def test_a_handoff_id_is_used_once_in_one_spelling() -> None:
    """After handoff ``h-1``, a handoff ``h-1`` with a final line break cannot be built."""
    ledger = transfer(sealed_at_counter(), handoff("h-1", staff(COUNTER), staff(DESK), LATER))
    with pytest.raises(InvalidValue, match=r"^id: has a line break at the end"):
        handoff("h-1\n", staff(DESK), staff(COUNTER), LATER + minutes(1))
    assert ledger.ledger.handoffs == frozenset({"h-1"})


def test_a_seal_id_has_one_spelling() -> None:
    """A seal id with a final line break is refused: it would be a second seal ``S-1``."""
    with pytest.raises(InvalidPacket, match="seal_id has a line break at the end"):
        Packet("S-1\n", DOCUMENTS, len(DOCUMENTS))


def test_a_document_hash_has_one_spelling() -> None:
    """A SHA-256 with a final line break is refused, not kept as a different fingerprint."""
    with pytest.raises(InvalidValue, match=r"^sha256: "):
        ManifestItem("ktp", sha("ktp scan") + "\n")


def test_a_proof_hash_has_one_spelling() -> None:
    """A handoff's proof hash with a final line break is refused."""
    with pytest.raises(InvalidValue, match=r"^proof_sha256: "):
        attrs.evolve(_TO_DESK, proof_sha256=sha("photo") + "\n")


def test_a_purpose_is_a_code() -> None:
    """A purpose with a final line break is refused: the ledger keeps codes, not text."""
    with pytest.raises(InvalidValue, match=r"^purpose: "):
        attrs.evolve(_TO_DESK, purpose="to_agency\n")


def test_a_credential_reference_has_one_spelling() -> None:
    """The id of a verified credential, kept in the ledger, is refused with a line break."""
    with pytest.raises(InvalidValue, match=r"^credential: "):
        Confirmation.by_pin(COURIER, "pin-ok:c-17\n")


def test_a_citizen_party_id_has_one_spelling() -> None:
    """A citizen's id is an opaque key: a final line break is refused."""
    with pytest.raises(InvalidValue, match=r"^id: "):
        Party(PartyKind.CITIZEN, CITIZEN.id + "\n")


def test_an_application_id_has_one_spelling() -> None:
    """A packet cannot be sealed for an application id with a final line break."""
    with pytest.raises(InvalidValue, match=r"^application_id: "):
        seal(
            Packet("S-1", DOCUMENTS, len(DOCUMENTS)),
            application_id=APP + "\n",
            by=staff(COUNTER),
            at=T0,
            place=MALL,
        )


def test_a_code_is_issued_for_a_handoff_id_in_one_spelling() -> None:
    """A one-time code is not issued for a handoff id with a final line break."""
    with pytest.raises(InvalidValue, match=r"^handoff_id: "):
        issue_code(KEY, APP, "h-door\n", T0 + minutes(10))


def test_a_code_record_digest_has_one_spelling() -> None:
    """A code record whose digest ends with a line break cannot be built."""
    _, issued = code_for("h-door", T0)
    with pytest.raises(InvalidValue, match=r"^digest: "):
        OneTimeCode(
            application_id=APP,
            handoff_id="h-door",
            expires_at=issued.expires_at,
            digest=issued.digest + "\n",
        )


def test_a_chain_hash_has_one_spelling() -> None:
    """The previous hash of a chain entry is refused with a final line break."""
    with pytest.raises(ChainError, match="previous must be 64 lower-case hex digits"):
        chain_hash(GENESIS + "\n", 1, b"{}")


def test_a_confirmation_method_may_be_given_by_its_value() -> None:
    """A confirmation's method is a `ConfirmationMethod` or its value; anything else is typed."""
    assert Confirmation(party=COURIER, method="pin", credential="p").method is (
        ConfirmationMethod.PIN
    )
    with pytest.raises(InvalidValue, match=r"^method: 'sms' is not one of 'pin', "):
        Confirmation(party=COURIER, method="sms", credential="p")


class TestManifestDuplicates:
    def test_the_same_item_twice_is_refused(self) -> None:
        """A manifest listing one item twice is refused, naming the repeat's position."""
        with pytest.raises(
            InvalidPacket, match=r"manifest\[2\] lists the document of manifest\[0\]"
        ):
            Packet("S-1", (DOCUMENTS[0], DOCUMENTS[1], DOCUMENTS[0]), 3)

    def test_one_reference_with_two_hashes_is_refused(self) -> None:
        """Two items with one document reference are refused, whatever their hashes."""
        other = ManifestItem(DOCUMENTS[0].document, sha("another scan"))
        with pytest.raises(
            InvalidPacket, match=r"manifest\[1\] lists the document of manifest\[0\]"
        ):
            Packet("S-1", (DOCUMENTS[0], other), 2)

    def test_one_scan_under_two_references_is_refused(self) -> None:
        """Two items with one SHA-256 are the same document twice, and are refused."""
        copy = ManifestItem("ktp-copy", DOCUMENTS[0].sha256)
        with pytest.raises(
            InvalidPacket, match=r"manifest\[1\] has the same SHA-256 as manifest\[0\]"
        ):
            Packet("S-1", (DOCUMENTS[0], copy), 2)

    def test_every_repeat_is_listed(self) -> None:
        """Each repeated item is reported, with the seal's id."""
        with pytest.raises(InvalidPacket) as caught:
            Packet("S-1", (DOCUMENTS[0], DOCUMENTS[0], DOCUMENTS[0]), 3)
        assert caught.value.seal_id == "S-1"
        assert [p.split()[0] for p in caught.value.problems] == ["manifest[1]", "manifest[2]"]
