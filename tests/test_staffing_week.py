"""Staffing over a week (docs/staffing.md, *Calendar scenarios*, *Requirements*,
*Shifts*): ``staffing.period``, ``simcc staff`` per date of a calendar, the requirements
CSV and ``simcc staff --shifts``. Sizes are bounded: a few intervals, two replications."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from simcc.errors import ScenarioError
from simcc.experiment import prepare
from simcc.model.staffing import shift_events

HOUR, DAY = 3600.0, 86400.0


def table_scenario(staffing: dict[str, Any], duration: str = "4d", start: str = "00:00"
                   ) -> dict[str, Any]:
    """One group logged in by ``staffing``, no demand to speak of."""
    return {
        "name": "table", "horizon": {"duration": duration, "interval": "12h", "start": start,
                                     "drain": "0s"},
        "channels": {"voice": {}},
        "intents": {"general": {"skill": "general", "handle_time": {"dist": "constant", "mean": 300}}},
        "demand": [{"channel": "voice", "rate": {"per_hour": 1}, "mix": {"general": 1.0}}],
        "agents": {"team": {"staffing": staffing, "skills": {"general": 1.0},
                            "channels": ["voice"]}}}


def events(document: dict[str, Any]) -> list[tuple[float, bool, tuple[int, ...]]]:
    """The group's log-on/off events in time order."""
    found = shift_events(prepare(document), "team")
    return [(e.time_s, e.on, e.agents) for e in sorted(found, key=lambda e: e.time_s)]


def test_a_two_day_period_repeats_the_counts_every_two_days():
    document = table_scenario({"counts": [1, 2, 0, 3], "period": "2d"})
    assert events(document) == [
        (0.0, True, (0,)), (0.5 * DAY, True, (1,)), (DAY, False, (0, 1)),
        (1.5 * DAY, True, (0, 1, 2)), (2 * DAY, False, (1, 2)),   # 3 -> 1: next period
        (2.5 * DAY, True, (1,)), (3 * DAY, False, (0, 1)), (3.5 * DAY, True, (0, 1, 2))]


def test_a_period_is_zero_outside_its_counts_and_starts_at_the_table_clock():
    document = table_scenario({"counts": [2], "period": "2d", "start": "12:00"})
    assert events(document) == [
        (0.5 * DAY, True, (0, 1)), (DAY, False, (0, 1)),
        (2.5 * DAY, True, (0, 1)), (3 * DAY, False, (0, 1))]


def test_a_horizon_starting_mid_period_takes_the_count_in_force():
    # Simulated time 0 is 12:00; the table starts at 00:00 of the first day.
    document = table_scenario({"counts": [1, 2, 3, 4], "period": "2d", "start": "00:00"},
                              duration="2d", start="12:00")
    assert events(document) == [
        (0.0, True, (0, 1)), (0.5 * DAY, True, (2,)), (DAY, True, (3,)),
        (1.5 * DAY, False, (1, 2, 3))]


def test_the_default_period_is_one_day():
    daily = table_scenario({"counts": [1, 2]}, duration="2d")
    assert events(daily) == events(table_scenario({"counts": [1, 2], "period": "1d"},
                                                  duration="2d"))
    assert events(daily)[:3] == [(0.0, True, (0,)), (0.5 * DAY, True, (1,)),
                                 (DAY, False, (0, 1))]


@pytest.mark.parametrize("staffing, text", [
    ({"counts": [1], "period": "36h"}, "whole number of days"),
    ({"counts": [1], "period": "29d"}, "from 1 to 28"),
    ({"counts": [1, 1, 1, 1, 1], "period": "2d"}, "more than the period (2 days)"),
    ({"counts": [1, 1, 1]}, "more than a day"),
])
def test_period_errors_name_the_field(staffing, text):
    with pytest.raises(ScenarioError) as error:
        prepare(table_scenario(staffing))
    assert "agents.team.staffing" in str(error.value)
    assert text in str(error.value)
