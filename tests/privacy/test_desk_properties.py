"""Any sequence of submissions, notes, closings, holds, erasures, key rotations and sweeps
leaves every chain verifiable, every erased value unreadable and every other value readable.

A Hypothesis state machine drives a sealing mall and its `PrivacyDesk` over one store
(memory, SQLite, and PostgreSQL when ``ONESTOP_TEST_POSTGRES_URL`` is set), with people
of arbitrary Unicode names and addresses, and keeps a model of what each application
should read.  After every step it reads everything back through a *new* mall and keyring
(cold caches, only the current master key after a rotation) and checks it against the
model.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from privacy_desk_support import (
    CITIZEN,
    DOCUMENTS,
    FRONT,
    KEEP_30_DAYS,
    DeskClock,
    answers,
    issue,
    reject,
    sealed_mall,
)

from onestop.cli.demo import verify_store
from onestop.domain.applications.events import NoteAdded
from onestop.domain.common.parties import Person, Representative
from onestop.exceptions import CommandRefused, ErasureRefused, OnestopError, PersonalDataErased
from onestop.privacy import StaticKeyProvider
from onestop.privacy.cipher import new_master_key
from onestop.usecases.privacy import Erasure, PrivacyDesk

NIKS = ("3171015708850003", "3171014403900007", "3273016512920001")
KEEP = timedelta(days=30)
BASIS = "UU 27/2022 art. 8"

TEXT = st.text(
    st.characters(codec="utf-8", categories=("L", "M", "N", "P", "S", "Zs")),
    min_size=1,
    max_size=24,
).filter(str.strip)  # a blank note or name is refused at the door, not kept


def _person(nik: str, name: str, address: str) -> Person | None:
    try:
        return Person.of(identity_number=nik, identity_scheme="id-nik", name=name, address=address)
    except OnestopError:
        return None


PEOPLE = st.builds(_person, st.sampled_from(NIKS), TEXT, TEXT).filter(
    lambda found: found is not None
)


class RotatingProvider:
    """A master key provider whose keys change: a new key made current, the old ones dropped."""

    def __init__(self) -> None:
        self.count = 1
        self.keys = {"mk-1": new_master_key()}
        self.inner = StaticKeyProvider(self.keys)

    @property
    def current_key_id(self) -> str:
        return self.inner.current_key_id

    @property
    def key_ids(self) -> tuple[str, ...]:
        return self.inner.key_ids

    def wrap(self, key: bytes, /, *, context: bytes) -> Any:
        return self.inner.wrap(key, context=context)

    def unwrap(self, wrapped: Any, /, *, context: bytes) -> bytes:
        return self.inner.unwrap(wrapped, context=context)

    def add_key(self) -> None:
        """Add a new key (current); the old ones stay until `drop_old`."""
        self.count += 1
        self.keys[f"mk-{self.count}"] = new_master_key()
        self.inner = StaticKeyProvider(self.keys)

    def drop_old(self) -> None:
        """Keep only the current key."""
        current = self.inner.current_key_id
        self.keys = {current: self.keys[current]}
        self.inner = StaticKeyProvider(self.keys)


@dataclass
class Expected:
    """What one application should read."""

    number: str
    applicant: Person
    representative: Person | None
    home: object
    notes: list[str] = field(default_factory=list)
    closed_at: datetime | None = None
    holds: set[str] = field(default_factory=set)
    erased: bool = False

    def niks(self) -> set[str]:
        found = {self.applicant.identity_number.reveal()}
        if self.representative is not None:
            found.add(self.representative.identity_number.reveal())
        return found


class DeskMachine(RuleBasedStateMachine):
    """The desk and its mall over one store, against a model."""

    opener: Callable[[], tuple[Any, Callable[[], None]]]

    def __init__(self) -> None:
        super().__init__()
        self.store, self.closer = type(self).opener()
        self.clock = DeskClock()
        self.provider = RotatingProvider()
        self.mall = sealed_mall(
            self.store, clock=self.clock, retention=KEEP_30_DAYS, provider=self.provider
        )
        self.desk = PrivacyDesk(self.mall)
        self.apps: dict[str, Expected] = {}
        self.holds = 0

    def teardown(self) -> None:
        self.closer()

    # --- helpers --------------------------------------------------------------------

    def _pick(self, index: int, *, where: Callable[[Expected], bool]) -> str | None:
        found = [app_id for app_id, app in self.apps.items() if where(app)]
        return found[index % len(found)] if found else None

    def _rule_of(self, app: Expected, *, overriding: bool) -> str | None:
        if app.closed_at is None:
            return "open"
        if app.holds:
            return "legal_hold"
        if not overriding and app.closed_at + KEEP > self.clock.now():
            return "retention"
        return None

    def _person_rule(self, app: Expected, nik: str, *, overriding: bool) -> str | None:
        """The rule an erasure by *nik*'s identity meets: its representative's is refused."""
        if app.applicant.identity_number.reveal() != nik:
            return "representative"
        return self._rule_of(app, overriding=overriding)

    def _fresh(self) -> PrivacyDesk:
        """A desk over a new mall and keyring: nothing cached, only the provider's keys now."""
        return PrivacyDesk(
            sealed_mall(
                self.store, clock=self.clock, retention=KEEP_30_DAYS, provider=self.provider
            )
        )

    def _erased(self, result: Erasure) -> None:
        self.apps[result.application_id].erased = True

    # --- rules ------------------------------------------------------------------------

    @rule(applicant=PEOPLE, helper=st.none() | PEOPLE, home=TEXT)
    def submit(self, applicant: Person, helper: Person | None, home: str) -> None:
        representative = (
            None if helper is None else Representative(person=helper, authorisation="sk-1")
        )
        self.clock.advance(hours=1)
        receipt = self.mall.submit(
            "izin-usaha",
            channel="online",
            applicant=applicant,
            representative=representative,
            answers=answers(home),
            documents=DOCUMENTS,
            actor=CITIZEN,
        )
        stored = self.mall.application(receipt.application_id).answers.get("home_address")
        self.apps[receipt.application_id] = Expected(receipt.number, applicant, helper, stored)

    @precondition(lambda self: self.apps)
    @rule(index=st.integers(min_value=0), text=TEXT)
    def note(self, index: int, text: str) -> None:
        app_id = self._pick(index, where=lambda app: True)
        assert app_id is not None
        app = self.apps[app_id]
        try:
            self.mall.add_note(app_id, text, visibility="internal", actor=FRONT)
        except (CommandRefused, PersonalDataErased):
            assert app.erased, "a note refused on an application not erased"
            return
        assert not app.erased, "a note added to erased data"
        app.notes.append(text)

    @precondition(lambda self: any(a.closed_at is None for a in self.apps.values()))
    @rule(index=st.integers(min_value=0), how=st.sampled_from(["withdraw", "reject", "issue"]))
    def close(self, index: int, how: str) -> None:
        app_id = self._pick(index, where=lambda app: app.closed_at is None)
        assert app_id is not None
        self.clock.advance(hours=1)
        if how == "withdraw":
            self.mall.withdraw(app_id, reason="applicant_request", actor=CITIZEN)
        else:
            (reject if how == "reject" else issue)(self.mall, app_id)
        self.apps[app_id].closed_at = self.clock.now()

    @precondition(lambda self: self.apps)
    @rule(index=st.integers(min_value=0))
    def place_hold(self, index: int) -> None:
        app_id = self._pick(index, where=lambda app: True)
        assert app_id is not None
        app = self.apps[app_id]
        self.holds += 1
        hold = f"H-{self.holds}"
        try:
            self.desk.place_hold(app_id, hold, reason="court_order", actor=FRONT)
        except CommandRefused:
            assert app.erased, "a hold refused on data not erased"
            return
        app.holds.add(hold)

    @precondition(lambda self: any(a.holds for a in self.apps.values()))
    @rule(index=st.integers(min_value=0))
    def lift_hold(self, index: int) -> None:
        app_id = self._pick(index, where=lambda app: bool(app.holds))
        assert app_id is not None
        hold = sorted(self.apps[app_id].holds)[0]
        self.desk.lift_hold(self.apps[app_id].number, hold, actor=FRONT)
        self.apps[app_id].holds.discard(hold)

    @precondition(lambda self: self.apps)
    @rule(index=st.integers(min_value=0), overriding=st.booleans())
    def erase(self, index: int, overriding: bool) -> None:
        app_id = self._pick(index, where=lambda app: True)
        assert app_id is not None
        app = self.apps[app_id]
        expected = None if app.erased else self._rule_of(app, overriding=overriding)
        if expected is not None:
            with pytest.raises(ErasureRefused) as refused:
                self.desk.erase(app_id, legal_basis=BASIS, actor=FRONT, overriding=overriding)
            assert refused.value.rule == expected
            return
        done = self.desk.erase(app_id, legal_basis=BASIS, actor=FRONT, overriding=overriding)
        assert done.keys_destroyed == (0 if app.erased else len(done.subjects))
        self._erased(done)

    @precondition(lambda self: self.apps)
    @rule(nik=st.sampled_from(NIKS), overriding=st.booleans())
    def erase_person(self, nik: str, overriding: bool) -> None:
        mine = {i: a for i, a in self.apps.items() if nik in a.niks() and not a.erased}
        results = self.desk.erase_person(
            "id-nik", nik, legal_basis=BASIS, actor=FRONT, overriding=overriding
        )
        seen = set()
        for result in results:
            if isinstance(result, Erasure):
                app_id = result.application_id
                assert self._person_rule(mine[app_id], nik, overriding=overriding) is None
                self._erased(result)
            else:
                app_id = result.application_id
                assert result.rule == self._person_rule(mine[app_id], nik, overriding=overriding)
            seen.add(app_id)
        assert seen == set(mine)

    @rule()
    def rotate(self) -> None:
        self.provider.add_key()
        report = self.mall.keys.rotate()  # type: ignore[union-attr]
        assert report.current_key_id == self.provider.current_key_id
        self.provider.drop_old()

    @rule(days=st.integers(min_value=0, max_value=40), dry_run=st.booleans())
    def sweep(self, days: int, dry_run: bool) -> None:
        self.clock.advance(days=days)
        now = self.clock.now()
        due = {
            app.number
            for app in self.apps.values()
            if not app.erased
            and app.closed_at is not None
            and not app.holds
            and app.closed_at + KEEP <= now
        }
        report = self.desk.sweep(actor=FRONT, dry_run=dry_run)
        assert set(report.due) == due
        assert report.refused == ()
        if not dry_run:
            assert {e.number for e in report.erased} == due
            for done in report.erased:
                self._erased(done)

    # --- what must always hold ---------------------------------------------------------

    @invariant()
    def every_chain_verifies(self) -> None:
        audit = verify_store(self.store)
        assert audit.ok, audit.broken[:2]

    @invariant()
    def every_value_reads_as_the_model_says(self) -> None:
        fresh = self._fresh()
        for app_id, app in self.apps.items():
            read = fresh.application(app_id)
            assert (read.erased is not None) == app.erased
            people = [(read.applicant, app.applicant)]
            if app.representative is not None:
                assert read.representative is not None
                people.append((read.representative.person, app.representative))
            notes = [e.text for e in read.events if isinstance(e, NoteAdded)]
            assert len(notes) == len(app.notes)
            if app.erased:
                assert read.answers == {}
                for got, _ in people:
                    assert got.name.is_erased
                    assert got.address.is_erased
                    assert got.identity_number.is_erased
                assert all(note.is_erased for note in notes)
                continue
            assert read.answers.get("home_address") == app.home
            for got, want in people:
                assert got.name.reveal() == want.name.reveal()
                assert got.address.reveal() == want.address.reveal()
                assert got.identity_number.reveal() == want.identity_number.reveal()
            assert [note.reveal() for note in notes] == app.notes

    @invariant()
    def the_export_holds_exactly_what_is_not_erased(self) -> None:
        fresh = self._fresh()
        for nik in NIKS:
            exported = fresh.export("id-nik", nik)["applications"]
            listed = {found["application_id"] for found in exported}
            held = {i for i, a in self.apps.items() if nik in a.niks() and not a.erased}
            assert listed == held
            for found in exported:
                app = self.apps[found["application_id"]]
                assert found["answers"].get("home_address") == app.home
                assert found["applicant"]["name"] == app.applicant.name.reveal()
                assert [note["text"] for note in found["notes"]] == app.notes


def _memory() -> tuple[Any, Callable[[], None]]:
    from onestop.storage.memory import MemoryStore

    return MemoryStore(), lambda: None


def _sqlite() -> tuple[Any, Callable[[], None]]:
    from onestop.storage.sqlite import SQLiteStore

    folder = tempfile.mkdtemp(prefix="pii-props-")
    path = Path(folder) / "desk.sqlite3"
    store = SQLiteStore.open(path, synchronous="NORMAL")

    def close() -> None:
        store.close()
        for leftover in Path(folder).iterdir():
            leftover.unlink()
        Path(folder).rmdir()

    return store, close


def _postgres() -> tuple[Any, Callable[[], None]]:
    import psycopg
    from psycopg import sql

    from onestop.storage.postgres import PostgresStore

    url = os.environ["ONESTOP_TEST_POSTGRES_URL"]
    schema = f"pii_props_{secrets.token_hex(6)}"
    store = PostgresStore.connect(url, schema=schema, max_size=2)

    def close() -> None:
        store.close()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))

    return store, close


def _adapters() -> Iterator[Any]:
    yield pytest.param(_memory, 40, id="memory")
    yield pytest.param(_sqlite, 30, id="sqlite")
    yield pytest.param(_postgres, 10, id="postgres", marks=pytest.mark.postgres)


@pytest.mark.parametrize(("opener", "examples"), list(_adapters()))
def test_any_sequence_keeps_chains_erasures_and_the_rest(
    opener: Callable[[], tuple[Any, Callable[[], None]]], examples: int, request: Any
) -> None:
    """Every chain verifies, every erased value is unreadable and every other value reads as
    submitted, after any sequence of the desk's and the mall's commands."""
    if "postgres" in request.node.callspec.id:
        request.getfixturevalue("postgres_url")
    machine = type("Machine", (DeskMachine,), {"opener": staticmethod(opener)})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
