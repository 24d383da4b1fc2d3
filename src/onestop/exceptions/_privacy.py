"""Errors of personal data: keys that cannot be had, values erased.

None of them quotes key material or personal data: they name a key by its id and a
subject by its id (``<application_id>/applicant``, which is not personal data).
"""

from __future__ import annotations

from onestop.exceptions._base import OnestopError, _shown


class PrivacyError(OnestopError):
    """Personal data could not be sealed, opened, revealed or erased."""


class KeyUnavailable(PrivacyError):
    """A key needed to seal or open personal data cannot be had.

    A master key is missing from the provider, or it does not open a wrapped data key,
    or a key management service cannot be reached; or personal data was read without
    keys at all (a value *withheld*).  Nothing was written.

    Attributes:
        key_id: The master key's id, or ``None`` when no single key is at fault.
        reason: What went wrong, in words without key material.
    """

    def __init__(self, *, key_id: str | None, reason: str) -> None:
        self.key_id = key_id
        self.reason = reason
        where = f"master key {_shown(key_id)}" if key_id is not None else "a key"
        super().__init__(f"{where} is unavailable: {reason}")


class PersonalDataErased(PrivacyError):
    """A personal value was asked for, but its subject's data was erased.

    Attributes:
        subject: The subject's id (``<application_id>/applicant``), or ``None`` when unknown.
    """

    def __init__(self, *, subject: str | None = None) -> None:
        self.subject = subject
        whose = f" of subject {_shown(subject)}" if subject is not None else ""
        super().__init__(f"the personal data{whose} was erased")
