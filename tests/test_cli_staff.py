"""``onestop staff``: accounts, grants, credentials and the access record, end to end on stores."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from onestop.cli import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, _staff_common, main
from onestop.privacy import generate_key_file
from onestop.privacy.passwords import Argon2Hasher

PASSWORD = "correct horse battery staple"  # noqa: S105 - a test password


@pytest.fixture(autouse=True)
def weak_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash with the least Argon2 work, so that the tests stay quick."""
    monkeypatch.setattr(
        _staff_common, "hasher", lambda: Argon2Hasher(memory_cost=8, time_cost=1, parallelism=1)
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new store's URL: a SQLite file, or a PostgreSQL schema of its own (dropped after)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'staff.sqlite3'}"
        return
    import psycopg
    from psycopg import sql

    base = request.getfixturevalue("postgres_url")
    schema = f"onestop_cli_staff_{secrets.token_hex(6)}"
    try:
        yield f"{base}{'&' if '?' in base else '?'}schema={schema}"
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


class Run:
    """What one command printed and its exit status."""

    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    @property
    def json(self) -> Any:
        return json.loads(self.out)


def run(*args: str, stdin: str | bytes | None = None) -> Run:
    """Run ``onestop ARGS`` with *stdin*; a traceback or an internal error fails the test."""
    with CliRunner().isolation(input=stdin) as (out, err, _):
        code = main(list(args))
        found = Run(code, out.getvalue().decode(), err.getvalue().decode())
    assert "Traceback" not in found.out + found.err
    assert "internal error" not in found.err
    return found


def refused(found: Run, code: int) -> str:
    """Assert *found* exited *code* with one error line on stderr; return the line."""
    assert found.code == code, (found.code, found.out, found.err)
    lines = found.err.strip().splitlines()
    assert len(lines) == 1, found.err
    assert lines[0].startswith("error: ")
    return lines[0]


def staff(store: str, *args: str, stdin: str | bytes | None = None) -> Run:
    return run("staff", *args, "--store", store, stdin=stdin)


def listed(store: str, *args: str) -> dict[str, Any]:
    found = staff(store, "list", "--json", *args)
    assert found.code == EXIT_OK, found.err
    return {a["account"]: a for a in found.json["accounts"]}


def desk(store: str) -> Any:
    """A staff desk over the store, for what the command line does not do (signing in)."""
    from onestop.storage import from_url
    from onestop.usecases.mall_support import RandomIds, SystemClock
    from onestop.usecases.staff import StaffDesk

    opened = from_url(store)
    return StaffDesk(
        events=opened,
        staff=opened,
        clock=SystemClock(),
        ids=RandomIds(),
        hasher=_staff_common.hasher(),
    ), opened


def later(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


# --- add, grant, revoke, list --------------------------------------------------------


def test_first_admin_is_made_by_the_operator(store: str) -> None:
    """On a new store, the operator adds an account and grants it staff_admin, recorded as cli."""
    added = staff(store, "add", "admin-budi", "--password-stdin", "--json", stdin=PASSWORD + "\n")
    assert added.code == EXIT_OK, added.err
    assert added.json["account"]["account"] == "admin-budi"
    assert added.json["account"]["password"] is True
    assert added.json["account"]["added_by"] == "cli"
    granted = staff(store, "grant", "admin-budi", "staff_admin", "--json")
    assert granted.code == EXIT_OK, granted.err
    shown = granted.json["assignment"]
    assert (shown["role"], shown["agency"], shown["granted_by"]) == ("staff_admin", None, "cli")
    assert shown["state"] == "in_force"
    assert listed(store)["admin-budi"]["assignments"] == [shown]


def test_list_json_shape(store: str) -> None:
    """list --json gives each account's status, password, second factor, assignments, tokens."""
    assert staff(store, "add", "officer-ana").code == EXIT_OK
    found = staff(store, "list", "--json")
    assert found.code == EXIT_OK
    assert set(found.json) == {"at", "accounts"}
    (account,) = found.json["accounts"]
    assert set(account) == {
        "account",
        "status",
        "password",
        "second_factor",
        "version",
        "added_at",
        "added_by",
        "assignments",
        "identities",
        "tokens",
    }
    assert (account["status"], account["password"], account["second_factor"]) == (
        "active",
        False,
        False,
    )


def test_grant_per_agency_with_dates(store: str) -> None:
    """A grant at an agency from and until given times is listed as scheduled until it starts."""
    staff(store, "add", "officer-ana")
    start, end = later(10), later(40)
    found = staff(
        store, "grant", "officer-ana", "approver", "--agency", "dpmptsp",
        "--from", start, "--until", end, "--json",
    )  # fmt: skip
    assert found.code == EXIT_OK, found.err
    shown = found.json["assignment"]
    assert shown["agency"] == "dpmptsp"
    assert datetime.fromisoformat(shown["valid_from"]) == datetime.fromisoformat(start)
    assert datetime.fromisoformat(shown["valid_until"]) == datetime.fromisoformat(end)
    assert shown["state"] == "scheduled"
    text = staff(store, "list")
    assert "approver at dpmptsp" in text.out
    assert "scheduled" in text.out


def test_revoke_removes_the_assignment(store: str) -> None:
    """A revoked assignment is no longer listed; revoking it again exits 1."""
    staff(store, "add", "officer-ana")
    made = staff(store, "grant", "officer-ana", "verifier", "--agency", "dpmptsp", "--json")
    assignment = made.json["assignment"]["assignment_id"]
    found = staff(store, "revoke", "officer-ana", assignment, "--json")
    assert found.code == EXIT_OK, found.err
    assert found.json == {"account": "officer-ana", "revoked": assignment}
    assert listed(store)["officer-ana"]["assignments"] == []
    refused(staff(store, "revoke", "officer-ana", assignment), EXIT_PROBLEMS)


def test_adding_an_account_twice_exits_1(store: str) -> None:
    """An account that exists is not added again."""
    staff(store, "add", "officer-ana")
    line = refused(staff(store, "add", "officer-ana"), EXIT_PROBLEMS)
    assert "exists" in line


def test_unknown_account_exits_1(store: str) -> None:
    """Granting to, revoking from or disabling an unknown account exits 1 naming it."""
    for args in (
        ("grant", "officer-nobody", "verifier"),
        ("revoke", "officer-nobody", "a1"),
        ("disable", "officer-nobody"),
        ("token", "issue", "officer-nobody", "--name", "x"),
    ):
        line = refused(staff(store, *args), EXIT_PROBLEMS)
        assert "officer-nobody" in line


def test_disable_and_enable(store: str) -> None:
    """disable and enable change the listed status."""
    staff(store, "add", "officer-ana")
    found = staff(store, "disable", "officer-ana", "--json")
    assert found.code == EXIT_OK, found.err
    assert found.json["account"]["status"] == "disabled"
    assert listed(store)["officer-ana"]["status"] == "disabled"
    assert staff(store, "enable", "officer-ana").code == EXIT_OK
    assert listed(store)["officer-ana"]["status"] == "active"


# --- who acts -------------------------------------------------------------------------


def test_an_agency_admin_grants_only_at_their_agency(store: str) -> None:
    """--as an agency's staff_admin grants at that agency, recorded as them; elsewhere exits 1."""
    for account in ("admin-dpm", "officer-ana"):
        staff(store, "add", account)
    staff(store, "grant", "admin-dpm", "staff_admin", "--agency", "dpmptsp")
    found = staff(
        store, "grant", "officer-ana", "verifier", "--agency", "dpmptsp", "--as", "admin-dpm",
        "--json",
    )  # fmt: skip
    assert found.code == EXIT_OK, found.err
    assert found.json["assignment"]["granted_by"] == "admin-dpm"
    other = ("grant", "officer-ana", "verifier", "--agency", "dukcapil", "--as", "admin-dpm")
    refused(staff(store, *other), EXIT_PROBLEMS)
    assert [a["agency"] for a in listed(store)["officer-ana"]["assignments"]] == ["dpmptsp"]


def test_acting_as_an_unknown_account_exits_1(store: str) -> None:
    """--as an account that does not exist changes nothing."""
    line = refused(staff(store, "add", "officer-ana", "--as", "admin-nobody"), EXIT_PROBLEMS)
    assert line.startswith("error: --as:")
    assert listed(store) == {}


def test_acting_as_a_disabled_account_exits_1(store: str) -> None:
    """A disabled staff_admin holds no role: --as it changes nothing."""
    for account in ("admin-dpm", "officer-ana"):
        staff(store, "add", account)
    staff(store, "grant", "admin-dpm", "staff_admin")
    staff(store, "disable", "admin-dpm")
    refused(staff(store, "grant", "officer-ana", "verifier", "--as", "admin-dpm"), EXIT_PROBLEMS)
    assert listed(store)["officer-ana"]["assignments"] == []


# --- passwords ------------------------------------------------------------------------


@pytest.mark.parametrize("ending", ["\n", "\r\n", ""])
def test_a_password_on_stdin_loses_one_final_line_break(store: str, ending: str) -> None:
    """The password is standard input less one final line break: it signs in without it."""
    found = staff(store, "add", "officer-ana", "--password-stdin", stdin=PASSWORD + ending)
    assert found.code == EXIT_OK, found.err
    staff(store, "grant", "officer-ana", "verifier")
    found_desk, opened = desk(store)
    try:
        signed = found_desk.sign_in("officer-ana", PASSWORD)
        assert signed.identity.account_id == "officer-ana"
    finally:
        opened.close()


def test_spaces_around_a_password_are_kept(store: str) -> None:
    """Only a final line break is dropped: spaces are part of the password."""
    staff(store, "add", "officer-ana", "--password-stdin", stdin=f" {PASSWORD} \n")
    from onestop.exceptions import SignInRefused

    found_desk, opened = desk(store)
    try:
        with pytest.raises(SignInRefused):
            found_desk.sign_in("officer-ana", PASSWORD)
        assert found_desk.sign_in("officer-ana", f" {PASSWORD} ").identity.account_id
    finally:
        opened.close()


@pytest.mark.parametrize(
    ("stdin", "said"),
    [
        ("", "holds no password"),
        ("\n", "holds no password"),
        (f"{PASSWORD}\nsecond line\n", "one line"),
        (f"{PASSWORD}\n\n", "one line"),
        ("x" * 5000, "longer than"),
        (b"\xff\xfe" + PASSWORD.encode(), "UTF-8"),
    ],
)
def test_a_bad_password_input_is_refused_before_anything_is_added(
    store: str, stdin: str | bytes, said: str
) -> None:
    """Empty, multi-line, huge or undecodable input exits 2, and no account is added."""
    line = refused(staff(store, "add", "officer-ana", "--password-stdin", stdin=stdin), EXIT_USAGE)
    assert said in line
    assert listed(store) == {}


def test_a_weak_password_is_refused_unquoted(store: str) -> None:
    """A password the policy refuses exits 2 without echoing it, and adds no account."""
    weak = "short-pw"
    found = staff(store, "add", "officer-ana", "--password-stdin", "--json", stdin=weak + "\n")
    refused(found, EXIT_USAGE)
    assert weak not in found.out + found.err
    assert "officer-ana" not in listed(store)


def test_no_command_echoes_a_password(store: str, tmp_path: Path) -> None:
    """The password appears in no output, and in no byte of a SQLite store."""
    outputs = [
        staff(store, "add", "officer-ana", "--password-stdin", "--json", stdin=PASSWORD),
        staff(store, "password", "officer-ana", "--password-stdin", stdin=PASSWORD + "!\n"),
        staff(store, "list"),
        staff(store, "list", "--json"),
    ]
    for found in outputs:
        assert found.code == EXIT_OK
        assert PASSWORD not in found.out + found.err
    if store.startswith("sqlite:///"):
        data = Path(store.removeprefix("sqlite:///")).read_bytes()
        assert PASSWORD.encode() not in data


def test_password_needs_stdin_or_prompt(store: str) -> None:
    """staff password without --password-stdin or --password-prompt exits 2; both also."""
    staff(store, "add", "officer-ana")
    refused(staff(store, "password", "officer-ana"), EXIT_USAGE)
    both = ("password", "officer-ana", "--password-stdin", "--password-prompt")
    refused(staff(store, *both, stdin=PASSWORD), EXIT_USAGE)


def test_the_prompt_asks_twice_and_hides_the_password(store: str) -> None:
    """--password-prompt reads the password twice and never echoes it."""
    staff(store, "add", "officer-ana")
    found = staff(
        store, "password", "officer-ana", "--password-prompt", stdin=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert found.code == EXIT_OK, found.err
    assert PASSWORD not in found.out + found.err
    assert listed(store)["officer-ana"]["password"] is True


def test_a_prompt_that_is_not_answered_aborts(store: str) -> None:
    """A prompt whose input ends (or whose two entries never match) exits 2."""
    staff(store, "add", "officer-ana")
    found = staff(store, "password", "officer-ana", "--password-prompt", stdin=f"{PASSWORD}\nx\n")
    assert found.code == EXIT_USAGE
    assert listed(store)["officer-ana"]["password"] is False


# --- tokens and second factors --------------------------------------------------------


def test_a_token_is_printed_once_and_works(store: str) -> None:
    """token issue prints the token alone on stdout; list shows its id and name, never it."""
    staff(store, "add", "backoffice-dpm")
    staff(store, "grant", "backoffice-dpm", "verifier", "--agency", "dpmptsp")
    found = staff(store, "token", "issue", "backoffice-dpm", "--name", "DPM case system")
    assert found.code == EXIT_OK, found.err
    issued = found.out.strip()
    assert len(found.out.splitlines()) == 1
    assert issued not in found.err
    shown = listed(store)["backoffice-dpm"]["tokens"]
    assert [t["name"] for t in shown] == ["DPM case system"]
    assert issued not in json.dumps(shown)
    assert issued not in staff(store, "list").out
    found_desk, opened = desk(store)
    try:
        assert found_desk.bearer(issued).actor.holds("verifier", agency="dpmptsp")
    finally:
        opened.close()


def test_token_json_and_revoke(store: str) -> None:
    """token issue --json names the token once; token revoke takes it off the list."""
    staff(store, "add", "backoffice-dpm")
    expires = later(30)
    found = staff(
        store, "token", "issue", "backoffice-dpm", "--name", "case", "--expires", expires, "--json"
    )
    assert found.code == EXIT_OK, found.err
    assert set(found.json) == {"account", "token_id", "name", "expires_at", "token"}
    assert datetime.fromisoformat(found.json["expires_at"]) == datetime.fromisoformat(expires)
    token_id = found.json["token_id"]
    assert staff(store, "token", "revoke", "backoffice-dpm", token_id).code == EXIT_OK
    assert listed(store)["backoffice-dpm"]["tokens"] == []
    refused(staff(store, "token", "revoke", "backoffice-dpm", token_id), EXIT_PROBLEMS)


def test_second_factor_enrol_confirm_and_remove(store: str, tmp_path: Path) -> None:
    """totp enrol prints the otpauth URI once; confirmed with a code, list says yes; remove, no."""
    import pyotp

    keys = tmp_path / "mall.keys"
    generate_key_file(keys)
    staff(store, "add", "officer-ana")
    found = staff(store, "totp", "enrol", "officer-ana", "--key-file", str(keys))
    assert found.code == EXIT_OK, found.err
    assert found.out.startswith("otpauth://totp/")
    assert len(found.out.splitlines()) == 1
    assert listed(store)["officer-ana"]["second_factor"] is False
    seed = pyotp.parse_uri(found.out.strip())
    confirmed = staff(
        store, "totp", "confirm", "officer-ana", seed.now(), "--key-file", str(keys), "--json"
    )
    assert confirmed.code == EXIT_OK, confirmed.err
    assert confirmed.json == {"account": "officer-ana", "second_factor": True}
    assert listed(store)["officer-ana"]["second_factor"] is True
    assert seed.secret not in staff(store, "list", "--json").out
    assert staff(store, "totp", "remove", "officer-ana").code == EXIT_OK
    assert listed(store)["officer-ana"]["second_factor"] is False


def test_a_sealed_seed_is_not_in_the_store_in_clear(store: str, tmp_path: Path) -> None:
    """With --key-file, the seed is sealed: its base32 text is in no byte of a SQLite store."""
    import pyotp

    keys = tmp_path / "mall.keys"
    generate_key_file(keys)
    staff(store, "add", "officer-ana")
    found = staff(store, "totp", "enrol", "officer-ana", "--key-file", str(keys), "--json")
    secret = pyotp.parse_uri(found.json["uri"]).secret
    if store.startswith("sqlite:///"):
        assert secret.encode() not in Path(store.removeprefix("sqlite:///")).read_bytes()


def test_a_wrong_code_does_not_confirm(store: str) -> None:
    """A code that does not fit, or no enrolment pending, exits 1 and enrols nothing."""
    staff(store, "add", "officer-ana")
    refused(staff(store, "totp", "confirm", "officer-ana", "000000"), EXIT_PROBLEMS)
    staff(store, "totp", "enrol", "officer-ana")
    for code in ("000000", "x" * 5000, "12345\n"):
        found = staff(store, "totp", "confirm", "officer-ana", code)
        assert found.code in (EXIT_PROBLEMS, EXIT_USAGE), found.err
    assert listed(store)["officer-ana"]["second_factor"] is False


# --- the access record ----------------------------------------------------------------


def test_access_record_pages(store: str) -> None:
    """staff access lists who read what, oldest first, and names the next page."""
    from onestop.ports.staff import AccessRecord
    from onestop.storage import from_url

    at = datetime(2026, 1, 5, 3, tzinfo=UTC)
    opened = from_url(store)
    try:
        opened.record_access(
            [
                AccessRecord(
                    actor_id=f"officer-{n}",
                    application_id="app-1",
                    what="applicant",
                    route="GET /api/v1/applications/{application_id}",
                    at=at + timedelta(minutes=n),
                )
                for n in range(3)
            ]
        )
    finally:
        opened.close()
    found = staff(store, "access", "--limit", "2", "--json")
    assert found.code == EXIT_OK, found.err
    entries = found.json["entries"]
    assert [e["actor_id"] for e in entries] == ["officer-0", "officer-1"]
    assert found.json["next"] == entries[-1]["position"]
    rest = staff(store, "access", "--after", str(found.json["next"]), "--json")
    assert [e["actor_id"] for e in rest.json["entries"]] == ["officer-2"]
    assert rest.json["next"] is None
    mine = staff(store, "access", "--actor", "officer-1")
    assert "officer-1 read applicant of app-1" in mine.out
    assert staff(store, "access", "--application", "app-2", "--json").json["entries"] == []


# --- hostile arguments ----------------------------------------------------------------


@pytest.mark.parametrize(
    "account",
    [
        "Officer-Ana",
        "officer-ana\n",
        "of\ufb01cer",
        "\u043efficer",
        "",
        " ",
        "a" * 5000,
        "\u200bana",
    ],
)
def test_an_account_id_of_the_wrong_form_exits_2(store: str, account: str) -> None:
    """Case, line breaks, look-alikes, empty and huge ids are refused on one line."""
    found = staff(store, "add", account, "--json")
    refused(found, EXIT_USAGE)
    assert "error" in found.json
    assert listed(store) == {}


@pytest.mark.parametrize(
    ("option", "value", "said"),
    [
        ("--from", "2026-13-01T00:00:00+07:00", "not an ISO 8601"),
        ("--from", "yesterday", "not an ISO 8601"),
        ("--from", "2026-02-01T00:00:00", "no time zone"),
        ("--until", "2026-02-01", "no time zone"),
        ("--until", "9999-12-31T23:59:59+00:00", "--until"),
        ("--from", "x" * 10000, "not an ISO 8601"),
    ],
)
def test_a_bad_time_exits_2(store: str, option: str, value: str, said: str) -> None:
    """A time that is not ISO 8601, names no zone or is out of range exits 2, on one line."""
    staff(store, "add", "officer-ana")
    line = refused(staff(store, "grant", "officer-ana", "verifier", option, value), EXIT_USAGE)
    assert said in line
    assert len(line) < 400
    assert listed(store)["officer-ana"]["assignments"] == []


@pytest.mark.parametrize(
    ("role", "agency"),
    [("Verifier", None), ("verifier\n", None), ("verifier", "DPM PTSP"), ("verifier", "dpm\n")],
)
def test_a_role_or_agency_of_the_wrong_form_exits_2(
    store: str, role: str, agency: str | None
) -> None:
    """A role or agency code that is not one is refused, naming the field."""
    staff(store, "add", "officer-ana")
    extra = () if agency is None else ("--agency", agency)
    refused(staff(store, "grant", "officer-ana", role, *extra), EXIT_USAGE)


def test_until_before_from_exits_2(store: str) -> None:
    """An assignment that would end before it starts is refused."""
    staff(store, "add", "officer-ana")
    args = ("grant", "officer-ana", "verifier", "--from", later(5), "--until", later(2))
    refused(staff(store, *args), EXIT_USAGE)


def test_the_operator_id_is_not_an_account(store: str) -> None:
    """An account cannot be added under the operator's id, cli."""
    line = refused(staff(store, "add", "cli"), EXIT_USAGE)
    assert "operator" in line


def test_a_catalogue_catches_a_misspelt_role_or_agency(store: str) -> None:
    """With --catalogue, a role or agency the catalogue does not know exits 1; known ones pass."""
    jakarta = str(Path(__file__).parent.parent / "examples" / "jakarta")
    staff(store, "add", "officer-ana")
    for role, agency in (("verifer", "dpmptsp-dki"), ("verifier", "no-such-agency")):
        found = staff(
            store, "grant", "officer-ana", role, "--agency", agency, "--catalogue", jakarta
        )
        refused(found, EXIT_PROBLEMS)
    known = ("grant", "officer-ana", "inspector", "--agency", "dpmptsp-dki")
    ok = staff(store, *known, "--catalogue", jakarta)
    assert ok.code == EXIT_OK, ok.err


def test_an_unopenable_store_exits_2() -> None:
    """A store URL no adapter opens exits 2 naming --store."""
    line = refused(run("staff", "list", "--store", "nosuch://x"), EXIT_USAGE)
    assert "--store" in line


# --- identities ----------------------------------------------------------------------


def test_an_identity_linked_on_the_command_line_signs_the_account_in(store: str) -> None:
    """`staff identity link` lets the provider's (issuer, subject) sign the account in;
    `unlink` takes it back, and unlinking what is not linked exits 1."""
    from onestop.domain.staff import ExternalIdentity
    from onestop.exceptions import SignInRefused

    issuer, subject = "https://id.example.go.id", "248289761001"
    assert staff(store, "add", "officer-sri", "--password-stdin", stdin=PASSWORD).code == EXIT_OK
    linked = staff(
        store, "identity", "link", "officer-sri", "--issuer", issuer, "--subject", subject, "--json"
    )
    assert linked.code == EXIT_OK, linked.err
    assert linked.json == {
        "account": "officer-sri",
        "linked": {"issuer": issuer, "subject": subject},
    }
    found, opened = desk(store)
    with opened:
        signed = found.sign_in_external(ExternalIdentity(issuer=issuer, subject=subject))
        assert signed.identity.account_id == "officer-sri"
        args = ("identity", "unlink", "officer-sri", "--issuer", issuer, "--subject", subject)
        assert staff(store, *args).code == EXIT_OK
        refused(staff(store, *args), 1)
        with pytest.raises(SignInRefused):
            found.sign_in_external(ExternalIdentity(issuer=issuer, subject=subject))


def test_a_hostile_identity_is_a_usage_error(store: str) -> None:
    """An issuer or subject that is no identity text (empty, too long) exits 2 naming it."""
    assert staff(store, "add", "officer-sri", "--password-stdin", stdin=PASSWORD).code == EXIT_OK
    for issuer, subject in (("", "x"), ("https://id.example", ""), ("i" * 300, "x")):
        line = refused(
            staff(
                store, "identity", "link", "officer-sri", "--issuer", issuer, "--subject", subject
            ),
            2,
        )
        assert "issuer" in line or "subject" in line
