"""A son collects his mother's seal certificate at the Jongno-gu civil service office.

Run it from the repository's root::

    python examples/korean_office.py

It loads the Korean sample catalogue (``examples/korea``), wires a `Mall` over an
in-memory store, Korea's work calendar and a clock the script moves by hand, and walks
one application through the ``instant-certificate`` workflow.  A seal certificate is
due "즉시", within three working hours, and the son comes at 16:30 on Thursday
2 October 2025, the last working day before Chuseok: the clock runs until closing time
at 18:00, skips National Foundation Day, the Chuseok holidays, their substitute day
and Hangul Day, and resumes on Friday 10 October.  The seal on his power of attorney
is not the registered one, so the office asks for a new one and the clock pauses; when
he returns the remaining time runs across the lunch hour.  A second application, left
unchecked over the holidays, breaches its state's two-hour limit and is escalated.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from onestop import (
    Actor,
    ChannelKind,
    Closure,
    DayKind,
    DocumentRef,
    Mall,
    Person,
    Representative,
    WorkCalendar,
    calendar_for,
    load_catalogue,
)
from onestop.storage import from_url

KST = ZoneInfo("Asia/Seoul")
CATALOGUE = Path(__file__).with_name("korea")
WEEKDAYS_KO = "월화수목금토일"

SON = Actor(id="citizen-0815", roles={"applicant"})
COUNTER = Actor(id="jongno-counter-03", roles={"front_office"})
HEAD = Actor(id="jongno-civil-head-01", roles={"supervisor"})

# What the counter tells the son; the public status shows it as it is written.
WRONG_SEAL = "위임장의 인감이 신고된 인감과 다릅니다 (wrong seal on the power of attorney)"


class ManualClock:
    """A clock this script sets by hand (a `onestop.ports.events.Clock`), in Seoul time."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def set(self, month: int, day: int, hour: int, minute: int = 0) -> None:
        self.current = datetime(2025, month, day, hour, minute, tzinfo=KST)


def office_calendar(years: list[int]) -> WorkCalendar:
    """Korea's public holidays, 09:00-18:00, less the 12:00-13:00 lunch hour.

    The lunch hour is not working time (국가공무원 복무규정 제9조 and the matching rules for
    local civil servants), so it is a closure on every working day; a day then holds
    the eight working hours that 민원 처리에 관한 법률 제19조 counts.
    """
    base = calendar_for("KR", years=years, day_start=time(9), day_end=time(18))
    lunch = [
        Closure(
            start=datetime.combine(day, time(12), KST),
            end=datetime.combine(day, time(13), KST),
            reason="점심시간 lunch hour",
        )
        for day, kind in base.day_kinds(date(min(years), 1, 1), date(max(years), 12, 31))
        if kind is DayKind.WORKING
    ]
    return calendar_for(
        "KR",
        years=years,
        day_start=time(9),
        day_end=time(18),
        closures=lunch,
        name="KR public offices, 09:00-18:00 less lunch",
    )


def scan(requirement: str, evidence_type: str, content: bytes) -> DocumentRef:
    """A reference to the scan the counter makes of a document shown in the original."""
    return DocumentRef(
        requirement=requirement,
        evidence_type=evidence_type,
        sha256=hashlib.sha256(content).hexdigest(),
        media_type="application/pdf",
        size=len(content),
        content=content,
    )


def stamp(moment: datetime, language: str) -> str:
    """A date and time as the office writes it: ``2025-10-10(금) 14:45`` or in English."""
    local = moment.astimezone(KST)
    if language == "ko":
        return f"{local:%Y-%m-%d}({WEEKDAYS_KO[local.weekday()]}) {local:%H:%M}"
    return f"{local:%a %d %b %Y %H:%M} KST"


def act(mall: Mall, app: str, action: str, actor: Actor, reason: str | None = None) -> None:
    """Take a workflow action, printing its label in Korean and English as it goes."""
    application = mall.application(app)
    found = mall.catalogue.workflow(application.workflow).transition(application.state, action)
    label = found.label if found is not None else None
    names = f"{label.get('ko')} / {label.get('en')}" if label else action
    print(f"  -> {names} [{actor.id}]")
    mall.act(app, action, actor=actor, inputs={"reason": reason} if reason else None)


def show(mall: Mall, number: str, secret: str, title: str) -> None:
    """Print the public status, as the applicant sees it, in Korean and English."""
    print(f"\n== {title}")
    for language in ("ko", "en"):
        status = mall.track(number, secret, language=language)
        if status.closed:
            due = "처리 완료" if language == "ko" else "closed"
        elif status.due is None:
            due = "처리기간 정지 (보완 대기)" if language == "ko" else "clock paused"
        else:
            due = ("처리기한 " if language == "ko" else "due ") + stamp(status.due, language)
        print(f"  [{language}] {status.service_name}: {status.label} | {due}")
        for needed in status.needed:
            print(f"       - {needed.label}" + (f" ({needed.reason})" if needed.reason else ""))
    history = mall.track(number, secret, language="ko").history
    print("  history: " + " -> ".join(step.state for step in history))


def main() -> None:
    """Walk a seal certificate, and an escalated building register copy, through Chuseok."""
    clock = ManualClock(datetime(2025, 10, 2, 16, 30, tzinfo=KST))
    calendar = office_calendar([2025, 2026])
    mall = Mall(
        catalogue=load_catalogue(CATALOGUE),
        store=from_url("memory://"),
        clock=clock,
        calendars={"*": calendar},
    )
    print("Closed for Chuseok 2025:")
    for day, kind in calendar.day_kinds(date(2025, 10, 3), date(2025, 10, 9)):
        print(f"  {day:%a %d %b}: {kind.value}")

    # 1. Thursday 2 October, 16:30: the son applies at the counter for his mother.
    mother = Person.of(identity_number="550315-2000001", identity_scheme="kr-rrn", name="김순자")
    son = Person.of(identity_number="820704-1000002", identity_scheme="kr-rrn", name="이준호")
    attorney = scan("power-of-attorney", "power-of-attorney-seal", b"POA, wrong seal")
    answers: dict[str, object] = {"applicant_name": "김순자", "use": "general", "by_proxy": True}
    receipt = mall.submit(
        "seal-certificate",
        channel="counter",
        applicant=mother,
        representative=Representative(person=son, authorisation=attorney.sha256),
        answers=answers,
        documents=[scan("id-card", "id-card", b"son's ID card"), attorney],
        actor=SON,
        idempotency_key="seal-20251002-1630",
    )
    number, app = receipt.number, receipt.application_id
    secret = receipt.lookup_secret or ""  # shown once, on the receipt
    service = mall.catalogue.service("seal-certificate", at=clock.now())
    for fee in service.fees_for(ChannelKind.COUNTER):
        due_fee = fee.due(answers)
        if due_fee is not None:
            amount = f"{due_fee.amount:,}"
            print(f"\n{fee.label.get('ko')}: {amount}원 / {fee.label.get('en')}: KRW {amount}")
    print(f"Received {number}; due {receipt.due:%a %d %b %Y %H:%M} KST")
    for line in receipt.deadline:
        print(f"  {line}")
    show(mall, number, secret, "1. 접수 / Received")

    clock.set(10, 2, 16, 35)
    act(mall, app, "accept", COUNTER)
    clock.set(10, 2, 16, 50)
    mall.check_document(app, "id-card", verdict="verified", actor=COUNTER)
    mall.check_document(
        app, "power-of-attorney", verdict="rejected", reason="seal_mismatch", actor=COUNTER
    )
    act(mall, app, "request_correction", COUNTER, reason=WRONG_SEAL)
    show(mall, number, secret, "2. 보완 요청: 처리기간이 멈춤 / Sent back: the clock stops")

    # At 17:00 the son also asks for a building register copy; it is accepted and forgotten.
    clock.set(10, 2, 17, 0)
    other = mall.submit(
        "building-register-copy",
        channel="counter",
        applicant=son,
        answers={
            "building_address": "서울특별시 종로구 율곡로 000 (예시)",
            "register_kind": "general",
            "request": "issue",
        },
        actor=SON,
    )
    print(f"\n17:00: {other.number} is accepted, then left unchecked")
    clock.set(10, 2, 17, 5)
    act(mall, other.application_id, "accept", COUNTER)

    # 2. Friday 10 October, after Chuseok.  The building register copy has been in
    # "checking" since 17:05 on the 2nd: its two working hours ran out at 10:05.
    clock.set(10, 10, 10, 30)
    moved = mall.fire_timers()
    escalated = mall.catalogue.workflow("instant-certificate").state("escalated").label
    print(f"\nTimers at 10:30 on 10 Oct moved {len(moved)}: {other.number}")
    print(f"  [ko] {escalated.get('ko')}\n  [en] {escalated.get('en')}")

    clock.set(10, 10, 11, 0)
    mall.attach_document(
        app, scan("power-of-attorney", "power-of-attorney-seal", b"POA, right seal"), actor=SON
    )
    clock.set(10, 10, 11, 5)
    act(mall, app, "resubmit", SON)
    show(mall, number, secret, "3. 보완 서류 제출 / Corrected: the rest runs across lunch")

    clock.set(10, 10, 11, 20)
    mall.check_document(app, "power-of-attorney", verdict="verified", actor=COUNTER)
    act(mall, app, "issue", COUNTER)
    show(mall, number, secret, "4. 발급 완료 / Issued")

    clock.set(10, 10, 11, 30)
    print(f"\n11:30, the head of the office issues {other.number}, half an hour late")
    act(mall, other.application_id, "issue", HEAD)

    print("\nDeadline of the seal certificate, explained:")
    for line in mall.deadline(app).trace:
        print(f"  {line}")
    print(f"Audit chain intact: {mall.verify(app).ok}")
    for row in mall.sla_report():
        print(
            f"SLA {row.agency}/{row.service}: on time {row.on_time}, late {row.late}, "
            f"paused {row.paused}"
        )


if __name__ == "__main__":
    main()
