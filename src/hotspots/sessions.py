"""The server's table of sign-ins: who, when last used, and which have ended.

A sign-in cookie (``accounts.issue_token``) is set once, at sign-in: Streamlit talks to the page
over a websocket, which cannot set cookies. So the server keeps, per sign-in (the cookie's
session id), the time of its last use, updated by every page request (``resume``, from the
sign-in middleware) and every script run (``resume``, or ``keep_alive`` for single sign-on).
A sign-in unused for ``settings.SESSION_IDLE_MINUTES`` has ended, and so has one signed out.

The table is in this process's memory: restarting the server signs everyone out (a cookie whose
session the table does not know is refused). The middleware and the script run in one process.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from hotspots import accounts, audit, settings, store
from hotspots._errors import SessionTokenError
from hotspots.accounts import Account

ENDED = "This sign-in has ended (you signed out, or the server was restarted): sign in again."


@dataclass
class _SignIn:
    name: str
    role: str
    last_used: datetime
    ended: bool = False


_table: dict[str, _SignIn] = {}
_lock = threading.Lock()
_demo_only: dict[tuple[str, tuple], bool] = {}


def start(account: Account, *, now: datetime) -> Account:
    """Record a new sign-in; return the account carrying its session id (put it in the cookie)."""
    session_id = secrets.token_urlsafe(16)
    with _lock:
        _table[session_id] = _SignIn(account.name, account.role, now)
    return replace(account, session_id=session_id)


def resume(token: str, *, credentials: Path, audit_store: Path, now: datetime) -> Account:
    """The account of a sign-in cookie whose sign-in is still in use, marked as used ``now``; a
    :class:`SessionTokenError` otherwise (an idle sign-in ends here, recorded as ``session-expired``).
    A demo account is accepted only while the dashboard's store holds synthetic datasets only."""
    secret = accounts.signing_secret(credentials)
    session_id = accounts.token_session_id(token, secret)
    last_used = _still_in_use(session_id, now, audit_store)
    account = accounts.verify_token(token, secret, credentials=credentials, now=now, last_active=last_used,
                                    demo_allowed=demo_only(store.default_store()))
    _touch(session_id, now)
    return account


def keep_alive(account: Account, *, audit_store: Path, now: datetime) -> None:
    """Mark a sign-in without a cookie of ours (single sign-on) as used ``now``, if still in use; a
    :class:`SessionTokenError` if it ended."""
    _still_in_use(account.session_id, now, audit_store)
    _touch(account.session_id, now)


def end(session_id: str) -> _SignIn | None:
    """End a sign-in (signing out); the sign-in, or None if it had ended already."""
    with _lock:
        sign_in = _table.get(session_id)
        if sign_in is None or sign_in.ended:
            return None
        sign_in.ended = True
        return sign_in


def idle_limit() -> timedelta:
    return timedelta(minutes=settings.SESSION_IDLE_MINUTES)


def demo_only(user_store: Path) -> bool:
    """Whether the dashboard shows synthetic data only: the user's store holds no dataset (the
    demo is shown) or only synthetic ones. Only then may the demo be tried without a password."""
    key = (str(user_store), store.store_version(Path(user_store)))
    if key not in _demo_only:
        inventory = store.list_datasets(Path(user_store))
        _demo_only.clear()  # one store at a time: keep the latest answer only
        _demo_only[key] = bool(inventory["synthetic"].all()) if len(inventory) else True
    return _demo_only[key]


def _still_in_use(session_id: str, now: datetime, audit_store: Path) -> datetime:
    with _lock:
        sign_in = _table.get(session_id)
        if sign_in is None or sign_in.ended:
            raise SessionTokenError(ENDED)
        expired = now - sign_in.last_used > idle_limit()
        if expired:
            sign_in.ended = True
        last_used = sign_in.last_used
    if expired:
        audit.record(audit_store, user=sign_in.name, role=sign_in.role, action="session-expired",
                     what={"idle minutes": settings.SESSION_IDLE_MINUTES})
        raise SessionTokenError(f"You were signed out after {settings.SESSION_IDLE_MINUTES:g} minutes without use: "
                                f"sign in again.")
    return last_used


def _touch(session_id: str, now: datetime) -> None:
    with _lock:
        sign_in = _table.get(session_id)
        if sign_in is not None:
            sign_in.last_used = max(sign_in.last_used, now)
