"""A TCP proxy in front of the test NATS server that a test can cut and restore."""

from __future__ import annotations

import contextlib
import socket
import threading
from urllib.parse import urlsplit


class CuttableProxy:
    """Forwards connections on a local port to *url*'s host and port until cut.

    `cut` closes the listener and every connection, so the server looks gone (a
    connection attempt is refused); `restore` listens on the same port again.
    """

    def __init__(self, url: str) -> None:
        """Proxy to the host and port of *url* (``nats://host:port``)."""
        parts = urlsplit(url)
        self._target = (parts.hostname or "127.0.0.1", parts.port or 4222)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port: int = probe.getsockname()[1]
        self._listener: socket.socket | None = None
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """The proxy's own URL."""
        return f"nats://127.0.0.1:{self.port}"

    def restore(self) -> None:
        """Listen and forward again."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """Close the listener and every connection through the proxy."""
        with self._lock:
            found, self._open = self._open, []
            listener, self._listener = self._listener, None
        for sock in [*found, *([listener] if listener is not None else [])]:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                near, _ = listener.accept()
            except OSError:  # cut
                return
            try:
                far = socket.create_connection(self._target, timeout=5)
            except OSError:
                near.close()
                continue
            far.settimeout(None)
            with self._lock:
                self._open += [near, far]
            for source, sink in ((near, far), (far, near)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
