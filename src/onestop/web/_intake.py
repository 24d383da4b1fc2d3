"""Uploads named in requests: checked, referenced, attached; the unattached swept.

A citizen uploads each document first (``POST /api/v1/uploads``) and names it by its id
in a submission's ``documents`` (`documents_of`) or, later, in
``POST /api/v1/tracking/documents`` (`give_document`).  An upload may be named once: an
id that is unknown, erased, attached to another application or named twice in one
request is a problem naming its place (``documents[1].document_id``), with one message
for all of them, so that an id reveals nothing about another citizen's documents.  A
replayed submission names uploads already attached to the application it created;
attaching them again changes nothing.  Given later, an upload attached already to the
same application is taken again for the requirement it was given for (a retry), and
refused for any other (`GIVEN_ELSEWHERE`): one file is not the evidence of two
requirements.

An unattached upload may be named for ``upload_hours`` after it was made; a `Sweeper`
(a thread of each worker that sweeps once when the worker starts, then every
`SWEEP_EVERY` seconds) removes it only `sweep_margin` later (`sweep_age`), so that an
upload a request found usable is never swept before the request has attached it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Final

import structlog

from onestop.domain.applications.application import Application
from onestop.domain.applications.forms import DocumentRef
from onestop.domain.applications.submission import find_service
from onestop.domain.catalogue.model import ChannelKind
from onestop.domain.common.actors import Actor
from onestop.domain.courier.otp import MAX_CODE_LIFETIME
from onestop.exceptions import (
    ApplicationNotFound,
    DocumentNotFound,
    InvalidApplication,
    InvalidRequest,
    Problem,
    ServiceNotFound,
)
from onestop.ports.documents import is_document_id
from onestop.ports.staff import StaffStore
from onestop.storage._handoff import blocking
from onestop.usecases.applications.writer import idempotency_digest
from onestop.usecases.documents import Document, DocumentDesk
from onestop.web._runtime import Runtime
from onestop.web._views import UploadRef
from onestop.web.settings import ServeSettings

__all__ = [
    "NOT_USABLE",
    "SWEEP_EVERY",
    "Sweeper",
    "application_of",
    "attach",
    "attach_all",
    "documents_of",
    "give_document",
    "replay_of",
    "service_of",
    "sweep_age",
    "sweep_margin",
    "usable",
]

SWEEP_EVERY: Final = 15 * 60.0
"""Seconds between two sweeps of unattached uploads by one worker."""

SWEEP_GRACE: Final = timedelta(minutes=15)
"""The least time between the end of an upload's naming window and its sweep."""

NOT_USABLE = "is not an upload that can be attached here"
GIVEN_ELSEWHERE = "is an upload given already, for another requirement"
_LOG = structlog.get_logger("onestop.web")


def service_of(runtime: Runtime, code: str, channel: ChannelKind) -> Mapping[str, str]:
    """The evidence type of each requirement of service *code* through *channel*, now.

    Raises:
        InvalidRequest: With status 404 if no such service is in effect (the code sent
            is not repeated).
    """
    try:
        service = runtime.mall.catalogue.service(code, at=datetime.now(UTC))
    except ServiceNotFound:
        raise InvalidRequest(
            [Problem(path="body.service", message="no service with this code is in effect")],
            status=404,
        ) from None
    return {r.code: r.evidence_type for r in service.requirements_for(channel)}


def sweep_margin(settings: ServeSettings, /) -> timedelta:
    """How long after its naming window an unattached upload is swept: twice the request
    time limit (the in-flight markers' life), and at least `SWEEP_GRACE`.

    A request checks an upload and attaches it in one call; the margin outlasts that
    call, so that the sweep never removes an upload between the two and leaves an
    application naming a document that is gone.
    """
    return max(SWEEP_GRACE, timedelta(seconds=2 * settings.request_timeout))


def sweep_age(settings: ServeSettings, /) -> timedelta:
    """The age at which the `Sweeper` removes an upload never attached: ``upload_hours``
    (how long a request may name it) plus `sweep_margin`."""
    return timedelta(hours=settings.upload_hours) + sweep_margin(settings)


def _usable(runtime: Runtime, document_id: str, application_id: str | None) -> Document | None:
    """The upload *document_id* if it may be attached to *application_id* (``None``: a
    new application) now, else ``None``; an unattached one only within ``upload_hours``
    of its making (`sweep_age`)."""
    if not is_document_id(document_id):
        return None
    try:
        document = runtime.desk.describe(document_id)
    except DocumentNotFound:
        return None
    if document.sha256 is None:  # its subject was erased
        return None
    if document.application_id not in (None, application_id):
        return None
    window = timedelta(hours=runtime.settings.upload_hours)
    if document.application_id is None and document.created_at <= datetime.now(UTC) - window:
        return None  # its naming window is over: the sweeper may remove it at any time now
    return document


def _given_for(application: Application, requirement: str, document: Document) -> bool:
    """Whether *application*'s current document for *requirement* is *document* (by its
    digest): an upload attached already may be named again for that requirement only."""
    current = application.documents.get(requirement)
    return current is not None and current.sha256 == document.sha256


def _ref(requirement: str, evidence_type: str, document: Document) -> DocumentRef:
    assert document.sha256 is not None  # noqa: S101 - `_usable` checked it
    return DocumentRef(
        requirement=requirement,
        evidence_type=evidence_type,
        sha256=document.sha256,
        media_type=document.media_type,
        size=document.size,
    )


def _evidence(
    runtime: Runtime, application: Application, channel: ChannelKind
) -> Mapping[str, str]:
    """The evidence type of each requirement, through *channel*, of the service version
    *application* was made under."""
    service = find_service(runtime.mall.catalogue, application.service, application.service_version)
    return {r.code: r.evidence_type for r in service.requirements_for(channel)}


def replay_of(runtime: Runtime, actor: Actor, idempotency_key: str | None) -> str | None:
    """The id of the application *idempotency_key* made for *actor* already, if any."""
    if idempotency_key is None:
        return None
    prior = runtime.mall.store.idempotency(idempotency_digest(actor.id, idempotency_key) or "")
    return prior.stream_id if prior is not None else None


def usable(runtime: Runtime, document_id: str, replay: str | None) -> Document | None:
    """The upload *document_id* if a submission may name it (unattached, or attached to
    the application *replay* a retry answers), else ``None``; why is never said, so an
    id tells nothing of someone else's upload."""
    return _usable(runtime, document_id, replay)


def documents_of(
    runtime: Runtime,
    *,
    service: str,
    channel: ChannelKind,
    documents: Sequence[UploadRef],
    actor: Actor,
    idempotency_key: str,
) -> tuple[DocumentRef, ...]:
    """The references of the uploads a submission names, each checked.

    An upload already attached to the application this idempotency key created (a
    replay) may be named again; any other attached one may not.

    Raises:
        InvalidRequest: With status 404 if the service is not in effect.
        InvalidApplication: Naming each ``documents[i]`` that cannot be used.
    """
    replay = replay_of(runtime, actor, idempotency_key)
    evidence = (
        service_of(runtime, service, channel)
        if replay is None  # a retry is checked as of its first submission (`Mall.submit`)
        else _evidence(runtime, runtime.mall.application(replay), channel)
    )
    refs: list[DocumentRef] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for index, given in enumerate(documents):
        where = f"documents[{index}]"
        if given.requirement not in evidence:
            problems.append(Problem(path=f"{where}.requirement", message="is not a requirement"))
            continue
        if given.document_id in seen:
            first = seen[given.document_id]
            problems.append(
                Problem(path=f"{where}.document_id", message=f"names documents[{first}] again")
            )
            continue
        seen[given.document_id] = index
        document = _usable(runtime, given.document_id, replay)
        if document is None:
            problems.append(Problem(path=f"{where}.document_id", message=NOT_USABLE))
            continue
        refs.append(_ref(given.requirement, evidence[given.requirement], document))
    if problems:
        raise InvalidApplication(problems)
    return tuple(refs)


def attach_all(runtime: Runtime, documents: Sequence[UploadRef], application_id: str) -> None:
    """Attach each named upload to *application_id* (again: nothing changes)."""
    for given in documents:
        attach(runtime, given.document_id, application_id)


def attach(runtime: Runtime, document_id: str, application_id: str) -> None:
    """Attach the upload *document_id* to *application_id*, as a wait (``onestop.storage.
    _handoff.blocking``): it seals the whole file again and syncs it, so a write run on
    the event loop (`Runtime.write`) does it in a thread."""
    blocking(partial(runtime.desk.attach, document_id, application_id))


def application_of(runtime: Runtime, number: str, secret: str) -> str:
    """The id of application *number*, if *secret* is its lookup secret.

    Raises:
        ApplicationNotFound: Exactly as tracking does, whether the number is unknown or
            the secret wrong.
    """
    mall = runtime.mall
    mall.track(number, secret, language=mall.catalogue.default_language)  # checks both
    summary = mall.store.find_number(number)
    if summary is None:  # pragma: no cover - removed between the two reads
        raise ApplicationNotFound(None)
    return summary.stream_id


def give_document(
    runtime: Runtime,
    application_id: str,
    given: UploadRef,
    *,
    actor: Actor,
) -> None:
    """Attach upload *given* to *application_id* for one of its requirements.

    The application records the reference first (`Mall.attach_document`, which refuses
    a requirement that does not apply or an application that takes no documents now),
    then the upload is attached, so that a refusal leaves the upload to the sweeper.

    Raises:
        InvalidApplication: If the requirement or the upload cannot be used.
        CommandRefused: If the application takes no document now.
    """
    application = runtime.mall.application(application_id)
    evidence = _evidence(runtime, application, application.channel)
    problems: list[Problem] = []
    if given.requirement not in evidence:
        problems.append(Problem(path="body.requirement", message="is not a requirement"))
    document = _usable(runtime, given.document_id, application_id)
    if document is None:
        problems.append(Problem(path="body.document_id", message=NOT_USABLE))
    elif document.application_id is not None and not _given_for(
        application, given.requirement, document
    ):  # attached already: only a retry of the same giving may name it again
        problems.append(Problem(path="body.document_id", message=GIVEN_ELSEWHERE))
    if problems or document is None:
        raise InvalidApplication(problems)
    ref = _ref(given.requirement, evidence[given.requirement], document)
    runtime.mall.attach_document(application_id, ref, actor=actor)
    attach(runtime, given.document_id, application_id)


class Sweeper:
    """Removes uploads never attached and expired staff secrets, once at start and then
    every *every* seconds.

    It runs in a daemon thread of its own; `stop` ends it and waits for it.
    """

    def __init__(
        self,
        desk: DocumentDesk,
        *,
        older_than: timedelta,
        every: float,
        also: Callable[[], object] | None = None,
        staff: StaffStore | None = None,
        staff_window: timedelta = timedelta(minutes=15),
    ) -> None:
        """Sweep *desk* of uploads made more than *older_than* ago, call *also* each
        time (the limits' sweep of expired counters), and sweep *staff* of expired secrets
        (sessions, begun OpenID Connect sign-ins, expired tokens) and of failures older
        than *staff_window* or `MAX_CODE_LIFETIME`, whichever is longer
        (`StaffStore.sweep_staff`).

        The store's failures are sign-in failures, counted in *staff_window*, and the
        wrong tries of courier handoff codes, counted for as long as a code can live
        (`onestop.usecases.courier.custody.CustodyDesk`'s ``code_tries``): swept after
        *staff_window* alone, a handoff would get its tries back every few minutes for
        the week its code lives.  A sign-in counts only the failures in its own window,
        so keeping them longer changes no answer."""
        self._desk = desk
        self._also = also
        self._staff = staff
        self._staff_window = max(staff_window, MAX_CODE_LIFETIME)
        self._older_than = older_than
        self._every = every
        self._stopping = threading.Event()
        self._done = threading.Condition()
        self._thread: threading.Thread | None = None
        self.runs = 0
        """How many sweeps ended (well or not)."""
        self.removed = 0
        """How many uploads it removed."""

    def sweep(self) -> int:
        """Sweep once; count what was removed.  A failure is logged (its class only)."""
        removed = 0
        try:
            removed = self._desk.sweep(older_than=self._older_than)
        except Exception as exc:  # noqa: BLE001 - a failed sweep is retried next time
            _LOG.warning("upload_sweep_failed", error=type(exc).__name__)
        if self._also is not None:
            try:
                self._also()
            except Exception as exc:  # noqa: BLE001 - a failed sweep is retried next time
                _LOG.warning("limits_sweep_failed", error=type(exc).__name__)
        if self._staff is not None:
            try:
                self._staff.sweep_staff(at=datetime.now(UTC), window=self._staff_window)
            except Exception as exc:  # noqa: BLE001 - a failed sweep is retried next time
                _LOG.warning("staff_sweep_failed", error=type(exc).__name__)
        with self._done:
            self.runs += 1
            self.removed += removed
            self._done.notify_all()
        return removed

    def _run(self) -> None:
        while not self._stopping.is_set():
            self.sweep()
            self._stopping.wait(self._every)

    def start(self) -> None:
        """Start sweeping in a thread."""
        self._thread = threading.Thread(target=self._run, name="onestop-sweeper", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop sweeping; wait for a sweep under way to end."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()

    def wait_for(self, runs: int, *, timeout: float) -> bool:
        """Wait until *runs* sweeps ended; whether they did within *timeout* seconds."""
        with self._done:
            return self._done.wait_for(lambda: self.runs >= runs, timeout=timeout)
