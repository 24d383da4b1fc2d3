"""Decimal text within bounds: the form schema's pattern agrees with comparing the numbers."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from onestop.domain.catalogue.model import FieldType, FormField
from onestop.domain.common.text import LocalizedText
from onestop.web._form_schema import field_schema
from onestop.web._ranges import DECIMAL_TEXT, decimal_pattern

bounds = st.none() | st.decimals(
    min_value=-(10**8), max_value=10**8, places=4, allow_nan=False, allow_infinity=False
)
texts = st.from_regex(rf"\A{DECIMAL_TEXT}\Z") | st.decimals(
    min_value=-(10**9), max_value=10**9, places=5, allow_nan=False, allow_infinity=False
).map(lambda d: format(d, "f"))


def _within(text: str, low: Decimal | None, high: Decimal | None) -> bool:
    value = Decimal(text)
    return (low is None or value >= low) and (high is None or value <= high)


@settings(max_examples=2_000)
@given(low=bounds, high=bounds, text=texts)
@example(low=Decimal("0.5"), high=Decimal("1000.5"), text="1000.50")
@example(low=Decimal(0), high=None, text="-0.000")
@example(low=None, high=Decimal("-0.25"), text="-0.250")
@example(low=Decimal("-10"), high=Decimal("-0.1"), text="-0.09")
@example(low=Decimal("9.99"), high=Decimal("10"), text="0009.990")
@example(low=None, high=Decimal("-0"), text="0")  # a catalogue's maximum = "-0"
@example(low=Decimal("-0"), high=None, text="-0.5")
@example(low=Decimal("-0.00"), high=Decimal("-0"), text="-0")
def test_the_pattern_holds_exactly_the_values_within_the_bounds(
    low: Decimal | None, high: Decimal | None, text: str
) -> None:
    """Decimal text matches the bounds' pattern exactly when its value lies within them."""
    assert bool(re.search(decimal_pattern(low, high), text)) == _within(text, low, high)


def _text_patterns() -> list[tuple[str, str]]:
    """Pairs of a text field's pattern (required or not, one line or several) and a text."""
    pairs = []
    for kind in (FieldType.TEXT, FieldType.LONG_TEXT, FieldType.PHONE):
        for required in (True, False):
            field = FormField(
                name="f", label=LocalizedText.of(en="F"), type=kind, required=required
            )
            pattern = field_schema(field, "en", fallbacks=()).pattern
            assert pattern is not None
            for text in [
                "",
                "  ",
                "a",
                "a\nb",
                "a\n",
                "\u0085",
                "+62 812",
                " +1",
                "x\u0000",
                "\U0001f600",
            ]:
                pairs.append((pattern, text))
    return pairs


NODE = shutil.which("node")


@pytest.mark.skipif(NODE is None, reason="Node.js is not installed")
def test_ecma_262_reads_the_patterns_as_python_does() -> None:
    """The patterns mean the same under ECMA-262 (JSON Schema's dialect) as under Python."""
    bounded = [
        (decimal_pattern(*(None if b is None else Decimal(b) for b in (low, high))), text)
        for low, high in [("0.5", "1000.5"), ("-3", None), (None, "-0.25"), ("0", "99")]
        for text in ["0.5", "0.49", "1000.5", "1000.51", "-0", "-0.3", "-0.25", "007", "100"]
    ]
    pairs = bounded + _text_patterns()
    script = (
        "const pairs = JSON.parse(process.argv[1]);"
        "console.log(JSON.stringify(pairs.map(([p, t]) => new RegExp(p, 'u').test(t))));"
    )
    found = subprocess.run(
        [str(NODE), "-e", script, json.dumps(pairs)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert json.loads(found.stdout) == [bool(re.search(p, t)) for p, t in pairs]
