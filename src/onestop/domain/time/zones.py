"""Which time zone names a catalogue and a calendar may give.

One test for every place a zone is named (an agency's ``time_zone``, a calendar's, a
`onestop.domain.time.calendar.WorkCalendar`'s), so that a name one of them accepts is
never refused, or worse, crashed on, by another: an IANA name the zone database holds.
Names that the database holds but that are no civil time zone are refused with them:
``localtime`` is the host's own zone (deadlines would move with the server), and
``Factory``, ``posixrules`` and the ``posix/`` and ``right/`` copies (leap seconds
counted) are artefacts of how the database is installed.

>>> zone_problem("Asia/Jakarta") is None
True
>>> zone_problem("localtime")
"'localtime' is not an IANA time zone such as 'Asia/Jakarta'"
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from onestop.domain.common.formats import kind_of, preview

__all__ = ["zone_problem"]

_NOT_CIVIL = frozenset({"localtime", "Factory", "posixrules"})
_NOT_CIVIL_PREFIXES = ("posix/", "right/", "/", ".")


def zone_problem(name: object) -> str | None:
    """Why *name* is not an IANA time zone onestop counts in, or ``None`` if it is one."""
    if not isinstance(name, str):
        return f"expected a zone name as text, not {kind_of(name)}"
    refused = f"{preview(name)} is not an IANA time zone such as 'Asia/Jakarta'"
    if not name or name in _NOT_CIVIL or name.startswith(_NOT_CIVIL_PREFIXES) or ".." in name:
        return refused
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a directory's name
        return refused
    return None
