"""Your ward: one ward in plain words, for councillors on a tablet (every role; the role decides
what the numbers are: councillors and the public see small counts suppressed)."""

import streamlit as st

from hotspots import geography, roles, ward_summary_charts, ward_summary_view
from ui.common import (DEFAULT_REGION, cached_dataset, cached_display_wards, current_source, page_setup, text,
                       viewer)
from ui.ward_picker import picked_ward, ward_picker

# For this page only: touch targets of at least 44 px (WCAG 2.5.5) for the two lists, whose boxes
# Streamlit draws 40 px high; captions dark enough for WCAG's 4.5:1 contrast (Streamlit's grey is not).
PAGE_CSS = """<style>
.st-key-summary_lad [role="group"], .st-key-summary_ward [role="group"] { min-height: 48px; }
.st-key-summary_lad input, .st-key-summary_ward input { font-size: 1.05rem; }
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p { color: #4b5563 !important; opacity: 1; }
</style>"""


@st.cache_resource(show_spinner="Counting every ward...", max_entries=6)
def summary_data(source: tuple, role_name: str) -> ward_summary_view.SummaryData:
    """Every ward's counts for the summary, once per store and role (keyed by the role: one role's never serve another)."""
    return ward_summary_view.summary_data(cached_dataset(*source), roles.role(role_name), geography.wards())


@st.cache_data(show_spinner=False, max_entries=256)
def summary_for(source: tuple, role_name: str, ward_code: str) -> ward_summary_view.WardSummaryView:
    return ward_summary_view.ward_summary_view(summary_data(source, role_name), ward_code)


@st.cache_data(show_spinner=False, max_entries=256)
def trend_pictures(source: tuple, role_name: str, ward_code: str) -> list[str]:
    """The trend charts as SVG images, drawn once per ward and role (matplotlib takes 20-30 ms a
    chart); none for a layer without a year."""
    return [ward_summary_charts.trend_image(section.trend, name=section.key, label=section.label)
            if len(section.trend) else "" for section in summary_for(source, role_name, ward_code).layers]


@st.cache_data(show_spinner=False, max_entries=64)
def map_shapes(lad_code: str, ward_code: str) -> dict:
    return ward_summary_charts.ward_shapes(cached_display_wards((lad_code,)), ward_code)


def _area_changed() -> None:
    """A new local authority: its first ward by name."""
    st.session_state["summary_ward"] = first_ward[st.session_state["summary_lad"]]


def _tapped() -> None:
    """A ward tapped on the map becomes the chosen ward (before the page runs again)."""
    picked = picked_ward("summary_map")
    if picked in names:
        st.session_state["summary_ward"] = picked


dataset = page_setup("Your ward")
st.html(PAGE_CSS)
source = current_source()
role = viewer()
wards = geography.wards()[["ward_code", "ward_name", "lad_code", "lad_name"]].sort_values("ward_name")
names = dict(zip(wards["ward_code"], wards["ward_name"]))
area_of = dict(zip(wards["ward_code"], wards["lad_code"]))
area_names = dict(zip(wards["lad_code"], wards["lad_name"]))
default_area = next((code for code, name in area_names.items() if name == DEFAULT_REGION),
                    min(area_names, key=area_names.get))
first_ward = wards.groupby("lad_code")["ward_code"].first().to_dict()

if st.session_state.get("summary_ward") not in names:  # first run: the ward the address names, if any
    asked = st.query_params.get("ward")
    st.session_state["summary_ward"] = asked if asked in names else first_ward[default_area]
    if asked is not None and asked not in names:
        st.warning(f"The address asks for the ward {text(asked)}, which is no {geography.region_name()} ward "
                   f"(2013-2024 codes, E05...), so {text(names[st.session_state['summary_ward']])} is shown. "
                   "Choose a ward below.")
ward_code = st.session_state["summary_ward"]
st.session_state["summary_lad"] = area_of[ward_code]

left, right = st.columns(2)
lad_code = left.selectbox("Local authority", sorted(area_names, key=area_names.get), format_func=area_names.get,
                          key="summary_lad", on_change=_area_changed)
right.selectbox("Ward", [code for code in names if area_of[code] == lad_code], format_func=names.get,
                key="summary_ward")
st.query_params["ward"] = ward_code  # the address names the ward shown, so that it can be shared

ward_picker(map_shapes(lad_code, ward_code), label=f"Map of the wards of {area_names[lad_code]}",
            key="summary_map", on_pick=_tapped)
st.caption("Tap a ward on the map, or choose it from the list. The chosen ward is dark red.")

view = summary_for(source, role.name, ward_code)
st.subheader(f"{text(view.ward_name)}, {text(view.area_name)}", divider=False)
share = f"{st.context.url or '/ward_summary'}?ward={view.ward_code}"
# Inline code, not st.code: a code block makes a first visit load Streamlit's 1.5 MB syntax highlighter.
st.markdown(f"**Share this ward**: send this address, which opens this ward's summary: `{share}`")

for number, (section, picture) in enumerate(zip(view.layers, trend_pictures(source, role.name, ward_code))):
    with st.container(border=True, key=f"summary_layer_{number}"):
        st.markdown(f"#### {text(section.label)}")
        st.markdown(text(section.sentence))
        if section.rate_sentence:
            st.markdown(text(section.rate_sentence))
        if section.forecast_sentence:
            st.markdown(text(section.forecast_sentence))
        if len(section.trend):
            st.html(picture)
            if section.trend["suppressed"].any():
                st.markdown("Dashed lines mark years whose count is too small to show.")
        st.markdown(f"**What it counts**: {text(section.counts)}")
        st.markdown(f"**What it does not**: {text(section.leaves_out)}")
        if section.rule_sentence:
            st.markdown(text(section.rule_sentence))
for note in view.notes:
    st.info(text(note))
if not view.layers:
    st.info("Nothing to describe yet: import police, ambulance or police.uk data on the Data page.")
