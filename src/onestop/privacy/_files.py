"""Create a new file, never replacing one, and read a small one whole.

For key files, checkpoints and access exports (`create_file`), and for the settings
files a server reads (`read_small_file`).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

__all__ = ["create_file", "read_small_file"]


def create_file(path: str | os.PathLike[str], data: bytes, /, *, mode: int = 0o600) -> str | None:
    """Write *data* to a new file at *path* with *mode*; return ``None``, or why it failed.

    The file is created exclusively (and a link at *path* is not followed, where the
    system can tell), so an existing file is never overwritten or written through.
    The reason is in words without the data: ``"exists already: not overwritten"``,
    that the directory does not exist, or the system's own (``"Permission denied"``,
    ``"No space left on device"``).  The data is flushed to disk before it returns; a
    file that could not be written whole is removed, so none is left half-written.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(Path(path), flags, mode)
    except FileExistsError:
        return "exists already: not overwritten"
    except FileNotFoundError:
        folder = Path(path).parent
        if not folder.is_dir():
            return f"its directory {str(folder)[:200]!r} does not exist: make it first"
        return "No such file or directory"
    except (OSError, ValueError) as exc:
        return getattr(exc, "strerror", None) or "cannot be created"
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
    except OSError as exc:  # a full disk, a quota, an I/O error: no half-written file stays
        Path(path).unlink(missing_ok=True)
        return exc.strerror or "cannot be written"
    return None


def read_small_file(path: str | os.PathLike[str], /, *, limit: int, private: bool = False) -> bytes:
    """The bytes of the regular file at *path*, of at most *limit* bytes.

    A FIFO, a device (``/dev/zero``) or a directory is refused without waiting on it or
    reading it, and a file over *limit* after reading *limit* + 1 bytes, so a setting
    pointed at the wrong place ends in an error instead of a hang or memory exhaustion.
    A *private* file (a key file) is refused, on POSIX, if its group or others may
    read or write it.

    Raises:
        OSError: With the reason in words as its ``strerror``: the system's own
            (``"No such file or directory"``), ``"is not a regular file"``, ``"is
            larger than N bytes"`` or, for a *private* one, ``"its mode 0o644 lets the
            group or others in; chmod 600 it"``; a path no file can have (a NUL) as
            ``"is not a path a file can have"``.
    """
    try:
        descriptor = os.open(Path(path), os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except ValueError:  # a NUL, or a lone surrogate the system cannot encode
        raise OSError(errno.EINVAL, "is not a path a file can have") from None
    try:
        mode = os.fstat(descriptor).st_mode
    except OSError:
        os.close(descriptor)
        raise
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        raise OSError(errno.EINVAL, "is not a regular file")
    if private and os.name == "posix" and mode & 0o077:
        os.close(descriptor)
        shown = oct(stat.S_IMODE(mode))
        raise OSError(errno.EACCES, f"its mode {shown} lets the group or others in; chmod 600 it")
    with os.fdopen(descriptor, "rb") as file:
        data = file.read(limit + 1)
    if len(data) > limit:
        raise OSError(errno.EFBIG, f"is larger than {limit} bytes")
    return data
