"""Folded applications and their deadlines, kept in memory so commands do not redo them.

A command needs the application's current state (its stream, decoded and folded), the
hash of its last event (to chain the new ones) and its deadline (for the read-model
row).  Recomputing them costs more than the write itself: the stream is read and
decoded whole, and the deadline walks the work calendar from receipt.  `FoldedStreams`
keeps the folded state and last hash of recently used applications, `Deadlines`
memoises `onestop.domain.time.sla.due_date` by its inputs, and `PublicStatuses` keeps
what tracking answered for an application at a version.

Neither ever answers from a stale copy.  Before a cached application is used, its
stream is read from the stored version of the cached one onwards (one indexed query
that returns a single short row when nothing changed): the first row must have the
cached version and last hash, and any later row, written by another process, is
folded on.  A stream that no longer matches (restored from a backup, say) is read
again whole.  A deadline depends only on the calendar, the receipt, the time limit
and the pauses, so a memoised one is the one `due_date` would compute; a public status
depends on the application at its version and on the mall's own settings alone.

>>> from onestop.storage import from_url
>>> streams = FoldedStreams(size=100)
>>> streams.load(from_url("memory://"), "no-such-application")
Traceback (most recent call last):
...
onestop.exceptions.ApplicationNotFound: no application with id 'no-such-application'
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Sequence
from datetime import datetime

from onestop.domain.applications.application import Application
from onestop.domain.applications.erasure import subjects_of
from onestop.domain.applications.tracking import PublicStatus
from onestop.domain.common.formats import SHA256_HEX, check_int
from onestop.domain.common.kinds import check_type
from onestop.domain.time.calendar import WorkCalendar
from onestop.domain.time.sla import Deadline, due_date
from onestop.exceptions import ApplicationNotFound, ConfigurationError, InvalidValue
from onestop.ports.events import EventStore, StoredEvent
from onestop.ports.keys import PersonalDataKeys
from onestop.usecases import streams
from onestop.usecases.applications.codec import APPLICATIONS
from onestop.usecases.applications.writer import (
    at_risk_instant,
    check_at_risk,
    fold_stream,
    last_hash,
)
from onestop.usecases.sealing import check_keys

__all__ = ["Deadlines", "FoldedStreams", "PublicStatuses"]


class _Bounded:
    """A dict that forgets its oldest entries beyond *size*; safe to share between threads."""

    def __init__(self, size: int) -> None:
        try:
            self.size = check_int(size, field="size")
        except InvalidValue as exc:
            raise ConfigurationError(f"a cache size {exc.reason}") from None
        self._entries: dict[Hashable, object] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> object | None:
        return self._entries.get(key)

    def put(self, key: Hashable, value: object) -> None:
        if not self.size:
            return
        with self._lock:
            entries = self._entries
            entries.pop(key, None)
            entries[key] = value
            while len(entries) > self.size:
                del entries[next(iter(entries))]

    def discard(self, key: Hashable) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)


class FoldedStreams:
    """The folded state and last event hash of recently used applications.

    What is kept is the application as folded, personal values opened: an erasure
    must `forget` it (the mall's erasure does), so that no copy outlives the keys.

    Args:
        size: How many applications to keep (the least recently stored go first);
            0 keeps none, so every load reads the whole stream.
        keys: Open sealed personal values with these keys
            (`onestop.usecases.streams.decode`); ``None`` reads them as withheld.

    Raises:
        ConfigurationError: If *size* is not a whole number from 0 (a bool is not one),
            or *keys* are not `PersonalDataKeys`.
    """

    def __init__(self, *, size: int, keys: PersonalDataKeys | None = None) -> None:
        """Keep up to *size* applications, opened with *keys*."""
        self._entries = _Bounded(size)
        try:
            self._keys = check_keys(keys)
        except InvalidValue as exc:
            raise ConfigurationError(f"keys {exc.reason}") from None

    def __len__(self) -> int:
        """How many applications are kept now."""
        return len(self._entries)

    def load(self, store: EventStore, application_id: str, /) -> tuple[Application, str]:
        """Return the application's current state in *store* and its last event's hash.

        Raises:
            ApplicationNotFound: If *store* has no such stream.
            StorageError: If a stored event does not decode.
            InvalidValue: If *application_id* is not text.
        """
        check_type(application_id, str, field="application_id")
        entry = self._entries.get(application_id)
        if isinstance(entry, tuple):
            application, last = entry
            records = store.read(application_id, after=application.version - 1)
            if records and records[0].version == application.version and records[0].hash == last:
                if len(records) == 1:
                    return application, last
                extended = _extend(application, records[1:], self._keys)
                if extended.erased is None or application.erased is not None:
                    last = records[-1].hash
                    self.remember(extended, last)
                    return extended, last
                # Erased since it was kept (by another process, say): the kept copy holds
                # what was erased opened, and the keys may hold its subjects' data keys
                # cached; both go, and the stream is folded afresh.
                self._entries.discard(application_id)
                if self._keys is not None:
                    self._keys.forget(extended.erased.subjects or subjects_of(extended))
        records = store.read(application_id)
        if not records:
            self._entries.discard(application_id)
            raise ApplicationNotFound(application_id)
        application = fold_stream(application_id, records, keys=self._keys)
        if application.erased is not None and self._keys is not None:
            # Erased (by another process, say) while this one may still hold its subjects'
            # data keys cached: they go, and the stream is opened again without them.
            self._keys.forget(application.erased.subjects or subjects_of(application))
            application = fold_stream(application_id, records, keys=self._keys)
        last = records[-1].hash
        self.remember(application, last)
        return application, last

    def kept(self, application_id: str, version: int, /) -> Application | None:
        """The application kept for *application_id* if it stands at *version*, else ``None``.

        For a caller that has just read the stream's read-model row: a commit writes the
        row and the events together, the row holding the stream's version after them
        (`onestop.ports.events.Commit`), so a kept application at the row's version is
        current without reading the stream.  (A history rewrite, `seal_history`, keeps
        the version but changes only how personal values are stored, not what they fold
        to; it is run with the mall stopped.)

        Raises:
            InvalidValue: If *application_id* is not text or *version* not a whole number.
        """
        check_type(application_id, str, field="application_id")
        check_int(version, field="version")
        entry = self._entries.get(application_id)
        if isinstance(entry, tuple) and entry[0].version == version:
            return entry[0]  # type: ignore[no-any-return]
        return None

    def remember(self, application: Application, last_hash: str, /) -> None:
        """Keep *application*, whose last stored event has *last_hash*.

        Raises:
            InvalidValue: If *application* is not an `Application` or *last_hash* not
                a SHA-256 digest in hex.
        """
        check_type(application, Application, field="application")
        SHA256_HEX.check(last_hash, field="last_hash")
        self._entries.put(application.id, (application, last_hash))

    def last_hash(self, store: EventStore, application: Application, /) -> str:
        """The hash of *application*'s last stored event: kept, or read from *store*.

        A kept hash is used only when it was kept with this very version; otherwise
        it is what `onestop.usecases.applications.writer.last_hash` reads.

        Raises:
            InvalidValue: If *application* is not an `Application`.
        """
        check_type(application, Application, field="application")
        entry = self._entries.get(application.id)
        if isinstance(entry, tuple) and entry[0].version == application.version:
            return str(entry[1])
        return last_hash(store, application)

    def forget(self, application_id: str, /) -> None:
        """Drop what is kept of *application_id* (nothing, for what is not text).

        An erasure calls it, so that no opened copy of the application outlives its
        subjects' keys in this process.
        """
        given: object = application_id
        if isinstance(given, str):
            self._entries.discard(application_id)


def _extend(
    application: Application, records: Sequence[StoredEvent], keys: PersonalDataKeys | None
) -> Application:
    for event in streams.events_of(APPLICATIONS, application.id, records, keys=keys):
        application = application.apply(event)
    return application


class Deadlines:
    """`onestop.domain.time.sla.due_date` of applications, memoised by its inputs.

    Without a trace, an application's next deadline goes on from its last one
    (``due_date(..., since=...)``): a new pause costs its own count, not a walk over
    every pause of the stream again.

    Args:
        size: How many deadlines to keep; 0 computes every one afresh.

    Raises:
        ConfigurationError: If *size* is not a whole number from 0 (a bool is not one).
    """

    def __init__(self, *, size: int) -> None:
        """Keep up to *size* deadlines."""
        self._entries = _Bounded(size)
        self._latest = _Bounded(size)
        self._risks = _Bounded(size)

    def __call__(
        self, application: Application, calendar: WorkCalendar, /, *, explain: bool = True
    ) -> Deadline:
        """The deadline of *application* on *calendar*, as `Application.deadline` gives it.

        Without *explain* the deadline has no trace (``due_date(..., explain=False)``).

        Raises:
            InvalidValue: If *application* is not an `Application`, *calendar* not a
                `WorkCalendar`, or *explain* not a `bool`.
        """
        check_type(application, Application, field="application")
        check_type(calendar, WorkCalendar, field="calendar")
        check_type(explain, bool, field="explain")
        pauses = application.pauses()
        clock = (calendar, application.received, application.time_limit)
        key = (explain, *clock, pauses)
        found = self._entries.get(key)
        if isinstance(found, Deadline):
            return found
        latest = None if explain else self._latest.get(clock)
        deadline = due_date(
            calendar,
            received=application.received,
            limit=application.time_limit,
            pauses=pauses,
            explain=explain,
            since=latest if isinstance(latest, Deadline) else None,
        )
        self._entries.put(key, deadline)
        if not explain:
            self._latest.put(clock, deadline)
        return deadline

    def at_risk_from(
        self, deadline: Deadline, calendar: WorkCalendar, now: datetime, share: float, /
    ) -> datetime | None:
        """The instant from which *deadline* is at risk, as judged at *now*; see `summarize`.

        While the clock runs, the working time left only shrinks, so the instant found
        at one moment holds at every later moment before it, and once a deadline is at
        risk it stays so: only what cannot be answered that way is computed again.
        That holds for every *now* after the deadline's last pause ended, which a
        commit's instant always is (its pauses are in its past).

        Raises:
            InvalidValue: If an argument is of the wrong type or out of range, as
                `onestop.usecases.applications.writer.check_at_risk` says.
        """
        deadline, calendar, now, share = check_at_risk(deadline, calendar, now, share)
        if deadline.due is None:
            return None
        key = (calendar, deadline.due, deadline.budget, deadline.paused, share)
        found = self._risks.get(key)
        if isinstance(found, tuple):
            then, at = found
            if then <= now < at:
                return at  # type: ignore[no-any-return]
            if at <= now:
                return now
        at = at_risk_instant(deadline, calendar, now, share)
        self._risks.put(key, (now, at))
        return at


class PublicStatuses:
    """The public statuses tracking served, per application and language, with the version
    they were made at and the digest of the application's lookup secret.

    A status depends on the application at its version and on the mall's catalogue,
    calendars and shipped texts, which do not change while the mall runs: one made at
    the version the read-model row names is current.  The secret's digest is kept with
    it, so a lookup is checked without folding the application.  A status is a few
    small objects, far fewer than the application it shows, so more of them are kept.

    Args:
        size: How many applications' statuses to keep (the least recently stored go
            first); 0 keeps none.

    Raises:
        ConfigurationError: If *size* is not a whole number from 0 (a bool is not one).
    """

    LANGUAGES = 4
    """How many languages' statuses are kept per application version."""

    def __init__(self, *, size: int) -> None:
        """Keep the statuses of up to *size* applications."""
        self._entries = _Bounded(size)

    def __len__(self) -> int:
        """How many applications have statuses kept now."""
        return len(self._entries)

    def get(
        self, application_id: str, version: int, language: str, /
    ) -> tuple[str, PublicStatus] | None:
        """The secret's digest and the status kept for the application at *version* in
        *language*, or ``None``.

        Raises:
            InvalidValue: If *application_id* or *language* is not text, or *version* not
                a whole number.
        """
        check_type(application_id, str, field="application_id")
        check_int(version, field="version")
        check_type(language, str, field="language")
        entry = self._entries.get(application_id)
        if not isinstance(entry, tuple) or entry[0] != version:
            return None
        status = entry[2].get(language)
        return None if status is None else (entry[1], status)

    def put(self, application: Application, language: str, status: PublicStatus, /) -> None:
        """Keep *status*, made from *application* in *language* (a later version's
        replaces the statuses of earlier ones).

        Raises:
            InvalidValue: If an argument is not of its type.
        """
        check_type(application, Application, field="application")
        check_type(language, str, field="language")
        check_type(status, PublicStatus, field="status")
        entry = self._entries.get(application.id)
        if isinstance(entry, tuple) and entry[0] == application.version:
            statuses: dict[str, PublicStatus] = entry[2]
            if language in statuses or len(statuses) < self.LANGUAGES:
                statuses[language] = status
            return
        if isinstance(entry, tuple) and entry[0] > application.version:
            return  # a newer one is kept: this one is stale already
        self._entries.put(
            application.id, (application.version, application.secret_digest, {language: status})
        )

    def languages(self, application_id: str, /) -> tuple[str, ...]:
        """The languages statuses are kept in for *application_id*, at whatever version
        (none for what is not text): those a writer of a new version makes again
        (`onestop.usecases.mall.Mall` does), so tracking finds them without folding."""
        given: object = application_id
        entry = self._entries.get(application_id) if isinstance(given, str) else None
        return tuple(entry[2]) if isinstance(entry, tuple) else ()

    def forget(self, application_id: str, /) -> None:
        """Drop the statuses kept for *application_id* (nothing, for what is not text)."""
        given: object = application_id
        if isinstance(given, str):
            self._entries.discard(application_id)
