"""A rejected document's reason reaches the citizen in words, in the language served."""

from __future__ import annotations

import attrs
from application_support import CITIZEN, Canary, answers, documents, officer

from onestop.domain.applications.application import Verdict
from onestop.domain.catalogue.messages import Message
from onestop.domain.common.text import LocalizedText
from onestop.storage.memory import MemoryStore
from onestop.usecases.mall import Mall

VERIFIER = officer("verifier-1", "verifier")


def _sent_back(mall: Mall, reason: str) -> tuple[str, str]:
    receipt = mall.submit(
        "izin-usaha",
        channel="online",
        applicant=Canary.new().person(),
        answers=answers(Canary.new()),
        documents=documents(),
        actor=CITIZEN,
    )
    app = receipt.application_id
    mall.check_document(app, "ktp", verdict=Verdict.VERIFIED, actor=VERIFIER)
    mall.check_document(app, "foto", verdict=Verdict.REJECTED, reason=reason, actor=VERIFIER)
    mall.act(app, "send_back", actor=VERIFIER, inputs={"reason": "redo"})
    return receipt.number, receipt.lookup_secret or ""


def test_a_built_in_reason_is_shown_in_each_language(mall: Mall) -> None:
    """``blurry`` reads as onestop's text in Indonesian and in English; the code stays."""
    number, secret = _sent_back(mall, "blurry")
    shown = {
        language: [
            (n.reason, n.reason_text) for n in mall.track(number, secret, language=language).needed
        ]
        for language in ("id", "en")
    }
    assert shown["id"][-1] == ("blurry", "Hasil pindaian buram")
    assert shown["en"][-1] == ("blurry", "The scan is blurry")


def test_a_catalogue_reason_and_an_unknown_code(mall: Mall, store: MemoryStore) -> None:
    """A catalogue's own ``reason.*`` text is served; a code with no text has none."""
    stamp = Message(
        key="reason.stamp_missing",
        text=LocalizedText.of(id="Stempel belum ada", en="The stamp is missing"),
    )
    extended = Mall(
        catalogue=attrs.evolve(mall.catalogue, messages=(stamp,)),
        store=store,
        clock=mall.clock,
    )
    number, secret = _sent_back(extended, "stamp_missing")
    (*_, needed) = extended.track(number, secret, language="en").needed
    assert needed.reason_text == "The stamp is missing"
    number, secret = _sent_back(extended, "coffee_stain")
    (*_, needed) = extended.track(number, secret, language="en").needed
    assert (needed.reason, needed.reason_text) == ("coffee_stain", None)
