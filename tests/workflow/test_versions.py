"""Published versions stay put; migrations move applications only when asked."""

from __future__ import annotations

import attrs
import pytest
from workflow_samples import licence, minimal

from onestop.domain.workflow.model import State, StateKind, Transition, Workflow
from onestop.domain.workflow.versions import MigrationEntry, MigrationPlan, WorkflowSet
from onestop.exceptions import (
    InvalidWorkflow,
    MigrationError,
    WorkflowNotFound,
    WorkflowVersionConflict,
    WorkflowVersionNotFound,
)


def version_two() -> Workflow:
    """Version 2 of the mini workflow: 'working' split into 'checking' and 'signing'."""
    return Workflow(
        code="mini",
        version=2,
        roles=("clerk",),
        states=(
            State(name="new", kind=StateKind.INITIAL),
            State(name="checking", kind=StateKind.ACTIVE),
            State(name="signing", kind=StateKind.ACTIVE),
            State(name="done", kind=StateKind.SUCCESS),
            State(name="cancelled", kind=StateKind.FAILURE),
        ),
        transitions=(
            Transition(action="take", sources=("new",), target="checking", roles=("clerk",)),
            Transition(action="check", sources=("checking",), target="signing", roles=("clerk",)),
            Transition(action="finish", sources=("signing",), target="done", roles=("clerk",)),
            Transition(
                action="cancel", sources=("new", "checking"), target="cancelled", roles=("clerk",)
            ),
        ),
    )


class TestWorkflowSet:
    def test_get_and_latest(self) -> None:
        """Versions are looked up by (code, version); latest is the highest version."""
        published = WorkflowSet().with_workflow(minimal()).with_workflow(version_two())
        assert published.get("mini", 1) == minimal()
        assert published.latest("mini").version == 2
        assert published.versions("mini") == (1, 2)
        assert ("mini", 1) in published
        assert ("mini", 3) not in published
        assert len(published) == 2

    def test_published_version_cannot_change(self) -> None:
        """Publishing a different definition under a published (code, version) is refused."""
        published = WorkflowSet().with_workflow(minimal())
        changed = minimal(roles=("clerk", "supervisor"))
        with pytest.raises(WorkflowVersionConflict) as caught:
            published.with_workflow(changed)
        assert (caught.value.code, caught.value.version) == ("mini", 1)
        assert published.get("mini", 1) == minimal()

    def test_republishing_the_same_definition_is_a_no_op(self) -> None:
        """Publishing an equal definition again returns the same set."""
        published = WorkflowSet().with_workflow(minimal())
        assert published.with_workflow(minimal()) is published

    def test_conflicts_are_refused_at_construction(self) -> None:
        """A set built directly from conflicting definitions is refused too."""
        with pytest.raises(WorkflowVersionConflict):
            WorkflowSet(workflows=(minimal(), minimal(roles=("clerk", "boss"))))

    def test_only_valid_workflows_are_published(self) -> None:
        """with_workflow validates the definition first."""
        with pytest.raises(InvalidWorkflow):
            WorkflowSet().with_workflow(minimal(roles=()))

    def test_not_found(self) -> None:
        """Unknown codes and versions raise typed errors listing what exists."""
        published = WorkflowSet().with_workflow(minimal())
        with pytest.raises(WorkflowNotFound):
            published.latest("ghost")
        with pytest.raises(WorkflowVersionNotFound) as caught:
            published.get("mini", 7)
        assert caught.value.known == (1,)
        assert isinstance(caught.value, WorkflowNotFound)

    def test_pinned_applications_keep_their_version(self) -> None:
        """Publishing version 2 leaves version 1 exactly as it was for running applications."""
        first = WorkflowSet().with_workflow(minimal())
        second = first.with_workflow(version_two())
        assert second.get("mini", 1) is first.get("mini", 1)
        assert second.get("mini", 1).has_state("working")


class TestMigrationPlan:
    def plan(self, *pairs: tuple[str, str]) -> MigrationPlan:
        return MigrationPlan(source=minimal(), target=version_two(), state_map=pairs)

    def test_sound_plan(self) -> None:
        """Mapping the renamed state is enough: same-named states carry over."""
        plan = self.plan(("working", "checking"))
        assert plan.check() == []
        assert [plan.apply(s) for s in ("new", "working", "done")] == ["new", "checking", "done"]

    def test_unmapped_state_is_a_problem(self) -> None:
        """A non-final state with no counterpart in the target makes the plan unsound."""
        problems = self.plan().check()
        assert [p.path for p in problems] == ["state_map"]
        assert "'working' has no counterpart in version 2" in problems[0].message
        with pytest.raises(MigrationError):
            self.plan().apply("new")

    def test_targets_must_exist(self) -> None:
        """A mapping to a state the target lacks, or from one the source lacks, is reported."""
        problems = self.plan(("working", "limbo"), ("ghost", "new")).check()
        assert [p.path for p in problems] == ["state_map[0]", "state_map[1]", "state_map"]
        assert "version 2 has no state 'limbo'" in problems[0].message
        assert "version 1 has no state 'ghost'" in problems[1].message

    def test_final_stays_final(self) -> None:
        """A non-final state may not map to a final one, nor success to failure."""
        problems = self.plan(("working", "done"), ("done", "cancelled")).check()
        assert [p.path for p in problems] == ["state_map[0]", "state_map[1]"]
        assert "'working' is not final but 'done' is final" in problems[0].message
        assert "cannot become failure" in problems[1].message

    def test_versions_must_move_forward_within_one_code(self) -> None:
        """The target must be a newer version of the same workflow."""
        plan = MigrationPlan(
            source=version_two(),
            target=attrs.evolve(licence(), version=1),
            state_map=(),
        )
        paths = [p.path for p in plan.check()]
        assert paths[:2] == ["target.code", "target.version"]

    def test_mapped_twice(self) -> None:
        """One source state mapped twice is reported."""
        problems = self.plan(("working", "checking"), ("working", "signing")).check()
        assert [p.path for p in problems] == ["state_map[1]"]

    def test_dry_run_reports_per_application(self) -> None:
        """A dry run says, per application, where it would go or why it cannot move."""
        plan = self.plan(("working", "checking"))
        report = plan.dry_run([("app-1", "working"), ("app-2", "new"), ("app-3", "lost")])
        assert report.entries[:2] == (
            MigrationEntry(application="app-1", source_state="working", target_state="checking"),
            MigrationEntry(application="app-2", source_state="new", target_state="new"),
        )
        assert [e.application for e in report.problems] == ["app-3"]
        assert [e.application for e in report.changed] == ["app-1"]
        assert not report.ok
        assert (report.source_version, report.target_version) == (1, 2)

    def test_dry_run_of_an_unsound_plan_moves_nobody(self) -> None:
        """When the plan itself has problems, every application is reported as unable to move."""
        report = self.plan().dry_run([("app-1", "new")])
        assert report.plan_problems
        assert report.entries[0].target_state is None
        assert not report.ok

    def test_finished_applications_stay(self) -> None:
        """An application in an unmapped final state is finished and stays on its version."""
        source = attrs.evolve(
            version_two(),
            version=1,
            states=(*version_two().states, State(name="withdrawn", kind=StateKind.FAILURE)),
        )
        target = attrs.evolve(version_two(), version=2)
        plan = MigrationPlan(source=source, target=target)
        assert plan.check() == []
        with pytest.raises(MigrationError, match="finished"):
            plan.apply("withdrawn")

    def test_nothing_moves_implicitly(self) -> None:
        """Building or checking a plan changes no state; only apply computes a new one."""
        plan = self.plan(("working", "checking"))
        state = "working"
        plan.check()
        plan.dry_run([("app-1", state)])
        assert state == "working"
        assert plan.apply(state) == "checking"
