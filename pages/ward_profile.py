"""Ward profile: one ward across every layer, its trend over all years, its rank in its borough and region."""

import streamlit as st

from hotspots import aggregation, geography, monthly, profile, roles, views
from hotspots.periods import financial_year_label
from ui.common import cached_dataset, current_source, page_setup, restricted_switch, text, viewer


@st.cache_data(show_spinner="Ranking every ward...", max_entries=64)
def profile_view(source: tuple, ward_code: str, role_name: str, restricted: bool, year: int | None):
    """The ward's display tables as the role sees them (keyed by the role: one role's never serve another);
    ``year`` None: the trend only (the sidebar needs its years before a year can be chosen)."""
    dataset = cached_dataset(*source)
    role = roles.role(role_name)
    layers = views.layers_for(dataset, role, show_restricted=restricted)
    return views.ward_profile_view(dataset, ward_code, role, geography.wards(), layers, last_year=year)


@st.cache_data(show_spinner="Finding emerging hot spots in every layer...", max_entries=32)
def emerging_view(source: tuple, ward_code: str, role_name: str, restricted: bool, year: int, measure: str):
    """The ward's emerging hot spot categories as the role may see them (keyed by the role)."""
    dataset = cached_dataset(*source)
    role = roles.role(role_name)
    layers = views.layers_for(dataset, role, show_restricted=restricted)
    return views.ward_emerging_profile(dataset, ward_code, role, geography.wards(), layers, measure=measure,
                                       last_year=year)


@st.cache_data(show_spinner=False, max_entries=64)
def months_view(source: tuple, ward_code: str, role_name: str, restricted: bool):
    """The ward's monthly counts as the role may see them (keyed by the role)."""
    dataset = cached_dataset(*source)
    role = roles.role(role_name)
    return views.ward_months_view(dataset, ward_code, role, views.layers_for(dataset, role, show_restricted=restricted))


dataset = page_setup("Ward profile")
source = current_source()
wards = geography.wards()[["ward_code", "ward_name", "lad_name"]].sort_values(["lad_name", "ward_name"])
names = dict(zip(wards["ward_code"], wards["ward_name"] + " (" + wards["lad_name"] + ")"))
codes = list(names)
asked = st.query_params.get("ward")
default = codes.index(asked) if asked in names else codes.index(
    wards.loc[wards["lad_name"].eq("Thurrock"), "ward_code"].iloc[0])
if asked is not None and asked not in names and "ward" not in st.session_state:
    st.warning(f"The address asks for the ward {text(asked)}, which is no Greater Essex ward (2013-2024 codes, "
               f"E05...), so {text(names[codes[default]])} is shown. Choose a ward in the sidebar.")

role = viewer()
with st.sidebar:
    ward_code = st.selectbox("Ward", codes, index=default, format_func=names.get, key="ward")
    restricted = restricted_switch() if role.restricted_layers else False
    years = profile_view(source, ward_code, role.name, restricted, None).years
    if not years:
        st.info("No events in the store yet: import some on the Data page.")
        st.stop()
    year = st.select_slider("Rank in financial year", options=years, value=years[-1],
                            format_func=financial_year_label, key="profile_year")
    trend_measure = st.radio("Trend of", ["count", "rate_per_1000"], key="trend_measure",
                             format_func=aggregation.MEASURES.get)
st.query_params["ward"] = ward_code  # the address always names the ward shown, so it can be shared

row = wards.set_index("ward_code").loc[ward_code]
st.subheader(f"{text(row['ward_name'])}, {text(row['lad_name'])}", divider=False)
people = dataset.population[dataset.population["ward_code"].eq(ward_code)].set_index("financial_year")
deprivation = dataset.deprivation.set_index("ward_code")["imd_score"]
left, right = st.columns(2)
left.metric(f"Residents aged 10-24 ({financial_year_label(year)})",
            f"{people['population_10_24'].get(year, float('nan')):,.0f}" if year in people.index else "no data")
if ward_code in deprivation.index:
    rank = int(deprivation.rank(ascending=False, method="min")[ward_code])
    right.metric("Deprivation score", f"{deprivation[ward_code]:.1f}",
                 help=f"Rank {rank} of {len(deprivation)} Greater Essex wards (1 = most deprived).")

view = profile_view(source, ward_code, role.name, restricted, year)
st.markdown(f"**Rank in {financial_year_label(year)}** (1 = highest)")
st.dataframe(view.ranks, hide_index=True, width="stretch",
             column_config={"label": "Layer", "count": st.column_config.Column("Count"),
                            "borough": f"By count in {row['lad_name']}", "region": "By count in Greater Essex",
                            "rate_per_1000": st.column_config.NumberColumn("Rate per 1,000", format="%.1f"),
                            "rate_borough": f"By rate in {row['lad_name']}", "rate_region": "By rate in Greater Essex"})

st.markdown(f"**{aggregation.MEASURES[trend_measure]} over every year with data**")
st.altair_chart(profile.trend_chart(view.trend, trend_measure, title=aggregation.MEASURES[trend_measure]),
                width="stretch")
if view.trend["suppressed"].any():
    st.caption(f"Dashed vertical lines: years with {view.suppressed_text}, left out of the lines.")
if view.partial_years:
    st.caption(text(view.partial_years) + " Their counts are not a whole year's.")

st.markdown("**Count per month, over the months each source covers**")
months = months_view(source, ward_code, role.name, restricted)
if months.months["count"].notna().any():
    st.altair_chart(monthly.months_chart(months.months), width="stretch")
    st.caption("Months a source does not cover are gaps, not zeros. Tap a layer in the legend to show it alone.")
elif len(months.months):
    st.caption("No month can be shown to your role for this ward.")
for note in months.notes:
    st.caption(text(note))
if months.yearly_only:
    st.caption("Counted only by year, so not shown by month: " + "; ".join(text(label) for label in months.yearly_only)
               + ".")

st.markdown(f"**Emerging hot spots** ({aggregation.MEASURES[trend_measure].lower()}, every whole financial year "
            f"up to {financial_year_label(year)})")
emerging = emerging_view(source, ward_code, role.name, restricted, year, trend_measure)
for found in emerging.table.itertuples():
    st.markdown(f"- {text(found.label)}: **{found.category}**. {text(found.sentence)}")
if emerging.withheld:
    st.caption(emerging.withheld)
