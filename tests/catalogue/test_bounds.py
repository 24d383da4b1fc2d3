"""Reading catalogue files stays bounded: depth, size and duplicate keys are clean problems."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onestop.domain.catalogue.checks import MAX_LANGUAGES
from onestop.exceptions import CatalogueReadError, InvalidCatalogue
from onestop.usecases.catalogue.files import MAX_DEPTH, MAX_FILE_BYTES, parse_document
from onestop.usecases.catalogue.loading import (
    MAX_TOTAL_BYTES,
    catalogue_from_data,
    dump_catalogue,
    load_catalogue,
    read_catalogue,
)

HERE = Path(__file__).parent
VALID = HERE / "valid" / "minimal.toml"
HEADER = '[catalogue]\nname = { en = "x" }\nlanguages = ["en"]\n'


def problems_in(tmp_path: Path, name: str, text: str) -> list[tuple[str, str]]:
    file = tmp_path / name
    file.write_text(text, encoding="utf-8")
    _, problems = read_catalogue(file)
    assert all(p.file == str(file) for p in problems)
    return [(p.path, p.message) for p in problems]


def valid_data() -> dict[str, object]:
    data: dict[str, object] = json.loads(dump_catalogue(load_catalogue(VALID)))
    return data


DEEP = [
    ("arrays.json", "[" * 300 + "]" * 300),
    ("objects.json", '{"a":' * 300 + "1" + "}" * 300),
    ("in_a_service.json", '{"services": [' + "[" * 900 + "]" * 900 + "]}"),
    ("arrays.toml", "x = " + "[" * 300 + "]" * 300 + "\n"),
    ("inline_tables.toml", "x = " + "{a = " * 300 + "1" + "}" * 300 + "\n"),
    ("dotted_key.toml", HEADER + "[[services]]\n" + "x" + ".x" * 900 + " = 1\n"),
    ("table_header.toml", HEADER + "[" + ".".join(["t"] * 900) + "]\n"),
]


@pytest.mark.parametrize(("name", "text"), DEEP, ids=[d[0] for d in DEEP])
def test_deep_nesting_is_one_clean_problem(tmp_path: Path, name: str, text: str) -> None:
    """Hundreds of nested levels, by brackets or dotted keys, give one 'nested too deeply'."""
    [(_, message)] = problems_in(tmp_path, name, text)
    assert message.startswith(f"nested too deeply: more than {MAX_DEPTH} levels")


def test_a_dotted_key_too_deep_is_refused_with_its_path(tmp_path: Path) -> None:
    """Nesting without brackets (a long dotted key) is refused naming the path it reached."""
    [(path, _)] = problems_in(tmp_path, "c.toml", dict(DEEP)["dotted_key.toml"])
    assert path.startswith("services[0].x.x.x")


@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_nesting_up_to_the_limit_is_read(opening: str) -> None:
    """Exactly MAX_DEPTH levels parse; one more is refused."""
    closing = "]" if opening == "[" else "}"
    inner = "1" if opening != "[" else ""
    fits = (opening * MAX_DEPTH + inner + closing * MAX_DEPTH).encode()
    deeper = (opening * (MAX_DEPTH + 1) + inner + closing * (MAX_DEPTH + 1)).encode()
    assert parse_document(fits, name="c.json")[1] == []
    assert "nested too deeply" in parse_document(deeper, name="c.json")[1][0].message


@pytest.mark.parametrize(
    "text",
    [
        'x = ["]]]]", ' + "[" * 40 + "]" * 40 + "]",
        'x = """a""""\ny = ' + "[" * 40 + "]" * 40,
        "x = '''a''''\ny = " + "[" * 40 + "]" * 40,
        'x = "\\\\"\ny = ' + "[" * 40 + "]" * 40,
        "# ]]]]]\nx = " + "[" * 40 + "]" * 40,
    ],
    ids=["brackets-in-string", "quotes-ending-basic", "quotes-ending-literal", "escape", "comment"],
)
def test_toml_strings_and_comments_never_hide_brackets(text: str) -> None:
    """Brackets after TOML strings and comments still count, however the string ends."""
    _, problems = parse_document(text.encode(), name="c.toml", syntax="toml")
    assert "nested too deeply" in problems[0].message


def test_brackets_inside_strings_do_not_count() -> None:
    """A string full of brackets is text, not nesting."""
    text = json.dumps({"catalogue": {"name": {"en": "[" * 500}, "languages": ["en"]}})
    data, problems = parse_document(text.encode(), name="c.json")
    assert problems == []
    assert data["catalogue"]["name"]["en"] == "[" * 500


@settings(max_examples=300)
@given(st.binary(max_size=400), st.sampled_from(["json", "toml", None]))
def test_any_bytes_parse_or_give_problems_never_an_exception(data: bytes, syntax: str) -> None:
    """Whatever the bytes, parse_document returns data or problems and raises nothing."""
    parsed, problems = parse_document(data, name="c", syntax=syntax)  # type: ignore[arg-type]
    assert parsed is not None or problems


@settings(max_examples=200)
@given(st.text(alphabet="[]{}\"\\'#\n =ax,.1", max_size=200))
def test_toml_bracket_soup_never_reaches_the_recursion_limit(text: str) -> None:
    """Brackets, quotes and comments in any order, repeated deep, never raise RecursionError."""
    parse_document((text * 20).encode(), name="c.toml", syntax="toml")


def test_duplicate_json_keys_are_refused_with_key_and_path(tmp_path: Path) -> None:
    """A key given twice in a JSON object is a problem at its path, naming the key."""
    text = json.dumps(valid_data())
    text = text.replace('"code": "tax-id"', '"code": "tax-id", "version": 3, "code": "tax-id"')
    problems = problems_in(tmp_path, "c.json", text)
    assert ("services[0].code", "key 'code' is given more than once") in problems
    assert ("services[0].version", "key 'version' is given more than once") in problems


def test_duplicate_keys_leave_the_rest_checked(tmp_path: Path) -> None:
    """A repeated key is reported beside the file's other problems, in one run."""
    data = valid_data()
    text = json.dumps(data).replace('"agency": "tax"', '"agency": "tax", "agency": "police"')
    problems = problems_in(tmp_path, "c.json", text)
    assert ("services[0].agency", "key 'agency' is given more than once") in problems
    assert ("services[0].agency", "unknown agency 'police'") in problems


def test_a_repeated_odd_key_is_named_on_one_line_of_ascii(tmp_path: Path) -> None:
    """A repeated key with a line break or a lone surrogate gets a quoted, escaped path."""
    text = '{"catalogue": {"a\\nb\\ud800": 1, "a\\nb\\ud800": 2}}'
    problems = problems_in(tmp_path, "c.json", text)
    path, message = problems[0]
    assert path == 'catalogue["a\\nb\\ud800"]'
    assert path.isascii()
    assert message == "key 'a\\nb\\ud800' is given more than once"


def test_a_file_larger_than_the_limit_is_refused_unparsed(tmp_path: Path) -> None:
    """A file of MAX_FILE_BYTES + 1 bytes is one problem, read no further."""
    file = tmp_path / "big.toml"
    file.write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    _, problems = read_catalogue(file)
    assert [p.message for p in problems] == [f"file is larger than {MAX_FILE_BYTES} bytes"]


def test_a_catalogue_larger_than_the_total_limit_is_a_read_error(tmp_path: Path) -> None:
    """Files holding more than MAX_TOTAL_BYTES together raise CatalogueReadError."""
    for i in range(MAX_TOTAL_BYTES // MAX_FILE_BYTES + 1):
        (tmp_path / f"f{i:02}.toml").write_bytes(b"\x00" * MAX_FILE_BYTES)
    with pytest.raises(CatalogueReadError, match=f"more than {MAX_TOTAL_BYTES} bytes"):
        read_catalogue(tmp_path)


def test_a_path_that_is_not_a_file_or_directory_is_a_read_error(tmp_path: Path) -> None:
    """A FIFO (or a device) is refused, never opened and waited on."""
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    with pytest.raises(CatalogueReadError, match="not a regular file"):
        load_catalogue(fifo)


def test_plain_data_too_deep_is_refused_before_it_is_read() -> None:
    """catalogue_from_data measures Python data too: a 10,000-deep keyword list is a problem."""
    data = valid_data()
    deep: list[object] = []
    for _ in range(10_000):
        deep = [deep]
    data["services"][0]["keywords"] = deep  # type: ignore[index]
    with pytest.raises(InvalidCatalogue) as caught:
        catalogue_from_data(data, source="python")
    [problem] = caught.value.problems
    assert "nested too deeply" in problem.message
    assert problem.path.startswith("services[0].keywords[0][0]")


def test_too_many_languages_are_one_problem_and_texts_are_checked_in_the_first_hundred(
    tmp_path: Path,
) -> None:
    """A catalogue declaring 5,000 languages gets one problem for their number, and its
    texts are checked in the first MAX_LANGUAGES only (not 5,000 times each)."""
    tags = [
        f"{a}{b}{c}"
        for a in "abcdefghijklmnopqrst"
        for b in "abcdefghij"
        for c in "abcdefghijklmnopqrstuvwxy"
    ]
    declared = ", ".join(f'"{tag}"' for tag in ["en", "id", *tags])
    text = VALID.read_text(encoding="utf-8").replace(
        'languages = ["en", "id"]', f"languages = [{declared}]", 1
    )
    assert text != VALID.read_text(encoding="utf-8")
    problems = problems_in(tmp_path, "many.toml", text)
    assert (
        "catalogue.languages",
        f"declare at most {MAX_LANGUAGES} languages, not 5002",
    ) in problems
    missing = [m for _, m in problems if m.startswith("missing translation(s): ")]
    assert missing
    named = {tag for m in missing for tag in m.removeprefix("missing translation(s): ").split(", ")}
    assert named == set(tags[: MAX_LANGUAGES - 2])
