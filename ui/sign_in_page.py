"""The sign-in page: plain server-rendered HTML under ``/auth/``, outside Streamlit.

It is served before anything of the app reaches the browser (``ui.session_guard`` sends every
signed-out request here), so it needs no JavaScript and no outside resource: a form, its labels
and inline CSS with large touch targets. Routes:

- ``GET /auth/sign-in?next=/forecast``: the form (and, on a synthetic-only store, the demo offer);
- ``POST /auth/sign-in``: ``accounts.sign_in``; on success a session cookie and a 303 to ``next``;
- ``POST /auth/demo``: a demo account of the chosen role, refused unless the store is synthetic only;
- ``GET``/``POST /auth/sign-out``: a confirmation form, then the sign-in ended and the cookie cleared;
- ``GET /auth/sso``: to the single sign-on provider (Streamlit's ``/auth/login``), when configured.

Every form carries a CSRF token: a random value kept in a SameSite=Strict cookie, signed with
itsdangerous into a hidden field; a POST whose field does not match its cookie is refused.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime
from html import escape
from pathlib import Path

import itsdangerous
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from hotspots import accounts, audit, sessions, settings, store
from hotspots._errors import SessionTokenError, SignInError

PRODUCT = "Ward hotspots"
SESSION_COOKIE = "hotspots_session"
FORM_COOKIE = "hotspots_form"
SIGN_IN_PATH = "/auth/sign-in"
_FORM_SALT = "ward-hotspots sign-in form"
_FORM_MAX_AGE_SECONDS = 3600
_STALE_FORM = "This form has expired or did not come from this page: please try again."

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1b1e23; }
main { max-width: 30rem; margin: 3rem auto; padding: 2rem; background: #fff; border-radius: 0.75rem;
       box-shadow: 0 1px 4px rgba(0,0,0,.15); }
h1 { font-size: 1.6rem; margin: 0 0 0.25rem; } h2 { font-size: 1.2rem; margin: 2rem 0 0.5rem; }
p { line-height: 1.45; }
label { display: block; font-weight: 600; margin: 1rem 0 0.35rem; font-size: 1.05rem; }
input[type=text], input[type=password] { box-sizing: border-box; width: 100%; min-height: 3rem;
       font-size: 1.1rem; padding: 0.5rem 0.75rem; border: 2px solid #6b7280; border-radius: 0.4rem; }
input:focus, button:focus { outline: 3px solid #1d4ed8; outline-offset: 2px; }
button { min-height: 3rem; min-width: 3rem; font-size: 1.1rem; padding: 0.5rem 1.25rem; margin-top: 1.25rem;
       border: 0; border-radius: 0.4rem; background: #1d4ed8; color: #fff; cursor: pointer; }
.demo button { display: block; width: 100%; margin-top: 0.75rem; background: #374151; }
.message { padding: 0.75rem 1rem; border-radius: 0.4rem; background: #fde8e8; border: 2px solid #b91c1c; }
.notice { padding: 0.75rem 1rem; border-radius: 0.4rem; background: #e8f0fe; border: 2px solid #1d4ed8; }
.synthetic { padding: 0.75rem 1rem; border-radius: 0.4rem; background: #fff7e0; border: 2px solid #b45309; }
"""


def routes() -> list[Route]:
    return [Route(SIGN_IN_PATH, sign_in_form, methods=["GET"]),
            Route(SIGN_IN_PATH, sign_in, methods=["POST"]),
            Route("/auth/demo", demo_sign_in, methods=["POST"]),
            Route("/auth/sign-out", sign_out_form, methods=["GET"]),
            Route("/auth/sign-out", sign_out, methods=["POST"]),
            Route("/auth/sso", single_sign_on, methods=["GET"])]


def credentials() -> Path:
    return accounts.default_credentials_path()


def audit_store() -> Path:
    """Where sign-ins are recorded: the user's store (``$HOTSPOTS_STORE``), even while the demo is shown."""
    return store.default_store()


def now() -> datetime:
    return datetime.now(UTC)


def safe_next(value: str | None) -> str:
    """A page of this dashboard to go to after signing in: a path here, never another site (``//x``,
    ``/\\x``), never back to the sign-in routes; otherwise the home page."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\", "/auth/")) \
            or any(ord(c) < 32 or c == "\\" for c in value):
        return "/"
    return value


# ---- routes ---------------------------------------------------------------------------------

async def sign_in_form(request: Request) -> Response:
    notices = {"signed-out": "You have signed out.",
               "ended": f"You were signed out after {settings.SESSION_IDLE_MINUTES:g} minutes without use (or "
                        f"signed out in another tab, or the server restarted): sign in again."}
    return await _page(request, notice=notices.get(request.query_params.get("notice", ""), ""))


async def sign_in(request: Request) -> Response:
    form = await request.form()
    if not _form_token_ok(request, form.get("csrf")):
        return await _page(request, message=_STALE_FORM, status=400)
    name, password = str(form.get("name", "")), str(form.get("password", ""))
    try:
        account = await run_in_threadpool(accounts.sign_in, credentials(), name, password, now=now())
    except SignInError as refused:
        await run_in_threadpool(audit.record, audit_store(), user=refused.audit_user, role=None,
                                action="sign-in-failed", what={"method": "password"})
        return await _page(request, message=str(refused), name=name, status=401)
    return await _signed_in(request, account, str(form.get("next", "")), method="password")


async def demo_sign_in(request: Request) -> Response:
    form = await request.form()
    if not _form_token_ok(request, form.get("csrf")):
        return await _page(request, message=_STALE_FORM, status=400)
    if not await run_in_threadpool(sessions.demo_only, store.default_store()):
        return await _page(request, message="The demo cannot be tried here: this dashboard holds real data. Sign in "
                                            "with your own account.", status=403)
    role = str(form.get("role", ""))
    if role not in accounts.DEMO_ROLES:
        return await _page(request, message="Choose one of the demo roles offered below.", status=400)
    return await _signed_in(request, accounts.demo_account(role), str(form.get("next", "")), method="demo")


async def sign_out_form(request: Request) -> Response:
    nonce, token = _form_token(request)
    body = (f"<h1>{PRODUCT}</h1><p>Sign out of {PRODUCT}? The dashboard closes in every tab of this browser.</p>"
            f'<form method="post" action="/auth/sign-out">{_hidden("csrf", token)}'
            f'<button type="submit">Sign out</button></form><p><a href="/">Back to the dashboard</a></p>')
    return _with_form_cookie(request, HTMLResponse(_document("Sign out", body)), nonce)


def sign_out_token(session_id: str) -> str:
    """The CSRF token of the sidebar's sign-out form: bound to the sign-in it ends (the page knows
    it; another site cannot)."""
    key = accounts.signing_secret(credentials())
    return hmac.new(key, b"sign-out:" + session_id.encode(), "sha256").hexdigest()


async def sign_out(request: Request) -> Response:
    form = await request.form()
    token = request.cookies.get(SESSION_COOKIE)
    session_id = await run_in_threadpool(_session_id, token) if token else None
    from_sidebar = session_id is not None and hmac.compare_digest(
        str(form.get("csrf", "")), await run_in_threadpool(sign_out_token, session_id))
    if not from_sidebar and not _form_token_ok(request, form.get("csrf")):
        return await _page(request, message=_STALE_FORM, status=400)
    if session_id is not None:
        await run_in_threadpool(_end, session_id)
    response = RedirectResponse(f"{SIGN_IN_PATH}?notice=signed-out", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=_https(request), httponly=True, samesite="strict")
    return response


async def single_sign_on(request: Request) -> Response:
    """To the identity provider, through Streamlit's own ``/auth/login`` (as ``st.login()`` would go)."""
    from ui import single_sign_on as sso  # Streamlit's auth machinery, loaded only when asked for

    if not sso.configured():
        return await _page(request, message="Single sign-on is not set up on this server.", status=404)
    return RedirectResponse(sso.login_address(), status_code=303)


# ---- helpers --------------------------------------------------------------------------------

async def _signed_in(request: Request, account: accounts.Account, next_page: str, *, method: str) -> Response:
    moment = now()
    account = sessions.start(account, now=moment)
    token = accounts.issue_token(account, await run_in_threadpool(accounts.signing_secret, credentials()), now=moment)
    await run_in_threadpool(audit.record, audit_store(), user=account.name, role=account.role, action="sign-in",
                            what={"method": method})
    response = RedirectResponse(safe_next(next_page), status_code=303)
    response.set_cookie(SESSION_COOKIE, token, path="/", httponly=True, samesite="strict", secure=_https(request))
    return response


def _session_id(token: str) -> str | None:
    """The sign-in a cookie belongs to; None for a cookie not signed by this server."""
    try:
        return accounts.token_session_id(token, accounts.signing_secret(credentials()))
    except SessionTokenError:
        return None


def _end(session_id: str) -> None:
    """End a sign-in and record it (once: a second sign-out of the same sign-in records nothing)."""
    ended = sessions.end(session_id)
    if ended is not None:
        audit.record(audit_store(), user=ended.name, role=ended.role, action="sign-out", what={})


async def _page(request: Request, *, message: str = "", notice: str = "", name: str = "",
                status: int = 200) -> Response:
    from ui import single_sign_on as sso

    next_page = safe_next(request.query_params.get("next") or (await _form_next(request)))
    demo = await run_in_threadpool(sessions.demo_only, store.default_store())
    nonce, token = _form_token(request)
    parts = [f"<h1>{PRODUCT}</h1><p>Ward-level youth violence: maps, profiles and forecasts. Sign in to continue.</p>"]
    if demo:
        parts.append('<p class="synthetic"><strong>SYNTHETIC demo data</strong>: this dashboard holds generated '
                     "records only, none is real.</p>")
    if notice:
        parts.append(f'<p class="notice" role="status">{escape(notice)}</p>')
    if message:
        parts.append(f'<p class="message" role="alert">{escape(message)}</p>')
    parts.append(f'<form method="post" action="{SIGN_IN_PATH}">{_hidden("csrf", token)}{_hidden("next", next_page)}'
                 f'<label for="name">User name</label>'
                 f'<input type="text" id="name" name="name" autocomplete="username" autocapitalize="none" '
                 f'spellcheck="false" required value="{escape(name)}">'
                 f'<label for="password">Password</label>'
                 f'<input type="password" id="password" name="password" autocomplete="current-password" required>'
                 f'<button type="submit">Sign in</button></form>')
    if sso.configured():
        parts.append(f'<p><a href="/auth/sso">Sign in with your organisation\'s account (single sign-on)</a></p>')
    if demo:
        buttons = "".join(f'<button type="submit" name="role" value="{role}">Try the demo as {role}</button>'
                          for role in accounts.DEMO_ROLES)
        parts.append(f'<h2>No account? Try the demo</h2><p>See what each role sees, on the synthetic data, '
                     f'without a password.</p><form class="demo" method="post" action="/auth/demo">'
                     f'{_hidden("csrf", token)}{_hidden("next", next_page)}{buttons}</form>')
    response = HTMLResponse(_document("Sign in", "".join(parts)), status_code=status)
    return _with_form_cookie(request, response, nonce)


async def _form_next(request: Request) -> str:
    if request.method != "POST":
        return ""
    return str((await request.form()).get("next", ""))


def _document(title: str, body: str) -> str:
    return (f'<!doctype html><html lang="en-GB"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)} · {PRODUCT}</title><style>{_STYLE}</style></head>"
            f"<body><main>{body}</main></body></html>")


def _hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{name}" value="{escape(value)}">'


def _form_token(request: Request) -> tuple[str, str]:
    """The browser's form nonce (a new one if it has none) and its signed copy for the hidden field."""
    nonce = request.cookies.get(FORM_COOKIE) or secrets.token_urlsafe(16)
    return nonce, _form_signer().dumps(nonce)


def _form_token_ok(request: Request, field: object) -> bool:
    nonce = request.cookies.get(FORM_COOKIE)
    if not nonce or not isinstance(field, str):
        return False
    try:
        signed = _form_signer().loads(field, max_age=_FORM_MAX_AGE_SECONDS)
    except itsdangerous.BadData:
        return False
    return isinstance(signed, str) and hmac.compare_digest(signed, nonce)


def _with_form_cookie(request: Request, response: Response, nonce: str) -> Response:
    response.set_cookie(FORM_COOKIE, nonce, path="/auth/", httponly=True, samesite="strict", secure=_https(request))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = ("default-src 'none'; style-src 'unsafe-inline'; "
                                                   "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
    return response


def _form_signer() -> itsdangerous.URLSafeTimedSerializer:
    return itsdangerous.URLSafeTimedSerializer(accounts.signing_secret(credentials()), salt=_FORM_SALT)


def _https(request: Request) -> bool:
    return request.url.scheme == "https"
