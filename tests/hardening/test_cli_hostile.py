"""Every ``onestop`` command, given hostile arguments, exits 0, 1 or 2 with a message.

The commands are found in the click group, recursively, not listed by hand; so are
their arguments and options.  Each is given real values (the sample catalogues, a
seeded SQLite store, its application numbers and secrets) mixed with hostile ones:
all of Unicode including the lone surrogates a POSIX ``argv`` can hold, control
characters, trailing line breaks, huge and negative numbers, NaN, unknown and repeated
options.  The command line must answer with exit status 0, 1 or 2 and never print a
traceback or an "internal error".
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from surface_adapters import SQLiteAdapter
from surface_harness import WEBHOOK_SECRET, Session
from surface_oracle import Counter, failure, hypothesis_settings, time_limit
from surface_values import hostile_text

from onestop.cli import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, cli, main
from onestop.privacy import generate_key_file

CLI_EXAMPLES = 40
"""Examples per command."""

SLOW_COMMANDS = {"demo": 8, "relay": 20}
"""Commands that simulate days or deliver messages get fewer examples."""


def commands(
    group: click.Group = cli, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Every command of *group*, with the words that invoke it, the group's own included."""
    yield path, group
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))
        else:
            yield (*path, name), command


COMMANDS = dict(commands())


@pytest.fixture(scope="module")
def cli_store(surface: Session, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite store holding the seeded world, for the commands that read one."""
    folder = tmp_path_factory.mktemp("cli")
    adapter = SQLiteAdapter(surface.seed, folder)
    target = folder / "cli.sqlite3"
    shutil.copyfile(adapter.template, target)
    generate_key_file(folder / "cli.keys")
    return f"sqlite:///{target}"


def _real_values(surface: Session, store_url: str) -> dict[str, list[str]]:
    texts = surface.pools.texts
    return {
        "path": [
            "jakarta",
            "cambodia",
            "minimal.toml",
            "several_defects.toml",
            "deeply_nested.json",
        ],
        "paths": ["jakarta", "cambodia", "minimal.toml", "several_defects.toml"],
        "service_code": texts["service_code"][:6],
        "store_url": [store_url, "memory://", "sqlite:///cli-new.sqlite3"],
        "number": texts["number"],
        "secret": texts["secret"],
        "agency": texts["agency_code"][:5],
        "language": ["id", "en", "km"],
        "country": ["ID", "KR", "KH"],
        "at_text": ["2025-07-20T09:00:00+07:00", "2025-07-20"],
        "webhook_url": ["http://127.0.0.1:9/hook", "https://hooks.example.org/x"],
        "secrets": [WEBHOOK_SECRET],
        "consumer": ["surface-relay", "relay"],
        "label": ["opening day"],
        "out": ["fetched.json"],
        "catalogue_path": ["jakarta", "cambodia"],
        "seed": ["0", "7"],
        "days": ["1"],
        "per_day": ["1", "2"],
        "follow_up": ["0", "1"],
        "poll_interval": ["0.5"],
        "after": ["0", "1"],
        "limit": ["1", "10"],
        "key_file": [store_url.removeprefix("sqlite:///").replace("cli.sqlite3", "cli.keys")],
        "identity": ["id-nik:3171015708850003", "id-nik:x"],
        "legal_basis": ["UU 27/2022 pasal 8"],
        "actor_id": ["dpo-officer-1"],
        "roles": ["verifier", "front_office", "agency_officer"],
        "hold_id": ["PN-JKT-2025-17"],
        "reason": ["court_order"],
        "key_id": ["mk-cli"],
        "account_id": ["officer-ana", "admin-budi", "cli"],
        "as_account": ["admin-budi", "officer-nobody"],
        "role": ["verifier", "staff_admin", "inspector"],
        "assignment_id": ["a1", "00000000-0000-4000-8000-000000000000"],
        "token_id": ["t1"],
        "name": ["DPM case system"],
        "expires": ["2027-01-01T00:00:00+07:00", "2027-01-01"],
        "valid_from": ["2026-01-05T00:00:00Z", "2026-01-05T00:00:00"],
        "valid_until": ["2027-01-05T00:00:00+07:00"],
        "application_id": texts["number"][:2],
    }


CHEAP = {"days", "per_day", "follow_up"}
"""Options whose values stay small: a longer demo takes minutes."""


def _value(param: click.Parameter, real: dict[str, list[str]]) -> st.SearchStrategy[str]:
    name = param.name or ""
    choices = list(getattr(param.type, "choices", ()) or ())
    found = real.get(name) or choices or ["1"]
    plain = st.sampled_from(found)
    if name in CHEAP:
        return plain | st.sampled_from(
            ["0", "-1", "x", "1.5", "9" * 30, "\u0661", "1\n", "", "nan"]
        )
    hostile = hostile_text(plain).filter(lambda v: isinstance(v, str)) | st.sampled_from(
        ["1" + "0" * 5000, "-1", "nan", "inf", "-0", "9" * 25, "\udcff", "--", "-", "--json"]
    )
    return st.one_of(plain, hostile)


def _argv(
    words: tuple[str, ...], command: click.Command, real: dict[str, list[str]]
) -> st.SearchStrategy[list[str]]:
    @st.composite
    def draw_argv(draw: st.DrawFn) -> list[str]:
        argv = list(words)
        for param in command.params:
            if isinstance(param, click.Option):
                if param.name == "once":
                    argv.append("--once")  # without it, the relay runs until stopped
                    continue
                if param.name == "check":
                    argv.append("--check")  # without it, a server runs until stopped
                    continue
                always = param.required or param.name in CHEAP  # a default demo takes long
                if not always and not draw(st.booleans(), label=f"give {param.name}"):
                    continue
                flag = param.opts[0]
                if param.is_flag:
                    argv.append(flag)
                    continue
                times = draw(st.integers(1, 2)) if param.multiple else 1
                for _ in range(times):
                    argv += [flag, draw(_value(param, real), label=param.name)]
            elif isinstance(param, click.Argument):
                count = (
                    1 if param.nargs == 1 else draw(st.integers(0 if not param.required else 1, 3))
                )
                if not param.required and not draw(st.booleans(), label=f"give {param.name}"):
                    continue
                argv += [draw(_value(param, real), label=param.name) for _ in range(count)]
        if draw(st.booleans(), label="odd extra"):
            extra = st.sampled_from(["--no-such-option", "extra", "--json", "-h", "\udcff", "--"])
            argv.insert(draw(st.integers(0, len(argv))), draw(extra))
        if "relay" in words and "--once" not in argv:
            argv.append("--once")
        return argv

    return draw_argv()


@pytest.mark.parametrize(
    ("words", "command"),
    [pytest.param(w, c, id=" ".join(w) or "onestop") for w, c in COMMANDS.items()],
)
def test_command_answers_hostile_arguments_with_an_exit_status_and_a_message(
    words: tuple[str, ...],
    command: click.Command,
    surface: Session,
    cli_store: str,
    counter: Counter,
) -> None:
    """Hostile arguments end with exit status 0, or 1 or 2 with a message, and never with a
    traceback or an internal error."""
    real = _real_values(surface, cli_store)
    argvs = _argv(words, command, real)
    runner = CliRunner()
    name = words[-1] if words else "onestop"

    @hypothesis_settings(SLOW_COMMANDS.get(name, CLI_EXAMPLES))
    @given(argv=argvs)
    def drive(argv: list[str]) -> None:
        with runner.isolation() as (out, err, _), time_limit():
            code = main(argv)
            output = out.getvalue().decode("utf-8", "replace") + err.getvalue().decode(
                "utf-8", "replace"
            )
        counter.examples += 1
        if code not in (EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE):
            raise failure("exit status", str(code))(f"{argv!r} exited {code}")
        if code != EXIT_OK and not output.strip():
            raise failure("no message", " ".join(words) or "onestop")(f"{argv!r} exited {code}")
        internal = re.search(r"internal error: (\w+)", output)
        if internal or "Traceback" in output:
            kind = internal.group(1) if internal else "Traceback"
            raise failure(kind, " ".join(words) or "onestop")(f"{argv!r}:\n{output[-600:]}")

    drive()
