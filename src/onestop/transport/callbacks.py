"""Status callbacks from agencies: signed webhooks that move applications on.

An agency's back office reports what became of a forwarded application by POSTing a
Standard Webhooks-signed JSON body to the mall (any web framework; this module needs
only the headers and the raw body):

.. code-block:: json

    {"agency": "bpn", "application_id": "7f0c...", "status": "approved",
     "reference": "BPN-2025-000123", "reason": "complete"}

``number`` (the application number) may stand in for ``application_id``; ``reason``
is optional.  `AgencyCallbacks.handle`:

1. verifies the signature, timestamp and id with the
   `onestop.transport.signing.WebhookVerifier`; any failure raises its
   `onestop.exceptions.WebhookVerificationError` and changes nothing, and a webhook id
   seen before is refused as ``replayed``, so a duplicate delivery is dropped;
2. parses the body: malformed JSON, a missing field, an unknown agency or a status
   without a route raise `onestop.exceptions.CallbackRefused`; an unknown application
   raises `onestop.exceptions.ApplicationNotFound`;
3. follows the route of the agency's status (`CallbackRoute`): either a workflow
   **action** taken as the agency's actor (``Actor(id="agency:<code>", roles={"agency"})``
   unless configured otherwise), with ``reason`` and ``reference`` given as inputs when
   the action declares them; or an **event** (``agency.approved``) that fires the
   workflow's event transition through `onestop.mall.Mall.notify_event`.

A callback that arrives again under a new webhook id, after its transition was
recorded, is answered as already applied (``applied=False``) rather than refused.  If
the mall fails in a way worth retrying (a conflict, an unavailable store), the id is
dropped from the *seen* replay cache, when one is given, so that the agency's retry
is accepted.

One verifier means one secret for every agency it serves, and an agency holding it
could report on another's behalf: give each agency its own secret by building one
`AgencyCallbacks` per agency, mounted on its own URL.  The body is never logged or
quoted in errors.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Literal, Protocol

import attrs

from onestop.domain.application import ActionTaken, Application
from onestop.domain.catalogue import Catalogue
from onestop.domain.commands import find_workflow
from onestop.domain.engine import Actor
from onestop.domain.workflow import Trigger
from onestop.exceptions import (
    ApplicationNotFound,
    CallbackRefused,
    ConcurrencyConflict,
    TransientError,
    TransitionNotAllowed,
)
from onestop.ports import EventStore
from onestop.transport.signing import ReplayCache, WebhookVerifier

__all__ = ["AGENCY_ROLE", "AgencyCallbacks", "CallbackMall", "CallbackResult", "CallbackRoute"]

AGENCY_ROLE = "agency"
"""The role of the actor a callback acts as, unless configured otherwise."""

_MAX_TEXT = 256
_INPUTS = ("reason", "reference")


class CallbackMall(Protocol):
    """What callbacks need of the mall: `onestop.mall.Mall` has all of it."""

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


@attrs.frozen
class CallbackRoute:
    """What one agency status does: take a workflow action, or fire an event transition.

    Build one with `action` or `event`; a plain string in a status map is an action.

    Attributes:
        kind: ``action`` or ``event``.
        name: The action's or the event's name.

    .. versionadded:: 0.1.0
    """

    kind: Literal["action", "event"]
    name: str

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

    .. versionadded:: 0.1.0
    """

    webhook_id: str
    agency: str
    application_id: str
    status: str
    route: CallbackRoute
    applied: bool
    state: str
    version: int


def _routes(
    value: Mapping[str, Mapping[str, str | CallbackRoute]],
) -> Mapping[str, Mapping[str, CallbackRoute]]:
    routes: dict[str, Mapping[str, CallbackRoute]] = {}
    for agency, statuses in value.items():
        routes[agency] = MappingProxyType(
            {
                status: CallbackRoute.action(route) if isinstance(route, str) else route
                for status, route in statuses.items()
            }
        )
    return MappingProxyType(routes)


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
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_TEXT:
        raise CallbackRefused(f"{key!r} must be text of 1 to {_MAX_TEXT} characters")
    return value


def _parse(body: bytes) -> _Callback:
    try:
        payload = json.loads(body)
    except ValueError:
        raise CallbackRefused("the body is not JSON") from None
    if not isinstance(payload, dict):
        raise CallbackRefused("the body is not a JSON object")
    application_id = _text(payload, "application_id", required=False)
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
        seen: The verifier's replay cache, if callbacks should forget an id whose
            processing failed in a way worth retrying.

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
    ) -> None:
        self._mall = mall
        self._verifier = verifier
        self._routes = _routes(action_map)
        self._actors = MappingProxyType(dict(actors or {}))
        self._seen = seen

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

    def handle(self, headers: Mapping[str, str], body: bytes, *, now: datetime) -> CallbackResult:
        """Verify a callback and apply it; see the module's docstring.

        Args:
            headers: The request's headers.
            body: The raw body, exactly as received.
            now: The current time, for the signature's timestamp.

        Returns:
            What the callback did.

        Raises:
            onestop.exceptions.WebhookVerificationError: If the signature, timestamp or
                id is refused (a replay included); nothing changed.
            onestop.exceptions.CallbackRefused: If the body is malformed, or names an
                agency or status without a route.
            onestop.exceptions.ApplicationNotFound: If the application is unknown.
            onestop.exceptions.TransitionNotAllowed: If the workflow refuses the route
                in the application's current state.
            onestop.exceptions.CommandRefused: If the application is closed or suspended.
        """
        verified = self._verifier.verify(headers, body, now=now)
        try:
            return self._apply(verified.id, _parse(verified.body))
        except (TransientError, ConcurrencyConflict):
            if self._seen is not None:
                self._seen.forget(verified.id)
            raise

    def _apply(self, webhook_id: str, callback: _Callback) -> CallbackResult:
        statuses = self._routes.get(callback.agency)
        if statuses is None:
            raise CallbackRefused(f"agency {callback.agency!r} has no callback routes")
        route = statuses.get(callback.status)
        if route is None:
            raise CallbackRefused(
                f"status {callback.status!r} is not mapped for agency {callback.agency!r};"
                f" mapped: {', '.join(sorted(statuses)) or 'none'}"
            )
        application = self._find(callback)
        applied = True
        try:
            if route.kind == "event":
                after = self._mall.notify_event(application.id, route.name)
            else:
                after = self._act(application, route.name, callback)
        except TransitionNotAllowed:
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
        if last is None:
            return False
        if route.kind == "action":
            return last.action == route.name and last.actor == self.actor(agency).id
        if last.trigger is not Trigger.EVENT:
            return False
        workflow = find_workflow(
            self._mall.catalogue, application.workflow, application.workflow_version
        )
        transition = workflow.transition(last.source, last.action)
        return transition is not None and transition.event == route.name
