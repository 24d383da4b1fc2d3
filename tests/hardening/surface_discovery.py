"""The public surface of onestop, found by rule from the package's ``__all__`` lists.

Every module of the package is imported and each name in its ``__all__`` is looked at.
A name is an *entry point* unless a rule below excludes it; an entry point is a
module-level function, a class's constructor, a class's named constructor (a public
classmethod or staticmethod), or a public method of a class.  Nobody picks entry points
by hand: a new public callable is found here, and the coverage test then fails until
the harness knows how to drive it.

The exclusion rules, each with its reason (`EXCLUDED` keeps what each one excluded):

* a module whose dotted name has a part starting with ``_`` is private, and
  ``__main__`` modules are scripts (importing one runs the command line);
* ``onestop.testing`` is test tooling: its contracts and strategies fail with
  ``AssertionError`` and Hypothesis errors by design;
* names that are not callable (constants, mappings, type aliases, modules);
* exception classes are raised, not called with input;
* Protocol and abstract classes cannot be instantiated: their methods are driven
  through the concrete classes that implement them;
* an `enum.Enum` class's call is Python's member lookup; its members are drawn as
  arguments of everything that takes the enum;
* click commands are driven by the command-line test (``test_cli_hostile.py``), and so
  is `onestop.cli.main`, the command line's entry point.
"""

from __future__ import annotations

import abc
import enum
import importlib
import inspect
import pkgutil
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import click

import onestop

KIND_FUNCTION = "function"
KIND_CONSTRUCTOR = "constructor"
KIND_NAMED_CONSTRUCTOR = "named constructor"
KIND_METHOD = "method"

COMMAND_LINE_ENTRY = "onestop.cli.main"
"""The command line's entry point, driven by the command-line test."""


@dataclass(frozen=True)
class EntryPoint:
    """One public callable: how it is named, found and called.

    Attributes:
        name: Its dotted name, for messages and test ids (``onestop.usecases.mall.Mall.submit``).
        kind: One of the ``KIND_*`` values.
        owner: The class it belongs to (its own class for a constructor), or ``None``.
        attribute: The method's or named constructor's name on *owner*.
        target: The function or class itself.
    """

    name: str
    kind: str
    owner: type | None
    attribute: str | None
    target: Callable[..., object] = field(repr=False, compare=False)

    @property
    def is_coroutine(self) -> bool:
        """Whether calling it returns a coroutine to run."""
        return inspect.iscoroutinefunction(self.target)

    def signature_target(self) -> Callable[..., object]:
        """The callable whose signature and type hints describe the call."""
        if self.kind == KIND_CONSTRUCTOR:
            assert self.owner is not None
            return self.owner
        return self.target


def public_modules() -> Iterator[types.ModuleType]:
    """Every public module of the package, imported, in a stable order."""
    yield onestop
    names = sorted(m.name for m in pkgutil.walk_packages(onestop.__path__, "onestop."))
    for name in names:
        parts = name.split(".")
        if parts[-1] == "__main__" or any(part.startswith("_") for part in parts[1:]):
            continue
        if name == "onestop.testing" or name.startswith("onestop.testing."):
            continue
        yield importlib.import_module(name)


def _is_alias(value: object) -> bool:
    if isinstance(value, (types.GenericAlias, types.UnionType)):
        return True
    return type(value).__module__ in ("typing", "collections.abc") and hasattr(value, "__origin__")


def exclusion(value: object) -> str | None:
    """The rule that keeps *value* (a name from an ``__all__``) off the surface, if one does."""
    if isinstance(value, types.ModuleType):
        return "a module"
    if _is_alias(value):
        return "a type alias"
    if not callable(value):
        return "not callable"
    if isinstance(value, click.Command):
        return "a click command, driven by the command-line test"
    if inspect.isclass(value):
        if issubclass(value, BaseException):
            return "an exception class"
        if getattr(value, "_is_protocol", False):
            return "a Protocol"
        if issubclass(value, enum.Enum):
            return "an enum (its members are drawn as arguments)"
        if inspect.isabstract(value) or abc.ABC in value.__bases__:
            return "an abstract class"
        return None
    if inspect.isfunction(value) or inspect.isbuiltin(value):
        qualified = f"{value.__module__}.{value.__qualname__}"
        if qualified == COMMAND_LINE_ENTRY:
            return "the command line's entry point, driven by the command-line test"
        return None
    return "a callable instance (a value, not an entry point)"


def _own_members(cls: type) -> Iterator[tuple[str, object, type]]:
    """The public methods and named constructors *cls* defines or inherits from onestop."""
    for klass in cls.__mro__:
        if klass is object or not klass.__module__.startswith("onestop"):
            continue
        for name, member in vars(klass).items():
            if name.startswith("_"):
                continue
            yield name, member, klass


def _members(cls: type) -> Iterator[EntryPoint]:
    seen: set[str] = set()
    for name, member, klass in _own_members(cls):
        if name in seen:
            continue
        seen.add(name)
        qualified = f"{klass.__module__}.{klass.__qualname__}.{name}"
        if isinstance(member, (classmethod, staticmethod)):
            yield EntryPoint(qualified, KIND_NAMED_CONSTRUCTOR, klass, name, getattr(klass, name))
        elif inspect.isfunction(member):
            yield EntryPoint(qualified, KIND_METHOD, klass, name, member)


def discover() -> tuple[tuple[EntryPoint, ...], dict[str, str]]:
    """Find every entry point; return them and, for each excluded name, the rule that did.

    Each object is listed once, under the module that defines it; a method inherited by
    a subclass is listed once, under the class that defines it.
    """
    found: dict[str, EntryPoint] = {}
    excluded: dict[str, str] = {}
    classes: dict[int, type] = {}
    for module in public_modules():
        for name in getattr(module, "__all__", ()):
            value = getattr(module, name)
            rule = exclusion(value)
            if rule is not None:
                excluded[f"{module.__name__}.{name}"] = rule
                continue
            if inspect.isclass(value):
                classes[id(value)] = value
                qualified = f"{value.__module__}.{value.__qualname__}"
                found.setdefault(
                    qualified, EntryPoint(qualified, KIND_CONSTRUCTOR, value, None, value)
                )
            else:
                qualified = f"{value.__module__}.{value.__qualname__}"
                found.setdefault(qualified, EntryPoint(qualified, KIND_FUNCTION, None, None, value))
    for cls in classes.values():
        for entry in _members(cls):
            found.setdefault(entry.name, entry)
    return tuple(sorted(found.values(), key=lambda e: e.name)), excluded


ENTRY_POINTS, EXCLUDED = discover()
"""The surface, found once per test process."""
