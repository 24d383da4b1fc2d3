"""Create a new file, never replacing one: for key files, checkpoints and access exports."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["create_file"]


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
