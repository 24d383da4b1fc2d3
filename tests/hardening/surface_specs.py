"""Specs: drawn values with short reprs, made real only when a call is made.

Hypothesis prints what a test drew as its reproducer; a 5,000-digit integer, a list
nested 5,000 deep or a whole catalogue would make that unreadable (or unprintable:
``str`` refuses integers past 4,300 digits).  So the harness draws specs
(``Huge(+10**5000+7)``, ``Deep(list, 5000, 'x')``, ``Sample(Catalogue, 0)``,
``Live('mall')``) and `materialize` turns them into the real arguments.  `Pools` keeps
the real values of the seeded world that `Sample` names.
"""

from __future__ import annotations

import collections.abc as abc
import typing
from dataclasses import dataclass
from pathlib import Path

import attrs

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
