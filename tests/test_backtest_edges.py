"""The backtest on counts too sparse for a model: the model is left out with a note, nothing crashes."""

import pandas as pd
import pytest

from hotspots import backtest
from hotspots._errors import CountTableError


def _sparse_counts() -> pd.DataFrame:
    """20 areas over five years, all zero but two areas in alternate years: a singular negative binomial fit."""
    return pd.DataFrame([(f"A{i:02d}", year, int(i < 2 and year % 2)) for i in range(20) for year in range(2017, 2022)],
                        columns=["area_code", "financial_year", "count"])


def test_a_model_that_cannot_be_fitted_is_left_out_with_a_note():
    result = backtest.backtest(_sparse_counts())
    left_out = [note for note in result.notes if "left out, it could not be fitted" in note]
    assert left_out and all(note.startswith("negative_binomial") for note in left_out)
    scored = set(result.metrics["model"])
    assert "rule" in scored and len(result.metrics) == len(result.metrics.drop_duplicates(["model", "target_year"]))


def test_forecasting_with_a_model_that_cannot_be_fitted_says_so():
    three_years = _sparse_counts().query("financial_year <= 2019")
    with pytest.raises(CountTableError, match="the negative_binomial model cannot be fitted to these counts"):
        backtest.forecast_with_model(three_years, "negative_binomial", target_year=2020)
