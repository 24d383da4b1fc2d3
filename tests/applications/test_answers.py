"""Form answers: ASCII numbers, a form's own digits, bounds, phones, e-mails and documents."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal

import attrs
import pytest
from application_support import CITIZEN, START, Canary, answers, documents
from hypothesis import given, settings
from hypothesis import strategies as st

from onestop.domain.applications.commands import Submit, decide
from onestop.domain.applications.forms import DocumentRef, check_answer, check_document
from onestop.domain.catalogue.model import Catalogue, ChannelKind, FieldType, FormField
from onestop.domain.common.text import LocalizedText
from onestop.exceptions import InvalidApplication, InvalidValue

LABEL = LocalizedText.of(en="Field")
NUMBER = FormField(name="floor_area", label=LABEL, type=FieldType.NUMBER)
DATE = FormField(name="birth_date", label=LABEL, type=FieldType.DATE)
PHONE = FormField(name="phone", label=LABEL, type=FieldType.PHONE)
PHONE_ID = attrs.evolve(PHONE, region="ID")
EMAIL = FormField(name="email", label=LABEL, type=FieldType.EMAIL)
CANARY = Canary.new()

KHMER_36 = "\u17e3\u17e6"
ARABIC_INDIC_36 = "\u0663\u0666"
FULL_WIDTH_36 = "\uff13\uff16"


@pytest.mark.parametrize(
    "text", [ARABIC_INDIC_36, FULL_WIDTH_36, KHMER_36, "\u0969\u096c", "3\u0666"]
)
def test_a_number_in_another_scripts_digits_is_refused_by_an_indonesian_form(text: str) -> None:
    """An id/en form takes ASCII digits only: other scripts' digits are not numbers there."""
    value, message = check_answer(NUMBER, text, languages=("id", "en"))
    assert value is None
    assert message is not None
    assert text not in message


@pytest.mark.parametrize(
    ("languages", "text"),
    [(("km", "en"), KHMER_36), (("ar",), ARABIC_INDIC_36), (("ko", "en"), FULL_WIDTH_36)],
)
def test_a_form_reads_the_digits_of_its_languages(languages: tuple[str, ...], text: str) -> None:
    """A Khmer, Arabic or Korean form converts its own script's digits to an ASCII number."""
    assert check_answer(NUMBER, text, languages=languages) == (Decimal(36), None)
    assert check_answer(NUMBER, f"-{text}.5", languages=languages) == (Decimal("-36.5"), None)


def test_a_khmer_form_refuses_arabic_indic_digits() -> None:
    """Only the declared languages' digits are converted: a Khmer form refuses Arabic-Indic."""
    value, message = check_answer(NUMBER, ARABIC_INDIC_36, languages=("km", "en"))
    assert value is None
    assert message is not None
    assert "0-9" in message


def test_dates_and_phones_read_the_forms_digits_too() -> None:
    """A Khmer date or phone number is converted like a number; a Khmer digit elsewhere is not."""
    khmer = str.maketrans("0123456789", "".join(chr(0x17E0 + n) for n in range(10)))
    assert check_answer(DATE, "1985-03-17".translate(khmer), languages=("km",)) == (
        date(1985, 3, 17),
        None,
    )
    phone = "+855 12 345 678".translate(khmer)
    assert check_answer(PHONE, phone, languages=("km",)) == ("+85512345678", None)
    assert check_answer(PHONE, phone, languages=("id",))[0] is None
    assert check_answer(DATE, "1985-03-17".translate(khmer), languages=("id",))[0] is None


def test_a_submission_reads_the_catalogues_languages(catalogue: Catalogue) -> None:
    """submit passes the catalogue's languages to the form: a Khmer catalogue reads Khmer digits."""
    command = Submit(
        application_id="app-1",
        number="N/1",
        service="izin-usaha",
        channel=ChannelKind.ONLINE,
        applicant=CANARY.person(),
        answers=answers(CANARY, floor_area=KHMER_36),
        documents=tuple(documents()),
        actor=CITIZEN,
        secret_digest="0" * 64,
    )
    khmer = attrs.evolve(catalogue, languages=("km", "en"))
    [event] = decide(None, command, catalogue=khmer, at=START)
    assert event.answers["floor_area"] == Decimal(36)  # type: ignore[union-attr]
    with pytest.raises(InvalidApplication) as caught:
        decide(None, command, catalogue=catalogue, at=START)
    assert caught.value.fields == ("answers.floor_area",)


@pytest.mark.parametrize(
    ("minimum", "maximum", "value", "accepted"),
    [
        (0, None, -1, False),
        (0, None, "-0.5", False),
        (0, None, 0, True),
        (None, 100, 100, True),
        (None, 100, Decimal("100.01"), False),
        (Decimal("-10.5"), Decimal("-1"), "-10.5", True),
        (Decimal("-10.5"), Decimal("-1"), -11, False),
        ("1.5", None, "1.4", False),
    ],
)
def test_a_number_is_within_the_fields_bounds(
    minimum: object, maximum: object, value: object, accepted: bool
) -> None:
    """A number below the minimum or above the maximum is refused; the message names the bound."""
    field = attrs.evolve(NUMBER, minimum=minimum, maximum=maximum)
    _, message = check_answer(field, value)
    assert (message is None) is accepted
    if not accepted:
        assert message is not None
        assert message.startswith("must be at")
        assert repr(value) not in message


@pytest.mark.parametrize(
    "value",
    [10**5000, -(10**31), Decimal("1E+400"), Decimal("1E-20"), "9" * 31, True, 1.5],
    ids=["10**5000", "-10**31", "1E+400", "1E-20", "31 nines", "bool", "float"],
)
def test_a_number_no_store_or_message_can_hold_is_refused_without_echo(value: object) -> None:
    """Huge numbers, too many decimals, booleans and floats are refused, and never echoed."""
    checked, message = check_answer(NUMBER, value)
    assert checked is None
    assert message is not None
    assert len(message) < 120


@pytest.mark.parametrize(
    ("field", "text", "kept"),
    [
        (PHONE, "+62 812-3456-7890", "+6281234567890"),
        (PHONE, "+62 (812) 3456.7890", "+6281234567890"),
        (PHONE_ID, "0812-3456-7890", "+6281234567890"),
        (PHONE_ID, "+855 12 345 678", "+85512345678"),
        (EMAIL, "Ana@Example.COM", "Ana@example.com"),
        (EMAIL, "ana@b\u00fccher.example", "ana@b\u00fccher.example"),
    ],
)
def test_phones_and_emails_are_kept_normalised(field: FormField, text: str, kept: str) -> None:
    """A phone number is kept in E.164, an e-mail address as the library normalises it."""
    assert check_answer(field, text) == (kept, None)


@pytest.mark.parametrize(
    ("field", "text"),
    [
        (PHONE, "+62 812-3456-7890\r\n"),
        (PHONE, "+1-800-FLOWERS"),
        (PHONE, "+62 812 3456 7890 1234"),
        (PHONE, "0812-3456-7890"),
        (PHONE, "+62 \u0668\u0661\u0662 3456 7890"),
        (PHONE, "+99 1234 5678"),
        (PHONE, ""),
        (PHONE, 6281234567890),
        (PHONE_ID, "12"),
        (EMAIL, "ana@example.com\r\nBcc: all@example.com"),
        (EMAIL, "ana"),
        (EMAIL, "ana@localhost"),
        (EMAIL, "ana@mail.test"),
        (EMAIL, '"ana maria"@example.com'),
        (EMAIL, "a" * 250 + "@example.com"),
    ],
    ids=[
        "CRLF",
        "letters",
        "over 15 digits",
        "national without a region",
        "arabic-indic digits",
        "no such country",
        "empty",
        "an int",
        "too short for the region",
        "header injection",
        "no domain",
        "no dot",
        "special-use domain",
        "quoted local part",
        "too long",
    ],
)
def test_bad_phones_and_emails_are_refused_without_echo(field: FormField, text: object) -> None:
    """CRLF, letters, too many digits and bad syntax are refused; the message never quotes them."""
    checked, message = check_answer(field, text)
    assert checked is None
    assert message is not None
    assert str(text).strip() not in message or not str(text).strip()
    assert "3456" not in message
    assert "ana" not in message


def _ref(**changes: object) -> DocumentRef:
    content = b"scan"
    base = DocumentRef(
        requirement="ktp",
        evidence_type="ktp-el",
        sha256=hashlib.sha256(content).hexdigest(),
        media_type="application/pdf",
        size=len(content),
    )
    return attrs.evolve(base, **changes)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"sha256": hashlib.sha256(b"scan").hexdigest() + "\n"}, "sha256"),
        ({"sha256": hashlib.sha256(b"scan").hexdigest().upper()}, "sha256"),
        ({"media_type": "application/pdf\n"}, "media_type"),
        ({"media_type": "Application/PDF"}, "media_type"),
        ({"requirement": "ktp\n"}, "requirement"),
        ({"evidence_type": "ktp el"}, "evidence_type"),
        ({"size": -1}, "size"),
        ({"size": 2**41}, "size"),
        ({"size": 10**5000}, "size"),
    ],
    ids=[
        "hash newline",
        "hash upper",
        "type newline",
        "type upper",
        "code newline",
        "code space",
        "size negative",
        "size 2 TiB",
        "size huge",
    ],
)
def test_a_document_reference_is_checked_by_the_shared_formats(
    changes: dict[str, object], field: str
) -> None:
    """A trailing line break, a capital, a negative or a huge size is refused, naming the field."""
    problems = check_document(_ref(**changes), path="documents[0]")
    assert [p.path for p in problems] == [f"documents[0].{field}"]
    assert all(len(p.message) < 200 for p in problems)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"size": True}, "size"),
        ({"size": 12.0}, "size"),
        ({"size": "12"}, "size"),
        ({"sha256": b"0" * 64}, "sha256"),
        ({"requirement": None}, "requirement"),
        ({"content": "scan"}, "content"),
        ({"content": ["s"]}, "content"),
    ],
    ids=["size bool", "size float", "size text", "hash bytes", "no code", "text", "list"],
)
def test_a_document_reference_of_the_wrong_types_cannot_be_built(
    changes: dict[str, object], field: str
) -> None:
    """A reference refuses a field of the wrong type when built, naming it: no later crash."""
    with pytest.raises(InvalidValue) as caught:
        _ref(**changes)
    assert caught.value.field == field


def test_a_document_reference_copies_a_bytearray_or_a_memoryview_to_bytes() -> None:
    """Content given as a bytearray or memoryview is kept as bytes, checked like bytes."""
    for content in (bytearray(b"scan"), memoryview(b"scan")):
        ref = _ref(content=content)
        assert type(ref.content) is bytes
        assert check_document(ref, path="documents[0]") == []


_FIELDS = [
    FormField(name="f", label=LABEL, type=kind, region="KH" if kind is FieldType.PHONE else None)
    for kind in FieldType
]
_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.decimals(),
    st.floats(),
    st.text(),
    st.dates(),
    st.lists(st.text(max_size=3), max_size=3),
    st.binary(max_size=4),
)


@settings(max_examples=400, deadline=None)
@given(field=st.sampled_from(_FIELDS), value=_VALUES, languages=st.sampled_from([(), ("km",)]))
def test_check_answer_answers_for_any_value(
    field: FormField, value: object, languages: tuple[str, ...]
) -> None:
    """Whatever is given, check_answer returns a value or a message: it never raises."""
    checked, message = check_answer(field, value, languages=languages)
    assert (checked is None) != (message is None)
