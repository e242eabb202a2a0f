"""Forecast: next year's risk of at least one event per ward, the rule's evidence and the backtest."""

import pandas as pd
import streamlit as st

from hotspots import aggregation, backtest, boundaries, disclosure, geography, maps, roles, views
from hotspots._errors import CountTableError, PeriodError
from hotspots.periods import financial_year_label
from ui.assets import local_leaflet_urls
from ui.common import (area_choice, basemap_switch, cached_dataset, cached_display_wards, current_source,
                       layer_banner, page_setup, preferred_index, region_label, show_map, text, viewer)

RISK_BREAKS = [29.9999, 49.9999, 69.9999, 100.0]
RISK_LABELS = ["under 30%", "30-50%", "50-70%", "70%+"]
MODEL_LABELS = {"rule": "Prior-two-year rule (report)", "persistence": "Persistence (any last year)",
                "poisson": "Poisson regression", "negative_binomial": "Negative binomial regression",
                "empirical_bayes": "Empirical Bayes (whole history)", "spatial_lag": "Poisson with spatial lag"}
WHOLE_PERCENT = "%.0f%%"  # probabilities are shown as whole percentages (89%), from values times 100


@st.cache_data(show_spinner=False)
def region_counts(layer_key: str, source: tuple[str, tuple], partial_years: bool = False) -> pd.DataFrame:
    """Counts for every Greater Essex ward (the rule pools the whole region, as the report did), over
    the years the source covers in full unless ``partial_years``."""
    dataset = cached_dataset(*source)
    years = aggregation.covered_years(dataset, layer_key) if partial_years else \
        aggregation.complete_years(dataset, layer_key)[0]
    counts = aggregation.layer_counts(dataset, layer_key, list(geography.wards()["ward_code"]), years)
    counts = counts.dropna(subset=["count"]).astype({"count": "int64"})  # a count table's gaps stay gaps
    return counts.rename(columns={"ward_code": "area_code"})


@st.cache_resource(show_spinner=False)
def model_inputs(source: tuple[str, tuple]) -> tuple[pd.DataFrame | None, dict[str, list[str]], pd.Series]:
    """Population (None when the store has none: the regressions then go without an offset, and say
    so), neighbours and ward areas."""
    wards = geography.wards().rename(columns={"ward_code": "area_code", "ward_name": "area_name"})
    population = cached_dataset(*source).population.rename(columns={"ward_code": "area_code", "population_10_24": "population"})
    return population if len(population) else None, boundaries.queen_neighbours(wards), wards.set_index("area_code").area


@st.cache_data(show_spinner="Backtesting every model on every past year...")
def backtest_for(layer_key: str, source: tuple[str, tuple], partial_years: bool) -> backtest.BacktestResult | str:
    """The backtest, or why there is none (it needs one more year than the rule: a year to learn from)."""
    population, neighbours, sizes = model_inputs(source)
    try:
        return backtest.backtest(region_counts(layer_key, source, partial_years), population=population,
                                 neighbours=neighbours, area_sizes=sizes)
    except CountTableError as unusable:
        return str(unusable)


@st.cache_data(show_spinner=False, max_entries=64)
def forecast_for(layer_key: str, source: tuple[str, tuple], partial_years: bool, role_name: str, model: str,
                 lad_codes: tuple[str, ...]) -> views.ForecastView:
    """The page's display tables as the role sees them (keyed by the role: one role's never serve another)."""
    population, neighbours, _ = model_inputs(source)
    return views.forecast_view(region_counts(layer_key, source, partial_years), aggregation.resolve_layer(layer_key),
                               roles.role(role_name), geography.wards(list(lad_codes)), model=model,
                               population=population, neighbours=neighbours)


def percent(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Probabilities (0-1) in ``columns`` as percentages (0-100), for WHOLE_PERCENT."""
    return table.assign(**{column: table[column].mul(100) for column in columns})


dataset = page_setup("Where next year? Predicted risk by ward")
role = viewer()
with st.sidebar:
    lad_codes = area_choice()
    available = views.layers_for(dataset, role)
    if not available:
        st.info("Nothing to forecast yet: import events or a count table on the Data page.")
        st.stop()
    layers = list(available)
    layer_key = st.selectbox("Measure", layers, key="layer", format_func=lambda key: available[key].label,
                             index=preferred_index(layers, ["ambulance-knife", "violence-with-injury",
                                                            "police-uk:violence-and-sexual-offences"]))
    models = views.forecast_models(disclosure.rule_for(available[layer_key], role))
    model = st.selectbox("Model for the map", models, format_func=MODEL_LABELS.get, key="model",
                         help="The report's rule is the default and is always shown in the table.")
    if len(models) == 1:
        st.caption(views.RULE_ONLY_REASON)
    partial_years = st.checkbox("Use years the data cover only in part", key="partial_years",
                                help="Off (the default): a financial year the source covers for fewer than 12 "
                                     "months is left out of the forecast and the backtest, as its counts are low.")
    basemap = basemap_switch()

source = current_source()
_, left_out = aggregation.complete_years(dataset, layer_key)
for note in left_out if not partial_years else []:
    st.info(f"{note}: the forecast and the backtest use whole years only (the sidebar can include it).",
            icon=":material/calendar_month:")
counts = region_counts(layer_key, source, partial_years)
if counts.empty:
    st.warning("No financial year of this layer's data is complete: nothing to forecast from yet.")
    st.stop()
try:
    view = forecast_for(layer_key, source, partial_years, role.name, model, lad_codes)
except (CountTableError, PeriodError) as unusable:
    st.warning(f"No forecast for this layer: {text(unusable)} Import more years of data on the Data page.")
    st.stop()
if view.model_note:
    st.warning(f"No {MODEL_LABELS[model]} forecast: {text(view.model_note)} The map shows the rule instead.")

region = region_label(lad_codes)
areas = cached_display_wards(lad_codes)
st.subheader(f"Chance of at least one in {financial_year_label(view.target_year)}: {region}")
st.caption(f"Measure: {text(available[layer_key].label)}. Map: {MODEL_LABELS[view.model]}.")
layer_banner(available[layer_key])
fmap = maps.ward_choropleth(areas, view.values, label=f"{MODEL_LABELS[view.model]}, % chance", breaks=RISK_BREAKS,
                            legend_labels=RISK_LABELS, leaflet_urls=local_leaflet_urls(), basemap=basemap, unit="%",
                            details=view.explanations, details_label="The rule")
show_map(fmap)
for note in view.notes:
    st.info(text(note))
if len(view.not_forecast):
    st.warning(f"{len(view.not_forecast)} ward(s) not forecast (a prior year is missing): "
               + text("; ".join(f"{r.area_code}: {r.reason}" for r in view.not_forecast.head(10).itertuples())))

shown_columns = ["ward_name", "prior_two_year_count", "band", "probability", "risk_band"] + (
    [] if view.model == "rule" else ["chosen"]) + ["explanation"]  # the rule's column is the chosen one
st.dataframe(
    view.table[shown_columns],
    hide_index=True, width="stretch",
    column_config={"ward_name": "Ward", "prior_two_year_count": "Prior two years", "band": "Band",
                   "probability": st.column_config.NumberColumn("Rule", format=WHOLE_PERCENT),
                   "risk_band": "Rule risk band",
                   "chosen": st.column_config.NumberColumn(MODEL_LABELS[view.model], format=WHOLE_PERCENT),
                   "explanation": "Why (the rule)"})

st.subheader("The rule's evidence: every ward-year in Greater Essex")
st.dataframe(view.band_table, hide_index=True, width="stretch",
             column_config={"band": "Prior two-year count", "ward_years": "Ward-years",
                            "with_outcome": "With at least one next year",
                            "with_two_or_more": "With two or more next year",
                            "probability": st.column_config.NumberColumn("P(at least one)", format=WHOLE_PERCENT),
                            "lower": st.column_config.NumberColumn("95% low", format=WHOLE_PERCENT),
                            "upper": st.column_config.NumberColumn("95% high", format=WHOLE_PERCENT),
                            "probability_two_or_more": st.column_config.NumberColumn("P(two or more)",
                                                                                     format=WHOLE_PERCENT)})

st.subheader("Backtest: each model forecasting past years it had not seen")
result = backtest_for(layer_key, source, partial_years)
if isinstance(result, str):
    st.info(f"No backtest for this layer: {text(result)}")
else:
    means = result.metrics.groupby("model", sort=False)[["brier", "log_loss", "auc", "hit_rate", "pai"]].mean()
    st.dataframe(percent(means, ["hit_rate"]).rename(index=MODEL_LABELS), width="stretch",
                 column_config={"brier": st.column_config.NumberColumn("Brier (lower better)", format="%.3f"),
                                "log_loss": st.column_config.NumberColumn("Log loss", format="%.3f"),
                                "auc": st.column_config.NumberColumn("ROC AUC", format="%.3f"),
                                "hit_rate": st.column_config.NumberColumn("Hit rate, top 10%", format=WHOLE_PERCENT),
                                "pai": st.column_config.NumberColumn("PAI", format="%.1f")})
    for note in dict.fromkeys(result.notes):  # a model's warning repeats for each ward-year it was fitted on
        st.caption(f"Backtest note: {text(note)}")
    st.caption("Calibration: predicted chance against the share that had at least one (closer to the diagonal is "
               "better).")
    st.scatter_chart(result.calibration.assign(model=result.calibration["model"].map(MODEL_LABELS)),
                     x="predicted", y="observed", color="model", size="n")

st.subheader("Does deprivation predict it? (as the report asked)")
deprivation = dataset.deprivation.set_index("ward_code")["imd_score"]
st.dataframe(backtest.predictor_comparison(counts, deprivation, target_year=view.target_year - 1), hide_index=True,
             width="stretch")
