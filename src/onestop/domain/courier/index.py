"""The courier index of an application: which jobs and packets are its, and what happened.

One stream per application, ``courier:<application id>``
(`onestop.usecases.courier.writer.index_stream`), records that a job was booked for it
(`JobLinked`), a packet sealed (`PacketLinked`), a job's courier took a packet
(`JobCarries`), a one-time code issued (`CodeIssued`, its record only, never the code)
and an alert raised (`onestop.domain.courier.custody_events.AlertRaised`, the one alert
event, which a manifest mismatch also returns).  `CourierIndex` is what the stream
says, folded.

The events check types when they are built (a kind is a `JobKind`, an instant an aware
`datetime`, a custodian a `Party`), so that nothing is written that would not decode;
the courier desk checks formats before it builds them.  Stored events are decoded by
the stream core (`onestop.usecases.streams`) without these checks, so history keeps
loading.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, ClassVar, Literal, TypeAlias

import attrs

from onestop.domain.common.audit import GENESIS
from onestop.domain.common.formats import SHA256_HEX, int_problem, kind_of
from onestop.domain.common.kinds import check_instant, check_member, check_type, type_validator
from onestop.domain.courier.custody_events import AlertRaised
from onestop.domain.courier.jobs import JobKind
from onestop.domain.courier.otp import OneTimeCode
from onestop.exceptions import InvalidValue

__all__ = [
    "INDEX_EVENT_CLASSES",
    "INDEX_EVENT_TYPES",
    "AlertRaised",
    "CodeIssued",
    "CourierIndex",
    "IndexEvent",
    "JobCarries",
    "JobLinked",
    "PacketLinked",
]


def _aware(_: object, attribute: attrs.Attribute[datetime], value: object) -> None:
    check_instant(value, field=attribute.name)


def _job_kind(value: object) -> JobKind:
    return check_member(JobKind, value, field="job_kind")


_TEXT = type_validator(str)


@attrs.frozen(kw_only=True)
class JobLinked:
    """A courier job was booked for the application.

    Attributes:
        job_id: The job.
        job_kind: What it does (a `JobKind`, or its exact value).
        at: When it was booked.
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["job_linked"] = attrs.field(default="job_linked", init=False)
    job_id: str = attrs.field(validator=_TEXT)
    job_kind: JobKind = attrs.field(converter=_job_kind)
    at: datetime = attrs.field(validator=_aware)


@attrs.frozen(kw_only=True)
class PacketLinked:
    """A packet of the application was sealed.  Attributes: ``seal_id``, ``at``."""

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["packet_linked"] = attrs.field(default="packet_linked", init=False)
    seal_id: str = attrs.field(validator=_TEXT)
    at: datetime = attrs.field(validator=_aware)


@attrs.frozen(kw_only=True)
class JobCarries:
    """A job's courier took a packet.  Attributes: ``job_id``, ``seal_id``, ``at``."""

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["job_carries"] = attrs.field(default="job_carries", init=False)
    job_id: str = attrs.field(validator=_TEXT)
    seal_id: str = attrs.field(validator=_TEXT)
    at: datetime = attrs.field(validator=_aware)


@attrs.frozen(kw_only=True)
class CodeIssued:
    """A one-time code was issued for a handoff: its record only, never the code.

    Attributes:
        job_id: The job whose handoff it confirms, or ``None`` for a handoff at the
            counter, outside any job.
        record: The code's record (binding, expiry, keyed digest).
        at: When it was issued.
    """

    SCHEMA_VERSION: ClassVar[int] = 1
    kind: Literal["code_issued"] = attrs.field(default="code_issued", init=False)
    job_id: str | None = attrs.field(validator=type_validator((str, type(None))))
    record: OneTimeCode = attrs.field(validator=type_validator(OneTimeCode))
    at: datetime = attrs.field(validator=_aware)


IndexEvent: TypeAlias = JobLinked | PacketLinked | JobCarries | CodeIssued | AlertRaised
"""Anything the courier index of an application records."""

INDEX_EVENT_TYPES: Mapping[str, type[IndexEvent]] = MappingProxyType(
    {
        "job_linked": JobLinked,
        "packet_linked": PacketLinked,
        "job_carries": JobCarries,
        "code_issued": CodeIssued,
        "alert_raised": AlertRaised,
    }
)
"""Each index event class by its ``kind`` tag."""

INDEX_EVENT_CLASSES = tuple(INDEX_EVENT_TYPES.values())
"""The index event classes, for `isinstance` checks."""


def _jobs(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    pairs: tuple[object, ...] = check_type(value, tuple, field=attribute.name)
    for index, pair in enumerate(pairs):
        if not (
            isinstance(pair, tuple)
            and len(pair) == 2
            and isinstance(pair[0], str)
            and isinstance(pair[1], JobKind)
        ):
            reason = f"expected a (job id, JobKind) pair, not {kind_of(pair)}"
            raise InvalidValue(field=f"{attribute.name}[{index}]", reason=reason)


def _mapping(kind: type) -> Any:
    """An attrs validator: a mapping from text to instances of *kind*."""

    def validate(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        check_type(value, Mapping, field=attribute.name)
        for key, item in value.items():  # type: ignore[attr-defined]  # a mapping
            if not isinstance(key, str) or not isinstance(item, kind):
                reason = f"maps text to {kind.__name__}, not {kind_of(key)} to {kind_of(item)}"
                raise InvalidValue(field=attribute.name, reason=reason)

    return validate


def _version(_: object, attribute: attrs.Attribute[int], value: object) -> None:
    problem = int_problem(value)
    if problem is not None:
        raise InvalidValue(field=attribute.name, reason=problem)


@attrs.frozen(kw_only=True)
class CourierIndex:
    """What the courier index of one application says, folded from its stream.

    Each attribute's type is checked when an index is built, and *head* must be a
    SHA-256 (`GENESIS` for an empty stream).

    Attributes:
        application_id: The application.
        jobs: Its jobs' ids and kinds, in booking order.
        packets: Its packets' seal ids, in sealing order.
        carrying: The packet each job's courier took last, by job id.
        codes: The latest code issued for each handoff, by handoff id.
        version: How many events the stream holds.
        head: The hash of its last event (`GENESIS` when empty).

    Raises:
        onestop.exceptions.InvalidValue: If an attribute is of the wrong type.
    """

    application_id: str = attrs.field(validator=_TEXT)
    jobs: tuple[tuple[str, JobKind], ...] = attrs.field(default=(), validator=_jobs)
    packets: tuple[str, ...] = attrs.field(default=(), validator=type_validator(tuple, items=str))
    carrying: Mapping[str, str] = attrs.field(
        factory=lambda: MappingProxyType({}), validator=_mapping(str)
    )
    codes: Mapping[str, CodeIssued] = attrs.field(
        factory=lambda: MappingProxyType({}), validator=_mapping(CodeIssued)
    )
    version: int = attrs.field(default=0, validator=_version)
    head: str = attrs.field(default=GENESIS, validator=SHA256_HEX.validator)

    def apply(self, event: IndexEvent, head: str | None = None, /) -> CourierIndex:
        """Return the index after *event*, whose chain hash is *head*.

        Without *head* the index keeps the head it had: the stream core folds a stored
        stream this way and sets the head of its last event once
        (`onestop.usecases.courier.writer.load_index`).

        Raises:
            onestop.exceptions.InvalidValue: If *event* is not an index event, or *head*
                not a SHA-256.
        """
        check_type(event, INDEX_EVENT_CLASSES, field="event")
        changes: dict[str, Any] = {"version": self.version + 1}
        if head is not None:
            changes["head"] = head
        if isinstance(event, JobLinked):
            changes["jobs"] = (*self.jobs, (event.job_id, event.job_kind))
        elif isinstance(event, PacketLinked):
            changes["packets"] = (*self.packets, event.seal_id)
        elif isinstance(event, JobCarries):
            changes["carrying"] = MappingProxyType({**self.carrying, event.job_id: event.seal_id})
        elif isinstance(event, CodeIssued):
            handoff = event.record.handoff_id
            changes["codes"] = MappingProxyType({**self.codes, handoff: event})
        return attrs.evolve(self, **changes)
