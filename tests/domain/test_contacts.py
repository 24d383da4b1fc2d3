"""Phone numbers and e-mail addresses, checked by phonenumbers and email-validator, purely."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import onestop.domain
from onestop.domain.common.contacts import (
    check_email,
    check_phone,
    normalise_email,
    normalise_phone,
    region_problem,
)
from onestop.exceptions import InvalidValue


def test_checking_loads_no_network_module() -> None:
    """Checking a phone and an e-mail address, in a fresh interpreter, loads no DNS or socket."""
    package = Path(onestop.domain.__file__).parent.parent
    probe = (
        "import sys, types\n"
        "package = types.ModuleType('onestop')\n"  # the domain alone, not onestop/__init__
        f"package.__path__ = [{str(package)!r}]\n"
        "sys.modules['onestop'] = package\n"
        "from onestop.domain.common.contacts import normalise_email, normalise_phone\n"
        "assert normalise_email('ana@mail.example')[0]\n"
        "assert normalise_phone('0812-3456-7890', region='ID')[0]\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'dns', 'socket', 'ssl'}))\n"
    )
    found = subprocess.run(
        [sys.executable, "-I", "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert found.stdout.strip() == "[]"


@given(st.text(max_size=30))
def test_a_kept_phone_number_is_e164(text: str) -> None:
    """Whatever is typed, a number kept is '+' and 15 digits at most; else a reason is given."""
    number, reason = normalise_phone(text, region="ID")
    if number is None:
        assert reason
    else:
        assert number.startswith("+")
        assert number[1:].isascii()
        assert number[1:].isdigit()
        assert len(number) <= 16


_NOT_AN_ADDRESS = "is not a valid e-mail address"


@given(st.text(max_size=40))
@example("addr")
def test_an_email_address_is_kept_or_refused_never_raised(text: str) -> None:
    """Any text gives a normalised address, or a reason that does not quote it."""
    address, reason = normalise_email(text)
    if address is None:
        assert reason
        # the fixed words are no quote: "addr" is in "... e-mail address" whatever was sent
        assert len(text) < 4 or text not in reason.replace(_NOT_AN_ADDRESS, "")


def test_the_raising_forms_name_the_field() -> None:
    """check_phone and check_email raise InvalidValue naming the field, never the value."""
    with pytest.raises(InvalidValue) as phone:
        check_phone("0812-3456-7890", field="phone")
    with pytest.raises(InvalidValue) as email:
        check_email("ana@", field="email")
    assert (phone.value.field, email.value.field) == ("phone", "email")
    assert "0812" not in str(phone.value)
    assert "ana" not in str(email.value)
    assert check_phone("0812-3456-7890", field="phone", region="ID") == "+6281234567890"


@pytest.mark.parametrize("region", ["id", "XX", "IDN", "", 62, None])
def test_a_region_is_one_the_metadata_knows(region: object) -> None:
    """A default region is an upper-case ISO 3166 code with a numbering plan."""
    assert region_problem(region) is not None
    assert region_problem("ID") is None
    assert region_problem("KH") is None
