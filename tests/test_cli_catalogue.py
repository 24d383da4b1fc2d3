"""``onestop catalogue publish``, ``versions`` and ``fetch``, run through main()."""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from onestop.cli import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, main
from onestop.ports.catalogue import catalogue_digest
from onestop.storage.sqlite import SQLiteStore
from onestop.usecases.catalogue.loading import load_catalogue
from onestop.usecases.catalogue.publishing import canonical_catalogue

ROOT = Path(__file__).parent.parent
JAKARTA = ROOT / "examples" / "jakarta"
CAMBODIA = ROOT / "examples" / "cambodia"
BROKEN = Path(__file__).parent / "catalogue" / "broken" / "dangling_agency.toml"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.fixture
def store(tmp_path: Path) -> str:
    """The URL of a new SQLite store."""
    return f"sqlite:///{tmp_path / 'mall.sqlite3'}"


def published(url: str) -> list[int]:
    """The numbers of the catalogue versions in the SQLite store at *url*."""
    with SQLiteStore.from_url(url) as opened:
        return [v.version for v in opened.catalogue_versions()]


# --- publish ------------------------------------------------------------------------


def test_publish_prints_the_version_and_digest(
    capsys: pytest.CaptureFixture[str], store: str
) -> None:
    """Publishing to an empty store prints version 1 and the canonical content's SHA-256."""
    digest = catalogue_digest(canonical_catalogue(load_catalogue(JAKARTA)))
    code, out, err = run(capsys, "catalogue", "publish", str(JAKARTA), "--store", store)
    assert (code, err) == (EXIT_OK, "")
    assert out == f"published catalogue version 1 (sha256 {digest})\n"


def test_publish_json_describes_the_version(capsys: pytest.CaptureFixture[str], store: str) -> None:
    """With --json, publish prints the version's number, digest, size, instant, label and news."""
    args = ("catalogue", "publish", str(JAKARTA), "--store", store, "--label", "opening day")
    code, out, _ = run(capsys, *args, "--json")
    assert code == EXIT_OK
    found = json.loads(out)
    content = canonical_catalogue(load_catalogue(JAKARTA))
    assert {k: found[k] for k in ("version", "digest", "size", "label", "created")} == {
        "version": 1,
        "digest": catalogue_digest(content),
        "size": len(content),
        "label": "opening day",
        "created": True,
    }
    assert datetime.fromisoformat(found["recorded_at"]).utcoffset() is not None


def test_publishing_an_unchanged_catalogue_writes_nothing(
    capsys: pytest.CaptureFixture[str], store: str
) -> None:
    """Publishing the same catalogue again says it is unchanged and adds no version."""
    run(capsys, "catalogue", "publish", str(JAKARTA), "--store", store)
    code, out, _ = run(capsys, "catalogue", "publish", str(JAKARTA), "--store", store)
    assert code == EXIT_OK
    assert out.startswith("unchanged: catalogue version 1 holds this catalogue already")
    code, out, _ = run(capsys, "catalogue", "publish", str(JAKARTA), "--store", store, "--json")
    assert (json.loads(out)["version"], json.loads(out)["created"]) == (1, False)
    assert published(store) == [1]


def test_a_changed_catalogue_is_published_as_the_next_version(
    capsys: pytest.CaptureFixture[str], store: str
) -> None:
    """Publishing another catalogue to the store makes version 2."""
    run(capsys, "catalogue", "publish", str(JAKARTA), "--store", store)
    code, out, _ = run(capsys, "catalogue", "publish", str(CAMBODIA), "--store", store)
    assert code == EXIT_OK
    assert out.startswith("published catalogue version 2 ")
    assert published(store) == [1, 2]


def test_a_stale_expected_version_exits_1(capsys: pytest.CaptureFixture[str], store: str) -> None:
    """--expected-version below the latest version exits 1 and publishes nothing."""
    run(capsys, "catalogue", "publish", str(JAKARTA), "--store", store)
    args = ("catalogue", "publish", str(CAMBODIA), "--store", store, "--expected-version", "0")
    code, out, err = run(capsys, *args)
    assert (code, out) == (EXIT_PROBLEMS, "")
    assert "latest catalogue version is 1, not 0" in err
    code, out, _ = run(capsys, *args, "--json")
    assert code == EXIT_PROBLEMS
    assert "latest catalogue version is 1, not 0" in json.loads(out)["error"]
    assert published(store) == [1]


def test_an_invalid_catalogue_is_not_published(
    capsys: pytest.CaptureFixture[str], store: str
) -> None:
    """A catalogue with problems prints them, exits 1 and publishes nothing."""
    code, out, _ = run(capsys, "catalogue", "publish", str(BROKEN), "--store", store)
    assert code == EXIT_PROBLEMS
    assert "unknown agency 'police'" in out
    assert published(store) == []


def test_a_bad_label_exits_2(capsys: pytest.CaptureFixture[str], store: str) -> None:
    """A label with a line break is a usage error naming --label."""
    args = ("catalogue", "publish", str(JAKARTA), "--store", store, "--label", "two\nlines")
    code, _, err = run(capsys, *args)
    assert code == EXIT_USAGE
    assert err.startswith("error: --label: ")
    assert published(store) == []


def test_an_unknown_store_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """A store URL with an unknown scheme is a usage error naming --store."""
    code, _, err = run(capsys, "catalogue", "publish", str(JAKARTA), "--store", "nope://x")
    assert code == EXIT_USAGE
    assert "--store: unknown store URL scheme 'nope'" in err


def test_a_store_without_catalogue_versions_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plugin's store that keeps no catalogue versions is refused with exit status 2."""
    info = tmp_path / "site" / "eventsonly-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: eventsonly\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[onestop.storage]\neventsonly = eventsonly:open\n")
    (tmp_path / "site" / "eventsonly.py").write_text(
        "class Store:\n    def close(self):\n        pass\n\ndef open(url):\n    return Store()\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.delitem(sys.modules, "eventsonly", raising=False)
    code, _, err = run(capsys, "catalogue", "versions", "--store", "eventsonly://x")
    assert code == EXIT_USAGE
    assert "does not keep catalogue versions" in err


# --- versions -----------------------------------------------------------------------


def test_versions_lists_each_version(capsys: pytest.CaptureFixture[str], store: str) -> None:
    """versions prints a header and one line per version: number, time, digest, size, label."""
    run(capsys, "catalogue", "publish", str(JAKARTA), "--store", store, "--label", "first")
    run(capsys, "catalogue", "publish", str(CAMBODIA), "--store", store)
    code, out, _ = run(capsys, "catalogue", "versions", "--store", store)
    assert code == EXIT_OK
    header, first, second = out.splitlines()
    assert header.split() == ["version", "published", "(UTC)", "sha256", "bytes", "label"]
    content = canonical_catalogue(load_catalogue(JAKARTA))
    number, _, _, digest, size, label = first.split()
    assert (number, digest, size, label) == (
        "1",
        catalogue_digest(content)[:12],
        str(len(content)),
        "first",
    )
    assert second.split()[0] == "2"
    assert second == second.rstrip()


def test_versions_json_pages_with_after_and_limit(
    capsys: pytest.CaptureFixture[str], store: str
) -> None:
    """With --json, versions prints objects; --after and --limit choose the page."""
    run(capsys, "catalogue", "publish", str(JAKARTA), "--store", store)
    run(capsys, "catalogue", "publish", str(CAMBODIA), "--store", store, "--label", "kh")
    args = ("catalogue", "versions", "--store", store, "--json")
    code, out, _ = run(capsys, *args, "--after", "1", "--limit", "5")
    assert code == EXIT_OK
    [only] = json.loads(out)
    assert (only["version"], only["label"], len(only["digest"])) == (2, "kh", 64)
    code, out, _ = run(capsys, *args, "--limit", "1")
    assert [v["version"] for v in json.loads(out)] == [1]


def test_versions_of_an_empty_store(capsys: pytest.CaptureFixture[str], store: str) -> None:
    """An empty store lists no versions: a sentence, or an empty JSON list."""
    code, out, _ = run(capsys, "catalogue", "versions", "--store", store)
    assert (code, out) == (EXIT_OK, "no catalogue version is published\n")
    code, out, _ = run(capsys, "catalogue", "versions", "--store", store, "--json")
    assert json.loads(out) == []


def test_versions_limit_out_of_range_exits_2(
    capsys: pytest.CaptureFixture[str], store: str
) -> None:
    """A --limit above 1000 is a usage error."""
    code, _, err = run(capsys, "catalogue", "versions", "--store", store, "--limit", "1001")
    assert code == EXIT_USAGE
    assert "--limit" in err


@pytest.mark.postgres
def test_publish_and_list_on_postgresql(
    capsys: pytest.CaptureFixture[str], postgres_url: str
) -> None:
    """The commands work the same on a PostgreSQL store."""
    schema = f"onestop_test_{secrets.token_hex(6)}"
    separator = "&" if "?" in postgres_url else "?"
    url = f"{postgres_url}{separator}schema={schema}"
    try:
        code, out, _ = run(capsys, "catalogue", "publish", str(JAKARTA), "--store", url)
        assert (code, out.split()[:4]) == (EXIT_OK, ["published", "catalogue", "version", "1"])
        run(capsys, "catalogue", "publish", str(JAKARTA), "--store", url)
        code, out, _ = run(capsys, "catalogue", "versions", "--store", url, "--json")
        assert [v["version"] for v in json.loads(out)] == [1]
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


# --- fetch ----------------------------------------------------------------------------


def test_fetch_writes_a_version_that_loads_back_equal(
    capsys: pytest.CaptureFixture[str], store: str, tmp_path: Path
) -> None:
    """A fetched version is a catalogue file that loads as the catalogue published."""
    run(capsys, "catalogue", "publish", str(JAKARTA), "--store", store)
    run(capsys, "catalogue", "publish", str(CAMBODIA), "--store", store)
    out = tmp_path / "released.json"

    code, _, err = run(
        capsys, "catalogue", "fetch", "--store", store, "--version", "1", "--out", str(out)
    )

    assert code == EXIT_OK
    assert "wrote catalogue version 1" in err
    assert load_catalogue(out) == load_catalogue(JAKARTA)


def test_fetch_prints_the_latest_version_by_default(
    capsys: pytest.CaptureFixture[str], store: str
) -> None:
    """Without --version and --out, the latest version's canonical JSON goes to stdout."""
    run(capsys, "catalogue", "publish", str(JAKARTA), "--store", store)
    run(capsys, "catalogue", "publish", str(CAMBODIA), "--store", store)

    code, out, _ = run(capsys, "catalogue", "fetch", "--store", store)

    assert code == EXIT_OK
    assert out.encode() == canonical_catalogue(load_catalogue(CAMBODIA)) + b"\n"


@pytest.mark.parametrize("arguments", [[], ["--version", "2"]])
def test_fetching_a_missing_version_exits_1(
    capsys: pytest.CaptureFixture[str], store: str, arguments: list[str]
) -> None:
    """An empty store, or a version not published, exits 1 and says which."""
    if arguments:
        run(capsys, "catalogue", "publish", str(JAKARTA), "--store", store)

    code, _, err = run(capsys, "catalogue", "fetch", "--store", store, *arguments)

    assert code == EXIT_PROBLEMS
    assert ("no catalogue version 2" if arguments else "no catalogue has been published") in err


def test_fetch_to_an_unwritable_file_exits_2(
    capsys: pytest.CaptureFixture[str], store: str, tmp_path: Path
) -> None:
    """An --out path in a missing directory exits 2 naming --out, with no traceback."""
    run(capsys, "catalogue", "publish", str(JAKARTA), "--store", store)

    code, _, err = run(
        capsys, "catalogue", "fetch", "--store", store, "--out", str(tmp_path / "no" / "x.json")
    )

    assert code == EXIT_USAGE
    assert "--out" in err


def test_fetch_json_gives_the_details_and_the_catalogue(
    capsys: pytest.CaptureFixture[str], store: str
) -> None:
    """With --json, fetch prints the version's details and the catalogue as JSON."""
    run(capsys, "catalogue", "publish", str(JAKARTA), "--store", store, "--label", "first")

    code, out, _ = run(capsys, "catalogue", "fetch", "--store", store, "--json")

    found = json.loads(out)
    assert code == EXIT_OK
    assert (found["version"], found["label"]) == (1, "first")
    content = canonical_catalogue(load_catalogue(JAKARTA))
    assert found["digest"] == catalogue_digest(content)
    assert found["catalogue"] == json.loads(content)


# --- malformed files: a message and exit 1 or 2, never an "internal error" ---------------

BROKEN_FILES = sorted((Path(__file__).parent / "catalogue" / "broken").iterdir())
CORPUS = sorted((Path(__file__).parent / "corpus" / "catalogue").iterdir())
FUZZ_HARNESS = ROOT / "fuzz" / "fuzz_catalogue.py"
READING_COMMANDS = [
    ("catalogue", "validate"),
    ("catalogue", "validate", "--json"),
    ("catalogue", "export", "--format", "json"),
    ("catalogue", "export", "--format", "open311", "--at", "2025-06-02T10:00:00+07:00"),
    ("catalogue", "export", "--format", "cpsv-ap", "--at", "2025-06-02T10:00:00+07:00"),
    ("catalogue", "publish", "--store", "memory://"),
]


def answered(capsys: pytest.CaptureFixture[str], *args: str) -> int:
    """Run a command in-process; check it answered with a status and, on failure, a message."""
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "internal error" not in out + err, (args, err)
    assert "Traceback" not in out + err, (args, err)
    assert code in (EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE), (args, code)
    if code != EXIT_OK:
        assert err.strip(), (args, "no message")
    return code


@pytest.mark.parametrize("path", BROKEN_FILES, ids=[p.name for p in BROKEN_FILES])
def test_every_broken_file_is_refused_by_every_reading_command(
    capsys: pytest.CaptureFixture[str], path: Path
) -> None:
    """Each malformed test file exits 1 or 2 with a message from each command that reads it."""
    for command in READING_COMMANDS:
        assert answered(capsys, *command[:2], str(path), *command[2:]) in (
            EXIT_PROBLEMS,
            EXIT_USAGE,
        )


def test_every_fuzz_corpus_input_gets_an_answer(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Every input the fuzz kept, laid out as files, gets 0, 1 or 2 and never an internal error."""
    spec = importlib.util.spec_from_file_location("fuzz_catalogue", FUZZ_HARNESS)
    assert spec is not None
    assert spec.loader is not None
    fuzz = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fuzz)
    for path in CORPUS:
        target = fuzz.write(fuzz.layout(path.read_bytes()), tmp_path / "input")
        for command in READING_COMMANDS[:3]:
            answered(capsys, *command[:2], str(target), *command[2:])


@pytest.mark.parametrize(
    "name", ["deeply_nested.json", "deeply_nested.toml", "binary.toml", "several_defects.toml"]
)
def test_the_installed_command_refuses_broken_files_cleanly(name: str) -> None:
    """The real entry point (a subprocess) exits 1 or 2 with a message, no traceback."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "onestop.cli",
            "catalogue",
            "validate",
            str(BROKEN_FILES[0].parent / name),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode in (EXIT_PROBLEMS, EXIT_USAGE)
    assert result.stderr.strip()
    assert "internal error" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_a_file_name_that_is_not_utf8_is_printed_escaped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A problem in a file whose name is not UTF-8 prints, escaped, instead of crashing."""
    path = tmp_path / os.fsdecode(b"caf\xe9.toml")
    path.write_bytes(BROKEN.read_bytes())
    assert answered(capsys, "catalogue", "validate", str(path)) == EXIT_PROBLEMS
    assert answered(capsys, "catalogue", "validate", str(path), "--json") == EXIT_PROBLEMS


@pytest.mark.parametrize("path", ["\x00jakarta", "\ud800jakarta", "jakarta\udd12", "é" * 5000])
@pytest.mark.parametrize(
    "command",
    [
        ("catalogue", "validate"),
        ("catalogue", "export"),
        ("catalogue", "publish", "--store", "sqlite:///:memory:"),
        ("workflow", "render", "{path}", "slf"),
    ],
    ids=["validate", "export", "publish", "render"],
)
def test_a_path_no_file_can_have_exits_2_with_a_message(
    capsys: pytest.CaptureFixture[str], command: tuple[str, ...], path: str
) -> None:
    """A NUL, a lone surrogate or a name too long is an unreadable path: exit 2, no traceback."""
    args = [path if arg == "{path}" else arg for arg in command]
    if "{path}" not in command:
        args.insert(2, path)
    assert answered(capsys, *args) == EXIT_USAGE


def test_fetch_to_a_path_with_a_nul_exits_2(capsys: pytest.CaptureFixture[str], store: str) -> None:
    """An --out path no file can have exits 2 naming --out."""
    run(capsys, "catalogue", "publish", str(JAKARTA), "--store", store)
    code, _, err = run(capsys, "catalogue", "fetch", "--store", store, "--out", "x\x00.json")
    assert code == EXIT_USAGE
    assert "--out" in err
