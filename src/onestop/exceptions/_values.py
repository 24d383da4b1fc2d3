"""Errors of values: any bad value or argument, work calendars and SLA clocks, parties, audit."""

from __future__ import annotations

from collections.abc import Sequence

from onestop.exceptions._base import OnestopError, _named, _shown


class InvalidValue(OnestopError, ValueError):
    """A value object, or a public call, was given a value it cannot hold.

    Raised in every area: a catalogue's or a workflow's values, an actor's id, an
    application's or a courier job's attributes, a text or an identifier of the wrong
    form, an argument of the wrong type (bytes for text, a datetime for a day).  It derives
    from `OnestopError` and `ValueError` only: catch it by name, or as a `ValueError`.

    The message shows *field* as given when it is a name of at most 64 characters,
    and shortened otherwise (a caller may pass any field name).

    Attributes:
        field: The name of the offending attribute or argument, with the item where
            there is one (``agencies[0]``).
        reason: What is wrong with it.
    """

    def __init__(self, *, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{_named(field)}: {reason}")


class AmountTooPrecise(InvalidValue):
    """An amount has more digits after the point than its currency's ISO 4217 minor unit.

    ``12.345`` US dollars (2 minor units) or ``100.5`` won (0) is refused, in a `Money`,
    a fee or a fee tier, so that no fee asks for a fraction of a cent.

    Attributes:
        field: The offending amount (``amount``, ``tiers[1].amount``).
        reason: What is wrong, with the currency and its minor unit.
        currency: The ISO 4217 code of the amount's currency.
        minor_units: How many digits after the point the currency allows.
    """

    def __init__(self, *, field: str, currency: str, minor_units: int) -> None:
        self.currency = currency
        self.minor_units = minor_units
        digits = "no digits" if minor_units == 0 else f"at most {minor_units} digit"
        digits += "s" if minor_units > 1 else ""
        super().__init__(
            field=field,
            reason=f"{currency} has {minor_units} minor units in ISO 4217: "
            f"an amount in it has {digits} after the point",
        )


class CalendarError(OnestopError):
    """A work calendar, or a deadline computed on one, was given bad input."""


class InvalidCalendar(CalendarError, ValueError):
    """A work calendar, a closure or a pause cannot hold the value it was given.

    Attributes:
        field: The name of the offending attribute or argument.
        reason: What is wrong with it.
    """

    def __init__(self, *, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


class DateOutOfRange(InvalidCalendar):
    """An instant, or the answer of a calendar computation, lies beyond what can be counted.

    Python's dates end at the years 1 and 9999: an instant too near either end to be
    read in every time zone, or a deadline that would fall past the end, is refused
    with this error instead of an `OverflowError`.  So is a count that would walk more
    than `onestop.domain.time.worktime.MAX_WALK` days (about a hundred years) at once.

    Attributes:
        field: The argument whose value, or whose working time, is out of range.
        reason: What is out of range; instants are shown in ISO 8601.
    """


class NaiveDatetime(CalendarError, ValueError):
    """A datetime without a time zone was given where an instant is needed.

    Attributes:
        argument: The name of the argument or attribute that held it.
    """

    def __init__(self, argument: str) -> None:
        self.argument = argument
        super().__init__(
            f"{_named(argument)} must be a timezone-aware datetime (give tzinfo, e.g. "
            "ZoneInfo('Asia/Jakarta'))"
        )


class UnsupportedCountry(CalendarError, LookupError):
    """No ready-made work calendar exists for this country.

    Attributes:
        country: The country code asked for.
        supported: The ISO 3166-1 alpha-2 codes that are supported.
    """

    def __init__(self, country: str, *, supported: Sequence[str]) -> None:
        self.country = country
        self.supported = tuple(supported)
        super().__init__(
            f"no work calendar for country {_shown(country)}; "
            f"supported: {', '.join(self.supported)}"
        )


class PartyError(OnestopError):
    """An applicant's, representative's or contact person's data is not valid."""


class InvalidIdentityNumber(PartyError, ValueError):
    """An identity number breaks its scheme's format rules.

    The message names the rules broken and never quotes the number or any part of it.

    Attributes:
        scheme: The numbering scheme, e.g. ``id-nik``.
        problems: Every rule broken, one sentence each.
        reason: The problems joined into one sentence.
    """

    def __init__(self, *, scheme: str, problems: Sequence[str]) -> None:
        self.scheme = scheme
        self.problems = tuple(problems)
        self.reason = "; ".join(self.problems)
        super().__init__(f"not a valid {scheme} number: {self.reason}")


class UnknownIdentityScheme(PartyError, LookupError):
    """No identity validator is registered for this scheme.

    Attributes:
        scheme: The scheme asked for.
        known: The schemes that have a validator.
    """

    def __init__(self, scheme: str, *, known: Sequence[str] = ()) -> None:
        self.scheme = scheme
        self.known = tuple(known)
        super().__init__(
            f"no identity validator for scheme {_shown(scheme)}; "
            f"known: {', '.join(self.known) or 'none'}"
        )


class AuditError(OnestopError):
    """The audit hash chain was given bad input, or does not verify."""


class NotCanonical(AuditError, ValueError):
    """A value has no canonical encoding (a float, a naive datetime, an unknown type, ...).

    Attributes:
        path: Where in the value, e.g. ``$.fee.amount``; parts inside personal data
            are not spelled out.
        reason: What is wrong there; never the value itself.
    """

    def __init__(self, *, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class ChainError(AuditError, ValueError):
    """A hash, version or checkpoint given to the hash chain is malformed.

    Attributes:
        problem: What is wrong, in one sentence.
    """

    def __init__(self, problem: str) -> None:
        self.problem = problem
        super().__init__(problem)


class ChainBroken(ChainError):
    """Entries do not form one unbroken hash chain.

    Attributes:
        index: The position of the first bad entry in the sequence given.
        version: That entry's version (for entries missing at the end, the first missing).
        problem: What is wrong with it.
    """

    def __init__(self, *, index: int, version: int | None, problem: str) -> None:
        self.index = index
        self.version = version
        super().__init__(problem)
        self.args = (f"entry {index} (version {version}): {problem}",)
