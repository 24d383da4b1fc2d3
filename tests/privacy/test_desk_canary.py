"""The privacy desk never shows key material or personal values in reprs, errors or logs.

A canary person (unique name, identity number, address, note, answer) goes through every
desk call, succeeding and refused, and through calls given the canary's values where an
application reference, hold id or legal basis belongs.  Every repr and str of what the
calls return or raise, and everything logged (structlog and logging), is searched for
each canary value and for the master key, every data key and the blind index key, as
bytes, hex and base64.
"""

from __future__ import annotations

import base64
import logging
import secrets
from datetime import timedelta
from typing import Any

import pytest
from privacy_desk_support import (
    CITIZEN,
    DOCUMENTS,
    FRONT,
    KEEP_30_DAYS,
    DeskClock,
    answers,
    person,
    sealed_mall,
)
from structlog.testing import capture_logs

from onestop.domain.common.parties import Personal, Representative
from onestop.domain.courier.jobs import TimeWindow
from onestop.exceptions import OnestopError
from onestop.privacy import StaticKeyProvider
from onestop.privacy.keyring import BLIND_INDEX_SUBJECT, _wrap_context
from onestop.storage.memory import MemoryStore
from onestop.usecases.courier.desk import CourierDesk
from onestop.usecases.privacy import PrivacyDesk

MASTER = bytes(range(150, 182))


def _forms(secret: bytes) -> list[str]:
    forms = [secret.hex(), secret.hex().upper(), repr(secret)[2:-1]]
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        text = encode(secret).decode("ascii").rstrip("=")
        forms += [text, text[:24]]
    return forms


def _canary() -> dict[str, str]:
    token = secrets.token_hex(4)
    return {
        "nik": "3171015708850003",
        "helper_nik": "3171014403900007",
        "name": f"Siti Canary{token}",
        "helper": f"Budi Canary{token}",
        "address": f"Jl. Kanari {token} No. 7",
        "home": f"Rumah Kanari {token}",
        "note": f"Catatan Kanari {token}",
        "courier": f"Jemput Kanari {token}",
    }


def _drive(
    desk: PrivacyDesk, canary: dict[str, str], clock: DeskClock
) -> tuple[list[Any], list[OnestopError], list[Any]]:
    """Every desk call, kept: what it returned, what it raised, and the stored keys before."""
    mall = desk._mall
    seen: list[Any] = [desk, mall.keys]
    errors: list[OnestopError] = []

    def attempt(call: Any, *args: Any, **kwargs: Any) -> None:
        try:
            seen.append(call(*args, **kwargs))
        except OnestopError as exc:
            errors.append(exc)

    helper = Representative(
        person=person(canary["helper_nik"], canary["helper"], canary["address"]),
        authorisation="sk-1",
    )
    ids = []
    for _ in range(3):
        receipt = mall.submit(
            "izin-usaha",
            channel="online",
            applicant=person(canary["nik"], canary["name"], canary["address"]),
            representative=helper,
            answers=answers(canary["home"]),
            documents=DOCUMENTS,
            actor=CITIZEN,
        )
        ids.append(receipt.application_id)
    mall.add_note(ids[0], canary["note"], visibility="internal", actor=FRONT)
    window = TimeWindow(clock.now() + timedelta(hours=1), clock.now() + timedelta(hours=2))
    CourierDesk(mall, otp_key=b"privacy-canary-otp-key-32-bytes!").book_pickup(
        ids[0], window=window, address=Personal(canary["courier"]), actor=FRONT
    )
    stored = list(mall.store._subject_keys.values())  # type: ignore[attr-defined]
    for app_id in ids[:2]:
        mall.withdraw(app_id, reason="applicant_request", actor=CITIZEN)
    number = mall.application(ids[0]).number
    attempt(desk.application, number)
    attempt(desk.applications_of, "id-nik", canary["nik"])
    attempt(desk.place_hold, ids[1], "H-1", reason="audit", actor=FRONT)
    attempt(desk.place_hold, ids[1], "H-1", reason="audit", actor=FRONT)  # twice: refused
    attempt(desk.erase, ids[1], legal_basis="UU 27/2022", actor=FRONT, overriding=True)
    attempt(desk.lift_hold, ids[1], "H-1", actor=FRONT)
    attempt(desk.lift_hold, ids[1], "H-2", actor=FRONT)
    attempt(desk.erase, ids[2], legal_basis="UU 27/2022", actor=FRONT)  # open
    attempt(desk.erase, ids[0], legal_basis="UU 27/2022", actor=FRONT)  # retention
    attempt(desk.sweep, actor=FRONT, dry_run=True)
    clock.advance(days=31)
    attempt(desk.sweep, actor=FRONT, dry_run=True)
    desk.export("id-nik", canary["nik"])  # the access request's answer is the data: not kept
    attempt(desk.erase_person, "id-nik", canary["nik"], legal_basis="UU 27/2022", actor=FRONT)
    attempt(desk.sweep, actor=FRONT)
    attempt(desk.erase, ids[0], legal_basis="UU 27/2022", actor=FRONT)  # erased already
    # The canary's values where something else belongs.
    for value in (canary["name"], canary["nik"], canary["address"]):
        attempt(desk.application, value)
        attempt(desk.erase, value, legal_basis="UU 27/2022", actor=FRONT)
        if value != canary["nik"]:  # a number is a well-formed hold id and reason code
            attempt(desk.place_hold, ids[2], value, reason="audit", actor=FRONT)
            attempt(desk.place_hold, ids[2], "H-3", reason=value, actor=FRONT)
            attempt(desk.lift_hold, ids[2], value, actor=FRONT)
        attempt(desk.erase, ids[2], legal_basis=value + "\n", actor=FRONT)
        attempt(desk.applications_of, value, canary["nik"])
        attempt(desk.export, "id-nik", value + "\x00")
        attempt(desk.erase_person, value, value, legal_basis=value, actor=FRONT)
    attempt(desk.applications_of, "id-nik", "  -- ")
    attempt(desk.sweep, actor=FRONT, dry_run=canary["name"])  # type: ignore[arg-type]
    seen.extend(mall.application(app_id) for app_id in ids)
    return seen, errors, stored


def test_no_desk_call_shows_key_material_or_personal_values(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No repr, error or log line of any desk call shows a key or a canary value."""
    caplog.set_level(logging.DEBUG)
    canary = _canary()
    clock, store = DeskClock(), MemoryStore()
    provider = StaticKeyProvider({"mk-canary": MASTER})
    desk = PrivacyDesk(sealed_mall(store, clock=clock, retention=KEEP_30_DAYS, provider=provider))
    with capture_logs() as logs:
        seen, errors, stored = _drive(desk, canary, clock)
    keys = [MASTER]
    for key in stored:
        assert key.wrapped is not None
        keys.append(provider.unwrap(key.wrapped, context=_wrap_context(key.subject)))
    needles = [form for key in keys for form in _forms(key)]
    needles += list(canary.values())
    texts = {
        "logs": repr(logs) + caplog.text,
        "reprs": "\n".join(repr(v) + str(v) for v in seen),
        "errors": "\n".join(repr(e) + str(e) + repr(e.__dict__) for e in errors),
    }
    assert {w: [n for n in needles if n in t] for w, t in texts.items()} == {w: [] for w in texts}
    assert len(errors) >= 20
    assert len(keys) == 1 + 6 + 1  # the master key, two subjects of three, the index key
    assert BLIND_INDEX_SUBJECT in {key.subject for key in stored}
