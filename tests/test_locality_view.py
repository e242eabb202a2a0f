"""The locality view on the synthetic demo, per role: a partner's restricted measures enter only as
stand-ins for suppressed counts, councillors and the public are refused, bad choices get a message."""

import numpy as np
import pandas as pd
import pytest

from hotspots import decision_record, geography, loading, locality, locality_view, roles, store
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
               **options}
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
        assert (hidden == counts.between(1, 4)).all() or hidden[counts.between(1, 4)].all()
        for ward in counts.index[counts.between(1, 4)]:
            assert shown.loc[ward, f"{measure} value"].startswith("fewer than 5")
            assert str(int(counts[ward])) not in shown.loc[ward, f"{measure} value"].split("(")[0]
    assert small.any()  # the demo has suppressed wards, so the comparison below means something
    # The partner's scores are the ranking of the stand-ins, worked out from shown values alone:
    # each total as shown, a suppressed one as 2.5 (or, hidden by a year, its years as shown with 2.5 for each small one).
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
