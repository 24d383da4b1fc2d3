"""The ``onestop audit`` commands: verify the chains, make keys, sign and check checkpoints.

``audit verify`` checks every hash chain in a store; with ``--checkpoint FILE
--public-key FILE`` it also compares every stream with a signed checkpoint, which
catches a history rewritten with its hashes recomputed.  ``audit keygen`` makes an
Ed25519 key pair, ``audit checkpoint`` signs the heads of every stream.

Exit codes are the command line's: 1 when a chain is broken or a stream differs from
its checkpoint, or the checkpoint is not signed by the trusted key; 2 when a key or
checkpoint file is missing, unreadable or malformed, or an option is wrong.
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
    open_store,
    store_option,
    write_new_file,
)
from onestop.exceptions import (
    ApplicationNotFound,
    CheckpointError,
    CheckpointRefused,
    CheckpointSignatureInvalid,
)

__all__ = ["audit"]


@click.group()
def audit() -> None:
    """Check the tamper-evident audit trail, and sign checkpoints of it."""


def _read_checkpoint(path: str, *, as_json: bool) -> Any:
    from onestop.privacy._files import read_small_file
    from onestop.usecases.checkpoints import MAX_CHECKPOINT_BYTES, read_checkpoint

    try:
        return read_checkpoint(read_small_file(path, limit=MAX_CHECKPOINT_BYTES))
    except OSError as exc:
        fail(f"--checkpoint {path}: {exc.strerror}", code=EXIT_USAGE, as_json=as_json)
    except CheckpointError as exc:
        fail(f"--checkpoint {path}: {exc}", code=EXIT_USAGE, as_json=as_json)


def _compare(store: Any, checkpoint: Any, verifier: Any, number: str | None, as_json: bool) -> Any:
    from onestop.usecases.checkpoints import verify_checkpoint

    try:
        return verify_checkpoint(store, checkpoint, verifier, number=number)
    except CheckpointSignatureInvalid as exc:
        fail(str(exc), code=EXIT_PROBLEMS, as_json=as_json)


def _checkpoint_section(found: Any) -> dict[str, Any]:
    mismatches = [
        {"number": m.number, "application_id": m.application_id, "stream": m.stream}
        | {"version": m.version, "problem": m.problem}
        for m in found.mismatches
    ]
    return {
        "ok": found.ok,
        "created_at": found.created_at.isoformat(),
        "signer": found.signer,
        "store_id": found.store_id,
        "checked": found.checked,
        "mismatches": mismatches,
        "not_covered": list(found.not_covered),
    }


@audit.command("verify")
@click.argument("number", required=False)
@store_option
@click.option("--checkpoint", "checkpoint_path", metavar="FILE", help="A signed checkpoint.")
@click.option(
    "--public-key", "public_key", metavar="FILE", help="The public key trusted to sign it."
)
@json_option
def audit_verify(
    number: str | None,
    store_url: str,
    checkpoint_path: str | None,
    public_key: str | None,
    as_json: bool,
) -> None:
    """Check every hash chain in the store, or only application NUMBER's.

    Each application's events are checked, and its courier index, courier jobs and
    custody ledgers; for the whole store, staff accounts and their grants too.  Each
    broken chain is named with the application's number (``staff`` for a staff
    stream), the stream and its first bad entry.  With --checkpoint and --public-key, each stream
    is also compared with the head a signed checkpoint fixed; streams created since
    are listed as not covered.  Exits with status 1 if a chain is broken or a stream
    differs from its checkpoint.
    """
    from onestop.cli.demo import verify_store
    from onestop.domain.common.formats import preview
    from onestop.privacy.signing import Ed25519Verifier

    if (checkpoint_path is None) != (public_key is None):
        fail("give --checkpoint and --public-key together", code=EXIT_USAGE, as_json=as_json)
    checkpoint = verifier = None
    if checkpoint_path is not None and public_key is not None:
        try:
            verifier = Ed25519Verifier.from_file(public_key)
        except CheckpointError as exc:
            fail(f"--public-key: {exc}", code=EXIT_USAGE, as_json=as_json)
        checkpoint = _read_checkpoint(checkpoint_path, as_json=as_json)
    store = open_store(store_url, as_json=as_json)
    try:
        audit = verify_store(store, number=number)
        compared = _compare(store, checkpoint, verifier, number, as_json) if checkpoint else None
    except ApplicationNotFound:
        fail(f"no application is numbered {preview(number)}", code=EXIT_PROBLEMS, as_json=as_json)
    finally:
        store.close()
    broken = [
        {"number": b.number, "application_id": b.application_id, "stream": b.stream}
        | {"entry": b.entry, "problem": b.problem}
        for b in audit.broken
    ]
    if as_json:
        counts = {"applications": audit.applications, "chains": audit.chains}
        section = {} if compared is None else {"checkpoint": _checkpoint_section(compared)}
        ok = audit.ok and (compared is None or compared.ok)
        emit_json({"ok": ok, **counts, "packets": audit.packets, "broken": broken} | section)
    else:
        for item in audit.broken:
            where = "" if item.stream == item.application_id else f" ({item.stream})"
            click.echo(f"BROKEN {item.number}{where}: entry {item.entry}: {item.problem}")
        verdict = f"{len(broken)} broken" if broken else "every chain intact"
        click.echo(f"{audit.applications} application(s), {audit.chains} chain(s): {verdict}")
        if compared is not None:
            _echo_checkpoint(compared)
    if broken or (compared is not None and not compared.ok):
        raise SystemExit(EXIT_PROBLEMS)


def _echo_checkpoint(found: Any) -> None:
    for item in found.mismatches:
        number = item.number or f"(application {item.application_id}, gone)"
        where = "" if item.stream == item.application_id else f" ({item.stream})"
        click.echo(f"DIFFERS {number}{where}: at version {item.version}: {item.problem}")
    made = found.created_at.isoformat(timespec="seconds")
    verdict = f"{len(found.mismatches)} differ" if found.mismatches else "every head intact"
    click.echo(
        f"checkpoint of {made} signed by {found.signer}: {found.checked} stream(s): "
        f"{verdict}; {len(found.not_covered)} stream(s) created since, not covered"
    )


@audit.command("keygen")
@click.option("--out", "out", required=True, metavar="FILE", help="The private key file to create.")
@json_option
def audit_keygen(out: str, as_json: bool) -> None:
    """Make an Ed25519 key pair for signing checkpoints.

    The private key goes to FILE (PEM, PKCS #8, mode 0600), the public key to FILE.pub
    (PEM), and is printed with its fingerprint.  Neither file may exist already.  Keep
    the private key off the database server; publish the public key.
    """
    from onestop.privacy.signing import write_key_files

    try:
        verifier = write_key_files(out)
    except CheckpointError as exc:
        fail(str(exc), code=EXIT_USAGE, as_json=as_json)
    public = f"{out}.pub"
    if as_json:
        emit_json(
            {"private_key": out, "public_key": public, "fingerprint": verifier.fingerprint}
            | {"public_key_pem": verifier.pem()}
        )
    else:
        click.echo(f"private key: {out} (keep it secret)\npublic key: {public}")
        click.echo(f"fingerprint: {verifier.fingerprint}")
        click.echo(verifier.pem(), nl=False)


@audit.command("checkpoint")
@store_option
@click.option("--key", "key_path", required=True, metavar="FILE", help="The private key file.")
@click.option("--out", "out", required=True, metavar="FILE", help="The checkpoint file to write.")
@click.option("--store-id", metavar="NAME", help="A name of the store, written in the checkpoint.")
@json_option
def audit_checkpoint(
    store_url: str, key_path: str, out: str, store_id: str | None, as_json: bool
) -> None:
    """Sign the head of every stream in the store into a checkpoint file, to publish.

    Every chain is checked first; if one is broken, no checkpoint is written and the
    command exits with status 1.  An existing FILE is not overwritten.
    """
    from onestop.privacy.signing import Ed25519Signer
    from onestop.usecases.checkpoints import checkpoint_bytes, make_checkpoint

    try:
        signer = Ed25519Signer.from_file(key_path)
    except CheckpointError as exc:
        fail(f"--key: {exc}", code=EXIT_USAGE, as_json=as_json)
    target = Path(out)
    if target.exists():
        fail(f"--out {out}: exists already: not overwritten", code=EXIT_USAGE, as_json=as_json)
    store = open_store(store_url, as_json=as_json)
    try:
        made = make_checkpoint(store, signer, now=datetime.now(UTC), store_id=store_id)
    except CheckpointRefused as exc:
        fail(f"{exc} (run onestop audit verify)", code=EXIT_PROBLEMS, as_json=as_json)
    except CheckpointError as exc:
        fail(str(exc), code=EXIT_USAGE, as_json=as_json)
    finally:
        store.close()
    write_new_file("--out", out, checkpoint_bytes(made), as_json=as_json)
    statement = made.statement
    summary = {"out": out, "streams": statement.streams, "root": statement.root}
    if as_json:
        emit_json(
            summary
            | {"created_at": statement.created_at.isoformat()}
            | {"signer": statement.signer, "store_id": statement.store_id}
        )
    else:
        click.echo(
            f"{statement.streams} stream(s) signed by {statement.signer} into {out} "
            f"(root {statement.root})"
        )
