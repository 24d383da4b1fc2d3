"""Personal data sealed per data subject, so that erasing a person destroys one key.

An adapter package, like `onestop.storage` and `onestop.transport`: it implements the
ports of `onestop.ports.keys` with the `cryptography` package and never imports the use
cases.

* `Keyring` implements `onestop.ports.keys.PersonalDataKeys`: it seals and opens values
  with a data key per subject (AES-SIV), kept wrapped in the store, caches unwrapped
  keys (`KeyCachePolicy`), computes blind indexes and rotates master keys.
* Master key providers implement `onestop.ports.keys.MasterKeyProvider`:
  `FileKeyProvider`, `EnvKeyProvider` and `StaticKeyProvider`; `generate_key_file` and
  `add_master_key` write key files.
* `subject_id` names a subject: ``<application_id>/applicant`` or
  ``<application_id>/representative``.
* `onestop.privacy.signing` signs and checks chain checkpoints with Ed25519 (imported
  by its own name).

The how-to is ``docs/how-to/keys.md``.
"""

from __future__ import annotations

from onestop.privacy.keyring import (
    BLIND_INDEX_SUBJECT,
    ROLES,
    KeyCachePolicy,
    Keyring,
    RotationReport,
    subject_id,
    subject_parts,
)
from onestop.privacy.providers import (
    DEFAULT_VARIABLE,
    EnvKeyProvider,
    FileKeyProvider,
    StaticKeyProvider,
    add_master_key,
    generate_key_file,
)

__all__ = [
    "BLIND_INDEX_SUBJECT",
    "DEFAULT_VARIABLE",
    "ROLES",
    "EnvKeyProvider",
    "FileKeyProvider",
    "KeyCachePolicy",
    "Keyring",
    "RotationReport",
    "StaticKeyProvider",
    "add_master_key",
    "generate_key_file",
    "subject_id",
    "subject_parts",
]
