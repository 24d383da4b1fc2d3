"""Read the translations of onestop's own texts that ship inside the package.

The data files are ``onestop/usecases/catalogue/texts/<language>.toml``, one per language:
a ``language`` and a ``[messages]`` table of ``"key" = { text = "...", reviewed = false }``
(see :doc:`/how-to/translate-built-in-texts`).  `shipped_texts` reads them once per
process; the catalogue loader passes them to the completeness check, and the `Mall` to
tracking.

>>> shipped = shipped_texts()
>>> "km" in shipped.languages
True
>>> shipped.find("state.withdrawn", "id").text
'Dicabut'
"""

from __future__ import annotations

import functools
import tomllib
from importlib import resources
from typing import Any

from onestop.domain.catalogue.messages import (
    BUILT_IN_KEYS,
    Shipped,
    Translation,
    unreviewed_messages,
)
from onestop.domain.catalogue.model import Catalogue
from onestop.domain.common.formats import preview
from onestop.domain.common.kinds import check_type
from onestop.domain.common.text import is_language_tag
from onestop.exceptions import CatalogueReadError, InvalidValue, Problem

__all__ = ["parse_texts", "shipped_texts", "unreviewed_texts"]

_PACKAGE = "onestop.usecases.catalogue"
_FOLDER = "texts"


def parse_texts(document: str, /, *, source: str) -> tuple[str, dict[str, Translation]]:
    """Parse one language's data file; return its language and its translations.

    Raises:
        CatalogueReadError: If *document* is not TOML of the shape described above,
            names a key onestop does not know, or a value is not text and a mark.
    """
    if not isinstance(document, str):
        raise CatalogueReadError(path=str(source), reason="expected the text of a TOML file")
    try:
        data = tomllib.loads(document)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueReadError(path=str(source), reason=f"not TOML: {exc}") from None
    language = data.get("language")
    messages = data.get("messages")
    if not isinstance(language, str) or not isinstance(messages, dict):
        reason = "expected a 'language' and a [messages] table"
        raise CatalogueReadError(path=str(source), reason=reason)
    if not is_language_tag(language):
        raise CatalogueReadError(
            path=str(source), reason=f"{preview(language)} is not a language tag"
        )
    found: dict[str, Translation] = {}
    for key, value in messages.items():
        try:
            found[key] = _translation(key, value, source)
        except InvalidValue as exc:  # a text a Translation refuses (a control character)
            raise CatalogueReadError(path=str(source), reason=f"{preview(key)}: {exc}") from None
    return language, found


def _translation(key: str, value: Any, source: str) -> Translation:
    if key not in BUILT_IN_KEYS:
        raise CatalogueReadError(path=str(source), reason=f"unknown message key {preview(key)}")
    text = value.get("text") if isinstance(value, dict) else None
    reviewed = value.get("reviewed", False) if isinstance(value, dict) else None
    if not isinstance(text, str) or not text or not isinstance(reviewed, bool):
        reason = f"{preview(key)} needs a non-empty 'text' and a true/false 'reviewed'"
        raise CatalogueReadError(path=str(source), reason=reason)
    return Translation(text=text, reviewed=reviewed)


@functools.cache
def shipped_texts() -> Shipped:
    """Return the translations shipped with onestop, read once per process.

    Raises:
        CatalogueReadError: If a shipped file is broken (a packaging error).
    """
    by_language: dict[str, dict[str, Translation]] = {}
    folder = resources.files(_PACKAGE) / _FOLDER
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            source = f"{_FOLDER}/{entry.name}"
            language, texts = parse_texts(entry.read_text(encoding="utf-8"), source=source)
            by_language[language] = texts
    return Shipped.of(by_language)


def unreviewed_texts(catalogue: Catalogue, /) -> list[Problem]:
    """Return a note per declared language of *catalogue* served unreviewed texts.

    Each note names the keys whose text (the catalogue's override, else the shipped
    one) is marked ``reviewed = false``.  They are notes, not problems: the catalogue
    loads, and ``onestop catalogue validate`` prints them as ``note:`` lines.

    Raises:
        InvalidValue: If *catalogue* is not a `Catalogue`.
    """
    check_type(catalogue, Catalogue, field="catalogue")
    return unreviewed_messages(catalogue.messages, catalogue.languages, shipped=shipped_texts())
