"""The audit trail: who did what and when, append-only and hash-chained, in the store folder.

``<store>/audit.jsonl`` holds one JSON object a line (owner-only, 0600)::

    {"action": "sign-in", "hash": "...", "number": 7, "previous": "...", "role": "police",
     "time": "2024-05-01T09:30:00.000+00:00", "user": "alice", "what": {}}

``hash`` is the SHA-256 of the entry's canonical form (its other fields as compact JSON with
sorted keys) and ``previous`` is the hash of the entry before (64 zeros for the first), so an
edited, removed, inserted or reordered entry breaks the chain at that point (:func:`verify`).
Writers take ``<store>/audit.lock`` (``fcntl.flock``) around reading the last entry and
appending, so processes writing at once keep one chain. Why JSON lines, and what the chain
cannot catch, is in docs/access.md.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hotspots._errors import AuditError
from hotspots._private_files import OWNER_ONLY, locked

AUDIT_FILE = "audit.jsonl"
LOCK_FILE = "audit.lock"
FIRST_PREVIOUS = "0" * 64
ACTIONS = ("sign-in", "sign-in-failed", "sign-out", "session-expired", "import", "delete", "export", "download",
           "user-added", "role-changed", "user-removed", "decision-recorded", "tasking-list-saved")
_FIELDS = {"number", "time", "user", "role", "action", "what", "previous", "hash"}


@dataclass(frozen=True)
class AuditEntry:
    """One entry: ``number`` counts from 1; ``user`` and ``role`` are None when nobody is known
    (a failed sign-in with an unknown name); ``what`` is a small dict saying what was acted on."""

    number: int
    time: datetime
    user: str | None
    role: str | None
    action: str
    what: dict[str, Any]
    previous: str
    hash: str


@dataclass(frozen=True)
class AuditCheck:
    """What :func:`verify` found: ``entries`` intact entries from the start, the last one's hash,
    and where the chain first fails (``first_bad_line``, ``problem``), if it does."""

    entries: int
    last_hash: str
    first_bad_line: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def audit_path(store: Path) -> Path:
    """The audit trail file of a store."""
    return Path(store) / AUDIT_FILE


def record(store: Path, *, user: str | None, role: str | None, action: str, what: dict[str, Any] | None = None,
           now: datetime | None = None) -> AuditEntry:
    """Append one entry to the store's audit trail and return it.

    Refused, writing nothing, for an unknown ``action``, a ``what`` that is not plain JSON, or a
    trail whose last line is damaged (run ``hotspots audit verify``).
    """
    if action not in ACTIONS:
        raise AuditError(f"Unknown audit action {action!r}: use one of {', '.join(ACTIONS)}.")
    time = datetime.now(UTC) if now is None else _utc(now)
    path = audit_path(store)
    with locked(Path(store) / LOCK_FILE):
        last = _last_entry(path)
        fields = {"number": 1 if last is None else last.number + 1, "time": time.isoformat(timespec="milliseconds"),
                  "user": user, "role": role, "action": action, "what": _plain(what or {}),
                  "previous": FIRST_PREVIOUS if last is None else last.hash}
        line = _canonical({**fields, "hash": _hash(fields)}) + "\n"
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, OWNER_ONLY)
        try:
            os.write(descriptor, line.encode("utf-8"))
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
    return _entry(json.loads(line))


def entries(store: Path) -> list[AuditEntry]:
    """Every entry, oldest first (an empty list when nothing was recorded). Reading does not check
    the chain: :func:`verify` does."""
    path = audit_path(store)
    if not path.exists():
        return []
    result = []
    with open(path, "rb") as file:
        for number, line in enumerate(file, start=1):
            _, entry, problem = _parsed(line)
            if problem is not None:
                raise AuditError(f"{path}, line {number}: {problem}. Run `hotspots audit verify`.")
            result.append(entry)
    return result


def verify(store: Path) -> AuditCheck:
    """Check every entry's hash and its link to the entry before; name the first that fails."""
    path = audit_path(store)
    previous_hash, intact = FIRST_PREVIOUS, 0
    if not path.exists():
        return AuditCheck(0, previous_hash)
    with open(path, "rb") as file:
        for number, line in enumerate(file, start=1):
            fields, entry, problem = _parsed(line)
            problem = problem or _content_problem(fields) or _link_problem(entry, previous_hash) \
                or _number_problem(entry, number)
            if problem is not None:
                return AuditCheck(intact, previous_hash, number, f"entry on line {number}: {problem}")
            previous_hash, intact = entry.hash, number
    return AuditCheck(intact, previous_hash)


def _content_problem(fields: dict[str, Any]) -> str | None:
    content = {key: value for key, value in fields.items() if key != "hash"}
    return None if _hash(content) == fields["hash"] else "its contents were changed after it was written"


def _link_problem(entry: AuditEntry, previous_hash: str) -> str | None:
    if entry.previous == previous_hash:
        return None
    return ("it does not follow the entry before it: an entry was removed, inserted or moved here, "
            "or the entry before it was changed")


def _number_problem(entry: AuditEntry, line_number: int) -> str | None:
    return None if entry.number == line_number else f"it is numbered {entry.number}, not {line_number}"


def _parsed(line: bytes) -> tuple[dict[str, Any], AuditEntry, None] | tuple[None, None, str]:
    """The fields and entry on one line, or why there is none."""
    if not line.endswith(b"\n"):
        return None, None, "the line is cut short (a write was interrupted)"
    try:
        fields = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        return None, None, f"not a JSON entry ({error})"
    if not isinstance(fields, dict) or set(fields) != _FIELDS:
        return None, None, f"an entry has exactly the fields {', '.join(sorted(_FIELDS))}"
    try:
        return fields, _entry(fields), None
    except (TypeError, ValueError) as error:
        return None, None, f"a field cannot be read ({error})"


def _entry(fields: dict[str, Any]) -> AuditEntry:
    if not (isinstance(fields["number"], int) and isinstance(fields["what"], dict)
            and all(isinstance(fields[key], str) for key in ("action", "previous", "hash"))
            and all(fields[key] is None or isinstance(fields[key], str) for key in ("user", "role"))):
        raise TypeError("number is a whole number, what a dict, user and role text or null")
    return AuditEntry(**{**fields, "time": datetime.fromisoformat(fields["time"])})


def _last_entry(path: Path) -> AuditEntry | None:
    line = _last_line(path)
    if line is None:
        return None
    _, entry, problem = _parsed(line)
    if problem is not None:
        raise AuditError(f"{path}: the last entry cannot be read ({problem}), so nothing can be chained to it. "
                         f"Run `hotspots audit verify`; nothing was recorded.")
    return entry


def _last_line(path: Path) -> bytes | None:
    """The file's last line (with its newline), read from the end; None for a missing or empty file."""
    if not path.exists() or path.stat().st_size == 0:
        return None
    with open(path, "rb") as file:
        size, block = file.seek(0, os.SEEK_END), 4096
        while True:
            start = max(0, size - block)
            file.seek(start)
            tail = file.read(size - start)
            newline = tail.rfind(b"\n", 0, len(tail) - 1)
            if newline >= 0 or start == 0:
                return tail[newline + 1:]
            block *= 2


def _plain(what: dict[str, Any]) -> dict[str, Any]:
    try:
        return json.loads(json.dumps(what, allow_nan=False))
    except (TypeError, ValueError) as error:
        raise AuditError(f"An audit entry's `what` holds only text, numbers, true/false, null, lists and dicts "
                         f"({error}).") from error


def _canonical(fields: dict[str, Any]) -> str:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _hash(fields: dict[str, Any]) -> str:
    return hashlib.sha256(_canonical(fields).encode("utf-8")).hexdigest()


def _utc(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("now must be a timezone-aware datetime (UTC)")
    return now.astimezone(UTC)
