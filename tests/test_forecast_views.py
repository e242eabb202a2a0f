"""views.forecast_view and views.forecast_evidence_view enforce who gets the models, the
recalibration, the expected counts and the backtest's evidence: true-count roles only."""

import numpy as np
import pandas as pd
import pytest

from hotspots import aggregation, geography, roles, views
from hotspots._errors import DisclosureError

COUNT_COLUMNS = {"expected_count", "count_low", "count_high", "probability_two_or_more"}


@pytest.fixture(scope="module")
def region():
    wards = geography.wards()
    rng = np.random.default_rng(6)
    rates = rng.gamma(0.8, 2.0, len(wards))
    counts = pd.DataFrame({"area_code": np.repeat(wards["ward_code"].to_numpy(), 6),
                           "financial_year": np.tile(np.arange(2016, 2022), len(wards)),
                           "count": rng.poisson(np.repeat(rates, 6))})
    return counts, wards[wards["lad_code"] == "E06000034"][["ward_code", "ward_name"]]


LAYER = aggregation.resolve_layer("violence-with-injury")


@pytest.mark.parametrize("role", ["councillor", "public"])
def test_suppressed_roles_get_no_expected_counts_recalibration_or_evidence(region, role):
    counts, thurrock = region
    shown = views.forecast_view(counts, LAYER, roles.role(role), thurrock)
    assert not COUNT_COLUMNS & set(shown.table.columns) and not COUNT_COLUMNS & set(shown.download.columns)
    assert shown.report_beside is None  # its 3-5 and 6+ bands would narrow a "fewer than 5"
    with pytest.raises(DisclosureError, match="not offered with small counts suppressed"):
        views.forecast_view(counts, LAYER, roles.role(role), thurrock, recalibrated=True)
    with pytest.raises(DisclosureError, match="Only the prior-two-year rule is offered"):
        views.forecast_view(counts, LAYER, roles.role(role), thurrock, model="logistic")
    with pytest.raises(DisclosureError, match="not offered with small counts suppressed"):
        views.forecast_evidence_view(counts, LAYER, roles.role(role))


def test_police_get_expected_counts_recalibrated_chances_and_the_evidence(region):
    counts, thurrock = region
    police = roles.role("police")
    shown = views.forecast_view(counts, LAYER, police, thurrock, model="logistic", recalibrated=True)
    assert COUNT_COLUMNS <= set(shown.table.columns) and shown.recalibrated and shown.model == "logistic"
    assert shown.table["chosen"].between(0, 100).all() and shown.table["probability_two_or_more"].between(0, 100).all()
    raw = views.forecast_view(counts, LAYER, police, thurrock, model="logistic")
    assert not np.allclose(raw.table.set_index("ward_name")["chosen"],
                           shown.table.set_index("ward_name")["chosen"].reindex(raw.table["ward_name"]))
    assert set(shown.download.columns) >= COUNT_COLUMNS | {"ward_code", "target_year", "model"}
    evidence = views.forecast_evidence_view(counts, LAYER, police)
    assert evidence.best_model == evidence.ranking["model"].iloc[0] and not evidence.no_backtest
    assert set(evidence.calibration["model"]) == {evidence.best_model, "rule"}
    assert evidence.calibration.loc[evidence.calibration["counted"], "n"].ge(50).all()
    assert shown.report_beside["published"].tolist() == [100.0, 72.0]


@pytest.mark.parametrize("role", ["councillor", "public"])
def test_the_deprivation_check_is_for_true_count_roles_only(region, role):
    """Its Spearman correlation and AUC rank every ward by its exact prior count."""
    counts, _ = region
    deprivation = pd.Series(np.arange(len(geography.wards()), dtype=float), index=geography.wards()["ward_code"])
    with pytest.raises(DisclosureError, match="deprivation check are not offered"):
        views.deprivation_check_view(counts, deprivation, LAYER, roles.role(role), target_year=2021)
    shown = views.deprivation_check_view(counts, deprivation, LAYER, roles.role("partner"), target_year=2021)
    assert shown["predictor"].tolist() == ["prior two-year count", "deprivation score"]
