"""A citizen sign-in at its edges: a failing adapter, reserved subjects, a number's forms,
an expired representative, an erased application."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from citizen_double import CHOSEN
from web_support import in_process, kia_body, new_key, settings_for

from onestop.domain.common.actors import Actor
from onestop.domain.common.parties import Person
from onestop.domain.common.personal import Personal
from onestop.exceptions import InvalidValue
from onestop.ports.citizens import CitizenIdentity
from onestop.testing.documents import sample_pdf
from onestop.usecases.privacy import PrivacyDesk
from onestop.web._citizens import citizen_actor

A, B = "3171012501900001", "3171012501900002"
NUMBERS = {"a": A, "b": B}


@pytest.fixture
def answer() -> Iterator[Callable[[Callable[[Mapping[str, str]], Any]], None]]:
    """Set what the chosen sign-in answers; put the default back afterwards."""
    before = CHOSEN[0]

    def choose(made: Callable[[Mapping[str, str]], Any]) -> None:
        CHOSEN[0] = made

    yield choose
    CHOSEN[0] = before


def _settings(tmp_path: Path) -> Any:
    return settings_for(tmp_path, citizen_sign_in="citizen_double:chosen")


def _by_probe(headers: Mapping[str, str]) -> CitizenIdentity:
    who = headers["x-probe"]
    return CitizenIdentity(
        subject=f"nid-{who}",
        assurance="high",
        identity_scheme="id-nik",
        identity_number=NUMBERS[who],
    )


def _raises(error: Exception) -> Callable[[Mapping[str, str]], Any]:
    def made(headers: Mapping[str, str]) -> Any:
        raise error

    return made


@pytest.mark.parametrize(
    "made",
    [
        _raises(RuntimeError("provider down")),
        _raises(OSError("connection refused")),
        lambda headers: "not an identity",
        lambda headers: CitizenIdentity(subject="x" * 125, assurance="high"),
        lambda headers: CitizenIdentity(subject="online", assurance="high"),
    ],
    ids=["runtime-error", "os-error", "not-an-identity", "subject-too-long", "anonymous-subject"],
)
def test_a_failing_sign_in_is_the_providers_502_on_both_apis(
    tmp_path: Path, answer: Any, made: Any
) -> None:
    """Whatever an adapter raises or answers that is not a citizen's identity (a subject
    too long for an actor id, the anonymous citizen's own) is a 502 IdentityProviderError,
    never a 500 or a problem blamed on the citizen's body, over the API and Open311."""
    answer(made)
    with in_process(_settings(tmp_path)) as client:
        api = client.post(
            "/api/v1/applications",
            json=kia_body(nik=A),
            headers={"Idempotency-Key": new_key(), "X-Probe": "a"},
        )
        open311 = client.post(
            "/open311/v2/requests.json",
            data={
                "service_code": "kia",
                "first_name": "Ani",
                "attribute[applicant.identity_number]": A,
                "attribute[applicant.identity_scheme]": "id-nik",
                "attribute[child_nik]": "3171016512150002",
                "attribute[child_name]": "Budi",
                "attribute[age_group]": "under_5",
            },
            headers={"X-Probe": "a"},
        )
    assert api.status_code == 502, api.text
    assert api.json()["type"] == "urn:onestop:problem:IdentityProviderError"
    assert open311.status_code == 502, open311.text


@pytest.mark.parametrize("subject", ["online", "x" * 121])
def test_a_citizen_identity_refuses_a_subject_no_citizen_can_hold(subject: str) -> None:
    """The anonymous citizen's subject, and one too long for ``citizen:<subject>``, are
    refused when the identity is made."""
    with pytest.raises(InvalidValue, match="subject"):
        CitizenIdentity(subject=subject, assurance="high")


@pytest.mark.parametrize(
    ("scheme", "written", "vouched"),
    [
        ("kr-rrn", "900101-1234567", "9001011234567"),
        ("xx-passport", "ab 123456", "AB123456"),
        ("xx-cpf", "390.533.447-05", "39053344705"),
    ],
)
def test_a_number_in_another_written_form_is_the_same_citizens(
    scheme: str, written: str, vouched: str
) -> None:
    """A number written with separators, spaces or in other case is the signed-in
    holder's own, as the blind index reads it (`normalised_identity`)."""

    class Vouching:
        def identify(self, headers: Mapping[str, str], /) -> CitizenIdentity:
            return CitizenIdentity(
                subject="holder-a",
                assurance="high",
                identity_scheme=scheme,
                identity_number=vouched,
            )

    person = Person(identity_number=Personal(written), identity_scheme=scheme, name=Personal("Kim"))
    actor = citizen_actor(Vouching(), {}, applicant=person, representative=None)
    assert actor == Actor(id="citizen:holder-a", roles={"applicant"})


class _At:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def _give(client: Any, receipt: dict[str, Any], who: str | None) -> Any:
    upload = client.post(
        "/api/v1/uploads", content=sample_pdf(), headers={"Content-Type": "application/pdf"}
    )
    headers = {"Lookup-Secret": receipt["lookup_secret"]}
    if who is not None:
        headers["X-Probe"] = who
    return client.post(
        "/api/v1/tracking/documents",
        params={"number": receipt["number"]},
        headers=headers,
        json={"requirement": "kk", "document_id": upload.json()["document_id"]},
    )


def test_a_representative_whose_authorisation_expired_gives_no_document(
    tmp_path: Path, answer: Any
) -> None:
    """A signed-in representative may act only while the authorisation holds: once it has
    expired, a late document from them is 422 at ``representative.valid_until``."""
    answer(_by_probe)
    today = datetime.now(UTC)
    body = kia_body(nik=B)
    body["representative"] = {
        "person": {"identity_number": A, "identity_scheme": "id-nik", "name": "Agus"},
        "authorisation": "surat kuasa 1",
        "valid_until": (today - timedelta(days=3)).date().isoformat(),
    }
    with in_process(_settings(tmp_path)) as client:
        mall = client.app.state.runtime.mall
        clock = mall.clock
        mall.clock = _At(today - timedelta(days=5))  # submitted while it held
        sent = client.post(
            "/api/v1/applications",
            json=body,
            headers={"Idempotency-Key": new_key(), "X-Probe": "a"},
        )
        mall.clock = clock
        assert sent.status_code == 201, sent.text
        late = _give(client, sent.json(), "a")
    assert late.status_code == 422, late.text
    assert late.json()["problems"] == [
        {"path": "representative.valid_until", "message": "the authorisation has expired"}
    ]


def test_an_erased_application_is_closed_to_its_own_applicant_too(
    tmp_path: Path, answer: Any
) -> None:
    """A late document for a withdrawn and erased application is the same 409 for its
    signed-in applicant as for anyone, not a claim that the number is not theirs."""
    answer(_by_probe)
    with in_process(_settings(tmp_path)) as client:
        mall = client.app.state.runtime.mall
        sent = client.post(
            "/api/v1/applications",
            json=kia_body(nik=A),
            headers={"Idempotency-Key": new_key(), "X-Probe": "a"},
        )
        receipt = sent.json()
        mall.withdraw(
            receipt["application_id"], actor=Actor(id="citizen:nid-a", roles={"applicant"})
        )
        PrivacyDesk(mall).erase(
            receipt["number"],
            legal_basis="UU 27/2022 art. 8",
            actor=Actor(id="officer-x", roles={"agency_officer"}),
            overriding=True,
        )
        signed_in = _give(client, receipt, "a")
        anonymous = _give(client, receipt, None)
    assert signed_in.status_code == anonymous.status_code == 409, signed_in.text
    assert signed_in.json()["type"] == anonymous.json()["type"]
