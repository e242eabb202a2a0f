"""Locality wards: every ward of the chosen districts ranked on weighted measures, how firm that
ranking is, wards side by side, and the decision recorded (CSP managers, police, admins)."""

from pathlib import Path

import streamlit as st

from hotspots import aggregation, geography, locality, locality_view, profile, roles, settings, store
from hotspots._errors import LocalityError
from hotspots.periods import window_label
from ui.common import (area_and_restricted_choice, audited_download, cached_dataset, current_source, download_name,
                       label_text, page_setup, region_label, require, text, viewer)

require("rank_locality_wards")


@st.cache_data(show_spinner="Ranking the wards and testing the weights...", max_entries=64)
def ranked(source: tuple, role_name: str, restricted: bool, lad_codes: tuple, weights: tuple, last_year: int,
           window: int, normalisation: str, top_k: int, compared: tuple | None) -> locality_view.LocalityView | str:
    """The page's display tables as the role sees them (keyed by the role), or why there are none."""
    dataset = cached_dataset(*source)
    try:
        return locality_view.locality_view(dataset, roles.role(role_name), geography.wards(), list(lad_codes),
                                           dict(weights), last_year=last_year, years=window,
                                           normalisation=normalisation, top_k=top_k,
                                           compared=None if compared is None else list(compared),
                                           inventory=store.list_datasets(Path(source[0])),
                                           show_restricted=restricted)
    except LocalityError as unusable:
        return str(unusable)


dataset = page_setup("Locality wards: where offenders and victims live")
source = current_source()
role = viewer()
lad_codes, restricted = area_and_restricted_choice()
with st.sidebar:
    years = aggregation.data_years(dataset)
    if not years:
        st.info("Nothing to rank yet: import events or a list of people known to services on the Data page.")
        st.stop()
    window = st.radio("Period", [1, 2], index=1, key="locality_window", horizontal=True,
                      format_func=lambda n: "One year" if n == 1 else "Two years")
    choices = years[window - 1:] or years[-1:]
    last_year = st.select_slider("Ending with", options=choices, value=choices[-1], key="locality_year",
                                 format_func=lambda y: window_label(y, window))
    normalisation = st.radio("Normalise each measure by", list(locality.NORMALISATIONS), key="normalisation")
    st.caption(locality.NORMALISATIONS[normalisation])
    top_k = int(st.number_input("Wards to choose (top k)", min_value=1, max_value=10, value=settings.LOCALITY_TOP_K,
                                step=1, key="top_k"))

offered = locality_view.measures_offered(dataset, role, show_restricted=restricted)
if role.restricted_layers and not restricted:
    st.caption("The offender-based measures (gang nominals, people known to services) are restricted layers: "
               "turn on \"Show restricted layers\" in the sidebar to rank on them.")
st.caption("Thurrock chose its locality wards from where offenders and victims live, not where offences happen: "
           "weight the measures by home ward as your partnership decides.")
chosen = st.multiselect("Measures", list(offered), default=[k for k in settings.LOCALITY_DEFAULT_MEASURES if k in offered],
                        format_func=offered.get, key="measures")
if not chosen:
    st.info("Choose at least one measure to rank the wards on.")
    st.stop()
st.markdown("**Weights** (any scale: they are shared out to sum to 100%)")
columns = st.columns(min(3, len(chosen)))
weights = tuple((key, float(columns[i % len(columns)].number_input(
    label_text(offered[key]), min_value=0.0, max_value=100.0, value=1.0, step=1.0, key=f"weight_{key}")))
    for i, key in enumerate(chosen))

compared = tuple(st.session_state["compared"]) if "compared" in st.session_state else None  # None: the top two
view = ranked(source, role.name, restricted, lad_codes, weights, last_year, window, normalisation, top_k, compared)
if isinstance(view, str):
    st.error(text(view), icon=":material/error:")
    st.stop()

st.caption(text(view.shares))
st.subheader(f"Ranking: {region_label(lad_codes)}, {view.period}")
for note in view.notes:
    st.info(text(note))
st.markdown(f"**{text(view.summary)}**")
shown = view.ranking.rename(columns={f"{key} value": offered.get(key, key) for key in chosen})
st.dataframe(shown[["rank", "ward_name", "score", *(offered.get(key, key) for key in chosen)]], hide_index=True,
             width="stretch", key="ranking_table",
             column_config={"rank": "Rank", "ward_name": "Ward",
                            "score": st.column_config.NumberColumn("Score", format="%.3f")})
st.markdown("**What makes up each score** (a ward's contributions add up to its score)")
st.altair_chart(locality_view.contribution_chart(view.contributions), width="stretch")

st.subheader(f"How firm the ranking is: {view.samples:,} weightings within ±{view.spread:.0%} of yours")
if view.always_top:
    st.success(f"In the top {view.top_k} whatever the weights (in every weighting tried): "
               + text(", ".join(view.always_top)) + ".")
else:
    st.warning(f"No ward is in the top {view.top_k} under every weighting tried: the choice depends on the weights.")
st.dataframe(view.stability.drop(columns="ward_code").assign(top_k_share=view.stability["top_k_share"] * 100),
             hide_index=True, width="stretch", key="stability_table",
             column_config={"ward_name": "Ward",
                            "top_k_share": st.column_config.NumberColumn(f"In the top {view.top_k}", format="%.1f%%"),
                            "best_rank": "Best rank", "worst_rank": "Worst rank"})
with st.expander("Rank acceptability: how often each ward takes each rank"):
    st.dataframe(view.acceptability.set_index("ward_name").mul(100), width="stretch",
                 column_config={c: st.column_config.NumberColumn(c, format="%.1f%%")
                                for c in view.acceptability.columns[1:]})

st.subheader("Side by side")
names = dict(zip(view.ranking["ward_code"], view.ranking["ward_name"]))
st.multiselect(f"Compare 2 to {settings.LOCALITY_MAX_COMPARED} wards", list(names), format_func=names.get,
               default=view.compared if "compared" not in st.session_state else None,
               max_selections=settings.LOCALITY_MAX_COMPARED, key="compared")
if view.comparison is None:
    st.info("Choose two or more wards to compare them on every measure.")
else:
    st.dataframe(view.comparison, hide_index=True, width="stretch", key="comparison_table")
    for label, trend in view.trends.items():
        st.altair_chart(profile.trend_chart(trend, "count", title=label, height=180), width="stretch")

st.subheader("Record the decision")
with st.form("decision", enter_to_submit=False):  # Ctrl+Enter in the rationale would send it before the button
    rationale = st.text_area("Why these wards (the rationale)", key="rationale",
                             help="Kept with the weights, measures, data and ranking, for next year's review.")
    submitted = st.form_submit_button("Record this decision", type="primary")
saved = store.default_store()
if submitted:
    try:
        record = locality_view.save_decision(saved, view, decided_by=st.session_state["account"].name, role=role,
                                             rationale=rationale)
    except LocalityError as refused:
        st.error(text(refused))
    else:
        st.session_state["record_choice"] = record.decision_id  # the download offers the record just made
        st.success(f"Decision {record.decision_id} recorded and audited.")
past = locality_view.decisions(saved, role, show_restricted=restricted)
if len(past):
    st.markdown("**Decisions recorded**")
    st.dataframe(past, hide_index=True, width="stretch", key="decisions_table",
                 column_config={"decision_id": "Decision", "decided_at": "When (UTC)", "decided_by": "By",
                                "role": "Role", "districts": "Districts", "period": "Period", "chosen": "Top wards",
                                "rationale": "Rationale"})
    picked = st.selectbox("Download a record", past["decision_id"].tolist(), key="record_choice")  # newest first
    pdf, csv = locality_view.decision_files(saved, role, picked, show_restricted=restricted)
    left, right = st.columns(2)
    with left:
        audited_download("Decision record (PDF)", pdf, download_name("locality-decision", str(picked), suffix=".pdf"),
                         mime="application/pdf", what={"decision": int(picked)}, key="record_pdf")
    with right:
        audited_download("Decision record (CSV)", csv, download_name("locality-decision", str(picked)), mime="text/csv",
                         what={"decision": int(picked)}, key="record_csv")
