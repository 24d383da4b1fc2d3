"""Payments recorded on an application feed the ``payment_recorded`` guard."""

from __future__ import annotations

from decimal import Decimal

import pytest
from application_support import CITIZEN, Canary, answers, documents, officer, snapshot

from onestop.domain.applications.application import PaymentRecorded
from onestop.exceptions import CommandRefused, InvalidApplication, RoleNotAllowed
from onestop.storage.memory import MemoryStore
from onestop.usecases.mall import Mall

CASHIER = officer("cashier-1", "front_office")


def _submit(mall: Mall) -> str:
    receipt = mall.submit(
        "izin-usaha",
        channel="online",
        applicant=Canary.new().person(),
        answers=answers(),
        documents=documents(),
        actor=CITIZEN,
        idempotency_key="payments-1",
    )
    return receipt.application_id


def test_a_recorded_payment_reaches_the_guards(mall: Mall) -> None:
    """After record_payment the application's facts list the payment's reference."""
    app_id = _submit(mall)

    application = mall.record_payment(
        app_id, "BILL-0042", amount="350000", currency="IDR", actor=CASHIER
    )

    assert application.facts().payments == ("BILL-0042",)
    event = application.events[-1]
    assert isinstance(event, PaymentRecorded)
    assert (event.amount, event.currency) == (Decimal(350000), "IDR")


def test_a_payment_survives_the_store(mall: Mall) -> None:
    """A payment read back from the store decodes to the same event and the chain verifies."""
    app_id = _submit(mall)
    mall.record_payment(app_id, "BILL-0042", amount=350000, currency="IDR", actor=CASHIER)

    assert mall.application(app_id).facts().payments == ("BILL-0042",)
    assert mall.verify(app_id).ok


def test_the_same_payment_twice_is_refused(mall: Mall, store: MemoryStore) -> None:
    """Recording one reference twice raises CommandRefused and writes nothing."""
    app_id = _submit(mall)
    mall.record_payment(app_id, "BILL-0042", amount=1, currency="IDR", actor=CASHIER)
    before = snapshot(store)

    with pytest.raises(CommandRefused, match="recorded already"):
        mall.record_payment(app_id, "BILL-0042", amount=1, currency="IDR", actor=CASHIER)
    assert snapshot(store) == before


@pytest.mark.parametrize(
    ("reference", "amount", "currency", "path"),
    [
        ("BILL 1", 1, "IDR", "reference"),
        ("BILL-1", 1.5, "IDR", "amount"),
        ("BILL-1", -3, "IDR", "amount"),
        ("BILL-1", 1, "rupiah", "currency"),
    ],
)
def test_malformed_payments_name_the_field(
    mall: Mall, store: MemoryStore, reference: str, amount: object, currency: str, path: str
) -> None:
    """A malformed reference, a float or negative amount, or a bad currency names its field."""
    app_id = _submit(mall)
    before = snapshot(store)

    with pytest.raises(InvalidApplication) as caught:
        mall.record_payment(app_id, reference, amount=amount, currency=currency, actor=CASHIER)
    assert [p.path for p in caught.value.problems] == [path]
    assert snapshot(store) == before


def test_an_applicant_cannot_record_a_payment(mall: Mall) -> None:
    """Only an officer (or a gateway acting as one) records payments."""
    app_id = _submit(mall)

    with pytest.raises(RoleNotAllowed):
        mall.record_payment(app_id, "BILL-1", amount=1, currency="IDR", actor=CITIZEN)
