"""The middleware in front of the whole app: no sign-in, nothing of the app.

Every request but the sign-in routes (``/auth/...``, Streamlit's single sign-on callback), the
health check and the favicon needs a sign-in still in use (``sessions.resume`` on our cookie,
which also marks it as used) or, where single sign-on is set up, Streamlit's signed identity
cookie. Without one a page request (GET) is sent to the sign-in page with the address it asked
for, the websocket (``/_stcore/stream``, which carries every page's data) is refused, and any
other request gets 401. Where ``settings.ANONYMOUS_PUBLIC`` allows, everyone passes (the script
gives them ``public``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from hotspots import settings, sessions
from hotspots._errors import SessionTokenError
from ui import sign_in_page, single_sign_on

OPEN_PREFIXES = ("/auth/",)
OPEN_PATHS = ("/oauth2callback", "/_stcore/health", "/favicon.png")
WEBSOCKET_POLICY_VIOLATION = 1008


class SessionGuard:
    """ASGI middleware (so that it sees the websocket too; Starlette's BaseHTTPMiddleware does not)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or is_open(scope["path"]):
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        status = await run_in_threadpool(sign_in_status, dict(connection.cookies))
        if status == "signed-in":
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": WEBSOCKET_POLICY_VIOLATION})  # before accept: a 403
            return
        if scope["method"] in ("GET", "HEAD") and not scope["path"].startswith("/_stcore/"):
            asked = scope["path"] + (f"?{scope['query_string'].decode('latin-1')}" if scope["query_string"] else "")
            query = {"next": asked, **({"notice": "ended"} if status == "ended" else {})}
            response = RedirectResponse(f"{sign_in_page.SIGN_IN_PATH}?{urlencode(query)}", status_code=303)
        else:
            response = PlainTextResponse(f"Sign in first: {sign_in_page.SIGN_IN_PATH}", status_code=401)
        await response(scope, receive, send)


def is_open(path: str) -> bool:
    """Whether a path is served to a signed-out browser (the sign-in page and what it needs)."""
    return path.startswith(OPEN_PREFIXES) or path in OPEN_PATHS


def sign_in_status(cookies: dict[str, str]) -> str:
    """``"signed-in"`` for a sign-in still in use (marked as used now) or where anonymous visitors
    are allowed, ``"ended"`` for a cookie of a sign-in that has ended or expired, else ``"none"``."""
    if settings.ANONYMOUS_PUBLIC:
        return "signed-in"
    token = cookies.get(sign_in_page.SESSION_COOKIE)
    if token:
        try:
            sessions.resume(token, credentials=sign_in_page.credentials(), audit_store=sign_in_page.audit_store(),
                            now=datetime.now(UTC))
        except SessionTokenError:
            return "ended"
        return "signed-in"
    return "signed-in" if single_sign_on.identity_cookie_valid(cookies) else "none"
