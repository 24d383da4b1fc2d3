"""Every public callable that takes an enum takes its value string too, or refuses by name.

The entry points are those of the hardening harness (`surface_discovery`); each
parameter declared as an `enum.Enum` (or an optional one) is driven three ways from
the same real call: with the member, with the member's value (``"courier"`` for
`ChannelKind.COURIER`), and with a string no member has.  The value must do what the
member does; the stranger must be refused with an `InvalidValue` (or a more specific
`OnestopError`, such as a store's `InvalidStoreInput`) that names the parameter's values.
A value object's constructor (or a store's helper) may instead refuse the value string
too, naming the values allowed.  Only entry points that touch no store are driven here.
"""

from __future__ import annotations

import enum
import typing

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from surface_discovery import ENTRY_POINTS, KIND_CONSTRUCTOR, EntryPoint
from surface_drivers import Call, parameters, perform, touches_world
from surface_harness import Context, Session

from onestop.exceptions import OnestopError

_STRANGER = "no-such-member-\u17e0"
_PLAIN = (tuple, str, int, bool, type(None), frozenset)


def _enum_of(annotation: object) -> type[enum.Enum] | None:
    """The enum *annotation* declares (alone or with ``None``), or ``None``."""
    arms = typing.get_args(annotation) or (annotation,)
    kinds = [a for a in arms if isinstance(a, type) and issubclass(a, enum.Enum)]
    rest = [a for a in arms if a is not type(None) and a not in kinds]
    return kinds[0] if len(kinds) == 1 and not rest else None


# A query handed to a store as it was given: every store refuses a text ``order`` or
# ``sla`` by name (`onestop.testing.input_contracts`), so the query itself keeps it.
_LEFT_TO_THE_STORE = {"onestop.ports.events.SummaryQuery"}


def _cases() -> list[object]:
    cases = []
    for entry in ENTRY_POINTS:
        if touches_world(entry) or entry.name in _LEFT_TO_THE_STORE:
            continue
        for parameter in parameters(entry):
            kind = _enum_of(parameter.annotation)
            if kind is not None and any(isinstance(m.value, str) for m in kind):
                cases.append(
                    pytest.param(entry, parameter.name, id=f"{entry.name}:{parameter.name}")
                )
    return cases


CASES = _cases()


def _with(call: Call, name: str, value: object) -> Call:
    """*call* with the argument *name* replaced by *value*."""
    names = [p.name for p in parameters(call.entry)]
    args = list(call.args)
    kwargs = dict(call.kwargs)
    index = names.index(name)
    if index < len(args):
        args[index] = value
    else:
        kwargs[name] = value
    return Call(entry=call.entry, owner=call.owner, args=tuple(args), kwargs=kwargs)


def _given(call: Call, name: str) -> object:
    names = [p.name for p in parameters(call.entry)]
    index = names.index(name)
    return call.args[index] if index < len(call.args) else call.kwargs.get(name)


def test_the_sweep_finds_the_enum_parameters() -> None:
    """The sweep finds enum parameters, `Service.fees_due`'s channel among them."""
    found = {case.id for case in CASES}  # type: ignore[attr-defined]
    assert "onestop.domain.catalogue.model.Service.fees_due:channel" in found


@pytest.mark.parametrize(("entry", "name"), CASES)
def test_an_enum_parameter_takes_its_value_or_refuses_by_name(
    entry: EntryPoint, name: str, surface: Session
) -> None:
    """The member's value does what the member does; another string is an InvalidValue."""
    planner = surface.planner
    params = parameters(entry)
    real = {p.name: planner.argument(entry, p, only="real") for p in params}

    @st.composite
    def calls(draw: st.DrawFn) -> Call:
        owner = draw(planner.owner(entry))
        args: list[object] = []
        kwargs: dict[str, object] = {}
        for p in params:
            if p.kind in (p.kind.VAR_POSITIONAL,):
                continue
            if p.kind is p.kind.KEYWORD_ONLY:
                kwargs[p.name] = draw(real[p.name])
            else:
                args.append(draw(real[p.name]))
        return Call(entry=entry, owner=owner, args=tuple(args), kwargs=kwargs)

    @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
    @given(call=calls())
    def check(call: Call) -> None:
        member = _given(call, name)
        if not isinstance(member, enum.Enum) or not isinstance(member.value, str):
            return
        context = Context(surface.pools, surface.scratch)
        first = perform(call, context)
        second = perform(_with(call, name, member.value), Context(surface.pools, surface.scratch))
        allowed = repr(next(iter(type(member))).value)
        if first.kind == "refused":
            assert second.kind == "refused", (call, first, second)
            assert entry.kind == KIND_CONSTRUCTOR or type(second.error) is type(first.error)
            return
        if second.kind == "refused":
            # A value object's field holds the member, and a store's helper takes only
            # the member: they may refuse the value string, naming the values allowed.
            assert isinstance(second.error, OnestopError), (call, second)
            assert allowed in str(second.error), second.error
            return
        assert second.kind == first.kind, (call, first, second)
        if first.kind == "ok":
            assert type(second.result) is type(first.result), (call, first, second)
            if isinstance(first.result, _PLAIN) or attrs.has(type(first.result)):
                assert second.result == first.result, (call, first, second)
        stranger = perform(_with(call, name, _STRANGER), Context(surface.pools, surface.scratch))
        assert stranger.kind == "refused", (call, stranger)
        assert isinstance(stranger.error, OnestopError), (call, stranger.error)
        assert allowed in str(stranger.error), stranger.error

    check()
