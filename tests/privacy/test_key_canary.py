"""Key material never shows: not in reprs, strings, errors, pickles or log output.

A canary master key and data key of known bytes are used throughout; every text the
privacy package produces is searched for their bytes, hex, base64 and base64url forms.
"""

from __future__ import annotations

import base64
import logging
import pickle
from pathlib import Path

import pytest
from privacy_support import START
from structlog.testing import capture_logs

from onestop.exceptions import OnestopError
from onestop.ports.keys import SubjectKey, WrappedKey
from onestop.privacy import EnvKeyProvider, FileKeyProvider, Keyring, StaticKeyProvider
from onestop.privacy.cipher import DataKey, MasterKey, open_value, seal_value
from onestop.storage.memory import MemoryStore

MASTER = bytes(range(100, 132))
DATA = bytes(range(1, 65))
NUMBER = "3171015708450001"


def _forms(secret: bytes) -> list[str]:
    forms = [secret.hex(), secret.hex().upper(), repr(secret)[2:-1]]
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        text = encode(secret).decode("ascii").rstrip("=")
        forms += [text, text[:24]]
    return forms


FORMS = _forms(MASTER) + _forms(DATA) + [NUMBER]


def _leaks(text: str) -> list[str]:
    return [form for form in FORMS if form in text]


def test_no_repr_str_error_or_log_shows_key_material(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Across providers, the keyring, wrapped keys and refusals, no form of a key ever shows."""
    caplog.set_level(logging.DEBUG)
    encoded = base64.urlsafe_b64encode(MASTER).decode("ascii")
    path = tmp_path / "keys.txt"
    path.write_text(f"mk-canary:{encoded}\n", encoding="ascii")
    path.chmod(0o600)
    shown: list[object] = []
    errors: list[BaseException] = []
    with capture_logs() as logs:
        store = MemoryStore()
        providers = [
            StaticKeyProvider({"mk-canary": MASTER}),
            FileKeyProvider(path),
            EnvKeyProvider(environ={"ONESTOP_MASTER_KEY": f"mk-canary:{encoded}"}),
        ]
        keyring = Keyring(providers[0], store)
        token = keyring.seal("a/applicant", NUMBER.encode(), context=b"c")
        index = keyring.blind_index("id-nik", NUMBER)
        wrapped = providers[0].wrap(DATA, context=b"a/applicant")
        shown += [*providers, keyring, wrapped, DataKey(DATA), MasterKey("mk-canary", MASTER)]
        shown += [SubjectKey(subject="a/applicant", wrapped=wrapped, created_at=START), store]
        shown += [store.subject_keys(["a/applicant", "$blind-index"]), index]
        for attempt in (
            lambda: keyring.open("a/applicant", token[:-3] + "AAA", context=b"c"),
            lambda: keyring.open("a/applicant", token, context=b"other"),
            lambda: open_value(DATA, token, context=b"c"),
            lambda: seal_value(DATA[:-1], NUMBER.encode(), context=b"c"),
            lambda: StaticKeyProvider({"mk-canary": MASTER[:-1]}),
            lambda: StaticKeyProvider.generate().unwrap(wrapped, context=b"a/applicant"),
            lambda: providers[0].unwrap(
                WrappedKey(master_key_id="mk-canary", data=wrapped.data[:-1] + b"!"), context=b"x"
            ),
            lambda: EnvKeyProvider(environ={"ONESTOP_MASTER_KEY": f"mk-canary:{encoded[:-2]}"}),
            lambda: EnvKeyProvider(environ={"ONESTOP_MASTER_KEY": f"mk canary:{encoded}"}),
        ):
            with pytest.raises(OnestopError) as refused:
                attempt()
            errors.append(refused.value)
    texts = [repr(v) for v in shown] + [str(v) for v in shown]
    texts += [f"{e!r} {e} {vars(e)}" for e in errors] + [caplog.text, repr(logs)]
    assert [(t[:80], _leaks(t)) for t in texts if _leaks(t)] == []


@pytest.mark.parametrize(
    "make",
    [
        lambda: StaticKeyProvider({"mk-canary": MASTER}),
        lambda: DataKey(DATA),
        lambda: MasterKey("mk", MASTER),
        lambda: Keyring(StaticKeyProvider({"mk-canary": MASTER}), MemoryStore()),
    ],
)
def test_objects_holding_keys_refuse_to_pickle(make: object) -> None:
    """A provider, a keyring or an unwrapped key cannot be pickled: keys stay in the process."""
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(make())  # type: ignore[operator]
