"""What the Locality wards page draws: the ranking, its stability, wards side by side, as a role sees them.

The page asks :func:`locality_view` once; it applies the viewer's role through
:mod:`hotspots.disclosure` before anything is ranked, so every figure on the page (scores,
contributions, stability, comparison, trends, the decision record) is made from shown values only.

A partner sees the restricted measures (the nominal register, people known to services) as
suppressed ward counts. A suppressed count enters the ranking as the middle of the suppressed
range (2.5 for "fewer than 5"); over several years, each suppressed year counts as that middle and
shown years as shown. Its contribution is hidden (NaN; "hidden" on the page): the score still
includes it, but everything is worked out from the stand-in, never from the true count, so
nothing on the page gives that count back (docs/disclosure.md, "Locality ranking").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd

from hotspots import aggregation, decision_record as records, disclosure, locality, ranking_stability, settings, views
from hotspots._errors import DisclosureError, LocalityError
from hotspots.decision_record import DecisionRecord
from hotspots.loading import Dataset
from hotspots.periods import financial_year_label, window_label
from hotspots.roles import Role

FORECAST = "forecast"
VICTIM, OFFENDER, WEAPONS, RISK, OTHER = ("victim-based", "offender-based", "weapons", "forecast risk", "other")
HIDDEN = "hidden"


@dataclass(frozen=True)
class MeasureValues:
    """One measure over the chosen wards as the role sees it: ``values`` (what is ranked, a
    suppressed count as its stand-in), ``texts`` (what is shown) and ``suppressed``, by ward code."""

    key: str
    label: str
    kind: str
    period: str
    values: pd.Series
    texts: pd.Series
    suppressed: pd.Series
    dataset_ids: frozenset[int]
    restricted_true: bool  # a restricted layer seen as true values


@dataclass(frozen=True)
class LocalityView:
    """Everything the page draws. ``ranking``: ``rank, ward_code, ward_name, score`` then per
    measure ``<key> value`` (text) and ``<key> contribution`` (NaN where hidden), best first.
    ``stability``: ``ward_code, ward_name, top_k_share, best_rank, worst_rank``. ``comparison``:
    one row per measure (and score, rank, share in the top k), one column per compared ward;
    ``trends``: by measure label, ``profile.trend_chart``'s points, one line per ward."""

    measures: pd.DataFrame
    ranking: pd.DataFrame
    contributions: pd.DataFrame
    stability: pd.DataFrame
    acceptability: pd.DataFrame
    always_top: list[str]
    summary: str  # the top k in words, with how often each is in the top k
    shares: str  # each measure's share of the score in words, adding up to 100% (locality.SHARES_NOTE)
    compared: list[str]  # ward codes side by side
    comparison: pd.DataFrame | None
    trends: dict[str, pd.DataFrame]
    sources: pd.DataFrame
    notes: list[str]
    normalisation: str
    districts: str
    period: str
    top_k: int
    samples: int
    spread: float
    seed: int
    restricted_values: bool


def measures_offered(dataset: Dataset, role: Role, *, show_restricted: bool = False) -> dict[str, str]:
    """Measure key -> label: the layers ``role`` may be offered, and the forecast risk where its
    layer (``settings.LOCALITY_FORECAST_LAYER``) has data. The defaults come first."""
    _refuse_unless_allowed(role)
    layers = views.layers_for(dataset, role, show_restricted=show_restricted)
    offered = {key: layer.label for key, layer in layers.items()}
    if settings.LOCALITY_FORECAST_LAYER in layers:
        offered[FORECAST] = f"Forecast risk: chance of at least one next year ({layers[settings.LOCALITY_FORECAST_LAYER].label})"
    first = [key for key in settings.LOCALITY_DEFAULT_MEASURES if key in offered]
    return {key: offered[key] for key in [*first, *(key for key in offered if key not in first)]}


def locality_view(dataset: Dataset, role: Role, wards: pd.DataFrame, lad_codes: list[str], weights: dict[str, float],
                  *, last_year: int, years: int = 1, normalisation: str = "rank", top_k: int | None = None,
                  samples: int | None = None, spread: float | None = None, seed: int | None = None,
                  compared: list[str] | None = None, inventory: pd.DataFrame | None = None,
                  show_restricted: bool = False) -> LocalityView:
    """The ranking of the wards of ``lad_codes`` (``wards``: the region's, ``ward_code, ward_name,
    lad_code, lad_name``) on the measures of ``weights`` (key -> weight) over the ``years`` ending
    ``last_year``, its stability, and the ``compared`` wards side by side (None: the top two; an
    empty list: none; one ward alone is no comparison, and shows none); ``inventory``
    (``store.list_datasets``) names the sources; ``show_restricted``: the police switch, as
    ``measures_offered`` takes it. A :class:`LocalityError` says what to change."""
    offered = measures_offered(dataset, role, show_restricted=show_restricted)
    unoffered = [key for key in weights if key not in offered]
    if unoffered:  # a stale choice (the switch turned off since) must not rank what is not offered
        raise LocalityError(f"{', '.join(unoffered)}: not offered to the {role.name} role"
                            f"{'' if show_restricted else ' with restricted layers off'}. Untick it.")
    top_k = settings.LOCALITY_TOP_K if top_k is None else int(top_k)
    samples = settings.LOCALITY_WEIGHT_SAMPLES if samples is None else int(samples)
    spread = settings.LOCALITY_WEIGHT_SPREAD if spread is None else float(spread)
    seed = settings.SEED if seed is None else int(seed)
    chosen = wards[wards["lad_code"].isin(lad_codes)].sort_values("ward_name").reset_index(drop=True)
    codes = chosen["ward_code"].tolist()
    measures = [measure_values(dataset, key, role, codes, wards, last_year=last_year, years=years) for key in weights]
    empty = [m.label for m in measures if m.values.isna().all()]
    if empty:
        raise LocalityError(f"{'; '.join(empty)}: no data for these wards in {window_label(last_year, years)}. "
                            "Untick the measure or choose another period.")
    values = pd.DataFrame({m.key: m.values for m in measures}, index=pd.Index(codes, name="ward_code"))
    ranking = locality.rank_wards(values, weights, normalisation=normalisation)
    stability = ranking_stability.ranking_stability(ranking, k=top_k, samples=samples, spread=spread, seed=seed)
    names = _ward_names(chosen)
    shown = _ranking_table(ranking, measures, names)
    compared = shown["ward_code"].head(2).tolist() if compared is None else list(compared)
    notes = _notes(measures, values) + [f"{code} is not a ward of the chosen districts: it is left out of the "
                                        "comparison." for code in compared if code not in names]
    compared = [code for code in compared if code in names]
    side_by_side = len(compared) > 1
    return LocalityView(
        measures=pd.DataFrame({"measure": [m.key for m in measures], "label": [m.label for m in measures],
                               "kind": [m.kind for m in measures], "period": [m.period for m in measures],
                               "weight": [float(weights[m.key]) for m in measures],
                               "share": [float(ranking.weights[m.key]) for m in measures]}),
        ranking=shown, contributions=_contributions(shown, measures), stability=_stability_table(stability, names),
        acceptability=_acceptability(stability, names), always_top=[names[c] for c in stability.always_top],
        summary=_summary(shown, stability), shares=_shares(measures, ranking.weights),
        compared=compared, comparison=_comparison(shown, stability, measures, compared, names) if side_by_side else None,
        trends=_trends(dataset, role, measures, compared, names) if side_by_side else {},
        sources=_sources(measures, inventory), notes=notes,
        normalisation=normalisation, districts=", ".join(sorted(chosen["lad_name"].unique())),
        period=window_label(last_year, years), top_k=top_k, samples=samples, spread=spread, seed=seed,
        restricted_values=any(m.restricted_true for m in measures))


def measure_values(dataset: Dataset, key: str, role: Role, ward_codes: list[str], region: pd.DataFrame, *,
                   last_year: int, years: int = 1) -> MeasureValues:
    """One measure's values for ``ward_codes`` over the ``years`` ending ``last_year`` as ``role``
    sees them; ``region`` (``ward_code, ward_name``) are the wards the forecast rule pools."""
    if key == FORECAST:
        return _forecast_values(dataset, role, ward_codes, region, last_year=last_year)
    layer = aggregation.resolve_layer(key)
    rule = disclosure.rule_for(layer, role)  # refuses a restricted layer the role may not see
    span = list(range(last_year - years + 1, last_year + 1))
    yearly = aggregation.layer_counts(dataset, key, ward_codes, span)
    covered = set(aggregation.covered_years(dataset, key))
    yearly["count"] = yearly["count"].where(yearly["financial_year"].isin(covered))
    by_ward = yearly.groupby("ward_code")["count"]
    total = by_ward.sum(min_count=len(span)).reindex(ward_codes)
    if rule.shows_true_values:
        texts = total.map(lambda value: disclosure.NO_DATA if np.isnan(value) else f"{value:,.0f}")
        values, suppressed = total, pd.Series(False, index=total.index)
    else:
        values, texts, suppressed = _stand_ins(yearly, total, span, rule)
    return MeasureValues(key, layer.label, measure_kind(key), aggregation.period_label(dataset, key, last_year, years),
                         values.astype("float64"), texts.astype(object), suppressed.astype(bool),
                         _dataset_ids(dataset, layer), layer.restricted and rule.shows_true_values)


def _stand_ins(yearly: pd.DataFrame, total: pd.Series, span: list[int],
               rule: disclosure.DisclosureRule) -> tuple[pd.Series, pd.Series, pd.Series]:
    """What is ranked, shown and flagged for counts seen through ``rule``. Over one year, a
    suppressed count is the middle of the suppressed range. Over several, a total is the sum of its
    years as shown, each suppressed year as that middle, whatever the true total: a stand-in that
    changed with the true total (2.5 for 1-4, 5 for 5 or more) would say which side of 5 the two
    suppressed years add up to, so hold each to 1-3."""
    middle = rule.smallest_shown / 2
    if len(span) == 1:
        shown = disclosure.disclosed_counts(total, rule)
        return shown["count"].where(~shown["suppressed"], middle), shown["count_text"], shown["suppressed"]
    shown = disclosure.disclosed_counts(total, rule, hidden=disclosure.hidden_by_years(yearly, span, rule),
                                        summed=disclosure.summed_shown(yearly, span, rule))
    shown_years = disclosure.disclosed_counts(yearly["count"], rule)
    by_years = (shown_years["count"].mask(shown_years["suppressed"], middle)
                .groupby(yearly["ward_code"]).sum(min_count=len(span)).reindex(total.index))
    return shown["count"].where(~shown["suppressed"], by_years), shown["count_text"], shown["suppressed"]


def measure_kind(key: str) -> str:
    """Victim-based, offender-based, weapons, forecast risk (or other), for grouping and the record;
    the register and the lists of people as ``settings.LOCALITY_PEOPLE_KINDS`` states, other for
    groups it does not name (a group's name alone does not say whether it is of victims)."""
    if key == FORECAST:
        return RISK
    if key in ("nominals", "people") or key.startswith(aggregation.PEOPLE_PREFIX):
        return settings.LOCALITY_PEOPLE_KINDS.get(key, OTHER)
    if "weapon" in key:
        return WEAPONS
    if key in ("violence-with-injury", "ambulance-all", "ambulance-knife"):
        return VICTIM
    return OTHER


def decision_record(view: LocalityView, *, decided_by: str, role: Role, rationale: str,
                    now: datetime | None = None) -> DecisionRecord:
    """The record of deciding on ``view``'s ranking: what the decider saw, who, when, and why."""
    when = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
    return DecisionRecord(decided_by=decided_by, role=role.name, decided_at=when, rationale=rationale.strip(),
                          districts=view.districts, period=view.period, normalisation=view.normalisation,
                          top_k=view.top_k, samples=view.samples, spread=view.spread, seed=view.seed,
                          restricted_values=view.restricted_values, measures=view.measures, sources=view.sources,
                          ranking=view.ranking, stability=view.stability)


def save_decision(store: Path, view: LocalityView, *, decided_by: str, role: Role, rationale: str,
                  now: datetime | None = None) -> DecisionRecord:
    """Save and audit the record of deciding on ``view`` (:func:`decision_record`) in ``store``
    (``decision_record.save_decision``: saved and audited, or neither), if ``role`` may rank
    locality wards; returns it with its id. An empty rationale is refused: next year's review
    needs to know why."""
    _refuse_unless_allowed(role)
    if not rationale.strip():
        raise LocalityError("Write the rationale first: the record is for next year's review, which needs to know why.")
    return records.save_decision(store, decision_record(view, decided_by=decided_by, role=role, rationale=rationale,
                                                        now=now))


def decisions(store: Path, role: Role, *, show_restricted: bool = False) -> pd.DataFrame:
    """The saved decision records ``role`` may list (``decision_record.list_decisions``): those
    holding restricted true values only with the police switch on."""
    _refuse_unless_allowed(role)
    return records.list_decisions(store, restricted_values=_sees_restricted_values(role, show_restricted))


def decision_files(store: Path, role: Role, decision_id: int, *, show_restricted: bool = False) -> tuple[bytes, bytes]:
    """A saved record's PDF and CSV, as they were written when it was saved, if ``role`` may list it."""
    _refuse_unless_allowed(role)
    if int(decision_id) not in set(decisions(store, role, show_restricted=show_restricted)["decision_id"]):
        raise DisclosureError(f"Decision record {decision_id} holds restricted values: turn on \"Show restricted "
                              "layers\" to download it." if _sees_restricted_values(role, True) else
                              f"The {role.name} role may not download decision record {decision_id}.")
    return records.saved_pdf(store, decision_id), records.saved_csv(store, decision_id)


def contribution_chart(contributions: pd.DataFrame, *, height_per_ward: int = 28) -> alt.Chart:
    """Each ward's score as a bar of its measures' contributions (hidden ones as one grey part).
    Every ward is named in full: Streamlit's theme drops labels it finds overlapping
    (``labelOverlap``), which named only every other ward, so that is off, with room for a label
    in each ward's band."""
    wards = contributions["ward_name"].drop_duplicates().tolist()
    return alt.Chart(contributions).mark_bar().encode(
        y=alt.Y("ward_name:N", sort=wards, title=None, axis=alt.Axis(labelOverlap=False, labelLimit=0)),
        x=alt.X("contribution:Q", title="Contribution to the score"),
        color=alt.Color("measure:N", title=None, legend=alt.Legend(orient="bottom", columns=1, labelLimit=0)),
        tooltip=[alt.Tooltip("ward_name:N", title="Ward"), alt.Tooltip("measure:N", title="Measure"),
                 alt.Tooltip("value:N", title="Value"), alt.Tooltip("contribution:Q", title="Contribution",
                                                                     format="+.3f")],
    ).properties(height=height_per_ward * len(wards))


def _refuse_unless_allowed(role: Role) -> None:
    if not role.rank_locality_wards:
        raise DisclosureError(f"The {role.name} role may not rank locality wards.")


def _sees_restricted_values(role: Role, show_restricted: bool) -> bool:
    return bool(role.restricted_layers and show_restricted)


def _forecast_values(dataset: Dataset, role: Role, ward_codes: list[str], region: pd.DataFrame, *,
                     last_year: int) -> MeasureValues:
    """The prior-two-year rule's chance (percent) of at least one next year, from the whole years
    up to ``last_year`` of ``settings.LOCALITY_FORECAST_LAYER``, pooled over the region, as the
    forecast page gives it to ``role`` (``views.forecast_view`` applies the role)."""
    key = settings.LOCALITY_FORECAST_LAYER
    layer = aggregation.resolve_layer(key)
    whole = [year for year in aggregation.complete_years(dataset, key)[0] if year <= last_year]
    chance = pd.Series(np.nan, index=pd.Index(ward_codes, name="ward_code"))
    if {last_year - 1, last_year} <= set(whole):
        counts = aggregation.layer_counts(dataset, key, region["ward_code"].tolist(), whole).dropna(subset=["count"])
        result = views.forecast_view(counts.rename(columns={"ward_code": "area_code"}).astype({"count": "int64"}),
                                     layer, role, region[region["ward_code"].isin(ward_codes)])
        chance = result.values.reindex(ward_codes).rename_axis("ward_code")
    texts = chance.map(lambda value: disclosure.NO_DATA if np.isnan(value) else f"{value:.0f}%")
    return MeasureValues(FORECAST, f"Forecast risk: chance of at least one in {financial_year_label(last_year + 1)} "
                                   f"({layer.label})", RISK, f"from {window_label(last_year)}",
                         chance.astype("float64"), texts.astype(object), pd.Series(False, index=chance.index),
                         _dataset_ids(dataset, layer), False)


def _dataset_ids(dataset: Dataset, layer: aggregation.Layer) -> frozenset[int]:
    if layer.source == "counts":
        rows = dataset.counts[dataset.counts["layer"].eq(layer.categories[0])]
    elif layer.source == "nominals":
        rows = dataset.nominals
    elif layer.source == "people":
        rows = aggregation.people_of_layer(dataset.people, layer)
    else:
        rows = aggregation.layer_events(dataset.events, layer)
    return frozenset(int(i) for i in rows["dataset_id"].unique())


def _ward_names(chosen: pd.DataFrame) -> dict[str, str]:
    """Ward code -> name, with its district where two chosen wards share a name."""
    shared = chosen["ward_name"].duplicated(keep=False)
    names = chosen["ward_name"].where(~shared, chosen["ward_name"] + " (" + chosen["lad_name"] + ")")
    return dict(zip(chosen["ward_code"], names))


def _ranking_table(ranking: locality.LocalityRanking, measures: list[MeasureValues],
                   names: dict[str, str]) -> pd.DataFrame:
    table = ranking.table.assign(ward_name=ranking.table["ward_code"].map(names))
    columns = {}
    for m in measures:
        codes = table["ward_code"]
        text = m.texts.reindex(codes).to_numpy()
        columns[f"{m.key} value"] = np.where(m.suppressed.reindex(codes).to_numpy(),
                                             [f"{t} (scored as {m.values[c]:g})" for t, c in zip(text, codes)], text)
        columns[f"{m.key} contribution"] = ranking.contributions[m.key].reindex(codes).mask(
            m.suppressed.reindex(codes)).to_numpy()
    out = pd.concat([table[["rank", "ward_code", "ward_name", "score"]], pd.DataFrame(columns, index=table.index)],
                    axis=1)
    return out.astype({"rank": "int64", "score": "float64"})


def _contributions(shown: pd.DataFrame, measures: list[MeasureValues]) -> pd.DataFrame:
    parts = []
    for m in measures:
        contribution = shown[f"{m.key} contribution"]
        parts.append(pd.DataFrame({"ward_name": shown["ward_name"], "measure": m.label, "value": shown[f"{m.key} value"],
                                   "contribution": contribution}))
    long = pd.concat(parts, ignore_index=True)
    hidden = long["contribution"].isna()
    if hidden.any():  # one grey part per ward: the score less its shown parts, from the stand-ins only
        rest = shown.set_index("ward_name")["score"] - long[~hidden].groupby("ward_name")["contribution"].sum().reindex(
            shown["ward_name"]).fillna(0)
        rest = rest[rest.index.isin(long.loc[hidden, "ward_name"])]
        long = pd.concat([long[~hidden], pd.DataFrame({"ward_name": rest.index, "measure": "Suppressed counts (scored "
                                                       "at the middle of their range)", "value": HIDDEN,
                                                       "contribution": rest.to_numpy()})], ignore_index=True)
    return long


def _summary(shown: pd.DataFrame, stability: ranking_stability.RankingStability) -> str:
    """"Top 2: A (score 0.812; in the top 2 in 97% of weightings); B (...)." (tied wards all named)."""
    share = stability.table.set_index("ward_code")["top_k_share"]
    top = shown[shown["rank"] <= stability.k]
    return f"Top {stability.k}: " + "; ".join(
        f"{row.ward_name} (score {row.score:.3f}; in the top {stability.k} in {share[row.ward_code]:.0%} of weightings)"
        for row in top.itertuples()) + "."


def _shares(measures: list[MeasureValues], weights: pd.Series) -> str:
    """"Shares of the score: A 37.5%; B 62.5%. Shares are ..." (``locality.percent_shares``)."""
    shares = locality.percent_shares([float(weights[m.key]) for m in measures])
    return ("Shares of the score: " + "; ".join(f"{m.label} {share:.{locality.SHARE_DECIMALS}f}%"
                                                for m, share in zip(measures, shares)) + ". " + locality.SHARES_NOTE)


def _stability_table(stability: ranking_stability.RankingStability, names: dict[str, str]) -> pd.DataFrame:
    table = stability.table.assign(ward_name=stability.table["ward_code"].map(names))
    return table[["ward_code", "ward_name", "top_k_share", "best_rank", "worst_rank"]].astype(
        {"top_k_share": "float64", "best_rank": "int64", "worst_rank": "int64"})


def _acceptability(stability: ranking_stability.RankingStability, names: dict[str, str]) -> pd.DataFrame:
    """Share of weightings giving each ward each of the first ranks (at most five, or k)."""
    shown = stability.acceptability.loc[stability.table["ward_code"]]
    first = shown.iloc[:, :max(5, stability.k)]
    return first.set_axis([f"rank {rank}" for rank in first.columns], axis=1).set_axis(
        [names[code] for code in first.index], axis=0).rename_axis("ward_name").reset_index()


def _comparison(shown: pd.DataFrame, stability: ranking_stability.RankingStability, measures: list[MeasureValues],
                compared: list[str], names: dict[str, str]) -> pd.DataFrame:
    if not 2 <= len(compared) <= settings.LOCALITY_MAX_COMPARED:
        raise LocalityError(f"Compare 2 to {settings.LOCALITY_MAX_COMPARED} wards side by side; {len(compared)} "
                            "chosen.")
    rows = shown.set_index("ward_code").loc[compared]
    share = stability.table.set_index("ward_code").loc[compared, "top_k_share"]
    table = {"Measure": [m.label for m in measures] + ["Score", "Rank", f"Share of weightings in the top {stability.k}"]}
    for code in compared:
        row = rows.loc[code]
        table[names[code]] = ([row[f"{m.key} value"] for m in measures]
                              + [f"{row['score']:.3f}", f"{row['rank']} of {len(shown)}", f"{share[code]:.0%}"])
    return pd.DataFrame(table)


def _trends(dataset: Dataset, role: Role, measures: list[MeasureValues], compared: list[str],
            names: dict[str, str]) -> dict[str, pd.DataFrame]:
    """By measure label, each compared ward's count per financial year (every year with data), as
    the role sees it; the forecast, a single year's chance, has no trend."""
    trends = {}
    for m in measures:
        if m.key == FORECAST or not compared:
            continue
        layer = aggregation.resolve_layer(m.key)
        years = aggregation.covered_years(dataset, m.key)
        points = aggregation.layer_counts(dataset, m.key, compared, years).dropna(subset=["count"])
        shown = disclosure.disclosed_counts(points["count"].astype("int64"), disclosure.rule_for(layer, role))
        trends[m.label] = pd.DataFrame({"label": points["ward_code"].map(names), "financial_year": points["financial_year"],
                                        "count": shown["count"], "count_text": shown["count_text"],
                                        "suppressed": shown["suppressed"]}).reset_index(drop=True)
    return trends


def _sources(measures: list[MeasureValues], inventory: pd.DataFrame | None) -> pd.DataFrame:
    ids = sorted(set().union(*(m.dataset_ids for m in measures)))
    columns = ["dataset_id", "kind", "original_name", "imported_at", "synthetic"]
    if inventory is None or inventory.empty:
        return pd.DataFrame({"dataset_id": pd.Series(ids, dtype="int64"), "kind": "", "original_name": "",
                             "imported_at": "", "synthetic": pd.Series(False, index=range(len(ids)), dtype=bool)})
    rows = inventory.set_index("dataset_id").reindex(ids)
    return pd.DataFrame({"dataset_id": pd.Series(ids, dtype="int64"), "kind": rows["kind"].fillna("").astype(str).to_numpy(),
                         "original_name": rows["original_name"].fillna("").astype(str).to_numpy(),
                         "imported_at": [f"{t:%Y-%m-%d %H:%M}" if pd.notna(t) else "" for t in rows["imported_at"]],
                         "synthetic": rows["synthetic"].fillna(False).astype(bool).to_numpy()})[columns]


def _notes(measures: list[MeasureValues], values: pd.DataFrame) -> list[str]:
    notes = []
    suppressed = [m.label for m in measures if m.suppressed.any()]
    if suppressed:
        notes.append(f"Small counts are suppressed for your role in {'; '.join(suppressed)}: a suppressed count is "
                     "scored as the middle of its range (2.5 for fewer than 5) and its contribution is hidden.")
    for m in measures:
        lacking = int(values[m.key].isna().sum())
        if lacking:
            notes.append(f"{lacking} ward(s) have no value for {m.label}: they score lowest on it.")
    return notes
