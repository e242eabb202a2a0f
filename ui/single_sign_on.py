"""Single sign-on through Streamlit's OIDC support (``st.login``), as seen by the sign-in routes.

Configured by ``[auth]`` in ``.streamlit/secrets.toml`` (see docs/access.md). The sign-in page
links to the provider through Streamlit's own ``/auth/login`` route, as ``st.login()`` does; after
the provider's callback Streamlit holds the identity in its signed ``_streamlit_user`` cookie,
which the middleware accepts in place of ours. The role is decided in the script
(``ui.common.signed_in_account``), from the claims, by ``accounts.account_from_claims``.
These use Streamlit's auth helpers (``streamlit.auth_util`` and the cookie reader of its
websocket), checked against Streamlit 1.67.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from urllib.parse import urlencode

from streamlit import auth_util
from streamlit.web.server.server_util import AUTH_COOKIE_NAME
from streamlit.web.server.starlette.starlette_websocket import _get_signed_cookie_with_chunks

DEFAULT_PROVIDER = "default"  # st.login()'s name for the provider set in [auth] itself


def configured() -> bool:
    """Whether ``[auth]`` gives Streamlit an identity provider to send users to."""
    section = auth_util.get_secrets_auth_section()
    return bool(section and section.get("redirect_uri"))


def login_address() -> str:
    """Streamlit's address that sends the browser to the provider (what ``st.login()`` opens)."""
    return "/auth/login?" + urlencode({"provider": auth_util.encode_provider_token(DEFAULT_PROVIDER)})


def identity_cookie_valid(cookies: Mapping[str, str]) -> bool:
    """Whether the request carries a signed-in identity that Streamlit signed (with ``[auth]``'s
    ``cookie_secret``); the script still maps it to a role, or refuses it."""
    if not configured() or AUTH_COOKIE_NAME not in cookies:
        return False
    decoded = _get_signed_cookie_with_chunks(dict(cookies), AUTH_COOKIE_NAME)
    if decoded is None:
        return False
    try:
        return bool(json.loads(decoded.decode("utf-8")).get("is_logged_in"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return False  # a cookie Streamlit signed but we cannot read: treated as none, Streamlit logs it
