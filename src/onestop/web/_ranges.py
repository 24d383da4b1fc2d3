"""Patterns of decimal text within bounds: a JSON Schema bounding a number written as text.

JSON Schema bounds numbers (``minimum``), not text; a form's ``number`` answer may be
decimal text (``"12.50"``), which the server checks against the field's bounds.
`decimal_pattern` writes those bounds into the text's pattern, with lookaheads (which
ECMA-262 and Python's `re` both have), digit by digit: a value is at most *m* when its
whole part has fewer digits than *m*'s, or as many and is smaller at the first digit
that differs, or is equal and its fraction is at most *m*'s.

>>> import re
>>> pattern = decimal_pattern(Decimal("0.5"), Decimal("1000.5"))
>>> [bool(re.search(pattern, t)) for t in ("0.5", "0.49", "1000.50", "1000.51", "-0", "007")]
[True, False, True, False, False, True]
"""

from __future__ import annotations

from decimal import Decimal

__all__ = ["DECIMAL_TEXT", "decimal_pattern"]

DECIMAL_TEXT = r"-?[0-9]{1,30}(\.[0-9]{1,12})?"
"""Decimal text as a number answer takes it: ASCII digits, 30 at most before the point, 12 after."""

_ANY_FRACTION = r"(\.[0-9]+)?"


def decimal_pattern(minimum: Decimal | int | None, maximum: Decimal | int | None, /) -> str:
    """Return an anchored pattern of `DECIMAL_TEXT` whose value lies within the bounds given."""
    checks = ""
    if minimum is not None:
        checks += f"(?={_at_least(Decimal(minimum))})"
    if maximum is not None:
        checks += f"(?={_at_most(Decimal(maximum))})"
    return f"^{checks}{DECIMAL_TEXT}$"


def _at_most(bound: Decimal) -> str:
    if bound >= 0:  # every negative value, or a magnitude up to the bound
        return f"(-|{_magnitude_at_most(bound)})"
    return f"-{_magnitude_at_least(-bound)}"


def _at_least(bound: Decimal) -> str:
    if bound > 0:  # a negative value (even -0) is below it
        return _magnitude_at_least(bound)
    return f"(-{_magnitude_at_most(-bound)}|[0-9])"


def _parts(magnitude: Decimal) -> tuple[str, str]:
    """The whole digits (no leading zero; ``""`` for 0) and the fraction (no trailing zero)."""
    text = format(abs(magnitude), "f")  # a bound of -0 is a magnitude of 0
    whole, _, fraction = text.partition(".")
    return whole.lstrip("0"), fraction.rstrip("0")


def _below(digits: str) -> list[str]:
    """Patterns of digit strings as long as *digits* and smaller."""
    found = []
    for k, digit in enumerate(digits):
        if digit != "0":
            rest = len(digits) - k - 1
            found.append(f"{digits[:k]}[0-{int(digit) - 1}][0-9]{{{rest}}}")
    return found


def _above(digits: str) -> list[str]:
    """Patterns of digit strings as long as *digits* and larger."""
    found = []
    for k, digit in enumerate(digits):
        if digit != "9":
            rest = len(digits) - k - 1
            found.append(f"{digits[:k]}[{int(digit) + 1}-9][0-9]{{{rest}}}")
    return found


def _magnitude_at_most(bound: Decimal) -> str:
    whole, fraction = _parts(bound)
    smaller = [f"[1-9][0-9]{{0,{len(whole) - 2}}}"] if len(whole) > 1 else []
    if whole:
        smaller.append("")  # a whole part of 0
    smaller += _below(whole)
    # an equal whole part: the fraction, padded with zeros, is at most the bound's
    equal = [f"{fraction[:k]}0*" for k in range(len(fraction) + 1)]
    equal += [f"{fraction[:k]}[0-{int(d) - 1}][0-9]*" for k, d in enumerate(fraction) if d != "0"]
    options = [f"{s}{_ANY_FRACTION}" for s in smaller]
    options.append(f"{whole}(\\.({'|'.join(equal)}))?")
    return f"0*({'|'.join(options)})$"


def _magnitude_at_least(bound: Decimal) -> str:
    whole, fraction = _parts(bound)
    larger = [f"[1-9][0-9]{{{len(whole)},}}", *_above(whole)]
    options = [f"{s}{_ANY_FRACTION}" for s in larger]
    if fraction:  # an equal whole part: the fraction is at least the bound's
        equal = [f"{fraction}[0-9]*"]
        equal += [
            f"{fraction[:k]}[{int(d) + 1}-9][0-9]*" for k, d in enumerate(fraction) if d != "9"
        ]
        options.append(f"{whole}\\.({'|'.join(equal)})")
    else:
        options.append(f"{whole}{_ANY_FRACTION}")
    return f"0*({'|'.join(options)})$"
