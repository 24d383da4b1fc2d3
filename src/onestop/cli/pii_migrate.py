"""``onestop pii migrate``: seal a store written in plain text, once, and sign a checkpoint.

The command is added to the ``onestop pii`` group (`onestop.cli.pii`) by `onestop.cli`.

It runs `onestop.usecases.sealing_migration.seal_history` over the store with the
master keys of ``--key-file`` (or ``ONESTOP_KEY_FILE``, or ``ONESTOP_MASTER_KEY``), then
signs a checkpoint of every stream's head with the Ed25519 key of ``--signing-key`` into
``--checkpoint-out``, so that the rewritten history is pinned.  ``--dry-run`` counts
what would change and writes nothing.

Exit codes are the command line's: 1 when an application kept moving and was not
sealed (stop the mall and run again), a stored event does not decode, or a chain is
broken (no checkpoint is signed then); 2 when a key file is missing, unsafe or
malformed, the checkpoint file exists already, or the store cannot be opened.  No
personal value and no key material is ever printed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from onestop.cli._common import (
    EXIT_PROBLEMS,
    EXIT_USAGE,
    emit_json,
    fail,
    json_option,
    key_option,
    key_provider,
    open_store,
    store_option,
    write_new_file,
)
from onestop.exceptions import (
    CheckpointError,
    CheckpointRefused,
    ConfigurationError,
    KeyUnavailable,
    OnestopError,
)

__all__ = ["pii_migrate"]


@click.command("migrate")
@store_option
@key_option
@click.option(
    "--signing-key",
    "signing_key",
    required=True,
    metavar="FILE",
    help="The Ed25519 private key that signs the checkpoint.",
)
@click.option(
    "--checkpoint-out",
    "checkpoint_out",
    required=True,
    metavar="FILE",
    help="The checkpoint file to write (not overwritten).",
)
@click.option(
    "--actor",
    "actor",
    default="onestop-pii-migrate",
    show_default=True,
    metavar="ID",
    help="Who runs the migration, recorded in each binding event.",
)
@click.option("--dry-run", "dry_run", is_flag=True, help="Count what would change; write nothing.")
@json_option
def pii_migrate(
    store_url: str,
    key_file: str | None,
    signing_key: str,
    checkpoint_out: str,
    actor: str,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Seal every plain personal value in the store's histories, then sign a checkpoint.

    Each application's stream and its courier jobs are re-encoded with the personal
    values sealed, chained again and rewritten atomically; a history_resealed event in
    the application's stream binds the old head to the new.  Run it with the mall
    stopped.  Interrupted, it continues where it stopped when run again; on a sealed
    store it changes nothing.  Afterwards the heads of every stream are signed into
    --checkpoint-out: publish it, and the public key, as after onestop audit checkpoint.
    """
    from onestop.privacy.signing import Ed25519Signer

    provider = key_provider(key_file, required=True, as_json=as_json)
    try:
        signer = Ed25519Signer.from_file(signing_key)
    except CheckpointError as exc:
        fail(f"--signing-key: {exc}", code=EXIT_USAGE, as_json=as_json)
    target = Path(checkpoint_out)
    if not dry_run and target.exists():
        fail(
            f"--checkpoint-out {checkpoint_out}: exists already: not overwritten",
            code=EXIT_USAGE,
            as_json=as_json,
        )
    store = open_store(store_url, as_json=as_json)
    try:
        report, made = _run(store, provider, signer, actor=actor, dry_run=dry_run, as_json=as_json)
    finally:
        store.close()
    if made is not None:
        _write(target, made, as_json=as_json)
    _show(report, made, checkpoint_out, as_json=as_json)
    if report.moved:
        raise SystemExit(EXIT_PROBLEMS)


def _run(
    store: Any, provider: Any, signer: Any, *, actor: str, dry_run: bool, as_json: bool
) -> tuple[Any, Any]:
    from onestop.privacy import Keyring
    from onestop.usecases.checkpoints import make_checkpoint
    from onestop.usecases.sealing_migration import seal_history

    now = datetime.now(UTC)
    try:
        report = seal_history(
            store, Keyring(provider, store), actor=actor, now=now, dry_run=dry_run
        )
        made = None if dry_run else make_checkpoint(store, signer, now=datetime.now(UTC))
    except (ConfigurationError, KeyUnavailable) as exc:
        fail(str(exc), code=EXIT_USAGE, as_json=as_json)
    except CheckpointRefused as exc:
        fail(f"{exc} (run onestop audit verify)", code=EXIT_PROBLEMS, as_json=as_json)
    except OnestopError as exc:
        fail(str(exc), code=EXIT_PROBLEMS, as_json=as_json)
    return report, made


def _write(target: Path, made: Any, *, as_json: bool) -> None:
    from onestop.usecases.checkpoints import checkpoint_bytes

    write_new_file("--checkpoint-out", str(target), checkpoint_bytes(made), as_json=as_json)


def _show(report: Any, made: Any, out: str, *, as_json: bool) -> None:
    statement = None if made is None else made.statement
    if as_json:
        checkpoint = (
            None
            if statement is None
            else {"out": out, "streams": statement.streams, "root": statement.root}
            | {"signer": statement.signer, "created_at": statement.created_at.isoformat()}
        )
        emit_json(
            {
                "dry_run": report.dry_run,
                "applications": report.applications,
                "resealed": list(report.resealed),
                "streams": report.streams,
                "events": report.events,
                "already_sealed": report.already_sealed,
                "moved": list(report.moved),
                "people_indexed": report.people_indexed,
                "checkpoint": checkpoint,
            }
        )
        return
    for number in report.moved:
        click.echo(f"MOVED {number}: its stream kept moving; not sealed (stop the mall, run again)")
    verb = "would be" if report.dry_run else "were"
    click.echo(
        f"{report.applications} application(s): {len(report.resealed)} {verb} sealed "
        f"({report.streams} stream(s), {report.events} event(s)), "
        f"{report.already_sealed} sealed already, {report.people_indexed} people indexed"
    )
    if statement is not None:
        click.echo(
            f"{statement.streams} stream(s) signed by {statement.signer} into {out} "
            f"(root {statement.root})"
        )
