"""Shared page set-up and cached loaders. The only place (with the pages) that imports streamlit."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd
import streamlit as st

from hotspots import accounts, audit, csv_export, geography, loading, roles, sessions, settings, store
from hotspots._errors import AccountError, SessionTokenError, SignInError, UnknownRegionError
from hotspots.accounts import Account
from hotspots.aggregation import Layer
from hotspots.loading import Dataset
from hotspots.roles import Role
from ui import single_sign_on
from ui.sign_in_page import SESSION_COOKIE, sign_out_token

ALL_REGION = "All of Greater Essex"
DEFAULT_REGION = "Thurrock"
_ASCII_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_AUTOLINK_STARTS = re.compile(r"(\\:|\\@|(?i:www)(?=\\\.))")
_LABEL_MARKUP = re.compile(r"([\\`*_~\[\]<$]|&(?=#?\w+;))")  # what a label's Markdown subset acts on inline
_LABEL_LINK_STARTS = re.compile(r"(:(?=\S)|@|(?i:www)(?=\.))")
_THEMATIC_BREAK = re.compile(r" {0,3}-(?: *-){2,} *")
WORD_JOINER = "\u2060"  # zero width, no break: invisible, but no web address or e-mail address spans it
#: On a tablet: tabs at least 44 px high (Apple's and WCAG 2.5.5's minimum), and the sidebar's
#: collapse button always shown (Streamlit shows it on hover, which a finger never does).
TOUCH_STYLE = (".stTabs [role='tab'] { min-height: 44px; padding-top: 0.5rem; padding-bottom: 0.5rem; } "
               "[data-testid='stSidebarCollapseButton'] { visibility: visible !important; }")


def text(value: object) -> str:
    """``value`` (any string from a user's file) escaped so that Streamlit's Markdown shows it as typed.

    Every Streamlit element that takes a string body or label (st.markdown, st.error, st.caption,
    st.subheader, metric and widget labels...) renders it as Markdown, with images, links, bare
    web addresses, emphasis, code, ``$`` maths and ``:red[...]``/``:material/...:`` directives.
    CommonMark lets a backslash escape any ASCII punctuation character, and escaping all of them
    turns every one of those off at once (raw HTML is then shown as its text). Bare addresses are
    the exception: GitHub-flavoured Markdown finds them in the text left after parsing, escapes
    and all, so an invisible word joiner goes after every ``:`` and ``@`` and after ``www``
    (``http:`` + joiner + ``//`` is no link). Line breaks become spaces, so a value never starts a
    block of its own. Use it for user text only: plain-text places (selectbox options, table
    cells) need no escaping.
    """
    escaped = _ASCII_PUNCTUATION.sub(r"\\\1", " ".join(str(value).splitlines()))
    return _AUTOLINK_STARTS.sub("\\1" + WORD_JOINER, escaped)


def label_text(value: object) -> str:
    """``value`` (a widget label that may hold a user's string) escaped for Streamlit's label
    Markdown with as few backslashes as keep it text, since the browser reads the label, escapes
    and all, as the widget's ``aria-label``: ``text`` would have a screen reader say "Violence with
    injury backslash comma". A label renders bold, italics, strikethrough, code, links, images,
    ``$`` maths, ``:red[...]`` directives and ``:emoji:``/``:material/...:`` shortcodes; Streamlit
    itself escapes the block starters of a label (``#``, ``>``, ``-``/``+``/``*`` and ``1.`` at its
    start). So a backslash goes before ``\\ ` * _ ~ [ ] < $``, an ``&`` starting an entity and a
    label that is a rule (``---``) only, and an invisible word joiner after a ``:`` not followed by
    a space (no shortcode, directive or ``http:`` link) and after ``@`` and ``www``; line breaks
    become spaces. Our own layer labels ("Violence with injury, victim aged 10-24") come out as they are."""
    escaped = _LABEL_MARKUP.sub(r"\\\1", " ".join(str(value).splitlines()))
    if _THEMATIC_BREAK.fullmatch(escaped):
        escaped = escaped.replace("-", "\\-", 1)
    return _LABEL_LINK_STARTS.sub("\\1" + WORD_JOINER, escaped)


def page_setup(title: str) -> Dataset:
    """Title, the synthetic-data label, and the dataset every page reads.

    The SYNTHETIC banner shows when everything in the store is synthetic; a store mixing real and
    synthetic datasets gets a line saying so, and each layer is labelled (see ``layer_banner``).
    """
    source = current_source()
    dataset = cached_dataset(*source)
    st.header(title, divider=False)
    st.html(f"<style>{TOUCH_STYLE}</style>")  # a style alone takes no space on the page
    if dataset.synthetic:
        synthetic_banner("every record is generated, none is real.")
    elif dataset.synthetic_datasets:
        st.caption("This store holds real and synthetic datasets: layers counting synthetic records say "
                   "\"(synthetic)\" or \"(partly synthetic)\".")
    if Path(source[0]) == loading.demo_store():
        st.caption(demo_store_caption(viewer()))
    return dataset


def demo_store_caption(role: Role) -> str:
    """What to do about the demo store being shown: only roles that may import have a Data page to go to."""
    if role.import_and_delete:
        return ("No datasets of your own are loaded yet, so the maps show the synthetic demo. "
                "Import your extracts on the Data page.")
    return ("No real data are loaded yet, so the maps show the synthetic demo. They show real data once the "
            "dashboard's administrator imports them; ask them if you expected real data here.")


def synthetic_banner(what: str) -> None:
    st.warning(f"**SYNTHETIC demo data**: {what}", icon=":material/science:")


def layer_banner(layer: Layer) -> None:
    """In a store mixing real and synthetic data, the SYNTHETIC banner for a layer that counts synthetic records."""
    if layer.synthetic:
        synthetic_banner("this layer's records are generated, none is real." if layer.synthetic == "synthetic"
                         else "some of this layer's records are generated.")


def current_source() -> tuple[str, tuple, roles.DataAccess]:
    """``(store path, store version, the viewer's data access)``: pass it to cached functions so a
    new import refreshes them, and so that a role's session never reads what was cached for a role
    allowed more (the caches are shared by every session)."""
    source = data_store()
    return str(source), store.store_version(source), viewer().data_access


def data_store() -> Path:
    """The user's store when it holds any dataset; otherwise the demo store (imported on first use)."""
    user_store = store.default_store()
    if has_datasets(str(user_store), store.store_version(user_store)):
        return user_store
    demo = loading.demo_store()
    if not has_datasets(str(demo), store.store_version(demo)):
        with st.spinner("Importing the synthetic demo dataset (first run only)..."):
            loading.load_demo_into(demo)
    return demo


@st.cache_data(show_spinner=False, max_entries=8)
def has_datasets(store_path: str, version: tuple) -> bool:
    """Whether a store holds any dataset; ``version`` (file times) makes a new import count at once."""
    return len(store.list_datasets(Path(store_path))) > 0


@st.cache_resource(show_spinner="Loading data...", max_entries=3)
def cached_dataset(store_path: str, version: tuple, access: roles.DataAccess) -> Dataset:
    """The store's tables as far as ``access`` allows (restricted rows are never read for a role
    not allowed them); ``version`` changes when the store does, so a new import is picked up.
    Three entries: the three data accesses of the five roles."""
    return loading.load_dataset(Path(store_path), access)


@st.cache_resource(show_spinner="Preparing ward boundaries...")
def cached_display_wards(lad_codes: tuple[str, ...]) -> gpd.GeoDataFrame:
    return geography.display_wards(list(lad_codes))


def area_choice() -> tuple[str, ...]:
    """Local authorities chosen in the sidebar (none chosen: all of Greater Essex), as LAD codes.

    The first choice can come from the address, e.g. ``?area=thurrock,basildon`` or
    ``?area=greater-essex``, so a map can be shared as a link."""
    names = sorted(geography.LOCAL_AUTHORITIES.values())
    default = [DEFAULT_REGION]
    asked = [part for part in st.query_params.get("area", "").split(",") if part.strip()]
    if asked:
        try:
            codes = set(geography.lad_codes_for_region(asked))
        except UnknownRegionError:
            st.warning(f"The address asks for the area {text(','.join(asked))}, which is neither Greater Essex nor "
                       f"one of its local authorities, so {DEFAULT_REGION} is shown. Choose authorities below.")
        else:
            default = [] if len(codes) == len(names) else [geography.LOCAL_AUTHORITIES[c] for c in sorted(codes)]
    chosen = st.multiselect("Local authorities", names, default=default, key="area",
                            placeholder="All of Greater Essex", help="Choose one or several; none means all.")
    return tuple(sorted(code for code, name in geography.LOCAL_AUTHORITIES.items() if not chosen or name in chosen))


@dataclass(frozen=True)
class PageEntry:
    """A page of the dashboard, and the permission (a :class:`roles.Role` flag) it needs, if any."""

    script: str
    title: str
    icon: str
    url_path: str
    needs: str | None = None


PAGES = (
    PageEntry("pages/ward_map.py", "Ward map", ":material/map:", "ward_map"),
    PageEntry("pages/ward_profile.py", "Ward profile", ":material/location_city:", "ward_profile"),
    PageEntry("pages/forecast.py", "Forecast", ":material/trending_up:", "forecast"),
    PageEntry("pages/ward_summary.py", "Your ward", ":material/person_pin_circle:", "ward_summary"),
    PageEntry("pages/tasking.py", "Op Grip tasking", ":material/local_police:", "tasking", needs="event_rows"),
    PageEntry("pages/locality.py", "Locality wards", ":material/group_work:", "locality", needs="rank_locality_wards"),
    PageEntry("pages/data.py", "Data", ":material/database:", "data", needs="import_and_delete"),
    PageEntry("pages/audit_trail.py", "Audit trail", ":material/policy:", "audit", needs="read_audit"),
)


def pages_for(role: Role) -> list[st.Page]:
    """The navigation for a role: every page, those it may not use hidden from its menu (their
    addresses still resolve, so that ``run_page`` can say they are not available)."""
    shown = menu(role)
    return [st.Page(page.script, title=page.title, icon=page.icon, url_path=page.url_path, default=index == 0,
                    visibility="visible" if page in shown else "hidden")
            for index, page in enumerate(PAGES)]


def menu(role: Role) -> list[PageEntry]:
    """The pages in a role's menu: those it may use."""
    return [page for page in PAGES if _may_use(page, role)]


def run_page(page: st.Page, role: Role) -> None:
    """Run the page the address asks for, or, for a page the role may not use, say so (its
    script never runs)."""
    entry = next((entry for entry in PAGES if entry.url_path == page.url_path), PAGES[0])  # the default: ""
    if _may_use(entry, role):
        page.run()
    else:
        _not_available(entry, role)


def require(permission: str) -> None:
    """First line of a page that needs a permission (a :class:`roles.Role` flag): for a viewer
    without it, the page says it is not available and stops. ``run_page`` already keeps such
    pages from running; this holds too where Streamlit runs a ``pages/`` script directly (its
    first run in a process, and AppTest's ``switch_page``)."""
    role = viewer()
    if not getattr(role, permission):
        _not_available(next(entry for entry in PAGES if entry.needs == permission), role)
        st.stop()


def _not_available(page: PageEntry, role: Role) -> None:
    st.header(page.title, divider=False)
    st.warning(f"This page is not available for your role ({role.name}). The pages you can use are in the menu.",
               icon=":material/block:")


def _may_use(page: PageEntry, role: Role) -> bool:
    return page.needs is None or getattr(role, page.needs)


def signed_in_account() -> Account:
    """The signed-in account, kept in ``st.session_state["account"]``; the page stops with a link
    to the sign-in page when there is none, or it has ended.

    Each run checks our sign-in cookie again (the server's sign-in table: ended, idle, the account
    changed) or, for single sign-on, the idle limit; an account put in the session directly (as
    AppTests do) is taken as it is. Where ``settings.ANONYMOUS_PUBLIC`` allows, a visitor who
    has not signed in is ``public``."""
    now = datetime.now(UTC)
    token = dict(st.context.cookies).get(SESSION_COOKIE)  # dict(): in AppTest, .get answers a mock
    try:
        if token:
            st.session_state["account"] = sessions.resume(token, credentials=accounts.default_credentials_path(),
                                                          audit_store=store.default_store(), now=now)
        elif (claims := sso_claims()) is not None:
            st.session_state["account"] = _sso_account(claims, now)
        elif st.session_state.get("account") is None and accounts.anonymous_account() is not None:
            st.session_state["account"] = accounts.anonymous_account()
    except (SessionTokenError, SignInError, AccountError) as ended:
        st.session_state.pop("account", None)
        _stop_signed_out(str(ended))
    account = st.session_state.get("account")
    if account is None:
        _stop_signed_out("Sign in to use the dashboard.")
    return account


def _stop_signed_out(why: str) -> None:
    st.header("Ward hotspots", divider=False)
    st.info(text(why), icon=":material/lock:")
    st.link_button("Sign in", "/auth/sign-in", type="primary")
    st.stop()


def sso_claims() -> dict | None:
    """The single sign-on identity's claims (``st.user``), where single sign-on is set up and the
    visitor has signed in with it; otherwise None."""
    if not single_sign_on.configured() or not st.user.get("is_logged_in"):
        return None
    return st.user.to_dict()


def sso_settings() -> dict:
    """The role mapping of single sign-on: ``[hotspots_sso]`` of ``.streamlit/secrets.toml``."""
    return st.secrets.get("hotspots_sso", {})


def _sso_account(claims: dict, now: datetime) -> Account:
    """The single sign-on account: its role from the claims, once per session; each run after, the
    idle limit (``st.logout()`` once it has passed)."""
    account = st.session_state.get("account")
    if account is None or not account.session_id:
        try:
            account = accounts.account_from_claims(claims, accounts.sso_mapping(sso_settings()))
        except SignInError as refused:
            audit.record(store.default_store(), user=refused.audit_user, role=None, action="sign-in-failed",
                         what={"method": "single sign-on"})
            raise
        account = sessions.start(account, now=now)
        audit.record(store.default_store(), user=account.name, role=account.role, action="sign-in",
                     what={"method": "single sign-on"})
        return account
    try:
        sessions.keep_alive(account, audit_store=store.default_store(), now=now)
    except SessionTokenError:
        st.logout()
        raise
    return account


def account_sidebar(account: Account) -> None:
    """Who is signed in, as which role, and the way out (a confirmation form of the sign-in routes)."""
    with st.sidebar:
        st.caption(f"Signed in as {text(account.name)} ({account.permissions.label})")
        if account.session_id:  # a plain form posting to the sign-in routes, which clear the cookie
            st.html(f'<form method="post" action="/auth/sign-out" target="_top"><input type="hidden" name="csrf" '
                    f'value="{sign_out_token(account.session_id)}"><button type="submit" class="sign-out" '
                    f'style="min-height:2.75rem;padding:0.4rem 1rem;font-size:1rem;border-radius:0.5rem;'
                    f'border:1px solid #9ca3af;background:#fff;cursor:pointer">Sign out</button></form>')


def viewer() -> Role:
    """The viewer's role: that of the signed-in ``accounts.Account`` in ``st.session_state["account"]``.
    Every page asks this, and the views apply it; no page decides on its own what a role may see.
    With no account in the session (a page run on its own, outside ``dashboard.py``), the least:
    ``public``."""
    account = st.session_state.get("account")
    return roles.role(account.role if account is not None else "public")


def restricted_switch() -> bool:
    """For roles that may see restricted layers (gang nominals): a switch to hide them while
    sharing the screen, kept as the user moves between pages. Other roles get no switch: False."""
    if not viewer().restricted_layers:
        return False
    shown = st.toggle("Show restricted layers", value=st.session_state.get("show_restricted", False),
                      key="restricted", help="Gang nominals and their spread. Turn off before sharing the screen.")
    st.session_state["show_restricted"] = shown
    return shown


def area_and_restricted_choice() -> tuple[tuple[str, ...], bool]:
    """The sidebar's first widgets on the pages that map or rank the chosen areas' wards: the local
    authorities (``area_choice``) and the restricted-layers switch (``restricted_switch``: False
    for roles without it)."""
    with st.sidebar:
        return area_choice(), restricted_switch()


def basemap_switch() -> bool:
    """The one switch for street tiles (the only outside address a page asks for), kept between pages."""
    shown = st.toggle("Street basemap", value=st.session_state.get("show_basemap", settings.BASEMAP), key="basemap",
                      help="Off for closed networks: no map tiles are requested.")
    st.session_state["show_basemap"] = shown
    return shown


def region_label(lad_codes: tuple[str, ...]) -> str:
    """``"Thurrock"``, ``"Basildon and Thurrock"``, or ``"All of Greater Essex"``."""
    if len(lad_codes) == len(geography.LOCAL_AUTHORITIES):
        return ALL_REGION
    names = sorted(geography.LOCAL_AUTHORITIES[c] for c in lad_codes)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def parse_bands(typed: str) -> list[float]:
    """``"0, 2, 5, 10"`` -> ``[0.0, 2.0, 5.0, 10.0]``; stops the page with a message if unreadable."""
    try:
        bands = sorted({float(part) for part in typed.replace(";", ",").split(",") if part.strip()})
    except ValueError:
        st.error(f"Cannot read the bands {text(repr(typed))}: write numbers separated by commas, e.g. 0, 2, 5, 10.")
        st.stop()
    if not bands:
        st.error("Give at least one band upper bound, e.g. 0, 2, 5, 10.")
        st.stop()
    return bands


def show_map(fmap: folium.Map, height: int = 460) -> None:
    """Draw a folium map in an HTML frame the width of the column.

    Pan and zoom stay in the browser (no rerun). A plain frame draws the map about half a second
    sooner on a tablet than streamlit-folium's component, which first loads its own JavaScript
    bundle and handshake (measured with bench/page_load.py). The HTML is ours (folium's output
    with every name, label and value escaped by ``maps.ward_choropleth``), never a user's."""
    st.iframe(fmap.get_root().render(), height=height)


def csv_bytes(table: pd.DataFrame) -> bytes:
    """A table as UTF-8 CSV for download, formula cells made text (``hotspots.csv_export.table_csv``)."""
    return csv_export.table_csv(table)


def record(action: str, what: dict) -> None:
    """Add an entry for the signed-in viewer to the audit trail (in the user's store)."""
    account = st.session_state.get("account")
    audit.record(store.default_store(), user=account.name if account is not None else None,
                 role=viewer().name, action=action, what=what)


def audited_download(label: str, data: bytes, file_name: str, *, what: dict | None = None, **options) -> bool:
    """``st.download_button`` whose every download is in the audit trail (action ``download``,
    naming the file and ``what`` else identifies it: layer, period, ...); ``options`` go to the button."""
    return st.download_button(label, data, file_name=file_name, on_click=record,
                              args=("download", {"file": file_name, **(what or {})}), **options)


def download_name(*parts: str, suffix: str = ".csv") -> str:
    """A file name from labels that may be a user's: letters, digits and ``-`` only, joined by ``_``."""
    slugs = (re.sub(r"[^A-Za-z0-9]+", "-", part).strip("-")[:60] for part in parts)
    return "_".join(slug for slug in slugs if slug) + suffix


def preferred_index(options: list[str], preferred: list[str]) -> int:
    """Position of the first ``preferred`` option present (0 if none): a sensible default layer."""
    return next((options.index(choice) for choice in preferred if choice in options), 0)
