"""Values for people: every KPI value formatted from its catalogue kind (rates in %,
durations with a unit chosen by magnitude, money with the scenario's currency),
differences, service levels with their target and :data:`MISSED` marker, table labels
and a scenario's changed settings. Used by the terminal tables and the HTML report.
"""

from __future__ import annotations

import math
import textwrap

import yaml

from simcc.catalogue import CATALOGUE, KPIS, keys
from simcc.scenario.schema import Scenario
from simcc.units import DAY, HOUR, MINUTE

PERCENT = set(keys(kind="rate"))
RATIOS = set(keys(kind="ratio"))
LABELS = {entry.key: entry.label for entry in CATALOGUE}
"""KPI key -> table label, in catalogue order (the order of the overall table). Units
are in the cells (``8.3 s``, ``5.6 h``, ``72.1%``, ``12,345 EUR``), not in the labels."""
MISSED = "✗"
"""Marker after a service level below its target (a sign, not only a colour)."""
MISSED_NOTE = f"{MISSED} service level below the channel's target"
NO_VALUE = "–"
"""What a missing or non-finite value is shown as."""
DURATION_UNITS = ((10 * MINUTE, "s", 1.0), (2 * HOUR, "min", MINUTE), (2 * DAY, "h", HOUR),
                  (math.inf, "d", DAY))
"""(below this many seconds, unit, seconds per unit): how durations are shown."""


def duration_unit(seconds: float) -> tuple[str, float]:
    """The unit a duration reads best in, and its length in seconds: seconds below
    10 minutes, minutes below 2 hours, hours below 2 days, days beyond."""
    for below, unit, size in DURATION_UNITS:
        if abs(seconds) < below:
            return unit, size
    raise AssertionError("unreachable: the last unit has no bound")


def _missing(value: float | None) -> bool:
    """Whether a value has nothing to show: None, NaN or infinite."""
    return value is None or not math.isfinite(value)


def _number(value: float) -> str:
    """One decimal below 100, whole numbers with thousands separators above."""
    return f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"


def fmt_duration(seconds: float, unit: str | None = None) -> str:
    """A duration for people with its unit: ``8.3 s``, ``508 s``, ``12.4 min``,
    ``5.6 h``, ``3.2 d`` (unit by magnitude, see :func:`duration_unit`, unless given)."""
    if _missing(seconds):
        return NO_VALUE
    size = dict((u, s) for _, u, s in DURATION_UNITS)[unit] if unit else None
    if size is None:
        unit, size = duration_unit(seconds)
    return f"{_number(seconds / size)} {unit}"


def fmt_span(seconds: float) -> str:
    """A setting's duration, exact and short: ``30 s``, ``2 min``, ``24 h``, ``1 h 30 min``."""
    whole = int(round(seconds))
    if whole < MINUTE or whole % MINUTE:
        return f"{seconds:g} s"
    hours, minutes = divmod(whole // 60, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h" + (f" {minutes} min" if minutes else "")


def fmt_money(value: float, currency: str | None = None) -> str:
    """An amount: cents below 100, whole units above; the currency after it if any."""
    if _missing(value):
        return NO_VALUE
    text = f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    return f"{text} {currency}" if currency else text


def fmt(kpi: str, value: float, currency: str | None = None) -> str:
    """Format one KPI value for people from its catalogue kind: rates in %, counts,
    ratios, durations with a unit, money (with ``currency``), segment value (as money,
    without a currency), agents."""
    if _missing(value):
        return NO_VALUE
    kind = KPIS[kpi].kind if kpi in KPIS else None
    if kind == "rate":
        return f"{100 * value:.1f}%"
    if kind == "count":
        return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"
    if kind == "ratio":
        return f"{value:.3f}"
    if kind == "seconds":
        return fmt_duration(value)
    if kind == "money":
        return fmt_money(value, currency)
    if kind == "value":
        return fmt_money(value)
    return f"{value:,.1f}" if abs(value) < 1e5 else f"{value:,.0f}"


def fmt_range(kpi: str, low: float, high: float, mean: float,
              currency: str | None = None) -> str:
    """A 95% interval: durations in the unit of the mean, the unit once (``0.5 – 16.0 s``)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return NO_VALUE
    if kpi in KPIS and KPIS[kpi].kind == "seconds":
        unit, size = duration_unit(mean if math.isfinite(mean) else high)
        return f"{_number(low / size)} – {_number(high / size)} {unit}"
    if kpi in KPIS and KPIS[kpi].kind in ("money", "value"):
        unit = currency if KPIS[kpi].kind == "money" else None
        return f"{fmt_money(low)} – {fmt_money(high, unit)}"
    return f"{fmt(kpi, low)} – {fmt(kpi, high)}"


def sl_target(scenario: Scenario, channel: str) -> str:
    """A channel's service-level goal as planners say it: ``80% in 30 s``."""
    goal = scenario.channels[channel].service_level
    return f"{100 * goal.target:g}% in {fmt_span(goal.threshold)}"


def fmt_service_level(value: float, target: float) -> str:
    """A service level, followed by :data:`MISSED` when below ``target``."""
    text = fmt("service_level", value)
    return f"{text} {MISSED}" if math.isfinite(value) and value < target else text


def counted_period(scenario: Scenario) -> str:
    """What a run's totals (agent cost) cover: ``per day``, ``over 3 days`` or
    ``over 11 h 30 min`` (the counted period, horizon minus warm-up)."""
    counted = scenario.horizon.length_s - scenario.horizon.warmup
    days = counted / DAY
    if math.isclose(days, 1.0):
        return "per day"
    if math.isclose(days, round(days)):
        return f"over {round(days)} days"
    return f"over {fmt_span(counted)}"


def label(kpi: str, scenario: Scenario) -> str:
    """The label of a KPI in the tables of ``scenario``: agent cost names its period."""
    text = LABELS.get(kpi, kpi)
    return f"{text} ({counted_period(scenario)})" if kpi == "cost" else text


def column_header(text: str) -> str:
    """A column header on lines of at most 10 characters, so that value columns need
    not wrap (``agents\nstaffed``)."""
    return "\n".join(textwrap.wrap(text, 10, break_long_words=False)) or text


def signed(kpi: str, value: float) -> str:
    """A difference for people, rounded to the KPI's display unit: percentage points
    (2 decimals) for rates, 3 decimals for ratios, 1 decimal otherwise (seconds, counts,
    money); a difference that rounds to zero is ``0`` (never ``+1.15e-15``)."""
    if not math.isfinite(value):
        return NO_VALUE
    if kpi in PERCENT:
        points = round(100 * value, 2)
        return "0 pp" if points == 0 else f"{points:+.2f} pp"
    decimals = 3 if kpi in RATIOS else 1
    rounded = round(value, decimals)
    return "0" if rounded == 0 else f"{rounded:+,.{decimals}f}"


def fmt_value(value) -> str:
    """A scenario value as written in YAML flow style: ``102``, ``null``, ``08:00``,
    ``{default: 0.92, tech: 0.9}``, ``[{start: 08:00, count: 33}]``."""
    if isinstance(value, str):
        return value
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10**6)
    return text.strip().removesuffix("...").strip()


def _chains(overrides: dict, prefix: str = "") -> list[tuple[str, object]]:
    """(path, value) pairs: a mapping with a single key joins its parent's path
    (``{agents: {team: {count: 102}}}`` -> ``agents.team.count``); a mapping of several
    keys is a value (a new agent group stays one ``agents.tech={...}``)."""
    pairs: list[tuple[str, object]] = []
    for key, value in overrides.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and len(value) == 1:
            pairs.extend(_chains(value, path))
        else:
            pairs.append((path, value))
    return pairs


def describe_changes(overrides: dict) -> str:
    """A variant's changes as ``path=value`` pairs in YAML flow style:
    ``agents.team.count=102, routing.policy=fifo``; ``no changes`` when empty."""
    return ", ".join(f"{path}={fmt_value(value)}" for path, value in _chains(overrides)) \
        or "no changes"
