"""The data protection desk: legal holds, erasure, retention sweeps and access requests.

A `PrivacyDesk` works on a `onestop.usecases.mall.Mall` that seals personal data
(``Mall(keys=...)``, with a store that keeps subject keys: every onestop store does).
Its commands, each for one application or one person:

* `PrivacyDesk.place_hold` and `PrivacyDesk.lift_hold`: a legal hold keeps an
  application's personal data whatever its retention says;
* `PrivacyDesk.erase`: record the erasure in the application's stream (who, when, under
  which legal basis), then destroy its subjects' data keys, remove their blind index
  rows and drop every copy the process holds; refused with `ErasureRefused` naming the
  rule that keeps the data (the application is open, on hold, archived, or within its
  retention period unless *overriding*);
* `PrivacyDesk.erase_person`: the same for every application the blind index finds
  for an identity number, each erased or refused on its own;
* `PrivacyDesk.sweep`: erase every closed application whose service's retention period
  has run out (or list them, with *dry_run*);
* `PrivacyDesk.export`: everything held about a person, as JSON-ready data.

**Order and recovery.**  An erasure appends its event first and destroys the keys
second.  If the process stops in between, the event says the data is erased while the
keys still open it: `erase` (and `sweep`) finish such an erasure when they meet it,
so running either again completes it.  Destroying keys already destroyed is harmless.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs

from onestop.domain.applications.application import Application
from onestop.domain.applications.erasure import erasure_due, retention_of, subjects_of
from onestop.domain.applications.events import NoteAdded
from onestop.domain.applications.forms import DocumentRef
from onestop.domain.applications.privacy import ErasePersonalData, LiftLegalHold, PlaceLegalHold
from onestop.domain.common.actors import Actor
from onestop.domain.common.formats import KEY, kind_of
from onestop.domain.common.kinds import check_type
from onestop.domain.common.parties import Organisation, Person, Personal, Representative
from onestop.domain.common.subjects import subject_parts
from onestop.exceptions import (
    ApplicationNotFound,
    ConfigurationError,
    ErasureRefused,
    InvalidValue,
)
from onestop.ports.keys import PersonalDataKeys, SubjectKeyStore
from onestop.usecases.applications.queries import every_summary
from onestop.usecases.courier import writer as courier
from onestop.usecases.mall import Mall
from onestop.usecases.sealing_migration import holds_plain

__all__ = ["Erasure", "PrivacyDesk", "SweepReport"]


@attrs.frozen(kw_only=True)
class Erasure:
    """One application's erasure, done.

    Attributes:
        application_id: The application's id.
        number: Its number.
        subjects: The data subjects whose keys were destroyed.
        keys_destroyed: How many of their keys were live until now (0 when an earlier,
            interrupted erasure had destroyed them already).
        at: When the erasure was recorded.
    """

    application_id: str
    number: str
    subjects: tuple[str, ...]
    keys_destroyed: int
    at: datetime


@attrs.frozen(kw_only=True)
class SweepReport:
    """What a retention sweep erased, or would erase with *dry_run*.

    Attributes:
        due: The numbers of the applications whose retention period has run out.
        erased: The erasures done (empty in a dry run).
        refused: The numbers refused on the way (a hold placed meanwhile), with the rule.
        dry_run: Whether nothing was erased.
    """

    due: tuple[str, ...]
    erased: tuple[Erasure, ...]
    refused: tuple[tuple[str, str], ...]
    dry_run: bool


def _keys_of(mall: object) -> tuple[PersonalDataKeys, SubjectKeyStore]:
    if not isinstance(mall, Mall):
        raise InvalidValue(field="mall", reason=f"expected a Mall, not {kind_of(mall)}")
    if mall.keys is None:
        raise ConfigurationError("the privacy desk needs a mall that seals personal data (keys=)")
    store = mall.store
    if not isinstance(store, SubjectKeyStore):
        raise ConfigurationError("the privacy desk needs a store that keeps subject keys")
    return mall.keys, store


class PrivacyDesk:
    """Holds, erasure, sweeps and access requests over a mall that seals personal data."""

    def __init__(self, mall: Mall, /) -> None:
        """Work on *mall*, which must have keys and a store that keeps subject keys.

        Raises:
            ConfigurationError: If the mall has no keys, or its store keeps no keys.
            InvalidValue: If *mall* is not a `Mall`.
        """
        self._keys, self._store = _keys_of(mall)
        self._mall = mall

    def __repr__(self) -> str:
        """Name the desk, never what it holds."""
        return "<PrivacyDesk>"

    # --- finding applications ----------------------------------------------------------

    def application(self, reference: str, /) -> Application:
        """The application whose number or id is *reference*.

        Raises:
            ApplicationNotFound: If no application has that number or id; the error
                never repeats *reference* (``reference=None``): an officer may have typed
                an identity number or a name into the wrong box.
            InvalidValue: If *reference* is not text.
        """
        check_type(reference, str, field="reference")
        summary = self._mall.store.find_number(reference)
        found = summary.stream_id if summary is not None else reference
        if KEY.problem(found) is not None:
            raise ApplicationNotFound(None)
        try:
            return self._mall.application(found)
        except ApplicationNotFound:
            raise ApplicationNotFound(None) from None

    def applications_of(self, scheme: str, number: str, /) -> tuple[Application, ...]:
        """The applications the blind index finds for identity *number* of *scheme*.

        Raises:
            InvalidValue: If *scheme* or *number* is not text, or holds nothing to index.
            KeyUnavailable: If the index key cannot be used.
        """
        return tuple(self._mall.application(found) for found in self._roles_of(scheme, number))

    def _roles_of(self, scheme: str, number: str) -> dict[str, tuple[str, ...]]:
        """The application ids the blind index finds, each with the person's roles in it."""
        blind = self._keys.blind_index(scheme, number)
        roles: dict[str, tuple[str, ...]] = {}
        for subject in self._store.indexed_subjects(blind):
            application_id, role = subject_parts(subject)
            roles[application_id] = (*roles.get(application_id, ()), role)
        return roles

    # --- holds -------------------------------------------------------------------------

    def place_hold(
        self, reference: str, hold_id: str, /, *, reason: str, actor: Actor
    ) -> Application:
        """Place legal hold *hold_id* (a case or order reference) on an application.

        Raises:
            ApplicationNotFound: If there is no such application.
            InvalidApplication: If the hold id or reason code is malformed.
            CommandRefused: If the hold is on already, or the data was erased.
            RoleNotAllowed: If *actor* is not one of its workflow's officers there.
        """
        application = self.application(reference)
        command = PlaceLegalHold(hold_id=hold_id, reason=reason, actor=actor)
        return self._mall.execute(application.id, command)

    def lift_hold(self, reference: str, hold_id: str, /, *, actor: Actor) -> Application:
        """Lift legal hold *hold_id* from an application.

        Raises:
            ApplicationNotFound: If there is no such application.
            CommandRefused: If no such hold is on it.
            RoleNotAllowed: If *actor* is not one of its workflow's officers there.
        """
        application = self.application(reference)
        return self._mall.execute(application.id, LiftLegalHold(hold_id=hold_id, actor=actor))

    # --- erasure -----------------------------------------------------------------------

    def erase(
        self, reference: str, /, *, legal_basis: str, actor: Actor, overriding: bool = False
    ) -> Erasure:
        """Erase the personal data of one application (by number or id).

        Raises:
            ErasureRefused: If a rule keeps the data; its ``rule`` names it (``open``,
                ``legal_hold``, ``archive``, ``retention``), or ``unsealed`` if any of
                the application's personal data (its history's, or its courier jobs')
                was stored in plain text (before the mall had keys), which destroying
                keys cannot erase: `onestop.usecases.sealing_migration.seal_history`
                (``onestop pii migrate``) seals it first.
            ApplicationNotFound: If there is no such application.
            InvalidApplication: If the legal basis is malformed.
            RoleNotAllowed: If *actor* is not one of its workflow's officers there.
        """
        application = self.application(reference)
        if not self._store.subject_keys(subjects_of(application)) or holds_plain(
            self._mall.store, self._keys, application.id
        ):
            detail = "its personal data is in plain text: seal the store before erasing"
            raise ErasureRefused(application_id=application.id, rule="unsealed", detail=detail)
        if application.erased is None:
            command = ErasePersonalData(legal_basis=legal_basis, actor=actor, overriding=overriding)
            application = self._mall.execute(application.id, command)
        return self._destroy(application)

    def _destroy(self, application: Application) -> Erasure:
        record = application.erased
        assert record is not None  # noqa: S101 - erase() recorded it, or had
        subjects = tuple(record.subjects) or subjects_of(application)
        # The keys first, then the index rows (each its own transaction: destroying keys
        # wipes the file's free pages and log after its commit).  Stopped before the keys
        # went, they are live and the rows still find the application, so the sweep or
        # an erasure by number or by identity finishes it; stopped between, the rows
        # still find it for an erasure by identity or by number.
        live = self._store.destroy_subject_keys(subjects, at=record.at)
        self._store.unindex_subjects(subjects)
        self._mall.forget(application.id)
        return Erasure(
            application_id=application.id,
            number=application.number,
            subjects=subjects,
            keys_destroyed=live,
            at=record.at,
        )

    def erase_person(
        self,
        scheme: str,
        number: str,
        /,
        *,
        legal_basis: str,
        actor: Actor,
        overriding: bool = False,
    ) -> tuple[Erasure | ErasureRefused, ...]:
        """Erase every application of the person with identity *number* of *scheme*.

        Each application is erased or refused on its own: the result holds an
        `Erasure` or the `ErasureRefused` for each, in the order found.  An application
        the person only represents the applicant of is refused by rule
        ``representative``: its erasure would destroy the applicant's data too, which
        the applicant did not ask for (erase it by its number if the law requires).

        Raises:
            InvalidValue: If *scheme* or *number* is not text, or holds nothing to index.
            InvalidApplication: If the legal basis is malformed.
            RoleNotAllowed: If *actor* is not an officer of one of the workflows.
        """
        results: list[Erasure | ErasureRefused] = []
        for application_id, roles in self._roles_of(scheme, number).items():
            if "applicant" not in roles:  # erasing would destroy the applicant's data too
                detail = "the person only represents its applicant: erase it by its number"
                refused = ErasureRefused(
                    application_id=application_id, rule="representative", detail=detail
                )
                results.append(refused)
                continue
            application = self._mall.application(application_id)
            try:
                results.append(
                    self.erase(
                        application.id, legal_basis=legal_basis, actor=actor, overriding=overriding
                    )
                )
            except ErasureRefused as refused:
                results.append(refused)
        return tuple(results)

    def sweep(
        self, *, actor: Actor, dry_run: bool = False, legal_basis: str | None = None
    ) -> SweepReport:
        """Erase every closed application whose retention period has run out.

        Each application's service says how long its personal data is kept after it
        closes (`onestop.domain.catalogue.retention.Retention`); an application on a
        legal hold, archived, or with no keep period is never due.  Erasures that an
        earlier run left unfinished (recorded, keys still live) are finished too.

        Raises:
            RoleNotAllowed: If *actor* is not an officer of a due application's workflow.
            InvalidValue: If *dry_run* is not a boolean.
        """
        if not isinstance(dry_run, bool):
            raise InvalidValue(
                field="dry_run", reason=f"expected a boolean, not {kind_of(dry_run)}"
            )
        basis = legal_basis or "retention period ended"
        now = self._mall.clock.now()
        due: list[str] = []
        erased: list[Erasure] = []
        refused: list[tuple[str, str]] = []
        for application in self._closed():
            retention = retention_of(self._mall.catalogue, application)
            unfinished = application.erased is not None and self._live(application)
            if not (unfinished or erasure_due(application, retention, now=now)):
                continue
            due.append(application.number)
            if dry_run:
                continue
            try:
                erased.append(self.erase(application.id, legal_basis=basis, actor=actor))
            except ErasureRefused as exc:
                refused.append((application.number, exc.rule))
        return SweepReport(
            due=tuple(due), erased=tuple(erased), refused=tuple(refused), dry_run=dry_run
        )

    def _live(self, application: Application) -> bool:
        record = application.erased
        subjects = record.subjects if record is not None else subjects_of(application)
        return any(key.live for key in self._store.subject_keys(subjects).values())

    def _closed(self) -> Iterator[Application]:
        for summary in every_summary(self._mall.store):
            if summary.closed:
                yield self._mall.application(summary.stream_id)

    # --- access requests ----------------------------------------------------------------

    def export(self, scheme: str, number: str, /) -> dict[str, Any]:
        """Everything held about the person with identity *number* of *scheme*, JSON-ready.

        For each application the blind index finds: its number, service, agency, state
        and dates; the role the person has in it; the applicant or representative as
        stored; the answers, notes and document references; and the addresses of its
        courier jobs.  Erased values read ``"<erased>"``.

        Raises:
            InvalidValue: If *scheme* or *number* is not text, or holds nothing to index.
            KeyUnavailable: If the keys cannot open the data.
        """
        found = self._roles_of(scheme, number)
        return {
            "identity_scheme": scheme,
            "applications": [
                self._export_one(self._mall.application(application_id), roles)
                for application_id, roles in found.items()
            ],
        }

    def _export_one(self, application: Application, roles: tuple[str, ...]) -> dict[str, Any]:
        notes = [
            {"at": event.at.isoformat(), "text": _plain(event.text)}
            for event in application.events
            if isinstance(event, NoteAdded)
        ]
        return {
            "application_id": application.id,
            "number": application.number,
            "service": application.service,
            "agency": application.agency,
            "state": application.state,
            "roles": list(roles),
            "received": application.received.isoformat(),
            "erased": None if application.erased is None else application.erased.at.isoformat(),
            "applicant": _plain(application.applicant),
            "representative": _plain(application.representative),
            "answers": {name: _plain(value) for name, value in application.answers.items()},
            "notes": notes,
            "documents": [_plain(document) for document in application.documents.values()],
            "courier_addresses": self._addresses(application.id),
        }

    def _addresses(self, application_id: str) -> list[Any]:
        store, keys = self._mall.store, self._keys
        index = courier.load_index(store, application_id)
        jobs = (courier.load_job(store, job_id, keys=keys)[0] for job_id, _ in index.jobs)
        return [_plain(job.address) for job in jobs if job.address is not None]


def _plain(value: object) -> Any:
    """JSON-ready form of a stored value: personal values revealed, or ``"<erased>"``."""
    if isinstance(value, Personal):
        return _plain(value.reveal()) if value.is_available else "<erased>"
    if isinstance(value, Person | Organisation | Representative | DocumentRef):
        fields = attrs.fields(type(value))
        return {f.name: _plain(getattr(value, f.name)) for f in fields if f.name != "content"}
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if hasattr(value, "value") and not isinstance(value, str | int | bool):  # an enum member
        return value.value
    return value
