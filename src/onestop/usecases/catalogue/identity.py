"""The identity validators a catalogue declares, and the ``python-stdnum`` lookup they need.

A catalogue's ``identity_schemes`` (`onestop.domain.catalogue.identity.IdentityScheme`)
are pure data; this module turns them into validators the mall checks applicants with.
A scheme that names a ``python-stdnum`` module (``stdnum = "kr.rrn"``) is checked by that
module's ``validate``: the lookup of a module by its name lives here, in the use cases,
because the domain may import no third-party package and both the catalogue loader
(which reports an unknown name as a `Problem`) and the `onestop.usecases.mall.Mall`
(which builds the validators) need it.  ``stdnum`` is imported lazily, on the first
such scheme: ``import onestop`` never loads it.  Only modules inside the ``stdnum``
package are ever imported, and only those with ``validate`` and ``compact``.

**Python validators win.**  `identity_validators` adds a declared scheme only where the
Python registry (``Mall(validators=...)``) has none for that code: a plugin exists for
checks that data cannot express (Indonesia's NIK holds a birth date), and a catalogue
may still declare the same scheme, for its name and for tools that run without the
plugin.

>>> from onestop.domain.catalogue.identity import IdentityScheme
>>> from onestop.domain.common.text import LocalizedText
>>> scheme = IdentityScheme(
...     code="nl-bsn", name=LocalizedText({"nl": "BSN"}), strip=" .", stdnum="nl.bsn"
... )
>>> validators = identity_validators((scheme,))
>>> validators.problems("nl-bsn", "1112.22.333")
[]
>>> validators.problems("nl-bsn", "111222334")
['the check digit is wrong (python-stdnum nl.bsn)']
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Sequence
from types import ModuleType

from onestop.domain.catalogue.identity import DeclaredValidator, IdentityScheme
from onestop.domain.catalogue.model import Catalogue
from onestop.domain.common.formats import preview
from onestop.domain.common.parties import IdentityValidators, default_validators
from onestop.exceptions import ConfigurationError, Problem

__all__ = ["identity_validators", "stdnum_check", "stdnum_problems"]

# What each of python-stdnum's ValidationError subclasses means, in onestop's words.
_REASONS = {
    "InvalidLength": "has the wrong length",
    "InvalidFormat": "has the wrong format",
    "InvalidChecksum": "the check digit is wrong",
    "InvalidComponent": "holds a part that is not valid (a date, a region)",
}


@functools.lru_cache(maxsize=128)
def _module(name: str) -> ModuleType | None:
    try:
        import stdnum  # noqa: F401, PLC0415  # the package first: a missing one is not a missing module
    except ImportError:
        return None
    try:
        module = importlib.import_module(f"stdnum.{name}")
    except ImportError:
        return None
    if not callable(getattr(module, "validate", None)) or not callable(
        getattr(module, "compact", None)
    ):
        return None
    return module


def stdnum_check(name: str, /) -> Callable[[str], str | None] | None:
    """Return the check of ``python-stdnum``'s module *name* (``kr.rrn``), or ``None``.

    The check returns a problem that never quotes the number (from the kind of
    ``stdnum`` error raised), or ``None`` when the number is valid.  ``None`` is
    returned when ``python-stdnum`` is not installed, *name* is not one of its
    validator modules, or *name* is not a module name at all.
    """
    given: object = name
    if not isinstance(given, str) or not name.replace(".", "").replace("_", "").isalnum():
        return None
    if not name.isascii() or name != name.lower() or ".." in name or name.startswith("."):
        return None
    module = _module(name)
    if module is None:
        return None
    validate = module.validate

    def check(number: str) -> str | None:
        try:
            validate(number)
        except Exception as error:  # noqa: BLE001 - stdnum raises ValidationError; anything else is a refusal
            reason = _REASONS.get(type(error).__name__, "is not valid")
            return f"{reason} (python-stdnum {name})"
        return None

    return check


def stdnum_problems(catalogue: Catalogue, /) -> list[Problem]:
    """Return a problem for each declared scheme whose ``stdnum`` module cannot be found.

    The path is the scheme's (``identity_schemes[2].stdnum``); a name that is not even
    a module name is `onestop.domain.catalogue.identity.check_identity_schemes`' to report.
    """
    problems: list[Problem] = []
    given: object = catalogue
    schemes = catalogue.identity_schemes if isinstance(given, Catalogue) else ()
    for i, scheme in enumerate(schemes):
        name = getattr(scheme, "stdnum", None)
        if isinstance(name, str) and _plausible(name) and stdnum_check(name) is None:
            problems.append(
                Problem(
                    path=f"identity_schemes[{i}].stdnum",
                    message=f"python-stdnum has no validator module {preview(name)}"
                    " (is python-stdnum installed?)",
                )
            )
    return problems


def _plausible(name: str) -> bool:
    parts = name.split(".")
    return all(p and p.isascii() and p.replace("_", "").isalnum() for p in parts)


def identity_validators(
    schemes: Sequence[IdentityScheme], /, plugins: IdentityValidators | None = None
) -> IdentityValidators:
    """Return *plugins* (`default_validators` if ``None``) with each declared scheme added.

    A declared scheme whose code *plugins* already has is left out: the Python
    validator wins (see the module's docs).

    Raises:
        ConfigurationError: If a scheme has a problem
            (`onestop.domain.catalogue.identity.check_identity_schemes`), or names a
            ``stdnum`` module that cannot be found.
    """
    given: object = plugins
    if given is not None and not isinstance(given, IdentityValidators):
        raise ConfigurationError("validators must be an IdentityValidators registry")
    items: object = schemes
    if not isinstance(items, tuple | list):
        raise ConfigurationError("the identity schemes must be a sequence of IdentityScheme")
    declared = tuple(schemes)
    try:
        hash(declared)
    except TypeError:
        raise ConfigurationError("the identity schemes must be IdentityScheme values") from None
    return _merged(declared, default_validators() if plugins is None else plugins)


@functools.lru_cache(maxsize=32)
def _merged(schemes: tuple[IdentityScheme, ...], plugins: IdentityValidators) -> IdentityValidators:
    merged = plugins
    for scheme in schemes:
        if not isinstance(scheme, IdentityScheme):
            raise ConfigurationError("the identity schemes must be a sequence of IdentityScheme")
        if scheme.code in plugins.schemes:
            continue
        external = None
        if scheme.stdnum is not None:
            external = stdnum_check(scheme.stdnum)
            if external is None:
                raise ConfigurationError(
                    f"identity scheme {preview(scheme.code)}: python-stdnum has no validator module"
                    f" {preview(scheme.stdnum)}"
                )
        merged = merged.with_validator(DeclaredValidator(scheme, external))
    return merged
