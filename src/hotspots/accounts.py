"""Dashboard accounts: the credentials file, sign-in with lockout, sign-in cookies, single sign-on.

The credentials file (``$HOTSPOTS_CREDENTIALS``, default ``settings.CREDENTIALS_PATH``) lives
outside the repository and holds, per user name, a role and an argon2id password hash, never a
password. Beside it, all owner-only (0600) and named after it (``credentials.json`` gives
``credentials.secret``, ...):

- ``.secret``: the key that signs sign-in cookies, made on first use;
- ``.signin-state.json``: recent failed sign-ins and lockouts, keyed by a keyed hash of the name
  typed (so that a password typed into the name box is never stored), shared by every server
  process and kept over restarts;
- ``.lock``: the lock taken around every change to those files.

See docs/access.md for the choices (argon2-cffi, itsdangerous) and the single sign-on set-up.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import argon2
import itsdangerous

from hotspots import roles, settings
from hotspots._errors import AccountError, CredentialsFileError, SessionTokenError, SignInError
from hotspots._private_files import locked, read_private, write_atomically

CREDENTIALS_FORMAT = 1
_NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")
_TOKEN_SALT = "ward-hotspots sign-in cookie"
_WRONG_NAME_OR_PASSWORD = "Sign-in failed: the name or the password is wrong."
#: The roles the synthetic demo may be tried as, without a password (never admin: no imports).
DEMO_ROLES = ("police", "partner", "councillor", "public")


@dataclass(frozen=True)
class Account:
    """A signed-in user: their name and role.

    ``session_key`` is the credentials record's key, carried by the sign-in cookie; it changes
    when the account is added again or its role changes, which ends every older cookie. It is
    empty for single sign-on and anonymous accounts, which have no record.
    """

    name: str
    role: str
    session_key: str = field(default="", repr=False)
    #: The sign-in this account is used under (see :mod:`hotspots.sessions`): carried by the cookie,
    #: so that the server can end it and measure its inactivity. Empty outside a server.
    session_id: str = field(default="", repr=False, compare=False)
    #: A demo account (``demo-police``...): no password, no record, only on a synthetic-only store.
    demo: bool = False

    @property
    def permissions(self) -> roles.Role:
        """What this account may see and do (see :mod:`hotspots.roles`)."""
        return roles.ROLES[self.role]


@dataclass(frozen=True)
class SsoRoleMapping:
    """How a single sign-on identity's claims give our role.

    ``claim`` names the claim holding the user's groups or roles (a dotted path such as
    ``realm_access.roles`` reaches into nested claims); ``roles`` maps its values onto our roles;
    ``default`` is the role of a user with no matching value (None: refused); ``name_claim`` is
    the claim used as the user's name.
    """

    claim: str
    roles: dict[str, str]
    default: str | None = None
    name_claim: str = "email"


class _Files(NamedTuple):
    users: Path
    secret: Path
    state: Path
    lock: Path


# ---- the credentials file -------------------------------------------------------------------

def default_credentials_path() -> Path:
    """``$HOTSPOTS_CREDENTIALS`` or ``settings.CREDENTIALS_PATH`` (outside the repository)."""
    return Path(os.environ.get("HOTSPOTS_CREDENTIALS") or settings.CREDENTIALS_PATH)


def list_accounts(credentials: Path) -> list[Account]:
    """Every account in the credentials file, by name (an empty list when there is no file)."""
    users = _read_users(_files(credentials))
    return [Account(name, record["role"], record["session_key"]) for name, record in sorted(users.items())]


def add_user(credentials: Path, name: str, role: str, password: str) -> Account:
    """Add an account; refused, changing nothing, for a bad name or role, a short password or an
    existing user."""
    files, name = _files(credentials), _valid_name(name)
    roles.role(role)
    _check_password(password)
    password_hash = _hasher().hash(password)  # slow on purpose: outside the lock
    with locked(files.lock):
        users = _read_users(files)
        if name in users:
            raise AccountError(f"User {name!r} already exists in {files.users}: change their role with "
                               f"`hotspots users set-role`, or remove them first.")
        users[name] = {"role": role, "password_hash": password_hash, "session_key": secrets.token_hex(8)}
        _write_users(files, users)
    return Account(name, role, users[name]["session_key"])


def set_role(credentials: Path, name: str, role: str) -> tuple[Account, str]:
    """Give a user another role, ending their sign-in cookies; return the account and the role it had."""
    files, name = _files(credentials), _normal_name(name)
    roles.role(role)
    with locked(files.lock):
        users = _read_users(files)
        record = _existing(users, name, files)
        previous, record["role"], record["session_key"] = record["role"], role, secrets.token_hex(8)
        _write_users(files, users)
    return Account(name, role, record["session_key"]), previous


def remove_user(credentials: Path, name: str) -> Account:
    """Remove a user (their cookies stop working at once); return the removed account."""
    files, name = _files(credentials), _normal_name(name)
    with locked(files.lock):
        users = _read_users(files)
        record = _existing(users, name, files)
        del users[name]
        _write_users(files, users)
    return Account(name, record["role"], record["session_key"])


# ---- signing in -----------------------------------------------------------------------------

def sign_in(credentials: Path, name: str, password: str, *, now: datetime) -> Account:
    """The account whose name and password these are, or one :class:`SignInError`.

    An unknown name is checked against a dummy hash, so it takes as long and reads the same as a
    wrong password. After ``settings.SIGN_IN_MAX_FAILURES`` failures in a row a name (known or
    not) is locked for ``settings.SIGN_IN_LOCKOUT_MINUTES``. A hash made with other argon2
    parameters than the settings' is replaced by a new one.
    """
    files, now, name = _files(credentials), _utc(now), _normal_name(name)
    attempt_key = _attempt_key(files, name)
    record = _read_users(files).get(name)
    audit_user = name if record is not None else None
    locked_until = _locked_until(files, attempt_key, now)
    if locked_until is not None:
        raise SignInError(_locked_message(locked_until), audit_user=audit_user)
    if not _password_matches(record, password, name=name, files=files):
        locked_until = _count_failure(files, attempt_key, now)
        suffix = "" if locked_until is None else " " + _locked_message(locked_until)
        raise SignInError(_WRONG_NAME_OR_PASSWORD + suffix, audit_user=audit_user)
    _forget_failures(files, attempt_key)
    _rehash_if_needed(files, name, record["password_hash"], password)
    return Account(name, record["role"], record["session_key"])


def anonymous_account() -> Account | None:
    """The ``public`` account a visitor who does not sign in gets, where ``settings.ANONYMOUS_PUBLIC``
    allows it; otherwise None."""
    return Account("(anonymous)", "public") if settings.ANONYMOUS_PUBLIC else None


def demo_account(role: str) -> Account:
    """The demo account of one of :data:`DEMO_ROLES` (``demo-councillor``...), for trying the synthetic
    demo without a password; the caller offers it only on a store holding synthetic datasets only."""
    if role not in DEMO_ROLES:
        raise AccountError(f"The demo can be tried as {', '.join(DEMO_ROLES)}, not as {role!r}.")
    return Account(f"demo-{role}", role, demo=True)


# ---- sign-in cookies ------------------------------------------------------------------------

def signing_secret(credentials: Path) -> bytes:
    """The key that signs sign-in cookies, kept beside the credentials file (made on first use)."""
    files = _files(credentials)
    if not files.secret.exists():
        with locked(files.lock):
            if not files.secret.exists():
                write_atomically(files.secret, secrets.token_hex(32) + "\n")
    text = read_private(files.secret).strip()
    if not re.fullmatch(r"[0-9a-f]{64}", text):
        raise CredentialsFileError(f"{files.secret}: not a signing secret (64 hex digits). Delete it: a new "
                                   f"one is made at the next start, and everyone signs in again.")
    return bytes.fromhex(text)


def issue_token(account: Account, secret: bytes, *, now: datetime) -> str:
    """A signed sign-in cookie for ``account`` (a password or demo account), dated ``now``, carrying
    its ``session_id``."""
    if not account.session_key and not account.demo:
        raise ValueError(f"{account.name} has no credentials record: sign-in cookies are for password accounts")
    payload = [account.name, account.role, account.session_key, account.session_id, account.demo,
               int(_utc(now).timestamp())]
    return _serializer(secret).dumps(payload)


def token_session_id(token: str, secret: bytes) -> str:
    """The sign-in (session id) a cookie belongs to; a :class:`SessionTokenError` if it is not ours."""
    return _token_fields(token, secret)[3]


def verify_token(token: str, secret: bytes, *, credentials: Path, now: datetime,
                 idle_limit: timedelta | None = None, last_active: datetime | None = None,
                 demo_allowed: bool = False) -> Account:
    """The account a sign-in cookie is for, looked up again; a :class:`SessionTokenError` if the
    cookie was altered, the later of its date and ``last_active`` (the server's record of the
    session's last use) is older than ``idle_limit`` (default ``settings.SESSION_IDLE_MINUTES``),
    the account was removed or its role changed since it was issued, or it is a demo account and
    ``demo_allowed`` is False (the store holds real data)."""
    idle_limit = timedelta(minutes=settings.SESSION_IDLE_MINUTES) if idle_limit is None else idle_limit
    name, role, session_key, session_id, demo, issued = _token_fields(token, secret)
    issued_at = datetime.fromtimestamp(issued, UTC)
    age = _utc(now) - max(issued_at, _utc(last_active) if last_active is not None else issued_at)
    if age > idle_limit or issued_at > _utc(now):  # a cookie from the future is as good as none
        raise SessionTokenError(f"You were signed out after {idle_limit.total_seconds() / 60:g} minutes "
                                f"without activity: sign in again.")
    if demo:
        if not demo_allowed:
            raise SessionTokenError("The demo sign-in has ended: this store now holds real data. Sign in with "
                                    "your own account.")
        return replace(demo_account(role), session_id=session_id)
    record = _read_users(_files(credentials)).get(name)
    if record is None or record["role"] != role or record["session_key"] != session_key:
        raise SessionTokenError("Your account has been changed or removed since you signed in: sign in again.")
    return Account(name, role, session_key, session_id)


def _token_fields(token: str, secret: bytes) -> tuple[str, str, str, str, bool, int]:
    try:
        fields = _serializer(secret).loads(token)
    except itsdangerous.BadData as error:
        raise SessionTokenError("This sign-in cookie was not signed by this server (it was altered, or the "
                                "signing secret has changed): sign in again.") from error
    if not (isinstance(fields, list) and len(fields) == 6):
        raise SessionTokenError("This sign-in cookie is from an older version of the dashboard: sign in again.")
    return tuple(fields)


# ---- single sign-on -------------------------------------------------------------------------

def sso_mapping(config: Mapping[str, Any]) -> SsoRoleMapping:
    """The role mapping from a deployment's configuration (a ``[hotspots_sso]`` table in
    ``.streamlit/secrets.toml``: ``claim``, ``map``, optional ``default`` and ``name_claim``)."""
    unknown = set(config) - {"claim", "map", "default", "name_claim"}
    if unknown:
        raise AccountError(f"Single sign-on settings: unknown keys {sorted(unknown)}; use claim, map, default, name_claim.")
    claim, mapping = config.get("claim"), config.get("map")
    if not isinstance(claim, str) or not claim or not isinstance(mapping, Mapping) or not mapping:
        raise AccountError("Single sign-on settings need `claim` (the claim holding groups or roles, e.g. "
                           "\"groups\") and `map` (claim value = role, e.g. \"hotspots-police\" = \"police\").")
    for role_name in [*mapping.values(), *([config["default"]] if config.get("default") is not None else [])]:
        roles.role(role_name)
    return SsoRoleMapping(claim, {str(value): role_name for value, role_name in mapping.items()},
                          config.get("default"), config.get("name_claim", "email"))


def account_from_claims(claims: Mapping[str, Any], mapping: SsoRoleMapping) -> Account:
    """The account of a single sign-on identity (``st.user.to_dict()``): the most privileged role
    its claim values map to, or ``mapping.default``; a :class:`SignInError` when there is none."""
    name = claims.get(mapping.name_claim)
    if not isinstance(name, str) or not name.strip():
        raise SignInError(f"Single sign-on gave no {mapping.name_claim!r} for this account: ask your "
                          f"administrator to check the provider's claims.", audit_user=None)
    matched = {mapping.roles[value] for value in _claim_values(claims, mapping.claim) if value in mapping.roles}
    if not matched and mapping.default is None:
        raise SignInError("Your single sign-on account has no role in this dashboard: ask your administrator "
                          "to add you to one of its groups.", audit_user=name.strip())
    return Account(name.strip(), roles.most_privileged(matched) if matched else mapping.default)


# ---- helpers --------------------------------------------------------------------------------

def _files(credentials: Path) -> _Files:
    credentials = Path(credentials)
    if credentials.resolve().is_relative_to(settings.REPO_ROOT):
        raise CredentialsFileError(f"{credentials} is inside the repository: keep the credentials file outside it "
                                   f"(set $HOTSPOTS_CREDENTIALS, default {settings.CREDENTIALS_PATH}).")
    stem = credentials.with_suffix("")
    return _Files(credentials, stem.with_name(stem.name + ".secret"),
                  stem.with_name(stem.name + ".signin-state.json"), stem.with_name(stem.name + ".lock"))


def _read_users(files: _Files) -> dict[str, dict[str, str]]:
    if not files.users.exists():
        return {}
    document = _read_json(files.users, "Restore it from a backup, or move it away and add the users again.")
    if not isinstance(document, dict) or document.get("format") != CREDENTIALS_FORMAT \
            or not isinstance(document.get("users"), dict):
        raise CredentialsFileError(f"{files.users}: not a ward-hotspots credentials file (format "
                                   f"{CREDENTIALS_FORMAT}, with \"users\"). Check $HOTSPOTS_CREDENTIALS.")
    for name, record in document["users"].items():
        if not (isinstance(record, dict) and record.get("role") in roles.ROLES
                and str(record.get("password_hash", "")).startswith("$argon2")
                and isinstance(record.get("session_key"), str)):
            raise CredentialsFileError(f"{files.users}: the record of user {name!r} needs a known role, an argon2 "
                                       f"password_hash and a session_key. Remove the user and add them again.")
    return document["users"]


def _write_users(files: _Files, users: dict[str, dict[str, str]]) -> None:
    write_atomically(files.users, json.dumps({"format": CREDENTIALS_FORMAT, "users": users}, indent=2,
                                             sort_keys=True) + "\n")


def _read_json(path: Path, remedy: str) -> Any:
    try:
        return json.loads(read_private(path))
    except json.JSONDecodeError as error:
        raise CredentialsFileError(f"{path}, line {error.lineno}, column {error.colno}: not valid JSON "
                                   f"({error.msg}). {remedy}") from error


def _existing(users: dict[str, dict[str, str]], name: str, files: _Files) -> dict[str, str]:
    if name not in users:
        raise AccountError(f"No user {name!r} in {files.users}: `hotspots users list` shows who there is.")
    return users[name]


def _normal_name(name: str) -> str:
    return name.strip().lower()


def _valid_name(name: str) -> str:
    name = _normal_name(name)
    if not _NAME_PATTERN.fullmatch(name):
        raise AccountError(f"User name {name!r}: use 1 to 64 letters, digits, '.', '_', '-' or '@', starting "
                           f"with a letter or digit.")
    return name


def _check_password(password: str) -> None:
    if len(password) < settings.MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password is {len(password)} characters long: use at least "
                           f"{settings.MIN_PASSWORD_LENGTH} (settings.MIN_PASSWORD_LENGTH). Nothing was changed.")


def _hasher() -> argon2.PasswordHasher:
    return argon2.PasswordHasher(time_cost=settings.PASSWORD_HASH_TIME_COST,
                                 memory_cost=settings.PASSWORD_HASH_MEMORY_KIB,
                                 parallelism=settings.PASSWORD_HASH_PARALLELISM)


@lru_cache(maxsize=4)
def _dummy_hash(time_cost: int, memory_kib: int, parallelism: int) -> str:
    """A hash of a random password, for unknown names to be checked against (made once per parameters)."""
    return argon2.PasswordHasher(time_cost=time_cost, memory_cost=memory_kib,
                                 parallelism=parallelism).hash(secrets.token_urlsafe(16))


def _password_matches(record: dict[str, str] | None, password: str, *, name: str, files: _Files) -> bool:
    stored = record["password_hash"] if record is not None else _dummy_hash(
        settings.PASSWORD_HASH_TIME_COST, settings.PASSWORD_HASH_MEMORY_KIB, settings.PASSWORD_HASH_PARALLELISM)
    try:
        _hasher().verify(stored, password)
    except argon2.exceptions.VerifyMismatchError:
        return False
    except argon2.exceptions.InvalidHashError as error:
        raise CredentialsFileError(f"{files.users}: the password hash of user {name!r} is damaged. Remove the "
                                   f"user and add them again.") from error
    return record is not None


def _rehash_if_needed(files: _Files, name: str, stored: str, password: str) -> None:
    hasher = _hasher()
    if not hasher.check_needs_rehash(stored):
        return
    new_hash = hasher.hash(password)
    with locked(files.lock):
        users = _read_users(files)
        if name in users and users[name]["password_hash"] == stored:  # unless changed meanwhile
            users[name]["password_hash"] = new_hash
            _write_users(files, users)


def _attempt_key(files: _Files, name: str) -> str:
    """A keyed hash of the name typed: lockouts work for any name without storing what was typed."""
    return hmac.new(signing_secret(files.users), b"sign-in attempts:" + name.encode(), hashlib.sha256).hexdigest()


def _read_state(files: _Files) -> dict[str, dict[str, Any]]:
    if not files.state.exists():
        return {}
    return _read_json(files.state, "Delete it to clear every lockout.")


def _current(entry: dict[str, Any] | None, now: datetime) -> dict[str, Any] | None:
    """A failure record still in force at ``now``: locked, or with a failure within the lockout time."""
    if entry is None:
        return None
    if entry["locked_until"] is not None:
        return entry if datetime.fromisoformat(entry["locked_until"]) > now else None
    recent = now - datetime.fromisoformat(entry["last_failure"]) <= timedelta(minutes=settings.SIGN_IN_LOCKOUT_MINUTES)
    return entry if recent else None


def _locked_until(files: _Files, attempt_key: str, now: datetime) -> datetime | None:
    entry = _current(_read_state(files).get(attempt_key), now)
    return None if entry is None or entry["locked_until"] is None else datetime.fromisoformat(entry["locked_until"])


def _count_failure(files: _Files, attempt_key: str, now: datetime) -> datetime | None:
    """Add a failure under the lock (forgetting those no longer in force); the lock's end if it locks."""
    with locked(files.lock):
        state = {key: entry for key, entry in _read_state(files).items() if _current(entry, now) is not None}
        failures = state.get(attempt_key, {"failures": 0})["failures"] + 1
        until = now + timedelta(minutes=settings.SIGN_IN_LOCKOUT_MINUTES) \
            if failures >= settings.SIGN_IN_MAX_FAILURES else None
        state[attempt_key] = {"failures": failures, "last_failure": now.isoformat(),
                              "locked_until": None if until is None else until.isoformat()}
        write_atomically(files.state, json.dumps(state, indent=1, sort_keys=True) + "\n")
    return until


def _forget_failures(files: _Files, attempt_key: str) -> None:
    if attempt_key not in _read_state(files):
        return
    with locked(files.lock):
        state = _read_state(files)
        state.pop(attempt_key, None)
        write_atomically(files.state, json.dumps(state, indent=1, sort_keys=True) + "\n")


def _locked_message(until: datetime) -> str:
    return (f"After {settings.SIGN_IN_MAX_FAILURES} failed attempts, sign-in with this name is locked until "
            f"{until:%H:%M} UTC.")


def _serializer(secret: bytes) -> itsdangerous.URLSafeSerializer:
    return itsdangerous.URLSafeSerializer(secret, salt=_TOKEN_SALT)


def _utc(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("now must be a timezone-aware datetime (UTC)")
    return now.astimezone(UTC)


def _claim_values(claims: Mapping[str, Any], claim: str) -> list[str]:
    """The text values of a claim: a name as it is (``https://example.org/roles``), else a dotted path."""
    value: Any = claims.get(claim)
    if value is None and "." in claim:
        value = claims
        for part in claim.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
    if isinstance(value, str):
        return [value]
    return [item for item in value if isinstance(item, str)] if isinstance(value, list | tuple) else []
