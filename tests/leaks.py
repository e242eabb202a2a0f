"""An adversary for disclosed ward tables: knowing only what is shown, try every derivation of a
protected count and report the first that works. Reusable by page and export leak tests.

A protected count is a true count the viewer must not learn: one the rule suppresses, or, under a
rounding rule, one that rounding changed (a shown 10 for a true 12). The derivations tried:

- the count itself, as a number or in its text;
- rate x population x years / 1000, for this period and the previous one;
- previous + change and this period - change, on counts and (times population) on rates;
- a total or mean less the shown values it covers (a total over every ward gives back the rest);
- ranks that order suppressed wards among themselves;
- legend ranges that hold a suppressed count ("1 to 3").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from hotspots.disclosure import DisclosedSummary, DisclosureRule

TOLERANCE = 1e-6
#: The counts whose protection covers each measure: a change needs both periods.
PROTECTED_BY = {"count": ("count",), "rate_per_1000": ("count",), "previous_count": ("previous_count",),
                "previous_rate": ("previous_count",), "count_change": ("count", "previous_count"),
                "rate_change": ("count", "previous_count")}
_NUMBER = r"-?[\d,]+(?:\.\d+)?"


def protected_counts(true_counts: pd.Series, rule: DisclosureRule) -> pd.Series:
    """The true counts the viewer must not learn (others NaN): suppressed, or changed by rounding."""
    values = true_counts.astype("float64")
    suppressed = values.ge(1) & values.lt(rule.smallest_shown)
    rounded = np.floor(values / rule.rounding_base + 0.5) * rule.rounding_base
    return values.where(suppressed | (rounded != values))


def first_leak(true: pd.DataFrame, disclosed: pd.DataFrame, rule: DisclosureRule, *, years: int = 1,
               summaries: Iterable[tuple[str, DisclosedSummary, str, list[str]]] = (),
               ranks: Iterable[tuple[str, pd.Series]] = (), legend_labels: Iterable[str] = ()) -> str | None:
    """The first protected count that can be worked out from ``disclosed``, in words, or None.

    ``true`` and ``disclosed`` are measure tables indexed alike (``ward_code, count,
    population_10_24, ...``). ``summaries`` are (name, summary, column, ward codes it covers);
    ``ranks`` are (column, ranks by ward code); ``legend_labels`` the class labels of a count legend.
    """
    checks = [_row_leak(true, disclosed, rule, years)]
    checks += [_summary_leak(true, disclosed, rule, *given) for given in summaries]
    checks += [_rank_leak(true, disclosed, rule, column, ranked) for column, ranked in ranks]
    checks += [_legend_leak(true, rule, list(legend_labels))]
    return next((leak for leak in checks if leak), None)


def _derivations(shown: pd.DataFrame, years: int) -> dict[str, dict[str, pd.Series]]:
    """period -> {how: value per ward} from what is shown."""
    people = shown["population_10_24"] * years / 1000

    def counted(column: str) -> pd.Series:
        return shown[column].astype("float64")

    def from_text(column: str) -> pd.Series:
        return shown[column].map(lambda text: _parse(text) if isinstance(text, str) else np.nan)

    return {
        "count": {"count": counted("count"), "count_text": from_text("count_text"),
                  "rate x population": counted("rate_per_1000") * people,
                  "previous count + change": counted("previous_count") + counted("count_change"),
                  "(previous rate + rate change) x population":
                      (counted("previous_rate") + counted("rate_change")) * people},
        "previous_count": {"previous_count": counted("previous_count"),
                           "previous_count_text": from_text("previous_count_text"),
                           "previous rate x population": counted("previous_rate") * people,
                           "count - change": counted("count") - counted("count_change"),
                           "(rate - rate change) x population": (counted("rate_per_1000") - counted("rate_change"))
                                                                * people}}


def _row_leak(true: pd.DataFrame, shown: pd.DataFrame, rule: DisclosureRule, years: int) -> str | None:
    for period, derived in _derivations(shown, years).items():
        secret = protected_counts(true[period], rule)
        for how, values in derived.items():
            hit = secret.notna() & (values - secret).abs().lt(TOLERANCE)
            if hit.any():
                ward = hit.idxmax()
                return (f"{how} gives ward {true.loc[ward, 'ward_code']}'s protected {period} "
                        f"{secret[ward]:g} (shown as {shown.loc[ward, period + '_text']!r})")
    return None


def _summary_leak(true: pd.DataFrame, shown: pd.DataFrame, rule: DisclosureRule, name: str,
                  summary: DisclosedSummary, column: str, ward_codes: list[str]) -> str | None:
    in_scope = true["ward_code"].isin(ward_codes)
    total = summary.value * summary.wards if summary.text.startswith("mean") else summary.value
    shown_values = shown.loc[in_scope, column].astype("float64")
    remainder = total - shown_values.sum()
    protected = _protected_wards(true, rule, column)[in_scope]
    hidden_sum = float((true.loc[in_scope, column] - shown_values.fillna(0))[protected].sum())
    if abs(remainder) > TOLERANCE and abs(remainder - hidden_sum) < TOLERANCE:
        return f"{name} minus the shown wards gives {remainder:g}, the hidden part of the protected wards"
    return None


def _rank_leak(true: pd.DataFrame, shown: pd.DataFrame, rule: DisclosureRule, column: str,
               ranked: pd.Series) -> str | None:
    suppressed = np.zeros(len(true), dtype=bool)
    for counts in PROTECTED_BY[column]:
        values = true[counts].astype("float64")
        suppressed |= (values.ge(1) & values.lt(rule.smallest_shown)).to_numpy()
    shared = ranked[suppressed].dropna().unique()
    if len(shared) > 1:
        return f"ranks by {column} order the suppressed wards among themselves ({sorted(shared.tolist())})"
    ties = pd.DataFrame({"shown": shown[column].to_numpy(), "rank": ranked.to_numpy()}).dropna()
    split = ties.groupby("shown")["rank"].nunique()
    if split.gt(1).any():
        return f"ranks by {column} order wards shown alike as {split.idxmax():g} (true values behind the rounding)"
    return None


def _protected_wards(true: pd.DataFrame, rule: DisclosureRule, column: str) -> pd.Series:
    protected = pd.Series(False, index=true.index)
    for counts in PROTECTED_BY[column]:
        protected |= protected_counts(true[counts], rule).notna()
    return protected


def _legend_leak(true: pd.DataFrame, rule: DisclosureRule, labels: list[str]) -> str | None:
    counts = pd.concat([true["count"], true["previous_count"]]).astype("float64")
    suppressed = counts[counts.ge(1) & counts.lt(rule.smallest_shown)].unique()
    for label in labels:
        if not re.search(_NUMBER, label):  # "no data", "fewer than 5" written out: no range
            continue
        low, high, open_low = _interval(label)
        inside = [c for c in suppressed if (c > low if open_low else c >= low) and c <= high]
        if inside:
            return f"legend range {label!r} holds the suppressed count {inside[0]:g}"
    return None


def _interval(label: str) -> tuple[float, float, bool]:
    """``"5 to 9"`` -> (5, 9, False); ``"over 1.5 to 2.0"`` -> (1.5, 2.0, True); ``"7"`` -> (7, 7, False)."""
    numbers = [float(n.replace(",", "")) for n in re.findall(_NUMBER, label)]
    return numbers[0], numbers[-1], label.startswith("over")


def _parse(text: str) -> float:
    match = re.fullmatch(_NUMBER, text.strip())
    return float(match.group().replace(",", "")) if match else np.nan
