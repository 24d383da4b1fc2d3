"""A Hypothesis state machine: grants, revokes and time; the actor always matches a model.

One desk writes, another (a second worker over the same store) reads incrementally;
after every step, each desk's actor for the account equals what the model says is in
force now, and a desk built afresh folds the same account.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from staff_support import ROOT, Clock, desk

from onestop.domain.common.actors import Actor, Grant
from onestop.storage.memory import MemoryStore

ROLES = st.sampled_from(["verifier", "approver", "inspector", "courier"])
AGENCIES = st.sampled_from([None, "dpmptsp", "makassar"])
OFFSETS = st.integers(min_value=-3, max_value=3)


class StaffMachine(RuleBasedStateMachine):
    """Grants and revokes by one desk, read by another, against a model of assignments."""

    def __init__(self) -> None:
        super().__init__()
        self.store, self.clock = MemoryStore(), Clock()
        self.writer, self.reader = desk(self.store, self.clock), desk(self.store, self.clock)
        self.writer.add("ana", by=ROOT)
        self.model: dict[str, tuple[str, str | None, object, object]] = {}
        self.disabled = False

    @rule(role=ROLES, agency=AGENCIES, start=OFFSETS, length=st.none() | st.integers(1, 4))
    def grant(self, role: str, agency: str | None, start: int, length: int | None) -> None:
        """Grant a role, from some hours before or after now, for some hours or for ever."""
        valid_from = self.clock.at + timedelta(hours=start)
        until = None if length is None else valid_from + timedelta(hours=length)
        held = self.writer.grant(
            "ana", role, agency=agency, valid_from=valid_from, valid_until=until, by=ROOT
        )
        self.model[held.assignment_id] = (role, agency, valid_from, until)

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data())
    def revoke(self, data: st.DataObject) -> None:
        """Revoke one of the assignments held."""
        assignment_id = data.draw(st.sampled_from(sorted(self.model)))
        self.writer.revoke("ana", assignment_id, by=ROOT)
        del self.model[assignment_id]

    @rule(hours=st.integers(min_value=1, max_value=3))
    def wait(self, hours: int) -> None:
        """Let time pass."""
        self.clock.move(hours=hours)

    @rule()
    def toggle(self) -> None:
        """Disable the account, or enable it again."""
        if self.disabled:
            self.writer.enable("ana", by=ROOT)
        else:
            self.writer.disable("ana", by=ROOT)
        self.disabled = not self.disabled

    def expected(self) -> Actor:
        now = self.clock.at
        grants = set()
        if not self.disabled:
            for role, agency, start, until in self.model.values():
                if start <= now and (until is None or now < until):  # type: ignore[operator]
                    grants.add(Grant(role, agency=agency))
        return Actor(id="ana", grants=grants)

    @invariant()
    def every_desk_agrees_with_the_model(self) -> None:
        """The reader's account, and a fresh desk's, act as the model says."""
        expected = self.expected()
        now = self.clock.at
        for reader in (self.reader, desk(self.store, self.clock)):
            assert reader.account("ana").actor(now) == expected


TestStaffMachine = StaffMachine.TestCase
TestStaffMachine.settings = settings(max_examples=40, stateful_step_count=25, deadline=None)
