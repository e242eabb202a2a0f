"""Which files on disk an import may read: regular files, and the regular files inside a folder.

Everything is decided from ``stat`` (``lstat`` for links), never by opening: opening a FIFO blocks
until someone writes to it, and reading a device can run for ever. Zip archives are read as
streams with a cap on the bytes they expand to (``settings.MAX_UNZIPPED_BYTES``), counted as read:
an archive's own record of its sizes is not trusted. Refusals are ImportFileErrors that say what
the path is and what to do.
"""

from __future__ import annotations

import errno
import os
import stat
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from hotspots import settings
from hotspots._errors import ImportFileError

_CHUNK = 1 << 20  # bytes decompressed at a time


def regular_file(path: Path, name: str) -> Path:
    """``path`` if it is an existing regular file (or a link to one); otherwise ImportFileError(name).

    Refused, each with what it is: a path that does not exist, a folder, a FIFO (named pipe), a
    device, a socket, a link that leads nowhere and a link loop. Nothing is opened."""
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except OSError as error:
        raise ImportFileError(name, _unreachable(path, error)) from None
    if stat.S_ISDIR(mode):
        raise ImportFileError(name, "is a folder, not a file: give the file itself (only the police-uk source "
                                    "reads a folder)")
    if not stat.S_ISREG(mode):
        raise ImportFileError(name, f"is {_special_kind(mode)}, not a regular file: copy the data into an ordinary "
                                    "file and give that")
    return path


def open_regular_file(path: Path, name: str) -> BinaryIO:
    """``regular_file``, then the file opened for reading in binary. It is opened without waiting
    (a FIFO put in its place since the check cannot block) and checked again once open."""
    path = regular_file(path, name)
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        raise ImportFileError(name, _unreachable(path, error)) from None
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        raise ImportFileError(name, f"is {_special_kind(mode)}, not a regular file: copy the data into an ordinary "
                                    "file and give that")
    return os.fdopen(descriptor, "rb")


def zip_members(path: Path, name: str, wanted: Callable[[str], bool], *, none_wanted: str) -> list[tuple[str, bytearray]]:
    """The bytes of each member of the zip archive at ``path`` for which ``wanted(member name)``,
    in the archive's order; refused (ImportFileError) if no member is wanted (``none_wanted`` says
    what to do, followed by what the archive holds), if not a readable zip archive, encrypted,
    damaged (a member's checksum is checked as it is read) or expanding past
    ``settings.MAX_UNZIPPED_BYTES`` in all. Folders and ``__MACOSX/`` copies are not members."""
    limit = settings.MAX_UNZIPPED_BYTES
    with open_regular_file(path, name) as handle:
        try:
            with zipfile.ZipFile(handle) as archive:
                members = [info for info in archive.infolist() if not info.is_dir()
                           and not info.filename.startswith("__MACOSX/") and wanted(info.filename)]
                if not members:
                    listed = ", ".join(archive.namelist()[:5]) or "nothing"
                    raise ImportFileError(name, f"{none_wanted}; it holds {listed}")
                out, total = [], 0
                for info in members:
                    if info.flag_bits & 0x1:
                        raise ImportFileError(f"{name}:{info.filename}", "is encrypted (the zip has a password): "
                                                                         "unzip it yourself and import the files")
                    data = _read_capped(archive, info, limit - total, f"{name}:{info.filename}", limit)
                    total += len(data)
                    out.append((info.filename, data))
                return out
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as error:
            raise ImportFileError(name, f"is a damaged or unsupported zip archive ({error}): download it again, or "
                                        "unzip it yourself and import the folder") from None


def _read_capped(archive: zipfile.ZipFile, info: zipfile.ZipInfo, room: int, member: str, limit: int) -> bytearray:
    data = bytearray()
    with archive.open(info) as stream:
        while chunk := stream.read(min(_CHUNK, room - len(data) + 1)):
            data += chunk
            if len(data) > room:
                raise ImportFileError(member, f"the archive's files expand to more than {limit:,} bytes, the limit "
                                              "for a zip (hotspots.settings.MAX_UNZIPPED_BYTES): unzip it yourself "
                                              "and import the folder, or check it is the archive you meant")
    return data


def folder_files(folder: Path, name: str, *, suffix: str = ".csv") -> list[Path]:
    """The regular files under ``folder`` (at any depth) whose names end in ``suffix`` (any case),
    sorted by their path in the folder.

    Followed: links to files and folders that lie inside ``folder`` (judged by their real path).
    Each real folder is walked once and each real file listed once, under its own path when the
    walk reaches it without a link, so a link back up the tree (a loop) or a link to a file that
    is there anyway adds nothing.
    Refused (ImportFileError naming the member): a link whose target lies outside ``folder``, a
    link that leads nowhere or loops on itself, and a FIFO, device or socket; each only where it
    would be read, that is where its name ends in ``suffix`` or it would be walked as a folder.
    Other members (``README.txt`` beside the CSVs) are left alone, never opened."""
    folder = Path(folder)
    try:
        if not stat.S_ISDIR(os.stat(folder).st_mode):
            raise ImportFileError(name, "is not a folder: give the folder that holds the files")
    except OSError as error:
        raise ImportFileError(name, _unreachable(folder, error)) from None
    root = os.path.realpath(folder)
    walked: set[str] = set()
    found: list[tuple[bool, str, Path]] = []  # (reached through a link, path in the folder, path)
    # (folder, reached through a link): folders reached through a link are walked last, if not walked already
    pending, linked = [(folder, False)], []
    while pending or linked:
        current, via_link = pending.pop() if pending else linked.pop()
        real_current = os.path.realpath(current)
        if real_current in walked:
            continue
        walked.add(real_current)
        for entry in _entries(current, folder, name):
            inside = Path(entry.path).relative_to(folder).as_posix()
            wanted = entry.name.lower().endswith(suffix.lower())
            kind = _member_kind(entry, root, f"{name}/{inside}", wanted)
            if kind == "folder":
                (linked if entry.is_symlink() else pending).append((Path(entry.path), via_link or entry.is_symlink()))
            elif kind == "file" and wanted:
                found.append((via_link or entry.is_symlink(), inside, Path(entry.path)))
    listed: dict[str, tuple[str, Path]] = {}  # real path -> its own path if reached directly, else the first link
    for _, inside, path in sorted(found):
        listed.setdefault(os.path.realpath(path), (inside, path))
    return [path for _, path in sorted(listed.values())]


def _entries(current: Path, folder: Path, name: str) -> list[os.DirEntry]:
    try:
        with os.scandir(current) as entries:
            return list(entries)
    except OSError as error:
        where = name if current == folder else f"{name}/{current.relative_to(folder).as_posix()}"
        raise ImportFileError(where, f"this folder cannot be read ({error.strerror}): check its permissions") from None


def _member_kind(entry: os.DirEntry, root: str, member: str, wanted: bool) -> str:
    """``"folder"``, ``"file"`` or ``"other"`` (left alone) for one folder entry; raises for one we refuse."""
    try:
        mode = entry.stat(follow_symlinks=True).st_mode
    except OSError as error:  # a link leading nowhere, or a loop of links
        if entry.is_symlink() and not wanted:
            return "other"
        raise ImportFileError(member, _unreachable(Path(entry.path), error)) from None
    if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
        if wanted:
            raise ImportFileError(member, f"is {_special_kind(mode)}, not a regular file: remove it from the folder "
                                          "or replace it with the file itself")
        return "other"
    if not wanted and stat.S_ISREG(mode):
        return "other"
    if entry.is_symlink():
        target = os.path.realpath(entry.path)
        if target != root and not target.startswith(root.rstrip(os.sep) + os.sep):
            raise ImportFileError(member, f"is a link to {target}, outside the folder: only files inside the folder "
                                          "are read; copy the file into the folder instead of linking to it")
    return "folder" if stat.S_ISDIR(mode) else "file"


def _unreachable(path: Path, error: OSError) -> str:
    if error.errno == errno.ELOOP:
        return "is a link that loops back on itself: replace it with the file itself"
    if error.errno == errno.ENOENT and os.path.islink(path):
        return f"is a link to {os.readlink(path)}, which does not exist: replace it with the file itself"
    if error.errno == errno.ENOENT:
        return "does not exist: check the path and the file name"
    if error.errno == errno.EACCES:
        return "cannot be read (permission denied): check the file's permissions"
    return f"cannot be read ({error.strerror}): check the path"


def _special_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a file or folder"
