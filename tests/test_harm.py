"""Harm weights: the default table covers the default offence sets; a user's table is checked."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hotspots import harm, settings
from hotspots._errors import TaskingError
from hotspots.geography import slug


def table(rows: dict[str, object]) -> pd.DataFrame:
    return pd.DataFrame({"offence_group": list(rows), "weight": list(rows.values())})


@pytest.mark.parametrize("source", sorted(settings.GRIP_OFFENCES))
def test_the_default_table_weights_every_default_offence_and_names_its_basis(source):
    offences = settings.GRIP_OFFENCES[source]
    weights = harm.validated_weights(harm.default_weights(), offences=offences)
    assert set(weights) == {slug(o) for o in offences}
    assert harm.default_weights()["basis"].str.len().gt(10).all()


def test_events_weigh_their_offence_group_ignoring_case():
    weights = harm.validated_weights(table({"Violence with injury": 15, "possession of weapons": 5}),
                                     offences=["violence with injury", "possession of weapons"])
    events = pd.Series(["violence with injury", "possession of weapons", "violence with injury", "burglary"])
    assert harm.event_harm(events, weights).tolist()[:3] == [15.0, 5.0, 15.0]
    assert np.isnan(harm.event_harm(events, weights).iloc[3])


def test_an_unknown_offence_group_is_refused_by_name():
    with pytest.raises(TaskingError, match="'stabbings'"):
        harm.validated_weights(table({"violence with injury": 15, "stabbings": 100}),
                               offences=["violence with injury"])


def test_a_category_of_the_data_is_known():
    weights = harm.validated_weights(table({"knife crime": 100}), offences=["knife crime"], known=["knife crime"])
    assert weights == {"knife-crime": 100.0}


@pytest.mark.parametrize("weight", [-1, "ten", None, np.inf])
def test_a_negative_or_missing_weight_is_refused(weight):
    with pytest.raises(TaskingError, match="'robbery'.*negative or not a number"):
        harm.validated_weights(table({"violence with injury": 15, "robbery": weight}),
                               offences=["violence with injury"])


def test_a_chosen_offence_without_a_weight_is_refused():
    with pytest.raises(TaskingError, match="no weight for 'possession of weapons'"):
        harm.validated_weights(table({"violence with injury": 15}),
                               offences=["violence with injury", "possession of weapons"])


def test_two_weights_for_one_group_are_refused_and_a_repeat_is_not():
    with pytest.raises(TaskingError, match="more than one weight"):
        harm.validated_weights(table({"robbery": 365, "Robbery ": 10}), offences=["robbery"])
    assert harm.validated_weights(table({"robbery": 365, "Robbery": 365}), offences=["robbery"]) == {"robbery": 365.0}


def test_missing_columns_are_named():
    with pytest.raises(TaskingError, match="no weight"):
        harm.validated_weights(pd.DataFrame({"offence_group": ["robbery"]}), offences=["robbery"])


def test_a_blank_row_added_in_the_editor_is_left_out():
    table = pd.concat([harm.default_weights(), pd.DataFrame({"offence_group": [None], "weight": [None],
                                                             "basis": [None]})], ignore_index=True)
    assert harm.validated_weights(table, offences=["robbery"]) == {"robbery": 365.0}


def test_all_weights_zero_is_refused_not_shown_as_nan_shares():
    table = harm.default_weights().assign(weight=0.0)
    with pytest.raises(TaskingError, match="harm weight of 0"):
        harm.validated_weights(table, offences=["robbery", "possession of weapons"])
