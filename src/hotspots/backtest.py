"""Rolling-origin backtest of the prior-two-year rule against other forecasts of P(at least one).

For each target year Y, every model is fitted only on (area, year) rows whose year is before Y,
then scored on year Y. Models: ``rule`` (the report's bands), ``persistence`` (P(outcome | at
least one last year), learned), ``poisson`` and ``negative_binomial`` (regression on the two
lagged counts, with a log-population offset when population is given), ``empirical_bayes``
(Poisson-gamma smoothing of each area's whole history), ``spatial_lag`` (Poisson plus the
neighbours' prior two-year counts, when neighbours are given) and ``logistic`` (the direct
probability model: logistic regression of at least one on the log of each of the last five
years' counts, fewer where the data are shorter, with the population and the neighbours' prior
counts where given).

Every model's chances are also recalibrated on earlier origins only (:mod:`hotspots.calibration`):
the backtest scores raw and recalibrated chances side by side.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import sparse
from scipy.stats import rankdata, spearmanr

from hotspots import calibration, forecast, settings
from hotspots.periods import financial_year_label

METRICS = ("brier", "log_loss", "auc", "hit_rate", "pai", "n", "brier_recalibrated", "log_loss_recalibrated")
#: Lag columns of :func:`model_rows`: lag1 is last year's count, lag5 five years before the target.
LAGS = ("lag1", "lag2", "lag3", "lag4", "lag5")


@dataclass(frozen=True)
class BacktestResult:
    """Per model and target year: ``metrics``; per row: ``predictions`` (``probability`` and
    ``recalibrated``, NaN in a model's first target year); ``calibration`` by ``version`` (raw,
    recalibrated) over the target years that have both; plus the rule's bands."""

    metrics: pd.DataFrame
    predictions: pd.DataFrame
    calibration: pd.DataFrame
    rule_bands: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def model_rows(counts: pd.DataFrame, *, population: pd.DataFrame | None = None,
               neighbours: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """One row per (area, year) with both lagged counts: outcome, lags (lag3-lag5 NaN where the
    data are shorter), exposure and history."""
    wide = counts.pivot(index="area_code", columns="financial_year", values="count").sort_index(axis=1)
    rows = []
    for year in wide.columns:
        if year - 1 not in wide.columns or year - 2 not in wide.columns:
            continue
        lags = {f"lag{lag}": wide[year - lag] if year - lag in wide.columns else np.nan for lag in range(1, len(LAGS) + 1)}
        frame = pd.DataFrame({"y": wide[year], **lags}).dropna(subset=["y", "lag1", "lag2"])
        earlier = wide.loc[frame.index, [c for c in wide.columns if c < year]]
        frame["history_total"], frame["history_years"] = earlier.sum(axis=1), earlier.notna().sum(axis=1)
        frame["target_year"] = year
        rows.append(frame.rename_axis("area_code").reset_index())
    design = pd.concat(rows, ignore_index=True)
    design["prior2"] = design["lag1"] + design["lag2"]
    design["exposure"] = _exposure(design, population)
    if neighbours is not None:
        design["neighbour_prior2"] = _neighbour_mean(design, neighbours)
    return design


def backtest(counts: pd.DataFrame, *, population: pd.DataFrame | None = None,
             neighbours: dict[str, list[str]] | None = None, area_sizes: pd.Series | None = None,
             top_share: float = 0.1, bands=forecast.DEFAULT_BANDS,
             models: tuple[str, ...] | None = None) -> BacktestResult:
    """Score every model (or those named) on every target year with an earlier target year to learn from."""
    design = model_rows(counts, population=population, neighbours=neighbours)
    notes = [] if population is not None else ["no population: regressions have no offset"]
    if neighbours is None:
        notes.append("no boundaries: the spatial-lag model is left out")
    if area_sizes is None:
        notes.append("no boundaries: PAI uses the share of areas flagged, not of land area")
    unknown = set(models or ()) - set(MODELS)
    if unknown:
        raise ValueError(f"Unknown model(s) {', '.join(sorted(unknown))}; choose from {', '.join(MODELS)}.")
    models = {name: model for name, model in MODELS.items()
              if (models is None or name in models) and (name != "spatial_lag" or neighbours is not None)}
    targets = sorted(design["target_year"].unique())[1:]
    if not targets:
        raise forecast.CountTableError(
            "The backtest needs at least four consecutive financial years: the rule's three, and one more so "
            "that every model learns from an earlier year before the year it forecasts.")
    predictions = []
    for year in targets:
        train, test = design[design["target_year"] < year], design[design["target_year"] == year]
        for name, model in models.items():
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    probability = np.clip(model(train, test, bands), 1e-6, 1 - 1e-6)
                except np.linalg.LinAlgError as error:  # e.g. nearly all-zero counts: a singular Hessian
                    notes.append(f"{name}, {financial_year_label(year)}: left out, it could not be fitted ({error})")
                    continue
                finally:
                    notes.extend(f"{name}, {financial_year_label(year)}: {w.message}" for w in caught)
            predictions.append(test[["area_code", "target_year", "y"]].assign(model=name, probability=probability))
    predictions = pd.concat(predictions, ignore_index=True)
    predictions["recalibrated"] = calibration.recalibrate_by_origin(predictions)
    if predictions["recalibrated"].isna().all():
        notes.append("one backtest year only: nothing earlier to recalibrate on, so no recalibrated scores")
    metrics = _metrics(predictions, area_sizes, top_share)
    calibration_rows = compared_rows(predictions)
    by_bin = pd.concat([calibration_table(calibration_rows).assign(version="raw"),
                        calibration_table(calibration_rows, column="recalibrated").assign(version="recalibrated")],
                       ignore_index=True)
    rule_bands = _rule_band_table(design, bands)
    return BacktestResult(metrics, predictions, by_bin, rule_bands, notes)


def forecast_with_model(counts: pd.DataFrame, model: str, *, target_year: int,
                        population: pd.DataFrame | None = None,
                        neighbours: dict[str, list[str]] | None = None, recalibrate: bool = False) -> pd.DataFrame:
    """P(at least one in ``target_year``) per area from one model fitted on every earlier year.

    With ``recalibrate``, the chances go through a map fitted on the model's own backtest
    predictions of every earlier target year (:func:`calibration.fit_recalibration`).
    Returns ``area_code, probability`` for areas with counts for both prior years.
    """
    if model not in MODELS:
        raise ValueError(f"Unknown model {model!r}; choose from {', '.join(MODELS)}.")
    train, test = forecast_design(counts, target_year, population=population, neighbours=neighbours)
    try:
        probability = np.asarray(MODELS[model](train, test.assign(y=np.nan), forecast.DEFAULT_BANDS))
    except np.linalg.LinAlgError as error:
        raise forecast.CountTableError(f"the {model} model cannot be fitted to these counts ({error}).") from error
    if recalibrate:
        past = backtest(counts[counts["financial_year"] < target_year], population=population, neighbours=neighbours,
                        models=(model,)).predictions
        mapping = calibration.fit_recalibration(past["probability"].to_numpy(), (past["y"] >= 1).to_numpy())
        probability = mapping(np.clip(probability, 1e-6, 1 - 1e-6))
    return pd.DataFrame({"area_code": test["area_code"].to_numpy(), "probability": probability})


def forecast_design(counts: pd.DataFrame, target_year: int, *, population: pd.DataFrame | None = None,
                    neighbours: dict[str, list[str]] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`model_rows` for fitting on every target year before ``target_year`` (``train``) and
    for forecasting it (``test``: one row per area with counts for both prior years; ``y`` unknown)."""
    history = counts[counts["financial_year"] < target_year]
    latest = history[history["financial_year"] == target_year - 1]
    # A placeholder year lets model_rows build the lags; its counts are never read.
    placeholder = latest.assign(financial_year=target_year, count=0)
    if population is not None and not (population["financial_year"] == target_year).any():
        last = population[population["financial_year"] == population["financial_year"].max()]
        population = pd.concat([population, last.assign(financial_year=target_year)])
    design = model_rows(pd.concat([history, placeholder]), population=population, neighbours=neighbours)
    return design[design["target_year"] < target_year], design[design["target_year"] == target_year]


def predictor_comparison(counts: pd.DataFrame, deprivation: pd.Series, *, target_year: int) -> pd.DataFrame:
    """As the report did: how well deprivation and the prior two-year count each predict ``target_year``.

    ``deprivation`` is indexed by area code. Returns one row per predictor with the Spearman
    correlation against the count and the ROC AUC for at least one.
    """
    wide = counts.pivot(index="area_code", columns="financial_year", values="count")
    frame = pd.DataFrame({"outcome": wide[target_year], "prior": wide[target_year - 1] + wide[target_year - 2],
                          "deprivation": deprivation.reindex(wide.index)}).dropna()
    outcome = (frame["outcome"] >= 1).to_numpy(dtype=float)
    rows = []
    for name, column in (("prior two-year count", "prior"), ("deprivation score", "deprivation")):
        rows.append({"predictor": name, "spearman": float(spearmanr(frame[column], frame["outcome"]).statistic),
                     "auc": roc_auc(outcome, frame[column].to_numpy(dtype=float)), "areas": len(frame)})
    return pd.DataFrame(rows)


def metrics_json(result: BacktestResult) -> dict:
    """The METRICS.json shape: models -> by_target and mean; rule_bands."""
    by_model = {}
    for name, rows in result.metrics.groupby("model", sort=False):
        by_target = {financial_year_label(int(r.target_year)): {m: _plain(getattr(r, m)) for m in METRICS}
                     for r in rows.itertuples()}
        by_model[name] = {"by_target": by_target, "mean": {m: _plain(rows[m].mean()) for m in METRICS}}
    bands = result.rule_bands[["band", "ward_years", "with_outcome", "probability", "lower", "upper"]]
    return {"models": by_model, "rule_bands": [{k: _plain(v) for k, v in row.items()} for row in bands.to_dict("records")],
            "calibration": [{k: _plain(v) for k, v in row.items()} for row in result.calibration.to_dict("records")],
            "notes": result.notes}


def brier_score(outcome: np.ndarray, probability: np.ndarray) -> float:
    """Mean squared difference between probability and the 0/1 outcome."""
    return float(np.mean((probability - outcome) ** 2))


def log_loss(outcome: np.ndarray, probability: np.ndarray) -> float:
    """Mean negative log-likelihood of the 0/1 outcome."""
    p = np.clip(probability, 1e-15, 1 - 1e-15)
    return float(-np.mean(outcome * np.log(p) + (1 - outcome) * np.log(1 - p)))


def roc_auc(outcome: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney, ties counted half); NaN with one class only."""
    positives = int(outcome.sum())
    negatives = len(outcome) - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    ranks = rankdata(score)
    return float((ranks[outcome == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def hit_rate_and_pai(events: np.ndarray, probability: np.ndarray, sizes: np.ndarray, top_share: float) -> tuple[float, float]:
    """Share of events in the top ``top_share`` of areas by probability, and that share over the share of area flagged."""
    k = max(1, math.ceil(top_share * len(events)))
    flagged = np.argsort(-probability, kind="stable")[:k]
    total = events.sum()
    hit = float(events[flagged].sum() / total) if total else float("nan")
    return hit, hit / float(sizes[flagged].sum() / sizes.sum())


def calibration_table(predictions: pd.DataFrame, bins: int | None = None, *, column: str = "probability") -> pd.DataFrame:
    """Per model and probability bin (``settings.CALIBRATION_BINS`` equal widths) of ``column``:
    mean predicted, share observed, how many rows, and ``gap`` (observed minus predicted)."""
    bins = settings.CALIBRATION_BINS if bins is None else bins
    predictions = predictions[predictions[column].notna()]
    position = np.minimum((predictions[column].to_numpy() * bins).astype(int), bins - 1)
    labels = np.array([f"{i / bins:.0%}-{(i + 1) / bins:.0%}" for i in range(bins)])
    binned = predictions.assign(observed=(predictions["y"] >= 1).astype(float), position=position)
    table = binned.groupby(["model", "position"], sort=False).agg(  # by number, then labelled: faster than by text
        predicted=(column, "mean"), observed=("observed", "mean"), n=("y", "size")).reset_index()
    table.insert(1, "bin", labels[table.pop("position").to_numpy()])
    return table.assign(gap=table["observed"] - table["predicted"]).sort_values(["model", "predicted"], ignore_index=True)


def compared_rows(predictions: pd.DataFrame) -> pd.DataFrame:
    """The predictions that have a recalibrated chance (every target year after a model's first),
    so that raw and recalibrated are scored on the same ward-years; all of them when none has
    (a backtest of one target year: nothing earlier to recalibrate on)."""
    recalibrated = predictions["recalibrated"].notna()
    return predictions[recalibrated] if recalibrated.any() else predictions


def _rule(train, test, bands):
    table = _rule_band_table(train, bands).set_index("band")
    pooled = (train["y"] >= 1).mean()
    # A band with no training ward-years falls back to the pooled rate (reported by forecast_rule).
    return forecast.band_of(test["prior2"], bands).map(table["probability"]).fillna(pooled).to_numpy()


def _rule_band_table(rows: pd.DataFrame, bands) -> pd.DataFrame:
    """The rule's band table from model rows, which are exactly the rule's (area, target year) pairs."""
    pairs = pd.DataFrame({"band": forecast.band_of(rows["prior2"], bands).to_numpy(),  # only the two columns
                          "outcome_count": rows["y"].to_numpy()})  # it reads, not a copy of every row's columns
    return forecast.rule_band_table(pairs, bands)


def _persistence(train, test, _bands):
    rates = (train["y"] >= 1).groupby(train["lag1"] >= 1).mean()
    return (test["lag1"] >= 1).map(rates).fillna((train["y"] >= 1).mean()).to_numpy()


def _features(rows: pd.DataFrame, spatial: bool = False) -> np.ndarray:
    columns = [np.log1p(rows["lag1"]), np.log1p(rows["lag2"])]
    if spatial:
        columns.append(np.log1p(rows["neighbour_prior2"]))
    return sm.add_constant(np.column_stack(columns), has_constant="add")


def _poisson(train, test, _bands, spatial=False):
    fitted = sm.GLM(train["y"].to_numpy(), _features(train, spatial), family=sm.families.Poisson(),
                    offset=np.log(train["exposure"])).fit()
    mean = fitted.predict(_features(test, spatial), offset=np.log(test["exposure"]))
    return 1 - np.exp(-np.asarray(mean))


def _negative_binomial(train, test, _bands):
    fitted = sm.NegativeBinomial(train["y"].to_numpy(), _features(train), offset=np.log(train["exposure"])).fit(disp=0, maxiter=200)
    alpha = float(np.asarray(fitted.params)[-1])
    mean = np.asarray(fitted.predict(_features(test), offset=np.log(test["exposure"])))
    return 1 - (1 + alpha * mean) ** (-1 / alpha)


def _logistic(train, test, _bands):
    lags = usable_lags(train, test)
    train = train[train[list(lags)].notna().all(axis=1)]  # only target years with all those lags
    with_population = train["exposure"].nunique() > 1
    fitted = sm.GLM((train["y"] >= 1).to_numpy(dtype=float), _logistic_features(train, lags, with_population),
                    family=sm.families.Binomial()).fit()
    return np.asarray(fitted.predict(_logistic_features(test, lags, with_population)))


def usable_lags(train: pd.DataFrame, test: pd.DataFrame) -> tuple[str, ...]:
    """The most lag columns (up to five) that both some training rows and the forecast rows have."""
    def most(rows: pd.DataFrame) -> int:
        present = rows[list(LAGS)].notna().to_numpy()
        return int(np.cumprod(present, axis=1).sum(axis=1).max())
    return LAGS[:min(most(train), most(test))]


def lag_features(rows: pd.DataFrame, lags: tuple[str, ...]) -> np.ndarray:
    """log1p of each lag, a lag an area lacks (it appeared later) taken as the mean of those it has;
    plus the log1p of the neighbours' prior two-year count where neighbours were given."""
    counts = rows[list(lags)]
    counts = counts.apply(lambda column: column.fillna(counts.mean(axis=1)))
    columns = [np.log1p(counts.to_numpy(dtype=float))]
    if "neighbour_prior2" in rows:
        columns.append(np.log1p(rows[["neighbour_prior2"]].to_numpy(dtype=float)))
    return np.column_stack(columns)


def _logistic_features(rows: pd.DataFrame, lags: tuple[str, ...], with_population: bool) -> np.ndarray:
    # Population enters as a covariate, not an offset: on the logit scale its effect is not fixed at 1.
    columns = [lag_features(rows, lags)] + ([np.log(rows[["exposure"]].to_numpy())] if with_population else [])
    return sm.add_constant(np.column_stack(columns), has_constant="add")


def _empirical_bayes(train, test, _bands):
    # Gamma(a, b) prior on each area's yearly rate per unit exposure, by moments over training areas.
    latest = train[train["target_year"] == train["target_year"].max()]
    exposure_years = latest["exposure"] * (latest["history_years"] + 1)
    rates = (latest["history_total"] + latest["y"]) / exposure_years
    mean = rates.mean()
    between = max(rates.var() - (mean / exposure_years).mean(), 1e-9)
    shape, scale_rate = mean**2 / between, mean / between
    exposure_seen = test["exposure"] * test["history_years"]
    shape_post, rate_post = shape + test["history_total"], scale_rate + exposure_seen
    return (1 - (rate_post / (rate_post + test["exposure"])) ** shape_post).to_numpy()


MODELS = {
    "rule": _rule,
    "persistence": _persistence,
    "poisson": _poisson,
    "negative_binomial": _negative_binomial,
    "empirical_bayes": _empirical_bayes,
    "spatial_lag": lambda train, test, bands: _poisson(train, test, bands, spatial=True),
    "logistic": _logistic,
}


def _metrics(predictions: pd.DataFrame, area_sizes: pd.Series | None, top_share: float) -> pd.DataFrame:
    rows = []
    for (name, year), group in predictions.groupby(["model", "target_year"], sort=False):
        outcome, probability = (group["y"] >= 1).to_numpy(dtype=float), group["probability"].to_numpy()
        sizes = np.ones(len(group)) if area_sizes is None else area_sizes.reindex(group["area_code"]).to_numpy(dtype=float)
        hit, pai = hit_rate_and_pai(group["y"].to_numpy(dtype=float), probability, sizes, top_share)
        recalibrated = group["recalibrated"].to_numpy()
        scored = not np.isnan(recalibrated).any()
        rows.append({"model": name, "target_year": year, "brier": brier_score(outcome, probability),
                     "log_loss": log_loss(outcome, probability), "auc": roc_auc(outcome, probability),
                     "hit_rate": hit, "pai": pai, "n": len(group),
                     "brier_recalibrated": brier_score(outcome, recalibrated) if scored else np.nan,
                     "log_loss_recalibrated": log_loss(outcome, recalibrated) if scored else np.nan})
    return pd.DataFrame(rows)


def _exposure(design: pd.DataFrame, population: pd.DataFrame | None) -> np.ndarray:
    if population is None:
        return np.ones(len(design))
    people = population.set_index(["area_code", "financial_year"])["population"]
    found = people.reindex(pd.MultiIndex.from_arrays([design["area_code"], design["target_year"]])).to_numpy(dtype=float)
    fallback = population.groupby("area_code")["population"].mean().reindex(design["area_code"]).to_numpy(dtype=float)
    exposure = np.where(np.isnan(found), fallback, found) / 1000
    if np.isnan(exposure).any():
        missing = sorted(set(design.loc[np.isnan(exposure), "area_code"]))[:5]
        raise forecast.CountTableError(f"No population for area(s) {', '.join(missing)}: give every area a population.")
    return exposure


def _neighbour_mean(design: pd.DataFrame, neighbours: dict[str, list[str]]) -> np.ndarray:
    """Mean prior two-year count of each row's neighbours in the same target year (0 without any)."""
    codes = pd.Index(sorted(set(design["area_code"]) | {n for ns in neighbours.values() for n in ns}))
    pairs = [(codes.get_loc(a), codes.get_loc(b)) for a, ns in neighbours.items() if a in codes for b in ns]
    rows, cols = np.array(pairs, dtype=int).reshape(-1, 2).T
    adjacency = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(codes), len(codes)))
    out = np.zeros(len(design))
    for year, group in design.groupby("target_year"):
        prior, present = np.zeros(len(codes)), np.zeros(len(codes))
        where = codes.get_indexer(group["area_code"])
        prior[where], present[where] = group["prior2"].to_numpy(dtype=float), 1.0
        totals, counted = adjacency @ prior, adjacency @ present
        out[group.index] = np.divide(totals, counted, out=np.zeros(len(codes)), where=counted > 0)[where]
    return out


def _plain(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if np.isnan(value) else float(value)
    return value
