"""The check-digit algorithms an identity scheme may name in a catalogue.

Each is plain Python, written from its published definition, and verified in the test
suite against the definition's own examples and, on generated numbers, against the
implementation of the ``python-stdnum`` package (which onestop does not need here):

* ``luhn``: ISO/IEC 7812-1, the Luhn mod 10 check of payment cards and many ids;
* ``verhoeff``: Verhoeff's dihedral-group check, which finds every single-digit error
  and every swap of adjacent digits;
* ``damm``: Damm's totally anti-symmetric quasigroup check, with the table of his 2004
  thesis;
* ``iso7064_mod11_2``: ISO 7064 MOD 11-2, one check character ``0``-``9`` or ``X``
  (ORCID iDs, China's resident identity card);
* ``iso7064_mod11_10``: ISO 7064 MOD 11,10, the hybrid system with one check digit
  (Germany's tax id, Croatia's OIB);
* ``iso7064_mod97_10``: ISO 7064 MOD 97-10, two check digits; letters count 10 to 35
  (IBANs, once rearranged; Europe's legal entity identifiers);
* ``mod11``: a weighted sum modulo 11, with the weights the scheme declares, one per
  character, the check character included: the number is valid when the sum is a
  multiple of 11, and a final ``X`` counts 10 (ISBN-10 has weights 10, 9, ..., 1).

`checksum_problem` checks a number and returns what is wrong without quoting it.

>>> checksum_problem("luhn", "79927398713") is None
True
>>> checksum_problem("luhn", "79927398710")
'the check digit is wrong (luhn)'
>>> checksum_problem("mod11", "0306406152", weights=(10, 9, 8, 7, 6, 5, 4, 3, 2, 1)) is None
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from onestop.exceptions import InvalidValue

__all__ = ["CHECKSUMS", "checksum_problem"]

CHECKSUMS: tuple[str, ...] = (
    "damm",
    "iso7064_mod11_10",
    "iso7064_mod11_2",
    "iso7064_mod97_10",
    "luhn",
    "mod11",
    "verhoeff",
)
"""The names of the check-digit algorithms a catalogue may declare, sorted."""

_DIGITS = frozenset("0123456789")
_ALPHANUMERIC = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

# Verhoeff's tables: the dihedral group D5's multiplication, the position permutation.
_VERHOEFF_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_VERHOEFF_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)
# Damm's quasigroup of order 10 (H. M. Damm, 2004), weakly totally anti-symmetric.
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)


def _digits_only(number: str) -> bool:
    return bool(number) and all(c in _DIGITS for c in number)


def _luhn(number: str, _: Sequence[int]) -> bool:
    if not _digits_only(number):
        return False
    total = 0
    for position, char in enumerate(reversed(number)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _verhoeff(number: str, _: Sequence[int]) -> bool:
    if not _digits_only(number):
        return False
    check = 0
    for position, char in enumerate(reversed(number)):
        check = _VERHOEFF_D[check][_VERHOEFF_P[position % 8][int(char)]]
    return check == 0


def _damm(number: str, _: Sequence[int]) -> bool:
    if not _digits_only(number):
        return False
    interim = 0
    for char in number:
        interim = _DAMM[interim][int(char)]
    return interim == 0


def _with_final_x(number: str) -> list[int] | None:
    """The values of *number*'s characters: digits, and ``X`` (10) only at the end."""
    if not number or not _digits_only(number[:-1]):
        return None
    last = number[-1]
    if last in "Xx":
        return [*map(int, number[:-1]), 10]
    return [*map(int, number)] if last in _DIGITS else None


def _mod11_2(number: str, _: Sequence[int]) -> bool:
    values = _with_final_x(number)
    if values is None or len(values) < 2:
        return False
    check = 0
    for value in values:
        check = (check * 2 + value) % 11
    return check == 1


def _mod11_10(number: str, _: Sequence[int]) -> bool:
    if len(number) < 2 or not _digits_only(number):
        return False
    check = 5
    for char in number:
        check = (((check or 10) * 2) % 11 + int(char)) % 10
    return check == 1


def _mod97_10(number: str, _: Sequence[int]) -> bool:
    if len(number) < 3 or not all(c in _ALPHANUMERIC for c in number):
        return False
    remainder = 0
    for char in number:
        for digit in str(int(char, 36)):
            remainder = (remainder * 10 + int(digit)) % 97
    return remainder == 1


def _mod11(number: str, weights: Sequence[int]) -> bool:
    values = _with_final_x(number)
    if values is None or len(values) != len(weights):
        return False
    return sum(w * v for w, v in zip(weights, values, strict=True)) % 11 == 0


_ALGORITHMS: dict[str, Callable[[str, Sequence[int]], bool]] = {
    "damm": _damm,
    "iso7064_mod11_10": _mod11_10,
    "iso7064_mod11_2": _mod11_2,
    "iso7064_mod97_10": _mod97_10,
    "luhn": _luhn,
    "mod11": _mod11,
    "verhoeff": _verhoeff,
}
_ALLOWED = {
    "iso7064_mod11_2": _DIGITS | {"X", "x"},
    "iso7064_mod97_10": _ALPHANUMERIC,
    "mod11": _DIGITS | {"X", "x"},
}
_ACCEPTS = {
    "iso7064_mod11_2": "digits 0-9, and X as the last character",
    "iso7064_mod97_10": "letters A-Z and digits 0-9",
    "mod11": "digits 0-9, and X as the last character",
}


def checksum_problem(name: str, number: str, /, *, weights: Sequence[int] = ()) -> str | None:
    """Return why *number* fails the check-digit algorithm *name*, or ``None`` if it passes.

    *number* is what remains once separators are removed.  The message names the
    algorithm, never the number.  *weights* are the ``mod11`` weights, one per
    character; the other algorithms ignore them.

    Raises:
        onestop.exceptions.InvalidValue: If *name* is not one of `CHECKSUMS` (a catalogue
            refuses such a name when it is loaded), or a weight is not an integer.
    """
    given: object = name
    algorithm = _ALGORITHMS.get(name) if isinstance(given, str) else None
    if algorithm is None:
        raise InvalidValue(field="name", reason=f"unknown checksum; known: {', '.join(CHECKSUMS)}")
    text: object = number
    if not isinstance(text, str):
        return "expected the number as text"
    given_weights: Sequence[object] = weights
    if not all(isinstance(w, int) and not isinstance(w, bool) for w in given_weights):
        raise InvalidValue(field="weights", reason="must be integers")
    if name == "mod11" and len(number) != len(weights):
        return f"must have {len(weights)} characters for its check digit (mod11)"
    accepted = _ACCEPTS.get(name, "digits 0-9")
    if not algorithm(number, tuple(weights)):
        if not number or any(c not in _ALLOWED.get(name, _DIGITS) for c in number):
            return f"must hold only {accepted} for its check digit ({name})"
        return f"the check digit is wrong ({name})"
    return None
