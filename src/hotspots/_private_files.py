"""Files readable by their owner only: written whole or not at all, changed under a lock.

Used for the credentials file, its signing secret and sign-in state, and the audit trail. The lock
is ``fcntl.flock`` on a separate lock file, so that several server processes and the command line
take turns; it is released when the process dies, so a crash never leaves a store locked.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from hotspots._errors import CredentialsFileError

OWNER_ONLY = 0o600


@contextlib.contextmanager
def locked(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_path`` (created 0600, with its folder 0700) while inside."""
    make_private_folder(lock_path.parent)
    descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, OWNER_ONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


def make_private_folder(folder: Path) -> None:
    """Create ``folder`` (and its parents) if missing; a new folder is 0700."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` by ``text`` in one rename: readers see the old file or the new, never half.

    The file is created 0600 before anything is written to it.
    """
    make_private_folder(path.parent)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)


def read_private(path: Path) -> str:
    """The text of ``path``, refused if users other than its owner may read or change it."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise CredentialsFileError(
            f"{path}: other users may read or change it (mode {mode:04o}); it holds sign-in secrets. "
            f"Run `chmod 600 {path}` and try again.")
    return path.read_text(encoding="utf-8")


def _sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` survive a power cut."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
