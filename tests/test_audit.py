"""The audit trail: append-only, hash-chained, one chain however many processes write."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hotspots import audit, cli
from hotspots._errors import AuditError

ROOT = Path(__file__).resolve().parents[1]
START = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def trail(tmp_path: Path) -> Path:
    """A store whose trail holds five entries by three users."""
    store = tmp_path / "store"
    for minute, (user, role, action, what) in enumerate([
            ("alice", "police", "sign-in", {}), ("bob", "admin", "import", {"dataset_id": 3, "file": "ambulance.csv"}),
            ("alice", "police", "export", {"layer": "ambulance-knife", "rows": 304}),
            (None, None, "sign-in-failed", {}), ("bob", "admin", "delete", {"dataset_id": 3})]):
        audit.record(store, user=user, role=role, action=action, what=what, now=START + timedelta(minutes=minute))
    return store


def _lines(store: Path) -> list[dict]:
    return [json.loads(line) for line in audit.audit_path(store).read_text().splitlines()]


def _forge(store: Path, entries: list[dict]) -> None:
    """Write ``entries`` back as a careful forger would: numbered again from 1 and each entry's own
    hash made again (SHA-256 of its other fields as compact, key-sorted JSON), links left as they are."""
    lines = []
    for number, entry in enumerate(entries, start=1):
        fields = {key: value for key, value in entry.items() if key != "hash"} | {"number": number}
        digest = hashlib.sha256(json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
        lines.append(json.dumps(fields | {"hash": digest}) + "\n")
    audit.audit_path(store).write_text("".join(lines))


def _edited(entries: list[dict]) -> list[dict]:
    return [entries[0], entries[1] | {"user": "carol"}, *entries[2:]]


def _removed(entries: list[dict]) -> list[dict]:
    return [entries[0], *entries[2:]]


def _inserted(entries: list[dict]) -> list[dict]:
    extra = entries[1] | {"action": "download", "what": {"file": "nominals.csv"}, "previous": entries[0]["hash"]}
    return [entries[0], extra, *entries[1:]]


def _reordered(entries: list[dict]) -> list[dict]:
    return [entries[0], entries[2], entries[1], *entries[3:]]


def test_entries_are_numbered_chained_and_owner_only(trail: Path) -> None:
    listed = audit.entries(trail)
    assert [entry.number for entry in listed] == [1, 2, 3, 4, 5]
    assert listed[0].previous == audit.FIRST_PREVIOUS
    assert [entry.previous for entry in listed[1:]] == [entry.hash for entry in listed[:-1]]
    assert listed[1].what == {"dataset_id": 3, "file": "ambulance.csv"}
    assert listed[3].user is None and listed[3].action == "sign-in-failed"
    assert listed[4].time == START + timedelta(minutes=4) and listed[4].time.tzinfo is not None
    assert stat.S_IMODE(audit.audit_path(trail).stat().st_mode) == 0o600
    check = audit.verify(trail)
    assert check.ok and check.entries == 5 and check.last_hash == listed[-1].hash


def test_an_entry_edited_in_place_is_named(trail: Path) -> None:
    text = audit.audit_path(trail).read_text().replace('"user":"bob"', '"user":"carol"', 1)
    audit.audit_path(trail).write_text(text)
    check = audit.verify(trail)
    assert (check.first_bad_line, check.entries) == (2, 1)
    assert "contents were changed" in check.problem


@pytest.mark.parametrize(("forgery", "first_bad_line"), [
    (_edited, 3), (_removed, 2), (_inserted, 3), (_reordered, 2)])
def test_the_chain_catches_an_edited_removed_inserted_or_reordered_entry(trail: Path, forgery, first_bad_line) -> None:
    _forge(trail, forgery(_lines(trail)))
    check = audit.verify(trail)
    assert not check.ok and check.first_bad_line == first_bad_line
    assert "does not follow the entry before it" in check.problem


@pytest.mark.parametrize("forgery", [_edited, _removed, _inserted, _reordered])
def test_without_the_link_check_those_forgeries_would_pass(trail: Path, forgery, monkeypatch) -> None:
    """The forgeries above are caught by the chain alone: every other check passes them."""
    _forge(trail, forgery(_lines(trail)))
    monkeypatch.setattr(audit, "_link_problem", lambda entry, previous_hash: None)
    assert audit.verify(trail).ok


def test_an_untouched_forgery_helper_keeps_the_trail_valid(trail: Path) -> None:
    """The forger's rewrite alone (no change) leaves a valid trail: what breaks it is the change."""
    _forge(trail, _lines(trail))
    assert audit.verify(trail).ok


def test_two_processes_appending_at_once_keep_one_chain(tmp_path: Path) -> None:
    store = tmp_path / "store"
    script = ("import sys; from hotspots import audit\n"
              "for i in range(150):\n"
              "    audit.record(sys.argv[1], user=sys.argv[2], role='police', action='download', what={'i': i})\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    writers = [subprocess.Popen([sys.executable, "-c", script, str(store), user], env=env) for user in ("a", "b")]
    assert [writer.wait(timeout=120) for writer in writers] == [0, 0]
    check = audit.verify(store)
    assert check.ok, check.problem
    listed = audit.entries(store)
    assert check.entries == len(listed) == 300
    for user in ("a", "b"):
        assert [entry.what["i"] for entry in listed if entry.user == user] == list(range(150))


def test_a_damaged_last_line_refuses_new_entries_and_changes_nothing(trail: Path) -> None:
    path = audit.audit_path(trail)
    path.write_bytes(path.read_bytes()[:-20])  # a write cut short
    before = path.read_bytes()
    with pytest.raises(AuditError, match="last entry cannot be read.*cut short.*nothing was recorded"):
        audit.record(trail, user="alice", role="police", action="sign-out")
    assert path.read_bytes() == before
    check = audit.verify(trail)
    assert (check.first_bad_line, check.entries) == (5, 4) and "cut short" in check.problem
    with pytest.raises(AuditError, match=r"audit.jsonl, line 5: the line is cut short"):
        audit.entries(trail)


def test_bad_records_are_refused(tmp_path: Path) -> None:
    with pytest.raises(AuditError, match="Unknown audit action 'login': use one of sign-in, sign-in-failed"):
        audit.record(tmp_path, user="alice", role="police", action="login")
    with pytest.raises(AuditError, match="only text, numbers"):
        audit.record(tmp_path, user="alice", role="police", action="export", what={"when": datetime.now(UTC)})
    with pytest.raises(ValueError, match="timezone-aware"):
        audit.record(tmp_path, user="alice", role="police", action="export", now=datetime(2024, 1, 1))
    assert not audit.audit_path(tmp_path).exists()
    assert audit.entries(tmp_path) == [] and audit.verify(tmp_path).ok


def test_the_command_line_lists_and_verifies(trail: Path, capsys) -> None:
    assert cli.main(["audit", "--store", str(trail)]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert len(listing) == 5
    assert listing[1].split() == ["2", "2024-05-01", "09:31:00", "UTC", "bob", "admin", "import", '{"dataset_id":',
                                  '3,', '"file":', '"ambulance.csv"}']
    assert listing[3].split()[4:7] == ["-", "-", "sign-in-failed"]
    assert cli.main(["audit", "verify", "--store", str(trail)]) == 0
    assert "intact: 5 entries" in capsys.readouterr().out
    _forge(trail, _removed(_lines(trail)))
    assert cli.main(["audit", "--store", str(trail), "verify"]) == 2
    error = capsys.readouterr().err
    assert "audit.jsonl: entry on line 2: it does not follow the entry before it" in error
    assert "the 1 entries before it are intact" in error


def test_the_listing_writes_out_control_characters_in_names(tmp_path: Path, capsys) -> None:
    audit.record(tmp_path, user="eve\x1b[2Jadmin", role="public", action="sign-in-failed")
    assert cli.main(["audit", "--store", str(tmp_path)]) == 0
    output = capsys.readouterr().out
    assert "\x1b" not in output and "eve\\x1b[2Jadmin" in output
