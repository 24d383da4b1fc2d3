"""Errors of the courier: jobs, packets, custody handoffs and one-time codes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from onestop.exceptions._base import NotFound, OnestopError, _shown


class CourierError(OnestopError):
    """A courier job or custody command was refused; nothing was recorded."""


class InvalidPacket(CourierError, ValueError):
    """A sealed packet's description does not hold together.

    Attributes:
        seal_id: The seal's id as given (``?`` when it is not a usable id).
        problems: Every problem found, one sentence each.
    """

    def __init__(self, *, seal_id: str, problems: Sequence[str]) -> None:
        self.seal_id = seal_id
        self.problems = tuple(problems)
        super().__init__(f"packet {_shown(seal_id)} is invalid: {'; '.join(self.problems)}")


class JobRefused(CourierError):
    """A courier job command is not possible in the job's current status.

    Attributes:
        job_id: The job's id.
        command: The command refused (``claim``, ``record_attempt``, ...).
        status: The job's status.
        reason: Why, in words without personal data.
    """

    def __init__(self, *, job_id: str, command: str, status: str, reason: str) -> None:
        self.job_id = job_id
        self.command = command
        self.status = status
        self.reason = reason
        super().__init__(
            f"{_shown(command)} refused on courier job {_shown(job_id)} ({status}): {reason}"
        )


class AlreadyClaimed(JobRefused):
    """The job was claimed by a courier first; one claim wins.

    Attributes:
        job_id: The job's id.
    """

    def __init__(self, *, job_id: str, status: str) -> None:
        super().__init__(
            job_id=job_id,
            command="claim",
            status=status,
            reason="another claim was accepted first",
        )


class TimeWentBackwards(CourierError):
    """An instant given is not after the latest one recorded: time never runs backwards.

    Attributes:
        at: The instant given.
        latest: The latest instant recorded.
    """

    def __init__(self, *, at: datetime, latest: datetime) -> None:
        self.at = at
        self.latest = latest
        super().__init__(
            f"{at.isoformat()} is not after the latest recorded instant {latest.isoformat()}"
        )


class CustodyError(CourierError):
    """A handoff of a packet was refused: custody and the ledger are unchanged."""


class NotCustodian(CustodyError):
    """The giver does not hold the packet.

    Attributes:
        seal_id: The packet's seal id.
        party: The giver, as ``kind:id`` (a citizen is shown as ``citizen``).
    """

    def __init__(self, *, seal_id: str, party: str) -> None:
        self.seal_id = seal_id
        self.party = party
        super().__init__(f"{party} does not hold packet {_shown(seal_id)}")


class CourierNotAssigned(CustodyError):
    """A courier took part in a handoff without being assigned to the job.

    Attributes:
        courier_id: The courier's id.
        job_id: The job's id, when one was given.
    """

    def __init__(self, *, courier_id: str, job_id: str | None = None) -> None:
        self.courier_id = courier_id
        self.job_id = job_id
        job = f"courier job {_shown(job_id)}" if job_id is not None else "this courier job"
        super().__init__(f"courier {_shown(courier_id)} is not assigned to {job}")


class AlreadyDelivered(CustodyError):
    """The packet reached the citizen; no handoff may follow.

    Attributes:
        seal_id: The packet's seal id.
    """

    def __init__(self, *, seal_id: str) -> None:
        self.seal_id = seal_id
        super().__init__(f"packet {_shown(seal_id)} was delivered; no handoff may follow")


class HandoffRefused(CustodyError):
    """A handoff breaks a custody rule (a missing confirmation, a repeated handoff id, ...).

    Attributes:
        reason: Which rule, in words without personal data.
    """

    def __init__(self, *, reason: str) -> None:
        self.reason = reason
        super().__init__(f"handoff refused: {reason}")


class CodeRejected(CustodyError):
    """A citizen's one-time code does not confirm this handoff; the code is never quoted.

    Attributes:
        handoff_id: The handoff being confirmed.
        reason: Why the code was rejected.
    """

    reason = "the one-time code was rejected"

    def __init__(self, *, handoff_id: str) -> None:
        self.handoff_id = handoff_id
        super().__init__(f"{self.reason} (handoff {_shown(handoff_id)})")


class WrongCode(CodeRejected):
    """The code does not match the one issued."""

    reason = "the one-time code does not match"


class CodeExpired(CodeRejected):
    """The code's lifetime is over.

    Attributes:
        expired_at: When it expired.
    """

    reason = "the one-time code has expired"

    def __init__(self, *, handoff_id: str, expired_at: datetime) -> None:
        self.expired_at = expired_at
        super().__init__(handoff_id=handoff_id)


class CodeForAnotherHandoff(CodeRejected):
    """The code was issued for another handoff."""

    reason = "the one-time code was issued for another handoff"


class CodeForAnotherApplication(CodeRejected):
    """The code was issued for another application."""

    reason = "the one-time code was issued for another application"


class CodeAlreadyUsed(CodeRejected):
    """The code was used already: a replay."""

    reason = "the one-time code was already used"


class CodeNotIssued(CodeRejected):
    """No one-time code is on record for this handoff: issue one before the visit."""

    reason = "no one-time code was issued for this handoff"


class TooManyWrongCodes(CodeRejected):
    """Too many wrong codes were typed for this handoff; issue a new code to go on."""

    reason = "too many wrong one-time codes; issue a new code"


def _asked(value: object, limit: int = 40) -> str:
    """Quote an id that was asked for, shortened: a lookup may be given anything."""
    if not isinstance(value, str):
        return f"of type {type(value).__name__}"
    if len(value) <= limit:
        return repr(value)
    return f"{value[:limit]!r}... ({len(value)} characters)"


class JobNotFound(NotFound):
    """No courier job has this id.

    Attributes:
        job_id: The job id asked for (the message shows at most its first 40 characters).
    """

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        super().__init__(f"no courier job with id {_asked(job_id)}")


class PacketNotFound(NotFound):
    """No packet was sealed with this seal id.

    Attributes:
        seal_id: The seal id asked for (the message shows at most its first 40 characters).
    """

    def __init__(self, seal_id: str) -> None:
        self.seal_id = seal_id
        super().__init__(f"no packet sealed with id {_asked(seal_id)}")
