"""What a viewer has learnt about every count from everything the dashboard showed them, combined.

The unknowns are the single-year counts ``(layer, area, year)``. Each thing shown becomes a fact:
a sum of unknowns (a window of years) lies in an interval, with the place it was shown. A shown
number is read through the layer's published rule (a police 12 is exactly 12; an ambulance 10 is
8 to 12; "fewer than 5" is 1 to 4); a number the rule could never show (a police 3, an ambulance
12) is taken as the exact count the page let slip. Rates become counts through the (public)
population, and changes turn one period's shown value into the other's, before that reading.

``propagate`` tightens every unknown's bounds over the linear facts (a window minus its known
years; a layer nested in another, such as knife call-outs within all call-outs) until nothing
tightens. ``first_leak`` then compares with the true counts: a protected count (one the rule
suppresses, or one rounding changed) pinned to one value, or a suppressed count held to a
tighter range than "fewer than 5" allows, is a leak, named with the facts that gave it.
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from hotspots.disclosure import DisclosureRule

INFINITY = math.inf
TOLERANCE = 1e-6

Unknown = tuple[str, str, int]  # layer key, area code, financial year


@dataclass(frozen=True)
class Fact:
    """``low <= sum of the unknowns in terms (each times its coefficient) <= high``, shown at ``source``."""

    terms: tuple[tuple[Unknown, int], ...]
    low: float
    high: float
    source: str


@dataclass(frozen=True)
class Shown:
    """One value shown for a layer's count over ``years`` of one area: the count itself (number or
    words), its rate per 1,000, or a change from the window of the same length just before."""

    layer: str
    area: str
    years: tuple[int, ...]
    kind: str  # "count", "rate", "count_change", "rate_change"
    value: object
    source: str


def shown_interval(value: object, rule: DisclosureRule, years: int) -> tuple[float, float] | None:
    """What a shown count (number or words) says about the true count under ``rule``; None: nothing."""
    if isinstance(value, str):
        words = value.strip()
        if words == rule.suppressed_text:
            return 1, rule.smallest_shown - 1
        if years > 1 and words == f"{rule.suppressed_text} in a year":
            return 1, INFINITY
        if not words or words == "no data" or words == "nan":
            return None
        number = _number(words)
        if number is None:
            raise ValueError(f"cannot read the shown count {value!r}")
        value = number
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    value = float(value)
    if abs(value - round(value)) > TOLERANCE:
        return None  # not a count: a rate or mean read where a count was expected tells nothing exact
    value = round(value)
    if value == 0:
        return 0, 0
    base, lowest = rule.rounding_base, _lowest_shown(rule)
    if value >= lowest and value % base == 0:
        if base == 1:
            return value, value
        # A window's shown count is the sum of its years' rounded counts (disclosure.summed_shown), so
        # each year may be off by the rounding: the window is known to no more than that sum's spread.
        down, up = (base - 1) // 2 + (base % 2 == 0), base // 2 - (base % 2 == 0)
        return max(value - years * down, rule.smallest_shown), value + years * up
    return value, value  # no value the rule shows: the page gave the count itself


@functools.cache
def _lowest_shown(rule: DisclosureRule) -> int:
    return rule.lowest_shown


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


@dataclass
class Knowledge:
    """Facts about the counts of several layers, each read through its rule (``rules`` by layer key);
    ``population`` gives residents aged 10-24 by (area, year), public (ONS), to turn rates into counts;
    ``nested`` pairs (inner layer, outer layer) whose counts satisfy inner <= outer."""

    rules: dict[str, DisclosureRule]
    population: dict[tuple[str, int], float]
    nested: tuple[tuple[str, str], ...] = ()
    facts: list[Fact] = field(default_factory=list)
    shown: list[Shown] = field(default_factory=list)

    def learn(self, items: Iterable[Shown]) -> None:
        self.shown.extend(items)

    def add_fact(self, terms: dict[Unknown, int], low: float, high: float, source: str) -> None:
        self.facts.append(Fact(tuple(sorted(terms.items())), low, high, source))

    def _facts_from_shown(self) -> list[Fact]:
        """Every shown value as a fact on its window's true count: rates and changes first turned into
        the shown counts they imply (rate x population; this period - change = the previous)."""
        Window = tuple[str, str, tuple[int, ...]]
        counts: dict[Window, dict[object, str]] = defaultdict(dict)  # shown value -> first place shown
        rates: dict[Window, dict[float, str]] = defaultdict(dict)
        changes: dict[tuple[str, Window, float], str] = {}
        for item in self.shown:
            key = (item.layer, item.area, item.years)
            if item.kind == "count":
                counts[key].setdefault(_hashable(item.value), item.source)
            elif item.kind == "rate":
                if _is_number(item.value):
                    rates[key].setdefault(_hashable(item.value), item.source)
            elif item.kind in ("count_change", "rate_change"):
                if _is_number(item.value):
                    changes.setdefault((item.kind, key, _hashable(item.value)), item.source)
            else:
                raise ValueError(f"unknown kind of shown value {item.kind!r}")
        for key, given in rates.items():
            people = self._person_years(key[1], key[2])
            for rate, source in given.items():
                if people is not None:
                    counts[key].setdefault(_hashable(rate * people / 1000), f"rate {rate:g} x population at {source}")
        for (kind, now, value), where in changes.items():  # a change gives the other period's shown value
            before = (now[0], now[1], tuple(y - len(now[2]) for y in now[2]))
            if kind == "count_change":
                for known, unknown, step in ((now, before, -value), (before, now, value)):
                    for shown, source in list(counts[known].items()):
                        number = _shown_number(shown)
                        if number is not None:
                            counts[unknown].setdefault(_hashable(number + step),
                                                       f"{source}, then the change {value:+g} at {where}")
            else:
                for known, unknown, step in ((now, before, -value), (before, now, value)):
                    people = self._person_years(unknown[1], unknown[2])
                    for rate, source in list(rates[known].items()):
                        if people is not None:
                            counts[unknown].setdefault(_hashable((rate + step) * people / 1000),
                                                       f"rate {rate:g} at {source}, then the rate change "
                                                       f"{value:+g} at {where}, x population")
        facts = {}  # the first place each fact was shown
        for (layer, area, years), given in counts.items():
            rule = self.rules[layer]
            terms = tuple(((layer, area, year), 1) for year in years)
            for value, source in given.items():
                interval = shown_interval(value, rule, len(years))
                if interval is not None and (terms, *interval) not in facts:
                    facts[(terms, *interval)] = Fact(terms, *interval, source)
        return list(facts.values())

    def _person_years(self, area: str, years: tuple[int, ...]) -> float | None:
        people = [self.population.get((area, year)) for year in years]
        if any(p is None or not p > 0 for p in people):
            return None
        return float(sum(people))

    def propagate(self) -> tuple[dict[Unknown, list], list[Fact]]:
        """Bounds ``[low, high, fact that set low, fact that set high]`` of every unknown in a fact,
        tightened over every fact until nothing changes; and every fact used."""
        facts = self._facts_from_shown() + self.facts
        seen = {unknown for fact in facts for unknown, _ in fact.terms}
        facts += [Fact((((inner, area, year), 1), ((outer, area, year), -1)), -INFINITY, 0,
                       f"{inner} is part of {outer}")
                  for inner, outer in self.nested for layer, area, year in seen
                  if layer == inner and (outer, area, year) in seen]
        bounds: dict[Unknown, list] = {}
        for fact in facts:
            for unknown, _ in fact.terms:
                bounds.setdefault(unknown, [0.0, INFINITY, None, None])
        by_area: dict[str, list[Fact]] = defaultdict(list)
        for fact in facts:
            by_area[fact.terms[0][0][1]].append(fact)
        for area_facts in by_area.values():
            _tighten(area_facts, bounds)
        return bounds, facts

    def first_leak(self, truth: dict[Unknown, int]) -> str | None:
        """The first protected count pinned (a single year or a window), or a protected year held to a
        tighter range than its rule allows, by everything known; a fact that contradicts the truth is
        reported too (the reading is wrong)."""
        bounds, facts = self.propagate()
        for unknown, (low, high, low_fact, high_fact) in bounds.items():
            true = truth.get(unknown)
            if true is None:
                continue
            if true < low - TOLERANCE or true > high + TOLERANCE:
                return (f"the knowledge contradicts the true count of {_name(unknown)} ({true}): it is held to "
                        f"{_range(low, high)} by {_why(low_fact, high_fact)}")
        windows = [((unknown, 1),) for unknown in bounds] + [fact.terms for fact in facts]
        checked = set()
        for terms in windows:
            if terms in checked or any(c != 1 for _, c in terms) or any(u not in truth for u, _ in terms):
                continue
            checked.add(terms)
            true = sum(truth[unknown] for unknown, _ in terms)
            allowed = protected_range(true, self.rules[terms[0][0][0]])
            if allowed is None:
                continue
            low = sum(bounds[unknown][0] for unknown, _ in terms)
            high = sum(bounds[unknown][1] for unknown, _ in terms)
            narrowed = low > allowed[0] + TOLERANCE or high < allowed[1] - TOLERANCE
            if high - low < TOLERANCE or (narrowed and len(terms) == 1):  # a window: its years are the unit
                how = "; ".join(_why(*bounds[unknown][2:]) for unknown, _ in terms)
                return (f"{_name_sum([u for u, _ in terms])}: true {true}, protected (the rule allows "
                        f"{_range(*allowed)}), is worked out to be {_range(low, high)} from {how}")
        return None


def protected_range(true: int, rule: DisclosureRule) -> tuple[float, float] | None:
    """The range a viewer may know a protected count to lie in; None if the count is not protected."""
    if 1 <= true < rule.smallest_shown:
        return 1, rule.smallest_shown - 1
    shown = math.floor(true / rule.rounding_base + 0.5) * rule.rounding_base
    if shown != true:
        return shown_interval(shown, rule, 1)
    return None


def _tighten(facts: list[Fact], bounds: dict[Unknown, list]) -> None:
    """Bounds consistency on linear facts with integer unknowns, until a pass tightens nothing."""
    changed, passes = True, 0
    while changed:
        changed, passes = False, passes + 1
        if passes > 200:
            raise RuntimeError("the bounds did not settle in 200 passes")
        for fact in facts:
            lows = [c * bounds[u][0] if c > 0 else c * bounds[u][1] for u, c in fact.terms]
            highs = [c * bounds[u][1] if c > 0 else c * bounds[u][0] for u, c in fact.terms]
            low_sum, high_sum = _sum(lows), _sum(highs)
            for index, (unknown, coefficient) in enumerate(fact.terms):
                rest_low = _without(low_sum, lows[index], lows)
                rest_high = _without(high_sum, highs[index], highs)
                term_low, term_high = fact.low - rest_high, fact.high - rest_low  # coefficient x unknown
                if coefficient > 0:
                    new_low, new_high = term_low / coefficient, term_high / coefficient
                else:
                    new_low, new_high = term_high / coefficient, term_low / coefficient
                bound = bounds[unknown]
                if new_low > bound[0] + TOLERANCE:
                    bound[0], bound[2], changed = math.ceil(new_low - TOLERANCE), fact, True
                if new_high < bound[1] - TOLERANCE:
                    bound[1], bound[3], changed = math.floor(new_high + TOLERANCE), fact, True
                if bound[0] > bound[1]:  # facts that contradict each other: first_leak names the true count outside
                    return


def _sum(values: list[float]) -> float:
    finite = [v for v in values if math.isfinite(v)]
    infinite = [v for v in values if not math.isfinite(v)]
    return sum(finite) + (sum(infinite) if infinite else 0.0)


def _without(total: float, value: float, values: list[float]) -> float:
    if math.isfinite(value):
        return total - value if math.isfinite(total) else total
    others = [v for v in values if not math.isfinite(v)]
    return _sum([v for v in values if math.isfinite(v)]) + (sum(others[1:]) if len(others) > 1 else 0.0)


def _hashable(value: object) -> object:
    return round(float(value), 9) if _is_number(value) else value


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(float(value))


def _shown_number(value: object) -> float | None:
    if _is_number(value):
        return float(value)
    if isinstance(value, str):
        return _number(value.strip())
    return None


def _name(unknown: Unknown) -> str:
    layer, area, year = unknown
    return f"{layer} in {area}, {year}/{(year + 1) % 100:02d}"


def _name_sum(unknowns: list[Unknown]) -> str:
    if len(unknowns) == 1:
        return _name(unknowns[0])
    years = sorted(u[2] for u in unknowns)
    return f"{unknowns[0][0]} in {unknowns[0][1]}, {years[0]}/{(years[0] + 1) % 100:02d}-{years[-1]}/{(years[-1] + 1) % 100:02d}"


def _range(low: float, high: float) -> str:
    if high - low < TOLERANCE:
        return f"exactly {low:g}"
    return f"{low:g} to {high:g}" if math.isfinite(high) else f"{low:g} or more"


def _why(low_fact: Fact | None, high_fact: Fact | None) -> str:
    parts = []
    for side, fact in (("at least", low_fact), ("at most", high_fact)):
        if fact is not None:
            parts.append(f"{side}: {fact.source} ({_fact_text(fact)})")
    return ", ".join(parts) or "the counts being 0 or more"


def _fact_text(fact: Fact) -> str:
    terms = " + ".join(("" if c == 1 else "-" if c == -1 else f"{c} x ") + _name(u) for u, c in fact.terms)
    return f"{terms} in {_range(fact.low, fact.high)}"
