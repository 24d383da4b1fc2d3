"""onestop's own texts on the citizen's tracking page, in each shipped language (golden files).

One application is played once per module through `Mall` and `CourierDesk` with the
Jakarta catalogue, declared in every language onestop ships: a pickup is booked (a
courier leg), the application is suspended, resumed and withdrawn.  The tracking page
(`Mall.track` and `CourierDesk.track_courier`), with its dates written by
`onestop.locales`, must equal ``tests/fixtures/texts/<language>.txt``; run with
``ONESTOP_REGENERATE_GOLDEN=1`` to rewrite them after a deliberate change.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import attrs
import pytest
from desk_support import CATALOGUE, FRONT, OWNER, apply, window

from onestop.domain.common.parties import Personal
from onestop.locales import format_datetime
from onestop.storage.memory import MemoryStore
from onestop.usecases.courier.desk import CourierDesk
from onestop.usecases.mall import Mall

GOLDEN = Path(__file__).parents[1] / "fixtures" / "texts"
LANGUAGES = ("id", "en", "km", "ko", "ar")


@dataclass
class Played:
    """The mall, its desk and the application's number and secret."""

    mall: Mall
    desk: CourierDesk
    number: str
    secret: str


@pytest.fixture(scope="module")
def played() -> Played:
    import desk_support

    from onestop.usecases.courier.queries import CourierFacts

    clock, store = desk_support.Clock(), MemoryStore()
    catalogue = attrs.evolve(CATALOGUE, languages=("id", "en", "km", "ko", "ar"))
    mall = Mall(
        catalogue=catalogue,
        store=store,
        clock=clock,
        calendars=desk_support.CALENDARS,
        courier_facts=CourierFacts(store),
    )
    desk = CourierDesk(mall, otp_key=desk_support.KEY)
    app, number, secret = apply(mall)
    clock.advance(minutes=10)
    desk.book_pickup(app, window=window(clock), address=Personal(desk_support.ADDRESS), actor=OWNER)
    clock.advance(hours=1)
    mall.suspend(app, reason="court_order", actor=FRONT)
    clock.advance(days=1)
    mall.resume(app, actor=FRONT)
    clock.advance(hours=2)
    mall.withdraw(app, actor=OWNER, reason="changed_mind")
    return Played(mall=mall, desk=desk, number=number, secret=secret)


def page(played: Played, language: str) -> str:
    """The tracking page as a citizen reading *language* sees it."""
    status = played.mall.track(played.number, played.secret, language=language)
    courier = played.desk.track_courier(played.number, played.secret, language=language)
    lines = [f"{status.label} ({status.state})"]
    lines += [f"{format_datetime(s.at, language)} | {s.label}" for s in status.history]
    lines += [f"courier: {job.label} ({job.status.value})" for job in courier.jobs]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_tracking_page_matches_its_golden_file(played: Played, language: str) -> None:
    """The page in each shipped language equals its golden file, built-in labels included."""
    golden = GOLDEN / f"{language}.txt"
    shown = page(played, language)
    if os.environ.get("ONESTOP_REGENERATE_GOLDEN"):
        golden.write_text(shown, encoding="utf-8")
    assert shown == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("language", ["km", "ko", "ar"])
def test_no_english_built_in_label_is_left(played: Played, language: str) -> None:
    """In Khmer, Korean and Arabic no built-in label falls back to English."""
    shown = page(played, language)
    for english in ("Suspended", "Resumed", "Withdrawn", "Pickup scheduled"):
        assert english not in shown


def test_an_undeclared_language_is_served_in_the_default_language(played: Played) -> None:
    """Python's documented fallback: a language the catalogue lacks gets its default."""
    status = played.mall.track(played.number, played.secret, language="fr")
    assert (status.language, status.label) == ("id", "Dicabut")
