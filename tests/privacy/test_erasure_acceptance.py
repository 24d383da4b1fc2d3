"""Acceptance of issue 15: ``onestop pii erase`` leaves no personal value anywhere it looks.

Each test writes one application with recognisable values (`erasure_support`) through
the Python API into a store that seals with a key file, erases it with the command
line, and greps what the store (the SQLite file and its WAL, a ``pg_dump`` of the
PostgreSQL schema) or the relay (the JetStream messages) holds, for every form of the
values.  Tests marked ``postgres`` or ``nats`` skip, visibly, without their server.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest
from erasure_support import DPO, NIK, VALUES, World, found_in, run_cli, sealing_mall, write_world

from onestop.domain.common.subjects import subject_id
from onestop.privacy import generate_key_file
from onestop.storage import from_url

BASIS = ("--legal-basis", "UU 27/2022 pasal 8")


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "master.keys"
    generate_key_file(path)
    return path


def _erase(url: str, world: World, *extra: str) -> list[str]:
    keys = ("--key-file", str(world.key_file))
    return ["pii", "erase", world.number, "--store", url, *keys, *BASIS, *DPO, *extra]


def _wrapped(store: object, world: World) -> list[bytes]:
    subjects = [subject_id(world.application_id, role) for role in ("applicant", "representative")]
    found = store.subject_keys(subjects)  # type: ignore[attr-defined]
    return [key.wrapped.data for key in found.values() if key.wrapped is not None]


def _export(url: str, world: World) -> dict[str, object]:
    keys = ("--key-file", str(world.key_file))
    outcome = run_cli(["pii", "export", "--store", url, *keys, "--identity", f"id-nik:{NIK}"])
    assert outcome.code == 0, outcome.err
    found: dict[str, object] = json.loads(outcome.out)
    return found


def _raw(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


@pytest.fixture
def sqlite_world(tmp_path: Path, key_file: Path) -> tuple[str, Path, World, list[bytes]]:
    path = tmp_path / "mall.sqlite3"
    url = f"sqlite:///{path}"
    store = from_url(url)
    try:
        world = write_world(store, key_file)
        wrapped = _wrapped(store, world)
    finally:
        store.close()
    return url, path, world, wrapped


def test_after_erase_no_value_is_in_the_sqlite_file_or_its_wal(
    sqlite_world: tuple[str, Path, World, list[bytes]],
) -> None:
    """After ``pii erase``, no form of any value and no wrapped key is in the file or WAL."""
    url, path, world, wrapped = sqlite_world
    before = json.dumps(_export(url, world), ensure_ascii=False).casefold()
    assert all(value.casefold() in before for value in VALUES)  # readable with the keys
    assert len(wrapped) == 2

    outcome = run_cli(_erase(url, world, "--override-retention"))

    assert outcome.code == 0, outcome.err
    assert f"erased {world.number}: applicant, representative" in outcome.out
    raw = _raw(path)
    assert found_in(raw) == []
    assert [key for key in wrapped if key in raw] == []
    assert _export(url, world)["applications"] == []


def test_after_erase_audit_verify_passes_and_track_shows_the_status(
    sqlite_world: tuple[str, Path, World, list[bytes]],
) -> None:
    """After ``pii erase``, ``audit verify`` passes without keys and ``track`` still works."""
    url, _, world, _ = sqlite_world
    assert run_cli(_erase(url, world, "--override-retention")).code == 0

    audit = run_cli(["audit", "verify", "--store", url])
    track = run_cli(["track", world.number, "--secret", world.secret, "--store", url])
    keys = ("--key-file", str(world.key_file), "--json")
    keyed = run_cli(["track", world.number, "--secret", world.secret, "--store", url, *keys])

    assert audit.code == 0, audit.out + audit.err
    assert "every chain intact" in audit.out
    assert track.code == 0, track.err
    assert world.number in track.out
    assert "(withdrawn)" in track.out
    assert json.loads(keyed.out)["state"] == "withdrawn"


def test_track_shows_a_sealed_application_with_and_without_keys(
    tmp_path: Path, key_file: Path
) -> None:
    """A sealed, open application is tracked with its keys and without them alike."""
    url = f"sqlite:///{tmp_path / 'open.sqlite3'}"
    store = from_url(url)
    try:
        world = write_world(store, key_file, close=False)
    finally:
        store.close()
    base = ["track", world.number, "--secret", world.secret, "--store", url, "--json"]

    without = run_cli(base)
    keyed = run_cli([*base, "--key-file", str(key_file)])

    assert without.code == keyed.code == 0, without.err + keyed.err
    assert json.loads(without.out) == json.loads(keyed.out)
    assert found_in(without.out.encode()) == []


# --- refusals -----------------------------------------------------------------------------


def _refusal(outcome: object) -> str:
    text = getattr(outcome, "out", "")
    assert getattr(outcome, "code", None) == 1, text
    return text


def test_erasing_an_open_application_is_refused_by_rule_open(
    tmp_path: Path, key_file: Path
) -> None:
    """Erasing an open application exits 1 naming rule ``open``, and erases nothing."""
    url = f"sqlite:///{tmp_path / 'open.sqlite3'}"
    store = from_url(url)
    try:
        world = write_world(store, key_file, close=False)
    finally:
        store.close()

    text = _refusal(run_cli(_erase(url, world, "--override-retention")))

    assert f"refused {world.number}: rule open" in text
    assert _export(url, world)["applications"] != []


def test_erasing_a_held_application_is_refused_until_the_hold_is_released(
    sqlite_world: tuple[str, Path, World, list[bytes]],
) -> None:
    """With a legal hold on it, erasure exits 1 naming ``legal_hold``; released, it passes."""
    url, _, world, _ = sqlite_world
    keys = ("--key-file", str(world.key_file))
    hold = ["pii", "hold", world.number, "PN-JKT-2025-17", "--reason", "court_order"]
    assert run_cli([*hold, "--store", url, *keys, *DPO]).code == 0

    text = _refusal(run_cli(_erase(url, world, "--override-retention")))
    release = ["pii", "release", world.number, "PN-JKT-2025-17", "--store", url, *keys, *DPO]
    released = run_cli(release)
    after = run_cli(_erase(url, world, "--override-retention"))

    assert f"refused {world.number}: rule legal_hold" in text
    assert released.code == 0, released.err
    assert after.code == 0, after.err


def test_erasing_within_the_retention_period_is_refused_unless_overriding(
    sqlite_world: tuple[str, Path, World, list[bytes]],
) -> None:
    """Without --override-retention, a closed application within retention is refused."""
    url, _, world, _ = sqlite_world

    text = _refusal(run_cli(_erase(url, world)))
    sweep = run_cli(
        ["pii", "sweep", "--dry-run", "--store", url, "--key-file", str(world.key_file), *DPO]
    )

    assert f"refused {world.number}: rule retention" in text
    assert sweep.code == 0
    assert world.number not in sweep.out  # not due: the keep period runs for years


def test_erasing_an_archived_application_is_refused_by_rule_archive(
    tmp_path: Path, key_file: Path
) -> None:
    """An application of a service whose retention archives it is refused by ``archive``."""
    path = tmp_path / "mall.sqlite3"
    store = from_url(f"sqlite:///{path}")
    try:
        world = write_world(store, key_file)
    finally:
        store.close()
    catalogue = tmp_path / "archived"
    shutil.copytree(Path(__file__).parents[2] / "examples" / "jakarta", catalogue)
    services = catalogue / "services" / "dpmptsp-dki.toml"
    kept = 'retention = { keep_after_closing = "20 years" }'
    text = services.read_text(encoding="utf-8")
    assert text.count(kept) == 1  # the SLF's retention
    services.write_text(text.replace(kept, "retention = { archive = true }"), encoding="utf-8")

    outcome = run_cli(
        _erase(f"sqlite:///{path}", world, "--override-retention", "--catalogue", str(catalogue))
    )

    assert f"refused {world.number}: rule archive" in _refusal(outcome)


def test_erase_by_identity_erases_every_application_of_the_person(
    sqlite_world: tuple[str, Path, World, list[bytes]],
) -> None:
    """``pii erase --identity`` finds the person by blind index and erases each application."""
    url, path, world, _ = sqlite_world
    keys = ("--key-file", str(world.key_file))
    command = ["pii", "erase", "--identity", f"id-nik:{NIK}", "--store", url, *keys]

    outcome = run_cli([*command, *BASIS, *DPO, "--override-retention"])

    assert outcome.code == 0, outcome.err
    assert world.number in outcome.out
    assert NIK not in outcome.out + outcome.err
    assert found_in(_raw(path)) == []


# --- PostgreSQL and NATS --------------------------------------------------------------------


@pytest.mark.postgres
def test_after_erase_no_value_is_in_a_pg_dump_of_the_schema(
    postgres_url: str, key_file: Path
) -> None:
    """After ``pii erase`` on PostgreSQL, a ``pg_dump`` of the schema holds no value."""
    import psycopg
    from psycopg import sql

    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.skip("pg_dump is not installed")
    schema = f"onestop_erase_{secrets.token_hex(6)}"
    separator = "&" if "?" in postgres_url else "?"
    url = f"{postgres_url}{separator}schema={schema}"
    try:
        store = from_url(url)
        try:
            world = write_world(store, key_file)
            wrapped = _wrapped(store, world)
        finally:
            store.close()

        def dump() -> bytes:
            command = [pg_dump, "--schema", schema, "--data-only", "--inserts", postgres_url]
            return subprocess.run(command, check=True, capture_output=True).stdout

        assert any(key.hex().encode() in dump() for key in wrapped)  # the dump sees keys
        outcome = run_cli(_erase(url, world, "--override-retention"))
        assert outcome.code == 0, outcome.err
        raw = dump()
        assert found_in(raw) == []
        assert [key for key in wrapped if key in raw or key.hex().encode() in raw] == []
        assert run_cli(["audit", "verify", "--store", url]).code == 0
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            drop = sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
            conn.execute(drop)


@pytest.mark.nats
def test_what_the_relay_published_to_nats_holds_no_value(tmp_path: Path, key_file: Path) -> None:
    """Every message the relay published to JetStream, before and after erasure, holds none."""
    nats_url = os.environ.get("ONESTOP_TEST_NATS_URL", "")
    if not nats_url:
        pytest.skip("ONESTOP_TEST_NATS_URL is not set")
    import nats

    from onestop.transport.nats import NatsPublisher
    from onestop.transport.relay import Relay

    token = secrets.token_hex(4)
    stream, prefix = f"ONESTOP_ERASE_{token}", f"onestop.erase{token}"
    url = f"sqlite:///{tmp_path / 'mall.sqlite3'}"

    def relay() -> int:
        store = from_url(url)
        try:
            publisher = NatsPublisher(nats_url, stream=stream, prefix=prefix)
            with publisher:
                worker = Relay(store, {"nats": publisher}, consumer="erasure-test")
                delivered = 0
                while worker.backlog()["nats"]:
                    delivered += worker.run_once().delivered
                return delivered
        finally:
            store.close()

    async def published() -> bytes:
        client = await nats.connect(nats_url)
        try:
            js = client.jetstream()
            info = await js.stream_info(stream)
            raw = b""
            for sequence in range(info.state.first_seq, info.state.last_seq + 1):
                stored = await js.get_msg(stream, sequence)
                raw += (stored.data or b"") + repr(stored.headers).encode()
            await js.delete_stream(stream)
            return raw
        finally:
            await client.close()

    store = from_url(url)
    try:
        world = write_world(store, key_file)
    finally:
        store.close()
    first = relay()
    assert run_cli(_erase(url, world, "--override-retention")).code == 0
    second = relay()
    raw = asyncio.run(published())

    assert first > 0
    assert second > 0
    assert world.application_id.encode() in raw  # the messages are the application's
    assert found_in(raw) == []


def test_the_mall_reads_the_erased_application_as_erased(
    sqlite_world: tuple[str, Path, World, list[bytes]],
) -> None:
    """With the keys, the erased application loads, its applicant erased."""
    url, _, world, _ = sqlite_world
    assert run_cli(_erase(url, world, "--override-retention")).code == 0
    store = from_url(url)
    try:
        application = sealing_mall(store, world.key_file).application(world.application_id)
    finally:
        store.close()

    assert application.erased is not None
    assert application.applicant.name.is_erased  # type: ignore[union-attr]


# --- no key and no personal value in what the commands print --------------------------------


def _key_forms(key_file: Path) -> list[str]:
    import base64

    found: list[str] = []
    for line in key_file.read_text(encoding="ascii").splitlines():
        if line.startswith("#") or ":" not in line:
            continue
        encoded = line.partition(":")[2].strip()
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        found += [encoded, line, base64.b64encode(raw).decode(), raw.hex()]
        found += [base64.b64encode(raw).decode().rstrip("="), encoded[:16]]
    return found


def test_no_command_prints_a_key_or_a_personal_value_but_export(
    sqlite_world: tuple[str, Path, World, list[bytes]], tmp_path: Path
) -> None:
    """Every ``pii`` command but ``export``, and track, report and verify, print no key or value."""
    url, _, world, _ = sqlite_world
    keys = ("--store", url, "--key-file", str(world.key_file))
    person = ("--identity", f"id-nik:{NIK}")
    runs = [
        ["pii", "hold", world.number, "H-1", "--reason", "audit", *keys, *DPO],
        ["pii", "release", world.number, "H-1", *keys, *DPO],
        ["pii", "sweep", "--dry-run", *keys, *DPO],
        ["pii", "export", *keys, *person, "--out", str(tmp_path / "export.json")],
        ["pii", "rotate-keys", "--new-key", *keys],
        ["pii", "rotate-keys", *keys, "--json"],
        ["track", world.number, "--secret", world.secret, *keys],
        ["sla", "report", *keys, "--json"],
        ["audit", "verify", "--store", url],
        ["pii", "erase", *person, *keys, *BASIS, *DPO],  # refused: retention
        ["pii", "erase", *person, *keys, *BASIS, *DPO, "--override-retention", "--json"],
        ["pii", "erase", *person, *keys, *BASIS, *DPO],  # nothing left to find
        ["pii", "erase", world.number, *keys, *BASIS, "--actor", "x", "--role", "verifier"],
        ["pii", "keygen", "--out", str(world.key_file)],  # refused: exists
        ["pii", "export", "--store", url, "--identity", f"id-nik:{NIK}"],  # no keys
        ["pii", "export", *keys, "--identity", f"{NIK}"],  # malformed
        ["pii", "export", *keys, "--identity", f"id-nik:{NIK}x"],
    ]
    printed = ""
    for args in runs:
        outcome = run_cli(args)
        assert outcome.code in (0, 1, 2)
        printed += outcome.out + outcome.err
    exported = (tmp_path / "export.json").read_text(encoding="utf-8")

    assert NIK in exported  # export alone shows the person's data
    assert oct((tmp_path / "export.json").stat().st_mode & 0o777) == "0o600"
    assert found_in(printed.encode()) == []
    assert [form for form in _key_forms(world.key_file) if form in printed] == []
