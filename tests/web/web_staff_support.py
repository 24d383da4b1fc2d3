"""What the staff endpoints' tests share: a catalogue of two agencies' services, staff of
every role, applications carrying canaries, and a store that counts its queries.

- `staff_catalogue` copies the sample Jakarta mall and adds ``uji-staf``
  (``staff_service.toml``): a service of ``dpmptsp-dki`` (``kia`` is ``disdukcapil-dki``'s)
  whose workflow keeps verifying and approving apart.
- `PERSONAS` are the members of staff, by account id, with their grants;
  `provision` makes them in a running application's store and returns their API tokens.
- `CANARY_A` / `CANARY_B`: the applicant's name and identity number of an application of
  each agency; a response that carries one to someone not allowed to see it is a leak.
- `CountingStore` wraps a store and counts the calls made to it.
- `started_world` starts the application over such a store, with `PERSONAS` and an
  application of each agency (`World`).
"""

from __future__ import annotations

import shutil
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from web_support import JAKARTA, in_process, kia_body, new_key, settings_for

STAFF_SERVICE = Path(__file__).with_name("staff_service.toml")
AGENCY_A = "disdukcapil-dki"
"""The agency of ``kia``."""
AGENCY_B = "dpmptsp-dki"
"""The agency of ``uji-staf``."""

CANARY_A = ("Canarya Wulandari", "3171012501900017")
"""The applicant's name and NIK of agency A's application."""
CANARY_B = ("Canaryb Prasetyo", "3171012501900025")
"""The applicant's name and NIK of agency B's application."""
NOTE_CANARY = "note canary 7731"
"""The text of a note written on agency A's application."""

ADMIN_ID = "staff-setup"

PERSONAS: dict[str, tuple[str | tuple[str, str], ...]] = {
    "officer-a": tuple(
        (role, AGENCY_A) for role in ("front_office", "verifier", "approver", "agency_officer")
    ),
    "officer-b": (("verifier", AGENCY_B), ("approver", AGENCY_B), ("front_office", AGENCY_B)),
    "approver-b": (("approver", AGENCY_B),),
    "courier-a": (("courier", AGENCY_A),),
    "inspector-1": ("inspector",),
    "inspector-pd": ("inspector", ("personal_data", AGENCY_A)),
}
"""Staff accounts by id, with their grants (a role name is mall-wide)."""


def staff_catalogue(directory: Path) -> Path:
    """A catalogue directory in *directory*: the sample mall and ``uji-staf``."""
    target = directory / "catalogue"
    if not target.exists():
        shutil.copytree(JAKARTA.resolve(), target)
        shutil.copyfile(STAFF_SERVICE, target / "services" / STAFF_SERVICE.name)
    return target


def provision(runtime: Any, personas: dict[str, Any] | None = None) -> dict[str, str]:
    """Make *personas* (`PERSONAS` by default) with the runtime's staff desk; return each
    account's API token."""
    from onestop.domain.common.actors import Actor

    admin = Actor(id=ADMIN_ID, roles=frozenset({"staff_admin"}))
    tokens: dict[str, str] = {}
    for account, grants in (PERSONAS if personas is None else personas).items():
        runtime.staff.add(account, by=admin)
        for grant in grants:
            role, agency = (grant, None) if isinstance(grant, str) else grant
            runtime.staff.grant(account, role, agency=agency, by=admin)
        tokens[account] = runtime.staff.issue_token(account, name="tests", by=admin).token
    return tokens


def bearer(token: str) -> dict[str, str]:
    """The headers of a request made with *token*."""
    return {"Authorization": f"Bearer {token}"}


def kia_canary() -> dict[str, Any]:
    """A ``kia`` submission (agency A) whose applicant is `CANARY_A`."""
    return kia_body(name=CANARY_A[0], nik=CANARY_A[1])


def staf_canary() -> dict[str, Any]:
    """A ``uji-staf`` submission (agency B) whose applicant is `CANARY_B`."""
    name, nik = CANARY_B
    return {
        "service": "uji-staf",
        "channel": "online",
        "applicant": {"identity_number": nik, "identity_scheme": "id-nik", "name": name},
        "answers": {"nama": name},
    }


def submit(client: Any, body: dict[str, Any]) -> str:
    """Submit *body* as a citizen; return the application's id."""
    answer = client.post("/api/v1/applications", json=body, headers={"Idempotency-Key": new_key()})
    assert answer.status_code == 201, answer.text
    found: str = answer.json()["application_id"]
    return found


def leaks(text: str, *canaries: tuple[str, ...] | str) -> list[str]:
    """The canary values *text* carries."""
    values = [v for c in canaries for v in ((c,) if isinstance(c, str) else c)]
    return [value for value in values if value in text]


class CountingStore:
    """A store that counts the calls made to it, by method name (thread-safe)."""

    def __init__(self, inner: Any) -> None:
        """Wrap *inner*."""
        self._inner = inner
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        """Forward to the store, counting each call of a method."""
        found = getattr(self._inner, name)
        if not callable(found) or name.startswith("_"):
            return found

        def counted(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.calls[name] += 1
            return found(*args, **kwargs)

        return counted

    def total(self) -> int:
        """How many calls were made so far."""
        return sum(self.calls.values())


class World:
    """A started application, its staff's tokens, and two agencies' applications."""

    def __init__(self, client: Any, store: CountingStore, tokens: dict[str, str]) -> None:
        self.client = client
        self.store = store
        self.tokens = tokens
        self.runtime = client.app.state.runtime
        self.a = submit(client, kia_canary())
        self.b = submit(client, staf_canary())

    def get(self, who: str, path: str, **options: Any) -> Any:
        """GET *path* as *who*."""
        return self.client.get(path, headers=bearer(self.tokens[who]), **options)

    def send(self, who: str, method: str, path: str, *, version: int | None, **options: Any) -> Any:
        """Send a change as *who*, naming *version* in If-Match (none if ``None``)."""
        headers = bearer(self.tokens[who])
        if version is not None:
            headers["If-Match"] = f'"{version}"'
        return self.client.request(method, path, headers=headers, **options)

    def version(self, application_id: str) -> int:
        """The application's version now."""
        found: int = self.runtime.mall.application(application_id).version
        return found


@contextmanager
def started_world(tmp: Path) -> Iterator[World]:
    """The application over a counting memory store in *tmp*, with `PERSONAS` and an
    application of each agency."""
    from onestop.web import _runtime

    settings = settings_for(tmp, store_url="memory://", catalogue=staff_catalogue(tmp))
    opened: list[CountingStore] = []
    real = _runtime.open_store

    def counting(given: Any) -> Any:
        opened.append(CountingStore(real(given)))
        return opened[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_runtime, "open_store", counting)
        with in_process(settings) as client:
            yield World(client, opened[0], provision(client.app.state.runtime))
