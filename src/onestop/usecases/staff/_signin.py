"""Signing in and being recognised: passwords, TOTP codes, lockout, sessions and API tokens.

Secrets live in the `onestop.ports.staff.StaffStore`, never in an event: a password's
Argon2id hash under ``password:<account>``, a TOTP seed (sealed when the desk has
keys) under ``totp:<account>``, and each session or API token under the SHA-256 digest
of its bearer value.  Failed sign-ins are counted in the store too, under the account
and under the client, so every worker sees the same count.
"""

from __future__ import annotations

import hmac
import json
from datetime import datetime, timedelta

import attrs
import pyotp

from onestop.domain.common.formats import ACTOR_ID, kind_of
from onestop.domain.common.subjects import subject_id
from onestop.domain.staff import ExternalIdentity, StaffAccount, StaffIdentity
from onestop.exceptions import (
    AccountLocked,
    AccountNotFound,
    InvalidValue,
    NotAuthenticated,
    SecondFactorRequired,
    SignInRefused,
    StorageError,
)
from onestop.ports.staff import StaffSecret
from onestop.usecases.staff._core import DeskCore, digest
from onestop.usecases.staff.values import SignedIn

MAX_BEARER = 512
"""The longest session or API token looked up; a longer one is not known."""

TOTP_STEP = 30
"""Seconds per TOTP code (RFC 6238's default)."""

_CONTEXT = b"onestop staff totp"
_DUMMY_PASSWORD = "not the password of any account"  # noqa: S105 - hashed for constant work


def _text(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise InvalidValue(field=field, reason=f"expected text, not {kind_of(value)}")
    return value


def failure_key(kind: str, name: str) -> str:
    """The key failed sign-ins are counted under: the name itself, or its digest if unusual."""
    shown = name if ACTOR_ID.matches(name) else digest(name)
    return f"sign-in:{kind}:{shown}"


def totp_subject(account_id: str) -> str:
    """The data subject a TOTP seed is sealed under: ``staff-<account>/applicant``."""
    return subject_id(f"staff-{account_id}")


class SignInDesk(DeskCore):
    """The staff desk's sign-in half (`onestop.usecases.staff.StaffDesk` is the whole)."""

    # --- the password and the second factor ----------------------------------------------

    def _dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = self._hash(_DUMMY_PASSWORD)
        return self._dummy

    def _hash(self, password: str) -> str:
        """Hash *password*, no more than `SignInPolicy.max_parallel_hashes` at once."""
        with self._hashing:
            return self._hasher.hash(password)

    def _verify(self, hashed: str, password: str) -> bool:
        """Check *password*, no more than `SignInPolicy.max_parallel_hashes` at once."""
        with self._hashing:
            return self._hasher.verify(hashed, password)

    def _password_matches(self, account_id: str | None, password: str) -> bool:
        """Check *password*, doing the same Argon2 work whether the account has one or not."""
        now = self._now()
        stored = (
            None if account_id is None else self._staff.secret(f"password:{account_id}", at=now)
        )
        hashed = self._dummy_hash() if stored is None else stored.data.decode("ascii", "replace")
        matches = self._verify(hashed, password)
        if stored is not None and matches and self._hasher.needs_rehash(hashed):
            self._put_password(account_id, password, now)  # type: ignore[arg-type]
        return matches and stored is not None

    def _put_password(self, account_id: str, password: str, now: datetime) -> None:
        hashed = self._hash(password)
        self._staff.put_secret(
            StaffSecret(
                key=f"password:{account_id}",
                account_id=account_id,
                kind="password",
                data=hashed.encode("ascii"),
                created_at=now,
            )
        )

    def _seed(self, account_id: str, *, pending: bool = False) -> str | None:
        kind = "totp_pending" if pending else "totp"
        found = self._staff.secret(f"{kind}:{account_id}", at=self._now())
        if found is None:
            return None
        data = found.data
        if data.startswith(b"sealed:"):
            if self._seals is None:
                raise StorageError("a sealed TOTP seed needs the desk's keys to open")
            opened = self._seals.open(
                totp_subject(account_id), data[7:].decode("ascii"), context=_CONTEXT
            )
            return None if opened is None else opened.decode("ascii")
        return data.removeprefix(b"plain:").decode("ascii")

    def _seed_data(self, account_id: str, seed: str) -> bytes:
        if self._seals is None:
            return b"plain:" + seed.encode("ascii")
        token = self._seals.seal(totp_subject(account_id), seed.encode("ascii"), context=_CONTEXT)
        return b"sealed:" + token.encode("ascii")

    def _code_matches(self, account_id: str, seed: str, code: str) -> bool:
        """Check a TOTP *code* (one step either side), refusing a code used already."""
        given: object = code
        if not (isinstance(given, str) and len(code) == 6 and code.isascii() and code.isdigit()):
            return False
        now = self._now()
        totp = pyotp.TOTP(seed, interval=TOTP_STEP)
        step = int(now.timestamp()) // TOTP_STEP
        used_key = f"totp_used:{account_id}"
        used = self._staff.secret(used_key, at=now)
        last = int(used.data) if used is not None and used.data.isdigit() else -1
        for counter in (step - 1, step, step + 1):
            if counter > last and hmac.compare_digest(totp.generate_otp(counter), code):
                if not self._first_use(account_id, counter, now):
                    return False
                self._staff.put_secret(
                    StaffSecret(
                        key=used_key,
                        account_id=account_id,
                        kind="totp_used",
                        data=str(counter).encode("ascii"),
                        created_at=now,
                        expires_at=now + timedelta(seconds=4 * TOTP_STEP),
                    )
                )
                return True
        return False

    def _first_use(self, account_id: str, counter: int, now: datetime) -> bool:
        """Whether this is the first use of *account_id*'s code of step *counter*.

        The store's atomic counter is the compare-and-set: of two sign-ins racing with
        one code, only the first to count it gets 1.
        """
        window = timedelta(seconds=4 * TOTP_STEP)
        key = f"totp-step:{account_id}:{counter}"
        return self._staff.count_failure(key, at=now, window=window) == 1

    # --- lockout ------------------------------------------------------------------------

    def _gate(self, keys: tuple[tuple[str, int], ...], now: datetime) -> None:
        """Count this attempt under each key first; refuse it if one is past its limit.

        Counting before any Argon2 work makes the count atomic (the store's
        `count_failure`): of *n* concurrent attempts on one account, at most
        `SignInPolicy.max_failures` get as far as checking the password.
        """
        policy = self._policy
        for key, limit in keys:
            if self._staff.count_failure(key, at=now, window=policy.window) > limit:
                raise AccountLocked(retry_after=int(policy.window.total_seconds()))

    def _forgive(self, keys: tuple[tuple[str, int], ...], now: datetime) -> None:
        """After a sign-in succeeded, forget the failures counted, unless a key got locked
        meanwhile (by guesses racing this sign-in): a lock stands until it ages out."""
        window = self._policy.window
        if all(self._staff.failures(key, at=now, window=window) <= lim for key, lim in keys):
            for key, _ in keys:
                self._staff.clear_failures(key)

    # --- signing in -----------------------------------------------------------------------

    def sign_in(
        self, account_id: str, password: str, *, code: str | None = None, client: str = ""
    ) -> SignedIn:
        """Check *account_id*'s *password* (and TOTP *code*); start a session.

        An unknown account, a disabled one and a wrong password get the same answer
        after the same Argon2 work, and each counts as a failure, under the account id
        given and under *client* (the caller's address, say).  Each attempt on an
        account is counted before the password is checked, so that concurrent guesses
        cannot slip past the count; one that succeeds is forgiven.  A client's count
        holds failures only, so that a success (of the caller's own account) does not
        clear the failures it sprayed over others.  After `SignInPolicy.max_failures`
        attempts on an account in `SignInPolicy.window` (or
        `SignInPolicy.max_client_failures` failures from a client) that did not
        succeed, every sign-in is refused before any Argon2 work, the right password
        too, until they age out; a success racing guesses that locked the account does
        not unlock it.

        Args:
            account_id: The account, as typed.
            password: The password, as typed.
            code: The code the account's authenticator shows, if it has a second factor.
            client: Who is calling (an IP address), to count failures per client too;
                empty: not counted per client.

        Raises:
            SignInRefused: If the account, the password or the code is not right.
            AccountLocked: If too many sign-ins failed lately; ``retry_after`` says when
                to try again.
            SecondFactorRequired: If the password is right, the account has a second
                factor and no *code* was given (the attempt counts, like any other).
            InvalidValue: If an argument is not text (or *code* neither ``None`` nor text).
        """
        account_id, password = _text(account_id, "account_id"), _text(password, "password")
        client = _text(client, "client")
        if code is not None:
            code = _text(code, "code")
        self._dummy_hash()  # made on the first sign-in, whoever it is for: no first-time tell
        now = self._now()
        keys = ((failure_key("account", account_id), self._policy.max_failures),)
        self._gate(keys, now)
        by_client = failure_key("client", client) if client else None
        window = self._policy.window
        # A client's count holds failures only: a success cannot reset it.
        failed = 0 if by_client is None else self._staff.failures(by_client, at=now, window=window)
        if failed >= self._policy.max_client_failures:
            raise AccountLocked(retry_after=int(window.total_seconds()))
        try:
            account, method = self._checked(account_id, password, code)
        except (SignInRefused, SecondFactorRequired):
            if by_client is not None:
                self._staff.count_failure(by_client, at=now, window=window)
            raise
        self._forgive(keys, now)
        return self._start_session(account.account_id, method, proven_at=now)

    def _checked(
        self, account_id: str, password: str, code: str | None
    ) -> tuple[StaffAccount, str]:
        """The account *password* (and *code*) sign in to, and how they signed in."""
        known = account_id if ACTOR_ID.matches(account_id) else None
        typed = password if len(password) <= self._policy.max_password else _DUMMY_PASSWORD
        right = self._password_matches(known, typed) and typed is password
        account = self._account_or_none(known) if right else None
        if account is None or not account.active:
            raise SignInRefused
        if not account.second_factor:
            return account, "password"
        if code is None:
            raise SecondFactorRequired
        seed = self._seed(account.account_id)
        if seed is None or not self._code_matches(account.account_id, seed, code):
            raise SignInRefused
        return account, "password+totp"

    def _account_or_none(self, account_id: str | None) -> StaffAccount | None:
        if account_id is None:
            return None
        try:
            return self._fresh(account_id).account
        except AccountNotFound:
            return None

    def sign_in_external(self, identity: ExternalIdentity, /) -> SignedIn:
        """Start a session for the account linked to *identity*, which a provider vouched for.

        The caller (the OpenID Connect adapter) has checked the provider's token; this
        finds the account the identity is linked to and checks it is active.

        Raises:
            SignInRefused: If no active account is linked to *identity*.
            InvalidValue: If *identity* is not an `ExternalIdentity`.
        """
        if not isinstance(identity, ExternalIdentity):
            raise InvalidValue(
                field="identity", reason=f"expected an ExternalIdentity, not {kind_of(identity)}"
            )
        now = self._now()
        link = self._staff.secret(identity_key(identity), at=now)
        account = None if link is None else self._account_or_none(link.account_id)
        if account is None or not account.active or identity not in account.identities:
            raise SignInRefused
        return self._start_session(account.account_id, "oidc", proven_at=now)

    # --- sessions ------------------------------------------------------------------------

    def _start_session(self, account_id: str, method: str, *, proven_at: datetime) -> SignedIn:
        """A new session, begun when the credentials were proven (*proven_at*): a
        credentials change since ends it, even one made while this was being written."""
        identity = self._identity_of(account_id, method=method, session_id=None, begun_at=proven_at)
        now = self._now()
        token, csrf = self._ids.secret() + self._ids.secret(), self._ids.secret()
        key = digest(token)
        absolute = now + self._policy.session_absolute
        expires = min(now + self._policy.session_idle, absolute)
        data = json.dumps(
            {"absolute": absolute.isoformat(), "method": method, "csrf": digest(csrf)}
        ).encode("ascii")
        self._staff.put_secret(
            StaffSecret(
                key=key,
                account_id=account_id,
                kind="session",
                data=data,
                created_at=proven_at,
                expires_at=expires,
            )
        )
        identity = attrs.evolve(identity, session_id=key[:16])
        return SignedIn(session=token, csrf=csrf, identity=identity, expires_at=absolute)

    def _bearer_secret(self, token: object, kind: str) -> StaffSecret:
        if not isinstance(token, str) or not 0 < len(token) <= MAX_BEARER:
            raise NotAuthenticated
        found = self._staff.secret(digest(token), at=self._now())
        if found is None or found.kind != kind:
            raise NotAuthenticated
        return found

    def session(self, token: str, /) -> StaffIdentity:
        """Who session *token* belongs to, with the roles in force now.

        Each use pushes the idle expiry on (up to the absolute one).

        Raises:
            NotAuthenticated: If the session is unknown, ended or expired, or its
                account disabled or gone.
        """
        found = self._bearer_secret(token, "session")
        try:
            data = json.loads(found.data)
            absolute = datetime.fromisoformat(data["absolute"])
            method = str(data["method"])
        except (ValueError, KeyError, TypeError):
            raise NotAuthenticated from None
        identity = self._identity_of(
            found.account_id, method=method, session_id=found.key[:16], begun_at=found.created_at
        )
        now = self._now()
        idle = self._policy.session_idle
        if found.expires_at is not None and found.expires_at - now < idle - idle / 10:
            renewed = min(now + idle, absolute)
            if renewed > found.expires_at:  # never writes back a session ended meanwhile
                self._staff.renew_secret(found.key, expires_at=renewed)
        return identity

    def csrf_matches(self, token: str, csrf: str, /) -> bool:
        """Whether *csrf* is the CSRF token issued with session *token*.

        Raises:
            NotAuthenticated: If the session is unknown, ended or expired.
        """
        found = self._bearer_secret(token, "session")
        given: object = csrf
        if not isinstance(given, str) or len(csrf) > MAX_BEARER:
            return False
        try:
            expected = str(json.loads(found.data)["csrf"])
        except (ValueError, KeyError, TypeError):
            return False
        return hmac.compare_digest(expected, digest(csrf))

    def sign_out(self, token: str, /) -> None:
        """End session *token*; an unknown one is ended already (no error)."""
        given: object = token
        if isinstance(given, str) and 0 < len(token) <= MAX_BEARER:
            self._staff.delete_secrets(key=digest(token))

    def bearer(self, token: str, /) -> StaffIdentity:
        """Who API *token* belongs to, with the roles in force now.

        Raises:
            NotAuthenticated: If the token is unknown, revoked or expired, or its account
                disabled or gone.
        """
        found = self._bearer_secret(token, "token")
        identity = self._identity_of(found.account_id, method="token")
        with self._lock:
            folded = self._folded.get(found.account_id)
        token_id = found.data.decode("ascii", "replace")
        info = None if folded is None else folded.account.token(token_id)
        if info is None or not info.live(self._now()):
            raise NotAuthenticated
        return identity


def identity_key(identity: ExternalIdentity) -> str:
    """The key the link of an external identity to its account is kept under."""
    return digest(f"oidc\x00{identity.issuer}\x00{identity.subject}")
