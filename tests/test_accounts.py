"""Roles, the credentials file, sign-in and lockout, sign-in cookies, single sign-on, `hotspots users`."""

from __future__ import annotations

import base64
import io
import json
import logging
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import argon2
import pytest

from hotspots import accounts, audit, cli, roles, settings
from hotspots._errors import AccountError, CredentialsFileError, SessionTokenError, SignInError

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
ALICE_PASSWORD = "alice-tr0ub4dor-horse"
BOB_PASSWORD = "bob correct battery staple"


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at 8 MiB and one pass: the same code, a fraction of the time on two shared cores."""
    monkeypatch.setattr(settings, "PASSWORD_HASH_TIME_COST", 1)
    monkeypatch.setattr(settings, "PASSWORD_HASH_MEMORY_KIB", 8192)
    monkeypatch.setattr(settings, "PASSWORD_HASH_PARALLELISM", 1)


@pytest.fixture
def credentials(tmp_path: Path) -> Path:
    """A credentials file with alice (police) and bob (councillor)."""
    path = tmp_path / "config" / "credentials.json"
    accounts.add_user(path, "alice", "police", ALICE_PASSWORD)
    accounts.add_user(path, "Bob", "councillor", BOB_PASSWORD)
    return path


def _fail(credentials: Path, name: str, times: int, now: datetime = NOW) -> list[str]:
    messages = []
    for _ in range(times):
        with pytest.raises(SignInError) as refused:
            accounts.sign_in(credentials, name, "not the password", now=now)
        messages.append(str(refused.value))
    return messages


# ---- roles ----------------------------------------------------------------------------------

def test_the_roles_table_says_what_design_md_says() -> None:
    table = {name: (role.event_rows, role.restricted_layers, role.restricted_as_suppressed_counts,
                    role.small_counts_unsuppressed, role.import_and_delete, role.manage_users, role.read_audit)
             for name, role in roles.ROLES.items()}
    assert table == {"admin": (True,) * 7,
                     "police": (True, True, True, True, False, False, False),
                     "partner": (False, False, True, True, False, False, False),
                     "councillor": (False,) * 7,
                     "public": (False,) * 7}
    assert list(roles.ROLES) == ["admin", "police", "partner", "councillor", "public"]  # most privileged first
    with pytest.raises(AccountError, match="Unknown role 'inspector': use one of admin, police, partner"):
        roles.role("inspector")


# ---- the credentials file -------------------------------------------------------------------

def test_the_credentials_file_holds_roles_and_argon2_hashes_only_owner_readable(credentials: Path) -> None:
    document = json.loads(credentials.read_text())
    assert sorted(document["users"]) == ["alice", "bob"]  # names are case-insensitive, kept lower-case
    assert {record["role"] for record in document["users"].values()} == {"police", "councillor"}
    assert all(record["password_hash"].startswith("$argon2id$") for record in document["users"].values())
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert stat.S_IMODE(credentials.parent.stat().st_mode) == 0o700
    assert [a.name for a in accounts.list_accounts(credentials)] == ["alice", "bob"]
    assert not list(credentials.parent.glob("*.partial"))  # written by rename, no leftovers


def test_account_changes_are_refused_clearly_and_change_nothing(credentials: Path) -> None:
    before = credentials.read_bytes()
    with pytest.raises(AccountError, match="User 'alice' already exists in .*credentials.json"):
        accounts.add_user(credentials, "ALICE", "partner", "another long password")
    with pytest.raises(AccountError, match="Unknown role 'boss'"):
        accounts.add_user(credentials, "carol", "boss", "another long password")
    with pytest.raises(AccountError, match="Unknown role 'boss'"):
        accounts.set_role(credentials, "alice", "boss")
    with pytest.raises(AccountError, match="password is 5 characters long: use at least 12"):
        accounts.add_user(credentials, "carol", "public", "short")
    with pytest.raises(AccountError, match="User name 'carol smith': use 1 to 64 letters"):
        accounts.add_user(credentials, "carol smith", "public", "another long password")
    for change in (lambda: accounts.set_role(credentials, "dave", "public"),
                   lambda: accounts.remove_user(credentials, "dave")):
        with pytest.raises(AccountError, match="No user 'dave' in .*`hotspots users list` shows who there is"):
            change()
    assert credentials.read_bytes() == before


def test_a_credentials_file_others_may_read_is_refused(credentials: Path) -> None:
    credentials.chmod(0o644)
    with pytest.raises(CredentialsFileError, match=r"other users may read or change it \(mode 0644\).*chmod 600"):
        accounts.sign_in(credentials, "alice", ALICE_PASSWORD, now=NOW)


def test_a_damaged_credentials_file_is_named_with_line_and_column(credentials: Path) -> None:
    credentials.write_text('{"format": 1,\n "users": {"alice": }}\n')
    with pytest.raises(CredentialsFileError, match=r"credentials.json, line 2, column 21: not valid JSON"):
        accounts.list_accounts(credentials)


def test_a_credentials_file_inside_the_repository_is_refused() -> None:
    with pytest.raises(CredentialsFileError, match="inside the repository"):
        accounts.add_user(ROOT / "credentials.json", "alice", "police", ALICE_PASSWORD)
    assert not (ROOT / "credentials.json").exists()


def test_the_default_path_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("HOTSPOTS_CREDENTIALS", raising=False)
    assert accounts.default_credentials_path() == settings.CREDENTIALS_PATH
    monkeypatch.setenv("HOTSPOTS_CREDENTIALS", str(tmp_path / "c.json"))
    assert accounts.default_credentials_path() == tmp_path / "c.json"


# ---- signing in -----------------------------------------------------------------------------

def test_a_right_password_signs_in(credentials: Path) -> None:
    account = accounts.sign_in(credentials, " Alice ", ALICE_PASSWORD, now=NOW)
    assert (account.name, account.role, account.permissions.restricted_layers) == ("alice", "police", True)


def test_a_wrong_password_and_an_unknown_name_read_the_same_and_both_check_a_hash(
        credentials: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    verified = []
    real_verify = argon2.PasswordHasher.verify
    monkeypatch.setattr(argon2.PasswordHasher, "verify",
                        lambda self, stored, password: verified.append(stored) or real_verify(self, stored, password))
    with pytest.raises(SignInError) as wrong_password:
        accounts.sign_in(credentials, "alice", "not alice's password", now=NOW)
    with pytest.raises(SignInError) as unknown_name:
        accounts.sign_in(credentials, "mallory", "not alice's password", now=NOW)
    assert str(wrong_password.value) == str(unknown_name.value) == "Sign-in failed: the name or the password is wrong."
    assert len(verified) == 2 and verified[0] != verified[1]  # the unknown name against a dummy hash
    assert (wrong_password.value.audit_user, unknown_name.value.audit_user) == ("alice", None)


def test_five_failures_lock_a_name_for_fifteen_minutes(credentials: Path) -> None:
    messages = _fail(credentials, "alice", 5)
    assert all(m.startswith("Sign-in failed: the name or the password is wrong.") for m in messages)
    assert "locked" not in messages[3] and "locked until 09:45 UTC" in messages[4]
    with pytest.raises(SignInError, match="After 5 failed attempts, sign-in with this name is locked until 09:45"):
        accounts.sign_in(credentials, "alice", ALICE_PASSWORD, now=NOW + timedelta(minutes=14, seconds=59))
    assert accounts.sign_in(credentials, "alice", ALICE_PASSWORD, now=NOW + timedelta(minutes=15, seconds=1)).role == "police"
    assert accounts.sign_in(credentials, "bob", BOB_PASSWORD, now=NOW).role == "councillor"  # others unaffected


def test_an_unknown_name_locks_just_like_a_known_one(credentials: Path) -> None:
    assert _fail(credentials, "mallory", 6) == [m.replace("alice", "mallory") for m in _fail(credentials, "alice", 6)]


def test_failures_are_forgotten_after_a_success_or_after_the_lockout_time(credentials: Path) -> None:
    _fail(credentials, "alice", 4)
    accounts.sign_in(credentials, "alice", ALICE_PASSWORD, now=NOW)
    _fail(credentials, "alice", 4)
    later = NOW + timedelta(minutes=16)
    assert "locked" not in _fail(credentials, "alice", 4, now=later)[-1]


def test_a_lockout_holds_for_another_server_process(credentials: Path, tmp_path: Path) -> None:
    _fail(credentials, "alice", 5)
    script = ("import sys; from datetime import datetime, UTC; from hotspots import accounts\n"
              "try:\n    accounts.sign_in(sys.argv[1], 'alice', sys.argv[2], now=datetime(2024, 5, 1, 9, 40, tzinfo=UTC))\n"
              "except accounts.SignInError as error:\n    print(error)\n")
    result = subprocess.run([sys.executable, "-c", script, str(credentials), ALICE_PASSWORD], capture_output=True,
                            text=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")}, check=True, timeout=60)
    assert "locked until 09:45 UTC" in result.stdout
    state = credentials.with_name("credentials.signin-state.json")
    assert stat.S_IMODE(state.stat().st_mode) == 0o600 and "alice" not in state.read_text()


def test_a_hash_made_with_old_parameters_is_replaced_at_sign_in(credentials: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    old_hash = json.loads(credentials.read_text())["users"]["alice"]["password_hash"]
    assert "m=8192,t=1,p=1" in old_hash
    monkeypatch.setattr(settings, "PASSWORD_HASH_TIME_COST", 2)
    accounts.sign_in(credentials, "alice", ALICE_PASSWORD, now=NOW)
    new_hash = json.loads(credentials.read_text())["users"]["alice"]["password_hash"]
    assert "m=8192,t=2,p=1" in new_hash
    assert accounts.sign_in(credentials, "alice", ALICE_PASSWORD, now=NOW).name == "alice"
    assert json.loads(credentials.read_text())["users"]["alice"]["password_hash"] == new_hash  # not again


def test_no_password_is_kept_anywhere_after_sign_ins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    credentials, store = tmp_path / "config" / "credentials.json", tmp_path / "store"
    for name, role, password in (("alice", "police", ALICE_PASSWORD), ("bob", "councillor", BOB_PASSWORD)):
        monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
        assert cli.main(["users", "add", name, "--role", role, "--password-stdin", "--credentials", str(credentials),
                         "--store", str(store)]) == 0
    secret = accounts.signing_secret(credentials)
    alice = accounts.sign_in(credentials, "alice", ALICE_PASSWORD, now=NOW)
    audit.record(store, user=alice.name, role=alice.role, action="sign-in", now=NOW)
    accounts.verify_token(accounts.issue_token(alice, secret, now=NOW), secret, credentials=credentials, now=NOW)
    for name, password in (("alice", BOB_PASSWORD), (ALICE_PASSWORD, ALICE_PASSWORD), (BOB_PASSWORD, "x")):
        with pytest.raises(SignInError) as refused:  # a password typed into the name box too
            accounts.sign_in(credentials, name, password, now=NOW)
        audit.record(store, user=refused.value.audit_user, role=None, action="sign-in-failed", now=NOW)
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert {"credentials.json", "credentials.secret", "credentials.signin-state.json", "audit.jsonl"} <= {
        path.name for path in files}
    seen = [path.read_bytes() for path in files] + [capsys.readouterr().out.encode(), caplog.text.encode()]
    for password in (ALICE_PASSWORD, BOB_PASSWORD):
        assert not [text for text in seen if password.encode() in text or password.lower().encode() in text]


# ---- sign-in cookies ------------------------------------------------------------------------

def test_the_signing_secret_is_made_once_beside_the_credentials(credentials: Path) -> None:
    secret = accounts.signing_secret(credentials)
    path = credentials.with_name("credentials.secret")
    assert len(secret) == 32 and accounts.signing_secret(credentials) == secret
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.write_text("not hex\n")
    with pytest.raises(CredentialsFileError, match="not a signing secret.*Delete it"):
        accounts.signing_secret(credentials)


def test_a_cookie_keeps_a_user_signed_in_until_thirty_idle_minutes(credentials: Path) -> None:
    secret = accounts.signing_secret(credentials)
    alice = accounts.sign_in(credentials, "alice", ALICE_PASSWORD, now=NOW)
    token = accounts.issue_token(alice, secret, now=NOW)
    assert accounts.verify_token(token, secret, credentials=credentials, now=NOW + timedelta(minutes=29)) == alice
    renewed = accounts.issue_token(alice, secret, now=NOW + timedelta(minutes=29))
    assert accounts.verify_token(renewed, secret, credentials=credentials, now=NOW + timedelta(minutes=58)) == alice
    with pytest.raises(SessionTokenError, match="signed out after 30 minutes without activity"):
        accounts.verify_token(token, secret, credentials=credentials, now=NOW + timedelta(minutes=30, seconds=1))
    with pytest.raises(SessionTokenError, match="signed out after 5 minutes"):
        accounts.verify_token(token, secret, credentials=credentials, now=NOW + timedelta(minutes=6),
                              idle_limit=timedelta(minutes=5))
    with pytest.raises(SessionTokenError, match="without activity"):  # dated in the future
        accounts.verify_token(token, secret, credentials=credentials, now=NOW - timedelta(minutes=1))


def test_an_altered_cookie_or_another_secret_is_refused(credentials: Path) -> None:
    secret = accounts.signing_secret(credentials)
    bob = accounts.sign_in(credentials, "bob", BOB_PASSWORD, now=NOW)
    token = accounts.issue_token(bob, secret, now=NOW)
    payload, signature = token.split(".")
    police_payload = json.dumps(["bob", "police", bob.session_key, int(NOW.timestamp())], separators=(",", ":"))
    forged = base64.urlsafe_b64encode(police_payload.encode()).decode().rstrip("=") + "." + signature
    for bad in (forged, token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "garbage",
                accounts.issue_token(bob, b"\x01" * 32, now=NOW)):
        with pytest.raises(SessionTokenError, match="not signed by this server"):
            accounts.verify_token(bad, secret, credentials=credentials, now=NOW)


def test_a_cookie_ends_when_the_role_changes_or_the_user_is_removed(credentials: Path) -> None:
    secret = accounts.signing_secret(credentials)
    bob = accounts.sign_in(credentials, "bob", BOB_PASSWORD, now=NOW)
    token = accounts.issue_token(bob, secret, now=NOW)
    accounts.set_role(credentials, "bob", "police")
    with pytest.raises(SessionTokenError, match="changed or removed since you signed in"):
        accounts.verify_token(token, secret, credentials=credentials, now=NOW)
    accounts.set_role(credentials, "bob", "councillor")  # back to the old role: the old cookie still ends
    with pytest.raises(SessionTokenError, match="changed or removed"):
        accounts.verify_token(token, secret, credentials=credentials, now=NOW)
    token = accounts.issue_token(accounts.sign_in(credentials, "bob", BOB_PASSWORD, now=NOW), secret, now=NOW)
    accounts.remove_user(credentials, "bob")
    accounts.add_user(credentials, "bob", "councillor", BOB_PASSWORD)
    with pytest.raises(SessionTokenError, match="changed or removed"):
        accounts.verify_token(token, secret, credentials=credentials, now=NOW)


def test_cookies_are_for_password_accounts_only(credentials: Path) -> None:
    with pytest.raises(ValueError, match="no credentials record"):
        accounts.issue_token(accounts.Account("sso@example.org", "partner"), b"\x01" * 32, now=NOW)


def test_anonymous_visitors_get_public_only_where_the_setting_allows(monkeypatch: pytest.MonkeyPatch) -> None:
    assert accounts.anonymous_account() is None
    monkeypatch.setattr(settings, "ANONYMOUS_PUBLIC", True)
    assert accounts.anonymous_account().role == "public"


# ---- single sign-on -------------------------------------------------------------------------

MAPPING = accounts.sso_mapping({"claim": "groups", "map": {"hotspots-police": "police", "hotspots-csp": "partner",
                                                            "hotspots-members": "councillor"}})


@pytest.mark.parametrize(("groups", "role"), [
    (["hotspots-csp"], "partner"),
    (["staff", "hotspots-members", "hotspots-police", "hotspots-csp"], "police"),  # the most privileged
    ("hotspots-members", "councillor"),  # a single value as text
])
def test_sign_on_claims_map_onto_our_role(groups, role) -> None:
    account = accounts.account_from_claims({"email": "pat@essex.example", "groups": groups}, MAPPING)
    assert (account.name, account.role) == ("pat@essex.example", role)


@pytest.mark.parametrize("claims", [{"email": "pat@essex.example", "groups": ["staff"]},
                                    {"email": "pat@essex.example"}, {"email": "pat@essex.example", "groups": 7}])
def test_sign_on_claims_with_no_role_are_refused(claims) -> None:
    with pytest.raises(SignInError, match="no role in this dashboard") as refused:
        accounts.account_from_claims(claims, MAPPING)
    assert refused.value.audit_user == "pat@essex.example"


def test_sign_on_default_nested_and_namespaced_claims() -> None:
    with_default = accounts.sso_mapping({"claim": "groups", "map": {"hotspots-police": "police"}, "default": "public"})
    assert accounts.account_from_claims({"email": "a@x.example", "groups": []}, with_default).role == "public"
    keycloak = accounts.sso_mapping({"claim": "realm_access.roles", "map": {"analyst": "police"},
                                     "name_claim": "preferred_username"})
    claims = {"preferred_username": "kim", "realm_access": {"roles": ["offline_access", "analyst"]}}
    assert accounts.account_from_claims(claims, keycloak) == accounts.Account("kim", "police")
    auth0 = accounts.sso_mapping({"claim": "https://hotspots.example/roles", "map": {"admin": "admin"}})
    assert accounts.account_from_claims({"email": "a@x.example", "https://hotspots.example/roles": ["admin"]},
                                        auth0).role == "admin"
    with pytest.raises(SignInError, match="gave no 'email'"):
        accounts.account_from_claims({"groups": ["hotspots-police"]}, MAPPING)


@pytest.mark.parametrize(("config", "message"), [
    ({"claim": "groups", "map": {"g": "superuser"}}, "Unknown role 'superuser'"),
    ({"claim": "groups", "map": {"g": "police"}, "default": "root"}, "Unknown role 'root'"),
    ({"map": {"g": "police"}}, "need `claim`"),
    ({"claim": "groups", "map": {}}, "need `claim`"),
    ({"claim": "groups", "map": {"g": "police"}, "defualt": "public"}, r"unknown keys \['defualt'\]"),
])
def test_bad_sign_on_settings_are_refused(config, message) -> None:
    with pytest.raises(AccountError, match=message):
        accounts.sso_mapping(config)


# ---- hotspots users ------------------------------------------------------------------------

def test_the_users_commands_change_accounts_and_record_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys) -> None:
    credentials, store = tmp_path / "config" / "credentials.json", tmp_path / "store"
    where = ["--credentials", str(credentials), "--store", str(store)]
    monkeypatch.setattr(sys, "stdin", io.StringIO(ALICE_PASSWORD + "\n"))
    assert cli.main(["users", "add", "alice", "--role", "partner", "--password-stdin", *where]) == 0
    assert cli.main(["users", "set-role", "Alice", "police", *where]) == 0
    assert cli.main(["users", "list", *where]) == 0
    assert "alice  police" in capsys.readouterr().out
    assert accounts.sign_in(credentials, "alice", ALICE_PASSWORD, now=NOW).role == "police"
    assert cli.main(["users", "remove", "alice", *where]) == 0
    assert cli.main(["users", "remove", "alice", *where]) == 2
    assert "No user 'alice'" in capsys.readouterr().err
    trail = audit.entries(store)
    assert [(entry.action, entry.role) for entry in trail] == [
        ("user-added", "admin"), ("role-changed", "admin"), ("user-removed", "admin")]
    assert trail[1].what == {"name": "alice", "from": "partner", "to": "police", "via": "command line"}
    assert audit.verify(store).ok


def test_users_add_asks_twice_at_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    credentials = tmp_path / "credentials.json"
    where = ["--credentials", str(credentials), "--store", str(tmp_path / "store")]
    answers = iter([ALICE_PASSWORD, ALICE_PASSWORD + "!", BOB_PASSWORD, BOB_PASSWORD])
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(cli.getpass, "getpass", lambda prompt: next(answers))
    assert cli.main(["users", "add", "alice", "--role", "police", *where]) == 2
    assert "two passwords differ: nothing was changed" in capsys.readouterr().err
    assert not credentials.exists()
    assert cli.main(["users", "add", "bob", "--role", "public", *where]) == 0
    assert accounts.sign_in(credentials, "bob", BOB_PASSWORD, now=NOW).role == "public"


def test_users_add_needs_a_terminal_or_a_pipe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    where = ["--credentials", str(tmp_path / "credentials.json"), "--store", str(tmp_path / "store")]
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert cli.main(["users", "add", "alice", "--role", "police", *where]) == 2
    assert "pipe it in with --password-stdin" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["users", "add", "alice", "--role", "sergeant", *where])
    assert "invalid choice: 'sergeant'" in capsys.readouterr().err
    assert not (tmp_path / "credentials.json").exists()
