"""Errors of signed checkpoints: chain heads signed outside the database, and their keys."""

from __future__ import annotations

from onestop.exceptions._base import _named, _path_named
from onestop.exceptions._values import AuditError


class CheckpointError(AuditError):
    """A signed checkpoint of chain heads could not be made, read or trusted."""


class InvalidCheckpoint(CheckpointError, ValueError):
    """A checkpoint file is not a well-formed checkpoint (truncated, too big, wrong shape, ...).

    Attributes:
        path: Where in the document, e.g. ``$.heads[3].hash`` (``$`` for the whole of it).
        reason: What is wrong there; never a value from the file.
    """

    def __init__(self, *, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"checkpoint {_named(path)}: {reason}")


class CheckpointSignatureInvalid(CheckpointError):
    """A checkpoint was not signed by the trusted key, or its signature does not verify.

    Attributes:
        reason: Which of the two, in words (the fingerprints, never the keys).
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"checkpoint not trusted: {reason}")


class CheckpointRefused(CheckpointError):
    """A checkpoint was not made: a chain in the store is broken, and signing it would vouch for it.

    Attributes:
        stream: The stream whose chain is broken.
        problem: What is wrong with it.
    """

    def __init__(self, *, stream: str, problem: str) -> None:
        self.stream = stream
        self.problem = problem
        super().__init__(f"no checkpoint: stream {_named(stream)} is broken: {problem}")


class SigningKeyError(CheckpointError):
    """A key file is missing, unreadable, not a key, readable by others, or already there.

    Attributes:
        path: The key file, as given.
        reason: What is wrong with it; never any of its bytes.
    """

    def __init__(self, *, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"key file {_path_named(path, 240)}: {reason}")
