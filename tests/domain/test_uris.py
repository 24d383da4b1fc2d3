"""Links (`onestop.domain.common.uris`): absolute URIs of the schemes a caller allows."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onestop.domain.common.uris import check_uri, uri_problem
from onestop.exceptions import InvalidValue


@pytest.mark.parametrize(
    "uri",
    [
        "https://dpmptsp.jakarta.go.id/layanan?kode=1#izin",
        "HTTP://Example.go.id",
        "https://user@host.example:8443/p",
        "https://peraturan.example/\u0101",  # an IRI may hold non-ASCII letters
    ],
)
def test_an_http_uri_with_a_host_is_accepted(uri: str) -> None:
    """An http or https URI naming a host passes, whatever the case of its scheme."""
    assert uri_problem(uri) is None
    assert check_uri(uri, field="uri") == uri


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("javascript:alert(1)", "has the scheme 'javascript'; allowed: http, https"),
        ("JaVaScRiPt:alert(1)", "has the scheme 'javascript'; allowed: http, https"),
        ("file:///etc/passwd", "has the scheme 'file'; allowed: http, https"),
        ("data:text/html,<b>", "has the character U+003C"),
        ("java\nscript:alert(1)", "has a line break at position 5"),
        (" https://example.go.id", "has white space at position 1"),
        ("https://example.go.id/\u202e", "has the character U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("https://example.go.id\ud800", "has the character U+D800"),
        ("https:example.go.id", "names no host"),
        ("https://", "names no host"),
        ("example.go.id", "is not an absolute URI"),
        ("", "is empty"),
        ("https://e.id/" + "a" * 3000, "is 3013 characters long, more than 2048"),
    ],
)
def test_a_uri_with_another_scheme_or_a_hidden_character_is_refused(uri: str, reason: str) -> None:
    """Schemes outside the list, white space, controls and lone surrogates are refused."""
    problem = uri_problem(uri)
    assert problem is not None
    assert problem.startswith(reason)
    with pytest.raises(InvalidValue, match=r"^website: "):
        check_uri(uri, field="website")


def test_the_schemes_allowed_are_the_callers() -> None:
    """*schemes* widens or narrows what passes; ``urn`` and ``mailto`` only when listed."""
    assert uri_problem("urn:onestop:agency:x", schemes=("urn",)) is None
    assert uri_problem("mailto:info@example.go.id", schemes=("mailto",)) is None
    assert uri_problem("urn:onestop:agency:x") is not None
    assert uri_problem("https://example.go.id", schemes=("urn",)) is not None


@given(text=st.text(max_size=60))
def test_a_uri_that_passes_has_no_white_space_or_control(text: str) -> None:
    """Whatever `uri_problem` accepts is one line with a scheme, no space and no control."""
    for uri in (text, "https://" + text, "javascript:" + text):
        if uri_problem(uri, schemes=("http", "https", "mailto", "tel")) is None:
            assert not any(c.isspace() or unicodedata.category(c)[0] == "C" for c in uri)
            assert uri.split(":", 1)[0].lower() in {"http", "https", "mailto", "tel"}


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"max_length": -(10**5000)}, "max_length"),
        ({"max_length": True}, "max_length"),
        ({"schemes": 5}, "schemes"),
        ({"schemes": "https"}, "schemes"),
    ],
)
def test_a_wrong_uri_option_is_the_callers_typed_error(options: dict[str, Any], field: str) -> None:
    """A max_length that is not a positive integer, or schemes that are not a collection."""
    with pytest.raises(InvalidValue) as caught:
        uri_problem("https://example.go.id", **options)
    assert caught.value.field == field
    assert len(str(caught.value)) < 200
