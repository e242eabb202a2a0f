"""One ward across every layer: its trend over all years and its rank in its borough and region."""

from __future__ import annotations

import pandas as pd

from hotspots import aggregation, geography
from hotspots.loading import Dataset


def ward_trend(dataset: Dataset, ward_code: str, layers: dict[str, aggregation.Layer]) -> pd.DataFrame:
    """``layer, label, financial_year, count, rate_per_1000`` for the ward, every layer, every year
    with data (years a layer has no data for are left out, not shown as zero)."""
    people = dataset.population[dataset.population["ward_code"].eq(ward_code)].set_index("financial_year")
    people = people["population_10_24"].where(people["population_10_24"] > 0)
    parts = []
    for key, layer in layers.items():
        covered = aggregation.covered_years(dataset, key)
        if covered:
            counts = aggregation.layer_counts(dataset, key, [ward_code], covered)
            parts.append(counts.assign(layer=key, label=layer.label,
                                       rate_per_1000=1000 * counts["count"] / counts["financial_year"].map(people)))
    columns = ["layer", "label", "financial_year", "count", "rate_per_1000"]
    return pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)


def ward_ranks(dataset: Dataset, ward_code: str, layers: dict[str, aggregation.Layer], *, last_year: int,
               years: int = 1) -> pd.DataFrame:
    """For each layer: the ward's count and rate and its rank (1 = highest) by each among the wards
    of its local authority and of Greater Essex that have a value (``*_wards_in_*``)."""
    wards = geography.wards()[["ward_code", "lad_code"]]
    lad = wards.set_index("ward_code").loc[ward_code, "lad_code"]
    rows = []
    for key, layer in layers.items():
        table = wards.merge(aggregation.measure_table(dataset, key, wards["ward_code"].tolist(), last_year=last_year,
                                                      years=years), on="ward_code")
        row = {"layer": key, "label": layer.label}
        for measure in ("count", "rate_per_1000"):
            for scope, chosen in (("borough", table[table["lad_code"].eq(lad)]), ("region", table)):
                ranks = chosen.set_index("ward_code")[measure].rank(ascending=False, method="min")
                row[f"{measure}_rank_in_{scope}"] = ranks.get(ward_code)
                row[f"{measure}_wards_in_{scope}"] = int(chosen[measure].notna().sum())
            row[measure] = table.set_index("ward_code").loc[ward_code, measure]
        rows.append(row)
    return pd.DataFrame(rows)
