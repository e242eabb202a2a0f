"""Shared page set-up and cached loaders. The only place (with the pages) that imports streamlit."""

from __future__ import annotations

import re
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd
import streamlit as st

from hotspots import geography, loading, roles, settings, store
from hotspots._errors import UnknownRegionError
from hotspots.aggregation import Layer
from hotspots.loading import Dataset
from hotspots.roles import Role

ALL_REGION = "All of Greater Essex"
DEFAULT_REGION = "Thurrock"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_ASCII_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_AUTOLINK_STARTS = re.compile(r"(\\:|\\@|(?i:www)(?=\\\.))")
WORD_JOINER = "\u2060"  # zero width, no break: invisible, but no web address or e-mail address spans it


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


def page_setup(title: str) -> Dataset:
    """Title, the synthetic-data label, and the dataset every page reads.

    The SYNTHETIC banner shows when everything in the store is synthetic; a store mixing real and
    synthetic datasets gets a line saying so, and each layer is labelled (see ``layer_banner``).
    """
    source = current_source()
    dataset = cached_dataset(*source)
    st.header(title, divider=False)
    if dataset.synthetic:
        synthetic_banner("every record is generated, none is real.")
    elif dataset.synthetic_datasets:
        st.caption("This store holds real and synthetic datasets: layers counting synthetic records say "
                   "\"(synthetic)\" or \"(partly synthetic)\".")
    if Path(source[0]) == loading.demo_store():
        st.caption("No datasets of your own are loaded yet, so the maps show the synthetic demo. "
                   "Import your extracts on the Data page.")
    return dataset


def synthetic_banner(what: str) -> None:
    st.warning(f"**SYNTHETIC demo data**: {what}", icon=":material/science:")


def layer_banner(layer: Layer) -> None:
    """In a store mixing real and synthetic data, the SYNTHETIC banner for a layer that counts synthetic records."""
    if layer.synthetic:
        synthetic_banner("this layer's records are generated, none is real." if layer.synthetic == "synthetic"
                         else "some of this layer's records are generated.")


def current_source() -> tuple[str, tuple]:
    """``(store path, store version)``: pass it to cached functions so a new import refreshes them."""
    source = data_store()
    return str(source), store.store_version(source)


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


@st.cache_resource(show_spinner="Loading data...", max_entries=2)
def cached_dataset(store_path: str, version: tuple) -> Dataset:
    """The store's tables; ``version`` changes when the store does, so a new import is picked up."""
    return loading.load_dataset(Path(store_path))


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


def viewer() -> Role:
    """The viewer's role: that of the signed-in ``accounts.Account`` in ``st.session_state["account"]``.
    Every page asks this, and the views apply it; no page decides on its own what a role may see.
    With no account in the session (before sign-in is in place) the viewer has police's view, as
    every visitor had until now."""
    account = st.session_state.get("account")
    return roles.role(account.role if account is not None else "police")


def restricted_switch() -> bool:
    """The one switch for restricted layers (gang nominals), kept as the user moves between pages."""
    shown = st.toggle("Police users: show restricted layers", value=st.session_state.get("show_restricted", False),
                      key="restricted", help="Gang nominals and their spread. Turn off before sharing the screen.")
    st.session_state["show_restricted"] = shown
    return shown


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
    """A table as UTF-8 CSV for download, any text cell that a spreadsheet would run as a formula
    (starting ``=``, ``+``, ``-``, ``@``, tab or carriage return: the OWASP list) made text with a leading ``'``."""
    text_columns = table.select_dtypes(include=["object", "string"]).columns
    safe = table.assign(**{column: table[column].map(_spreadsheet_text) for column in text_columns})
    return safe.to_csv(index=False).encode("utf-8")


def _spreadsheet_text(value: object) -> object:
    return "'" + value if isinstance(value, str) and value[:1] in _FORMULA_STARTS else value


def download_name(*parts: str, suffix: str = ".csv") -> str:
    """A file name from labels that may be a user's: letters, digits and ``-`` only, joined by ``_``."""
    slugs = (re.sub(r"[^A-Za-z0-9]+", "-", part).strip("-")[:60] for part in parts)
    return "_".join(slug for slug in slugs if slug) + suffix


def preferred_index(options: list[str], preferred: list[str]) -> int:
    """Position of the first ``preferred`` option present (0 if none): a sensible default layer."""
    return next((options.index(choice) for choice in preferred if choice in options), 0)
