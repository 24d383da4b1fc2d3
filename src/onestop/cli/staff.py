"""The ``onestop staff`` commands: staff accounts, their roles per agency, credentials.

They work on a store through the staff desk (`onestop.usecases.staff.StaffDesk`).  The
command line is how the first ``staff_admin`` is made: on a new store, run::

    onestop staff add admin-budi --store URL --password-prompt
    onestop staff grant admin-budi staff_admin --store URL

**Who acts.**  Every change is recorded in the account's event stream under an actor.
The command line acts as the *operator*, recorded as ``cli``, who holds ``staff_admin``
across the whole mall (whoever can open the store can change anything in it anyway).
With ``--as ACCOUNT`` it acts as that account instead, with the roles it holds now, so
that an agency's admin recorded as themselves can grant only at their agency; ``--as``
attributes and limits, it does not sign in.

**Secrets.**  A password is never an argument: ``--password-stdin`` reads it from
standard input (the whole input, less one final line break), ``--password-prompt`` asks
for it twice without showing it.  No command prints a password, a hash or a session;
``staff token issue`` prints the new token, and ``staff totp enrol`` the second-factor
URI, once, on standard output.

**Exit codes.**  0 when done; 1 when the store says no (an unknown account or
assignment, an account that exists, an action the actor may not take); 2 when an
argument cannot be taken (an id or role of the wrong form, a date and time that is not
ISO 8601 or names no time zone, a weak password).  Each error is one line on stderr,
and also ``{"error": ...}`` on stdout with ``--json``.

``--json`` output, per command::

    add, disable, enable   {"account": {...}}       (as in list)
    grant                  {"account": "...", "assignment": {...}}
    revoke                 {"account": "...", "revoked": "ASSIGNMENT_ID"}
    password               {"account": "...", "password": "set"}
    list                   {"at": "...", "accounts": [{"account", "status",
                            "second_factor", "version", "assignments": [{"assignment_id",
                            "role", "agency", "valid_from", "valid_until", "granted_by",
                            "granted_at", "state"}], "identities": [...], "tokens": [...]}]}
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from onestop.cli._common import EXIT_PROBLEMS, FilePath, emit_json, load, printable
from onestop.cli._staff_common import (
    OPERATOR,
    as_option,
    desk,
    instant,
    password_options,
    read_password,
    refuse,
    store_options,
)
from onestop.cli.staff_credentials import access, identity, token, totp
from onestop.domain.common.formats import preview

__all__ = ["staff"]


@click.group()
def staff() -> None:
    """Add staff accounts, grant and revoke their roles per agency, manage their credentials."""


staff.add_command(token)
staff.add_command(totp)
staff.add_command(access)
staff.add_command(identity)


def _when(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _state(assignment: Any, at: datetime) -> str:
    if assignment.in_force(at):
        return "in_force"
    return "scheduled" if assignment.valid_from > at else "ended"


def assignment_json(assignment: Any, at: datetime) -> dict[str, Any]:
    """An assignment as ``list --json`` shows it, with its state at *at*."""
    return {
        "assignment_id": assignment.assignment_id,
        "role": assignment.role,
        "agency": assignment.agency,
        "valid_from": _when(assignment.valid_from),
        "valid_until": _when(assignment.valid_until),
        "granted_by": assignment.granted_by,
        "granted_at": _when(assignment.granted_at),
        "state": _state(assignment, at),
    }


def _token_json(info: Any) -> dict[str, Any]:
    return {
        "token_id": info.token_id,
        "name": info.name,
        "issued_at": _when(info.issued_at),
        "issued_by": info.issued_by,
        "expires_at": _when(info.expires_at),
    }


def account_json(account: Any, at: datetime, *, ended: bool = False) -> dict[str, Any]:
    """An account as ``list --json`` shows it: never a secret, a hash or a seed."""
    shown = [assignment_json(a, at) for a in account.assignments]
    return {
        "account": account.account_id,
        "status": str(account.status),
        "password": bool(account.has_password),
        "second_factor": bool(account.second_factor),
        "version": account.version,
        "added_at": _when(account.added_at),
        "added_by": account.added_by,
        "assignments": [a for a in shown if ended or a["state"] != "ended"],
        "identities": [{"issuer": i.issuer, "subject": i.subject} for i in account.identities],
        "tokens": [_token_json(info) for info in account.tokens],
    }


def _seconds(text: str) -> str:
    """An ISO 8601 instant as text shows it: to the second."""
    return datetime.fromisoformat(text).isoformat(timespec="seconds")


def _assignment_line(shown: dict[str, Any]) -> str:
    where = f"at {shown['agency']}" if shown["agency"] else "mall-wide"
    until = f" until {_seconds(shown['valid_until'])}" if shown["valid_until"] else ""
    state = shown["state"].replace("_", " ")
    return (
        f"  {shown['assignment_id']}  {shown['role']} {where}, from {_seconds(shown['valid_from'])}"
        f"{until} ({state}; granted by {shown['granted_by']})"
    )


def _account_lines(shown: dict[str, Any]) -> list[str]:
    password = "yes" if shown["password"] else "no"
    factor = "yes" if shown["second_factor"] else "no"
    lines = [
        f"{shown['account']}  {shown['status']}  password: {password}  second factor: {factor}"
    ]
    lines += [_assignment_line(a) for a in shown["assignments"]]
    lines += [f"  identity {i['issuer']} {i['subject']}" for i in shown["identities"]]
    for info in shown["tokens"]:
        expires = _seconds(info["expires_at"]) if info["expires_at"] else "never"
        lines.append(f"  token {info['token_id']} {info['name']!r}, expires {expires}")
    return lines


def _show_account(found: Any, account: Any, *, done: str) -> None:
    shown = account_json(account, found.now())
    if found.as_json:
        emit_json({"account": shown})
    else:
        click.echo(printable(f"{account.account_id}: {done}"))


@staff.command("add")
@click.argument("account_id", metavar="ACCOUNT")
@password_options
@as_option
@store_options
def staff_add(
    account_id: str,
    password_stdin: bool,
    password_prompt: bool,
    as_account: str | None,
    store_url: str,
    key_file: str | None,
    as_json: bool,
) -> None:
    """Add staff account ACCOUNT (an actor id: lower case, as in officer-ana), holding no role.

    With --password-stdin or --password-prompt, its password is set too; without, it
    signs in only once a password is set (staff password), or with a token or an
    identity provider.  Grant it roles with staff grant.
    """
    if account_id == OPERATOR:
        refuse(
            f"{OPERATOR!r} is the id the command line's operator acts under: choose another",
            as_json=as_json,
        )
    password = read_password(from_stdin=password_stdin, prompt=password_prompt, as_json=as_json)
    with desk(store_url, key_file=key_file, as_account=as_account, as_json=as_json) as found:
        if password is not None:
            found.check_password(account_id, password)
        account = found.desk.add(account_id, by=found.actor)
        if password is not None:
            found.set_password(account_id, password)
            account = found.desk.account(account_id)
        _show_account(found, account, done="added" + (" with a password" if password else ""))


@staff.command("grant")
@click.argument("account_id", metavar="ACCOUNT")
@click.argument("role")
@click.option("--agency", metavar="CODE", help="Only at this agency [default: mall-wide].")
@click.option(
    "--from",
    "valid_from",
    metavar="DATETIME",
    help="In force from this ISO 8601 time, with a time zone [default: now].",
)
@click.option(
    "--until",
    "valid_until",
    metavar="DATETIME",
    help="In force until this ISO 8601 time, with a time zone [default: until revoked].",
)
@click.option(
    "--catalogue",
    "catalogue_path",
    type=FilePath(),
    help="Check ROLE and --agency against this catalogue.",
)
@as_option
@store_options
def staff_grant(
    account_id: str,
    role: str,
    agency: str | None,
    valid_from: str | None,
    valid_until: str | None,
    catalogue_path: str | None,
    as_account: str | None,
    store_url: str,
    key_file: str | None,
    as_json: bool,
) -> None:
    """Grant ACCOUNT the role ROLE, at one agency or mall-wide, from and until given times.

    ROLE is a workflow role (verifier, approver, ...) or one of staff_admin, inspector,
    personal_data and courier.  With --catalogue, ROLE must be one of these and a role of
    the catalogue's workflows, and --agency one of its agencies, so that a misspelt
    role or agency is refused (exit 1); without, only their form is checked.  Prints
    the new assignment's id, which staff revoke takes.
    """
    start = instant(valid_from, "--from", as_json=as_json)
    end = instant(valid_until, "--until", as_json=as_json)
    if catalogue_path is not None:
        _known(catalogue_path, role, agency, as_json=as_json)
    with desk(store_url, key_file=key_file, as_account=as_account, as_json=as_json) as found:
        made = found.desk.grant(
            account_id, role, agency=agency, valid_from=start, valid_until=end, by=found.actor
        )
        shown = assignment_json(made, found.now())
    if as_json:
        emit_json({"account": account_id, "assignment": shown})
    else:
        click.echo(printable(f"{account_id}: granted\n{_assignment_line(shown)}"))


def _known(path: str, role: str, agency: str | None, *, as_json: bool) -> None:
    """Exit 1 unless *role* and *agency* are known to the catalogue at *path*."""
    from onestop.usecases.staff import STAFF_ROLES

    catalogue = load((path,), as_json=as_json)
    roles = set(STAFF_ROLES)
    for workflow in catalogue.workflows:
        roles.update(workflow.roles)
        for transition in workflow.transitions:
            roles.update(transition.roles)
    if role not in roles:
        refuse(
            f"role {preview(role)} is not a role of the catalogue's workflows, nor one of "
            f"{', '.join(sorted(STAFF_ROLES))}",
            code=EXIT_PROBLEMS,
            as_json=as_json,
        )
    if agency is not None and agency not in {a.code for a in catalogue.agencies}:
        refuse(
            f"--agency: the catalogue has no agency {preview(agency)}",
            code=EXIT_PROBLEMS,
            as_json=as_json,
        )


@staff.command("revoke")
@click.argument("account_id", metavar="ACCOUNT")
@click.argument("assignment_id")
@as_option
@store_options
def staff_revoke(
    account_id: str,
    assignment_id: str,
    as_account: str | None,
    store_url: str,
    key_file: str | None,
    as_json: bool,
) -> None:
    """Revoke ACCOUNT's assignment ASSIGNMENT_ID (staff list shows the ids).

    It stops counting on the account's next request, on every worker.
    """
    with desk(store_url, key_file=key_file, as_account=as_account, as_json=as_json) as found:
        if found.desk.account(account_id).assignment(assignment_id) is None:
            refuse(
                f"{account_id} holds no assignment {preview(assignment_id)} "
                "(never granted, or revoked already)",
                code=EXIT_PROBLEMS,
                as_json=as_json,
            )
        found.desk.revoke(account_id, assignment_id, by=found.actor)
    if as_json:
        emit_json({"account": account_id, "revoked": assignment_id})
    else:
        click.echo(printable(f"{account_id}: assignment {assignment_id} revoked"))


@staff.command("list")
@click.option("--ended", is_flag=True, help="Show ended assignments too.")
@store_options
def staff_list(ended: bool, store_url: str, key_file: str | None, as_json: bool) -> None:
    """List the staff accounts: status, second factor, assignments in force and scheduled,
    linked identities and API tokens (by id and name; never a secret)."""
    with desk(store_url, key_file=key_file, as_json=as_json) as found:
        now = found.now()
        accounts = [account_json(a, now, ended=ended) for a in found.desk.accounts()]
    if as_json:
        emit_json({"at": now.isoformat(), "accounts": accounts})
        return
    for shown in accounts:
        click.echo(printable("\n".join(_account_lines(shown))))
    click.echo(f"{len(accounts)} account(s)", err=True)


@staff.command("disable")
@click.argument("account_id", metavar="ACCOUNT")
@as_option
@store_options
def staff_disable(
    account_id: str, as_account: str | None, store_url: str, key_file: str | None, as_json: bool
) -> None:
    """Disable ACCOUNT: its sessions and tokens stop working on its next request."""
    with desk(store_url, key_file=key_file, as_account=as_account, as_json=as_json) as found:
        found.desk.disable(account_id, by=found.actor)
        _show_account(found, found.desk.account(account_id), done="disabled")


@staff.command("enable")
@click.argument("account_id", metavar="ACCOUNT")
@as_option
@store_options
def staff_enable(
    account_id: str, as_account: str | None, store_url: str, key_file: str | None, as_json: bool
) -> None:
    """Enable ACCOUNT again."""
    with desk(store_url, key_file=key_file, as_account=as_account, as_json=as_json) as found:
        found.desk.enable(account_id, by=found.actor)
        _show_account(found, found.desk.account(account_id), done="enabled")


@staff.command("password")
@click.argument("account_id", metavar="ACCOUNT")
@password_options
@as_option
@store_options
def staff_password(
    account_id: str,
    password_stdin: bool,
    password_prompt: bool,
    as_account: str | None,
    store_url: str,
    key_file: str | None,
    as_json: bool,
) -> None:
    """Set ACCOUNT's password, from standard input or a prompt (one of the two is needed).

    12 to 1024 characters, not the account's id.  Its sessions end.
    """
    password = read_password(from_stdin=password_stdin, prompt=password_prompt, as_json=as_json)
    if password is None:
        refuse("give --password-stdin or --password-prompt", as_json=as_json)
    with desk(store_url, key_file=key_file, as_account=as_account, as_json=as_json) as found:
        found.set_password(account_id, password)
    if as_json:
        emit_json({"account": account_id, "password": "set"})
    else:
        click.echo(printable(f"{account_id}: password set"))
