"""Search keywords as the exports write them: trimmed, white space collapsed, once each.

Shared by `onestop.interop.open311` (one comma-separated string) and
`onestop.interop.cpsv` (one ``dcat:keyword`` per keyword), so that both exports of
a catalogue list the same keywords.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["cleaned", "open311_keywords"]


def cleaned(keywords: Iterable[str]) -> list[str]:
    """*keywords* with white space collapsed, empty ones dropped, each kept once, in order.

    >>> cleaned([" tax ", "tax", "income  tax", "  "])
    ['tax', 'income tax']
    """
    return list(dict.fromkeys(k for k in (" ".join(k.split()) for k in keywords) if k))


def open311_keywords(keywords: tuple[str, ...]) -> str:
    """*keywords* `cleaned` and joined with ``", "``, as Open311's ``keywords`` field.

    A comma inside a keyword would split it in two on the client, so it becomes a space.

    >>> open311_keywords(("tax,income", " tax ", "tax"))
    'tax income, tax'
    """
    return ", ".join(cleaned(k.replace(",", " ") for k in keywords))
