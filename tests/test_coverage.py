"""Partial periods say so: which months each source covers, and whole years for forecasts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hotspots import aggregation, coverage, importing, loading
from signed_in import dashboard

EXTRACT = "crime_reference,offence_date,offence_group,victim_age,domestic,lsoa_code\n"


def test_police_uk_covers_its_months_and_an_extract_its_span() -> None:
    table = pd.DataFrame({"source": ["police-uk"] * 3 + ["police"] * 2, "force": ["Essex Police"] * 3 + [""] * 2,
                          "date": pd.to_datetime(["2023-01-01", "2023-03-01", "2023-03-01", "2022-11-20",
                                                  "2023-01-03"])})
    covered = coverage.of_rows("events", table)
    essex = covered[covered["source"].eq("police-uk")]
    assert essex["month"].dt.strftime("%Y-%m").tolist() == ["2023-01", "2023-03"]  # no February file: not covered
    assert essex["rows"].tolist() == [1, 2]
    extract = covered[covered["source"].eq("police")]
    assert extract["month"].dt.strftime("%Y-%m").tolist() == ["2022-11", "2022-12", "2023-01"]
    assert extract["rows"].tolist() == [1, 0, 1]  # a month inside an extract's span with nothing in it: zero


def test_a_financial_year_is_labelled_with_the_months_it_covers() -> None:
    months = coverage.months_by_year(pd.DataFrame({"month": pd.date_range("2018-04-01", "2018-08-01", freq="MS")}))
    assert months == {2018: 5}
    assert coverage.period_label(2018, 1, months) == "2018/19, 5 of 12 months"
    assert coverage.period_label(2018, 1, {2018: 12}) == "2018/19"
    assert coverage.period_label(2018, 2, {2017: 12, 2018: 5}) == "2017/18-2018/19, 17 of 24 months"
    assert coverage.period_label(2018, 1, None) == "2018/19"  # a register has no months
    assert coverage.month_span(pd.Series(pd.to_datetime(["2023-01-01", "2023-02-01", "2023-05-01"]))) == \
        "2023-01 to 2023-02, 2023-05"


def test_the_forecast_years_leave_out_a_partial_year_and_say_so(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    rows = [f"CR{i},{day:%Y-%m-%d},violence with injury,17,N,E01015921\n"
            for i, day in enumerate(pd.date_range("2017-04-01", "2019-08-31", freq="7D"))]
    path = tmp_path / "extract.csv"
    path.write_text(EXTRACT + "".join(rows))
    importing.import_file(store_dir, path, "police")
    dataset = loading.load_dataset(store_dir)
    assert aggregation.months_covered(dataset, "violence-with-injury") == {2017: 12, 2018: 12, 2019: 5}
    assert aggregation.period_label(dataset, "violence-with-injury", 2019) == "2019/20, 5 of 12 months"
    years, notes = aggregation.complete_years(dataset, "violence-with-injury")
    assert years == [2017, 2018]
    assert notes == ["2019/20 is left out: its data cover 5 of 12 months"]


def test_the_counts_command_says_which_years_are_partial(tmp_path: Path, capsys) -> None:
    from hotspots import cli

    store_dir = tmp_path / "store"
    path = tmp_path / "extract.csv"
    path.write_text(EXTRACT + "".join(f"CR{i},{day:%Y-%m-%d},violence with injury,17,N,E01015921\n"
                                      for i, day in enumerate(pd.date_range("2018-04-01", "2019-06-30", freq="9D"))))
    importing.import_file(store_dir, path, "police")
    out = tmp_path / "counts.csv"
    assert cli.main(["counts", "--layer", "violence-with-injury", "--store", str(store_dir), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "2019/20 covers 3 of 12 months" in err and "2018/19" not in err


def test_pages_say_how_many_months_a_partial_year_covers_and_the_forecast_leaves_it_out(
        tmp_path: Path, monkeypatch, demo_dir) -> None:
    from shown_text import shown
    from streamlit.testing.v1 import AppTest

    store_dir = tmp_path / "store"
    path = tmp_path / "extract.csv"
    days = pd.date_range("2015-04-01", "2019-08-31", freq="3D")  # four whole years, then April to August
    wards = ["E01015921", "E01015875", "E01015960"]
    path.write_text(EXTRACT + "".join(f"CR{i},{day:%Y-%m-%d},violence with injury,17,N,{wards[i % 3]}\n"
                                      for i, day in enumerate(days)))
    importing.import_file(store_dir, path, "police")
    monkeypatch.setenv("HOTSPOTS_STORE", str(store_dir))

    def opened(page: str | None = None) -> AppTest:
        at = dashboard("admin", 180).run()
        if page:
            at.switch_page(page).run()
        assert not at.exception, at.exception
        return at

    assert "2019/20, 5 of 12 months" in shown(opened().subheader[0].value)
    at = opened("pages/forecast.py")
    assert any("2019/20 is left out: its data cover 5 of 12 months" in shown(i.value) for i in at.info)
    assert "2019/20" in shown(at.subheader[0].value)  # the year under way is forecast from the two before it
    at.sidebar.checkbox(key="partial_years").check().run()
    assert not at.exception, at.exception
    assert "2020/21" in shown(at.subheader[0].value)

    assert any("2019/20 (5 of 12 months)" in shown(c.value) for c in opened("pages/ward_profile.py").caption)


def test_a_layer_the_store_does_not_hold_is_refused_not_counted_as_zeros(tmp_path: Path, capsys) -> None:
    from hotspots import cli

    store_dir = tmp_path / "store"
    importing.import_file(store_dir, Path(__file__).resolve().parents[1] / "data" / "samples"
                          / "synthetic_police_uk_street.csv", "police-uk")
    out = tmp_path / "c.csv"
    assert cli.main(["counts", "--layer", "police-uk:violence", "--store", str(store_dir), "--out", str(out)]) == 2
    assert "holds no layer 'police-uk:violence'" in capsys.readouterr().err and not out.exists()
    assert "police-uk:violence-and-sexual-offences" in str(aggregation.available_layers(loading.load_dataset(store_dir)))
