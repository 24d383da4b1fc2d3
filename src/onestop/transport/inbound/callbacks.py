"""Status callbacks from agencies: signed webhooks that move applications on.

An agency's back office reports what became of a forwarded application by POSTing a
Standard Webhooks-signed JSON body to the mall (any web framework; this module needs
only the headers and the raw body):

.. code-block:: json

    {"agency": "bpn", "application_id": "7f0c...", "status": "approved",
     "reference": "BPN-2025-000123", "reason": "complete"}

``number`` (the application number) may stand in for ``application_id``; ``reason``
is optional.  Each field is text of 1 to 256 characters without control characters;
the body is one JSON object, each key given once, with no ``NaN`` or ``Infinity``.
`AgencyCallbacks.handle`:

1. verifies the signature, timestamp and id with the
   `onestop.transport.signing.WebhookVerifier`; any failure raises its
   `onestop.exceptions.WebhookVerificationError` and changes nothing, and a webhook id
   seen before is refused as ``replayed``, so a duplicate delivery is dropped;
2. parses the body: malformed JSON, a missing field, an unknown agency or a status
   without a route raise `onestop.exceptions.CallbackRefused`; an unknown application,
   or one the agency is not the one to report on, raises
   `onestop.exceptions.ApplicationNotFound` (the same answer: an agency learns nothing
   of applications that are not its own);
3. follows the route of the agency's status (`CallbackRoute`): either a workflow
   **action** taken as the agency's actor (``Actor(id="agency:<code>", roles={"agency"})``
   unless configured otherwise), with ``reason`` and ``reference`` given as inputs when
   the action declares them; or an **event** (``agency.approved``) that fires the
   workflow's event transition through `onestop.usecases.mall.Mall.notify_event`.

A callback that arrives again under a new webhook id, after its transition was
recorded, is answered as already applied (``applied=False``) rather than refused, also
when that transition closed the application.  A callback that is refused or fails after
its signature verified changed nothing, so its id is dropped from the *seen* replay
cache, when one is given: the agency's retry under the same id (as Standard Webhooks
senders retry) is then heard, for instance once a suspension is lifted.

A retry under the same id of a callback that *was* applied (its answer was lost) is
refused as ``replayed`` by default.  With ``answer_replays=True``, `AgencyCallbacks.handle`
answers it instead, applying nothing: ``duplicate=True``, ``applied=False`` and the
application's current state, once the callback's transition is the application's latest.
Until then (the first delivery is still being applied, or its worker died) it is still
refused as ``replayed``, so that the agency retries rather than take it as done.  The
latest, not any earlier one: in a workflow that takes the same transition twice (sent
back to the agency and returned again), an earlier round's transition does not make a
retry of this round's callback look applied.  (A retry that comes after the application
has moved on again is refused as ``replayed`` too: the agency may report a failure for a
callback that was applied, never a success for one that was not.)

**Whose applications.**  An agency reports on the applications the gateway forwards
to it, by the same rule as `onestop.transport.gateway.AgencyEndpoint.serves`: those of
the services given for it in *services*, else those of the services the catalogue has
it provide (the application's ``agency``).  A callback naming any other application is
refused as unknown and changes nothing, so an agency's secret moves only its own
applications on.

One verifier means one secret for every agency it serves, and an agency holding it
could report on another's behalf: give each agency its own secret by building one
`AgencyCallbacks` per agency, mounted on its own URL.  The body is never logged or
quoted in errors.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Literal, NoReturn, Protocol

import attrs

from onestop.domain.applications.application import ActionTaken, Application
from onestop.domain.applications.commands import find_workflow
from onestop.domain.catalogue.model import Catalogue
from onestop.domain.common.formats import (
    ACTOR_ID,
    CATALOGUE_CODE,
    KEY,
    kind_of,
    preview,
    text_problem,
)
from onestop.domain.workflow.engine import Actor
from onestop.domain.workflow.model import Trigger
from onestop.exceptions import (
    ApplicationNotFound,
    CallbackRefused,
    CommandRefused,
    ConfigurationError,
    TransitionNotAllowed,
    WebhookVerificationError,
)
from onestop.ports.events import EventStore
from onestop.transport._gateway_checks import goes_to
from onestop.transport.signing import ReplayCache, WebhookVerifier
from onestop.transport.signing import _find_headers as _webhook_headers

__all__ = [
    "AGENCY_ROLE",
    "MAX_TEXT",
    "AgencyCallbacks",
    "CallbackMall",
    "CallbackResult",
    "CallbackRoute",
]

AGENCY_ROLE = "agency"
"""The role of the actor a callback acts as, unless configured otherwise."""

MAX_TEXT = 256
"""The longest text of a callback's fields (a status, a reference), in characters."""

_INPUTS = ("reason", "reference")


class CallbackMall(Protocol):
    """What callbacks need of the mall: `onestop.usecases.mall.Mall` has all of it."""

    @property
    def catalogue(self) -> Catalogue:
        """The catalogue, for the workflows."""
        ...

    @property
    def store(self) -> EventStore:
        """The store, to find an application by its number."""
        ...

    def application(self, application_id: str, /) -> Application:
        """Return the application's current state."""
        ...

    def act(
        self,
        application_id: str,
        action: str,
        /,
        *,
        actor: Actor,
        inputs: Mapping[str, object] | None = None,
        expected_version: int | None = None,
    ) -> Application:
        """Take a workflow action."""
        ...

    def notify_event(self, application_id: str, event: str, /) -> Application:
        """Fire the transition an event triggers."""
        ...


def _route_kind(value: object) -> None:
    if value not in ("action", "event"):
        raise ConfigurationError("a callback route's kind is 'action' or 'event'")


def _route_name(value: object) -> None:
    problem = text_problem(value, max_length=MAX_TEXT)
    if problem is not None:
        raise ConfigurationError(f"a callback route's name {problem}")


@attrs.frozen
class CallbackRoute:
    """What one agency status does: take a workflow action, or fire an event transition.

    Build one with `action` or `event`; a plain string in a status map is an action.

    Attributes:
        kind: ``action`` or ``event``.
        name: The action's or the event's name.

    Raises:
        onestop.exceptions.ConfigurationError: If *kind* is neither, or *name* is not
            text of 1 to 256 characters without control characters.

    .. versionadded:: 0.1.0
    """

    kind: Literal["action", "event"] = attrs.field(validator=lambda _, __, v: _route_kind(v))
    name: str = attrs.field(validator=lambda _, __, v: _route_name(v))

    @classmethod
    def action(cls, name: str, /) -> CallbackRoute:
        """Take the manual workflow action *name* as the agency's actor."""
        return cls("action", name)

    @classmethod
    def event(cls, name: str, /) -> CallbackRoute:
        """Fire the event transition that listens for *name* (``agency.approved``)."""
        return cls("event", name)


@attrs.frozen(kw_only=True)
class CallbackResult:
    """What a callback did.

    Attributes:
        webhook_id: The ``webhook-id`` of the callback.
        agency: The reporting agency's code.
        application_id: The application concerned.
        status: The status reported.
        route: What the status was mapped to.
        applied: ``False`` when the transition had been recorded by an earlier callback.
        state: The application's state afterwards.
        version: The application's version afterwards.
        duplicate: ``True`` when this was a retry under the same webhook id of a callback
            already applied, answered (``answer_replays=True``) and not applied again.

    .. versionadded:: 0.1.0
    .. versionchanged:: 0.2.0
       *duplicate*.
    """

    webhook_id: str
    agency: str
    application_id: str
    status: str
    route: CallbackRoute
    applied: bool
    state: str
    version: int
    duplicate: bool = False


def _misconfigured(reason: str) -> NoReturn:
    raise ConfigurationError(f"action_map: {reason}")


def _routes(
    value: Mapping[str, Mapping[str, str | CallbackRoute]],
) -> Mapping[str, Mapping[str, CallbackRoute]]:
    if not isinstance(value, Mapping):
        _misconfigured(f"expected a mapping of agencies, not {kind_of(value)}")
    routes: dict[str, Mapping[str, CallbackRoute]] = {}
    for agency, statuses in value.items():
        if text_problem(agency, max_length=MAX_TEXT) is not None:
            _misconfigured("an agency's code must be text without control characters")
        if not isinstance(statuses, Mapping):
            _misconfigured(f"an agency's statuses must be a mapping, not {kind_of(statuses)}")
        mapped: dict[str, CallbackRoute] = {}
        for status, route in statuses.items():
            if text_problem(status, max_length=MAX_TEXT) is not None:
                _misconfigured("a status must be text without control characters")
            if not isinstance(route, str | CallbackRoute):
                _misconfigured(
                    f"a route must be an action's name or a CallbackRoute, not {kind_of(route)}"
                )
            mapped[status] = CallbackRoute.action(route) if isinstance(route, str) else route
        routes[agency] = MappingProxyType(mapped)
    return MappingProxyType(routes)


def _services(value: object, routes: Mapping[str, object]) -> Mapping[str, frozenset[str]]:
    if value is None:
        return MappingProxyType({})
    if not isinstance(value, Mapping):
        raise ConfigurationError(
            f"services: expected a mapping of agency codes to service codes, not {kind_of(value)}"
        )
    services: dict[str, frozenset[str]] = {}
    for agency, codes in value.items():
        if not isinstance(agency, str) or agency not in routes:
            raise ConfigurationError(f"services: {preview(agency)} is not an agency with routes")
        if isinstance(codes, str | bytes) or not isinstance(codes, Collection):
            raise ConfigurationError(
                f"services of {preview(agency)} must be a collection of service codes"
            )
        if not all(isinstance(code, str) and CATALOGUE_CODE.matches(code) for code in codes):
            raise ConfigurationError(
                f"services of {preview(agency)} must be service codes ({CATALOGUE_CODE.name})"
            )
        services[agency] = frozenset(codes)
    return MappingProxyType(services)


@attrs.frozen(kw_only=True)
class _Callback:
    agency: str
    application_id: str | None
    number: str | None
    status: str
    reference: str
    reason: str | None


def _text(payload: Mapping[str, object], key: str, *, required: bool) -> str | None:
    value = payload.get(key)
    if value is None and not required:
        return None
    problem = text_problem(value, max_length=MAX_TEXT)
    if problem is not None or not str(value).strip():
        raise CallbackRefused(
            f"{preview(key)} must be text of 1 to {MAX_TEXT} characters without control characters"
        )
    return value  # type: ignore[return-value]  # text_problem() proved it is a str


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    found = dict(pairs)
    if len(found) != len(pairs):
        raise CallbackRefused("the body gives a key more than once")
    return found


def _no_constant(name: str) -> NoReturn:
    raise CallbackRefused(f"the body holds {name}, which is not JSON")


def _parse(body: bytes) -> _Callback:
    try:
        payload = json.loads(body, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except (ValueError, RecursionError):  # UnicodeDecodeError included
        raise CallbackRefused("the body is not JSON") from None
    if not isinstance(payload, dict):
        raise CallbackRefused("the body is not a JSON object")
    application_id = _text(payload, "application_id", required=False)
    if application_id is not None and not KEY.matches(application_id):
        raise CallbackRefused("'application_id' is not an application id")
    number = _text(payload, "number", required=False)
    if application_id is None and number is None:
        raise CallbackRefused("give 'application_id' or 'number'")
    return _Callback(
        agency=str(_text(payload, "agency", required=True)),
        application_id=application_id,
        number=number,
        status=str(_text(payload, "status", required=True)),
        reference=str(_text(payload, "reference", required=True)),
        reason=_text(payload, "reason", required=False),
    )


class AgencyCallbacks:
    """Verifies agencies' signed status callbacks and applies them to the mall.

    Args:
        mall: The mall (`CallbackMall`).
        verifier: Checks the callbacks' Standard Webhooks signatures.
        action_map: For each agency's code, its statuses and their routes: an action's
            name, or a `CallbackRoute`.  Only these agencies and statuses are accepted.
        actors: The actor each agency acts as; by default
            ``Actor(id="agency:<code>", roles={"agency"})``.
        seen: The verifier's replay cache, if callbacks should forget the id of a
            verified callback that was refused or failed (nothing was applied), so
            that the agency's retry under that id is heard.
        services: For each agency's code, the codes of the services whose applications
            it reports on (give what its `onestop.transport.gateway.AgencyEndpoint` has
            as ``services``); an agency not named, or given none, reports on the
            applications of the services it provides (``Application.agency``) only.

    Raises:
        onestop.exceptions.ConfigurationError: If *action_map* is not a mapping of
            agency codes to mappings of statuses to routes, an agency's default actor
            cannot be made from its code, *services* names an agency without routes or
            is not a mapping of agency codes to collections of service codes, or
            *verifier*, *actors* or *seen* is not of the kind described.

    .. versionadded:: 0.1.0
    """

    def __init__(
        self,
        mall: CallbackMall,
        verifier: WebhookVerifier,
        action_map: Mapping[str, Mapping[str, str | CallbackRoute]],
        *,
        actors: Mapping[str, Actor] | None = None,
        seen: ReplayCache | None = None,
        services: Mapping[str, Collection[str]] | None = None,
    ) -> None:
        if not isinstance(verifier, WebhookVerifier):
            raise ConfigurationError(f"verifier must be a WebhookVerifier, not {kind_of(verifier)}")
        given: object = actors
        if given is not None and not (
            isinstance(given, Mapping) and all(isinstance(a, Actor) for a in given.values())
        ):
            raise ConfigurationError("actors must map agency codes to Actor values")
        if seen is not None and not callable(getattr(seen, "forget", None)):
            raise ConfigurationError("seen must be a ReplayCache")
        self._mall = mall
        self._verifier = verifier
        self._routes = _routes(action_map)
        self._actors = MappingProxyType(dict(actors or {}))
        self._seen = seen
        self._services = _services(services, self._routes)
        for agency in self._routes:  # every agency's actor can be made, now rather than later
            if agency not in self._actors and not ACTOR_ID.matches(f"agency:{agency}"):
                raise ConfigurationError(
                    f"action_map: agency {preview(agency)} makes no actor id"
                    f" (agency:<code> must be {ACTOR_ID.name}); give it one in actors"
                )

    def __repr__(self) -> str:
        """Show the agencies served."""
        return f"<AgencyCallbacks agencies={sorted(self._routes)!r}>"

    @property
    def agencies(self) -> tuple[str, ...]:
        """The codes of the agencies whose callbacks are accepted."""
        return tuple(self._routes)

    def actor(self, agency: str, /) -> Actor:
        """Return the actor *agency*'s callbacks act as."""
        return self._actors.get(agency) or Actor(id=f"agency:{agency}", roles={AGENCY_ROLE})

    def handle(
        self,
        headers: Mapping[str, str],
        body: bytes,
        *,
        now: datetime,
        answer_replays: bool = False,
    ) -> CallbackResult:
        """Verify a callback and apply it; see the module's docstring.

        Args:
            headers: The request's headers.
            body: The raw body, exactly as received.
            now: The current time, for the signature's timestamp.
            answer_replays: Answer a correctly signed retry under the id of a callback
                already applied with ``duplicate=True``, applying nothing, rather than
                refuse it as ``replayed``.

        Returns:
            What the callback did.

        Raises:
            onestop.exceptions.WebhookVerificationError: If the signature, timestamp or
                id is refused (a replay included, unless answered); nothing changed.
            onestop.exceptions.CallbackRefused: If the body is malformed, or names an
                agency or status without a route.
            onestop.exceptions.ApplicationNotFound: If the application is unknown.
            onestop.exceptions.TransitionNotAllowed: If the workflow refuses the route
                in the application's current state.
            onestop.exceptions.CommandRefused: If the application is closed or suspended.

        .. versionchanged:: 0.2.0
           *answer_replays*.
        """
        try:
            verified = self._verifier.verify(headers, body, now=now)
        except WebhookVerificationError as refusal:
            if not answer_replays or refusal.reason != "replayed":
                raise
            # verify() looks for a replay last: this one is correctly signed and fresh.
            return self._duplicate(headers, body, refusal)
        try:
            return self._apply(verified.id, _parse(verified.body))
        except BaseException:  # nothing was applied: the sender's retry must be heard
            if self._seen is not None:
                self._seen.forget(verified.id)
            raise

    def _duplicate(
        self, headers: Mapping[str, str], body: bytes, refusal: WebhookVerificationError
    ) -> CallbackResult:
        """What a retry of an applied callback finds, applying nothing; its id is kept."""
        callback = _parse(body)
        route = self._route(callback)
        application = self._own(callback)
        if not self._recorded(application, route, callback.agency):
            # The first delivery is still being applied, or died: not done yet.  Not an
            # earlier round's same transition either: the latest transition only.
            raise refusal
        return CallbackResult(
            webhook_id=_webhook_headers(headers)[0],
            agency=callback.agency,
            application_id=application.id,
            status=callback.status,
            route=route,
            applied=False,
            state=application.state,
            version=application.version,
            duplicate=True,
        )

    def _route(self, callback: _Callback) -> CallbackRoute:
        statuses = self._routes.get(callback.agency)
        if statuses is None:
            raise CallbackRefused(f"agency {preview(callback.agency)} has no callback routes")
        route = statuses.get(callback.status)
        if route is None:
            raise CallbackRefused(
                f"status {preview(callback.status)} is not mapped for agency"
                f" {preview(callback.agency)}; mapped: {', '.join(sorted(statuses)) or 'none'}"
            )
        return route

    def _own(self, callback: _Callback) -> Application:
        """The callback's application, if it is the agency's to report on."""
        application = self._find(callback)
        if not goes_to(
            callback.agency,
            self._services.get(callback.agency, ()),
            service=application.service,
            agency=application.agency,
        ):  # not this agency's to report on: answered as no application at all
            raise ApplicationNotFound(callback.application_id or callback.number)
        return application

    def _apply(self, webhook_id: str, callback: _Callback) -> CallbackResult:
        route = self._route(callback)
        application = self._own(callback)
        applied = True
        try:
            if route.kind == "event":
                after = self._mall.notify_event(application.id, route.name)
            else:
                after = self._act(application, route.name, callback)
        except (TransitionNotAllowed, CommandRefused):
            # A repeat of the transition that moved it on, or closed it: already applied.
            if not self._recorded(application, route, callback.agency):
                raise
            after, applied = application, False
        return CallbackResult(
            webhook_id=webhook_id,
            agency=callback.agency,
            application_id=application.id,
            status=callback.status,
            route=route,
            applied=applied,
            state=after.state,
            version=after.version,
        )

    def _find(self, callback: _Callback) -> Application:
        if callback.application_id is not None:
            return self._mall.application(callback.application_id)
        assert callback.number is not None  # noqa: S101 - _parse requires one of them
        summary = self._mall.store.find_number(callback.number)
        if summary is None:
            raise ApplicationNotFound(callback.number)
        return self._mall.application(summary.stream_id)

    def _act(self, application: Application, action: str, callback: _Callback) -> Application:
        workflow = find_workflow(
            self._mall.catalogue, application.workflow, application.workflow_version
        )
        transition = workflow.transition(application.state, action)
        declared = transition.inputs if transition is not None else ()
        given = {"reason": callback.reason, "reference": callback.reference}
        inputs = {name: given[name] for name in _INPUTS if name in declared and given[name]}
        return self._mall.act(
            application.id, action, actor=self.actor(callback.agency), inputs=inputs
        )

    def _recorded(self, application: Application, route: CallbackRoute, agency: str) -> bool:
        """Tell whether the application's latest transition is the one *route* asks for."""
        last = next(
            (event for event in reversed(application.events) if isinstance(event, ActionTaken)),
            None,
        )
        return last is not None and self._matches(last, application, route, agency)

    def _matches(
        self, event: ActionTaken, application: Application, route: CallbackRoute, agency: str
    ) -> bool:
        """Tell whether the transition *event* recorded is the one *route* asks for."""
        if route.kind == "action":
            return event.action == route.name and event.actor == self.actor(agency).id
        if event.trigger is not Trigger.EVENT:
            return False
        workflow = find_workflow(
            self._mall.catalogue, application.workflow, application.workflow_version
        )
        transition = workflow.transition(event.source, event.action)
        return transition is not None and transition.event == route.name
