"""The dashboard in AppTest, signed in as a role: the account put in the session, as the sign-in does."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from hotspots import accounts

DASHBOARD = str(Path(__file__).resolve().parents[1] / "dashboard.py")
PAGES = Path(__file__).resolve().parents[1] / "pages"


def dashboard(role: str, timeout: float = 180) -> AppTest:
    at = AppTest.from_file(DASHBOARD, default_timeout=timeout)
    at.session_state["account"] = accounts.Account(f"test-{role}", role)
    return at


def page_alone(name: str, role: str, *, timeout: float = 180, **state) -> AppTest:
    """One script of ``pages/`` run on its own, signed in as ``role`` with ``state`` in the session, after its first run."""
    at = AppTest.from_file(str(PAGES / name), default_timeout=timeout)
    at.session_state["account"] = accounts.Account("tester", role)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    return at
