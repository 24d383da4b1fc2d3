"""Errors of personal data: keys that cannot be had, values erased, erasures refused.

None of them quotes key material or personal data: they name a key by its id, a subject
by its id (``<application_id>/applicant``, which is not personal data) and a file by its
path.
"""

from __future__ import annotations

from onestop.exceptions._base import (
    ConfigurationError,
    OnestopError,
    _path_named,
    _shown,
)


class PrivacyError(OnestopError):
    """Personal data could not be sealed, opened, revealed or erased."""


class KeyUnavailable(PrivacyError):
    """A key needed to seal or open personal data cannot be had.

    A master key is missing from the provider, or it does not open a wrapped data key
    (the wrong master key, a wrapped key that was altered or moved to another subject),
    or a key management service cannot be reached.  Nothing was written.

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

    Raised by revealing an erased value, and by sealing new data for an erased subject.

    Attributes:
        subject: The subject's id (``<application_id>/applicant``), or ``None`` when unknown.
    """

    def __init__(self, *, subject: str | None = None) -> None:
        self.subject = subject
        whose = f" of subject {_shown(subject)}" if subject is not None else ""
        super().__init__(f"the personal data{whose} was erased")


class ErasureRefused(PrivacyError):
    """Erasing an application's personal data was refused by a rule; nothing was erased.

    Attributes:
        application_id: The application's id.
        rule: The rule that keeps the data, as a short code: ``open`` (the application is
            not closed), ``legal_hold``, ``archive`` (the service keeps it for good),
            ``retention`` (the keep period has not run out), ``unsealed`` (some of it is
            stored in plain text) or ``representative`` (an erasure by identity of a
            person who only represents the applicant).
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


class KeyFileError(ConfigurationError):
    """A master key file (or variable) cannot be used: missing, unsafe or malformed.

    Attributes:
        path: The file's path, or the environment variable's name.
        reason: What is wrong, never quoting the file's content.
    """

    def __init__(self, *, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{_path_named(path, 240)}: {reason}")
