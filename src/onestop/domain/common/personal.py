"""`Personal`: a value that identifies a person, masked wherever it could leak by accident.

A `Personal` holds its value, or holds none: *erased* (the subject's data key was
destroyed, `Personal.erased`) or *withheld* (sealed personal data read without keys,
`Personal.withheld`).  Both of these show their own mask and refuse `Personal.reveal`
with a typed error.

>>> nik = Personal("3171011708450001")
>>> nik
<personal data>
>>> f"NIK {nik}"
'NIK <personal data>'
>>> nik.reveal()
'3171011708450001'
>>> Personal.erased()
<personal data erased>
>>> Personal.erased().is_available
False
"""

from __future__ import annotations

import enum
from typing import Any, Generic, TypeVar, final

import attrs

from onestop.exceptions import KeyUnavailable, PersonalDataErased

__all__ = ["ERASED_MASK", "MASK", "Personal"]

T_co = TypeVar("T_co", covariant=True)
"""The type of the value a `Personal` holds."""

MASK = "<personal data>"
"""What `Personal` shows instead of its value, always, whatever the value."""

ERASED_MASK = "<personal data erased>"
"""What an erased `Personal` shows (`Personal.erased`)."""


class _State(enum.Enum):
    """Whether a `Personal` holds its value, or why it does not."""

    HELD = "held"
    ERASED = "erased"
    WITHHELD = "withheld"


def _rebuild(state: str, value: Any) -> Personal[Any]:
    """Unpickle a `Personal` from its state's name and its value (``None`` unless held)."""
    return Personal(value) if state == "held" else Personal._without(_State(state))


@final
class Personal(Generic[T_co]):
    """A value that identifies a person, masked wherever it could leak by accident.

    ``repr()``, ``str()`` and ``format()`` (so f-strings and ``%`` formatting too)
    give `MASK`, never the value or any part of it; an erased one gives
    `ERASED_MASK`.  Two `Personal` values are equal, and hash alike, when the values
    they hold are; two erased ones are equal, and so are two withheld ones (nothing
    tells them apart), and neither equals one that holds a value.  Copying and
    pickling keep the value, or the state.

    This stops accidental leaks through reprs, logs and error messages.  It is not
    encryption: the value is in memory in plain text, and a pickle holds it; stored
    events seal it (`onestop.usecases.streams.encode` with keys).

    Args:
        value: The personal value.
    """

    __slots__ = ("_state", "_value")
    _value: T_co
    _state: _State

    def __init__(self, value: T_co) -> None:
        object.__setattr__(self, "_value", value)
        object.__setattr__(self, "_state", _State.HELD)

    @classmethod
    def _without(cls, state: _State) -> Personal[Any]:
        made: Personal[Any] = object.__new__(cls)
        object.__setattr__(made, "_value", None)
        object.__setattr__(made, "_state", state)
        return made

    @classmethod
    def erased(cls) -> Personal[Any]:
        """A value that was erased: its subject's data key is destroyed, for good."""
        return cls._without(_State.ERASED)

    @classmethod
    def withheld(cls) -> Personal[Any]:
        """A value stored sealed and read without keys (as ``audit verify`` reads it)."""
        return cls._without(_State.WITHHELD)

    @property
    def is_erased(self) -> bool:
        """Whether the value was erased."""
        return self._state is _State.ERASED

    @property
    def is_available(self) -> bool:
        """Whether `reveal` gives the value (it is neither erased nor withheld)."""
        return self._state is _State.HELD

    def reveal(self) -> T_co:
        """Return the value.  Every use of personal data goes through this call.

        Raises:
            onestop.exceptions.PersonalDataErased: If the value was erased.
            onestop.exceptions.KeyUnavailable: If it was read without keys (withheld).
        """
        if self._state is _State.ERASED:
            raise PersonalDataErased()
        if self._state is _State.WITHHELD:
            raise KeyUnavailable(key_id=None, reason="the personal data was read without keys")
        return self._value

    def __repr__(self) -> str:
        """Return `MASK`, or `ERASED_MASK` for an erased value."""
        return ERASED_MASK if self._state is _State.ERASED else MASK

    def __str__(self) -> str:
        """Return what ``repr()`` does."""
        return self.__repr__()

    def __format__(self, format_spec: str) -> str:
        """Return what ``repr()`` does, whatever the format spec."""
        return self.__repr__()

    def __eq__(self, other: object) -> bool:
        """Compare the states and the values held, if *other* is `Personal` too."""
        if isinstance(other, Personal):
            return self._state is other._state and bool(self._value == other._value)
        return NotImplemented

    def __hash__(self) -> int:
        """Hash the value held (so it must be hashable, as `str` and `date` are)."""
        if self._state is _State.HELD:
            return hash((Personal, self._value))
        return hash((Personal, self._state))

    def __setattr__(self, name: str, value: object) -> None:
        """Refuse: `Personal` is immutable."""
        raise attrs.exceptions.FrozenInstanceError

    def __delattr__(self, name: str) -> None:
        """Refuse: `Personal` is immutable."""
        raise attrs.exceptions.FrozenInstanceError

    def __reduce__(self) -> tuple[Any, tuple[str, Any]]:
        """Pickle and copy as the state and the value held."""
        return (_rebuild, (self._state.value, self._value))
