"""Agencies' signed status callbacks, mounted: ``POST /api/v1/agencies/{agency}/callbacks``.

A server started with ``--callback-secrets FILE`` accepts the Standard Webhooks-signed
callbacks of `onestop.transport.inbound.callbacks.AgencyCallbacks` from each agency the
file names, on that agency's own URL and under that agency's own secret, so that no
agency can report on another's behalf.  The file is one JSON object; each agency's code
maps to its secret (``"whsec_..."``), to its secrets during a rotation (a list), or to
``{"secrets": [...], "statuses": {...}}`` to map its statuses by hand.  By default an
agency's statuses come from the catalogue's workflows: ``agency.<status>`` for every
event transition on such an event, and an action's name for every transition the
``agency`` role may take.

The raw body and the raw headers are handed to `AgencyCallbacks.handle`, which verifies
before it parses; its errors are answered as problem details (401 for a forged or
expired callback).  A correctly signed retry under the webhook id of a callback already
applied (its first answer was lost) is answered 200 with ``duplicate`` true, and applied
nothing again, as Standard Webhooks receivers answer a replay; while the first delivery
is still being applied it is 401 ``replayed``, and the agency retries.  Webhook ids are
remembered in the directory the workers share their limits in (`FileReplayCache`), so
that every worker knows a replay; each agency's ids apart from the others'
(`AgencyIds`), since each agency picks its own.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import anyio
import attrs
from litestar import Request, post
from litestar.params import HeaderParameter, Parameter

from onestop.domain.catalogue.model import Catalogue
from onestop.domain.common.formats import text_problem
from onestop.domain.workflow.model import Trigger
from onestop.exceptions import (
    AgencyNotFound,
    ConfigurationError,
    OnestopError,
    StorageError,
    StorageUnavailable,
)
from onestop.privacy._files import read_small_file
from onestop.storage.documents import os_failure
from onestop.transport.inbound.callbacks import (
    AGENCY_ROLE,
    MAX_TEXT,
    AgencyCallbacks,
    CallbackRoute,
)
from onestop.transport.signing import MemoryReplayCache, ReplayCache, WebhookVerifier
from onestop.usecases.mall import Mall
from onestop.web._problems import problem_responses
from onestop.web._wire import Body, DuplicateKey, unique_keys

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows has none: ids are remembered unlocked
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "ROUTES",
    "AgencyIds",
    "CallbackAnswer",
    "CallbackEntry",
    "FileReplayCache",
    "MAX_CALLBACK_FILE",
    "build_callbacks",
    "read_callback_secrets",
]

MAX_CALLBACK_FILE = 1024 * 1024
"""The largest ``--callback-secrets`` file read; it is read whole, and only a regular file."""

_EVENT_PREFIX = "agency."
_SWEEP_EVERY = 512
_REPLAY_NAME = re.compile(r"[0-9a-f]{64}")


@attrs.frozen(kw_only=True)
class CallbackEntry:
    """One agency's callback configuration.

    Attributes:
        agency: The agency's code.
        secrets: Its webhook secrets (``whsec_...``), the newest first.
        statuses: Its statuses and what each does.
        services: The services whose applications it reports on, or ``None`` for those
            it provides (`AgencyCallbacks`' *services*).
    """

    agency: str
    secrets: tuple[str, ...] = attrs.field(repr=False)
    statuses: Mapping[str, CallbackRoute]
    services: tuple[str, ...] | None = None


@attrs.frozen(kw_only=True)
class CallbackAnswer:
    """What an agency's callback did.

    Attributes:
        webhook_id: The callback's ``webhook-id``.
        application_id: The application it moved.
        status: The status it reported.
        applied: ``False`` when an earlier callback had already recorded the transition.
        state: The application's state afterwards.
        version: The application's version afterwards.
        duplicate: ``True`` when this callback's webhook id had been applied already:
            a retry, answered and not applied again (``applied`` is ``False``).
    """

    webhook_id: str
    application_id: str
    status: str
    applied: bool
    state: str
    version: int
    duplicate: bool


def catalogue_statuses(catalogue: Catalogue) -> dict[str, CallbackRoute]:
    """The statuses an agency may report by default, from the catalogue's workflows."""
    found: dict[str, CallbackRoute] = {}
    for workflow in catalogue.workflows:
        for transition in workflow.transitions:
            event = transition.event
            if transition.trigger is Trigger.EVENT and event and event.startswith(_EVENT_PREFIX):
                found.setdefault(event[len(_EVENT_PREFIX) :], CallbackRoute.event(event))
            elif transition.trigger is Trigger.MANUAL and AGENCY_ROLE in transition.roles:
                found.setdefault(transition.action, CallbackRoute.action(transition.action))
    return found


def _route(value: object, catalogue: Catalogue) -> CallbackRoute:
    if isinstance(value, str):
        route = CallbackRoute.action(value)
    elif isinstance(value, dict) and set(value) == {"event"} and isinstance(value["event"], str):
        route = CallbackRoute.event(value["event"])
    else:
        raise ConfigurationError(
            '--callback-secrets: a status maps to an action\'s name or to {"event": "<name>"}'
        )
    if route.name not in _names(catalogue, route.kind):
        raise ConfigurationError(
            f"--callback-secrets: {_quoted(route.name)} is not an {route.kind} of the "
            "catalogue's workflows"
        )
    return route


def _names(catalogue: Catalogue, kind: str) -> set[str]:
    """The actions, or the events, of the catalogue's workflows' transitions."""
    transitions = [t for workflow in catalogue.workflows for t in workflow.transitions]
    if kind == "action":
        return {t.action for t in transitions}
    return {t.event for t in transitions if t.trigger is Trigger.EVENT and t.event}


def _status(value: str) -> str:
    if text_problem(value, max_length=MAX_TEXT) is not None:
        raise ConfigurationError(
            f"--callback-secrets: a status is text of 1 to {MAX_TEXT} characters without "
            "control characters"
        )
    return value


def _services(value: object, catalogue: Catalogue) -> tuple[str, ...] | None:
    if value is None:
        return None
    known = set(catalogue.service_codes())
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        raise ConfigurationError("--callback-secrets: services must be a list of service codes")
    unknown = [code for code in value if code not in known]
    if unknown:
        raise ConfigurationError(
            f"--callback-secrets: {_quoted(unknown[0])} is not a service of the catalogue"
        )
    return tuple(value)


def _entry(agency: str, value: object, catalogue: Catalogue) -> CallbackEntry:
    statuses: object = None
    services: object = None
    secrets: object = value
    if isinstance(value, dict):
        unknown = set(value) - {"secrets", "statuses", "services"}
        if unknown or "secrets" not in value:
            raise ConfigurationError(
                "--callback-secrets: an agency maps to a secret, a list of secrets, or "
                '{"secrets": [...], "statuses": {...}, "services": [...]}'
            )
        secrets, statuses = value["secrets"], value.get("statuses")
        services = value.get("services")
    if isinstance(secrets, str):
        secrets = [secrets]
    if not isinstance(secrets, list) or not secrets or not all(isinstance(s, str) for s in secrets):
        raise ConfigurationError("--callback-secrets: an agency's secrets are whsec_ texts")
    if statuses is None:
        routes = catalogue_statuses(catalogue)
    elif isinstance(statuses, dict) and statuses:
        routes = {_status(status): _route(route, catalogue) for status, route in statuses.items()}
    else:
        raise ConfigurationError(
            "--callback-secrets: statuses must be an object of at least one status"
        )
    if not routes:
        raise ConfigurationError(
            "--callback-secrets: no status to accept: the catalogue's workflows have no "
            "agency.* event and no transition for the agency role; map statuses by hand"
        )
    return CallbackEntry(
        agency=agency,
        secrets=tuple(secrets),
        statuses=routes,
        services=_services(services, catalogue),
    )


def read_callback_secrets(path: str, catalogue: Catalogue) -> tuple[CallbackEntry, ...]:
    """Read a ``--callback-secrets`` file; every agency must be one of *catalogue*'s.

    Raises:
        ConfigurationError: If the file cannot be read, is not such JSON, names an
            agency the catalogue does not know, or holds a secret that is not one.
            The message never quotes a secret.
    """
    try:
        text = read_small_file(path, limit=MAX_CALLBACK_FILE).decode("utf-8")
        raw = json.loads(text, object_pairs_hook=unique_keys)
    except DuplicateKey as exc:
        raise ConfigurationError(
            f"--callback-secrets: {_quoted(exc.key)} is given twice in one object"
        ) from None
    except (OSError, ValueError, RecursionError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not JSON"
        raise ConfigurationError(f"--callback-secrets: cannot read the file: {reason}") from None
    if not isinstance(raw, dict) or not raw:
        raise ConfigurationError("--callback-secrets: expected an object of agency to secret")
    entries = []
    for agency, value in raw.items():
        try:
            catalogue.agency(agency)
        except AgencyNotFound:
            raise ConfigurationError(
                f"--callback-secrets: {_quoted(agency)} is not an agency of the catalogue"
            ) from None
        entry = _entry(agency, value, catalogue)
        try:
            WebhookVerifier(entry.secrets)
        except OnestopError:
            raise ConfigurationError(
                f"--callback-secrets: a secret of {agency} is not whsec_ and the base64 of "
                "24 to 64 bytes"
            ) from None
        entries.append(entry)
    return tuple(entries)


def _quoted(value: str) -> str:
    """*value* quoted for a message, cut short."""
    return repr(value if len(value) <= 40 else value[:37] + "...")


class FileReplayCache:
    """A `ReplayCache` in a directory: one file per webhook id, shared by the workers.

    An id's file holds the instant until which the id is remembered.  A worker reads and
    writes it under an exclusive ``flock`` of that file, so of two workers remembering
    the same id at once, a new one or one whose record expired, exactly one is told it
    is new; an empty or unreadable file (its writer killed, or the disk full) counts as
    expired.  Expired files are swept now and then, under the same lock.  Files are
    opened without following a link, and only regular files are used.
    """

    def __init__(self, directory: Path) -> None:
        """Remember ids in *directory* (made if missing)."""
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._directory = directory
        self._calls = 0

    def _file(self, message_id: str) -> Path:
        return self._directory / hashlib.sha256(message_id.encode()).hexdigest()

    def remember(self, message_id: str, /, *, until: datetime, now: datetime) -> bool:
        """Record *message_id* until *until*; tell whether it was new.

        Raises:
            StorageError: If its file cannot be read or written (a full disk), or is not
                a regular file.
        """
        self._calls += 1
        if self._calls % _SWEEP_EVERY == 0:
            self._sweep(now)
        file = self._file(message_id)
        for _ in range(3):  # again if the file was swept or forgotten while we waited
            with _locked(file, create=True) as descriptor:
                if descriptor is None:
                    continue
                if _until(descriptor) >= now.timestamp():
                    return False
                try:
                    data = str(until.timestamp()).encode("ascii")
                    os.pwrite(descriptor, data, 0)
                    os.ftruncate(descriptor, len(data))
                except OSError as exc:
                    raise os_failure(exc, doing="remember a webhook id") from exc
                return True
        raise StorageUnavailable("cannot remember a webhook id now: its file keeps changing")

    def forget(self, message_id: str, /) -> None:
        """Drop *message_id*, so that the sender's retry is accepted."""
        self._file(message_id).unlink(missing_ok=True)

    def _sweep(self, now: datetime) -> None:
        """Remove the expired ids' files (its own files only: `_REPLAY_NAME`)."""
        try:
            files = list(self._directory.iterdir())
        except FileNotFoundError:  # removed: made again by the next id remembered
            return
        except OSError as exc:
            raise os_failure(exc, doing="sweep the webhook ids") from exc
        for file in files:
            if not _REPLAY_NAME.fullmatch(file.name):
                continue
            with (
                contextlib.suppress(StorageError),  # not a file of ours, or gone: pass over
                _locked(file, create=False) as descriptor,
            ):
                if descriptor is not None and _until(descriptor) < now.timestamp():
                    file.unlink(missing_ok=True)  # under the lock: no one is reading it


@contextlib.contextmanager
def _locked(file: Path, *, create: bool) -> Iterator[int | None]:
    """*file*'s descriptor, locked (``flock``, exclusive); ``None`` if it is gone, or was
    removed or replaced while the lock was awaited (try again).

    Raises:
        StorageError: If it cannot be opened, or is not a regular file.
    """
    flags = os.O_RDWR | os.O_NOFOLLOW | os.O_NONBLOCK | (os.O_CREAT if create else 0)
    try:
        descriptor = os.open(file, flags, 0o600)
    except FileNotFoundError:
        if not create:
            yield None
            return
        file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # removed: make it again
        yield None
        return
    except OSError as exc:  # a link in its place is ELOOP
        raise os_failure(exc, doing="open a webhook id's file") from exc
    try:
        found = os.fstat(descriptor)
        if not stat.S_ISREG(found.st_mode):
            raise StorageError("cannot remember a webhook id: its file is not a regular file")
        if fcntl is not None:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        try:
            named = os.stat(file, follow_symlinks=False)
        except FileNotFoundError:
            yield None
            return
        same = (named.st_dev, named.st_ino) == (found.st_dev, found.st_ino)
        yield descriptor if same else None
    except OSError as exc:
        raise os_failure(exc, doing="lock a webhook id's file") from exc
    finally:
        os.close(descriptor)  # which lets go of the lock


def _until(descriptor: int) -> float:
    """The instant the locked file remembers its id until; an unreadable one has expired
    (no one is writing it: writers hold the lock)."""
    try:
        return float(os.pread(descriptor, 64, 0).decode("ascii"))
    except (OSError, ValueError):
        return float("-inf")


@attrs.frozen
class AgencyIds:
    """The ids of one agency's webhooks in a `ReplayCache` shared by every agency.

    Each agency picks its own ``webhook-id`` values (Standard Webhooks makes the id the
    sender's), so two agencies may well both send ``"1"``: kept apart, neither agency's
    id refuses the other's callback as a replay.
    """

    shared: ReplayCache
    agency: str

    def remember(self, message_id: str, /, *, until: datetime, now: datetime) -> bool:
        """Record *message_id* of this agency's until *until*; tell whether it was new."""
        return self.shared.remember(self._key(message_id), until=until, now=now)

    def forget(self, message_id: str, /) -> None:
        """Drop *message_id* of this agency's, so that the agency's retry is accepted."""
        self.shared.forget(self._key(message_id))

    def _key(self, message_id: str) -> str:
        return f"{self.agency}\x00{message_id}"


def build_callbacks(
    mall: Mall, entries: tuple[CallbackEntry, ...], *, replay_dir: str | None
) -> dict[str, AgencyCallbacks]:
    """One `AgencyCallbacks` per agency, each with its own secrets and its own ids in
    the shared cache (`AgencyIds`)."""
    shared: ReplayCache = (
        MemoryReplayCache() if replay_dir is None else FileReplayCache(Path(replay_dir))
    )
    built = {}
    for entry in entries:
        seen = AgencyIds(shared, entry.agency)
        built[entry.agency] = AgencyCallbacks(
            mall,
            WebhookVerifier(entry.secrets, seen=seen),
            {entry.agency: dict(entry.statuses)},
            seen=seen,
            services=None if entry.services is None else {entry.agency: entry.services},
        )
    return built


_Header = Annotated[str, HeaderParameter(name="webhook-id", max_length=256)]


@post(
    "/api/v1/agencies/{agency:str}/callbacks",
    return_dto=Body[CallbackAnswer],
    status_code=200,
    tags=["agencies"],
    responses=problem_responses(400, 401, 404, 409, 422, 503),
    summary="An agency reports on an application (a signed webhook)",
)
async def agency_callback(
    request: Request[Any, Any, Any],
    agency: Annotated[str, Parameter(min_length=1, max_length=128)],
    webhook_id: _Header,
    webhook_timestamp: Annotated[str, HeaderParameter(name="webhook-timestamp", max_length=32)],
    webhook_signature: Annotated[str, HeaderParameter(name="webhook-signature", max_length=8192)],
) -> CallbackAnswer:
    """Apply an agency's Standard Webhooks-signed status callback.

    The body is JSON: ``{"agency", "application_id" or "number", "status",
    "reference", "reason"?}``, signed with the agency's own secret.  A forged or
    expired callback is 401 and changes nothing.  A correctly signed retry of a callback
    already applied (the same ``webhook-id``) is 200 with ``duplicate`` true and is not
    applied again.
    """
    callbacks: Mapping[str, AgencyCallbacks] = request.app.state.callbacks
    handler = callbacks.get(agency)
    if handler is None:
        raise AgencyNotFound(agency)
    body = await request.body()
    # The raw pairs, so that the verifier refuses a header given twice.
    headers: Any = list(request.scope["headers"])
    result = await anyio.to_thread.run_sync(
        lambda: handler.handle(headers, body, now=datetime.now(UTC), answer_replays=True)
    )
    return CallbackAnswer(
        webhook_id=result.webhook_id,
        application_id=result.application_id,
        status=result.status,
        applied=result.applied,
        state=result.state,
        version=result.version,
        duplicate=result.duplicate,
    )


ROUTES = [agency_callback]
"""The callbacks route, served when ``--callback-secrets`` is given."""
