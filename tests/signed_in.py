"""The dashboard in AppTest, signed in as a role: the account put in the session, as the sign-in does."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from hotspots import accounts

DASHBOARD = str(Path(__file__).resolve().parents[1] / "dashboard.py")


def dashboard(role: str, timeout: float = 180) -> AppTest:
    at = AppTest.from_file(DASHBOARD, default_timeout=timeout)
    at.session_state["account"] = accounts.Account(f"test-{role}", role)
    return at
