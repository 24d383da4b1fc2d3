"""Errors of the online mall's HTTP API (`onestop.web`): requests refused before the core."""

from __future__ import annotations

from collections.abc import Iterable

from onestop.exceptions._base import OnestopError, Problem


class WebError(OnestopError):
    """An HTTP request to the online mall was refused; nothing was recorded."""


class InvalidRequest(WebError, ValueError):
    """A request's body, header or parameter is malformed; `problems` lists every one.

    Each problem's path names the place (``body.applicant.name``, ``header.Idempotency-Key``);
    messages never quote the value sent, which may be personal data.

    Attributes:
        problems: Each problem with its path.
        status: The HTTP status it is answered with (400 unreadable, 422 unacceptable,
            428 a required precondition header missing).
    """

    def __init__(self, problems: Iterable[Problem], *, status: int = 422) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.status = status
        head = "; ".join(str(p) for p in self.problems[:5])
        more = f" (and {len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(f"request has {len(self.problems)} problem(s): {head}{more}")


class Throttled(WebError):
    """Too many requests of one kind from one client (or on one application) for now.

    Attributes:
        limit: What was limited (``submissions``, ``lookups``).
        retry_after: Seconds after which a new request may succeed.
    """

    def __init__(self, *, limit: str, retry_after: int) -> None:
        self.limit = limit
        self.retry_after = retry_after
        super().__init__(f"too many {limit}: try again in {retry_after} seconds")


class SubmissionInProgress(WebError):
    """A submission under the same ``Idempotency-Key``, or naming the same upload, is still
    being processed.

    Wait for it and send the request again: it is then answered as a replay (or, if another
    application took the upload, refused naming it).

    Attributes:
        upload: Whether an upload the request names is what another submission holds.
    """

    def __init__(self, *, upload: bool = False) -> None:
        self.upload = upload
        what = "naming one of these uploads" if upload else "with this idempotency key"
        super().__init__(f"a submission {what} is in progress: retry when it has finished")


class VersionMismatch(WebError):
    """``If-Match`` named a version of the application (or courier job) that is no longer
    its current one.

    Attributes:
        expected: The version the client named.
        actual: Its version now.
        subject: What it is a version of: ``application`` or ``courier job``.
    """

    def __init__(self, *, expected: int, actual: int, subject: str = "application") -> None:
        self.expected = expected
        self.actual = actual
        self.subject = subject
        super().__init__(f"the {subject} is at version {actual}, not {expected}: reload it")


class NotAuthenticated(WebError):
    """The request does not say who is calling, or says it with a credential not known.

    A missing credential and a wrong one are answered alike.
    """

    def __init__(self) -> None:
        super().__init__("a signed-in browser or a known API token is needed for this request")


class CsrfRefused(WebError):
    """A request of a signed-in browser that changes something lacks its session's CSRF
    token (``X-CSRF-Token``, the same as the ``onestop_csrf`` cookie); nothing was done.
    """

    def __init__(self) -> None:
        super().__init__(
            "a signed-in browser's request that changes something must echo the session's "
            "CSRF token (the onestop_csrf cookie) in the X-CSRF-Token header"
        )
