"""The calendar of days (docs/scenario.md#calendar): dates of simulated time, day rules
that scale volume and swap profiles, exactly in the rate pieces and statistically in the
arrivals; unknown names are errors."""

import datetime as dt

import numpy as np
import pytest
from helpers import small

import simcc
from simcc import ScenarioError, load_scenario
from simcc.model.days import date_at, weekday_at
from simcc.model.demand import rate_pieces
from simcc.units import DAY, HOUR

MONDAY = "2026-03-02"


def week(**calendar) -> dict:
    """A 7-day center from Monday 00:00, 240 calls per day (10 per hour, flat)."""
    return small(horizon={"days": 7}, calendar={"start_date": MONDAY, **calendar},
                 demand=[{"channel": "voice", "rate": {"per_hour": 10},
                          "mix": {"general": 1.0}}])


def daily_volume(scenario) -> list[float]:
    """Expected contacts per simulated day from the rate pieces."""
    totals = np.zeros(int(scenario.horizon.length_s // DAY))
    for start, end, rate in rate_pieces(scenario, scenario.demand[0]):
        totals[int(start // DAY)] += (end - start) * rate
    return totals.tolist()


def test_dates_and_weekdays_of_simulated_times():
    monday = dt.date(2026, 3, 2)
    assert date_at(monday, 8 * HOUR, 0.0) == monday
    assert date_at(monday, 8 * HOUR, 16 * HOUR - 1) == monday
    assert date_at(monday, 8 * HOUR, 16 * HOUR) == dt.date(2026, 3, 3)
    assert weekday_at(monday, 0.0, 6 * DAY + 1) == 6


def test_weekday_and_date_rules_scale_each_days_volume_exactly():
    scenario = load_scenario(week(weekdays={"sat": {"volume": 0.5}, "sun": {"volume": 0}},
                                  dates={"2026-03-04": {"volume": 2.0}}))
    assert daily_volume(scenario) == pytest.approx([240, 240, 480, 240, 240, 120, 0])
    typical = load_scenario(week())
    assert daily_volume(typical) == pytest.approx([240] * 7)


def test_a_day_rule_profile_reshapes_that_day_only():
    doc = week(dates={"2026-03-03": {"profile": "evening"}})
    doc["profiles"] = {"evening": {"start": "18:00", "interval": "1h", "weights": [1, 1]}}
    scenario = load_scenario(doc)
    tuesday = [(s, e, r) for s, e, r in rate_pieces(scenario, scenario.demand[0])
               if DAY <= s < 2 * DAY]
    assert [(s - DAY, e - DAY) for s, e, _ in tuesday] == [(18 * HOUR, 19 * HOUR),
                                                          (19 * HOUR, 20 * HOUR)]
    assert sum((e - s) * r for s, e, r in tuesday) == pytest.approx(240)
    assert daily_volume(scenario) == pytest.approx([240] * 7)


def test_a_horizon_starting_mid_day_dates_its_days_by_the_clock():
    doc = week(weekdays={"tue": {"volume": 0}})
    doc["horizon"] = {"duration": "2d", "start": "12:00"}
    pieces = rate_pieces(load_scenario(doc), load_scenario(doc).demand[0])
    # Monday 12:00 -> Tuesday 00:00 open, all Tuesday closed, Wednesday 00:00 -> 12:00 open
    assert [(s, e) for s, e, _ in pieces] == [(0.0, 12 * HOUR), (36 * HOUR, 48 * HOUR)]


def test_simulated_arrivals_follow_the_calendar():
    doc = week(weekdays={"sat": {"volume": 0.5}, "sun": {"volume": 0}})
    doc["agents"]["team"]["count"] = 4
    result = simcc.simulate(doc, replications=2, workers=1, records="all")
    contacts = result.contacts
    first = contacts[contacts["kind"] == "first"]
    per_day = first.groupby(first["arrival_s"] // DAY).size() / 2
    assert per_day.get(6.0, 0) == 0
    weekday_mean = per_day.loc[0.0:4.0].mean()
    assert abs(weekday_mean - 240) < 4 * np.sqrt(240 / 10)       # 5 days x 2 reps
    assert abs(per_day.loc[5.0] - 120) < 4 * np.sqrt(120 / 2)


@pytest.mark.parametrize(("calendar", "path", "text"), [
    ({"start_date": MONDAY, "weekdays": {"sunday": {}}}, "calendar.weekdays.sunday",
     "'sun'"),
    ({"start_date": MONDAY, "dates": {"2026-03-04": {"profile": "missing"}}},
     "calendar.dates.2026-03-04.profile", "unknown profile 'missing'"),
    ({"start_date": "March 2"}, "calendar.start_date", "date"),
    ({"start_date": MONDAY, "weekdays": {"mon": {"volume": -1}}},
     "calendar.weekdays.mon.volume", ">= 0"),
])
def test_calendar_errors_name_the_field(calendar, path, text):
    with pytest.raises(ScenarioError) as error:
        load_scenario(small(calendar=calendar))
    assert path in str(error.value) and text in str(error.value)


def test_semantic_warnings_follow_the_calendar_and_weekly_tables():
    # A week-long staffing table with nobody on Sunday: no warning while Sunday is
    # closed, a warning naming the unstaffed demand once Sunday has calls.
    from simcc.scenario.semantics import scenario_warnings

    doc = week(weekdays={"sun": {"volume": 0}})
    doc["agents"]["team"] = {"staffing": {"counts": [4] * 6 + [0], "interval": "1d",
                                          "start": "00:00", "period": "7d"},
                             "skills": {"general": 1.0}, "channels": ["voice"]}
    quiet = [str(w) for w in scenario_warnings(load_scenario(doc))]
    assert not any("no agent" in w for w in quiet), quiet
    doc["calendar"]["weekdays"] = {}
    loud = [str(w) for w in scenario_warnings(load_scenario(doc))]
    assert any("no agent with the skill on the channel is logged in" in w for w in loud), loud
