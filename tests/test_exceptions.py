"""The exception tree: drawn once in `onestop.exceptions`, written in private modules by area.

The drawing in the package docstring is what a reader trusts, so it is checked against the
real classes; each class names `onestop.exceptions` as its module, so that its repr, its
pickle and the API reference show the public path, whichever private module holds it.
"""

from __future__ import annotations

import copy
import pickle
import re
from datetime import UTC, datetime

import cattrs
import pytest

import onestop.exceptions as exc
from onestop.domain.catalogue.model import Agency
from onestop.serialization import make_converter, problems_from

AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
PROBLEMS = [exc.Problem(path="services[0].name", message="is empty", file="c.toml")]

#: One instance of every exception class (two where the message has two forms), and the
#: message it had before the module became a package: messages are part of the interface.
SAMPLES: list[tuple[exc.OnestopError, str]] = [
    (exc.OnestopError("boom"), "boom"),
    (exc.ConfigurationError("unknown scheme 'x'"), "unknown scheme 'x'"),
    (exc.TransientError("later"), "later"),
    (exc.ApplicationError("refused"), "refused"),
    (
        exc.InvalidApplication(PROBLEMS),
        "application has 1 problem(s): c.toml: services[0].name: is empty",
    ),
    (
        exc.ChannelNotOffered(service="ktp", channel="online", offered=["counter"]),
        "service 'ktp' is not offered through channel 'online'; offered: counter",
    ),
    (
        exc.CommandRefused(command="resume", reason="not suspended"),
        "'resume' refused: not suspended",
    ),
    (
        exc.IdempotencyConflict(application_id="app-1"),
        (
            "this idempotency key was already used with a different request (it created "
            "application 'app-1'); use a new key for a new request"
        ),
    ),
    (
        exc.ConcurrencyConflict(stream_id="app-1", expected=2, actual=3),
        "stream 'app-1' is at version 3, not 2; reload and retry",
    ),
    (
        exc.HeadMoved(stream_id="app-1", expected=2, actual=3),
        (
            "stream 'app-1' moved since it was read (now at version 3, read at 2): its "
            "history was not rewritten; read it again and retry"
        ),
    ),
    (exc.InvalidStoreInput(field="limit", reason="must be positive"), "limit: must be positive"),
    (exc.StorageError("driver failed"), "driver failed"),
    (exc.StorageUnavailable("busy"), "busy"),
    (exc.PrivacyError("sealing failed"), "sealing failed"),
    (exc.DocumentError("refused"), "refused"),
    (
        exc.DocumentTooLarge(limit=10, size=11),
        "the document is larger than the limit of 10 bytes",
    ),
    (
        exc.UnsupportedMediaType(declared="image/png", sniffed="image/jpeg", reason="lies"),
        "unsupported document (declared 'image/png', bytes show 'image/jpeg'): lies",
    ),
    (
        exc.MalformedDocument(media_type="image/png", reason="truncated"),
        "a malformed image/png document: truncated",
    ),
    (
        exc.MalwareFound(scanner="eicar", signature="Eicar-Test-Signature"),
        "scanner 'eicar' found 'Eicar-Test-Signature': not kept",
    ),
    (
        exc.ScannerUnavailable(reason="ConnectionRefusedError"),
        "the malware scanner failed ('ConnectionRefusedError'): not kept",
    ),
    (exc.DocumentNotFound(document_id="doc-1"), "no document 'doc-1'"),
    (
        exc.KeyUnavailable(key_id="k1", reason="not in the key file"),
        "master key 'k1' is unavailable: not in the key file",
    ),
    (exc.PersonalDataErased(), "the personal data was erased"),
    (
        exc.PersonalDataErased(subject="a1/applicant"),
        "the personal data of subject 'a1/applicant' was erased",
    ),
    (exc.CatalogueError("bad"), "bad"),
    (exc.CatalogueReadError(path="c.toml", reason="no such file"), "c.toml: no such file"),
    (
        exc.InvalidCatalogue(PROBLEMS),
        "catalogue has 1 problem(s): c.toml: services[0].name: is empty",
    ),
    (
        exc.RuleSyntaxError(expression="a ==", position=4, reason="expected a value"),
        "expected a value at position 4 in rule 'a =='",
    ),
    (exc.InvalidValue(field="id", reason="is empty"), "id: is empty"),
    (
        exc.AmountTooPrecise(field="amount", currency="KRW", minor_units=0),
        "amount: KRW has 0 minor units in ISO 4217: an amount in it has no digits after the point",
    ),
    (exc.PrivacyError("cannot"), "cannot"),
    (
        exc.KeyUnavailable(key_id="mk-1", reason="no master key with this id"),
        "master key 'mk-1' is unavailable: no master key with this id",
    ),
    (exc.KeyUnavailable(key_id=None, reason="down"), "a key is unavailable: down"),
    (
        exc.PersonalDataErased(subject="app-1/applicant"),
        "the personal data of subject 'app-1/applicant' was erased",
    ),
    (exc.PersonalDataErased(), "the personal data was erased"),
    (
        exc.ErasureRefused(application_id="app-1", rule="legal_hold"),
        "erasure of application 'app-1' refused by rule 'legal_hold'",
    ),
    (
        exc.ErasureRefused(application_id="app-1", rule="open", detail="not closed"),
        "erasure of application 'app-1' refused by rule 'open': not closed",
    ),
    (
        exc.KeyFileError(path="keys.txt", reason="readable by others"),
        "keys.txt: readable by others",
    ),
    (exc.CalendarError("bad"), "bad"),
    (
        exc.InvalidCalendar(field="closures[0]", reason="ends before it starts"),
        "closures[0]: ends before it starts",
    ),
    (exc.DateOutOfRange(field="at", reason="past 9999"), "at: past 9999"),
    (
        exc.NaiveDatetime("at"),
        "at must be a timezone-aware datetime (give tzinfo, e.g. ZoneInfo('Asia/Jakarta'))",
    ),
    (
        exc.UnsupportedCountry("zz", supported=["id", "sg"]),
        "no work calendar for country 'zz'; supported: id, sg",
    ),
    (exc.PartyError("bad"), "bad"),
    (
        exc.InvalidIdentityNumber(scheme="id-nik", problems=["is 15 digits", "bad date"]),
        "not a valid id-nik number: is 15 digits; bad date",
    ),
    (
        exc.UnknownIdentityScheme("xx", known=["id-nik"]),
        "no identity validator for scheme 'xx'; known: id-nik",
    ),
    (exc.AuditError("bad"), "bad"),
    (exc.NotCanonical(path="$.fee", reason="a float"), "$.fee: a float"),
    (exc.CheckpointError("no heads"), "no heads"),
    (
        exc.InvalidCheckpoint(path="$.heads[0].hash", reason="not a SHA-256 hash"),
        "checkpoint $.heads[0].hash: not a SHA-256 hash",
    ),
    (
        exc.CheckpointSignatureInvalid("the signature does not verify"),
        "checkpoint not trusted: the signature does not verify",
    ),
    (
        exc.CheckpointRefused(stream="courier:a1", problem="altered"),
        "no checkpoint: stream courier:a1 is broken: altered",
    ),
    (
        exc.SigningKeyError(path="/k/key.pem", reason="readable by others"),
        "key file /k/key.pem: readable by others",
    ),
    (exc.ChainError("hash is not 64 hex digits"), "hash is not 64 hex digits"),
    (
        exc.ChainBroken(index=2, version=3, problem="previous hash differs"),
        "entry 2 (version 3): previous hash differs",
    ),
    (exc.TransportError("bad"), "bad"),
    (exc.InvalidWebhookInput(argument="secrets[1]", reason="too short"), "secrets[1]: too short"),
    (
        exc.WebhookVerificationError("expired", header="webhook-timestamp"),
        "webhook refused (expired): the webhook-timestamp is older than the tolerance allows",
    ),
    (
        exc.DeliveryFailed(
            message_id="m1",
            destination="example.org",
            reason="HTTP 503",
            status=503,
            retry_after=2.5,
        ),
        "delivery of 'm1' to example.org failed: HTTP 503",
    ),
    (
        exc.DeliveryTimeout(message_id="m1", destination=None, reason="timed out"),
        "delivery of 'm1' failed: timed out",
    ),
    (
        exc.CircuitOpen(upstream="bpn", retry_after=30.0),
        "the circuit to 'bpn' is open; next probe in 30.0 s",
    ),
    (
        exc.CircuitOpen(upstream="bpn", retry_after=30.0, message_id="m2"),
        "delivery of 'm2' to bpn failed: the circuit is open; next probe in 30.0 s",
    ),
    (
        exc.DeliveryRejected(
            message_id="m1", destination="example.org", reason="HTTP 422", status=422
        ),
        "delivery of 'm1' to example.org rejected: HTTP 422",
    ),
    (
        exc.EndpointDisabled(destination="example.org", reason="410 Gone"),
        "endpoint example.org is disabled: 410 Gone",
    ),
    (
        exc.EndpointNotAllowed(destination="example.org", address="10.0.0.1"),
        (
            "endpoint example.org is not allowed: it resolves to 10.0.0.1, which is not a "
            "public address"
        ),
    ),
    (
        exc.HostNotResolved(host="nowhere.invalid", reason="no address"),
        "the host 'nowhere.invalid' did not resolve: no address",
    ),
    (exc.CallbackRefused("status 'x' is not mapped"), "callback refused: status 'x' is not mapped"),
    (
        exc.IdentityProviderError(issuer="https://id.example.gov", reason="no discovery document"),
        "identity provider 'https://id.example.gov': no discovery document",
    ),
    (
        exc.IdentityProviderUnavailable(issuer="https://id.example.gov", reason="HTTP 503"),
        "identity provider 'https://id.example.gov': HTTP 503",
    ),
    (
        exc.IdentityNotVerified(
            issuer="https://id.example.gov", check="nonce", reason="the nonce is not the one sent"
        ),
        (
            "identity provider 'https://id.example.gov': sign-in not verified (nonce): "
            "the nonce is not the one sent"
        ),
    ),
    (exc.CourierError("bad"), "bad"),
    (
        exc.InvalidPacket(seal_id="s1", problems=["no documents"]),
        "packet 's1' is invalid: no documents",
    ),
    (
        exc.JobRefused(job_id="j1", command="claim", status="delivered", reason="closed"),
        "'claim' refused on courier job 'j1' (delivered): closed",
    ),
    (
        exc.AlreadyClaimed(job_id="j1", status="claimed"),
        "'claim' refused on courier job 'j1' (claimed): another claim was accepted first",
    ),
    (
        exc.TimeWentBackwards(at=AT, latest=AT),
        (
            "2026-01-02T03:04:05+00:00 is not after the latest recorded instant "
            "2026-01-02T03:04:05+00:00"
        ),
    ),
    (exc.CustodyError("bad"), "bad"),
    (exc.NotCustodian(seal_id="s1", party="courier:c1"), "courier:c1 does not hold packet 's1'"),
    (
        exc.CourierNotAssigned(courier_id="c1", job_id="j1"),
        "courier 'c1' is not assigned to courier job 'j1'",
    ),
    (exc.CourierNotAssigned(courier_id="c1"), "courier 'c1' is not assigned to this courier job"),
    (exc.AlreadyDelivered(seal_id="s1"), "packet 's1' was delivered; no handoff may follow"),
    (
        exc.HandoffRefused(reason="a confirmation is missing"),
        "handoff refused: a confirmation is missing",
    ),
    (exc.CodeRejected(handoff_id="h1"), "the one-time code was rejected (handoff 'h1')"),
    (exc.WrongCode(handoff_id="h1"), "the one-time code does not match (handoff 'h1')"),
    (exc.CodeAlreadyUsed(handoff_id="h1"), "the one-time code was already used (handoff 'h1')"),
    (
        exc.CodeExpired(handoff_id="h1", expired_at=AT),
        "the one-time code has expired (handoff 'h1')",
    ),
    (
        exc.CodeForAnotherHandoff(handoff_id="h1"),
        "the one-time code was issued for another handoff (handoff 'h1')",
    ),
    (
        exc.CodeForAnotherApplication(handoff_id="h1"),
        "the one-time code was issued for another application (handoff 'h1')",
    ),
    (
        exc.CodeNotIssued(handoff_id="h1"),
        "no one-time code was issued for this handoff (handoff 'h1')",
    ),
    (
        exc.TooManyWrongCodes(handoff_id="h1"),
        "too many wrong one-time codes; issue a new code (handoff 'h1')",
    ),
    (exc.NotFound("nothing"), "nothing"),
    (exc.AccountNotFound("officer-ana"), "no staff account 'officer-ana'"),
    (exc.StaffError("refused"), "refused"),
    (exc.AccountExists("officer-ana"), "the staff account 'officer-ana' exists already"),
    (
        exc.AccountLocked(retry_after=900),
        "too many failed sign-ins; try again in 900 seconds",
    ),
    (exc.NotAuthorised(action="grant", reason="no"), "'grant' not authorised: no"),
    (
        exc.SecondFactorRequired(),
        "a one-time code from the account's authenticator is needed",
    ),
    (exc.SignInRefused(), "the account, password or code is not right"),
    (exc.WeakPassword(reason="too short"), "the password is refused: too short"),
    (exc.AgencyNotFound("bpn"), "no agency with code 'bpn'"),
    (exc.ApplicationNotFound("app-1"), "no application with id 'app-1'"),
    (exc.ApplicationNotFound(None), "no application matches this number and secret"),
    (exc.CatalogueVersionNotFound(3), "no catalogue version 3"),
    (exc.CatalogueVersionNotFound(None), "no catalogue has been published"),
    (exc.JobNotFound("j1"), "no courier job with id 'j1'"),
    (exc.PacketNotFound("s1"), "no packet sealed with id 's1'"),
    (
        exc.ServiceNotFound("ktp", at=AT, known=["sim"]),
        "no published service 'ktp' in effect at 2026-01-02T03:04:05+00:00; known: sim",
    ),
    (exc.StateNotFound(workflow="w", state="s"), "workflow 'w' has no state 's'"),
    (exc.WorkflowNotFound("w"), "no workflow with code 'w'"),
    (
        exc.WorkflowVersionNotFound("w", 3, known=[1, 2]),
        "no version 3 of workflow 'w'; known versions: 1, 2",
    ),
    (exc.WorkflowError("bad"), "bad"),
    (
        exc.InvalidWorkflow("w", PROBLEMS),
        "workflow 'w' is invalid: c.toml: services[0].name: is empty",
    ),
    (
        exc.TransitionNotAllowed(workflow="w", state="s", action="a", reason="no", allowed=["b"]),
        "'a' is not allowed in state 's' of workflow 'w': no (allowed now: b)",
    ),
    (
        exc.RoleNotAllowed(workflow="w", state="s", action="a", reason="no role"),
        "'a' is not allowed in state 's' of workflow 'w': no role (allowed now: none)",
    ),
    (
        exc.GuardFailed(workflow="w", state="s", action="a", guard="g", reason="no"),
        (
            "'a' is not allowed in state 's' of workflow 'w': guard 'g' refused: no (allowed "
            "now: none)"
        ),
    ),
    (
        exc.SeparationOfDutiesViolation(
            workflow="w", state="s", action="a", actor="o1", earlier_action="b"
        ),
        (
            "'a' is not allowed in state 's' of workflow 'w': actor 'o1' already took 'b' on "
            "this application (allowed now: none)"
        ),
    ),
    (
        exc.MissingInput(workflow="w", state="s", action="a", missing=["x"]),
        "'a' is not allowed in state 's' of workflow 'w': missing input(s): x (allowed now: none)",
    ),
    (exc.UnknownGuard("g", known=["h"]), "no guard named 'g'; known: h"),
    (exc.MigrationError(PROBLEMS), "migration plan is invalid: c.toml: services[0].name: is empty"),
    (
        exc.WorkflowVersionConflict("w", 2),
        (
            "workflow 'w' version 2 is already published with a different definition; "
            "publish the change as a new version"
        ),
    ),
    (exc.PrivacyError("sealing failed"), "sealing failed"),
    (
        exc.ErasureRefused(application_id="app-1", rule="legal_hold", detail="a hold is on it"),
        "erasure of application 'app-1' refused by rule 'legal_hold': a hold is on it",
    ),
    (exc.WebError("refused"), "refused"),
    (
        exc.InvalidRequest(PROBLEMS, status=400),
        "request has 1 problem(s): c.toml: services[0].name: is empty",
    ),
    (
        exc.NotAuthenticated(),
        "a signed-in browser or a known API token is needed for this request",
    ),
    (
        exc.CsrfRefused(),
        (
            "a signed-in browser's request that changes something must echo the session's "
            "CSRF token (the onestop_csrf cookie) in the X-CSRF-Token header"
        ),
    ),
    (
        exc.SubmissionInProgress(),
        "a submission with this idempotency key is in progress: retry when it has finished",
    ),
    (exc.Throttled(limit="lookups", retry_after=60), "too many lookups: try again in 60 seconds"),
    (
        exc.VersionMismatch(expected=2, actual=3),
        "the application is at version 3, not 2: reload it",
    ),
]
#: Test ids: the class of each sample.
IDS = [type(error).__name__ for error, _ in SAMPLES]

_LINE = re.compile(
    r"(?P<indent>(?:│   |    )*)(?P<branch>[├└]── )?(?P<name>[A-Z]\w*)"
    r"(?: \((?P<bases>[A-Z]\w*(?:, [A-Z]\w*)*)\))?(?:\s|$)"
)


def drawn_tree() -> dict[str, tuple[str | None, tuple[str, ...]]]:
    """Read the tree drawn in the docstring: each class's drawn parent and other bases.

    A class's parent is the line it hangs from; names in parentheses right after its
    name are its other bases, in order (``StorageUnavailable (TransientError)``).
    """
    assert exc.__doc__ is not None
    block = exc.__doc__.split("The tree::\n\n", 1)[1].split("\n\n", 1)[0]
    tree: dict[str, tuple[str | None, tuple[str, ...]]] = {}
    path: list[str] = []
    for line in block.splitlines():
        match = _LINE.match(line.removeprefix("    "))
        assert match is not None, f"not a line of the tree: {line!r}"
        depth = len(match["indent"]) // 4 + (1 if match["branch"] else 0)
        assert depth <= len(path), f"{match['name']} hangs from nothing: {line!r}"
        del path[depth:]
        bases = tuple(match["bases"].split(", ")) if match["bases"] else ()
        assert match["name"] not in tree, f"{match['name']} is drawn twice"
        tree[match["name"]] = (path[-1] if path else None, bases)
        path.append(match["name"])
    return tree


def exception_classes() -> set[type[BaseException]]:
    """Every exception class reachable from `onestop.exceptions`: its names and their subclasses."""
    found: set[type[BaseException]] = set()
    todo = [v for v in vars(exc).values() if isinstance(v, type) and issubclass(v, BaseException)]
    while todo:
        cls = todo.pop()
        if cls not in found and cls.__module__.startswith("onestop.exceptions"):
            found.add(cls)
            todo.extend(cls.__subclasses__())
    return found


def real_tree() -> dict[str, tuple[str | None, tuple[str, ...]]]:
    """The hierarchy as the classes define it, in the drawing's terms."""
    ours = exception_classes()
    tree: dict[str, tuple[str | None, tuple[str, ...]]] = {}
    for cls in ours:
        first, *others = cls.__bases__
        parent = first.__name__ if first in ours else None
        tree[cls.__name__] = (parent, tuple(base.__name__ for base in others))
    return tree


def test_every_exception_class_is_drawn() -> None:
    """Every exception class reachable from `onestop.exceptions` appears in the drawn tree."""
    assert sorted(real_tree().keys() - drawn_tree().keys()) == []


def test_nothing_is_drawn_that_does_not_exist() -> None:
    """Every class drawn in the tree is an exception class of `onestop.exceptions`."""
    assert sorted(drawn_tree().keys() - real_tree().keys()) == []


def test_each_drawn_class_hangs_from_its_real_parent() -> None:
    """Each drawn class hangs from its first base and names its other bases in parentheses."""
    drawn, real = drawn_tree(), real_tree()
    wrong = {name: (drawn[name], real[name]) for name in drawn.keys() & real.keys()}
    assert {name: pair for name, pair in wrong.items() if pair[0] != pair[1]} == {}


def test_the_tree_has_one_root() -> None:
    """`OnestopError` is the only class drawn without a parent, and it derives from Exception."""
    roots = [name for name, (parent, _) in drawn_tree().items() if parent is None]
    assert roots == ["OnestopError"]
    assert exc.OnestopError.__bases__ == (Exception,)


def test_every_exception_class_is_exported() -> None:
    """Every exception class of the package is in `onestop.exceptions.__all__`."""
    assert (
        sorted(cls.__name__ for cls in exception_classes() if cls.__name__ not in exc.__all__) == []
    )


@pytest.mark.parametrize("name", [n for n in exc.__all__ if isinstance(getattr(exc, n), type)])
def test_each_class_names_the_public_module(name: str) -> None:
    """Each exported class says it lives in `onestop.exceptions`, where it can be found by name."""
    cls = getattr(exc, name)
    assert cls.__module__ == "onestop.exceptions"
    assert getattr(exc, cls.__qualname__) is cls


def test_the_samples_cover_every_exception_class() -> None:
    """The samples below hold an instance of every exception class of the package."""
    assert {type(error) for error, _ in SAMPLES} == exception_classes()


@pytest.mark.parametrize(("error", "message"), SAMPLES, ids=IDS)
def test_message_and_repr_are_unchanged(error: exc.OnestopError, message: str) -> None:
    """An exception's message is as before the split, and its repr is its class and message."""
    assert str(error) == message
    assert repr(error) == f"{type(error).__name__}({message!r})"


@pytest.mark.parametrize(("error", "message"), SAMPLES, ids=IDS)
def test_every_exception_pickles_with_its_attributes(error: exc.OnestopError, message: str) -> None:
    """Every exception pickles under ``onestop.exceptions`` and comes back with its attributes."""
    data = pickle.dumps(error)
    assert b"onestop.exceptions._" not in data
    back = pickle.loads(data)  # noqa: S301 - our own bytes
    assert (type(back), back.args, vars(back)) == (type(error), error.args, vars(error))
    assert (str(back), repr(back)) == (message, repr(error))


@pytest.mark.parametrize(("error", "message"), SAMPLES, ids=IDS)
def test_a_copy_is_equal_in_everything_but_identity(error: exc.OnestopError, message: str) -> None:
    """`copy.copy` of an exception has its class, message and attributes."""
    copied = copy.copy(error)
    assert copied is not error
    assert (type(copied), str(copied), vars(copied)) == (type(error), message, vars(error))


def test_invalid_value_belongs_to_no_area() -> None:
    """`InvalidValue` is an `OnestopError` and a `ValueError`, and no longer a `CatalogueError`."""
    error = exc.InvalidValue(field="id", reason="has upper-case letters")
    assert isinstance(error, exc.OnestopError)
    assert isinstance(error, ValueError)
    assert not isinstance(error, exc.CatalogueError)


def test_a_value_refused_while_structuring_keeps_its_message() -> None:
    """An `InvalidValue` met while reading a catalogue becomes a problem in its own words."""
    agency = {
        "code": "bpn",
        "name": {"en": "Land agency"},
        "kind": "national",
        "time_zone": "Asia/Jakarta",
        "contacts": [{"kind": "email", "value": "not an address"}],
    }
    with pytest.raises(cattrs.ClassValidationError) as caught:
        make_converter().structure(agency, Agency)
    assert problems_from(caught.value, path="agencies[0]") == [
        exc.Problem(path="agencies[0].contacts[0]", message="value: is not a valid e-mail address")
    ]
