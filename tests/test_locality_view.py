"""The locality view on the synthetic demo, per role: a partner's restricted measures enter only as
stand-ins for suppressed counts, councillors and the public are refused, bad choices get a message."""

import re
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from hotspots import (aggregation, audit, decision_record, disclosure, geography, loading, locality, locality_view,
                      roles, settings, store, views)
from hotspots._errors import DisclosureError, LocalityError

THURROCK = "E06000034"
WEIGHTS = {"people": 3.0, "nominals": 2.0, "ambulance-all": 1.0, "violence-with-injury": 1.0, "forecast": 1.0}
LOCALITY_WARDS = {"E05002248", "E05002247"}  # West Thurrock and South Stifford; Tilbury St Chads


@pytest.fixture(scope="module")
def datasets(dataset):
    return {role: loading.load_dataset(loading.demo_store(), roles.role(role).data_access)
            for role in ("police", "partner")}


def _view(datasets, role, **options):
    options = {"last_year": 2018, "years": 2, "samples": 2000, "inventory": store.list_datasets(loading.demo_store()),
               "show_restricted": role == "police", **options}
    return locality_view.locality_view(datasets[role], roles.role(role), geography.wards(), [THURROCK],
                                       options.pop("weights", WEIGHTS), **options)


def test_the_demo_puts_thurrocks_locality_wards_first_on_where_people_live(datasets):
    view = _view(datasets, "police", weights={"people": 1.0})
    assert set(view.ranking["ward_code"].head(2)) == LOCALITY_WARDS
    assert len(view.ranking) == 20 and view.ranking["rank"].is_monotonic_increasing
    assert view.districts == "Thurrock" and view.period == "2017/18-2018/19"


def test_a_partner_ranks_on_stand_ins_for_suppressed_counts_never_on_the_counts(datasets):
    police, partner = _view(datasets, "police"), _view(datasets, "partner")
    assert not police.notes and "scored as the middle of its range" in partner.notes[0]
    true = police.ranking.set_index("ward_code")
    shown = partner.ranking.set_index("ward_code").loc[true.index]
    small = pd.Series(False, index=true.index)
    for measure in ("people", "nominals"):
        counts = true[f"{measure} value"].astype(float)
        hidden = shown[f"{measure} contribution"].isna()
        small |= hidden
        years = aggregation.layer_counts(datasets["police"], measure, true.index.tolist(), [2017, 2018])
        a_year_small = years["count"].between(1, 4).groupby(years["ward_code"]).any().reindex(true.index)
        assert (hidden == (counts.between(1, 4) | a_year_small)).all()  # a small total, or a small year
        for ward in counts.index[counts.between(1, 4)]:
            assert shown.loc[ward, f"{measure} value"].startswith("fewer than 5")
            assert str(int(counts[ward])) not in shown.loc[ward, f"{measure} value"].split("(")[0]
    assert small.any()  # the demo has suppressed wards, so the comparison below means something
    # The partner's scores are the ranking of the stand-ins, worked out from shown values alone:
    # each total as shown, a suppressed one as its years as shown, with 2.5 for each small year.
    values = pd.DataFrame({m: shown[f"{m} value"].str.extract(r"scored as ([\d.]+)")[0].astype(float).fillna(
        pd.to_numeric(shown[f"{m} value"].str.rstrip("%"), errors="coerce")) for m in WEIGHTS})
    expected = locality.rank_wards(values, WEIGHTS, normalisation="rank").table.set_index("ward_code")["score"]
    np.testing.assert_allclose(shown["score"], expected.loc[shown.index])
    bars = partner.contributions.groupby("ward_name")["contribution"].sum()  # the chart's bars add up to the scores
    np.testing.assert_allclose(bars.loc[partner.ranking["ward_name"]], partner.ranking["score"])
    leaked = [(w, m) for w in true.index for m in ("people", "nominals")
              if 1 <= float(true.loc[w, f"{m} value"]) <= 4 and shown.loc[w, f"{m} value"] == true.loc[w, f"{m} value"]]
    assert not leaked


def test_side_by_side_and_trends_show_a_partner_no_small_count(datasets):
    codes = sorted(LOCALITY_WARDS) + ["E05002240", "E05002233"]  # and Orsett, Corringham and Fobbing: few people
    view = _view(datasets, "partner", compared=codes)
    assert list(view.comparison.columns[1:]) == ["Tilbury St Chads", "West Thurrock and South Stifford", "Orsett",
                                                 "Corringham and Fobbing"]
    assert view.comparison["Measure"].iloc[-2:].tolist() == ["Rank", "Share of weightings in the top 2"]
    trend = view.trends[next(label for label in view.trends if label.startswith("People known"))]
    assert set(trend["label"]) == set(view.comparison.columns[1:])
    shown = trend["count"].dropna()
    assert not shown.between(1, 4).any() and trend["suppressed"].any()
    assert (trend.loc[trend["suppressed"], "count_text"] == "fewer than 5").all()


def test_one_ward_alone_is_no_comparison_and_five_are_too_many(datasets):
    assert _view(datasets, "police", compared=["E05002248"]).comparison is None
    with pytest.raises(LocalityError, match="Compare 2 to 4 wards side by side; 5 chosen"):
        _view(datasets, "police", compared=["E05002248", "E05002247", "E05002240", "E05002233", "E05002235"])


@pytest.mark.parametrize("role", ["councillor", "public"])
def test_councillors_and_the_public_are_refused(datasets, role):
    with pytest.raises(DisclosureError, match="may not rank locality wards"):
        locality_view.locality_view(datasets["partner"], roles.role(role), geography.wards(), [THURROCK], WEIGHTS,
                                    last_year=2018)
    with pytest.raises(DisclosureError):
        locality_view.measures_offered(datasets["partner"], roles.role(role))


def test_a_measure_with_no_data_in_the_period_is_named(datasets):
    with pytest.raises(LocalityError, match=r"Forecast risk.*no data for these wards in 2014/15.*Untick the measure"):
        _view(datasets, "police", last_year=2014, years=1)


def test_every_weight_zero_gets_a_message(datasets):
    with pytest.raises(LocalityError, match="Every weight is zero"):
        _view(datasets, "police", weights=dict.fromkeys(WEIGHTS, 0.0))


def test_the_record_of_a_view_holds_its_sources_and_reads_back(datasets):
    view = _view(datasets, "partner")
    record = locality_view.decision_record(view, decided_by="csp.manager", role=roles.role("partner"),
                                           rationale="  Home areas of offenders and victims.  ")
    assert record.rationale == "Home areas of offenders and victims." and not record.restricted_values
    assert set(record.sources["kind"]) == {"events", "nominals", "people"} and record.synthetic
    again = decision_record.record_from_csv(decision_record.record_to_csv(record))
    for name in decision_record.TABLES:
        pd.testing.assert_frame_equal(getattr(again, name), getattr(record, name))
    assert _view(datasets, "police").restricted_values


def test_a_partners_stand_in_for_two_suppressed_years_does_not_say_whether_they_add_up_to_5(datasets):
    """Wards whose two years of nominals are both 1-4, adding up to 1-4 (1 and 1) or to 5 or more
    (3 and 2), are all scored as 2.5 + 2.5: 2.5 for the first and 5 for the second would hold each
    year of the second to 1-3."""
    partner = _view(datasets, "partner").ranking.set_index("ward_code")["nominals value"]
    years = aggregation.layer_counts(datasets["police"], "nominals", partner.index.tolist(), [2017, 2018])
    by_ward = years.groupby("ward_code")["count"]
    both_small = by_ward.apply(lambda counts: counts.between(1, 4).all())
    total = by_ward.sum()
    assert (both_small & total.lt(5)).any() and (both_small & total.ge(5)).any()  # the demo has both
    assert (partner[both_small[both_small].index] == "fewer than 5 in a year (scored as 5)").all()
    # and every suppressed ward's stand-in is its years as shown, 2.5 for each suppressed one
    rule = disclosure.rule_for(aggregation.resolve_layer("nominals"), roles.role("partner"))
    shown = disclosure.disclosed_counts(years["count"], rule)
    expected = shown["count"].mask(shown["suppressed"], 2.5).groupby(years["ward_code"]).sum()
    scored = partner.str.extract(r"scored as ([\d.]+)")[0].astype(float).dropna()
    assert len(scored)
    np.testing.assert_allclose(scored, expected.loc[scored.index])


def test_a_measure_not_offered_is_refused_not_ranked(datasets):
    """A stale choice of the register with the police switch off is refused, never ranked."""
    with pytest.raises(LocalityError, match="nominals: not offered to the police role with restricted layers off"):
        _view(datasets, "police", show_restricted=False, weights={"nominals": 1.0, "ambulance-all": 1.0})


@pytest.mark.parametrize("forecast_layer", ["ambulance-knife", "nominals"])  # nominals: a partner's are suppressed
def test_the_forecast_measure_is_the_forecast_pages_chance_for_the_role(datasets, monkeypatch, forecast_layer):
    monkeypatch.setattr(settings, "LOCALITY_FORECAST_LAYER", forecast_layer)
    view = _view(datasets, "partner", weights={"forecast": 1.0})
    layer = aggregation.resolve_layer(forecast_layer)
    wards = geography.wards()
    counts = aggregation.layer_counts(datasets["partner"], layer.key, wards["ward_code"].tolist(),
                                      [y for y in aggregation.complete_years(datasets["partner"], layer.key)[0]
                                       if y <= 2018]).dropna(subset=["count"])
    page = views.forecast_view(counts.rename(columns={"ward_code": "area_code"}).astype({"count": "int64"}), layer,
                               roles.role("partner"), wards)
    shown = view.ranking.set_index("ward_code")["forecast value"]
    assert (shown == page.values.reindex(shown.index).map(lambda p: f"{p:.0f}%")).all()


@pytest.mark.parametrize("kind, key", [("victim-based", "people:victim-of-violence"),
                                       ("offender-based", "people:perpetrator"),
                                       ("other", "people:survivors-of-exploitation"), ("offender-based", "nominals")])
def test_people_groups_are_classified_as_settings_state_and_unknown_ones_as_other(kind, key):
    assert locality_view.measure_kind(key) == kind


def test_decision_records_are_read_only_by_roles_that_rank_and_restricted_ones_only_with_the_switch(datasets,
                                                                                                   tmp_path):
    view = _view(datasets, "partner", samples=200)
    partner, police = roles.role("partner"), roles.role("police")
    locality_view.save_decision(tmp_path, view, decided_by="a", role=partner, rationale="Homes.")
    decision_record.save_decision(tmp_path, replace(locality_view.decision_record(
        view, decided_by="b", role=police, rationale="Homes and the register."), restricted_values=True))
    assert locality_view.decisions(tmp_path, police, show_restricted=True)["decision_id"].tolist() == [2, 1]
    assert locality_view.decisions(tmp_path, police, show_restricted=False)["decision_id"].tolist() == [1]
    assert locality_view.decisions(tmp_path, partner, show_restricted=True)["decision_id"].tolist() == [1]
    pdf, csv = locality_view.decision_files(tmp_path, police, 2, show_restricted=True)
    assert pdf.startswith(b"%PDF") and csv == (tmp_path / decision_record.DECISIONS / "2" / "record.csv").read_bytes()
    with pytest.raises(DisclosureError, match="turn on \"Show restricted layers\""):
        locality_view.decision_files(tmp_path, police, 2, show_restricted=False)
    with pytest.raises(DisclosureError, match="may not download decision record 2"):
        locality_view.decision_files(tmp_path, partner, 2, show_restricted=True)
    for role in ("councillor", "public"):
        with pytest.raises(DisclosureError, match="may not rank locality wards"):
            locality_view.decisions(tmp_path, roles.role(role))
        with pytest.raises(DisclosureError, match="may not rank locality wards"):
            locality_view.decision_files(tmp_path, roles.role(role), 1)


def test_a_decision_is_saved_through_the_view_for_roles_that_rank_with_a_rationale_and_audited(datasets, tmp_path):
    view = _view(datasets, "partner", samples=200)
    for role in ("councillor", "public"):
        with pytest.raises(DisclosureError, match="may not rank locality wards"):
            locality_view.save_decision(tmp_path, view, decided_by="c", role=roles.role(role), rationale="Homes.")
    with pytest.raises(LocalityError, match="Write the rationale first"):
        locality_view.save_decision(tmp_path, view, decided_by="c", role=roles.role("partner"), rationale=" \n ")
    assert not (tmp_path / decision_record.DECISIONS).exists() and not audit.entries(tmp_path)  # nothing saved
    saved = locality_view.save_decision(tmp_path, view, decided_by="csp.manager", role=roles.role("partner"),
                                        rationale="  Homes of offenders and victims. ")
    assert saved.decision_id == 1 and saved.rationale == "Homes of offenders and victims." and saved.role == "partner"
    assert decision_record.read_decision(tmp_path, 1).rationale == saved.rationale
    [entry] = audit.entries(tmp_path)
    assert (entry.action, entry.user, entry.role, entry.what["decision"]) == ("decision-recorded", "csp.manager",
                                                                               "partner", 1)


def test_the_contributions_chart_names_every_ward_in_full(datasets):
    view = _view(datasets, "partner")
    spec = locality_view.contribution_chart(view.contributions).to_dict()
    axis = spec["encoding"]["y"]["axis"]
    assert axis["labelOverlap"] is False  # Streamlit's theme turns it on, and drops every other ward's name
    assert axis["labelLimit"] == 0  # no name cut short ("West Thurrock and South Stif...")
    assert spec["height"] >= 24 * len(view.ranking)  # a 14 px label with room in each ward's band


def test_the_shares_shown_add_up_to_100_percent(datasets):
    view = _view(datasets, "partner", weights={key: 1.0 for key in WEIGHTS} | {"people": 3.0})
    shown = [float(share) for share in re.findall(r" ([\d.]+)%[;.]", view.shares.split(" Shares are")[0])]
    assert len(shown) == len(WEIGHTS) and round(sum(shown), 6) == 100  # not 42.9% + 4 x 14.3%: 100.1%
    assert shown == [42.8, 14.3, 14.3, 14.3, 14.3] and "largest remainder" in view.shares
