"""Custody continuity (reliability plan P5), checked over random handoff sequences.

A random journey starts with a pickup sealed at the door against the citizen's code,
then passes the packet between officers, the agency desk and couriers, and may end
with a delivery to the citizen.  Honest journeys keep one custodian at a time, each
receiver is the next giver, time runs forward and nothing follows a delivery.
Forged handoffs are refused with typed errors and change nothing; a manifest
mismatch is the one refusal that is recorded, as an exception entry, with custody
left where it was.
"""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise

import attrs
import pytest
from courier_support import (
    AGENCY_OFFICER,
    CITIZEN,
    COUNTER,
    COURIER,
    DESK,
    DOCUMENTS,
    DOOR,
    KEY,
    OTHER_APP,
    OTHER_COURIER,
    T0,
    citizen_confirms,
    code_for,
    handoff,
    minutes,
    sha,
    staff,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from onestop.domain.common.audit import verify_chain
from onestop.domain.courier.custody import (
    CustodyLedger,
    Delivered,
    HandedOver,
    ManifestMismatch,
    MismatchRecorded,
    PacketSealed,
    Transferred,
    seal,
    transfer,
)
from onestop.domain.courier.flow import dwell_times
from onestop.domain.courier.handoffs import (
    Confirmation,
    Handoff,
    ManifestItem,
    Packet,
    Party,
    PartyKind,
)
from onestop.exceptions import (
    AlreadyDelivered,
    CodeAlreadyUsed,
    CodeExpired,
    CodeForAnotherApplication,
    CodeForAnotherHandoff,
    CourierError,
    CourierNotAssigned,
    NotCustodian,
    TimeWentBackwards,
    WrongCode,
)

HOLDERS = (COUNTER, AGENCY_OFFICER, DESK, COURIER, OTHER_COURIER)
PROPERTY = settings(max_examples=300, deadline=None, database=None)
SHORT = settings(max_examples=150, deadline=None, database=None)

moves = st.lists(st.tuples(st.integers(0, len(HOLDERS) - 1), st.integers(1, 600)), max_size=12)


def _pickup() -> CustodyLedger:
    code, issued = code_for("h-pickup", T0)
    return seal(
        Packet("S-PROP", DOCUMENTS, len(DOCUMENTS)),
        application_id="app-2025-000042",
        by=staff(COURIER),
        at=T0,
        place=DOOR,
        collected=Confirmation.by_code(CITIZEN, code, issued),
        handoff_id="h-pickup",
        proof_sha256=sha("signature at the door"),
        otp_key=KEY,
    )


def _assigned(giver: Party, receiver: Party) -> str | None:
    """Who the job assigns, in an honest journey: the receiving or delivering courier."""
    if receiver.kind is PartyKind.COURIER:
        return receiver.id
    if giver.kind is PartyKind.COURIER and receiver.kind is PartyKind.CITIZEN:
        return giver.id
    return None


def _play(steps: list[tuple[int, int]], *, deliver: bool) -> CustodyLedger:
    ledger, at = _pickup(), T0
    for number, (index, gap) in enumerate(steps):
        holder, receiver = ledger.custodian, HOLDERS[index]
        if receiver == holder:
            receiver = HOLDERS[(index + 1) % len(HOLDERS)]
        at += minutes(gap)
        move = handoff(f"h-{number}", staff(holder), staff(receiver), at)
        outcome = transfer(ledger, move, assigned_courier=_assigned(holder, receiver))
        assert isinstance(outcome, Transferred)
        ledger = outcome.ledger
    if deliver:
        at += minutes(5)
        holder = ledger.custodian
        give = handoff("h-deliver", staff(holder), citizen_confirms("h-deliver", at), at)
        outcome = transfer(ledger, give, otp_key=KEY, assigned_courier=_assigned(holder, CITIZEN))
        assert isinstance(outcome, Transferred)
        ledger = outcome.ledger
    return ledger


@PROPERTY
@given(steps=moves, deliver=st.booleans())
def test_honest_journeys_keep_custody_continuous(
    steps: list[tuple[int, int]], deliver: bool
) -> None:
    """Each receiver is the next giver, time runs forward, and the chain verifies."""
    ledger = _play(steps, deliver=deliver)
    first, transfers = ledger.events[0], ledger.events[1:]
    assert isinstance(first, PacketSealed)
    assert all(isinstance(event, HandedOver) for event in transfers)
    holders = [first.custodian] + [e.receiver.party for e in transfers]  # type: ignore[union-attr]
    givers = [e.giver.party for e in transfers]  # type: ignore[union-attr]
    assert givers == holders[:-1]
    assert ledger.custodian == holders[-1]
    times = [event.at for event in ledger.events]
    assert all(a < b for a, b in pairwise(times))
    assert verify_chain(ledger.entries).ok
    assert ledger.verify().ok
    assert CustodyLedger.from_events(ledger.events) == ledger


@SHORT
@given(steps=moves, deliver=st.booleans())
def test_dwell_spans_are_contiguous(steps: list[tuple[int, int]], deliver: bool) -> None:
    """Each custodian's span starts where the previous one ended, from sealing on."""
    ledger = _play(steps, deliver=deliver)
    spans = dwell_times(ledger, until=ledger.latest)
    assert spans[0].start == T0
    assert all(a.end == b.start for a, b in pairwise(spans))
    assert spans[-1].end == ledger.latest


@SHORT
@given(steps=moves, gap=st.integers(1, 600), index=st.integers(0, len(HOLDERS) - 1))
def test_nothing_follows_a_delivery(steps: list[tuple[int, int]], gap: int, index: int) -> None:
    """After a delivery any handoff, even by the citizen who holds the packet, is refused."""
    ledger = _play(steps, deliver=True)
    assert isinstance(ledger.events[-1], Delivered)
    at = ledger.latest + minutes(gap)
    back = handoff("h-after", citizen_confirms("h-after", at), staff(HOLDERS[index]), at)
    with pytest.raises(AlreadyDelivered):
        transfer(ledger, back, otp_key=KEY, assigned_courier=HOLDERS[index].id)


# --- forgeries ------------------------------------------------------------------------

FORGERIES = (
    "wrong_giver",
    "time_backwards",
    "unassigned_courier",
    "wrong_code",
    "expired_code",
    "replayed_code",
    "another_applications_code",
    "another_handoffs_code",
)
EXPECTED: dict[str, type[CourierError]] = {
    "wrong_giver": NotCustodian,
    "time_backwards": TimeWentBackwards,
    "unassigned_courier": CourierNotAssigned,
    "wrong_code": WrongCode,
    "expired_code": CodeExpired,
    "replayed_code": CodeAlreadyUsed,
    "another_applications_code": CodeForAnotherApplication,
    "another_handoffs_code": CodeForAnotherHandoff,
}


def _to_citizen(ledger: CustodyLedger, at: datetime, receiver: Confirmation) -> Handoff:
    return handoff("h-forged", staff(ledger.custodian), receiver, at)


def _forge(
    forgery: str, ledger: CustodyLedger, at: datetime, pick: int
) -> tuple[Handoff, str | None]:
    """A handoff that breaks exactly one rule, and the courier the job would assign."""
    holder = ledger.custodian
    others = [p for p in HOLDERS if p != holder]
    deliverer = holder.id if holder.kind is PartyKind.COURIER else None
    if forgery == "wrong_giver":
        impostor = others[pick % len(others)]
        receiver = next(p for p in (*others, holder) if p not in (impostor, holder))
        return handoff("h-forged", staff(impostor), staff(receiver), at), _assigned(
            impostor, receiver
        )
    if forgery == "time_backwards":
        receiver = others[pick % len(others)]
        back = ledger.latest - minutes(pick % 120)
        return handoff("h-forged", staff(holder), staff(receiver), back), _assigned(
            holder, receiver
        )
    if forgery == "unassigned_courier":
        courier = next(p for p in (OTHER_COURIER, COURIER) if p != holder)
        wrong = None if pick % 2 else next(p.id for p in (COURIER, OTHER_COURIER) if p != courier)
        return handoff("h-forged", staff(holder), staff(courier), at), wrong
    if forgery == "wrong_code":
        code, issued = code_for("h-forged", at)
        typed = f"{(int(code) + 1 + pick % 999_999) % 1_000_000:06d}"
        return _to_citizen(ledger, at, Confirmation.by_code(CITIZEN, typed, issued)), deliverer
    if forgery == "expired_code":
        code, issued = code_for("h-forged", at - minutes(11 + pick % 600))
        return _to_citizen(ledger, at, Confirmation.by_code(CITIZEN, code, issued)), deliverer
    if forgery == "replayed_code":
        code, issued = code_for("h-pickup", T0)
        replay = handoff("h-pickup", staff(holder), Confirmation.by_code(CITIZEN, code, issued), at)
        return replay, deliverer
    if forgery == "another_applications_code":
        code, issued = code_for("h-forged", at, application_id=OTHER_APP)
        return _to_citizen(ledger, at, Confirmation.by_code(CITIZEN, code, issued)), deliverer
    code, issued = code_for(f"h-other-{pick}", at)
    return _to_citizen(ledger, at, Confirmation.by_code(CITIZEN, code, issued)), deliverer


@settings(max_examples=600, deadline=None, database=None)
@given(
    steps=moves,
    forgery=st.sampled_from(FORGERIES),
    gap=st.integers(1, 600),
    pick=st.integers(0, 10_000),
)
def test_forged_handoffs_are_refused_and_change_nothing(
    steps: list[tuple[int, int]], forgery: str, gap: int, pick: int
) -> None:
    """Every forged handoff raises its typed error; the ledger it was given is unchanged."""
    ledger = _play(steps, deliver=False)
    snapshot = (ledger.events, ledger.entries, ledger.custodian, ledger.used_codes)
    copy = attrs.evolve(ledger)
    move, assigned = _forge(forgery, ledger, ledger.latest + minutes(gap), pick)
    with pytest.raises(EXPECTED[forgery]):
        transfer(ledger, move, otp_key=KEY, assigned_courier=assigned)
    assert (ledger.events, ledger.entries, ledger.custodian, ledger.used_codes) == snapshot
    assert ledger == copy


@SHORT
@given(steps=moves, gap=st.integers(1, 600), drop=st.integers(0, 2), swap=st.booleans())
def test_manifest_mismatches_are_recorded_not_accepted(
    steps: list[tuple[int, int]], gap: int, drop: int, swap: bool
) -> None:
    """A count unlike the manifest adds one exception entry and an alert; custody stays."""
    ledger = _play(steps, deliver=False)
    copy = attrs.evolve(ledger)
    counted: tuple[ManifestItem, ...] = DOCUMENTS[:drop] + DOCUMENTS[drop + 1 :]
    if swap:
        counted = (*counted, ManifestItem(DOCUMENTS[drop].document, sha("a forged copy")))
    holder = ledger.custodian
    receiver = next(p for p in HOLDERS if p != holder)
    at = ledger.latest + minutes(gap)
    move = handoff("h-forged", staff(holder), staff(receiver), at, scanned=counted)
    outcome = transfer(ledger, move, assigned_courier=_assigned(holder, receiver))
    assert isinstance(outcome, MismatchRecorded)
    assert ledger == copy
    after = outcome.ledger
    assert after.custodian == holder
    assert after.entries[:-1] == ledger.entries
    assert isinstance(after.events[-1], ManifestMismatch)
    assert [e.kind for e in outcome.events] == ["manifest_mismatch", "alert_raised"]
    assert after.verify().ok
