"""``onestop audit keygen``, ``checkpoint`` and ``verify --checkpoint``, on SQLite and PostgreSQL.

The acceptance test of issue 15: a history rewritten in the database, with its chain
recomputed, passes ``audit verify`` alone and fails it with a checkpoint.
"""

from __future__ import annotations

import contextlib
import io
import json
import secrets
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from onestop.cli import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, main
from onestop.domain.common.audit import GENESIS, chain_hash
from onestop.domain.common.canonical import canonical_bytes

Rewrite = Callable[[], str]
"""Rewrites one application's history in the database; returns the application's number."""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def demo(url: str) -> None:
    args = ["demo", "--per-day", "12", "--follow-up", "3", "--seed", "7", "--json"]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main([*args, "--store", url]) == EXIT_OK


def forged(rows: list[tuple[int, bytes]]) -> list[tuple[int, bytes, str, str]]:
    """The stream's rows with the first event's actor changed and every hash recomputed."""
    version, body = rows[0]
    document = json.loads(body)
    document["event"]["actor"] = "someone-else-1"
    rows = [(version, canonical_bytes(document)), *rows[1:]]
    chained, previous = [], GENESIS
    for version, body in rows:
        digest = chain_hash(previous, version, body)
        chained.append((version, body, digest, previous))
        previous = digest
    return chained


def sqlite_rewrite(path: Path) -> Rewrite:
    def rewrite() -> str:
        with contextlib.closing(sqlite3.connect(path)) as db, db:
            stream, number = db.execute(
                "SELECT stream_id, number FROM summaries ORDER BY number LIMIT 1"
            ).fetchone()
            rows = db.execute(
                "SELECT version, body FROM events WHERE stream_id = ? ORDER BY version", (stream,)
            ).fetchall()
            for version, body, digest, previous in forged(rows):
                db.execute(
                    "UPDATE events SET body = ?, hash = ?, previous_hash = ?"
                    " WHERE stream_id = ? AND version = ?",
                    (body, digest, previous, stream, version),
                )
        return str(number)

    return rewrite


def postgres_rewrite(postgres_url: str, schema: str) -> Rewrite:
    import psycopg
    from psycopg import sql

    def rewrite() -> str:
        with psycopg.connect(postgres_url) as db:
            summaries = sql.Identifier(schema, "summaries")
            events = sql.Identifier(schema, "events")
            stream, number = db.execute(
                sql.SQL("SELECT stream_id, number FROM {} ORDER BY number LIMIT 1").format(
                    summaries
                )
            ).fetchone()  # type: ignore[misc]
            rows = db.execute(
                sql.SQL(
                    "SELECT version, body FROM {} WHERE stream_id = %s ORDER BY version"
                ).format(events),
                (stream,),
            ).fetchall()
            for version, body, digest, previous in forged([(v, bytes(b)) for v, b in rows]):
                db.execute(
                    sql.SQL(
                        "UPDATE {} SET body = %s, hash = %s, previous_hash = %s"
                        " WHERE stream_id = %s AND version = %s"
                    ).format(events),
                    (body, digest, previous, stream, version),
                )
        return str(number)

    return rewrite


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Rewrite]]:
    """A demo store, and what rewrites one of its applications' history in the database."""
    if request.param == "sqlite":
        path = tmp_path / "demo.sqlite3"
        demo(f"sqlite:///{path}")
        yield f"sqlite:///{path}", sqlite_rewrite(path)
        return
    import psycopg
    from psycopg import sql

    postgres_url = request.getfixturevalue("postgres_url")
    schema = f"onestop_test_{secrets.token_hex(6)}"
    separator = "&" if "?" in postgres_url else "?"
    url = f"{postgres_url}{separator}schema={schema}"
    try:
        demo(url)
        yield url, postgres_rewrite(postgres_url, schema)
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture
def key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    code, _, _ = run(capsys, "audit", "keygen", "--out", str(tmp_path / "key.pem"))
    assert code == EXIT_OK
    return tmp_path / "key.pem"


def test_a_rewritten_history_fails_only_with_a_checkpoint(
    capsys: pytest.CaptureFixture[str], store: tuple[str, Rewrite], key: Path, tmp_path: Path
) -> None:
    """A history rewritten, its chain recomputed, passes audit verify, but not with a checkpoint."""
    url, rewrite = store
    published = tmp_path / "checkpoint.json"
    code, out, _ = run(
        capsys, "audit", "checkpoint", "--store", url, "--key", str(key), "--out", str(published)
    )
    assert code == EXIT_OK, out
    trusted = ("--checkpoint", str(published), "--public-key", f"{key}.pub")
    code, out, _ = run(capsys, "audit", "verify", "--store", url, *trusted, "--json")
    assert code == EXIT_OK
    assert json.loads(out)["checkpoint"]["ok"] is True
    number = rewrite()
    code, out, _ = run(capsys, "audit", "verify", "--store", url, "--json")
    assert (code, json.loads(out)["ok"]) == (EXIT_OK, True)
    code, out, _ = run(capsys, "audit", "verify", "--store", url, *trusted, "--json")
    found = json.loads(out)
    assert (code, found["ok"], found["broken"]) == (EXIT_PROBLEMS, False, [])
    (mismatch,) = found["checkpoint"]["mismatches"]
    assert mismatch["number"] == number
    assert "rewritten" in mismatch["problem"]
    code, out, _ = run(capsys, "audit", "verify", "--store", url, *trusted)
    assert code == EXIT_PROBLEMS
    assert f"DIFFERS {number}: at version" in out


def test_keygen_writes_a_private_file_and_refuses_to_overwrite(
    capsys: pytest.CaptureFixture[str], key: Path
) -> None:
    """The private key is readable by its owner only; a second keygen there exits 2."""
    assert key.stat().st_mode & 0o777 == 0o600
    assert "BEGIN PUBLIC KEY" in Path(f"{key}.pub").read_text()
    before = key.read_bytes()
    code, _, err = run(capsys, "audit", "keygen", "--out", str(key), "--json")
    assert code == EXIT_USAGE
    assert "exists already" in err
    assert key.read_bytes() == before


def test_checkpoint_refuses_a_key_open_to_others(
    capsys: pytest.CaptureFixture[str], key: Path, tmp_path: Path
) -> None:
    """Signing with a private key file others may read exits 2, and writes nothing."""
    key.chmod(0o644)
    out = tmp_path / "c.json"
    code, _, err = run(
        capsys, "audit", "checkpoint", "--store", "memory://", "--key", str(key), "--out", str(out)
    )
    assert code == EXIT_USAGE
    assert "chmod 600" in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("damage", "code"),
    [
        (lambda text: text[: len(text) // 2], EXIT_USAGE),
        (lambda text: text.replace('"version": ', '"version": 1', 1), EXIT_USAGE),
        (lambda text: text.replace('"signature": "', '"signature": "0', 1)[:-1], EXIT_USAGE),
        (lambda text: text.replace('"store_id": null', '"store_id": "x"'), EXIT_PROBLEMS),
    ],
    ids=["truncated", "head-changed", "signature-mangled", "statement-changed"],
)
def test_a_tampered_checkpoint_file_is_refused(
    capsys: pytest.CaptureFixture[str], key: Path, tmp_path: Path, damage, code: int
) -> None:
    """A truncated or edited checkpoint file is refused, never trusted."""
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    demo(url)
    published = tmp_path / "c.json"
    run(capsys, "audit", "checkpoint", "--store", url, "--key", str(key), "--out", str(published))
    published.write_text(damage(published.read_text()))
    found = run(
        capsys,
        "audit",
        "verify",
        "--store",
        url,
        "--checkpoint",
        str(published),
        "--public-key",
        f"{key}.pub",
        "--json",
    )
    assert found[0] == code
    assert "checkpoint" in found[2]


def test_verify_needs_both_checkpoint_and_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """--checkpoint without --public-key (the key to trust) is a usage error."""
    code, _, err = run(
        capsys, "audit", "verify", "--store", "memory://", "--checkpoint", str(tmp_path / "c")
    )
    assert code == EXIT_USAGE
    assert "together" in err
