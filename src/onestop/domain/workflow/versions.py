"""Published workflow versions, and migrating applications between them when asked.

A published ``(code, version)`` never changes: `WorkflowSet` refuses to replace one with
a different definition.  Each application stays pinned to the version it started under
and keeps moving through it, while new applications start on `WorkflowSet.latest`.

Nothing moves implicitly.  To move running applications to a new version, write a
`MigrationPlan` that maps each state of the old version to one of the new, `check` it,
`dry_run` it over the applications concerned, and `apply` it to each.

>>> from onestop.domain.workflow.model import State, StateKind, Transition, Workflow
>>> def licence(version: int, middle: str) -> Workflow:
...     return Workflow(
...         code="licence", version=version, roles=("clerk",),
...         states=(
...             State(name="submitted", kind=StateKind.INITIAL),
...             State(name=middle, kind=StateKind.ACTIVE),
...             State(name="issued", kind=StateKind.SUCCESS),
...         ),
...         transitions=(
...             Transition(action="check", sources=("submitted",), target=middle, roles=("clerk",)),
...             Transition(action="issue", sources=(middle,), target="issued", roles=("clerk",)),
...         ),
...     )
>>> published = WorkflowSet().with_workflow(licence(1, "checking")).with_workflow(
...     licence(2, "in_review")
... )
>>> published.latest("licence").version
2
>>> plan = MigrationPlan(
...     source=published.get("licence", 1),
...     target=published.get("licence", 2),
...     state_map=(("checking", "in_review"),),
... )
>>> plan.check()
[]
>>> plan.apply("checking"), plan.apply("submitted")
('in_review', 'submitted')
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping

import attrs

from onestop.domain.common._typed import as_tuple, items_of
from onestop.domain.common.formats import preview
from onestop.domain.common.kinds import check_type
from onestop.domain.workflow.model import State, Workflow, validate_workflow
from onestop.exceptions import (
    MigrationError,
    Problem,
    WorkflowNotFound,
    WorkflowVersionConflict,
    WorkflowVersionNotFound,
)

__all__ = ["MigrationEntry", "MigrationPlan", "MigrationReport", "WorkflowSet"]


def _is_version(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _index_versions(workflows: tuple[Workflow, ...]) -> Mapping[str, Mapping[int, Workflow]]:
    index: dict[str, dict[int, Workflow]] = {}
    for workflow in workflows:
        versions = index.setdefault(workflow.code, {})
        published = versions.get(workflow.version)
        if published is not None and published != workflow:
            raise WorkflowVersionConflict(workflow.code, workflow.version)
        versions[workflow.version] = workflow
    return {code: dict(sorted(versions.items())) for code, versions in index.items()}


def _workflows(value: Iterable[Workflow]) -> tuple[Workflow, ...]:
    return as_tuple(value)  # type: ignore[no-any-return]  # or left for items_of to refuse


@attrs.frozen(kw_only=True)
class WorkflowSet:
    """The published workflow versions, keyed by ``(code, version)``; immutable.

    Building a set from workflows that give one ``(code, version)`` two different
    definitions raises `WorkflowVersionConflict`; the same definition twice is kept once.
    Anything in *workflows* that is not a `Workflow` is `InvalidValue`.

    Attributes:
        workflows: The published versions, in the order they were added.
    """

    workflows: tuple[Workflow, ...] = attrs.field(
        default=(), converter=_workflows, validator=items_of(Workflow)
    )
    _index: Mapping[str, Mapping[int, Workflow]] = attrs.field(
        init=False, repr=False, eq=False, hash=False
    )

    def __attrs_post_init__(self) -> None:
        """Index the versions by code, refusing conflicting definitions."""
        object.__setattr__(self, "_index", _index_versions(self.workflows))

    def with_workflow(
        self, workflow: Workflow, /, *, known_guards: Collection[str] | None = None
    ) -> WorkflowSet:
        """Return a set that also publishes *workflow*, after validating it.

        Publishing a definition equal to the one already published is a no-op.

        Raises:
            InvalidWorkflow: If the definition has problems.
            WorkflowVersionConflict: If ``(code, version)`` is published differently.
            InvalidValue: If *workflow* is not a `Workflow`, or *known_guards* not
                guard names.
        """
        check_type(workflow, Workflow, field="workflow")
        validate_workflow(workflow, known_guards=known_guards)
        published = self._index.get(workflow.code, {}).get(workflow.version)
        if published is not None:
            if published != workflow:
                raise WorkflowVersionConflict(workflow.code, workflow.version)
            return self
        return WorkflowSet(workflows=(*self.workflows, workflow))

    def get(self, code: str, version: int, /) -> Workflow:
        """Return version *version* of workflow *code*.

        Raises:
            WorkflowNotFound: If no version of *code* is published.
            WorkflowVersionNotFound: If *code* exists but not in that version.
        """
        versions = self._versions(code)
        if versions is None:
            raise WorkflowNotFound(str(code))
        found = versions.get(version) if _is_version(version) else None
        if found is None:
            raise WorkflowVersionNotFound(code, version, known=tuple(versions))
        return found

    def _versions(self, code: object) -> Mapping[int, Workflow] | None:
        return self._index.get(code) if isinstance(code, str) else None

    def latest(self, code: str, /) -> Workflow:
        """Return the highest published version of workflow *code*.

        Raises:
            WorkflowNotFound: If no version of *code* is published.
        """
        versions = self._versions(code)
        if not versions:
            raise WorkflowNotFound(str(code))
        return versions[max(versions)]

    def versions(self, code: str, /) -> tuple[int, ...]:
        """Return the published versions of *code*, ascending (empty if none)."""
        return tuple(self._versions(code) or ())

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes of the published workflows, sorted."""
        return tuple(sorted(self._index))

    def __contains__(self, key: object) -> bool:
        """Return whether ``(code, version)`` is published."""
        if not isinstance(key, tuple) or len(key) != 2:
            return False
        code, version = key
        return _is_version(version) and version in (self._versions(code) or {})

    def __iter__(self) -> Iterator[Workflow]:
        """Iterate over the published versions, in the order they were added."""
        return iter(self.workflows)

    def __len__(self) -> int:
        """Return how many versions are published."""
        return len(self.workflows)


@attrs.frozen(kw_only=True)
class MigrationEntry:
    """What a migration would do to one application.

    Attributes:
        application: The application's id.
        source_state: Its state in the source version.
        target_state: Its state in the target version, or ``None`` if it cannot move.
        problem: Why it cannot move, or ``None``.
    """

    application: str
    source_state: str
    target_state: str | None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        """Whether this application can move."""
        return self.problem is None


@attrs.frozen(kw_only=True)
class MigrationReport:
    """The result of a dry run: one entry per application, in the order given.

    Attributes:
        source_version: The version applications would leave.
        target_version: The version they would move to.
        plan_problems: What is wrong with the plan itself (then no application moves).
        entries: One per application.
    """

    source_version: int
    target_version: int
    plan_problems: tuple[Problem, ...]
    entries: tuple[MigrationEntry, ...]

    @property
    def ok(self) -> bool:
        """Whether the plan is sound and every application can move."""
        return not self.plan_problems and all(entry.ok for entry in self.entries)

    @property
    def problems(self) -> tuple[MigrationEntry, ...]:
        """The entries of applications that cannot move."""
        return tuple(entry for entry in self.entries if not entry.ok)

    @property
    def changed(self) -> tuple[MigrationEntry, ...]:
        """The entries of applications whose state name changes."""
        return tuple(
            entry for entry in self.entries if entry.ok and entry.target_state != entry.source_state
        )


def _compatible(old: State, new: State) -> str | None:
    if old.is_final != new.is_final:
        was, now = ("final", "not") if old.is_final else ("not final", "final")
        return f"state {preview(old.name)} is {was} but {preview(new.name)} is {now}"
    if old.is_final and old.kind is not new.kind:
        return f"final state {preview(old.name)} ({old.kind.value}) cannot become {new.kind.value}"
    return None


def _resolve(plan: MigrationPlan) -> tuple[tuple[Problem, ...], Mapping[str, str]]:
    source, target = plan.source, plan.target
    problems: list[Problem] = []
    where = f"migration of workflow {preview(source.code)} from version {preview(source.version)}"
    where += f" to {preview(target.version)}"

    def add(path: str, message: str) -> None:
        problems.append(Problem(path=path, message=f"{where}: {message}"))

    if source.code != target.code:
        add(
            "target.code",
            f"the target is workflow {preview(target.code)}, not {preview(source.code)}",
        )
    if not (_is_version(source.version) and _is_version(target.version)):
        add("target.version", "both versions must be integers")
    elif target.version <= source.version:
        add("target.version", "the target version must be newer than the source")
    mapping: dict[str, str] = {}
    given: object = plan.state_map
    pairs = tuple(given) if isinstance(given, tuple | list) else ()
    if not isinstance(given, tuple | list):
        add("state_map", "expected a list of (old state, new state) pairs")
    for i, pair in enumerate(pairs):
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            add(f"state_map[{i}]", "expected a pair (state in the source, state in the target)")
            continue
        old, new = pair
        if not source.has_state(old):
            add(f"state_map[{i}]", f"version {preview(source.version)} has no state {preview(old)}")
        elif not target.has_state(new):
            add(f"state_map[{i}]", f"version {preview(target.version)} has no state {preview(new)}")
        elif old in mapping:
            add(f"state_map[{i}]", f"state {preview(old)} is mapped twice")
        else:
            mapping[old] = new
            clash = _compatible(source.state(old), target.state(new))
            if clash is not None:
                add(f"state_map[{i}]", clash)
    for state in source.states:
        if state.name in mapping or not target.has_state(state.name):
            continue
        mapping[state.name] = state.name  # an unchanged name carries over
        clash = _compatible(state, target.state(state.name))
        if clash is not None:
            add("state_map", f"{clash} (same name in both versions; map it explicitly)")
    for state in source.states:
        if not state.is_final and state.name not in mapping:
            add(
                "state_map",
                f"state {preview(state.name)} has no counterpart "
                f"in version {preview(target.version)}",
            )
    return tuple(problems), mapping


@attrs.frozen(kw_only=True)
class MigrationPlan:
    """How applications move from one version of a workflow to a newer one.

    States not listed in `state_map` keep their name if the target version has a state
    of that name.  Every non-final source state must end up mapped; a final state
    stays final (of the same kind); applications in an unmapped final state are
    finished and stay on their version.

    Attributes:
        source: The version applications are pinned to now.
        target: The version they move to.
        state_map: ``(old state, new state)`` pairs.

    Raises:
        InvalidValue: If *source* or *target* is not a `Workflow`.
    """

    source: Workflow
    target: Workflow
    state_map: tuple[tuple[str, str], ...] = ()
    _resolved: tuple[tuple[Problem, ...], Mapping[str, str]] = attrs.field(
        init=False, repr=False, eq=False, hash=False
    )

    def __attrs_post_init__(self) -> None:
        """Resolve the mapping and its problems once."""
        check_type(self.source, Workflow, field="source")
        check_type(self.target, Workflow, field="target")
        object.__setattr__(self, "_resolved", _resolve(self))

    def check(self) -> list[Problem]:
        """Return every problem with the plan; empty when it is sound."""
        return list(self._resolved[0])

    def _target_of(self, state: str) -> tuple[str | None, str | None]:
        mapping = self._resolved[1]
        if not self.source.has_state(state):
            return None, f"version {preview(self.source.version)} has no state {preview(state)}"
        if state in mapping:
            return mapping[state], None
        return None, (
            f"state {preview(state)} is final and unmapped: the application is finished and "
            f"stays on version {preview(self.source.version)}"
        )

    def dry_run(self, states: Iterable[tuple[str, str]], /) -> MigrationReport:
        """Report what `apply` would do to each ``(application id, state)`` pair."""
        problems = self._resolved[0]
        entries: list[MigrationEntry] = []
        given: object = states
        if isinstance(given, str) or not isinstance(given, Iterable):
            raise MigrationError([Problem(path="states", message="expected (id, state) pairs")])
        for pair in given:
            if not isinstance(pair, tuple | list) or len(pair) != 2:
                raise MigrationError([Problem(path="states", message="expected (id, state) pairs")])
            application, state = pair
            target, problem = self._target_of(state)
            if problems and problem is None:
                target, problem = None, "the migration plan has problems"
            entries.append(
                MigrationEntry(
                    application=application,
                    source_state=state,
                    target_state=target,
                    problem=problem,
                )
            )
        return MigrationReport(
            source_version=self.source.version,
            target_version=self.target.version,
            plan_problems=problems,
            entries=tuple(entries),
        )

    def apply(self, state: str, /) -> str:
        """Return the state in the target version of an application now in *state*.

        Raises:
            MigrationError: If the plan has problems, or this state cannot move.
        """
        if self._resolved[0]:
            raise MigrationError(self._resolved[0])
        target, problem = self._target_of(state)
        if target is None:
            raise MigrationError([Problem(path="state_map", message=problem or "")])
        return target
