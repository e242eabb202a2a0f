import numpy as np
import pandas as pd
import pytest

from hotspots import cli, forecast, readers
from hotspots._errors import CountTableError, ImportFileError


def _table(counts: dict[str, list[int]], first_year: int = 2014) -> pd.DataFrame:
    rows = [(area, first_year + i, n) for area, series in counts.items() for i, n in enumerate(series)]
    return pd.DataFrame(rows, columns=["area_code", "financial_year", "count"])


def test_rule_by_hand():
    counts = _table({"A": [3, 3, 2, 0], "B": [0, 0, 0, 1], "C": [1, 0, 1, 2], "D": [0, 4, 0, 0]})
    pairs = forecast.prior_two_year_pairs(counts)
    # targets 2016 and 2017: A 6->2, 5->0; B 0->0, 0->1; C 1->1, 1->2; D 4->0, 4->0
    assert len(pairs) == 8
    table = forecast.rule_band_table(pairs).set_index("band")
    assert table.loc["0", ["ward_years", "with_outcome"]].tolist() == [2, 1]
    assert table.loc["1-2", ["ward_years", "with_outcome", "with_two_or_more"]].tolist() == [2, 2, 1]
    assert table.loc["3-5", ["ward_years", "with_outcome"]].tolist() == [3, 0]
    assert table.loc["6+", ["ward_years", "with_outcome"]].tolist() == [1, 1]
    low, high = table.loc["0", ["lower", "upper"]]
    assert low == pytest.approx(0.0945, abs=1e-3) and high == pytest.approx(0.9055, abs=1e-3)  # Wilson, 1 of 2


def test_forecast_applies_latest_two_years_and_explains():
    counts = _table({"A": [3, 3, 2, 0], "B": [0, 0, 0, 1], "C": [1, 0, 1, 2], "D": [0, 4, 0, 0]})
    result = forecast.forecast_rule(counts)
    assert result.target_year == 2018
    areas = result.areas.set_index("area_code")
    assert areas.loc["A", "prior_two_year_count"] == 2 and areas.loc["A", "band"] == "1-2"
    assert areas.loc["A", "probability"] == pytest.approx(1.0)
    assert areas.loc["A", "risk_band"] == "70%+"
    assert areas.loc["D", "band"] == "0" and areas.loc["D", "risk_band"] == "50-70%"  # 1 of 2
    assert areas.loc["A", "explanation"].startswith("2 in 2016/17-2017/18, band 1-2: 2 of 2 such ward-years (100%")


def test_band_probabilities_converge_to_the_poisson_mixture():
    rng = np.random.default_rng(3)
    rates = rng.gamma(0.6, 1.5, 4000)
    counts = pd.DataFrame({"area_code": np.repeat([f"W{i}" for i in range(4000)], 6),
                           "financial_year": np.tile(np.arange(2010, 2016), 4000),
                           "count": rng.poisson(np.repeat(rates, 6))})
    pairs = forecast.prior_two_year_pairs(counts)
    table = forecast.rule_band_table(pairs).set_index("band")
    pair_rates = pd.Series(rates, index=[f"W{i}" for i in range(4000)]).reindex(pairs["area_code"]).to_numpy()
    for band in ["0", "1-2", "3-5", "6+"]:
        in_band = (pairs["band"] == band).to_numpy()
        analytic = np.mean(1 - np.exp(-pair_rates[in_band]))
        assert table.loc[band, "probability"] == pytest.approx(analytic, abs=0.02), band
        assert table.loc[band, "lower"] < analytic < table.loc[band, "upper"]


def test_edge_cases_are_reported():
    with pytest.raises(CountTableError, match="at least three consecutive financial years"):
        forecast.forecast_rule(_table({"A": [1], "B": [0]}))
    zeros = forecast.forecast_rule(_table({"A": [0, 0, 0, 0], "B": [0, 0, 0, 0]}))
    assert any("every count is zero" in note for note in zeros.notes)
    empty_band = forecast.forecast_rule(_table({"A": [1, 0, 1, 0], "B": [0, 0, 0, 0]}))
    assert any("band(s) 3-5, 6+ have no ward-years" in note for note in empty_band.notes)
    moving = _table({"A": [1, 2, 1, 3], "B": [0, 1, 0, 1]})
    moving = moving[~((moving["area_code"] == "B") & (moving["financial_year"] == 2017))]
    moving = pd.concat([moving, _table({"N": [2, 2]}, first_year=2016)])
    result = forecast.forecast_rule(moving)
    assert result.not_forecast.set_index("area_code").loc["B", "reason"] == "no count for 2017/18"
    assert "N" in set(result.areas["area_code"])
    assert any("appear or disappear" in note for note in result.notes)
    with pytest.raises(ValueError, match="Bands must start at 0"):
        forecast.band_of(pd.Series([1]), ((1, 2), (3, None)))


@pytest.mark.parametrize("content, message", [
    ("area_code,period,count\nW1,2018/19,1.5\n", r"line 2, column 'count': '1.5': not a whole number"),
    ("area_code,period,count\nW1,2018/19,-1\n", r"line 2, column 'count': '-1': below 0"),
    ("area_code,period,count\nW1,2018/19,1\nW1,2018/20,1\n", r"line 3, column 'period': '2018/20': not a financial year"),
    ("area_code,period,count\nW1,2018/19,1\nW1,2018/19,2\n",
     r"line 3, column 'period': '2018/19 \(first on line 2\)': repeats an earlier row"),
    ("area,period,count\nW1,2018/19,1\n", "missing required column area_code"),
    ("area_code,period,count\n", "has a header but no data rows"),
])
def test_bad_count_tables_name_line_and_column(tmp_path, content, message):
    path = tmp_path / "counts.csv"
    path.write_text(content)
    with pytest.raises(ImportFileError, match=f"^counts.csv, {message}|^counts.csv.*{message}"):
        readers.count_table(path)


def test_cli_forecast_writes_every_area_with_both_prior_years(tmp_path):
    counts = tmp_path / "counts.csv"
    rows = ["ward_code,period,count,extra"] + [f"W{w},{y}/{(y + 1) % 100:02d},{(w * y) % 4},x"
                                                for w in range(5) for y in range(2014, 2019)]
    counts.write_text("\n".join(rows) + "\n")
    out = tmp_path / "out.csv"
    assert cli.main(["forecast", "--counts", str(counts), "--target", "2019/20", "--out", str(out)]) == 0
    written = pd.read_csv(out)
    assert list(written.columns[:7]) == ["area_code", "prior_two_year_count", "band", "probability", "lower", "upper", "risk_band"]
    assert len(written) == 5


def test_cli_forecast_adds_expected_counts_when_asked(tmp_path):
    rng = np.random.default_rng(9)
    rows = ["area_code,period,count"] + [f"W{w},{y}/{(y + 1) % 100:02d},{rng.poisson(1 + w % 5)}"
                                         for w in range(60) for y in range(2014, 2020)]
    counts = tmp_path / "counts.csv"
    counts.write_text("\n".join(rows) + "\n")
    out = tmp_path / "out.csv"
    assert cli.main(["forecast", "--counts", str(counts), "--out", str(out), "--expected-counts"]) == 0
    written = pd.read_csv(out)
    assert list(written.columns[-4:]) == ["expected_count", "count_low", "count_high", "probability_two_or_more"]
    assert len(written) == 60 and (written["count_low"] <= written["count_high"]).all()
    assert written["probability_two_or_more"].between(0, 1).all()
    assert cli.main(["forecast", "--counts", str(counts), "--out", str(out)]) == 0
    assert "expected_count" not in pd.read_csv(out).columns  # only when asked


def test_cli_bad_counts_exit_2(tmp_path, capsys):
    counts = tmp_path / "counts.csv"
    counts.write_text("area_code,period,count\nW1,2018/19,many\n")
    assert cli.main(["forecast", "--counts", str(counts), "--out", str(tmp_path / "o.csv")]) == 2
    assert "counts.csv, line 2, column 'count'" in capsys.readouterr().err

