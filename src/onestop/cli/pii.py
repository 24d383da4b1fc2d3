"""The ``onestop pii`` commands: master keys, legal holds, erasure, retention sweeps, exports.

They work on a store whose personal data is sealed (`onestop.privacy`), through the data
protection desk (`onestop.usecases.privacy.PrivacyDesk`), and need its master keys:
``--key-file PATH`` (or ``ONESTOP_KEY_FILE``), or ``ONESTOP_MASTER_KEY``.

**The officer.**  Holds, erasures and sweeps are recorded in the applications' audit
trails under an officer: ``--actor ID`` (an actor id, as in ``officer-ana``) with one or
more ``--role ROLE`` (a role of the workflows, held for every agency).  Neither has a
default: whoever erases personal data says who they are.

No command prints a personal value, an identity number or key material, except
``export``, whose output is the person's data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from onestop.cli._common import (
    EXIT_PROBLEMS,
    EXIT_USAGE,
    catalogue_option,
    emit_json,
    fail,
    json_option,
    key_option,
    key_provider,
    naming_catalogue,
    open_mall,
    open_store,
    printable,
    store_option,
    write_new_file,
)
from onestop.exceptions import (
    ApplicationNotFound,
    ConfigurationError,
    ErasureRefused,
    InvalidApplication,
    InvalidValue,
    KeyUnavailable,
    OnestopError,
)

__all__ = ["pii"]


@click.group()
def pii() -> None:
    """Erase, hold, sweep and export personal data; make and rotate master keys."""


def _actor_options(command: Callable[..., Any]) -> Callable[..., Any]:
    role = click.option(
        "--role",
        "roles",
        multiple=True,
        required=True,
        metavar="ROLE",
        help="A workflow role the officer holds (repeat for several).",
    )
    actor = click.option(
        "--actor", "actor_id", required=True, metavar="ID", help="The officer's actor id."
    )
    return actor(role(command))


def _actor(actor_id: str, roles: tuple[str, ...], *, as_json: bool) -> Any:
    from onestop.domain.common.actors import Actor

    try:
        return Actor(id=actor_id, roles=set(roles))
    except OnestopError as exc:
        fail(f"--actor/--role: {exc}", code=EXIT_USAGE, as_json=as_json)


def _identity(text: str, *, as_json: bool) -> tuple[str, str]:
    """Split ``SCHEME:NUMBER``; never echo the number."""
    scheme, colon, number = text.partition(":")
    if not colon or not scheme.strip() or not number.strip():
        fail(
            "--identity: expected SCHEME:NUMBER, as in id-nik:3171...",
            code=EXIT_USAGE,
            as_json=as_json,
        )
    return scheme, number


@contextmanager
def _desk(
    catalogue_path: str | None, store_url: str, key_file: str | None, *, as_json: bool
) -> Iterator[Any]:
    """A `PrivacyDesk` over the store with the keys given; the store is closed afterwards."""
    from onestop.usecases.privacy import PrivacyDesk

    mall = open_mall(
        catalogue_path, store_url, key_file=key_file, keys_required=True, as_json=as_json
    )
    try:
        with naming_catalogue(catalogue_path):
            yield PrivacyDesk(mall)
    except ConfigurationError as exc:
        fail(str(exc), code=EXIT_USAGE, as_json=as_json)
    except ApplicationNotFound as exc:  # looked up by NUMBER alone: no secret was asked
        said = "no application has this number" if exc.reference is None else str(exc)
        fail(said, code=EXIT_PROBLEMS, as_json=as_json)
    except InvalidApplication as exc:
        fail(str(exc), code=EXIT_USAGE, as_json=as_json)
    except KeyUnavailable as exc:
        fail(f"the master keys: {exc}", code=EXIT_USAGE, as_json=as_json)
    except InvalidValue as exc:
        # the value may be an identity number: name the field, never the value
        fail(f"{exc.field}: not a valid value", code=EXIT_USAGE, as_json=as_json)
    except OnestopError as exc:
        fail(str(exc), code=EXIT_PROBLEMS, as_json=as_json)
    finally:
        mall.store.close()


def _erasure(found: Any) -> dict[str, Any]:
    return {
        "number": found.number,
        "application_id": found.application_id,
        "subjects": [subject.rpartition("/")[2] for subject in found.subjects],
        "keys_destroyed": found.keys_destroyed,
        "at": found.at.isoformat(),
    }


def _report(erased: list[dict[str, Any]], refused: list[dict[str, Any]], *, as_json: bool) -> None:
    if as_json:
        emit_json({"erased": erased, "refused": refused})
    else:
        for item in erased:
            click.echo(
                f"erased {item['number']}: {', '.join(item['subjects'])}; "
                f"{item['keys_destroyed']} key(s) destroyed"
            )
        for item in refused:
            detail = f": {item['detail']}" if item["detail"] else ""
            click.echo(printable(f"refused {item['number']}: rule {item['rule']}{detail}"))
    if refused:
        raise SystemExit(EXIT_PROBLEMS)


_store_and_keys = (store_option, catalogue_option, key_option, json_option)


def _common(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_store_and_keys):
        command = option(command)
    return command


@pii.command("erase")
@click.argument("number", required=False)
@click.option("--identity", metavar="SCHEME:NUMBER", help="Erase every application of a person.")
@click.option("--legal-basis", required=True, metavar="TEXT", help="Why: a law, an article.")
@click.option(
    "--override-retention",
    is_flag=True,
    help="An erasure by right: the legal basis overrides the service's retention period.",
)
@_actor_options
@_common
def pii_erase(
    number: str | None,
    identity: str | None,
    legal_basis: str,
    override_retention: bool,
    actor_id: str,
    roles: tuple[str, ...],
    store_url: str,
    catalogue_path: str | None,
    key_file: str | None,
    as_json: bool,
) -> None:
    """Erase the personal data of application NUMBER, or of a person (--identity).

    The erasure is recorded in each application's audit trail, then the data keys are
    destroyed.  Prints what was erased and what was refused, with the rule that keeps
    the data (open, legal_hold, archive, retention); exits with status 1 if anything
    was refused or nothing was found.
    """
    if (number is None) == (identity is None):
        fail(
            "give an application NUMBER or --identity SCHEME:NUMBER, not both",
            code=EXIT_USAGE,
            as_json=as_json,
        )
    actor = _actor(actor_id, roles, as_json=as_json)
    options = {"legal_basis": legal_basis, "actor": actor, "overriding": override_retention}
    erased: list[dict[str, Any]] = []
    refused: list[dict[str, Any]] = []
    with _desk(catalogue_path, store_url, key_file, as_json=as_json) as desk:
        if number is not None:
            try:
                results: tuple[Any, ...] = (desk.erase(number, **options),)
            except ErasureRefused as exc:
                results = (exc,)
        else:
            results = desk.erase_person(*_identity(identity or "", as_json=as_json), **options)
            if not results:
                fail(
                    "no application of this person was found (none, or erased already)",
                    code=EXIT_PROBLEMS,
                    as_json=as_json,
                )
        for result in results:
            if isinstance(result, ErasureRefused):
                shown = desk.application(result.application_id).number
                refused.append({"number": shown, "rule": result.rule, "detail": result.detail})
            else:
                erased.append(_erasure(result))
    _report(erased, refused, as_json=as_json)


@pii.command("hold")
@click.argument("number")
@click.argument("hold_id")
@click.option("--reason", required=True, metavar="CODE", help="A reason code: court_order...")
@_actor_options
@_common
def pii_hold(
    number: str,
    hold_id: str,
    reason: str,
    actor_id: str,
    roles: tuple[str, ...],
    store_url: str,
    catalogue_path: str | None,
    key_file: str | None,
    as_json: bool,
) -> None:
    """Place legal hold HOLD_ID (a case or order reference) on application NUMBER.

    While a hold is on it, the application's personal data is never erased.
    """
    actor = _actor(actor_id, roles, as_json=as_json)
    with _desk(catalogue_path, store_url, key_file, as_json=as_json) as desk:
        found = desk.place_hold(number, hold_id, reason=reason, actor=actor)
    _holds(found, f"hold {hold_id} placed", as_json=as_json)


@pii.command("release")
@click.argument("number")
@click.argument("hold_id")
@_actor_options
@_common
def pii_release(
    number: str,
    hold_id: str,
    actor_id: str,
    roles: tuple[str, ...],
    store_url: str,
    catalogue_path: str | None,
    key_file: str | None,
    as_json: bool,
) -> None:
    """Lift legal hold HOLD_ID from application NUMBER."""
    actor = _actor(actor_id, roles, as_json=as_json)
    with _desk(catalogue_path, store_url, key_file, as_json=as_json) as desk:
        found = desk.lift_hold(number, hold_id, actor=actor)
    _holds(found, f"hold {hold_id} lifted", as_json=as_json)


def _holds(application: Any, done: str, *, as_json: bool) -> None:
    holds = [hold.hold_id for hold in application.holds]
    if as_json:
        emit_json({"number": application.number, "holds": holds})
    else:
        on = ", ".join(holds) or "none"
        click.echo(printable(f"{application.number}: {done}; holds on it: {on}"))


@pii.command("sweep")
@click.option("--dry-run", is_flag=True, help="List what is due; erase nothing.")
@click.option(
    "--legal-basis",
    metavar="TEXT",
    help="Recorded with each erasure [default: retention period ended].",
)
@_actor_options
@_common
def pii_sweep(
    dry_run: bool,
    legal_basis: str | None,
    actor_id: str,
    roles: tuple[str, ...],
    store_url: str,
    catalogue_path: str | None,
    key_file: str | None,
    as_json: bool,
) -> None:
    """Erase the personal data of every closed application whose retention has run out.

    Each service's retention (catalogue data) says how long its applications' personal
    data is kept after they close; held and archived applications are never due.
    Prints what was erased (or, with --dry-run, what would be); exits with status 1 if
    an erasure was refused on the way.
    """
    actor = _actor(actor_id, roles, as_json=as_json)
    with _desk(catalogue_path, store_url, key_file, as_json=as_json) as desk:
        report = desk.sweep(actor=actor, dry_run=dry_run, legal_basis=legal_basis)
    if dry_run:
        if as_json:
            emit_json({"dry_run": True, "due": list(report.due)})
        else:
            for due in report.due:
                click.echo(printable(f"due {due}"))
            click.echo(f"{len(report.due)} application(s) due for erasure; nothing erased")
        return
    refused = [{"number": n, "rule": rule, "detail": None} for n, rule in report.refused]
    if not as_json:
        click.echo(f"{len(report.erased)} application(s) erased")
    _report([_erasure(found) for found in report.erased], refused, as_json=as_json)


@pii.command("export")
@click.option("--identity", required=True, metavar="SCHEME:NUMBER", help="The person.")
@click.option(
    "--out", metavar="FILE", help="Write to FILE (made with mode 0600) [default: stdout]."
)
@_common
def pii_export(
    identity: str,
    out: str | None,
    store_url: str,
    catalogue_path: str | None,
    key_file: str | None,
    as_json: bool,
) -> None:
    """Write everything held about a person as JSON: an access request.

    The person's applications are found by a keyed blind index of their identity
    number.  The output holds their personal data: send it to them, keep no copy.
    With --out, FILE must not exist.
    """
    import json

    scheme, number = _identity(identity, as_json=as_json)
    with _desk(catalogue_path, store_url, key_file, as_json=as_json) as desk:
        found = desk.export(scheme, number)
    if out is None:
        emit_json(found)
        return
    text = json.dumps(found, ensure_ascii=False, indent=2) + "\n"
    write_new_file("--out", out, text.encode("utf-8"), as_json=as_json, mode=0o600)
    count = len(found["applications"])
    if as_json:
        emit_json({"out": out, "applications": count})
    else:
        click.echo(printable(f"wrote {count} application(s) to {out}"))


@pii.command("keygen")
@click.option(
    "--out", required=True, metavar="FILE", help="The key file to write (never replaced)."
)
@click.option("--key-id", metavar="ID", help="The master key's id [default: a random mk-...].")
@json_option
def pii_keygen(out: str, key_id: str | None, as_json: bool) -> None:
    """Write a new master key file (mode 0600) holding one new master key.

    Keep it apart from the store and its backups: whoever holds both reads the data.
    """
    from onestop.privacy import generate_key_file

    try:
        made = generate_key_file(out, key_id=key_id)
    except OnestopError as exc:
        fail(str(exc), code=EXIT_USAGE, as_json=as_json)
    if as_json:
        emit_json({"out": out, "key_id": made})
    else:
        click.echo(printable(f"wrote {out} with master key {made}"))


@pii.command("rotate-keys")
@click.option(
    "--new-key", is_flag=True, help="First add a new master key to the key file (--key-file)."
)
@store_option
@key_option
@json_option
def pii_rotate_keys(new_key: bool, store_url: str, key_file: str | None, as_json: bool) -> None:
    """Rewrap every data key under the current master key (the last in the key file).

    With --new-key, a new master key is first added to the key file.  Events are not
    rewritten.  Afterwards the older master keys may be removed from the file.
    """
    from onestop.privacy import Keyring, add_master_key

    if new_key:
        if key_file is None:
            fail("--new-key needs --key-file PATH", code=EXIT_USAGE, as_json=as_json)
        try:
            add_master_key(key_file)
        except OnestopError as exc:
            fail(f"--key-file: {exc}", code=EXIT_USAGE, as_json=as_json)
    provider = key_provider(key_file, required=True, as_json=as_json)
    store = open_store(store_url, as_json=as_json)
    try:
        report = Keyring(provider, store).rotate()
    except OnestopError as exc:
        fail(str(exc), code=EXIT_PROBLEMS, as_json=as_json)
    finally:
        store.close()
    counts = dict(report.rewrapped)
    if as_json:
        emit_json({"current_key_id": report.current_key_id, "rewrapped": counts})
    else:
        by_key = ", ".join(f"{old}: {n}" for old, n in counts.items()) or "none to move"
        click.echo(
            f"master key {report.current_key_id} is current; "
            f"rewrapped {report.total} data key(s) ({by_key})"
        )
