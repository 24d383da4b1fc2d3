"""Guards: the built-ins, the registry, and the facts they read."""

from __future__ import annotations

import pytest

from onestop.domain.workflow.guards import (
    Facts,
    GuardRegistry,
    GuardResult,
    default_guards,
    split_guard,
)
from onestop.exceptions import ConfigurationError, UnknownGuard

GUARDS = default_guards()


def check(reference: str, facts: Facts) -> GuardResult:
    return GUARDS.evaluate(reference, facts)


class TestBuiltIns:
    def test_the_built_ins_are_registered(self) -> None:
        """default_guards holds the documented built-ins, sorted by name."""
        assert GUARDS.names() == (
            "courier_delivered",
            "documents_verified",
            "field_has_value",
            "no_rejected_documents",
            "payment_recorded",
        )

    def test_documents_verified(self) -> None:
        """documents_verified passes only when every required document is verified."""
        required = ("ktp", "npwp")
        ok = Facts(required_documents=required, documents={"ktp": "verified", "npwp": "verified"})
        pending = Facts(
            required_documents=required, documents={"ktp": "verified", "npwp": "pending"}
        )
        assert check("documents_verified", ok) == GuardResult(ok=True)
        refused = check("documents_verified", pending)
        assert (refused.ok, refused.reason) == (False, "documents not verified yet: npwp")
        assert check("documents_verified", Facts()).ok  # nothing required

    def test_no_rejected_documents(self) -> None:
        """no_rejected_documents refuses while any document is rejected, naming it."""
        assert check("no_rejected_documents", Facts(documents={"ktp": "pending"})).ok
        refused = check("no_rejected_documents", Facts(documents={"ktp": "rejected"}))
        assert (refused.ok, refused.reason) == (False, "documents rejected: ktp")

    @pytest.mark.parametrize(
        ("value", "ok"),
        [("01.234.567.8-901.000", True), (0, True), (False, True), ("", False), ([], False)],
    )
    def test_field_has_value(self, value: object, ok: bool) -> None:
        """field_has_value:<field> passes for any non-empty answer, zero and False included."""
        assert check("field_has_value:npwp", Facts(answers={"npwp": value})).ok is ok

    def test_field_has_value_never_echoes_the_value(self) -> None:
        """The refusal names the field, never an answer (which may be personal data)."""
        refused = check("field_has_value:npwp", Facts(answers={"name": "Siti"}))
        assert refused.reason == "field 'npwp' has no value"
        assert "Siti" not in refused.reason

    def test_field_has_value_needs_a_field(self) -> None:
        """Without an argument the guard refuses and says how to write it."""
        assert "field_has_value:npwp" in check("field_has_value", Facts()).reason

    def test_payment_recorded(self) -> None:
        """payment_recorded passes once any payment is recorded."""
        assert not check("payment_recorded", Facts()).ok
        assert check("payment_recorded", Facts(payments=("inv-1",))).ok

    def test_courier_delivered(self) -> None:
        """courier_delivered passes once a linked courier job is delivered."""
        assert "no courier job" in check("courier_delivered", Facts()).reason
        moving = Facts(courier_jobs={"job-1": "in_transit"})
        assert not check("courier_delivered", moving).ok
        done = Facts(courier_jobs={"job-1": "in_transit", "job-2": "delivered"})
        assert check("courier_delivered", done).ok

    def test_courier_delivered_for_one_job(self) -> None:
        """courier_delivered:<job> looks only at that job."""
        facts = Facts(courier_jobs={"job-1": "in_transit", "job-2": "delivered"})
        assert check("courier_delivered:job-2", facts).ok
        assert not check("courier_delivered:job-1", facts).ok


class TestRegistry:
    def test_with_guard_returns_a_new_registry(self) -> None:
        """Adding a guard leaves the original registry unchanged."""
        added = GUARDS.with_guard("always", lambda facts, argument: GuardResult(ok=True))
        assert "always" in added
        assert "always" not in GUARDS
        assert added.evaluate("always", Facts()).ok

    def test_integrator_guard_gets_its_argument(self) -> None:
        """A guard reference's argument is passed to the guard as written after the colon."""
        seen: list[str | None] = []

        def spy(facts: Facts, argument: str | None) -> GuardResult:
            seen.append(argument)
            return GuardResult.passed()

        registry = GuardRegistry().with_guard("spy", spy)
        registry.evaluate("spy: zone-3 ", Facts())
        registry.evaluate("spy", Facts())
        assert seen == ["zone-3", None]

    def test_replacing_needs_consent(self) -> None:
        """Registering a name twice is refused unless replace=True."""
        with pytest.raises(ConfigurationError, match="already registered"):
            GUARDS.with_guard("payment_recorded", lambda f, a: GuardResult(ok=True))
        replaced = GUARDS.with_guard(
            "payment_recorded", lambda f, a: GuardResult(ok=True), replace=True
        )
        assert replaced.evaluate("payment_recorded", Facts()).ok

    @pytest.mark.parametrize("name", ["", "a:b", " padded"])
    def test_bad_names_are_refused(self, name: str) -> None:
        """A guard name must be non-empty, unpadded and free of colons."""
        with pytest.raises(ConfigurationError):
            GuardRegistry().with_guard(name, lambda f, a: GuardResult(ok=True))

    def test_unknown_guard(self) -> None:
        """Evaluating an unregistered name raises UnknownGuard listing the known ones."""
        with pytest.raises(UnknownGuard) as caught:
            GUARDS.evaluate("moon_is_full", Facts())
        assert caught.value.guard == "moon_is_full"
        assert "payment_recorded" in caught.value.known

    def test_split_guard(self) -> None:
        """A reference splits at its first colon into name and argument."""
        assert split_guard("field_has_value:a:b") == ("field_has_value", "a:b")
        assert split_guard("payment_recorded") == ("payment_recorded", None)


class TestFacts:
    def test_facts_copy_their_mappings(self) -> None:
        """Facts keep read-only copies, so later changes to the caller's dicts do not leak in."""
        answers = {"npwp": "x"}
        facts = Facts(answers=answers)
        answers["npwp"] = ""
        assert facts.answers["npwp"] == "x"
        with pytest.raises(TypeError):
            facts.answers["npwp"] = "y"  # type: ignore[index]

    def test_history_grows_by_value(self) -> None:
        """with_action returns new facts with the action appended; the old ones are unchanged."""
        first = Facts()
        second = first.with_action("verify", "officer-2")
        assert first.history == ()
        assert second.history == (("verify", "officer-2"),)
        assert second.actions_by("officer-2") == {"verify"}

    def test_guard_result_helpers(self) -> None:
        """check() keeps the reason only when refusing."""
        assert GuardResult.check(True, "why") == GuardResult(ok=True, reason="")
        assert GuardResult.check(False, "why") == GuardResult.refused("why")
