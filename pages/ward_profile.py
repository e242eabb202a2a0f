"""Ward profile: one ward across every layer, its trend over all years, its rank in its borough and region."""

import streamlit as st

from hotspots import aggregation, geography, profile
from hotspots.periods import financial_year_label
from ui.common import cached_dataset, current_source, page_setup, restricted_switch, text


@st.cache_data(show_spinner=False, max_entries=64)
def trend_for(source: tuple, ward_code: str, restricted: bool):
    dataset = cached_dataset(*source)
    return profile.ward_trend(dataset, ward_code, aggregation.available_layers(dataset, restricted=restricted))


@st.cache_data(show_spinner="Ranking every ward...", max_entries=64)
def ranks_for(source: tuple, ward_code: str, restricted: bool, year: int):
    dataset = cached_dataset(*source)
    return profile.ward_ranks(dataset, ward_code, aggregation.available_layers(dataset, restricted=restricted),
                              last_year=year)


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

with st.sidebar:
    ward_code = st.selectbox("Ward", codes, index=default, format_func=names.get, key="ward")
    restricted = restricted_switch()
    trend = trend_for(source, ward_code, restricted)
    years = sorted(trend["financial_year"].unique().tolist())
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

ranks = ranks_for(source, ward_code, restricted, year)
st.markdown(f"**Rank in {financial_year_label(year)}** (1 = highest)")


def rank_text(measure: str, scope: str):
    rank, of = ranks[f"{measure}_rank_in_{scope}"], ranks[f"{measure}_wards_in_{scope}"]
    return (rank.map("{:.0f}".format) + " of " + of.astype(str)).where(rank.notna(), "no data")


shown = ranks.assign(borough=rank_text("count", "borough"), region=rank_text("count", "region"),
                     rate_borough=rank_text("rate_per_1000", "borough"), rate_region=rank_text("rate_per_1000", "region"))
st.dataframe(shown[["label", "count", "borough", "region", "rate_per_1000", "rate_borough", "rate_region"]],
             hide_index=True, width="stretch",
             column_config={"label": "Layer", "count": st.column_config.NumberColumn("Count", format="%.0f"),
                            "borough": f"By count in {row['lad_name']}", "region": "By count in Greater Essex",
                            "rate_per_1000": st.column_config.NumberColumn("Rate per 1,000", format="%.1f"),
                            "rate_borough": f"By rate in {row['lad_name']}", "rate_region": "By rate in Greater Essex"})

st.markdown(f"**{aggregation.MEASURES[trend_measure]} over every year with data**")
st.altair_chart(profile.trend_chart(trend, trend_measure, title=aggregation.MEASURES[trend_measure]), width="stretch")
part_years = aggregation.partial_years_note(dataset, list(aggregation.available_layers(dataset, restricted=restricted)))
if part_years:
    st.caption(text(part_years) + " Their counts are not a whole year's.")
