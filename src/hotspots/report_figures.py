"""The 2020 Thurrock report's published band figures, beside the same figures on the loaded data.

Source: Thurrock Annual Public Health Report 2020, *Youth violence and vulnerability*, chapter 2
(figure 2.27), as printed in the Thurrock Hidden and Extreme Harms Prevention Committee pack of
21 October 2021 (our seed document 000): "100% of wards with six or more ambulance call outs for
stab/knife/gunshot wound injuries in the previous two years received two or more ambulance call
outs for the same injuries in the subsequent year. Similarly 72% of wards that received three to
five call outs in the previous two years received at least one call out in the subsequent year."
Those were Essex wards, ambulance call-outs for patients aged 10-24, 2016/17-2017/18 to 2018/19;
recomputed here on whichever layer is loaded, pooled over every window the data have.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from statsmodels.stats.proportion import proportion_confint

SOURCE = ("Thurrock Annual Public Health Report 2020, Youth violence and vulnerability, chapter 2, figure 2.27: "
          "ambulance call-outs for stab, knife or gunshot wounds, patients aged 10-24, Essex wards, "
          "2016/17-2017/18 to 2018/19")


@dataclass(frozen=True)
class PublishedFigure:
    """One published finding: of wards in ``band`` (prior two-year count), ``share`` had ``outcome`` next year."""

    band: str
    outcome: str  # "at least one" or "two or more"
    share: float


PUBLISHED = (PublishedFigure("6+", "two or more", 1.00), PublishedFigure("3-5", "at least one", 0.72))
_OUTCOME_COLUMN = {"at least one": "with_outcome", "two or more": "with_two_or_more"}


def report_beside_data(band_table: pd.DataFrame) -> pd.DataFrame:
    """Each published figure beside the same share in ``band_table`` (``forecast.rule_band_table``
    with the default bands 0, 1-2, 3-5, 6+): ``band, outcome, published, recomputed, lower, upper``
    (95% Wilson interval), ``ward_years`` and ``with_outcome``; NaN where the band has no ward-years."""
    bands = band_table.set_index("band")
    rows = []
    for figure in PUBLISHED:
        n = int(bands.loc[figure.band, "ward_years"]) if figure.band in bands.index else 0
        hits = int(bands.loc[figure.band, _OUTCOME_COLUMN[figure.outcome]]) if n else 0
        low, high = proportion_confint(hits, n, alpha=0.05, method="wilson") if n else (float("nan"), float("nan"))
        rows.append({"band": figure.band, "outcome": figure.outcome, "published": figure.share,
                     "recomputed": hits / n if n else float("nan"), "lower": low, "upper": high,
                     "ward_years": n, "with_outcome": hits})
    return pd.DataFrame(rows)
