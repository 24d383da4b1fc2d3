"""The identity numbering schemes onestop ships validators for: Indonesia's NIK, Korea's RRN.

Each validator checks the *format* of a number only, whole string and ASCII digits
(a digit of another script, a separator or a trailing line break is refused).  None
of these numbers has a check digit a computer could verify offline, and no format
check can tell whether a number was ever issued, or to whom: only the issuing
registry (Dukcapil, for the NIK) can.  `onestop.domain.common.parties` re-exports them and
registers both in `onestop.domain.common.parties.default_validators`.

>>> IndonesianNIK().validate("3171011708450001")
[]
>>> KoreanRRN().validate("850317-1234567\\n")
['must be 13 digits 0-9, hyphen after the sixth optional (got 15 chars)']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from types import MappingProxyType

import attrs

from onestop.domain.common.formats import TextFormat, kind_of

__all__ = ["NIK_PROVINCES", "IndonesianNIK", "KoreanRRN"]

NIK_PROVINCES: Mapping[str, str] = MappingProxyType(
    {
        "11": "Aceh",
        "12": "Sumatera Utara",
        "13": "Sumatera Barat",
        "14": "Riau",
        "15": "Jambi",
        "16": "Sumatera Selatan",
        "17": "Bengkulu",
        "18": "Lampung",
        "19": "Kepulauan Bangka Belitung",
        "21": "Kepulauan Riau",
        "31": "DKI Jakarta",
        "32": "Jawa Barat",
        "33": "Jawa Tengah",
        "34": "DI Yogyakarta",
        "35": "Jawa Timur",
        "36": "Banten",
        "51": "Bali",
        "52": "Nusa Tenggara Barat",
        "53": "Nusa Tenggara Timur",
        "61": "Kalimantan Barat",
        "62": "Kalimantan Tengah",
        "63": "Kalimantan Selatan",
        "64": "Kalimantan Timur",
        "65": "Kalimantan Utara",
        "71": "Sulawesi Utara",
        "72": "Sulawesi Tengah",
        "73": "Sulawesi Selatan",
        "74": "Sulawesi Tenggara",
        "75": "Gorontalo",
        "76": "Sulawesi Barat",
        "81": "Maluku",
        "82": "Maluku Utara",
        "91": "Papua",
        "92": "Papua Barat",
        "93": "Papua Selatan",
        "94": "Papua Tengah",
        "95": "Papua Pegunungan",
        "96": "Papua Barat Daya",
    }
)
"""The 38 province codes of the Ministry of Home Affairs (Kemendagri), which Dukcapil uses.

93-96 are the provinces created in 2022.  A NIK keeps the code of the place it was
first issued, so people living in those provinces may well hold a 91 or 92 NIK.
Statistics Indonesia (BPS) numbers the Papua provinces differently: do not mix the lists.
"""

_NIK = TextFormat("a NIK", r"[0-9]{16}", "16 digits 0-9", 16)
_RRN = TextFormat("an RRN", r"[0-9]{6}-?[0-9]{7}", "13 digits 0-9, a hyphen after the sixth", 14)


def _birth_date_exists(day: int, month: int, years: Iterable[int]) -> bool:
    for year in years:
        try:
            date(year, month, day)
        except ValueError:
            continue
        return True
    return False


@attrs.frozen
class IndonesianNIK:
    """Format rules of Indonesia's Nomor Induk Kependudukan (``id-nik``).

    A NIK is 16 digits, ``PPKKCC DDMMYY SSSS``, printed without separators:

    * ``PP`` (digits 1-2): the province where it was first issued, one of `NIK_PROVINCES`;
    * ``KK`` (3-4): the regency (kabupaten, 01-69) or city (kota, 71-99), never 00;
    * ``CC`` (5-6): the district (kecamatan), never 00;
    * ``DD`` (7-8): day of birth, plus 40 for women (01-31 or 41-71);
    * ``MM`` (9-10): month of birth; ``YY`` (11-12): the year's last two digits.  The
      date must exist in 19YY or 20YY (so 29 February needs a leap year);
    * ``SSSS`` (13-16): a serial starting at 0001, never 0000.

    This checks the format only: a NIK has no check digit, so a well-formed number may
    never have been issued.  Only Dukcapil can say whether it belongs to someone.  The
    NIK also gives away the holder's sex and birth date: keep it `Personal`.
    Separators are refused; strip spaces and dots before validating.
    """

    @property
    def scheme(self) -> str:
        """``id-nik``."""
        return "id-nik"

    def validate(self, number: str, /) -> list[str]:
        """Return every rule *number* breaks; an empty list when its format is valid."""
        given: object = number
        if not isinstance(given, str):
            return [f"expected the number as text, not {kind_of(given)}"]
        if not _NIK.matches(number):
            return [f"must be exactly 16 digits 0-9 with no separators (got {len(number)} chars)"]
        problems: list[str] = []
        if number[0:2] not in NIK_PROVINCES:
            problems.append("digits 1-2 are not a province code in use")
        if number[2:4] == "00":
            problems.append("digits 3-4 (regency or city) must not be 00")
        if number[4:6] == "00":
            problems.append("digits 5-6 (district) must not be 00")
        day, month, year = int(number[6:8]), int(number[8:10]), int(number[10:12])
        day = day - 40 if day > 40 else day
        if not 1 <= day <= 31:
            problems.append("digits 7-8 (day of birth, plus 40 for women) must be 01-31 or 41-71")
        elif not 1 <= month <= 12:
            problems.append("digits 9-10 (month of birth) must be 01-12")
        elif not _birth_date_exists(day, month, (1900 + year, 2000 + year)):
            problems.append("digits 7-12 are not a birth date that exists in 19YY or 20YY")
        if number[12:16] == "0000":
            problems.append("digits 13-16 (serial) must not be 0000")
        return problems


# The 7th digit of a Korean RRN gives the century of birth (and sex, and for 5-8,
# registration as a foreign resident).
_RRN_CENTURY = {"9": 1800, "0": 1800, "1": 1900, "2": 1900, "5": 1900, "6": 1900}


@attrs.frozen
class KoreanRRN:
    """Format rules of the Republic of Korea's resident registration number (``kr-rrn``).

    An RRN is 13 digits, written ``YYMMDD-SXXXXXX`` (the hyphen is optional here):

    * ``YYMMDD``: the date of birth;
    * ``S`` (digit 7): sex and century: 9, 0 for 1800s births; 1, 2 (citizens) and 5, 6
      (foreign residents) for the 1900s; 3, 4, 7, 8 for the 2000s.  The date must exist
      in that century;
    * ``XXXXXX``: six more digits.

    Numbers issued before October 2020 end in a check digit; since then the last six
    digits are random, and people can be issued a new number, so the check digit is
    not verified.  This checks the format only.  Korea's Personal Information
    Protection Act restricts collecting RRNs at all: ask whether you need one.
    """

    @property
    def scheme(self) -> str:
        """``kr-rrn``."""
        return "kr-rrn"

    def validate(self, number: str, /) -> list[str]:
        """Return every rule *number* breaks; an empty list when its format is valid."""
        given: object = number
        if not isinstance(given, str):
            return [f"expected the number as text, not {kind_of(given)}"]
        if not _RRN.matches(number):
            return [
                f"must be 13 digits 0-9, hyphen after the sixth optional (got {len(number)} chars)"
            ]
        digits = number.replace("-", "")
        century = _RRN_CENTURY.get(digits[6], 2000)
        year, month, day = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
        if not _birth_date_exists(day, month, (century + year,)):
            return ["digits 1-6 are not a birth date that exists in the century digit 7 gives"]
        return []
