"""Arguments for any public callable, from its type hints: real values and hostile ones.

`Strategist.argument` turns a parameter's type hint into a Hypothesis strategy that
draws either a *real* value (a code, id or object taken from the seeded Jakarta world)
or a *hostile* one of that type or of a kind a caller might mix up with it: all of
Unicode with lone surrogates, control characters and trailing line breaks; huge,
negative and boolean integers; NaN and infinite floats; naive and extreme datetimes;
deep and odd containers; wrong enum strings; bytes for text.  A type the harness does
not know raises `Undrivable`, naming what to add; the coverage test turns that into a
failure, so no public callable is ever driven with made-up placeholders.

Hostile values stay within the declared type or its classic confusions (a bool or a
float for an int, bytes for text, a date or a naive datetime for an aware one, a string
or a one-shot iterator for a collection, a value object whose constructor accepted an
odd field); a parameter typed ``object`` or ``Any`` takes anything at all.  Wiring (a
store, a mall, a clock, a transport, an HTTP client, a callback, and a class such as
``check_type``'s ``kind``) is always a working object: feeding a string where a store
belongs is a type error mypy catches, not an input.  Values are drawn as *specs* whose
reprs are short (``Huge(+10**5000)``, ``Deep(list, 5000)``, ``Sample(Catalogue, 0)``,
``Live('mall')``): Hypothesis prints them as the reproducer, and `materialize` turns
them into the real arguments.
"""

from __future__ import annotations

import collections.abc as abc
import enum
import inspect
import ipaddress
import os
import re
import types
import typing
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin
from zoneinfo import ZoneInfo

import attrs
from hypothesis import strategies as st
from surface_hostile import (
    anything,
    deep,
    hostile_bytes,
    hostile_date,
    hostile_datetime,
    hostile_decimal,
    hostile_float,
    hostile_int,
    hostile_text,
    hostile_timedelta,
    keys,
)
from surface_specs import (
    Built,
    Context,
    Deep,
    Evolved,
    File,
    Huge,
    Live,
    Long,
    Many,
    OneShot,
    Pools,
    Returns,
    Sample,
    Spec,
    materialize,
)

__all__ = [
    "NONE_TYPE",
    "Built",
    "Context",
    "Deep",
    "Evolved",
    "File",
    "Huge",
    "Live",
    "Long",
    "Many",
    "OneShot",
    "Pools",
    "Returns",
    "Sample",
    "Spec",
    "Strategist",
    "Undrivable",
    "hostile_text",
    "materialize",
]


# --- the strategist -------------------------------------------------------------------


class Undrivable(Exception):
    """The harness cannot build arguments of a type: the message says what to add."""


NONE_TYPE = type(None)


def _is_union(tp: object) -> bool:
    return get_origin(tp) in (Union, types.UnionType)


def _is_class(tp: object) -> bool:
    """Whether *tp* declares a class (``type``, ``type[X]``) or a tuple of classes."""
    if tp is type or get_origin(tp) is type:
        return True
    args = get_args(tp)
    return (
        get_origin(tp) is tuple
        and bool(args)
        and all(_is_class(a) for a in args if a is not Ellipsis)
    )


@dataclass
class Strategist:
    """Makes argument strategies from type hints, over the pools of one seeded world.

    Attributes:
        pools: The real values.
        wiring: For each wiring type, the keys of the live objects that satisfy it.
        names: For a parameter name, the pool names its real strings come from.
        files: Real and hostile files, for parameters that take paths.
    """

    pools: Pools
    wiring: dict[object, tuple[str, ...]]
    names: dict[str, tuple[str, ...]]
    files: tuple[File, ...]
    _building: set[type] = dataclass_field(default_factory=set)

    # -- entry -------------------------------------------------------------------------

    def argument(self, tp: object, name: str) -> st.SearchStrategy[object]:
        """Real or hostile values for parameter *name* of type *tp*."""
        real = self.real(tp, name)
        if self.is_wiring(tp):
            return real
        return st.one_of(real, self.hostile(tp, name))

    def is_wiring(self, tp: object) -> bool:
        """Whether *tp* is wiring: only working objects are passed for it.

        A class is wiring too (``type[X]``, or a tuple of classes): the code that calls
        ``check_type(value, Agency, ...)`` names the class; a string or a list where a
        class belongs is a type error mypy catches, not an input.
        """
        if _is_union(tp):
            return all(self.is_wiring(arm) or arm is NONE_TYPE for arm in get_args(tp))
        if _is_class(tp):
            return True
        origin = get_origin(tp) or tp
        protocol = inspect.isclass(origin) and getattr(origin, "_is_protocol", False)
        return origin in self.wiring or origin is abc.Callable or protocol

    # -- real values -------------------------------------------------------------------

    def real(self, tp: object, name: str) -> st.SearchStrategy[object]:
        """Values of *tp* a correct caller passes: taken from the seeded world where possible."""
        origin, args = get_origin(tp), get_args(tp)
        if tp is Any or tp is object or isinstance(tp, typing.TypeVar):
            return self.universal_real()
        if tp is NONE_TYPE or tp is None:
            return st.none()
        if _is_union(tp):
            return self._real_union(args, name)
        if tp is type or origin is type:
            return self.classes(args[0] if args else object, name)
        if origin is Literal:
            return st.sampled_from(args)
        if tp in self.wiring or origin in self.wiring:
            return st.sampled_from(
                [Live(key) for key in self.wiring.get(tp) or self.wiring[origin]]
            )
        if origin is abc.Callable:
            returns = args[-1] if args else Any
            result = st.none() if returns in (None, NONE_TYPE) else self.real(returns, name)
            return result.map(Returns)
        if tp is str or tp is typing.LiteralString:
            return self.real_text(name)
        if tp is bool:
            return st.booleans()
        if tp is int:
            return st.integers(0, 5) | st.sampled_from([10, 60, 100])
        if tp is float:
            return st.sampled_from([0.0, 0.2, 1.0, 5.0, 30.0])
        if tp is bytes:
            return st.sampled_from([b"surface-harness-otp-key-32-bytes", b"{}", b"content"])
        if tp is Decimal:
            return st.sampled_from([Decimal("0"), Decimal("10000"), Decimal("1.5")])
        if tp is datetime:
            return st.integers(-3 * 24, 30 * 24).map(
                lambda hours: (
                    datetime(2025, 7, 14, 9, tzinfo=ZoneInfo("Asia/Jakarta"))
                    + timedelta(hours=hours)
                )
            )
        if tp is date:
            return st.dates(date(2025, 1, 1), date(2026, 12, 31))
        if tp is time:
            return st.sampled_from([time(8), time(9, 30), time(16)])
        if tp is timedelta:
            return st.sampled_from([timedelta(minutes=5), timedelta(hours=2), timedelta(days=1)])
        if tp in (os.PathLike, Path) or origin is os.PathLike:
            return st.sampled_from(self.files)
        if tp in (ipaddress.IPv4Address, ipaddress.IPv6Address):
            return st.sampled_from(
                [ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("::1")]
            )
        if tp is re.Pattern or origin is re.Pattern:
            return st.just(re.compile("[a-z]+"))
        if inspect.isclass(tp) and issubclass(tp, enum.Enum):
            return st.sampled_from(list(tp))
        if origin in (
            tuple,
            list,
            set,
            frozenset,
            abc.Sequence,
            abc.Iterable,
            abc.Collection,
            abc.Set,
            abc.Container,
        ):
            return self._real_collection(tp, origin, args, name)
        if origin in (dict, abc.Mapping) or tp in (dict, abc.Mapping):
            key, item = args or (str, Any)
            return st.dictionaries(keys(self.real(key, name)), self.real(item, name), max_size=3)
        target = origin or tp
        if inspect.isclass(target):
            pooled = self.pooled(target)
            if pooled:
                return st.sampled_from(pooled)
            if attrs.has(target) and target not in self._building:
                return self._built(target)
        raise Undrivable(
            f"no strategy for {tp!r} (parameter {name!r}): add real instances of it to the "
            "seeded world (surface_world.build_world) or a rule to Strategist.real"
        )

    def classes(self, bound: object, name: str) -> st.SearchStrategy[object]:
        """Real classes for a ``type[...]`` parameter: those of the seeded world's objects.

        A TypeVar's bound (``type[_Member]`` with ``_Member`` bound to `enum.Enum`) picks
        the classes that fit it: the world's enums for that one.
        """
        if isinstance(bound, typing.TypeVar):
            bound = bound.__bound__ or object
        found = [
            kind
            for kind in sorted(self.pools.instances, key=lambda k: k.__qualname__)
            if inspect.isclass(bound) and issubclass(kind, bound)
        ]
        if bound is object:
            found = [str, int, bytes, datetime, date, *found]
        if not found:
            raise Undrivable(
                f"no class of the seeded world is a {bound!r} (parameter {name!r}): add real "
                "instances of one to the seeded world (surface_world.build_world)"
            )
        return st.sampled_from(found)

    def pooled(self, cls: type) -> list[Sample]:
        """Real instances of *cls* or its subclasses (or, for a Protocol, its implementations)."""
        found = []
        for kind, pool in sorted(self.pools.instances.items(), key=lambda kv: kv[0].__qualname__):
            try:
                fits = issubclass(kind, cls)
            except TypeError:
                fits = False
            if getattr(cls, "_is_protocol", False) and not fits:
                members = typing._get_protocol_attrs(cls)  # type: ignore[attr-defined]
                fits = all(hasattr(kind, member) for member in members)
            if fits:
                found.extend(Sample(kind, i) for i in range(len(pool)))
        return found

    def _built(self, cls: type) -> st.SearchStrategy[object]:
        """Instances of *cls* made by its constructor from real arguments."""
        self._building.add(cls)
        try:
            hints = _field_hints(cls)
            fields = [f for f in attrs.fields(cls) if f.init]
            required = {
                (f.alias or f.name): self.real(hints.get(f.name, Any), f.name)
                for f in fields
                if f.default is attrs.NOTHING
            }
        finally:
            self._building.discard(cls)
        return st.fixed_dictionaries(required).map(lambda kwargs: Built(cls, kwargs))

    def _real_union(self, arms: tuple[object, ...], name: str) -> st.SearchStrategy[object]:
        found, problems = [], []
        for arm in arms:
            try:
                found.append(self.real(arm, name))
            except Undrivable as exc:
                problems.append(str(exc))
        if not found:
            raise Undrivable(problems[0])
        return st.one_of(*found)

    def _real_collection(
        self, tp: object, origin: object, args: tuple[object, ...], name: str
    ) -> st.SearchStrategy[object]:
        if origin is tuple and args and args[-1] is not Ellipsis:
            return st.tuples(*[self.real(arm, name) for arm in args])
        item = args[0] if args else Any
        try:
            items = st.lists(self.real(item, name), max_size=3)
        except Undrivable:
            items = st.just([])
        if origin in (set, frozenset, abc.Set):
            return items.map(frozenset)
        return items.map(tuple)

    def real_text(self, name: str) -> st.SearchStrategy[object]:
        """Real strings for a parameter called *name*."""
        keys = self.names.get(name, (name,))
        found = self.pools.strings(*keys)
        if found:
            return st.sampled_from(found)
        return st.sampled_from(self.pools.all_strings())

    def universal_real(self) -> st.SearchStrategy[object]:
        """Any real value: a string or an instance from the seeded world."""
        samples = [
            Sample(cls, i)
            for cls, pool in sorted(self.pools.instances.items(), key=lambda kv: kv[0].__qualname__)
            for i in range(min(len(pool), 2))
        ]
        return st.one_of(st.sampled_from(self.pools.all_strings()), st.sampled_from(samples))

    # -- hostile values ----------------------------------------------------------------

    def hostile(self, tp: object, name: str) -> st.SearchStrategy[object]:
        """Values of (or mistaken for) *tp* that must be refused with a typed error or kept."""
        origin, args = get_origin(tp), get_args(tp)
        if tp is Any or tp is object or isinstance(tp, typing.TypeVar):
            return anything()
        if _is_union(tp):
            arms = [arm for arm in args if arm is not NONE_TYPE and not self.is_wiring(arm)]
            return st.one_of(*[self.hostile(arm, name) for arm in arms]) if arms else anything()
        if origin is Literal:
            real = st.sampled_from([str(a) for a in args])
            return hostile_text(real)
        if tp is str or tp is typing.LiteralString:
            return hostile_text(self.real_text(name))
        if tp is bool:
            return st.sampled_from([0, 1, 2, "true", "false", None, float("nan")])
        if tp is int:
            return hostile_int()
        if tp is float:
            return hostile_float()
        if tp is bytes:
            return hostile_bytes()
        if tp is Decimal:
            return hostile_decimal()
        if tp is datetime:
            return hostile_datetime()
        if tp is date:
            return hostile_date()
        if tp is time:
            return st.sampled_from(
                [time.max, time.min, time(9, tzinfo=UTC), time(23, 59, 59, 999999)]
            )
        if tp is timedelta:
            return hostile_timedelta()
        if tp in (os.PathLike, Path) or origin is os.PathLike:
            return st.sampled_from(self.files) | hostile_text(st.just("catalogue.toml"))
        if tp in (ipaddress.IPv4Address, ipaddress.IPv6Address):
            return hostile_text(st.sampled_from(["10.0.0.1", "::1", "169.254.169.254"]))
        if tp is re.Pattern or origin is re.Pattern:
            return st.sampled_from(["(", "[z-a]", "a{99999999}", "(?P<x>"])
        if inspect.isclass(tp) and issubclass(tp, enum.Enum):
            values = st.sampled_from([str(member.value) for member in tp])
            return hostile_text(values) | st.sampled_from(list(tp)).map(lambda m: m.value)
        if origin in (
            tuple,
            list,
            set,
            frozenset,
            abc.Sequence,
            abc.Iterable,
            abc.Collection,
            abc.Set,
            abc.Container,
        ):
            return self._hostile_collection(origin, args, name)
        if origin in (dict, abc.Mapping) or tp in (dict, abc.Mapping):
            key, item = args or (str, Any)
            return st.one_of(
                st.dictionaries(
                    keys(self.argument(key, name)), self.argument(item, name), max_size=4
                ),
                st.dictionaries(keys(anything()), self.real(item, name), max_size=2),
                deep(st.just("x"), ("dict",)),
            )
        target = origin or tp
        if inspect.isclass(target) and attrs.has(target) and self.pools.instances.get(target):  # type: ignore[arg-type]
            found = self._hostile_instance(target)  # type: ignore[arg-type]
            private = target.__name__.startswith("_")
            return found if name == "self" or private else found | WRONG_KINDS
        return self.real(tp, name)

    def _hostile_collection(
        self, origin: object, args: tuple[object, ...], name: str
    ) -> st.SearchStrategy[object]:
        if origin is tuple and args and args[-1] is not Ellipsis:
            exact = st.tuples(*[self.argument(arm, name) for arm in args])
        else:
            item = args[0] if args else Any
            exact = st.lists(self.argument(item, name), min_size=1, max_size=4).map(tuple)
        item = args[0] if args else Any
        return st.one_of(
            exact,
            exact.map(list),
            st.lists(self.real(item, name), max_size=3).map(lambda items: OneShot(tuple(items))),
            st.lists(self.real(item, name), min_size=2, max_size=2).map(lambda xs: (xs[0], xs[0])),
            deep(self.real(item, name), ("list", "tuple")),
            self.real_text(name),
            st.builds(Many, st.just("a"), st.just(100_000)),
        )

    def _hostile_instance(self, cls: type) -> st.SearchStrategy[object]:
        size = len(self.pools.instances[cls])
        samples = st.integers(0, size - 1).map(lambda i: Sample(cls, i))
        if cls.__name__.startswith("_"):  # a private class (a parser's nodes): built by
            return samples  # its module alone, never by a caller; only real ones then
        hints = _field_hints(cls)
        fields = [f for f in attrs.fields(cls) if f.init and f.name in hints]
        strategies: list[st.SearchStrategy[object]] = [samples]
        if fields:
            field = st.sampled_from(fields)
            strategies.append(
                st.tuples(samples, field).flatmap(
                    lambda pair: self._hostile_field(hints[pair[1].name], pair[1].name).map(
                        lambda value: Evolved(pair[0], pair[1].alias or pair[1].name, value)
                    )
                )
            )
        return st.one_of(*strategies)

    def _hostile_field(self, tp: object, name: str) -> st.SearchStrategy[object]:
        if self.is_wiring(tp):
            return self.real(tp, name)
        try:
            return self.hostile(tp, name)
        except Undrivable:
            return anything()


WRONG_KINDS = st.sampled_from([None, "", "x", 0, True, b"{}", {}, ()])
"""Values of another kind where an instance of a public class is due (never as ``self``):
the mistake a caller makes, which must be refused by name, not met by an AttributeError."""


def _field_hints(cls: type) -> dict[str, object]:
    try:
        return typing.get_type_hints(cls)
    except Exception:  # noqa: BLE001 - a class whose hints do not resolve gets no field variants
        return {}
