"""Which files an import may read: regular files only; folders walked without leaving them or looping."""

from __future__ import annotations

import os
import re
import socket
import time
from pathlib import Path

import pytest

from hotspots._errors import ImportFileError
from hotspots.inputs import folder_files, regular_file


def test_a_regular_file_and_a_link_to_one_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("x\n1\n")
    (tmp_path / "link.csv").symlink_to(path)
    assert regular_file(path, "a.csv") == path
    assert regular_file(tmp_path / "link.csv", "link.csv") == tmp_path / "link.csv"


@pytest.mark.parametrize(("make", "words"), [
    (lambda p: None, "does not exist"),
    (lambda p: p.mkdir(), "is a folder"),
    (lambda p: os.mkfifo(p), "named pipe (FIFO)"),
    (lambda p: p.symlink_to(p.parent / "gone.csv"), "which does not exist"),
    (lambda p: p.symlink_to(p), "loops back on itself"),
], ids=["missing", "folder", "fifo", "dangling-link", "link-loop"])
def test_what_is_not_a_regular_file_is_refused_at_once_by_name(tmp_path: Path, make, words: str) -> None:
    path = tmp_path / "x.csv"
    make(path)
    started = time.monotonic()
    with pytest.raises(ImportFileError, match=re.escape(words)) as refused:
        regular_file(path, "x.csv")
    assert time.monotonic() - started < 1
    assert str(refused.value).startswith("x.csv: ")


def test_a_device_and_a_socket_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="is a device"):
        regular_file(Path("/dev/zero"), "zero")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(tmp_path / "s.csv"))
        with pytest.raises(ImportFileError, match="is a socket"):
            regular_file(tmp_path / "s.csv", "s.csv")


def _tree(root: Path) -> Path:
    folder = root / "download"
    (folder / "2023-01").mkdir(parents=True)
    (folder / "2023-02").mkdir()
    (folder / "2023-01" / "2023-01-essex-street.csv").write_text("a\n")
    (folder / "2023-02" / "2023-02-essex-street.CSV").write_text("b\n")
    (folder / "README.txt").write_text("not read\n")
    return folder


def test_folder_files_lists_the_csv_files_at_any_depth_sorted(tmp_path: Path) -> None:
    folder = _tree(tmp_path)
    assert [p.relative_to(folder).as_posix() for p in folder_files(folder, "download")] == [
        "2023-01/2023-01-essex-street.csv", "2023-02/2023-02-essex-street.CSV"]
    assert len(folder_files(folder, "download", suffix="")) == 3


def test_links_inside_the_folder_add_nothing_twice_and_a_loop_ends(tmp_path: Path) -> None:
    folder = _tree(tmp_path)
    (folder / "2023-01" / "up").symlink_to(folder)  # a loop back to the top
    (folder / "again.csv").symlink_to(folder / "2023-01" / "2023-01-essex-street.csv")
    (folder / "self").symlink_to(folder / "self")  # loops on itself; not a .csv: left alone
    started = time.monotonic()
    files = folder_files(folder, "download")
    assert time.monotonic() - started < 1
    assert [p.relative_to(folder).as_posix() for p in files] == [
        "2023-01/2023-01-essex-street.csv", "2023-02/2023-02-essex-street.CSV"]


@pytest.mark.parametrize(("make", "member", "words"), [
    (lambda f, outside: (f / "x.csv").symlink_to(outside / "secret.csv"), "x.csv", "outside the folder"),
    (lambda f, outside: (f / "more").symlink_to(outside), "more", "outside the folder"),
    (lambda f, outside: os.mkfifo(f / "2023-01" / "x.csv"), "2023-01/x.csv", "named pipe"),
    (lambda f, outside: (f / "x.csv").symlink_to(f / "gone.csv"), "x.csv", "does not exist"),
    (lambda f, outside: (f / "x.csv").symlink_to(f / "x.csv"), "x.csv", "loops back on itself"),
], ids=["file-link-out", "folder-link-out", "fifo", "dangling-link", "link-loop"])
def test_a_member_that_would_be_read_but_cannot_be_is_refused_by_name(tmp_path: Path, make, member: str,
                                                                       words: str) -> None:
    folder = _tree(tmp_path)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.csv").write_text("secret\n")
    make(folder, outside)
    with pytest.raises(ImportFileError, match=words) as refused:
        folder_files(folder, "download")
    assert str(refused.value).startswith(f"download/{member}: ")


def test_a_fifo_or_device_not_named_like_the_files_read_is_left_alone(tmp_path: Path) -> None:
    folder = _tree(tmp_path)
    os.mkfifo(folder / "pipe")
    assert len(folder_files(folder, "download")) == 2


def test_folder_files_refuses_a_file_or_a_missing_path(tmp_path: Path) -> None:
    folder = _tree(tmp_path)
    with pytest.raises(ImportFileError, match="is not a folder"):
        folder_files(folder / "README.txt", "README.txt")
    with pytest.raises(ImportFileError, match="does not exist"):
        folder_files(tmp_path / "nowhere", "nowhere")
