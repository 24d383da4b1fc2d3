"""Who acts: an `Actor` is an id (never personal data) and the roles it holds now.

The engine (`onestop.domain.workflow.engine`) checks an actor's roles before it fires a
transition; the use cases record the actor's id on every event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from onestop.domain.common.formats import ACTOR_ID, ROLE, kind_of
from onestop.exceptions import InvalidValue

__all__ = ["Actor", "SYSTEM"]


def _roles(value: object) -> frozenset[str]:
    """Convert what an actor holds into a frozenset of role names, each checked by `ROLE`."""
    if isinstance(value, frozenset) and all(ROLE.matches(role) for role in value):
        return value
    if isinstance(value, str):
        items: tuple[object, ...] = (value,)
    elif isinstance(value, Iterable) and not isinstance(value, Mapping | bytes):
        items = tuple(value)
    else:
        raise InvalidValue(field="actor.roles", reason=f"expected role names, not {kind_of(value)}")
    for role in items:
        reason = ROLE.problem(role)
        if reason is not None:
            raise InvalidValue(field="actor.roles", reason=reason)
    return frozenset(items)  # type: ignore[arg-type]  # every item is a str, checked above


def _check_id(_: object, __: attrs.Attribute[str], value: object) -> None:
    ACTOR_ID.check(value, field="actor.id")


@attrs.frozen(kw_only=True)
class Actor:
    """Who takes an action: an id (never personal data) and the roles they hold now.

    Both are checked when the actor is built, so that no actor with a second spelling
    of an id or a role can exist: the id must be canonical (`formats.ACTOR_ID`: lower
    case ASCII, no space, no line break, no look-alike letter), and each role a role
    name (`formats.ROLE`), the format workflows declare roles in.  Separation of
    duties, assignment and the submitter's rights compare ids exactly, which is sound
    only because of this.

    >>> Actor(id="officer-ana\\n", roles={"approver"})
    Traceback (most recent call last):
      ...
    onestop.exceptions.InvalidValue: actor.id: has a line break at the end

    Attributes:
        id: A stable identifier of the officer, applicant or system.
        roles: The roles this actor holds (any iterable of names; a single string is
            one role, not a set of letters).

    Raises:
        InvalidValue: If the id is not an actor id, or a role is not a role name.
    """

    id: str = attrs.field(validator=_check_id)
    roles: frozenset[str] = attrs.field(default=frozenset(), converter=_roles)


SYSTEM = Actor(id="system")
"""The actor recorded for timer, breach and event transitions."""
