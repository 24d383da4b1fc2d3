"""Who acts: an `Actor` is an id (never personal data) and the roles it holds now.

A role is held either across the whole mall (``roles``) or for the applications of
named agencies only (``grants``, each a `Grant` of one role in one agency).  The engine
(`onestop.domain.workflow.engine`) checks, before it fires a transition, that the actor
holds one of its roles in the application's agency; the use cases record the actor's
id on every event.

>>> ana = Actor(id="officer-ana", roles={"front_office"},
...             grants={Grant("verifier", agency="dpmptsp")})
>>> ana.holds("verifier", agency="dpmptsp"), ana.holds("verifier", agency="dukcapil")
(True, False)
>>> ana.holds("front_office", agency="dukcapil")
True
>>> sorted(ana.roles_in("dpmptsp"))
['front_office', 'verifier']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from onestop.domain.common.formats import ACTOR_ID, CATALOGUE_CODE, ROLE, kind_of
from onestop.exceptions import InvalidValue

__all__ = ["Actor", "Grant", "SYSTEM"]


def _items(value: object, *, field: str, expected: str, one: type) -> tuple[object, ...]:
    """The items of a collection an actor is given; a lone *one* is a collection of one."""
    if isinstance(value, one):
        return (value,)
    if isinstance(value, Iterable) and not isinstance(value, Mapping | bytes | bytearray | str):
        return tuple(value)
    raise InvalidValue(field=field, reason=f"expected {expected}, not {kind_of(value)}")


def _roles(value: object) -> frozenset[str]:
    """Convert what an actor holds into a frozenset of role names, each checked by `ROLE`."""
    if isinstance(value, frozenset) and all(ROLE.matches(role) for role in value):
        return value
    items = _items(value, field="actor.roles", expected="role names", one=str)
    for role in items:
        reason = ROLE.problem(role)
        if reason is not None:
            raise InvalidValue(field="actor.roles", reason=reason)
    return frozenset(items)  # type: ignore[arg-type]  # every item is a str, checked above


def _grants(value: object) -> frozenset[Grant]:
    """Convert an actor's grants into a frozenset of `Grant` values."""
    if isinstance(value, frozenset) and all(type(grant) is Grant for grant in value):
        return value
    items = _items(value, field="actor.grants", expected="Grant values", one=Grant)
    for item in items:
        if not isinstance(item, Grant):
            raise InvalidValue(
                field="actor.grants", reason=f"expected Grant values, not {kind_of(item)}"
            )
    return frozenset(items)  # type: ignore[arg-type]  # every item is a Grant, checked above


def _check_id(_: object, __: attrs.Attribute[str], value: object) -> None:
    ACTOR_ID.check(value, field="actor.id")


def _check_role(_: object, __: attrs.Attribute[str], value: object) -> None:
    ROLE.check(value, field="grant.role")


def _check_agency(_: object, __: attrs.Attribute[str | None], value: object) -> None:
    if value is not None:
        CATALOGUE_CODE.check(value, field="grant.agency")


@attrs.frozen
class Grant:
    """One role, held for the applications of one agency, or of the whole mall.

    A grant names its agency exactly, by its catalogue code: it does not reach the
    agency's sub-agencies, which need grants of their own.

    >>> Grant("verifier", agency="dpmptsp")
    Grant(role='verifier', agency='dpmptsp')

    Attributes:
        role: A role name (`onestop.domain.common.formats.ROLE`).
        agency: The code of the agency whose applications the role is held for
            (`onestop.domain.common.formats.CATALOGUE_CODE`); ``None`` for every agency.

    Raises:
        InvalidValue: If *role* is not a role name, or *agency* neither ``None`` nor
            an agency code.
    """

    role: str = attrs.field(validator=_check_role)
    agency: str | None = attrs.field(default=None, kw_only=True, validator=_check_agency)

    @property
    def is_mall_wide(self) -> bool:
        """Whether the role is held for every agency's applications."""
        return self.agency is None


@attrs.frozen(kw_only=True)
class Actor:
    """Who takes an action: an id (never personal data) and the roles they hold now.

    Both are checked when the actor is built, so that no actor with a second spelling
    of an id or a role can exist: the id must be canonical (`formats.ACTOR_ID`: lower
    case ASCII, no space, no line break, no look-alike letter), and each role a role
    name (`formats.ROLE`), the format workflows declare roles in.  Separation of
    duties, assignment and the submitter's rights compare ids exactly, which is sound
    only because of this.

    A role in *roles* is held for every agency's applications; a `Grant` in *grants*
    only for its agency's.  A mall-wide grant (``Grant(role)``) is moved into
    ``roles`` when the actor is built, so that an actor has one spelling: ``roles``
    holds every mall-wide role, ``grants`` only the grants scoped to an agency.

    >>> Actor(id="officer-ana\\n", roles={"approver"})
    Traceback (most recent call last):
      ...
    onestop.exceptions.InvalidValue: actor.id: has a line break at the end
    >>> Actor(id="courier-7", grants={Grant("courier")}).roles
    frozenset({'courier'})

    Attributes:
        id: A stable identifier of the officer, applicant or system.
        roles: The roles this actor holds for every agency (any iterable of names; a
            single string is one role, not a set of letters).
        grants: The roles this actor holds for named agencies only (any iterable of
            `Grant` values; a single `Grant` is one grant).

    Raises:
        InvalidValue: If the id is not an actor id, a role is not a role name, or
            *grants* is not a collection of `Grant` values (text, a mapping or a
            number is refused, naming ``actor.grants``).
    """

    id: str = attrs.field(validator=_check_id)
    roles: frozenset[str] = attrs.field(default=frozenset(), converter=_roles)
    grants: frozenset[Grant] = attrs.field(default=frozenset(), converter=_grants)

    def __attrs_post_init__(self) -> None:
        """Move mall-wide grants into ``roles`` (attrs' documented way for a frozen class)."""
        wide = {grant.role for grant in self.grants if grant.agency is None}
        if wide:
            object.__setattr__(self, "roles", self.roles | wide)
            scoped = frozenset(grant for grant in self.grants if grant.agency is not None)
            object.__setattr__(self, "grants", scoped)

    def roles_in(self, agency: str | None, /) -> frozenset[str]:
        """Return the roles this actor holds for *agency*'s applications.

        They are the mall-wide roles and the roles granted for *agency* exactly;
        for ``None`` (no agency known), the mall-wide roles only.

        Raises:
            InvalidValue: If *agency* is neither ``None`` nor an agency code.
        """
        if agency is None:
            return self.roles
        CATALOGUE_CODE.check(agency, field="agency")
        if not self.grants:
            return self.roles
        return self.roles | {grant.role for grant in self.grants if grant.agency == agency}

    def holds(self, role: str, /, *, agency: str | None = None) -> bool:
        """Return whether this actor holds *role* for *agency*'s applications.

        A mall-wide role counts for every agency; a granted one only for its own
        agency.  Without an *agency*, only mall-wide roles count.

        Raises:
            InvalidValue: If *role* is not a role name, or *agency* neither ``None``
                nor an agency code.
        """
        ROLE.check(role, field="role")
        return role in self.roles_in(agency)


SYSTEM = Actor(id="system")
"""The actor recorded for timer, breach and event transitions."""
