"""Data subjects: one person within one application, named ``<application id>/<role>``.

Personal values are sealed under a data key per subject (`onestop.privacy.Keyring`):
everything personal in an application's stream and its courier jobs under its
applicant's subject, except its representative's person, under the representative's.
A subject is per application, not per person, so that one application's retention
can end (and its keys be destroyed) without touching another's; erasing a person
erases the subjects the blind index finds for their identity number.

>>> subject_id("app-1")
'app-1/applicant'
>>> subject_parts("app-1/representative")
('app-1', 'representative')
"""

from __future__ import annotations

from typing import Final

from onestop.domain.common.formats import kind_of, text_problem
from onestop.exceptions import InvalidValue

__all__ = ["RESERVED_PREFIX", "ROLES", "subject_id", "subject_parts"]

ROLES: Final = ("applicant", "representative")
"""The roles a data subject has within one application."""

RESERVED_PREFIX: Final = "$"
"""What reserved subjects (never a person's, such as the blind index key's) start with."""

_MAX_SUBJECT = 256  # onestop.ports.keys.MAX_KEY_TEXT: the longest subject a store keeps
_MAX_APPLICATION_ID = _MAX_SUBJECT - len("/representative")


def subject_id(application_id: str, role: str = "applicant") -> str:
    """Return the subject id of *role* within application *application_id*.

    >>> subject_id("app-1", "representative")
    'app-1/representative'

    Raises:
        InvalidValue: If *role* is not one of `ROLES`, or *application_id* is not text
            of 1 to 241 characters without control characters that does not start with
            ``$`` (reserved).
    """
    reason = text_problem(application_id, max_length=_MAX_APPLICATION_ID)
    if reason is None and application_id.startswith(RESERVED_PREFIX):
        reason = f"may not start with {RESERVED_PREFIX!r}: such subjects are reserved"
    if reason is not None:
        raise InvalidValue(field="application_id", reason=reason)
    given: object = role
    if not isinstance(given, str) or given not in ROLES:
        raise InvalidValue(field="role", reason=f"must be one of {', '.join(ROLES)}")
    return f"{application_id}/{role}"


def subject_parts(subject: str) -> tuple[str, str]:
    """Return the application id and role of *subject*, which `subject_id` made.

    Raises:
        InvalidValue: If *subject* is not a subject id of that form.
    """
    if not isinstance(subject, str):
        raise InvalidValue(field="subject", reason=f"expected text, not {kind_of(subject)}")
    application_id, _, role = subject.rpartition("/")
    try:
        made = subject_id(application_id, role)
    except InvalidValue:
        made = None
    if made != subject:
        raise InvalidValue(field="subject", reason="is not '<application_id>/<role>'")
    return application_id, role
