"""The ``onestop staff token``, ``staff totp`` and ``staff access`` commands.

``staff token issue ACCOUNT --name NAME`` issues an API token for an agency's back
office, sent as ``Authorization: Bearer <token>``: the token is printed once, alone on
standard output (the rest goes to stderr), and only its SHA-256 digest is kept, so a
lost token is revoked (``staff token revoke ACCOUNT TOKEN_ID``) and another issued.

``staff totp enrol ACCOUNT`` makes a second-factor seed (TOTP, RFC 6238) and prints its
``otpauth://`` URI once, for the officer's authenticator app (as a QR code, or typed
in); from then on signing in with a password needs a code too.  With the master keys
(``--key-file``, as for the ``pii`` commands) the seed is sealed in the store.
``staff totp remove ACCOUNT`` removes it.

``staff identity link ACCOUNT --issuer URL --subject SUB`` lets the government's identity
provider (OpenID Connect, ``onestop serve --oidc-issuer``) sign ACCOUNT in: SUB is the
provider's ``sub`` for the person; ``staff identity unlink`` takes that back.

``staff access`` prints the access record: who read which application's personal data,
when and through what, oldest first, ``--limit`` entries after position ``--after``.
With ``--json``: ``{"entries": [{"position", "actor_id", "application_id", "what",
"route", "at", "request_id"}], "next": POSITION or null}``.
"""

from __future__ import annotations

from typing import Any

import click

from onestop.cli._common import EXIT_PROBLEMS, Whole, emit_json, printable
from onestop.cli._staff_common import as_option, desk, instant, refuse, store_options
from onestop.domain.common.formats import preview
from onestop.domain.staff import ExternalIdentity

__all__ = ["access", "identity", "token", "totp"]


@click.group()
def token() -> None:
    """Issue and revoke API tokens for agencies' back offices."""


@token.command("issue")
@click.argument("account_id", metavar="ACCOUNT")
@click.option("--name", required=True, metavar="NAME", help="What the token is for.")
@click.option(
    "--expires",
    "expires",
    metavar="DATETIME",
    help="When it stops working: an ISO 8601 time with a time zone [default: never].",
)
@as_option
@store_options
def token_issue(
    account_id: str,
    name: str,
    expires: str | None,
    as_account: str | None,
    store_url: str,
    key_file: str | None,
    as_json: bool,
) -> None:
    """Issue an API token acting as ACCOUNT, and print it once (only its digest is kept)."""
    expires_at = instant(expires, "--expires", as_json=as_json)
    with desk(store_url, key_file=key_file, as_account=as_account, as_json=as_json) as found:
        issued = found.desk.issue_token(
            account_id, name=name, expires_at=expires_at, by=found.actor
        )
    until = None if issued.expires_at is None else issued.expires_at.isoformat()
    if as_json:
        emit_json(
            {
                "account": account_id,
                "token_id": issued.token_id,
                "name": name,
                "expires_at": until,
                "token": issued.token,
            }
        )
        return
    click.echo(
        printable(
            f"{account_id}: token {issued.token_id} {name!r} issued, expires {until or 'never'}; "
            "it is shown this once:"
        ),
        err=True,
    )
    click.echo(issued.token)


@token.command("revoke")
@click.argument("account_id", metavar="ACCOUNT")
@click.argument("token_id")
@as_option
@store_options
def token_revoke(
    account_id: str,
    token_id: str,
    as_account: str | None,
    store_url: str,
    key_file: str | None,
    as_json: bool,
) -> None:
    """Revoke ACCOUNT's API token TOKEN_ID (staff list shows the ids)."""
    with desk(store_url, key_file=key_file, as_account=as_account, as_json=as_json) as found:
        if found.desk.account(account_id).token(token_id) is None:
            refuse(
                f"{account_id} has no token {preview(token_id)} (never issued, or revoked already)",
                code=EXIT_PROBLEMS,
                as_json=as_json,
            )
        found.desk.revoke_token(account_id, token_id, by=found.actor)
    if as_json:
        emit_json({"account": account_id, "revoked": token_id})
    else:
        click.echo(printable(f"{account_id}: token {token_id} revoked"))


@click.group()
def totp() -> None:
    """Enrol, confirm and remove a second factor (TOTP codes from an authenticator app)."""


@totp.command("enrol")
@click.argument("account_id", metavar="ACCOUNT")
@as_option
@store_options
def totp_enrol(
    account_id: str, as_account: str | None, store_url: str, key_file: str | None, as_json: bool
) -> None:
    """Make ACCOUNT's second-factor seed and print its otpauth:// URI once.

    Give the URI to the officer only (it is the seed).  It counts once confirmed with a
    code the officer's app shows (staff totp confirm) within 10 minutes; enrolling
    again replaces a seed not yet confirmed.
    """
    with desk(store_url, key_file=key_file, as_account=as_account, as_json=as_json) as found:
        enrolment = found.desk.enrol_second_factor(account_id, by=found.actor)
    if as_json:
        emit_json({"account": account_id, "uri": enrolment.uri, "confirmed": False})
        return
    click.echo(
        printable(
            f"{account_id}: second factor made; its URI is shown this once; confirm it with "
            f"`onestop staff totp confirm {account_id} CODE` within 10 minutes:"
        ),
        err=True,
    )
    click.echo(enrolment.uri)


@totp.command("confirm")
@click.argument("account_id", metavar="ACCOUNT")
@click.argument("code")
@store_options
def totp_confirm(
    account_id: str, code: str, store_url: str, key_file: str | None, as_json: bool
) -> None:
    """Confirm ACCOUNT's enrolment with CODE, the six digits its app shows now.

    From then on, signing in with ACCOUNT's password needs a code too.  Give the master
    keys if the enrolment was sealed with them.  A code that does not fit, or no
    enrolment pending, exits 1.
    """
    from onestop.exceptions import SignInRefused

    with desk(store_url, key_file=key_file, as_json=as_json) as found:
        try:
            found.desk.confirm_second_factor(account_id, code)
        except SignInRefused:
            refuse(
                f"{account_id}: the code does not fit, or no enrolment is pending "
                "(enrol again: an enrolment lasts 10 minutes)",
                code=EXIT_PROBLEMS,
                as_json=as_json,
            )
    if as_json:
        emit_json({"account": account_id, "second_factor": True})
    else:
        click.echo(printable(f"{account_id}: second factor confirmed"))


@totp.command("remove")
@click.argument("account_id", metavar="ACCOUNT")
@as_option
@store_options
def totp_remove(
    account_id: str, as_account: str | None, store_url: str, key_file: str | None, as_json: bool
) -> None:
    """Remove ACCOUNT's second factor: it signs in with its password alone."""
    with desk(store_url, key_file=key_file, as_account=as_account, as_json=as_json) as found:
        found.desk.remove_second_factor(account_id, by=found.actor)
    if as_json:
        emit_json({"account": account_id, "second_factor": False})
    else:
        click.echo(printable(f"{account_id}: second factor removed"))


def _entry(entry: Any) -> dict[str, Any]:
    record = entry.record
    return {
        "position": entry.position,
        "actor_id": record.actor_id,
        "application_id": record.application_id,
        "what": record.what,
        "route": record.route,
        "at": record.at.isoformat(),
        "request_id": record.request_id,
    }


@click.command("access")
@click.option("--application", "application_id", metavar="ID", help="Only this application.")
@click.option("--actor", "actor_id", metavar="ID", help="Only what this account read.")
@click.option(
    "--after",
    type=Whole(min=0),
    default=0,
    show_default=True,
    metavar="POSITION",
    help="Start after this position (the last one a previous page showed).",
)
@click.option(
    "--limit",
    type=Whole(1, 1000),
    default=100,
    show_default=True,
    help="At most this many entries.",
)
@store_options
def access(
    application_id: str | None,
    actor_id: str | None,
    after: int,
    limit: int,
    store_url: str,
    key_file: str | None,
    as_json: bool,
) -> None:
    """Print the access record: who read which application's personal data, when, and how.

    Oldest first; a full page ends by naming the --after that reads the next one.
    """
    with desk(store_url, key_file=key_file, as_json=as_json) as found:
        entries = found.store.access_records(
            application_id=application_id, actor_id=actor_id, after=after, limit=limit
        )
    shown = [_entry(entry) for entry in entries]
    following = shown[-1]["position"] if len(shown) == limit else None
    if as_json:
        emit_json({"entries": shown, "next": following})
        return
    for item in shown:
        request = f" request {item['request_id']}" if item["request_id"] else ""
        click.echo(
            printable(
                f"{item['position']}  {item['at']}  {item['actor_id']} read {item['what']} "
                f"of {item['application_id']} via {item['route']}{request}"
            )
        )
    click.echo(f"{len(shown)} entr{'y' if len(shown) == 1 else 'ies'}", err=True)
    if following is not None:
        click.echo(f"more after --after {following}", err=True)


@click.group()
def identity() -> None:
    """Link and unlink the identities an identity provider signs staff in with."""


def _identity_options(command: Any) -> Any:
    command = click.option(
        "--subject", required=True, metavar="SUB", help="The provider's id of the person (sub)."
    )(command)
    return click.option(
        "--issuer", required=True, metavar="URL", help="The provider's issuer URL (iss)."
    )(command)


@identity.command("link")
@click.argument("account_id", metavar="ACCOUNT")
@_identity_options
@as_option
@store_options
def identity_link(
    account_id: str,
    issuer: str,
    subject: str,
    as_account: str | None,
    store_url: str,
    key_file: str | None,
    as_json: bool,
) -> None:
    """Let the provider ISSUER sign ACCOUNT in when it says the person is SUBJECT."""
    with desk(store_url, key_file=key_file, as_account=as_account, as_json=as_json) as found:
        found.desk.link_identity(
            account_id, ExternalIdentity(issuer=issuer, subject=subject), by=found.actor
        )
    if as_json:
        emit_json({"account": account_id, "linked": {"issuer": issuer, "subject": subject}})
    else:
        click.echo(printable(f"{account_id}: linked to {subject} at {issuer}"))


@identity.command("unlink")
@click.argument("account_id", metavar="ACCOUNT")
@_identity_options
@as_option
@store_options
def identity_unlink(
    account_id: str,
    issuer: str,
    subject: str,
    as_account: str | None,
    store_url: str,
    key_file: str | None,
    as_json: bool,
) -> None:
    """Stop the provider ISSUER from signing ACCOUNT in as SUBJECT."""
    with desk(store_url, key_file=key_file, as_account=as_account, as_json=as_json) as found:
        wanted = ExternalIdentity(issuer=issuer, subject=subject)
        if wanted not in found.desk.account(account_id).identities:
            refuse(
                f"{account_id} is not linked to {preview(subject)} at {preview(issuer)}",
                code=EXIT_PROBLEMS,
                as_json=as_json,
            )
        found.desk.unlink_identity(account_id, wanted, by=found.actor)
    if as_json:
        emit_json({"account": account_id, "unlinked": {"issuer": issuer, "subject": subject}})
    else:
        click.echo(printable(f"{account_id}: unlinked from {subject} at {issuer}"))
