"""Due dates on the example countries' calendars, against answers worked out by hand.

Every expected due date below was counted by hand from the official holiday lists of
2025, not from the `holidays` package:

* Indonesia: SKB 3 Menteri No. 1017/2024, 2/2024, 2/2024 on national holidays and joint
  leave (cuti bersama) for 2025, and its amendment of 2025 adding Monday 18 August as
  joint leave; office hours of the central government (Mon-Thu 07:30-16:00, Fri
  07:30-16:30, breaks 12:00-13:00 and Fri 11:30-13:00), as the example declares.
* Korea: the Regulations on Holidays of Government Offices (관공서의 공휴일에 관한 규정)
  with the 2025 temporary holiday of 27 January and presidential election day 3 June;
  the Civil Petitions Act's counting (a limit of 5 days or less counted in hours at 8
  hours a day, longer limits in days with the day of receipt counted as day 1).
* Cambodia: Sub-decree on public holidays for 2025 (Khmer New Year 14-16 April, Pchum
  Ben 21-23 September, Constitution Day 24 September, Water Festival 4-6 November).
* Egypt: the Cabinet's 2025 holidays (Eid al-Adha: Arafah 5 June to 9 June; Sinai
  Liberation Day 25 April); daylight saving time in Africa/Cairo from the last Friday of
  April to the last Thursday of October (Law No. 24 of 2023).

The calendars are the example catalogues' own (``[[calendars]]`` in data files),
resolved and chosen by the `Mall` as an application would be counted.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from onestop import Duration, Mall, Pause, due_date, load_catalogue
from onestop.calendars import calendar_versions
from onestop.storage.memory import MemoryStore

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
WIB = ZoneInfo("Asia/Jakarta")
KST = ZoneInfo("Asia/Seoul")
ICT = ZoneInfo("Asia/Phnom_Penh")
CAIRO = ZoneInfo("Africa/Cairo")


def _at(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone)  # type: ignore[misc]


_MALLS: dict[str, Mall] = {}


def _mall(country: str) -> Mall:
    if country not in _MALLS:
        catalogue = load_catalogue(EXAMPLES / country)
        versions = calendar_versions(catalogue, years=range(2024, 2027))
        _MALLS[country] = Mall(catalogue=catalogue, store=MemoryStore(), calendar_versions=versions)
    return _MALLS[country]


def _days(n: int) -> Duration:
    return Duration.working_days(n)


def _hours(n: int) -> Duration:
    return Duration.working_hours(n)


# (case, country, agency, received, limit, pauses, due)
CASES = [
    # --- Jakarta: Mon-Thu 07:30-12:00, 13:00-16:00; Fri 07:30-11:30, 13:00-16:30 ---
    # Mon 3 Mar 10:00 + 3 days: Tue 4 (1), Wed 5 (2), Thu 6 (3); close Thu 16:00.
    (
        "id-three-days",
        "jakarta",
        "dpmptsp-dki",
        _at(WIB, 2025, 3, 3, 10),
        _days(3),
        (),
        _at(WIB, 2025, 3, 6, 16),
    ),
    # Mon 3 Mar 09:00 + 4 days ends on Friday, which closes at 16:30.
    (
        "id-friday-closes-later",
        "jakarta",
        "dpmptsp-dki",
        _at(WIB, 2025, 3, 3, 9),
        _days(4),
        (),
        _at(WIB, 2025, 3, 7, 16, 30),
    ),
    # Thu 27 Mar + 5 days: Fri 28 joint leave (Nyepi), Sat 29 Nyepi, Mon 31 and Tue 1 Apr
    # Idul Fitri, Wed 2 - Fri 4 and Mon 7 joint leave; Tue 8 (1) ... Fri 11 (4), Mon 14 (5).
    (
        "id-idul-fitri",
        "jakarta",
        "dpmptsp-dki",
        _at(WIB, 2025, 3, 27, 10),
        _days(5),
        (),
        _at(WIB, 2025, 4, 14, 16),
    ),
    # Lunch break: Mon 3 Mar 11:00 + 2 hours: 11:00-12:00 (1 h), 13:00-14:00 (1 h).
    (
        "id-lunch-break",
        "jakarta",
        "dpmptsp-dki",
        _at(WIB, 2025, 3, 3, 11),
        _hours(2),
        (),
        _at(WIB, 2025, 3, 3, 14),
    ),
    # Friday prayer break: Fri 7 Mar 11:00 + 1 hour: 11:00-11:30, then 13:00-13:30.
    (
        "id-friday-break",
        "jakarta",
        "dpmptsp-dki",
        _at(WIB, 2025, 3, 7, 11),
        _hours(1),
        (),
        _at(WIB, 2025, 3, 7, 13, 30),
    ),
    # After hours: Mon 3 Mar 18:00 + 2 hours counts from Tue 07:30: 09:30.
    (
        "id-after-hours",
        "jakarta",
        "dpmptsp-dki",
        _at(WIB, 2025, 3, 3, 18),
        _hours(2),
        (),
        _at(WIB, 2025, 3, 4, 9, 30),
    ),
    # A pause across Independence Day: Mon 11 Aug 09:00 + 5 days would be due Tue 19 Aug
    # 16:00 (Tue 12 .. Fri 15 are 1-4; Sun 17 holiday; Mon 18 joint leave; Tue 19 is 5).
    # Paused Thu 14 15:00 to Tue 19 08:30: 1 h (Thu) + 7.5 h (Fri) + 1 h (Tue) = 9.5 working
    # hours, added after Tue 19 16:00: Wed 20 gives 7.5 h, Thu 21 07:30-09:30 the last 2 h.
    (
        "id-pause-across-holiday",
        "jakarta",
        "dpmptsp-dki",
        _at(WIB, 2025, 8, 11, 9),
        _days(5),
        ((_at(WIB, 2025, 8, 14, 15), _at(WIB, 2025, 8, 19, 8, 30)),),
        _at(WIB, 2025, 8, 21, 9, 30),
    ),
    # Saturday half-day of Polda Metro Jaya's SIM and Samsat counters (08:00-12:00):
    # Fri 7 Mar 16:00 + 3 hours: Fri 16:00-16:30, Sat 08:00-10:30.
    (
        "id-saturday-half-day",
        "jakarta",
        "polda-metro-jaya",
        _at(WIB, 2025, 3, 7, 16),
        _hours(3),
        (),
        _at(WIB, 2025, 3, 8, 10, 30),
    ),
    # The day after a Friday is that Saturday, which closes at 12:00.
    (
        "id-saturday-is-a-day",
        "jakarta",
        "polda-metro-jaya",
        _at(WIB, 2025, 3, 7, 10),
        _days(1),
        (),
        _at(WIB, 2025, 3, 8, 12),
    ),
    # --- Korea: Mon-Fri 09:00-12:00, 13:00-18:00; receipt day counted; <= 5 days in hours ---
    # 3 days = 24 working hours from Mon 10 Mar 10:00: Mon 7 h, Tue 8 h (15), Wed 8 h (23),
    # Thu 09:00-10:00 (24).
    (
        "kr-short-limit-in-hours",
        "korea",
        "jongno-gu",
        _at(KST, 2025, 3, 10, 10),
        _days(3),
        (),
        _at(KST, 2025, 3, 13, 10),
    ),
    # 10 days counting Mon 10 Mar as day 1: Mon-Fri (1-5), Mon 17 - Fri 21 (6-10).
    (
        "kr-receipt-day-counts",
        "korea",
        "jongno-gu",
        _at(KST, 2025, 3, 10, 10),
        _days(10),
        (),
        _at(KST, 2025, 3, 21, 18),
    ),
    # Received after hours, Mon 10 Mar 19:00: day 1 is Tue 11; 7 days end Wed 19.
    (
        "kr-after-hours",
        "korea",
        "jongno-gu",
        _at(KST, 2025, 3, 10, 19),
        _days(7),
        (),
        _at(KST, 2025, 3, 19, 18),
    ),
    # Chuseok: Thu 2 Oct is day 1; Fri 3 National Foundation Day, Mon 6 - Tue 7 Chuseok,
    # Wed 8 substitute, Thu 9 Hangul Day; Fri 10 (2), Mon 13 (3) ... Thu 16 (6).
    (
        "kr-chuseok",
        "korea",
        "jongno-gu",
        _at(KST, 2025, 10, 2, 10),
        _days(6),
        (),
        _at(KST, 2025, 10, 16, 18),
    ),
    # Seollal: 2 days = 16 hours from Fri 24 Jan 14:00: Fri 4 h; Mon 27 temporary holiday,
    # 28-30 Seollal; Fri 31 Jan 8 h (12); Mon 3 Feb 09:00-12:00 (15), 13:00-14:00 (16).
    (
        "kr-seollal",
        "korea",
        "jongno-gu",
        _at(KST, 2025, 1, 24, 14),
        _days(2),
        (),
        _at(KST, 2025, 2, 3, 14),
    ),
    # Hours across lunch: 1 day = 8 hours from Tue 11 Mar 11:30: 0.5 + 5 h on Tuesday,
    # Wed 09:00-11:30.
    (
        "kr-hours-across-lunch",
        "korea",
        "jongno-gu",
        _at(KST, 2025, 3, 11, 11, 30),
        _days(1),
        (),
        _at(KST, 2025, 3, 12, 11, 30),
    ),
    # A pause across election day: Wed 28 May + 10 days (day 1) ends Thu 12 Jun (Tue 3 Jun
    # election day, Fri 6 Jun Memorial Day skipped).  Paused Mon 2 Jun 17:00 to Wed 4 Jun
    # 10:00: 1 h + 1 h, added after Thu 12 18:00: Fri 13 09:00-11:00.
    (
        "kr-pause-across-election-day",
        "korea",
        "jongno-gu",
        _at(KST, 2025, 5, 28, 10),
        _days(10),
        ((_at(KST, 2025, 6, 2, 17), _at(KST, 2025, 6, 4, 10)),),
        _at(KST, 2025, 6, 13, 11),
    ),
    # --- Cambodia: Mon-Fri 08:00-16:00 ---
    # Khmer New Year: Fri 11 Apr + 3 days: Mon 14 - Wed 16 closed; Thu 17, Fri 18, Mon 21.
    (
        "kh-khmer-new-year",
        "cambodia",
        "owso-daun-penh",
        _at(ICT, 2025, 4, 11, 10),
        _days(3),
        (),
        _at(ICT, 2025, 4, 21, 16),
    ),
    # Water Festival: Mon 3 Nov + 5 days: Tue 4 - Thu 6 closed; Fri 7 (1), Sun 9 is
    # Independence Day (a Sunday, no substitute), Mon 10 (2) ... Thu 13 (5).
    (
        "kh-water-festival",
        "cambodia",
        "owso-daun-penh",
        _at(ICT, 2025, 11, 3, 9),
        _days(5),
        (),
        _at(ICT, 2025, 11, 13, 16),
    ),
    # Pchum Ben: Fri 19 Sep + 2 days: Mon 22, Tue 23 Pchum Ben, Wed 24 Constitution Day;
    # Thu 25 (1), Fri 26 (2).
    (
        "kh-pchum-ben",
        "cambodia",
        "owso-daun-penh",
        _at(ICT, 2025, 9, 19, 15),
        _days(2),
        (),
        _at(ICT, 2025, 9, 26, 16),
    ),
    # --- Egypt: Sun-Thu 08:00-15:00, Africa/Cairo with daylight saving time ---
    # The end of summer time: Wed 29 Oct 11:00 EEST + 6 days: Thu 30 (1), Sun 2 Nov (2) ...
    # Thu 6 Nov (6), 15:00 EET (13:00 UTC).
    (
        "eg-summer-time-ends",
        "egypt",
        "civil-status",
        _at(CAIRO, 2025, 10, 29, 11),
        _days(6),
        (),
        _at(CAIRO, 2025, 11, 6, 15),
    ),
    # The start of summer time: Thu 24 Apr 14:00 EET + 2 hours: 14:00-15:00 Thursday; Fri 25
    # (Sinai Liberation Day, weekend), clocks go forward; Sun 27 Apr 08:00-09:00 EEST.
    (
        "eg-summer-time-starts",
        "egypt",
        "civil-status",
        _at(CAIRO, 2025, 4, 24, 14),
        _hours(2),
        (),
        _at(CAIRO, 2025, 4, 27, 9),
    ),
    # Eid al-Adha: Wed 4 Jun + 2 days: Thu 5 Arafah, Fri-Sat weekend and Eid, Sun 8 and Mon 9
    # Eid; Tue 10 (1), Wed 11 (2).
    (
        "eg-eid-al-adha",
        "egypt",
        "civil-status",
        _at(CAIRO, 2025, 6, 4, 10),
        _days(2),
        (),
        _at(CAIRO, 2025, 6, 11, 15),
    ),
]


@pytest.mark.parametrize(
    ("country", "agency", "received", "limit", "pauses", "due"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_the_due_date_is_the_one_worked_out_by_hand(
    country: str,
    agency: str,
    received: datetime,
    limit: Duration,
    pauses: tuple[tuple[datetime, datetime], ...],
    due: datetime,
) -> None:
    """The example catalogue's calendar gives the due date counted by hand."""
    mall = _mall(country)
    calendar = mall.calendar(agency, at=received)
    deadline = due_date(
        calendar,
        received=received,
        limit=limit,
        pauses=[Pause(start=start, end=end, reason="applicant") for start, end in pauses],
    )
    assert deadline.due is not None, deadline.explain()
    assert deadline.due == due, deadline.explain()
    # The same instant too: datetimes sharing a zone compare by wall clock alone, which
    # would let an offset wrong across a daylight-saving change pass.
    assert deadline.due.astimezone(UTC) == due.astimezone(UTC), deadline.explain()


def test_there_are_at_least_twenty_cases_over_every_example_country() -> None:
    """The hand-worked cases cover each example country, twenty or more in all."""
    assert len(CASES) >= 20
    assert {case[1] for case in CASES} == {"jakarta", "korea", "cambodia", "egypt"}
