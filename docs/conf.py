"""Sphinx configuration for the onestop documentation.

Set ``DOCS_OFFLINE=1`` to build without network access (``.ci/run`` does): intersphinx is
then switched off, and references into the standard library and our dependencies, which
it would resolve, are ignored by nitpicky mode instead of failing the build.
"""

from __future__ import annotations

import inspect
import os
import sys
import warnings
from importlib.metadata import version as _distribution_version

from sphinx.application import Sphinx
from sphinx.deprecation import RemovedInSphinx10Warning
from sphinx.ext.autodoc.preserve_defaults import DefaultValue

# sphinx-autodoc-typehints 3.6 (the last release for Python 3.11) uses an API Sphinx 10
# removes; the warning is theirs to fix, and it is not a problem in our docs.
warnings.filterwarnings(
    "ignore", category=RemovedInSphinx10Warning, module=r"sphinx_autodoc_typehints(\.|$)"
)

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "_ext"))

# -- Project ---------------------------------------------------------------------------

project = "onestop"
author = "The onestop developers"
copyright = "the onestop developers"
release = _distribution_version("onestop-mall")
version = ".".join(release.split(".")[:2])

# -- General ---------------------------------------------------------------------------

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",  # renders MyST {doctest} blocks; Sybil runs them as tests
    # sphinx_click must be imported before sphinx_autodoc_typehints: the latter imports the
    # module sphinx.ext.autodoc.mock, which then shadows the function sphinx_click imports
    # under the same name (Sphinx 9.0: "TypeError: 'module' object is not callable").
    "sphinx_click",
    "sphinx.ext.napoleon",
    "sphinx_autodoc_typehints",  # after napoleon, so it sees the converted docstrings
    "sphinxcontrib.mermaid",  # workflow diagrams; the browser draws them, the build fetches nothing
    "http_reference",  # docs/_ext: the online mall's endpoints, from its OpenAPI document
]

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_ext", "Thumbs.db", ".DS_Store"]
nitpicky = True

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# -- API docs: autodoc, napoleon, sphinx-autodoc-typehints ------------------------------

autodoc_member_order = "bysource"
autodoc_default_options = {"show-inheritance": True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_ivar = True  # "Attributes:" as fields, so they don't clash with autodoc's
typehints_defaults = "comma"
# Show defaults as written in the source (``guards=DEFAULT_GUARDS``), not as their repr: a
# repr can be long, and one that holds functions (``<function documents_verified>``) breaks
# the signature into broken cross-references.  `_attrs_defaults_as_values` below makes an
# exception for the ``__init__`` attrs generates.
autodoc_preserve_defaults = True
# Names that sphinx-autodoc-typehints cannot resolve from where it looks: attrs evaluates an
# ``__init__``'s annotations in a copy of the module's namespace taken before the class
# itself, or any ``if TYPE_CHECKING:`` import, is in it.  Say where they live.
autodoc_type_aliases = {
    "Catalogue": "onestop.domain.catalogue.model.Catalogue",
    "Explanation": "onestop.domain.catalogue.rules.Explanation",
    "Transition": "onestop.domain.workflow.model.Transition",
    "Trigger": "onestop.domain.workflow.model.Trigger",
}

# -- Cross-references to other projects --------------------------------------------------

_INTERSPHINX = {
    "python": ("https://docs.python.org/3", None),
    "attrs": ("https://www.attrs.org/en/stable/", None),
    "cattrs": ("https://catt.rs/en/stable/", None),
    "click": ("https://click.palletsprojects.com/en/stable/", None),
    "hypothesis": ("https://hypothesis.readthedocs.io/en/latest/", None),
}

# Litestar publishes no intersphinx inventory: the application `onestop.web.create_app`
# returns is named, not linked.
# Nor does httpx: the clients and transports `onestop.testing.oidc.LocalProvider` makes.
_NO_INVENTORY = [
    ("py:class", "litestar.app.Litestar"),
    ("py:class", "httpx.Client"),
    ("py:class", "httpx.MockTransport"),
    ("py:class", "httpx.Request"),
    ("py:class", "httpx.Response"),
]

if os.environ.get("DOCS_OFFLINE"):
    intersphinx_mapping: dict[str, tuple[str, str | None]] = {}
    nitpick_ignore = [
        # sphinx-autodoc-typehints links the ``...`` of ``tuple[X, ...]`` to the built-in
        # constant, which only the Python inventory has.
        ("py:data", "Ellipsis"),
        # What onestop.testing.strategies returns; Hypothesis's inventory has it.
        ("py:class", "hypothesis.strategies.SearchStrategy"),
        ("py:class", "hypothesis.stateful.RuleBasedStateMachine"),
        # The standard library classes some signatures take (a seeded random source,
        # the SQLite connection an idempotent consumer writes with); Python's has them.
        ("py:class", "random.Random"),
        ("py:class", "sqlite3.Connection"),
        ("py:exc", "sqlite3.Error"),
        # The addresses `onestop.transport.addresses.is_public_address` takes.
        ("py:class", "ipaddress.IPv4Address"),
        ("py:class", "ipaddress.IPv6Address"),
        *_NO_INVENTORY,
    ]
    nitpick_ignore_regex = [
        # Without intersphinx, nothing outside onestop can be resolved: ignore the
        # standard library and our dependencies, but nothing of onestop's own.
        (
            r"py:.*",
            (
                r"(builtins|abc|collections|collections\.abc|contextlib|datetime|decimal|enum|os|pathlib"
                r"|re|types|typing|uuid|zoneinfo|attr|attrs|cattrs|click|structlog)(\..*)?"
            ),
        ),
        (
            r"py:.*",
            (
                r"(object|None|bool|int|float|str|bytes|tuple|list|dict|set|frozenset|type"
                r"|BaseException|Exception|OSError|ValueError|LookupError|KeyError|TypeError"
                r"|Decimal|datetime|date|timedelta|ZoneInfo|Path|Any)"
            ),
        ),
    ]
else:
    extensions.append("sphinx.ext.intersphinx")
    intersphinx_mapping = _INTERSPHINX
    nitpick_ignore = _NO_INVENTORY

# -- HTML ------------------------------------------------------------------------------

html_theme = "furo"
html_title = f"onestop {release}"


# -- Hooks -----------------------------------------------------------------------------


_PLAIN_DEFAULTS = (type(None), bool, int, float, complex, str, bytes, tuple, frozenset)


def _attrs_defaults_as_values(app: Sphinx, obj: object, bound_method: bool) -> None:
    """Show the defaults of an ``__init__`` attrs generates as values after all.

    autodoc_preserve_defaults takes them from that method's generated source, where they
    read ``attr_dict['children'].default``; their repr (``()``, ``None``) is what a reader
    wants.  This undoes it, running after it (autodoc-before-process-signature).  A
    default that is not a plain value but a module constant (``Mall.guards``, whose
    default ``DEFAULT_GUARDS`` holds functions) is shown by that constant's name instead.
    """
    function = getattr(obj, "__func__", obj)
    code = getattr(function, "__code__", None)
    if code is None or not code.co_filename.startswith("<attrs generated"):
        return
    function.__dict__.pop("__signature__", None)
    module = sys.modules.get(getattr(function, "__module__", None) or "")
    if module is None:
        return
    names = {
        id(value): name
        for name, value in vars(module).items()
        if not name.startswith("_") and not isinstance(value, _PLAIN_DEFAULTS)
    }
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return
    parameters = [
        parameter.replace(default=DefaultValue(names[id(parameter.default)]))
        if not isinstance(parameter.default, _PLAIN_DEFAULTS) and id(parameter.default) in names
        else parameter
        for parameter in signature.parameters.values()
    ]
    if parameters != list(signature.parameters.values()):
        function.__signature__ = signature.replace(parameters=parameters)


def _skip_hypothesis_tests(
    app: Sphinx, what: str, name: str, obj: object, skip: bool, options: object
) -> bool | None:
    """Leave out the contract suites' Hypothesis tests (``@given``), and only those.

    Hypothesis replaces such a method with a wrapper of its own, whose signature and
    annotations sphinx-autodoc-typehints cannot read (it warns that it cannot handle a
    local function, and cannot resolve the method's annotations from Hypothesis's
    module).  What each one checks is in its contract class's docstring; the other
    test methods, plain functions, are documented as before.
    """
    return True if getattr(obj, "is_hypothesis_test", False) else None


_FRONT_DOORS = (
    "onestop",
    "onestop.storage",
    "onestop.ports",
    "onestop.transport",
    "onestop.testing",
)
"""The packages whose names the reference documents where users import them."""


def _front_door_objects() -> dict[str, list[object]]:
    """Each name a front door offers, and the objects it names there."""
    import importlib  # noqa: PLC0415 - only when Sphinx starts

    found: dict[str, list[object]] = {}
    for package in _FRONT_DOORS:
        module = importlib.import_module(package)
        for name in module.__all__:
            value = getattr(module, name)
            if not isinstance(value, type(module)):
                found.setdefault(name, []).append(value)
    return found


_FRONT_DOOR_OBJECTS: dict[str, list[object]] = {}
"""Filled by `setup`: what `_front_door_objects` found."""


def _skip_front_door_names(
    app: Sphinx, what: str, name: str, obj: object, skip: bool, options: object
) -> bool | None:
    """Leave a front door's names out of the modules they come from.

    `onestop.Mall`, `onestop.transport.Relay` and the like are documented once, at the
    front door, on the page of their task (an ``autoclass`` there adds the module's
    path as the canonical name, so references to it resolve); the ``automodule`` of
    the module that defines one, or of one that imports it, skips it.
    """
    if what != "module":
        return None
    offered = _FRONT_DOOR_OBJECTS.get(name, ())
    return True if any(obj is value for value in offered) else None


def setup(app: Sphinx) -> None:
    """Connect the hooks above."""
    _FRONT_DOOR_OBJECTS.update(_front_door_objects())
    app.connect("autodoc-before-process-signature", _attrs_defaults_as_values, priority=900)
    app.connect("autodoc-skip-member", _skip_hypothesis_tests)
    app.connect("autodoc-skip-member", _skip_front_door_names)
