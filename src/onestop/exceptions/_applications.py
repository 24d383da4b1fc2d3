"""Errors of application commands, and the lookup of an application."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from onestop.exceptions._base import NotFound, OnestopError, Problem, _shown


class ApplicationError(OnestopError):
    """An application command was refused; nothing was recorded."""


class InvalidApplication(ApplicationError, ValueError):
    """A submission or command failed validation; `problems` lists every problem found.

    Each problem's path names the field (``answers.floor_area``, ``documents[0].sha256``);
    messages say what rule was broken and never quote the value given, which may be
    personal data.

    Attributes:
        problems: Each problem with its path.
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        count = len(self.problems)
        head = "; ".join(str(p) for p in self.problems[:5])
        more = f" (and {count - 5} more)" if count > 5 else ""
        super().__init__(f"application has {count} problem(s): {head}{more}")

    @property
    def fields(self) -> tuple[str, ...]:
        """The paths of the fields with problems, in the order found."""
        return tuple(dict.fromkeys(p.path for p in self.problems))


class ChannelNotOffered(ApplicationError, LookupError):
    """The service is not offered through the channel asked for.

    Attributes:
        service: The service's code.
        channel: The channel asked for, or ``None`` when what was given is not a
            channel at all (it is not repeated: it could be anything).
        offered: The channels it is offered through.
    """

    def __init__(self, *, service: str, channel: str | None, offered: Sequence[str]) -> None:
        self.service = service
        self.channel = channel
        self.offered = tuple(offered)
        what = "through that channel" if channel is None else f"through channel {_shown(channel)}"
        super().__init__(
            f"service {_shown(service)} is not offered {what}; "
            f"offered: {', '.join(self.offered) or 'none'}"
        )


class CommandRefused(ApplicationError):
    """A command cannot be carried out in the application's current situation.

    Attributes:
        command: The command's name (``resume``, ``check_document``).
        reason: Why, in words without personal data.
    """

    def __init__(self, *, command: str, reason: str) -> None:
        self.command = command
        self.reason = reason
        super().__init__(f"{_shown(command)} refused: {reason}")


class IdempotencyConflict(ApplicationError):
    """An idempotency key was used again with a different request.

    Attributes:
        application_id: The application the key first created.
    """

    def __init__(self, *, application_id: str) -> None:
        self.application_id = application_id
        super().__init__(
            "this idempotency key was already used with a different request "
            f"(it created application {_shown(application_id)}); use a new key for a new request"
        )


class ApplicationNotFound(NotFound):
    """No application has this id, or no application matches a number and secret.

    A failed lookup by number and secret gives ``reference=None`` and the same message
    whether the number is unknown or the secret wrong, so it reveals nothing about
    which applications exist, and never repeats what was typed (it may be personal
    data, such as an identity number typed into the wrong box).

    Attributes:
        reference: The application id asked for, or ``None`` for a lookup by number.
    """

    def __init__(self, reference: str | None) -> None:
        self.reference = reference
        if reference is None:
            super().__init__("no application matches this number and secret")
        else:
            super().__init__(f"no application with id {_shown(reference)}")
