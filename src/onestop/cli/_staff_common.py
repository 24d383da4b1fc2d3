"""What the ``onestop staff`` commands share: the desk, the operator, passwords and instants.

Private to `onestop.cli`.  The commands themselves are in `onestop.cli.staff` and
`onestop.cli.staff_credentials`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, NoReturn

import click

from onestop.cli._common import (
    EXIT_PROBLEMS,
    EXIT_USAGE,
    fail,
    json_option,
    key_option,
    open_keys,
    open_store,
    printable,
    store_option,
)
from onestop.domain.common.formats import preview
from onestop.exceptions import (
    ConfigurationError,
    InvalidStoreInput,
    InvalidValue,
    NaiveDatetime,
    NotFound,
    OnestopError,
    StorageError,
)

__all__ = [
    "MAX_PASSWORD_INPUT",
    "OPERATOR",
    "Desk",
    "as_option",
    "desk",
    "hasher",
    "instant",
    "one_line",
    "password_options",
    "read_password",
    "refuse",
    "store_options",
]

OPERATOR = "cli"
"""The actor id the command line acts under when no ``--as ACCOUNT`` is given.

The operator holds ``staff_admin`` across the whole mall: whoever can open the store
can already change anything in it, and the command line is how the first
``staff_admin`` account is made.
"""

MAX_PASSWORD_INPUT = 4096
"""The most characters ``--password-stdin`` reads; a longer input is refused unread."""

_MESSAGE = 300
"""The longest message an error prints (longer ones are cut)."""


def one_line(text: str) -> str:
    """*text* on one line, at most about 300 characters, printable: what an error prints."""
    flat = " ".join(printable(text).split())
    return flat if len(flat) <= _MESSAGE else flat[:_MESSAGE] + "..."


def refuse(message: str, *, code: int = EXIT_USAGE, as_json: bool) -> NoReturn:
    """Fail with *message* on one line (`one_line`)."""
    fail(one_line(message), code=code, as_json=as_json)


def _usage(exc: OnestopError) -> bool:
    """Whether *exc* says the command was given a value it cannot take (exit 2)."""
    from onestop.exceptions import WeakPassword

    return isinstance(exc, InvalidValue | NaiveDatetime | InvalidStoreInput | WeakPassword)


class Desk:
    """The staff desk over an open store, its clock, and the actor the command acts as."""

    def __init__(self, desk: Any, store: Any, clock: Any, *, as_json: bool) -> None:
        self.desk = desk
        self.store = store
        self.clock = clock
        self.as_json = as_json
        self.actor: Any = None

    def now(self) -> datetime:
        """The current instant, by the desk's clock."""
        return self.clock.now()  # type: ignore[no-any-return]

    def check_password(self, account_id: str, password: str) -> None:
        """Raise `onestop.exceptions.WeakPassword` if the desk's policy refuses *password*.

        Checked before an account is added with it, so that a refused password adds
        nothing.
        """
        check = getattr(self.desk, "check_password", None) or self.desk._check_password
        check(account_id, password)

    def set_password(self, account_id: str, password: str) -> None:
        """Set *account_id*'s password, as the actor."""
        self.desk.set_password(account_id, password, by=self.actor)


def _operator_actor() -> Any:
    from onestop.domain.common.actors import Actor

    return Actor(id=OPERATOR, roles={"staff_admin"})


@contextmanager
def desk(
    store_url: str,
    *,
    key_file: str | None = None,
    as_account: str | None = None,
    as_json: bool,
) -> Iterator[Desk]:
    """A `Desk` over the store *store_url* names, closed afterwards.

    Typed errors raised inside end the command: a value it cannot take with status 2,
    an unknown account or assignment, one that exists already, or an action the actor
    may not take with status 1, each as one line on stderr (and as JSON with --json).
    """
    from onestop.usecases.mall_support import SystemClock
    from onestop.usecases.staff import StaffDesk

    store = open_store(store_url, as_json=as_json)
    keys = open_keys(key_file, store, required=False, as_json=as_json)
    clock = SystemClock()
    try:
        found = Desk(_build(StaffDesk, store, keys, clock), store, clock, as_json=as_json)
        found.actor = _operator_actor() if as_account is None else _as(found, as_account)
        yield found
    except (ConfigurationError, StorageError) as exc:
        refuse(str(exc), code=EXIT_USAGE, as_json=as_json)
    except OnestopError as exc:
        refuse(str(exc), code=EXIT_USAGE if _usage(exc) else EXIT_PROBLEMS, as_json=as_json)
    finally:
        store.close()


def hasher() -> Any:
    """The password hasher: Argon2id with its default parameters (tests make it cheaper)."""
    from onestop.privacy.passwords import Argon2Hasher

    return Argon2Hasher()


def _build(kind: Callable[..., Any], store: Any, keys: Any, clock: Any) -> Any:
    from onestop.usecases.mall_support import RandomIds

    return kind(
        events=store,
        staff=store,
        clock=clock,
        ids=RandomIds(),
        hasher=hasher(),
        seals=keys,
    )


def _as(found: Desk, account_id: str) -> Any:
    """The actor of account *account_id*, with the roles it holds now."""
    try:
        return found.desk.identity(account_id).actor
    except NotFound as exc:
        refuse(f"--as: {exc}", code=EXIT_PROBLEMS, as_json=found.as_json)
    except OnestopError as exc:
        code = EXIT_USAGE if _usage(exc) else EXIT_PROBLEMS
        refuse(f"--as: {exc}", code=code, as_json=found.as_json)


def instant(text: str | None, option: str, *, as_json: bool) -> datetime | None:
    """Read an ISO 8601 date and time with a time zone given as *option*; ``None`` if not given.

    Exit 2 if it is not ISO 8601, names no time zone, or lies outside the instants
    onestop counts in.
    """
    from onestop.domain.time.worktime import check_in_range

    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        refuse(f"{option}: {preview(text)} is not an ISO 8601 date and time", as_json=as_json)
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        refuse(
            f"{option}: {preview(text)} names no time zone: add Z or an offset "
            "(2026-01-05T08:00:00+07:00)",
            as_json=as_json,
        )
    try:
        check_in_range(parsed, option)
    except OnestopError as exc:
        refuse(str(exc), as_json=as_json)
    return parsed


def read_password(*, from_stdin: bool, prompt: bool, as_json: bool) -> str | None:
    """The password given on standard input or at a hidden prompt; ``None`` if neither.

    On standard input, the password is the whole input less *one* final line break
    (``\\n`` or ``\\r\\n``), so that ``printf '%s\\n' "$PASSWORD"`` and a file ending
    in a line break both work; any other line break, an empty input or one of more than
    `MAX_PASSWORD_INPUT` characters is refused.  The prompt asks twice.
    """
    if from_stdin and prompt:
        refuse("give --password-stdin or --password-prompt, not both", as_json=as_json)
    if prompt:
        entered = click.prompt(
            "Password", hide_input=True, confirmation_prompt=True, err=True, type=str
        )
        return str(entered)
    if not from_stdin:
        return None
    text, more = _read_stdin(as_json=as_json)
    if text.endswith("\r\n"):
        text = text[:-2]
    elif text.endswith("\n"):
        text = text[:-1]
    if more or len(text) > MAX_PASSWORD_INPUT:
        refuse(
            f"--password-stdin: the input is longer than {MAX_PASSWORD_INPUT} characters",
            as_json=as_json,
        )
    if not text:
        refuse("--password-stdin: standard input holds no password", as_json=as_json)
    if "\n" in text or "\r" in text:
        refuse("--password-stdin: the password must be on one line", as_json=as_json)
    return text


def _read_stdin(*, as_json: bool) -> tuple[str, bool]:
    """Up to `MAX_PASSWORD_INPUT` characters (and a line break) of standard input, as
    UTF-8; and whether more followed."""
    import sys

    limit = MAX_PASSWORD_INPUT + 2
    try:
        raw = getattr(sys.stdin, "buffer", None)
        if raw is None:  # a text stream only (an embedding program's)
            text = sys.stdin.read(limit)
            return text, len(text) == limit and bool(sys.stdin.read(1))
        data = raw.read(limit * 4)  # four bytes at most per character
        if len(data) == limit * 4 and raw.read(1):
            return "", True
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        refuse("--password-stdin: standard input is not UTF-8 text", as_json=as_json)
    except (OSError, ValueError):
        refuse("--password-stdin: standard input cannot be read", as_json=as_json)
    return text, len(text) > limit


def password_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--password-stdin`` and ``--password-prompt``: never a password in the arguments."""
    stdin = click.option(
        "--password-stdin",
        "password_stdin",
        is_flag=True,
        help="Read the password from standard input (one final line break is dropped).",
    )
    prompt = click.option(
        "--password-prompt",
        "password_prompt",
        is_flag=True,
        help="Ask for the password, twice, without showing it.",
    )
    return stdin(prompt(command))


as_option = click.option(
    "--as",
    "as_account",
    metavar="ACCOUNT",
    help=f"Act as this staff account, with the roles it holds now [default: the operator, "
    f"recorded as {OPERATOR!r}, a mall-wide staff_admin].",
)
"""The ``--as ACCOUNT`` option of the commands that change accounts."""


def store_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--store``, ``--key-file`` and ``--json``."""
    for option in reversed((store_option, key_option, json_option)):
        command = option(command)
    return command
