"""Multilingual text: language-tagged strings with a fallback chain.

Every piece of text a person reads (an agency's name, a service's description, a
status label) is a `LocalizedText`: a mapping from BCP 47 language tags to strings.
Reading it in a language walks a fallback chain: the tag itself, its shorter
prefixes (``zh-Hant-TW`` then ``zh-Hant`` then ``zh``), then the fallbacks given,
then the first text it has.

>>> name = LocalizedText.of({"id": "Paspor", "en": "Passport"})
>>> name.get("en-GB")
'Passport'
>>> name.get("km", fallbacks=("id",))
'Paspor'
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping

import attrs

from onestop.domain.common.formats import kind_of, preview, text_problem
from onestop.domain.common.kinds import check_strings, check_type
from onestop.exceptions import InvalidValue

__all__ = [
    "MAX_TEXT",
    "LocalizedText",
    "is_language_tag",
    "language_fallbacks",
    "normalize_language_tag",
]

# RFC 5646 "langtag" production (well-formedness), without grandfathered tags; matched
# on the whole string of an ASCII tag, lowered (so "id\n" and a Kelvin sign, which
# lowers to "k", never pass).
_LANGTAG = re.compile(
    r"""
    (?P<language>[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4,8})
    (?:-(?P<script>[a-z]{4}))?
    (?:-(?P<region>[a-z]{2}|[0-9]{3}))?
    (?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*
    (?:-[0-9a-wy-z](?:-[a-z0-9]{2,8})+)*
    (?:-x(?:-[a-z0-9]{1,8})+)?
    """,
    re.VERBOSE | re.ASCII,
)
_MAX_TAG = 64

MAX_TEXT = 20_000
"""The longest text in one language, in characters (a service's whole description)."""


def is_language_tag(tag: object) -> bool:
    """Return whether *tag* is a well-formed BCP 47 language tag (``id``, ``en-US``, ``km``).

    Only ASCII letters, digits and hyphens make a tag, matched on the whole string:
    ``"id\\n"`` is not a tag, nor is one with a letter from another script.
    """
    return (
        isinstance(tag, str)
        and len(tag) <= _MAX_TAG
        and tag.isascii()
        and _LANGTAG.fullmatch(tag.lower()) is not None
    )


def normalize_language_tag(tag: str) -> str:
    """Return *tag* in its canonical case (``zh-hant-tw`` becomes ``zh-Hant-TW``).

    Raises:
        InvalidValue: If *tag* is not a well-formed BCP 47 tag.
    """
    if not is_language_tag(tag):
        raise InvalidValue(field="language", reason=f"{preview(tag)} is not a BCP 47 language tag")
    parts = tag.lower().split("-")
    out = [parts[0]]
    in_extension = False
    for part in parts[1:]:
        if len(part) == 1:
            in_extension = True
        if in_extension:
            out.append(part)
        elif len(part) == 4 and part.isalpha():
            out.append(part.title())
        elif len(part) == 2 and part.isalpha():
            out.append(part.upper())
        else:
            out.append(part)
    return "-".join(out)


def language_fallbacks(tag: str, /) -> tuple[str, ...]:
    """*tag* lower-cased, then each shorter prefix of it: the languages that serve its reader.

    Every lookup of a text in a reader's language falls back this way (a ``pt-BR`` reader
    is served ``pt``; ``_`` is read as ``-``).  Prefixes longer than 64 characters are
    left out: no language tag is that long, so no text can be tagged with one (and a
    long hostile "tag" costs time in proportion to its length, not its square).

    >>> language_fallbacks("zh-Hant-TW")
    ('zh-hant-tw', 'zh-hant', 'zh')

    Raises:
        InvalidValue: If *tag* is not text.
    """
    if not isinstance(tag, str):
        raise InvalidValue(field="language", reason=f"expected text, not {kind_of(tag)}")
    if type(tag) is str and len(tag) <= _MAX_TAG:  # a real tag's: kept, a bounded number
        return _fallbacks_of(tag)
    return _fallbacks(tag)


@functools.lru_cache(maxsize=256)
def _fallbacks_of(tag: str, /) -> tuple[str, ...]:
    """`_fallbacks`, memoised for short tags (a few hundred of at most 64 characters)."""
    return _fallbacks(tag)


def _fallbacks(tag: str, /) -> tuple[str, ...]:
    parts = tag.lower().replace("_", "-").split("-")
    longest, length = 0, -1
    for part in parts:
        length += len(part) + 1
        if length > _MAX_TAG:
            break
        longest += 1
    return tuple("-".join(parts[:end]) for end in range(longest, 0, -1))


def _pairs_of(value: object) -> list[tuple[object, object]]:
    """Return *value*'s ``(tag, text)`` pairs, or refuse what is not a collection of pairs."""
    refused = InvalidValue(field="text", reason="expected a mapping from language tags to text")
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise refused
    pairs = list(value)
    if not all(isinstance(pair, tuple) and len(pair) == 2 for pair in pairs):
        raise refused
    return pairs


def _to_pairs(value: Mapping[str, str] | Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    items = list(value.items()) if isinstance(value, Mapping) else _pairs_of(value)
    pairs: dict[str, str] = {}
    for tag, text in items:
        canonical = normalize_language_tag(tag)  # type: ignore[arg-type]  # checks it is text
        reason = text_problem(text, max_length=MAX_TEXT, multiline=True, empty=True)
        if reason is not None or not isinstance(text, str):
            raise InvalidValue(field=f"text[{canonical}]", reason=reason or "must be text")
        if canonical in pairs:
            raise InvalidValue(field="text", reason=f"language {preview(canonical)} is given twice")
        pairs[canonical] = text
    return tuple(sorted(pairs.items()))


@attrs.frozen
class LocalizedText:
    """Text in one or more languages, keyed by BCP 47 tags.

    Build it with `LocalizedText.of`; tags are normalized to their canonical case.
    Each text is checked by `onestop.domain.common.formats.text_problem`: at most `MAX_TEXT`
    characters, no lone surrogate and no control character but line breaks and tabs,
    so that every text can be stored and exported as UTF-8.

    Attributes:
        texts: ``(tag, text)`` pairs, sorted by tag.
    """

    texts: tuple[tuple[str, str], ...] = attrs.field(converter=_to_pairs)

    @classmethod
    def of(cls, texts: Mapping[str, str] | None = None, /, **by_tag: str) -> LocalizedText:
        """Build from a mapping and/or keyword arguments: ``LocalizedText.of(en="Tax")``.

        Raises:
            InvalidValue: If *texts* is not a mapping, or a tag or text is not valid.
        """
        check_type(texts, (Mapping, type(None)), field="text")
        merged = {**(texts or {}), **{k.replace("_", "-"): v for k, v in by_tag.items()}}
        return cls(merged)

    @property
    def languages(self) -> tuple[str, ...]:
        """The tags this text is available in, sorted."""
        return tuple(tag for tag, _ in self.texts)

    def as_dict(self) -> dict[str, str]:
        """Return a new ``{tag: text}`` dict."""
        return dict(self.texts)

    def get(self, language: str, *, fallbacks: Iterable[str] = ()) -> str:
        """Return the text for *language*, walking the fallback chain.

        The chain is *language* and its prefixes, then each of *fallbacks* and its
        prefixes, then the first text by tag order.  Returns ``""`` only when empty.

        Raises:
            InvalidValue: If *language* is not a `str`, or *fallbacks* not a collection
                of them.
        """
        check_type(language, str, field="language")
        chain = dict.fromkeys((language, *check_strings(fallbacks, field="fallbacks")))
        texts = self.texts
        if len(texts) == 1:  # the one text, whatever the chain: the fallback of last resort
            return texts[0][1]
        lookup = {tag.lower(): text for tag, text in texts}
        for wanted in chain:
            for prefix in language_fallbacks(wanted):
                if prefix in lookup:
                    return lookup[prefix]
        return texts[0][1] if texts else ""

    def has(self, language: str) -> bool:
        """Return whether there is text tagged exactly *language* (case-insensitive).

        Raises:
            InvalidValue: If *language* is not a `str`.
        """
        wanted = check_type(language, str, field="language").lower()
        return any(tag.lower() == wanted for tag, _ in self.texts)

    def missing(self, languages: Iterable[str]) -> tuple[str, ...]:
        """Return those of *languages* that have no text here, in the order given.

        Raises:
            InvalidValue: If *languages* is not a collection of `str` (`check_strings`).
        """
        return tuple(
            lang for lang in check_strings(languages, field="languages") if not self.has(lang)
        )

    def matches(self, query: str) -> bool:
        """Return whether any language's text contains *query*, ignoring case.

        Raises:
            InvalidValue: If *query* is not a `str`.
        """
        folded = check_type(query, str, field="query").casefold()
        return any(folded in text.casefold() for _, text in self.texts)

    def __bool__(self) -> bool:
        """Return whether any text is present."""
        return bool(self.texts)

    def __str__(self) -> str:
        """Return the first text, for quick display."""
        return self.texts[0][1] if self.texts else ""
