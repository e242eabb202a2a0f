"""Ward map: one layer and measure as a choropleth, its statistical hotspots, the ward ranking and
the values as a table; for police users, the spread of gang nominals between two periods."""

import pandas as pd
import streamlit as st

from hotspots import aggregation, geography, hotspot_statistics, maps, ranking, roles, settings, views
from hotspots._errors import PeriodError
from hotspots.periods import financial_year_label, window_label
from ui.assets import local_leaflet_urls
from ui.common import (area_and_restricted_choice, audited_download, basemap_switch, cached_dataset,
                       cached_display_wards, csv_bytes, current_source, download_name, layer_banner, page_setup,
                       parse_bands, preferred_index, region_label, show_map, text, viewer)

ALL_GANGS = "All gangs"
#: What the hotspot table's z is, and how to read it with the permutation p (analysts asked).
SPOT_Z_LABELS = {"gi_star": "z-score of Gi* (analytic)", "local_moran": "z-score of Local Moran's I (permutations)"}
SPOT_READING = {
    "gi_star": "Hot spot: the ward and its neighbours together have higher values than 999 random rearrangements "
               f"of every ward's value (the ward's own included) give, at the level below; cold spot: lower. p is "
               f"{settings.HOTSPOT_ALTERNATIVE}, and a hot spot always has z above 0, a cold spot z below 0.",
    "local_moran": "High-high (hot spot): a high ward among high neighbours, more alike than 999 random "
                   "rearrangements give, at the level below; low-low (cold spot): low among low; the others are "
                   "outliers. z and p both come from the permutations.",
}


@st.cache_data(show_spinner=False, max_entries=64)
def region_measures(source: tuple, layer_key: str, last_year: int, window: int, gang: str | None) -> pd.DataFrame:
    """Every measure for all Greater Essex wards (the nominal spread, for restricted-layer roles only)."""
    wards = geography.wards()[["ward_code", "ward_name", "lad_code", "lad_name"]]
    values = aggregation.measure_table(cached_dataset(*source), layer_key, wards["ward_code"].tolist(),
                                       last_year=last_year, years=window, gang=gang)
    return wards.merge(values, on="ward_code", how="left")


@st.cache_data(show_spinner=False, max_entries=64)
def map_view(source: tuple, layer_key: str, role_name: str, lad_codes: tuple, measure: str, last_year: int,
             window: int, gang: str | None, scheme: str, bands: tuple | None) -> views.WardMapView:
    """The page's display tables as the role sees them (keyed by the role: one role's never serve another)."""
    return views.ward_map_view(cached_dataset(*source), layer_key, roles.role(role_name), geography.wards(),
                               list(lad_codes), measure=measure, last_year=last_year, years=window, gang=gang,
                               scheme=scheme, bands=None if bands is None else list(bands))


@st.cache_data(show_spinner="Testing for statistical hotspots (999 permutations)...", max_entries=32)
def spots_for(_view: views.WardMapView, view_key: tuple, lad_codes: tuple, method: str, fdr: bool,
              measure: str) -> pd.DataFrame:
    return views.ward_hotspots(_view, geography.wards(list(lad_codes)), method, fdr=fdr, measure=measure)


@st.cache_data(show_spinner="Finding emerging hot spots (Gi* each year, 999 permutations)...", max_entries=16)
def emerging_for(source: tuple, layer_key: str, role_name: str, lad_codes: tuple, measure: str, last_year: int,
                 gang: str | None, fdr: bool) -> views.EmergingHotspotsView:
    """Emerging hot spots as the role may see them (keyed by the role: one role's never serve another)."""
    return views.ward_emerging_hotspots(cached_dataset(*source), layer_key, roles.role(role_name),
                                        geography.wards(list(lad_codes)), measure=measure, last_year=last_year,
                                        gang=gang, fdr=fdr)


dataset = page_setup("Youth violence by ward")
source = current_source()
role = viewer()

lad_codes, restricted = area_and_restricted_choice()
with st.sidebar:
    layers = views.layers_for(dataset, role, show_restricted=restricted)
    if not layers:
        st.info("Nothing to map yet: import events (police.uk, police, ambulance) or a count table on the Data page"
                + ("" if restricted or not role.restricted_layers else ", or turn on the police switch for gang nominals")
                + ".")
        st.stop()
    layer_key = st.selectbox("Layer", list(layers), key="layer", format_func=lambda key: layers[key].label,
                             index=preferred_index(list(layers), ["violence-with-injury",
                                                                  "police-uk:violence-and-sexual-offences"]))
    gang = None
    if views.offers_gangs(layers[layer_key], role):
        gang = st.selectbox("Gang", [None, *sorted(dataset.nominals["gang"].unique())], key="gang",
                            format_func=lambda name: ALL_GANGS if name is None else name)
    measure = st.radio("Measure", list(aggregation.MEASURES), format_func=aggregation.MEASURES.get, key="measure")
    window = st.radio("Period", [1, 2], key="window", horizontal=True,
                      format_func=lambda n: "One year" if n == 1 else "Two years")
    years = aggregation.covered_years(dataset, layer_key)
    first_with_change = years[min(2 * window - 1, len(years) - 1)] if "change" in measure else years[window - 1]
    choices = [y for y in years if y >= first_with_change] or years[-1:]
    last_year = st.select_slider("Financial year" if window == 1 else "Ending with", options=choices,
                                 value=choices[-1], key="year",
                                 format_func=lambda y: aggregation.period_label(dataset, layer_key, y, window))
    scheme = st.selectbox("Classes", list(maps.SCHEMES), key="scheme",
                          format_func=lambda s: "Fixed bands" if s == "fixed" else s.replace("_", " ").capitalize())
    bands = parse_bands(st.text_input("Band upper bounds", value="0, 2, 5, 10", key="bands",
                                      help="Comma-separated; each class runs up to and including its bound.")
                        ) if scheme == "fixed" else None
    palette = st.selectbox("Colours", list(maps.PALETTES), key="palette", disabled="change" in measure,
                           help="All colour-blind safe. Changes always use purple (fall) to orange (rise).")
    view_key = (source, layer_key, role.name, lad_codes, measure, last_year, window, gang, scheme,
                None if bands is None else tuple(bands))
    view = map_view(*view_key)
    if view.hotspots_offered:
        choices = {"none": "Off", **views.hotspot_methods(measure)}
        if st.session_state.get("hotspots") not in choices:  # Gi* chosen, then a change: Gi* is not offered
            st.session_state["hotspots"] = "none"
        method = st.selectbox("Statistical hotspots", list(choices), format_func=choices.get, key="hotspots",
                              help=None if "gi_star" in choices else views.NO_GI_STAR_ON_CHANGES)
        fdr = st.checkbox("Control the false discovery rate", key="fdr",
                          disabled=method == "none" and not st.session_state.get("emerging", False),
                          help="Benjamini-Hochberg across all wards tested, instead of p <= 0.05 for each.")
    else:
        method, fdr = "none", False
        st.caption(views.NO_HOTSPOTS_REASON)
    emerging = view.hotspots_offered and st.checkbox(
        "Emerging hot spots over every year", key="emerging",
        help="Gi* in each whole financial year up to this one, and its trend (Mann-Kendall), as ArcGIS's Emerging "
             "Hot Spot Analysis: new, intensifying, persistent, diminishing... hot and cold spots.")
    basemap = basemap_switch()

region = region_label(lad_codes)
areas = cached_display_wards(lad_codes)
period = window_label(last_year, window)
period_shown = aggregation.period_label(dataset, layer_key, last_year, window)  # "2018/19, 5 of 12 months"
label = aggregation.MEASURES[measure] + (" (per year)" if window == 2 and "rate" in measure else "")

st.subheader(f"{text(layers[layer_key].label)}{', ' + text(gang) if gang else ''}: {region}, {period_shown}",
             divider=False)
layer_banner(layers[layer_key])
# Only the open view is built: the ranking chart and the tables cost a tablet's browser about a
# second, so the map draws alone and the others are built when their tab is opened (or ?view= names it).
tab_names = ["Map", "Ranking", "Values"] + (["Nominal spread"] if restricted and len(dataset.nominals) else [])
asked_view = st.query_params.get("view")
if asked_view is not None and asked_view not in tab_names:
    st.warning(f"The address asks for the view {text(asked_view)}, which this page does not have "
               f"({', '.join(tab_names)}; Nominal spread needs the police switch), so the map is shown.")
map_tab, ranking_view, values_view, *spread_view = st.tabs(tab_names, key="view", on_change="rerun",
                                                             bind="query-params")

if map_tab.open:
    spots = spots_for(view, view_key, lad_codes, method, fdr, measure) if method != "none" else None
    with map_tab:
        fmap = maps.ward_choropleth(
            areas, view.values, label=f"{label}, {period}", breaks=view.legend.breaks,
            legend_labels=view.legend.labels, suppressed=view.suppressed,
            suppressed_label=view.suppressed_text, palette=palette,
            diverging="change" in measure, decimals=0 if measure.startswith("count") else 1, basemap=basemap,
            leaflet_urls=local_leaflet_urls(), profile_links=True,
            spots=None if spots is None else spots.set_index("ward_code")["spot"])
        show_map(fmap)
        no_data = view.mean.no_data_wards
        st.caption(f"Mean across {region}: {view.mean.value:,.2f} ({view.mean.text}). "
                   + (f"The mean of every ward lies between {view.mean_range[0]:,.2f} and {view.mean_range[1]:,.2f}, "
                      "as counts are protected: the Values table says above or below against that. "
                      if view.mean_range else "")
                   + (f"{no_data} wards have no data (grey, dashed). " if no_data else "")
                   + (f"{view.mean.suppressed_wards} wards with {view.legend.suppressed_label} are hatched. "
                      if view.mean.suppressed_wards else "")
                   + "Tap a ward for its values and a link to its profile. Ranking and Values are in the tabs above.")
        if spots is not None:
            significant = spots[spots["significant"]]
            st.markdown(f"**{hotspot_statistics.METHODS[method].replace('*', chr(92) + '*')}**: {len(significant)} of "
                        f"{len(spots)} wards significant ({'false discovery rate 5%' if fdr else 'p <= 0.05 each'}, "
                        "999 permutations, queen contiguity).")
            st.dataframe(significant.sort_values("z", ascending=False)[["ward_name", "lad_name", "value", "z", "p",
                                                                         "spot"]],
                         hide_index=True, width="stretch",
                         column_config={"ward_name": "Ward", "lad_name": "Local authority", "value": label,
                                        "z": st.column_config.NumberColumn(SPOT_Z_LABELS[method], format="%.2f"),
                                        "p": st.column_config.NumberColumn(
                                            "Pseudo p-value (999 permutations)", format="%.3f"),
                                        "spot": "Result"})
            st.caption(SPOT_READING[method] + (" The level is a false discovery rate of 5% across all wards tested."
                                               if fdr else " The level is p <= 0.05 for each ward."))

if map_tab.open and emerging:
    with map_tab:
        try:
            found = emerging_for(source, layer_key, role.name, lad_codes, measure, last_year, gang, fdr)
        except PeriodError as too_short:
            st.info(f"No emerging hot spots for this layer: {text(too_short)}")
        else:
            st.markdown(f"**Emerging hot spots**, {text(found.measure).lower()}, {found.period}: Gi\\* each year "
                        f"({'false discovery rate 5%' if fdr else 'p <= 0.05 each'}, 999 permutations, queen "
                        "contiguity) and its trend (Mann-Kendall, p <= 0.05).")
            show_map(maps.category_map(areas, found.categories, {category: colour for colour, category in found.legend},
                                       label="Emerging hot spot", basemap=basemap, leaflet_urls=local_leaflet_urls(),
                                       profile_links=True))
            for note in found.notes:
                st.caption(text(note))
            st.dataframe(found.table, hide_index=True, width="stretch",
                         column_config={"ward_name": "Ward", "lad_name": "Local authority", "category": "Category",
                                        "hot_years": "Years a hot spot", "cold_years": "Years a cold spot",
                                        "trend": "Trend of Gi* z"})
            st.markdown("\n".join(f"- **{category}**: {meaning}." for category, meaning in found.meanings.items()))

if ranking_view.open:
    chart = ranking.ranking_chart(view.ranking, measure, label=label, highlight_label=f"{region} wards",
                                  mean=view.region_mean.value)
    ranking_view.vega_lite_chart(chart.to_dict(validate=False), width="stretch")  # altair's validation costs 0.2 s
    ranking_view.caption(f"Every Greater Essex ward with a value shown, highest first. Dashed line: the Greater Essex "
                         f"mean ({view.region_mean.value:,.2f}, {view.region_mean.text})."
                         + (f" {view.ranking_left_out} wards with {view.legend.suppressed_label} are not drawn."
                            if view.ranking_left_out else ""))

if values_view.open:
    values_view.dataframe(
        view.values_table, hide_index=True, width="stretch",
        column_config={
            "ward_name": "Ward", "lad_name": "Local authority", "count": st.column_config.Column("Count"),
            "population_10_24": st.column_config.NumberColumn("Residents 10-24", format="%.0f"),
            "rate_per_1000": st.column_config.Column("Rate per 1,000"),  # text: the views say why a cell is blank
            "count_change": st.column_config.Column("Change in count"),
            "rate_change": st.column_config.Column("Change in rate"),
            "above_mean": f"{aggregation.MEASURES[measure]} against the {region} mean",
        },
    )
    with values_view:
        audited_download(
            "Download these values (CSV)", csv_bytes(view.download),
            download_name(layers[layer_key].label, period, region), key="download", mime="text/csv",
            what={"layer": layer_key, "period": period, "area": region, "role": viewer().name},
            help="Every ward shown, with count, residents, rate, changes and the mean flag."
                 + (" Restricted: do not share outside the police." if layers[layer_key].restricted else ""))

if spread_view and spread_view[0].open:
    with spread_view[0]:
        st.markdown("**Spread of gang nominals (restricted)**")
        nominal_years = aggregation.covered_years(dataset, "nominals")
        first_col, second_col = st.columns(2)
        first = first_col.selectbox("First period", nominal_years, index=max(0, len(nominal_years) - 3),
                                    format_func=financial_year_label, key="spread_first")
        second = second_col.selectbox("Second period", nominal_years, index=len(nominal_years) - 1,
                                      format_func=financial_year_label, key="spread_second")
        before = region_measures(source, "nominals", first, 1, gang).set_index("ward_code")["count"]
        after = region_measures(source, "nominals", second, 1, gang).set_index("ward_code")["count"]
        shared = maps.class_breaks(pd.concat([before.reindex(areas["ward_code"]), after.reindex(areas["ward_code"])]),
                                   scheme="natural_breaks")
        for column, year, counts in ((first_col, first, before), (second_col, second, after)):
            with column:
                show_map(maps.ward_choropleth(areas, counts, label=f"Nominals, {financial_year_label(year)}",
                                              breaks=shared, basemap=basemap, leaflet_urls=local_leaflet_urls()),
                         height=360)
        spread = view.table[["ward_name", "lad_name", "ward_code"]].assign(
            first=view.table["ward_code"].map(before), second=view.table["ward_code"].map(after))
        spread["change"] = spread["second"] - spread["first"]
        newly = int((spread["first"].eq(0) & spread["second"].gt(0)).sum())
        st.caption(f"{newly} wards had no nominals in {financial_year_label(first)} and some in "
                   f"{financial_year_label(second)}.")
        st.dataframe(spread.sort_values("change", ascending=False).drop(columns="ward_code"), hide_index=True,
                     width="stretch", column_config={"ward_name": "Ward", "lad_name": "Local authority",
                                                     "first": financial_year_label(first),
                                                     "second": financial_year_label(second),
                                                     "change": st.column_config.NumberColumn("Change", format="%+d")})
