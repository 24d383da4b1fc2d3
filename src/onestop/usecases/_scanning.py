"""A malware scan whose every failure is `ScannerUnavailable` (for `DocumentDesk`).

A `Scanner` is the integrator's code: a socket to ``clamd``, a cloud service's client.
Its failures (a refused connection, a reset, a verdict that is not a `Verdict`) would
otherwise reach the desk's caller as whatever the client library raises, and a web
server answer them as an internal error.  `guarded_scan` starts a scan and wraps it, so
that each is one typed, transient error that names the failing class and nothing of the
document.  The scanner's own `OnestopError` (a `MalwareFound` it raised itself) passes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from onestop.domain.common.formats import kind_of
from onestop.exceptions import OnestopError, ScannerUnavailable
from onestop.ports.documents import Scan, Scanner, Verdict

__all__ = ["guarded_scan"]


def guarded_scan(scanner: Scanner, /) -> Scan:
    """Start a scan with *scanner*; its failures from here on are `ScannerUnavailable`.

    Raises:
        onestop.exceptions.ScannerUnavailable: If the scanner fails to start.
    """
    with _failures():
        return _Guarded(scanner.start())


@contextlib.contextmanager
def _failures() -> Iterator[None]:
    """Whatever the scanner raises is `ScannerUnavailable`, but an `OnestopError` of its own."""
    try:
        yield
    except OnestopError:
        raise
    except Exception as exc:
        raise ScannerUnavailable(reason=type(exc).__name__) from exc


class _Guarded:
    """A scan whose failures (a lost connection, no verdict) are `ScannerUnavailable`."""

    def __init__(self, scan: Scan) -> None:
        self._scan = scan

    def feed(self, chunk: bytes, /) -> None:
        """Give the scanner the next chunk."""
        with _failures():
            self._scan.feed(chunk)

    def verdict(self) -> Verdict:
        """The scanner's verdict on every chunk fed."""
        with _failures():
            found = self._scan.verdict()
        if not isinstance(found, Verdict):
            raise ScannerUnavailable(reason=f"a verdict that is {kind_of(found)}")
        return found
