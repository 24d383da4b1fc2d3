"""onestop's own texts in the catalogue's languages: shipped files, overrides, completeness.

The loader checks that every built-in message (`BUILT_IN_KEYS`) has a text in every
declared language, from the catalogue's ``[[messages]]`` or the files onestop ships,
and lists unreviewed texts as notes, not as problems.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onestop.domain.catalogue.messages import (
    BUILT_IN_KEYS,
    Message,
    Shipped,
    Translation,
    message_text,
    missing_messages,
)
from onestop.domain.common.text import LocalizedText
from onestop.exceptions import CatalogueReadError, InvalidCatalogue, InvalidValue
from onestop.usecases.catalogue.built_in import parse_texts, shipped_texts, unreviewed_texts
from onestop.usecases.catalogue.loading import load_catalogue, read_catalogue

ROOT = Path(__file__).parents[2]
EXAMPLES = sorted(p.parent for p in (ROOT / "examples").glob("*/catalogue.toml"))

HEADER = """
[catalogue]
name = {{ {names} }}
languages = [{languages}]
"""


def catalogue_file(tmp_path: Path, languages: list[str], extra: str = "") -> Path:
    """A catalogue file with a name in each of *languages*, and *extra* TOML appended."""
    names = ", ".join(f'"{tag}" = "Mall"' for tag in languages)
    text = HEADER.format(names=names, languages=", ".join(f'"{t}"' for t in languages))
    path = tmp_path / "catalogue.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


def overrides(language: str, *, reviewed: bool) -> str:
    """``[[messages]]`` giving every built-in key a text in *language*."""
    mark = "true" if reviewed else "false"
    return "".join(
        f'\n[[messages]]\nkey = "{key}"\ntext = {{ "{language}" = "{key} ({language})" }}\n'
        f"reviewed = {mark}\n"
        for key in BUILT_IN_KEYS
    )


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_every_example_has_every_built_in_text_in_each_of_its_languages(example: Path) -> None:
    """Each example loads: its built-in texts exist in every language it declares."""
    catalogue, problems = read_catalogue(example)
    assert problems == []
    assert catalogue is not None
    for language in catalogue.languages:
        for key in BUILT_IN_KEYS:
            assert message_text(key, language, shipped=shipped_texts()) is not None


def test_the_shipped_files_cover_every_key_in_five_languages() -> None:
    """id, en, km, ko and ar are shipped, each with every built-in key."""
    shipped = shipped_texts()
    assert {"id", "en", "km", "ko", "ar"} <= set(shipped.languages)
    for language in shipped.languages:
        assert set(shipped.by_language[language]) == set(BUILT_IN_KEYS)


def test_only_the_english_source_texts_are_marked_reviewed() -> None:
    """Machine-made translations are marked unreviewed, honestly; English is the source."""
    shipped = shipped_texts()
    assert all(t.reviewed for t in shipped.by_language["en"].values())
    for language in ("id", "km", "ko", "ar"):
        assert not any(t.reviewed for t in shipped.by_language[language].values())


def test_a_declared_language_without_texts_is_a_problem_naming_the_keys(tmp_path: Path) -> None:
    """A language onestop ships nothing in, and no override gives, names every missing key."""
    path = catalogue_file(tmp_path, ["en", "sw"])
    _, problems = read_catalogue(path)
    (problem,) = problems
    assert (problem.file, problem.path) == (str(path), "messages")
    assert "'sw'" in problem.message
    assert all(key in problem.message for key in BUILT_IN_KEYS)


def test_overrides_complete_a_language_and_are_listed_when_unreviewed(tmp_path: Path) -> None:
    """Overrides in every key make Swahili complete; unreviewed, they are notes, not problems."""
    path = catalogue_file(tmp_path, ["en", "sw"], overrides("sw", reviewed=False))
    catalogue = load_catalogue(path)
    notes = unreviewed_texts(catalogue)
    assert [n.message.split(":")[0] for n in notes] == ["unreviewed text(s) in 'sw'"]
    assert all(key in notes[0].message for key in BUILT_IN_KEYS)


def test_reviewed_overrides_are_not_listed(tmp_path: Path) -> None:
    """Reviewed overrides, over reviewed English, leave nothing to list."""
    path = catalogue_file(tmp_path, ["en", "sw"], overrides("sw", reviewed=True))
    assert unreviewed_texts(load_catalogue(path)) == []


def test_an_override_wins_over_the_shipped_text(tmp_path: Path) -> None:
    """A catalogue's text for a built-in key is served instead of onestop's."""
    extra = '\n[[messages]]\nkey = "state.withdrawn"\ntext = { en = "Cancelled by you" }\n'
    catalogue = load_catalogue(catalogue_file(tmp_path, ["en"], extra))
    found = message_text(
        "state.withdrawn", "en", shipped=shipped_texts(), overrides=catalogue.messages
    )
    assert found == "Cancelled by you"


def test_a_catalogue_reason_must_be_given_in_every_language(tmp_path: Path) -> None:
    """A catalogue's own key lacking a declared language is a problem at its path."""
    extra = '\n[[messages]]\nkey = "reason.stamp_missing"\ntext = { en = "No stamp" }\n'
    path = catalogue_file(tmp_path, ["en", "id"], extra)
    _, problems = read_catalogue(path)
    assert [(p.file, p.path) for p in problems] == [(str(path), "messages[0].text")]
    assert "'reason.stamp_missing': id" in problems[0].message


def test_every_problem_comes_in_one_run(tmp_path: Path) -> None:
    """Missing built-in texts, a duplicate key and a bad key are reported together."""
    extra = (
        '\n[[messages]]\nkey = "reason.x"\ntext = { en = "X", de = "X" }\n'
        '\n[[messages]]\nkey = "reason.x"\ntext = { en = "Y", de = "Y" }\n'
        '\n[[messages]]\nkey = "Not A Key"\ntext = { en = "Z", de = "Z" }\n'
    )
    path = catalogue_file(tmp_path, ["en", "de"], extra)
    _, problems = read_catalogue(path)
    paths = sorted(p.path for p in problems)
    assert paths[:2] == ["messages", "messages[1].key"]
    assert [p.startswith("messages[2]") for p in paths[2:]] == [True]
    with pytest.raises(InvalidCatalogue):
        load_catalogue(path)


def test_a_message_key_has_a_shape() -> None:
    """Keys are dotted lower-case names; anything else is an InvalidValue naming the field."""
    with pytest.raises(InvalidValue) as caught:
        Message(key="Reason Blurry", text=LocalizedText.of(en="Blurry"))
    assert caught.value.field == "key"


@given(st.sampled_from(BUILT_IN_KEYS), st.sampled_from(["id", "en", "km", "ko", "ar"]))
def test_every_shipped_text_is_found_by_prefix(key: str, language: str) -> None:
    """A regional tag (``ar-EG``) finds its language's shipped text."""
    shipped = shipped_texts()
    assert message_text(key, f"{language}-XY", shipped=shipped) == message_text(
        key, language, shipped=shipped
    )


def test_missing_messages_without_shipped_texts_names_every_language() -> None:
    """With nothing shipped, each declared language lacks every built-in key."""
    problems = missing_messages((), ["en", "id"], shipped=Shipped.of({}))
    assert [p.message.split(" for")[0] for p in problems] == ["no text in 'en'", "no text in 'id'"]


def test_a_broken_data_file_is_a_read_error() -> None:
    """A data file with an unknown key, a bad text or language, or no mark is refused, by file."""
    for document in (
        'language = "sw"\n[messages]\n"state.unknown" = { text = "x", reviewed = true }\n',
        'language = "sw"\n[messages]\n"state.resumed" = { text = "", reviewed = true }\n',
        "not toml at all [",
        'language = "sw"\n[messages]\n"state.resumed" = { text = "a\\u0007b", reviewed = true }\n',
        'language = "??"\n[messages]\n',
    ):
        with pytest.raises(CatalogueReadError) as caught:
            parse_texts(document, source="texts/fr.toml")
        assert caught.value.path == "texts/fr.toml"


def test_a_data_file_parses_to_translations() -> None:
    """A well-formed data file gives its language and its marked translations."""
    document = 'language = "sw"\n[messages]\n"state.resumed" = { text = "Repris" }\n'
    assert parse_texts(document, source="fr.toml") == (
        "sw",
        {"state.resumed": Translation(text="Repris", reviewed=False)},
    )


def test_the_cli_lists_unreviewed_texts_after_its_summary(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``catalogue validate`` of a Khmer catalogue succeeds and notes the unreviewed Khmer."""
    from onestop.cli import EXIT_OK, main

    code = main(["catalogue", "validate", str(ROOT / "examples" / "cambodia")])
    out = capsys.readouterr().out.splitlines()
    assert code == EXIT_OK
    assert out[0].startswith("ok: ")
    assert out[1].startswith("note: messages: unreviewed text(s) in 'km': state.suspended")
