"""Ward map: a choropleth of one layer, measure and period, with the same values as a table."""

import streamlit as st
from streamlit_folium import st_folium

from hotspots import aggregation, maps
from hotspots.periods import financial_year_label, window_label
from ui.assets import local_leaflet_urls
from ui.common import (DEFAULT_REGION, cached_display_wards, lad_codes_for_choice, page_setup,
                       region_options)

MEASURES = {"count": "Count", "rate_per_1000": "Rate per 1,000 residents aged 10-24"}

dataset = page_setup("Youth violence by ward")
years = sorted(dataset.events["financial_year"].unique().tolist())

with st.sidebar:
    regions = region_options()
    region = st.selectbox("Area", regions, index=regions.index(DEFAULT_REGION), key="region")
    layer_key = st.selectbox("Layer", list(aggregation.LAYERS), key="layer",
                             format_func=lambda key: aggregation.LAYERS[key].label)
    measure = st.radio("Measure", list(MEASURES), format_func=MEASURES.get, key="measure")
    window = st.radio("Period", [1, 2], key="window", horizontal=True,
                      format_func=lambda n: "One year" if n == 1 else "Two years")
    last_year = st.select_slider("Financial year" if window == 1 else "Ending with", options=years[window - 1:],
                                 value=years[-1], format_func=financial_year_label, key="year")
    scheme = st.selectbox("Classes", list(maps.SCHEMES), key="scheme",
                          format_func=lambda s: s.replace("_", " ").capitalize())
    basemap = st.toggle("Street basemap", value=True, key="basemap",
                        help="Off for closed networks: no map tiles are requested.")

lad_codes = lad_codes_for_choice(region)
areas = cached_display_wards(lad_codes)
counts = aggregation.layer_counts(dataset, layer_key, list(areas["ward_code"]), years)
table = aggregation.period_values(counts, dataset.population, last_year=last_year, years=window)
table = areas[["ward_code", "ward_name", "lad_name"]].merge(table, on="ward_code", how="left")
period = window_label(last_year, window)
label = f"{MEASURES[measure]}, {period}" + (" (per year)" if window == 2 and measure != "count" else "")
mean = aggregation.regional_mean(table[measure])

st.subheader(f"{aggregation.LAYERS[layer_key].label}: {region}, {period}", divider=False)
fmap = maps.ward_choropleth(areas, table.set_index("ward_code")[measure], label=label, scheme=scheme,
                            decimals=0 if measure == "count" else 1, basemap=basemap,
                            leaflet_urls=local_leaflet_urls())
st_folium(fmap, returned_objects=[], use_container_width=True, height=480, key="ward_map")

st.caption(f"Mean across {region}: {mean:,.1f}. Wards in grey have no data.")
shown = table.assign(above_mean=table[measure].gt(mean).map({True: "above", False: "below"}))
st.dataframe(
    shown.sort_values(measure, ascending=False)[["ward_name", "lad_name", "count", "population_10_24",
                                                   "rate_per_1000", "above_mean"]],
    hide_index=True, width="stretch",
    column_config={
        "ward_name": "Ward", "lad_name": "Local authority", "count": st.column_config.NumberColumn("Count"),
        "population_10_24": st.column_config.NumberColumn("Residents 10-24", format="%.0f"),
        "rate_per_1000": st.column_config.NumberColumn("Rate per 1,000", format="%.1f"),
        "above_mean": f"Against the {region} mean",
    },
)
