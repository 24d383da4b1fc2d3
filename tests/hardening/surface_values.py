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
store, a mall, a clock, a transport, an HTTP client, a callback) is always a working
object: feeding a string where a store belongs is a type error mypy catches, not an
input.  Values are drawn as *specs* whose reprs are short (``Huge(+10**5000)``,
``Deep(list, 5000)``, ``Sample(Catalogue, 0)``, ``Live('mall')``): Hypothesis prints
them as the reproducer, and `materialize` turns them into the real arguments.
"""

from __future__ import annotations

import collections.abc as abc
import enum
import inspect
import ipaddress
import os
import re
import sqlite3
import threading
import types
import typing
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin
from zoneinfo import ZoneInfo

import attrs
from hypothesis import strategies as st

# --- specs: drawn values with short reprs, made real at call time ----------------------


class Spec:
    """A drawn value that `materialize` makes real; its repr is the reproducer."""

    def make(self, context: Context) -> object:
        raise NotImplementedError


@dataclass(frozen=True)
class Live(Spec):
    """A working object: the world's mall, store, desk, or a fresh transport, clock, ..."""

    key: str

    def make(self, context: Context) -> object:
        return context.live(self.key)

    def __repr__(self) -> str:
        return f"Live({self.key!r})"


@dataclass(frozen=True)
class Huge(Spec):
    """An integer of *digits* decimal digits (too long for `str` past 4,300)."""

    negative: bool
    digits: int

    def make(self, context: Context) -> object:
        value = 10**self.digits + 7
        return -value if self.negative else value

    def __repr__(self) -> str:
        return f"Huge({'-' if self.negative else '+'}10**{self.digits}+7)"


@dataclass(frozen=True)
class Deep(Spec):
    """A container nested *depth* levels deep, around *leaf*."""

    kind: str
    depth: int
    leaf: object

    def make(self, context: Context) -> object:
        value = materialize(self.leaf, context)
        for _ in range(self.depth):
            value = {"a": value} if self.kind == "dict" else [value]
        return tuple(value) if self.kind == "tuple" else value  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"Deep({self.kind}, {self.depth}, {self.leaf!r})"


@dataclass(frozen=True)
class Long(Spec):
    """A text of *size* copies of *unit*, or bytes when *as_bytes*."""

    unit: str
    size: int
    as_bytes: bool = False

    def make(self, context: Context) -> object:
        text = self.unit * self.size
        return text.encode("utf-8", "surrogatepass") if self.as_bytes else text

    def __repr__(self) -> str:
        return f"Long({self.unit!r} * {self.size}{', bytes' if self.as_bytes else ''})"


@dataclass(frozen=True)
class Many(Spec):
    """A tuple of *size* copies of *item*."""

    item: object
    size: int

    def make(self, context: Context) -> object:
        return (materialize(self.item, context),) * self.size

    def __repr__(self) -> str:
        return f"Many({self.item!r} * {self.size})"


@dataclass(frozen=True)
class Sample(Spec):
    """The *index*-th real instance of class *cls* from the seeded world."""

    cls: type
    index: int

    def make(self, context: Context) -> object:
        pool = context.pools.instances[self.cls]
        return pool[self.index % len(pool)]

    def __repr__(self) -> str:
        return f"Sample({self.cls.__name__}, {self.index})"


@dataclass(frozen=True)
class Evolved(Spec):
    """A real instance with one field changed, when its constructor accepts the change.

    If the constructor refuses the value (its own test checks how), the instance is
    used unchanged.
    """

    sample: Sample
    field: str
    value: object

    def make(self, context: Context) -> object:
        original = self.sample.make(context)
        try:
            return attrs.evolve(original, **{self.field: materialize(self.value, context)})  # type: ignore[misc]
        except Exception:  # noqa: BLE001 - the constructor's own test reports these
            return original

    def __repr__(self) -> str:
        return f"Evolved({self.sample!r}, {self.field}={self.value!r})"


@dataclass(frozen=True)
class Built(Spec):
    """An instance of *cls* made by its constructor from real arguments.

    A combination the constructor refuses is not a real value: the example is dropped.
    """

    cls: type
    kwargs: dict[str, object]

    def make(self, context: Context) -> object:
        from hypothesis import reject

        try:
            return self.cls(**materialize(self.kwargs, context))  # type: ignore[arg-type]
        except Exception:  # noqa: BLE001 - not a real value after all
            reject()

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items())
        return f"{self.cls.__name__}({inner})"


@dataclass(frozen=True)
class OneShot(Spec):
    """A one-shot iterator over *items*: a second pass finds it empty."""

    items: tuple[object, ...]

    def make(self, context: Context) -> object:
        return iter([materialize(item, context) for item in self.items])

    def __repr__(self) -> str:
        return f"iter({list(self.items)!r})"


@dataclass(frozen=True)
class Returns(Spec):
    """A callable that ignores its arguments and returns *value* (a hook a caller wires in)."""

    value: object

    def make(self, context: Context) -> object:
        made = materialize(self.value, context)

        def hook(*args: object, **kwargs: object) -> object:
            return made

        return hook

    def __repr__(self) -> str:
        return f"Returns({self.value!r})"


@dataclass(frozen=True)
class File(Spec):
    """The path of a scratch file holding *content* (text, or bytes)."""

    name: str
    content: str | bytes

    def make(self, context: Context) -> object:
        path = context.scratch / self.name
        if isinstance(self.content, bytes):
            path.write_bytes(self.content)
        else:
            path.write_text(self.content, encoding="utf-8", errors="surrogatepass")
        return str(path)

    def __repr__(self) -> str:
        shown = self.content if len(self.content) < 60 else self.content[:57] + "..."  # type: ignore[operator]
        return f"File({self.name!r}, {shown!r})"


def materialize(value: object, context: Context) -> object:
    """Make every spec in *value* real, through lists, tuples, sets and dicts."""
    if isinstance(value, Spec):
        return value.make(context)
    if type(value) in (list, tuple, set, frozenset):
        return type(value)(materialize(item, context) for item in value)  # type: ignore[call-arg]
    if type(value) is dict:
        return {materialize(k, context): materialize(v, context) for k, v in value.items()}
    return value


class Context(typing.Protocol):
    """Where specs are made real: the pools, the live objects of one world, a scratch folder."""

    pools: Pools
    scratch: Path

    def live(self, key: str) -> object: ...


# --- pools: the real values of the seeded world ----------------------------------------


@dataclass
class Pools:
    """Real instances by class and real strings by name, harvested from the seeded world."""

    instances: dict[type, list[object]]
    texts: dict[str, list[str]]

    @classmethod
    def harvest(cls, roots: abc.Iterable[object], texts: dict[str, list[str]]) -> Pools:
        """Walk *roots* (attrs objects, containers) and keep what they hold, by class and name."""
        instances: dict[type, list[object]] = {}
        found: dict[str, list[str]] = {k: list(dict.fromkeys(v)) for k, v in texts.items()}
        seen: set[int] = set()
        stack: list[tuple[object, str]] = [(root, "") for root in roots]
        while stack:
            value, name = stack.pop()
            if isinstance(value, str):
                if name and len(found.setdefault(name, [])) < 30 and value not in found[name]:
                    found[name].append(value)
                continue
            if id(value) in seen or isinstance(value, (bytes, int, float, type)):
                continue
            seen.add(id(value))
            kind = type(value)
            rooted = not name and not isinstance(value, (list, tuple, dict, set, frozenset))
            if rooted or attrs.has(kind) or kind.__module__.startswith("onestop"):
                pool = instances.setdefault(kind, [])
                if len(pool) < 12 and value not in pool:
                    pool.append(value)
            if attrs.has(kind):
                for field in attrs.fields(kind):
                    stack.append((getattr(value, field.name), field.name))
            elif isinstance(value, abc.Mapping):
                for key, item in list(value.items())[:50]:
                    stack.append((key, f"{name}.key"))
                    stack.append((item, name))
            elif isinstance(value, (list, tuple, set, frozenset)):
                stack.extend((item, name) for item in list(value)[:50])
        return cls(instances, found)

    def strings(self, *names: str) -> list[str]:
        """The real strings kept under any of *names*."""
        return list(dict.fromkeys(s for name in names for s in self.texts.get(name, ())))

    def all_strings(self) -> list[str]:
        """Every real string kept, once."""
        return list(dict.fromkeys(s for values in self.texts.values() for s in values))


# --- the hostile building blocks --------------------------------------------------------

SURROGATE = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
ODD_CHARACTERS = [chr(c) for c in range(32)] + [
    "\x7f",
    "\x85",
    "\u00a0",
    "\u200b",
    "\u200d",
    "\u2028",
    "\u2029",
    "\u202e",
    "\ufeff",
    "\uffff",
    "\U0010ffff",
]
ODD = st.sampled_from(ODD_CHARACTERS)
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=40)
ASCII_DIGITS = "0123456789"
ASCII_LOWER = "abcdefghijklmnopqrstuvwxyz"
DIGITS = str.maketrans(ASCII_DIGITS, "".join(chr(0x0660 + i) for i in range(10)))
"""ASCII digits to Arabic-Indic ones, which ``\\d`` matches too."""
FULL_WIDTH = str.maketrans(
    ASCII_DIGITS + ASCII_LOWER, "".join(chr(ord(c) + 0xFEE0) for c in ASCII_DIGITS + ASCII_LOWER)
)
"""ASCII digits and letters to their full-width forms."""
LOOK_ALIKES = str.maketrans("aceopx", "\u0430\u0441\u0435\u043e\u0440\u0445")
"""Latin letters to the Cyrillic letters that look the same."""


def _insert(text: str, extra: str, at: int) -> str:
    position = at % (len(text) + 1)
    return text[:position] + extra + text[position:]


def hostile_text(real: st.SearchStrategy[str]) -> st.SearchStrategy[object]:
    """Text a caller should never get stored as meant, next to *real* text it resembles."""
    return st.one_of(
        real.map(lambda s: s + "\n"),
        real.map(lambda s: s + "\r\n"),
        real.map(lambda s: f" {s}"),
        real.map(lambda s: s.upper()),
        real.map(lambda s: s.translate(DIGITS)),
        real.map(lambda s: s.translate(FULL_WIDTH)),
        real.map(lambda s: s.translate(LOOK_ALIKES)),
        real.map(lambda s: s + "\u0301"),
        st.builds(_insert, real, SURROGATE, st.integers(0, 64)),
        st.builds(_insert, real, ODD, st.integers(0, 64)),
        ANY_TEXT,
        st.text(st.one_of(SURROGATE, ODD), min_size=1, max_size=5),
        st.sampled_from(["", " ", "\n", "\x00", "\ud800", "a\udcff", "..", "../../etc", "%s{0}"]),
        st.builds(
            Long, st.sampled_from(["x", "é", "\U0001f600", "9"]), st.sampled_from([1001, 70_000])
        ),
        real.map(lambda s: s.encode("utf-8", "surrogatepass")),
    )


def hostile_int() -> st.SearchStrategy[object]:
    """Integers a store cannot hold or a caller did not mean, and things mistaken for them."""
    return st.one_of(
        st.sampled_from([-1, -(2**63) - 1, 2**31, 2**63 - 1, 2**63, 2**64, True, False]),
        st.builds(Huge, st.booleans(), st.sampled_from([20, 400, 5000])),
        st.integers(),
        st.sampled_from([1.0, 1.5, float("nan"), float("inf"), -0.0, Decimal("1"), "1", "٣"]),
    )


def hostile_float() -> st.SearchStrategy[object]:
    """Floats no sane caller means, and integers too big for a float."""
    return st.one_of(
        st.sampled_from([float("nan"), float("inf"), float("-inf"), -0.0, 1e308, 5e-324, True]),
        st.builds(Huge, st.booleans(), st.sampled_from([400, 5000])),
        st.floats(),
        st.sampled_from([Decimal("NaN"), "1.0", -1]),
    )


ODD_ZONES = [
    timezone(timedelta(hours=23, minutes=59)),
    timezone(-timedelta(hours=23, minutes=59)),
    timezone(timedelta(hours=5, minutes=45)),
    timezone(timedelta(hours=14)),
    timezone(timedelta(seconds=1)),
    timezone(timedelta(hours=-3, minutes=-30, microseconds=-1)),
    ZoneInfo("Pacific/Kiritimati"),
    ZoneInfo("America/St_Johns"),
    ZoneInfo("Asia/Kathmandu"),
    UTC,
]


def hostile_datetime() -> st.SearchStrategy[object]:
    """Naive, extreme, oddly zoned and ambiguous datetimes, and things mistaken for them."""
    return st.one_of(
        st.datetimes(),
        st.sampled_from(
            [
                datetime.min,  # noqa: DTZ901 - naive on purpose
                datetime.max,  # noqa: DTZ901 - naive on purpose
                datetime.min.replace(tzinfo=UTC),
                datetime.max.replace(tzinfo=UTC),
                datetime(1, 1, 1, tzinfo=ODD_ZONES[0]),
                datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=ODD_ZONES[1]),
                datetime(2025, 11, 2, 1, 30, fold=1, tzinfo=ZoneInfo("America/New_York")),
                datetime(2025, 3, 9, 2, 30, tzinfo=ZoneInfo("America/New_York")),
            ]
        ),
        st.datetimes(timezones=st.sampled_from(ODD_ZONES)),
        st.just(date(2025, 7, 14)),
    )


def hostile_date() -> st.SearchStrategy[object]:
    """The first and last dates, datetimes posing as dates, and strings."""
    return st.one_of(
        st.sampled_from([date.min, date.max]),
        st.dates(),
        st.datetimes(),
    )


def hostile_timedelta() -> st.SearchStrategy[object]:
    """Durations at the ends of the range, zero, negative, and numbers of seconds."""
    return st.one_of(
        st.sampled_from([timedelta.max, timedelta.min, timedelta(0), timedelta(microseconds=-1)]),
        st.timedeltas(),
    )


def hostile_decimal() -> st.SearchStrategy[object]:
    """Decimals that are not amounts: NaN, infinities, enormous exponents, floats."""
    return st.one_of(
        st.sampled_from(
            [
                Decimal("NaN"),
                Decimal("sNaN"),
                Decimal("Infinity"),
                Decimal("-Infinity"),
                Decimal("-0"),
                Decimal("1e999999"),
                Decimal("1E-999999"),
                0.1,
                "1.000,00",
                "1e3",
            ]
        ),
        st.decimals(),
    )


def hostile_bytes() -> st.SearchStrategy[object]:
    """Bytes of every size and shape, and text where bytes belong."""
    return st.one_of(
        st.binary(max_size=40),
        st.sampled_from([b"", bytearray(b"abc"), memoryview(b"abc"), "text, not bytes"]),
        st.builds(Long, st.just("\xff"), st.just(70_000), st.just(True)),
    )


def deep(
    leaf: st.SearchStrategy[object], kinds: tuple[str, ...] = ("list", "dict", "tuple")
) -> st.SearchStrategy[object]:
    """Containers of *kinds* nested deeper than any recursion limit, around *leaf*."""
    return st.builds(Deep, st.sampled_from(kinds), st.sampled_from([60, 5000]), leaf)


def anything() -> st.SearchStrategy[object]:
    """Any hostile scalar, container or deep nest."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        hostile_int(),
        hostile_float(),
        hostile_text(st.sampled_from(["officer-ana", "slf", "2025"])),
        hostile_bytes(),
        hostile_datetime(),
        hostile_decimal(),
    )
    nested = st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(st.one_of(st.text(max_size=5), st.integers()), inner, max_size=3)
        ),
        max_leaves=6,
    )
    return st.one_of(scalars, nested, deep(scalars))


def _usable_key(value: object) -> bool:
    """Whether *value* stays hashable once made real (a dict key must)."""
    if isinstance(value, (Deep, OneShot, Many, Evolved, Built, Returns, bytearray, memoryview)):
        return False
    try:
        hash(value)
    except TypeError:
        return False
    return not isinstance(value, tuple) or all(_usable_key(item) for item in value)


def keys(strategy: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    """*strategy*'s values that can be dict keys."""
    return strategy.filter(_usable_key)


# --- the strategist -------------------------------------------------------------------


class Undrivable(Exception):
    """The harness cannot build arguments of a type: the message says what to add."""


NONE_TYPE = type(None)


def _is_union(tp: object) -> bool:
    return get_origin(tp) in (Union, types.UnionType)


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
        """Whether *tp* is wiring: only working objects are passed for it."""
        if _is_union(tp):
            return all(self.is_wiring(arm) or arm is NONE_TYPE for arm in get_args(tp))
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
            return self._hostile_instance(target)  # type: ignore[arg-type]
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


def _field_hints(cls: type) -> dict[str, object]:
    try:
        return typing.get_type_hints(cls)
    except Exception:  # noqa: BLE001 - a class whose hints do not resolve gets no field variants
        return {}


SQLITE_CONNECTION = sqlite3.Connection
EVENT = threading.Event
