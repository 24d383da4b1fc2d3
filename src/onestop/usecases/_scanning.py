"""A malware scan whose every failure is `ScannerUnavailable` (for `DocumentDesk`).

A `Scanner` is the integrator's code: a socket to ``clamd``, a cloud service's client.
Its failures (a refused connection, a reset, a verdict that is not a `Verdict`) would
otherwise reach the desk's caller as whatever the client library raises, and a web
server answer them as an internal error.  `guarded_scan` starts a scan and wraps it, so
that each is one typed, transient error that names the failing class and nothing of the
document.  The scanner's own `OnestopError` (a `MalwareFound` it raised itself) passes.
"""

from __future__ import annotations

from onestop.domain.common.formats import kind_of
from onestop.exceptions import OnestopError, ScannerUnavailable
from onestop.ports.documents import Scan, Scanner, Verdict

__all__ = ["guarded_scan"]


def guarded_scan(scanner: Scanner, /) -> Scan:
    """Start a scan with *scanner*; its failures from here on are `ScannerUnavailable`.

    Raises:
        onestop.exceptions.ScannerUnavailable: If the scanner fails to start.
    """
    try:
        return _Guarded(scanner.start())
    except OnestopError:
        raise
    except Exception as exc:
        raise _failed(exc) from exc


def _failed(exc: Exception) -> ScannerUnavailable:
    return ScannerUnavailable(reason=type(exc).__name__)


class _Guarded:
    """A scan whose failures (a lost connection, no verdict) are `ScannerUnavailable`."""

    def __init__(self, scan: Scan) -> None:
        self._scan = scan

    def feed(self, chunk: bytes, /) -> None:
        """Give the scanner the next chunk."""
        try:
            self._scan.feed(chunk)
        except OnestopError:
            raise
        except Exception as exc:
            raise _failed(exc) from exc

    def verdict(self) -> Verdict:
        """The scanner's verdict on every chunk fed."""
        try:
            found = self._scan.verdict()
        except OnestopError:
            raise
        except Exception as exc:
            raise _failed(exc) from exc
        if not isinstance(found, Verdict):
            raise ScannerUnavailable(reason=f"a verdict that is {kind_of(found)}")
        return found
