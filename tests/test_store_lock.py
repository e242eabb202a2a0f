"""One writer at a time: threads of one process (Streamlit sessions) and other processes wait or
are refused at the store's write lock, and a check's staged upload lives in the store, where the
next writer clears it once its process is gone."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest

from hotspots import importing, store
from hotspots._errors import OverlapError, StoreError

HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
          "Last outcome category,Context\n")
WAIT = 5  # seconds a held import waits to be let go (a safety net: the tests let it go sooner)
BLOCKED = 1  # seconds a second writer is given to act while the first is held


def street_file(path: Path, month: str, outcome: str) -> Path:
    """Six police.uk rows of one month (the same Crime IDs whatever the outcome), placed by LSOA code."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + "".join(
        f"{i:058x}{month.replace('-', '')},{month},Essex Police,Essex Police,,,No Location,E01015921,"
        f"Thurrock 015A,Violence and sexual offences,{outcome},\n" for i in range(6)))
    return path


@pytest.fixture
def held_commit(monkeypatch: pytest.MonkeyPatch):
    """Holds the first import to commit between its folder's rename and its commit, until let go:
    yields (reached, let_go) events."""
    reached, let_go = threading.Event(), threading.Event()
    commit_record = store._commit_record
    first = threading.Lock()

    def held(*args, **kwargs):
        if first.acquire(blocking=False):
            reached.set()
            let_go.wait(WAIT)
        return commit_record(*args, **kwargs)

    monkeypatch.setattr(store, "_commit_record", held)
    yield reached, let_go
    let_go.set()


def run(work, outcome: dict, key: str) -> threading.Thread:
    def target() -> None:
        try:
            outcome[key] = work()
        except Exception as error:  # the test asserts on it
            outcome[key] = error

    thread = threading.Thread(target=target)
    thread.start()
    return thread


def test_a_clean_up_while_an_import_is_between_rename_and_commit_keeps_its_folder(tmp_path: Path,
                                                                                   held_commit) -> None:
    reached, let_go = held_commit
    store_dir = tmp_path / "store"
    path = street_file(tmp_path / "2023-01-essex-street.csv", "2023-01", "Under investigation")
    outcome: dict = {}
    importer = run(lambda: importing.import_file(store_dir, path, "police-uk"), outcome, "import")
    assert reached.wait(WAIT)
    sha256 = importing.file_hash(path)
    assert (store_dir / store.UPLOADS / sha256).is_dir()  # renamed, not yet committed

    def other_write() -> None:  # any write connection clears uncommitted folders as it opens
        with store.catalogue(store_dir) as db:
            db.execute("CREATE TABLE IF NOT EXISTS notes (note VARCHAR)")

    writer = run(other_write, outcome, "write")
    writer.join(BLOCKED)
    let_go.set()
    importer.join()
    writer.join()
    assert outcome == {"import": 1, "write": None}
    assert (store_dir / store.UPLOADS / sha256 / "rows-000.parquet").exists()
    assert len(store.read_table(store_dir, "events")) == 6


def test_two_imports_of_the_same_months_at_once_never_both_land(tmp_path: Path, held_commit) -> None:
    reached, let_go = held_commit
    store_dir = tmp_path / "store"
    first = street_file(tmp_path / "a" / "2023-01-essex-street.csv", "2023-01", "Under investigation")
    second = street_file(tmp_path / "b" / "2023-01-essex-street.csv", "2023-01", "Charged")
    outcome: dict = {}
    importers = [run(lambda: importing.import_file(store_dir, first, "police-uk"), outcome, "first")]
    assert reached.wait(WAIT)
    importers.append(run(lambda: importing.import_file(store_dir, second, "police-uk"), outcome, "second"))
    importers[1].join(BLOCKED)
    let_go.set()
    for importer in importers:
        importer.join()
    assert outcome["first"] == 1
    # It reads the store once the first has landed, and finds its month: refused, as one at a time.
    assert isinstance(outcome["second"], OverlapError)
    assert "dataset 1" in str(outcome["second"])
    assert list(store.list_datasets(store_dir)["dataset_id"]) == [1]
    assert len(store.read_table(store_dir, "events")) == 6


def test_two_checked_imports_of_the_same_months_work_out_their_overlaps_one_after_the_other(
        tmp_path: Path, held_commit) -> None:
    reached, let_go = held_commit
    store_dir = tmp_path / "store"
    first = street_file(tmp_path / "a" / "2023-01-essex-street.csv", "2023-01", "Under investigation")
    second = street_file(tmp_path / "b" / "2023-01-essex-street.csv", "2023-01", "Charged")
    outcome: dict = {}
    with store.incoming(store_dir) as first_folder, store.incoming(store_dir) as second_folder:
        staged = [importing.stage(store_dir, path, "police-uk", folder)  # both checked before either lands
                  for path, folder in ((first, first_folder), (second, second_folder))]

        def add(one: importing.Staged):
            return lambda: store.add_dataset(store_dir, one.prepared, one.copy, one.sha256, original_name=one.name)

        importers = [run(add(staged[0]), outcome, "first")]
        assert reached.wait(WAIT)
        importers.append(run(add(staged[1]), outcome, "second"))
        importers[1].join(BLOCKED)
        let_go.set()
        for importer in importers:
            importer.join()
    assert outcome["first"] == 1
    assert isinstance(outcome["second"], OverlapError) and "dataset 1" in str(outcome["second"])
    assert list(store.list_datasets(store_dir)["dataset_id"]) == [1]


def test_a_write_while_another_process_holds_the_store_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    importing.import_file(store_dir, street_file(tmp_path / "2023-01-essex-street.csv", "2023-01", "Charged"),
                          "police-uk")
    with (store_dir / store.WRITE_LOCK).open("a") as other:  # its own open file: as another process's
        fcntl.flock(other, fcntl.LOCK_EX)
        with pytest.raises(StoreError, match="in use by another process"):
            store.delete_dataset(store_dir, 1)
    assert list(store.list_datasets(store_dir)["dataset_id"]) == [1]
    store.delete_dataset(store_dir, 1)  # once it has let go
    assert store.list_datasets(store_dir).empty


def test_two_sessions_reading_a_store_to_upgrade_at_once_both_upgrade_it_in_turn(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store_dir = tmp_path / "store"
    importing.import_file(store_dir, street_file(tmp_path / "2023-01-essex-street.csv", "2023-01", "Charged"),
                          "police-uk")
    db = duckdb.connect(str(store_dir / store.DATABASE_NAME))
    db.execute("DROP TABLE upgrades")  # as a store from before coverage was recorded
    db.close()
    both_reading, met = threading.Barrier(2), threading.Event()
    needs_upgrade = store._needs_upgrade

    def when_both_read(db):  # each session has its read connection open before either upgrades
        if not met.is_set():
            both_reading.wait(WAIT)
            met.set()
        return needs_upgrade(db)

    monkeypatch.setattr(store, "_needs_upgrade", when_both_read)
    outcome: dict = {}

    def read(key: str) -> None:
        outcome[key] = len(store.read_table(store_dir, "events"))

    readers = [threading.Thread(target=read, args=(key,), daemon=True)  # daemons: a deadlock fails, not hangs
               for key in ("first", "second")]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join(WAIT * 2)
    assert outcome == {"first": 6, "second": 6}


CHECK_THEN_DIE = """
import os, sys
from pathlib import Path
from hotspots import importing
check = importing.check_upload(Path(sys.argv[1]), Path(sys.argv[2]).read_bytes(), "police-uk", name="upload.csv")
print(check.folder, flush=True)
os._exit(0)  # dies without discarding it: no finaliser runs
"""


def test_a_check_is_staged_in_the_store_kept_while_alive_and_cleared_after_its_process_dies(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    importing.import_file(store_dir, street_file(tmp_path / "2023-01-essex-street.csv", "2023-01", "Charged"),
                          "police-uk")
    upload = street_file(tmp_path / "2023-02-essex-street.csv", "2023-02", "Charged")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    died = Path(subprocess.run([sys.executable, "-c", CHECK_THEN_DIE, str(store_dir), str(upload)], env=env,
                               check=True, capture_output=True, text=True).stdout.strip())
    alive = importing.check_upload(store_dir, upload.read_bytes(), "police-uk", name="upload.csv")
    for check in (died, alive.folder):
        assert check.parent == store_dir / store.UPLOADS and check.name.startswith(".partial-")
        assert (check / store.ORIGINAL / "upload.csv").read_bytes() == upload.read_bytes()
    with store.catalogue(store_dir):  # the next writer
        pass
    assert not died.exists() and not died.with_name(died.name + ".lock").exists()
    assert alive.folder.exists()
    assert importing.commit_checked(store_dir, alive.staged) == 2
    alive.discard()
    assert not alive.folder.exists() and not alive.folder.with_name(alive.folder.name + ".lock").exists()
    assert sorted(p.name for p in (store_dir / store.UPLOADS).iterdir()) == sorted(
        store.list_datasets(store_dir)["sha256"])


def test_a_refused_check_of_a_new_store_leaves_no_store(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    with pytest.raises(Exception, match="upload.csv"):
        importing.check_upload(store_dir, b"not,a,police.uk\nfile,at,all\n", "police-uk", name="upload.csv")
    assert not store_dir.exists()


def test_tidying_a_new_store_while_another_process_writes_it_leaves_it_to_the_next_writer(tmp_path: Path) -> None:
    """Leaving an import's folder of a store it created must not fail (the import may have landed,
    or the folder be dropped by the garbage collector) because another process holds the store."""
    fresh = tmp_path / "store"
    with store.incoming(fresh) as folder:
        (folder / "upload.csv").write_text("x\n")
        other = os.open(fresh / store.WRITE_LOCK, os.O_RDWR | os.O_CREAT, 0o600)  # another process's hold
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
    try:
        assert fresh.exists(), "left for the next writer"
        assert not list((fresh / store.UPLOADS).glob(".partial-*")), "the import's own folder is always removed"
    finally:
        os.close(other)


def test_a_thread_reading_the_store_may_not_write_it(tmp_path: Path) -> None:
    """Two threads each reading, then writing, would wait for each other for ever: refused at once."""
    target = tmp_path / "store"
    importing.import_file(target, street_file(tmp_path / "a.csv", "2023-01", "Under investigation"), "police-uk")
    with store._connect(target, read_only=True), pytest.raises(RuntimeError, match="may not write"):
        with store._connect(target):
            pass
    assert not store.list_datasets(target).empty  # the store is still readable: nothing was left held
