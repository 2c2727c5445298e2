"""The daily schedule of a scenario laid out over simulated time, for checks that need
no simulation: demand rates, opening hours and agents logged in, each piecewise
constant between the instants where one of them changes.

Simulated time 0 is the clock time ``horizon.start``. Profiles, shifts and opening
hours repeat every day, staffing tables every ``period``, and a calendar's day rules
change a day's volume and profile, so each is a function of the *clock*: seconds since
midnight of the horizon's first day (``horizon.start + t``); these functions follow
what the engine does over the arrival period (:mod:`simcc.model.demand` for rates,
:mod:`simcc.model.staffing` for log-ins, with shift breaks and weekdays; absenteeism and
shrinkage, which are random, left aside).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from simcc.scenario.calendar import WEEKDAYS
from simcc.scenario.forecast import intent_pieces, rate_at
from simcc.scenario.schema import AgentGroup, Demand, Scenario, Shift
from simcc.units import DAY


@dataclass(frozen=True)
class Timeline:
    """Segments ``[edges[k], edges[k+1])`` of simulated time, seconds, on which every
    rate, opening and staffing of the scenario is constant; ``clock`` is the clock (seconds
    since midnight of the first day) at the middle of each segment."""

    edges: np.ndarray
    clock: np.ndarray

    @property
    def lengths(self) -> np.ndarray:
        """Segment lengths, seconds."""
        return np.diff(self.edges)

    def before(self, end_s: float) -> np.ndarray:
        """Mask of the segments that lie before ``end_s`` (an edge of the timeline)."""
        return self.edges[1:] <= end_s + 1e-9


def timeline(scenario: Scenario, end_s: float) -> Timeline:
    """The timeline of ``scenario`` over ``[0, end_s)``; ``end_s``, the end of the
    arrival period and the end of the warm-up are edges."""
    horizon = scenario.horizon
    offsets = np.array(sorted(set(_daily_change_points(scenario))), dtype=float)
    days = np.arange(math.ceil(end_s / DAY) + 1, dtype=float)
    times = ((offsets - horizon.start) % DAY)[None, :] + DAY * days[:, None]
    edges = np.concatenate([[0.0, horizon.warmup, horizon.length_s, end_s], times.ravel()])
    edges = np.unique(edges[(edges >= 0) & (edges <= end_s)])
    middle = (edges[:-1] + edges[1:]) / 2
    return Timeline(edges, middle + horizon.start)


def _daily_change_points(scenario: Scenario) -> list[float]:
    """Clock times of day at which some rate, opening or staffing may change."""
    points = [0.0]
    horizon = scenario.horizon
    for profile in scenario.profiles.values():
        first = horizon.start if profile.start is None else profile.start
        interval = horizon.interval if profile.interval is None else profile.interval
        points += [first + k * interval for k in range(len(profile.weights) + 1)]
    for group in scenario.agents.values():
        if group.shifts is not None:
            points += [t for shift in group.shifts for t in (shift.start, shift.end)]
            points += [shift.start + offset + k * item.duration
                       for shift in group.shifts for item in shift.breaks
                       for offset in set(item.offsets(shift.start, shift.count))
                       for k in (0, 1)]
        if group.staffing is not None:
            first, interval = _table_grid(scenario, group)
            points += [first + k * interval for k in range(len(group.staffing.counts) + 1)]
    for channel in scenario.channels.values():
        if channel.hours is not None:
            points += [channel.hours.open, channel.hours.close]
    for demand in scenario.demand:
        if demand.forecast is not None:
            step = demand.forecast.interval or horizon.interval
            points += [t + k * step for t in set(demand.forecast.starts) for k in (0, 1)]
    return [p % DAY for p in points]


def demand_rate(scenario: Scenario, demand: Demand, clock: np.ndarray) -> np.ndarray:
    """Arrival rate of one demand stream at ``clock`` (seconds since midnight of the
    first day), contacts per second (a daily volume without a profile is spread evenly
    over the day); with a calendar, each day's rule scales it and may swap its profile."""
    clock = np.asarray(clock, dtype=float)
    if demand.forecast is not None:
        return sum((r for r, _ in intent_rates(scenario, demand, clock).values()),
                   np.zeros(len(clock)))
    rate = demand.rate
    calendar = scenario.calendar
    if calendar is None:
        return _profile_rate(scenario, rate.profile, rate, clock)
    out = np.zeros(len(clock))
    for name in {rate.profile, *(r.profile for r in _rules(calendar) if r.profile)}:
        first = _profile_first(scenario, name)
        day = np.floor((clock - first) / DAY).astype(int)
        volume, profile = _day_rules(calendar, day, rate.profile)
        chosen = np.array([p == name for p in profile], dtype=bool)
        if chosen.any():
            out[chosen] = (volume[chosen]
                           * _profile_rate(scenario, name, rate, clock[chosen]))
    return out


def intent_rates(scenario: Scenario, demand: Demand, clock: np.ndarray
                 ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per intent of one demand stream, its arrival rate (contacts per second) and mean
    handle time (seconds) at ``clock``: the mix's share of the stream's rate and the
    intent's mean, or, for a forecast, each row's volume and AHT (zero rate outside the
    horizon)."""
    clock = np.asarray(clock, dtype=float)
    if demand.forecast is None:
        rate = demand_rate(scenario, demand, clock)
        return {name: (rate * share, np.full(len(clock), _mean_handle(scenario, name)))
                for name, share in demand.mix.items()}
    t = clock - scenario.horizon.start
    out = {}
    for name, pieces in intent_pieces(scenario, demand).items():
        rate, aht = rate_at(pieces, t)
        out[name] = (rate, np.where(np.isnan(aht), _mean_handle(scenario, name), aht))
    return out


def _mean_handle(scenario: Scenario, intent: str) -> float:
    return scenario.intents[intent].handle_time.sampler().mean


def _rules(calendar) -> list:
    """Every day rule of a calendar."""
    return [*calendar.weekdays.values(), *calendar.dates.values()]


def _profile_first(scenario: Scenario, name: str | None) -> float:
    """Clock time at which the day of profile ``name`` starts (midnight: no profile)."""
    if name is None:
        return 0.0
    profile = scenario.profiles[name]
    return scenario.horizon.start if profile.start is None else profile.start


def _day_rules(calendar, day: np.ndarray, default: str | None
               ) -> tuple[np.ndarray, list[str | None]]:
    """Volume factor and profile of each day index (days after ``start_date``)."""
    volume, profile = np.ones(len(day)), []
    for k, d in enumerate(day):
        rule = calendar.rule(calendar.start_date + dt.timedelta(days=int(d)))
        volume[k] = rule.volume if rule is not None else 1.0
        profile.append(rule.profile if rule is not None and rule.profile else default)
    return volume, profile


def _profile_rate(scenario: Scenario, name: str | None, rate, clock: np.ndarray
                  ) -> np.ndarray:
    """The rate ``rate`` spread by profile ``name`` (None: flat) at ``clock``."""
    if name is None:
        return np.full(len(clock), rate.mean_per_second)
    profile = scenario.profiles[name]
    interval = scenario.horizon.interval if profile.interval is None else profile.interval
    weights = np.asarray(profile.weights, dtype=float)
    per_day = rate.per_day if rate.per_day is not None else rate.mean_per_second * DAY
    per_weight = per_day / weights.sum() / interval
    return _table_value(weights, (clock - _profile_first(scenario, name)) % DAY,
                        interval) * per_weight


def channel_open(scenario: Scenario, channel: str, clock: np.ndarray) -> np.ndarray:
    """Whether ``channel`` is open at clock times ``clock`` (no hours: always)."""
    hours = scenario.channels[channel].hours
    if hours is None:
        return np.ones(len(clock), dtype=bool)
    return (clock - hours.open) % DAY < (hours.close - hours.open) % DAY


def containment(scenario: Scenario, channel: str, intent: str) -> float:
    """Probability that self-service resolves a contact of ``intent`` on ``channel``
    before it reaches an agent (0 without a self-service step)."""
    step = scenario.channels[channel].self_service
    return 0.0 if step is None else step.containment.get(intent, 0.0)


def shift_on(start: float, length_s: float, clock: np.ndarray) -> np.ndarray:
    """Whether a daily shift from clock time ``start`` lasting ``length_s`` is on."""
    return (clock - start) % DAY < length_s


def shift_agents(scenario: Scenario, shift: Shift, clock: np.ndarray) -> np.ndarray:
    """Agents of one shift logged in at clock times ``clock``: on the shift's days only
    (``days``, by the date the shift starts) and not on a break."""
    since = (clock - shift.start) % DAY
    on = since < shift.length_s
    if shift.days is not None and scenario.calendar is not None:
        began = np.floor((clock - shift.start) / DAY).astype(int)
        works = {int(d): WEEKDAYS[(scenario.calendar.start_date
                                   + dt.timedelta(days=int(d))).weekday()] in shift.days
                 for d in np.unique(began)}
        on &= np.array([works[int(d)] for d in began], dtype=bool)
    agents = np.where(on, float(shift.count), 0.0)
    for item in shift.breaks:
        for offset, away in Counter(item.offsets(shift.start, shift.count)).items():
            agents -= away * (on & (since >= offset) & (since < offset + item.duration))
    return agents


def logged_in(scenario: Scenario, group: AgentGroup, clock: np.ndarray) -> np.ndarray:
    """Agents of ``group`` logged in at clock times ``clock`` (over the arrival period;
    agents finishing work after their shift are not counted)."""
    if group.count is not None:
        return np.full(len(clock), float(group.count))
    if group.shifts is not None:
        return sum((shift_agents(scenario, shift, clock) for shift in group.shifts),
                   np.zeros(len(clock)))
    first, interval = _table_grid(scenario, group)
    counts = np.asarray(group.staffing.counts, dtype=float)
    return _table_value(counts, (clock - first) % group.staffing.period_s, interval)


def _table_grid(scenario: Scenario, group: AgentGroup) -> tuple[float, float]:
    """Start clock time and interval of a group's staffing table."""
    table, horizon = group.staffing, scenario.horizon
    first = horizon.start if table.start is None else table.start
    return first, horizon.interval if table.interval is None else table.interval


def _table_value(values: np.ndarray, since_first: np.ndarray, interval: float) -> np.ndarray:
    """``values[k]`` for times ``since_first`` seconds after the table's start, where
    ``k`` is the interval they fall in; 0 past the table's end."""
    index = np.floor(since_first / interval).astype(int)
    inside = index < len(values)
    return np.where(inside, values[np.minimum(index, len(values) - 1)], 0.0)
