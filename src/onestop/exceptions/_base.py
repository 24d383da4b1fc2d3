"""The root of the tree, its markers, the stores' errors and `Problem`, shared by every area."""

from __future__ import annotations

import copyreg
from typing import Any

import attrs


@attrs.frozen(kw_only=True)
class Problem:
    """One thing wrong with a catalogue or workflow, and where it is.

    Attributes:
        path: Where in the document, e.g. ``services[3].fees[0].amount``;
            empty for the whole document.
        message: What is wrong, in one sentence.
        file: The file it was read from, or ``None`` when it was built in Python.

    Raises:
        InvalidValue: If *path* or *message* is not text, or *file* neither text nor
            ``None``.
    """

    path: str = attrs.field(validator=lambda _, __, value: _text("path", value))
    message: str = attrs.field(validator=lambda _, __, value: _text("message", value))
    file: str | None = attrs.field(
        default=None, validator=lambda _, __, value: _text("file", value, None)
    )

    def __str__(self) -> str:
        """Render as ``file: path: message``, leaving out the parts that are empty."""
        parts = [_named(p, 240) for p in (self.file, self.path) if p]  # a huge one is cut
        return ": ".join([*parts, self.message])

    def located(self, file: str | None, prefix: str = "") -> Problem:
        """Return this problem re-anchored in *file*, with *prefix* joined before its path.

        Raises:
            InvalidValue: If *file* is neither text nor ``None``, or *prefix* is not text.
        """
        _text("prefix", prefix)
        path = _join_path(prefix, self.path)
        return Problem(path=path, message=self.message, file=file)


def _text(field: str, value: object, *allowed: None) -> None:
    """Refuse a `Problem` part that is not text (bytes would break every message)."""
    if isinstance(value, str) or (allowed and value is None):
        return
    from onestop.exceptions._values import InvalidValue  # noqa: PLC0415 - it imports this module

    expected = "text or None" if allowed else "text"
    raise InvalidValue(field=field, reason=f"expected {expected}, not {type(value).__name__}")


def _join_path(prefix: str, path: str) -> str:
    if not prefix:
        return path
    if not path:
        return prefix
    return f"{prefix}{path}" if path.startswith("[") else f"{prefix}.{path}"


def _shown(value: object) -> str:
    """A name or code for a message: its repr, cut short if long (never echo a huge value)."""
    if isinstance(value, int) and value.bit_length() > 128:  # repr() refuses 4,300 digits
        return f"an integer of {value.bit_length()} bits"
    text = repr(value)
    size = len(value) if isinstance(value, str | bytes) else len(text)
    return text if len(text) <= 66 else f"{text[:64]}... ({size} characters)"


def _named(name: object, limit: int = 64) -> str:
    """A field, argument or path as a message names it: as given if short, else cut.

    A caller may pass anything as a name; a huge one must not make a huge message.
    """
    text = name if isinstance(name, str) else _shown(name)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def _path_named(path: object, limit: int = 160) -> str:
    """A file path as a message names it: as given if short, else its end kept.

    A path is told by its end (the file's own name), so a long one loses its start
    (shown as ``...``), not the name of the file that is wrong.
    """
    text = path if isinstance(path, str) else _shown(path)
    return text if len(text) <= limit else f"...{text[-limit:]}"


class OnestopError(Exception):
    """The root of every exception onestop raises.

    Every onestop exception pickles and copies with its message and its attributes, so
    an error raised in a worker process reaches its caller intact, although most take
    keyword-only arguments that `Exception`'s own pickling cannot pass back.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        """Rebuild without calling ``__init__``: the class, then its message and attributes."""
        # copyreg.__newobj__ is pickle's own "cls.__new__(cls)"; its stub omits it.
        rebuild = copyreg.__newobj__  # type: ignore[attr-defined]
        return (rebuild, (type(self),), {**vars(self), "args": self.args})


class ConfigurationError(OnestopError):
    """A setting or the wiring of components is wrong."""


class TransientError(OnestopError):
    """A marker base: the operation may succeed if retried later.

    Retry on it, e.g. ``stamina.retry(on=onestop.exceptions.TransientError)``.
    """


class NotFound(OnestopError, LookupError):
    """Something asked for by its code or id does not exist."""


class ConcurrencyConflict(OnestopError):
    """A stream moved on since it was read: another command was recorded first.

    Reload and retry; nothing of this command was recorded.

    Attributes:
        stream_id: The stream (application, counter or key) written to.
        expected: The version the writer expected.
        actual: The version found.
    """

    def __init__(self, *, stream_id: str, expected: int, actual: int) -> None:
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"stream {_shown(stream_id)} is at version {actual}, not {expected}; reload and retry"
        )


class HeadMoved(ConcurrencyConflict):
    """A stream's history was not rewritten: its head moved since it was read.

    Raised by `onestop.ports.history.HistoryStore.rewrite_stream` when the stream's
    last hash is not the one expected (an event was appended, or the history was
    rewritten by someone else).  Nothing was written: read the stream again and retry.

    Attributes:
        stream_id: The stream.
        expected: The version the rewrite was made for.
        actual: The version found.
    """

    def __init__(self, *, stream_id: str, expected: int, actual: int) -> None:
        super().__init__(stream_id=stream_id, expected=expected, actual=actual)
        self.args = (
            (
                f"stream {_shown(stream_id)} moved since it was read (now at version {actual}, "
                f"read at {expected}): its history was not rewritten; read it again and retry"
            ),
        )


class InvalidStoreInput(OnestopError, ValueError):
    """A store was given a record or an argument it cannot accept; nothing was written.

    Every adapter refuses the same input with the same error, before any I/O (see
    `onestop.ports.events.check_commit`): a `bool` or an integer beyond 64 bits where a number
    is stored, a naive or out-of-range instant, text no database holds (a NUL, a lone
    surrogate, a control character, more than the longest text a store keeps), a page
    size out of range, a cursor the store did not return.  It is not a failure of the
    store: retrying the same call fails the same way.  The message names the field
    and never quotes a huge value or text that may be personal data.

    Attributes:
        field: The record's field or the argument at fault, e.g. ``expected_version``,
            ``summary.assignee``, ``appends[1].stream_id``, ``limit``.
        reason: What is wrong with it.
    """

    def __init__(self, *, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{_named(field)}: {reason}")


class StorageError(OnestopError):
    """A storage adapter failed; the driver's error is in ``__cause__``."""


class StorageUnavailable(StorageError, TransientError):
    """The store cannot be reached now; retrying later may succeed."""
