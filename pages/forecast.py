"""Forecast: next year's risk of at least one event per ward, the rule's evidence and the backtest."""

import pandas as pd
import streamlit as st

from hotspots import (aggregation, boundaries, calibration_chart, disclosure, geography, maps,
                      report_figures, roles, settings, views)
from hotspots._errors import CountTableError, DisclosureError, PeriodError
from hotspots.model_comparison import BETTER
from hotspots.periods import financial_year_label
from ui.assets import local_leaflet_urls
from ui.common import (area_choice, audited_download, basemap_switch, cached_dataset, cached_display_wards, csv_bytes,
                       current_source, download_name, layer_banner, page_setup, preferred_index, region_label, show_map,
                       text, viewer)

RISK_BREAKS = [29.9999, 49.9999, 69.9999, 100.0]
RISK_LABELS = ["under 30%", "30-50%", "50-70%", "70%+"]
MODEL_LABELS = {"rule": "Prior-two-year rule (report)", "persistence": "Persistence (any last year)",
                "poisson": "Poisson regression", "negative_binomial": "Negative binomial regression",
                "empirical_bayes": "Empirical Bayes (whole history)", "spatial_lag": "Poisson with spatial lag",
                "logistic": "Logistic regression (last five years)"}
METRIC_LABELS = {"brier": "Brier score", "log_loss": "Log loss"}
WHOLE_PERCENT = "%.0f%%"  # probabilities are shown as whole percentages (89%), from values times 100


@st.cache_data(show_spinner=False)
def region_counts(layer_key: str, source: tuple[str, tuple], partial_years: bool = False) -> pd.DataFrame:
    """Counts for every ward of the built-in region (the rule pools the whole region, as the report did), over
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
def evidence_for(layer_key: str, source: tuple[str, tuple], partial_years: bool,
                 role_name: str) -> views.ForecastEvidenceView:
    """The backtest's verdict as the role may see it (keyed by the role; refused for suppressed roles)."""
    population, neighbours, sizes = model_inputs(source)
    return views.forecast_evidence_view(region_counts(layer_key, source, partial_years),
                                        aggregation.resolve_layer(layer_key), roles.role(role_name),
                                        population=population, neighbours=neighbours, area_sizes=sizes)


@st.cache_data(show_spinner=False, max_entries=64)
def forecast_for(layer_key: str, source: tuple[str, tuple], partial_years: bool, role_name: str, model: str,
                 lad_codes: tuple[str, ...], recalibrated: bool) -> views.ForecastView:
    """The page's display tables as the role sees them (keyed by the role: one role's never serve another)."""
    population, neighbours, _ = model_inputs(source)
    return views.forecast_view(region_counts(layer_key, source, partial_years), aggregation.resolve_layer(layer_key),
                               roles.role(role_name), geography.wards(list(lad_codes)), model=model,
                               population=population, neighbours=neighbours, recalibrated=recalibrated)


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
        recalibrated = False
    else:
        recalibrated = st.checkbox("Recalibrate the chances on past years", key="recalibrated",
                                   help="Maps the model's chances through what its chances meant in the backtest's "
                                        "earlier years, so that 70% means 70%.")
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
    view = forecast_for(layer_key, source, partial_years, role.name, model, lad_codes, recalibrated)
except (CountTableError, PeriodError) as unusable:
    st.warning(f"No forecast for this layer: {text(unusable)} Import more years of data on the Data page.")
    st.stop()
if view.model_note:
    st.warning(f"No {MODEL_LABELS[model]} forecast: {text(view.model_note)} The map shows the rule instead.")

region = region_label(lad_codes)
areas = cached_display_wards(lad_codes)
st.subheader(f"Chance of at least one in {financial_year_label(view.target_year)}: {region}")
map_label = MODEL_LABELS[view.model] + (", recalibrated" if view.recalibrated else "")
st.caption(f"Measure: {text(available[layer_key].label)}. Map: {map_label}.")
if view.bands_note:
    st.caption(text(view.bands_note))
layer_banner(available[layer_key])
fmap = maps.ward_choropleth(areas, view.values, label=f"{map_label}, % chance", breaks=RISK_BREAKS,
                            legend_labels=RISK_LABELS, leaflet_urls=local_leaflet_urls(), basemap=basemap, unit="%",
                            details=view.explanations, details_label="The rule")
show_map(fmap)
for note in view.notes:
    st.info(text(note))
if len(view.not_forecast):
    st.warning(f"{len(view.not_forecast)} ward(s) not forecast (a prior year is missing): "
               + text("; ".join(f"{r.area_code}: {r.reason}" for r in view.not_forecast.head(10).itertuples())))

level = f"{settings.COUNT_INTERVAL_LEVEL:.0%}"
count_columns = [column for column in ("expected_count", "count_low", "count_high", "probability_two_or_more")
                 if column in view.table]  # only for roles that see true counts
shown_columns = ["ward_name", "prior_two_year_count", "band", "probability", "risk_band"] + (
    [] if view.model == "rule" and not view.recalibrated else ["chosen"]) + count_columns + ["explanation"]
st.dataframe(
    view.table[shown_columns],
    hide_index=True, width="stretch",
    column_config={"ward_name": "Ward", "prior_two_year_count": "Prior two years", "band": "Band",
                   "probability": st.column_config.NumberColumn("Rule", format=WHOLE_PERCENT),
                   "risk_band": "Rule risk band",
                   "chosen": st.column_config.NumberColumn(map_label, format=WHOLE_PERCENT),
                   "expected_count": st.column_config.NumberColumn("Expected count", format="%.1f"),
                   "count_low": st.column_config.NumberColumn(f"{level} interval: from", format="%d"),
                   "count_high": st.column_config.NumberColumn(f"{level} interval: to", format="%d"),
                   "probability_two_or_more": st.column_config.NumberColumn("P(two or more)", format=WHOLE_PERCENT),
                   "explanation": "Why (the rule)"})
if count_columns:
    st.caption(f"Expected count: negative binomial regression on the last five years' counts; the {level} interval "
               f"holds next year's count with a {level} chance.")
audited_download("Download this forecast (CSV)", csv_bytes(view.download),
                 download_name("forecast", available[layer_key].label, financial_year_label(view.target_year), region),
                 key="download", mime="text/csv",
                 what={"layer": layer_key, "target_year": financial_year_label(view.target_year), "area": region,
                       "model": view.model, "role": role.name},
                 help="Every ward shown, with the rule's and the mapped model's chances"
                      + (" and the expected counts." if count_columns else ".")
                      + (" Restricted: do not share outside the police." if available[layer_key].restricted else ""))

st.subheader(f"The rule's evidence: every ward-year in {geography.region_name()}")
st.dataframe(view.band_table, hide_index=True, width="stretch",
             column_config={"band": "Prior two-year count", "ward_years": "Ward-years",
                            "with_outcome": "With at least one next year",
                            "with_two_or_more": "With two or more next year",
                            "probability": st.column_config.NumberColumn("P(at least one)", format=WHOLE_PERCENT),
                            "lower": st.column_config.NumberColumn("95% low", format=WHOLE_PERCENT),
                            "upper": st.column_config.NumberColumn("95% high", format=WHOLE_PERCENT),
                            "probability_two_or_more": st.column_config.NumberColumn("P(two or more)",
                                                                                     format=WHOLE_PERCENT)})

if view.report_beside is not None:  # roles that see true counts
    st.subheader("The report beside us: its published figures and the same on these data")
    st.dataframe(view.report_beside, hide_index=True, width="stretch",
                 column_config={"band": "Prior two-year count", "outcome": "Next year",
                                "published": st.column_config.NumberColumn("Report (published)", format=WHOLE_PERCENT),
                                "recomputed": st.column_config.NumberColumn("These data", format=WHOLE_PERCENT),
                                "lower": st.column_config.NumberColumn("95% low", format=WHOLE_PERCENT),
                                "upper": st.column_config.NumberColumn("95% high", format=WHOLE_PERCENT),
                                "ward_years": "Ward-years", "with_outcome": "Of which had it"})
    st.caption(f"Published: {text(report_figures.SOURCE)}. These data: {text(available[layer_key].label)}, every "
               f"ward of {geography.region_name()}, every two-year window the data have.")

st.subheader("Backtest: each model forecasting past years it had not seen")  # drawn before the backtest runs
try:
    evidence = evidence_for(layer_key, source, partial_years, role.name)
except DisclosureError as refused:
    evidence = None
    st.info(text(refused))
if evidence is not None:
    if evidence.no_backtest:
        st.info(f"No backtest for this layer: {text(evidence.no_backtest)}")
    else:
        best = MODEL_LABELS[evidence.best_model]
        years = int(evidence.ranking["target_years"].iloc[0])
        if evidence.against_rule.empty:
            st.info(f"Best model: {best}, the lowest log loss over {years} past years.")
        else:
            log = evidence.against_rule.set_index("metric").loc["log_loss"]
            message = (f"Best model: {best}, the lowest log loss over {years} past years. Against the rule its log "
                       f"loss differs by {log.difference:+.3f} ({settings.PAIRED_INTERVAL_LEVEL:.0%} interval "
                       f"{log.lower:+.3f} to {log.upper:+.3f}): {evidence.verdict}.")
            (st.success if evidence.verdict == BETTER else st.info)(message)
            st.dataframe(evidence.against_rule.assign(metric=evidence.against_rule["metric"].map(METRIC_LABELS)),
                         hide_index=True, width="stretch",
                         column_config={"metric": "Score (lower is better)",
                                        "difference": st.column_config.NumberColumn(f"{best} minus the rule",
                                                                                    format="%+.4f"),
                                        "lower": st.column_config.NumberColumn("Interval from", format="%+.4f"),
                                        "upper": st.column_config.NumberColumn("Interval to", format="%+.4f")})
            st.caption("Paired: the same wards and years for both models; the interval resamples whole wards "
                       f"({settings.PAIRED_BOOTSTRAP_RESAMPLES:,} times).")
        st.dataframe(evidence.ranking.set_index("model").rename(index=MODEL_LABELS), width="stretch",
                     column_config={"_index": "Model", "rank": "Rank",
                                    "log_loss": st.column_config.NumberColumn("Log loss (lower better)", format="%.3f"),
                                    "brier": st.column_config.NumberColumn("Brier", format="%.3f"),
                                    "auc": st.column_config.NumberColumn("ROC AUC", format="%.3f"),
                                    "hit_rate": st.column_config.NumberColumn("Hit rate, top 10%", format=WHOLE_PERCENT),
                                    "pai": st.column_config.NumberColumn("PAI", format="%.1f"),
                                    "largest_gap": st.column_config.NumberColumn("Largest calibration gap",
                                                                                 format="%.2f"),
                                    "log_loss_recalibrated": st.column_config.NumberColumn("Log loss, recalibrated",
                                                                                           format="%.3f"),
                                    "brier_recalibrated": st.column_config.NumberColumn("Brier, recalibrated",
                                                                                        format="%.3f"),
                                    "largest_gap_recalibrated": st.column_config.NumberColumn(
                                        "Largest gap, recalibrated", format="%.2f"),
                                    "target_years": "Years scored"})
        for note in evidence.notes:
            st.caption(f"Backtest note: {text(note)}")
        st.caption(f"Calibration: predicted chance against the share that had at least one. On the dashed diagonal a "
                   f"chance means what it says; the vertical lines are the gaps in bins of at least "
                   f"{settings.CALIBRATION_MIN_WARD_YEARS} ward-years.")
        chart = calibration_chart.calibration_chart(
            evidence.calibration.assign(model=evidence.calibration["model"].map(MODEL_LABELS)))
        st.vega_lite_chart(chart.to_dict(validate=False), width="content")

if evidence is not None:  # a role refused the backtest was told above that the deprivation check is not offered
    st.subheader("Does deprivation predict it? (as the report asked)")
    st.dataframe(views.deprivation_check_view(counts, dataset.deprivation.set_index("ward_code")["imd_score"],
                                              available[layer_key], role, target_year=view.target_year - 1),
                 hide_index=True, width="stretch",
                 column_config={"predictor": "Predictor",
                                "spearman": st.column_config.NumberColumn("Spearman correlation with next year's count",
                                                                          format="%.2f"),
                                "auc": st.column_config.NumberColumn("ROC AUC (at least one next year)",
                                                                     format="%.2f"),
                                "areas": "Wards"})
