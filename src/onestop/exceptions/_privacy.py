"""Errors of personal data: keys that cannot be had, values erased, erasures refused.

None of them quotes key material or personal data: they name a key by its id, a subject
by its id (``<application_id>/applicant``, which is not personal data) and a file by its
path.
"""

from __future__ import annotations

from onestop.exceptions._base import OnestopError, _shown


class PrivacyError(OnestopError):
    """Personal data could not be sealed, opened, revealed or erased."""


class ErasureRefused(PrivacyError):
    """Erasing an application's personal data was refused by a rule; nothing was erased.

    Attributes:
        application_id: The application's id.
        rule: The rule that keeps the data, as a short code: ``open`` (the application is
            not closed), ``legal_hold``, ``archive`` (the service keeps it for good),
            ``retention`` (the keep period has not run out) or ``erased`` (it was
            erased already).
        detail: More words on it, or ``None``; never personal data.
    """

    def __init__(self, *, application_id: str, rule: str, detail: str | None = None) -> None:
        self.application_id = application_id
        self.rule = rule
        self.detail = detail
        more = f": {detail}" if detail else ""
        super().__init__(
            f"erasure of application {_shown(application_id)} refused by rule {_shown(rule)}{more}"
        )
