"""Shift breaks and weekday-limited shifts (docs/scenario.md, Shifts): exact log-in
sessions, a contact in hand finished before the break, staggered window breaks, and
errors that name the field."""

import pytest
from helpers import small

import simcc
from simcc import ScenarioError, load_scenario
from simcc.model.staffing import shift_events
from simcc.units import HOUR, MINUTE


def shifted(shift: dict, **changes) -> dict:
    doc = small(horizon={"duration": "10h"}, **changes)
    doc["agents"]["team"] = {"shifts": [shift], "skills": {"general": 1.0},
                             "channels": ["voice"]}
    return doc


def sessions(doc: dict):
    result = simcc.simulate(doc, replications=1, workers=1, records="all")
    agents = result.agents.sort_values(["agent", "start_s"])
    return result, [(row.agent, row.start_s, row.end_s) for row in agents.itertuples()]


def test_a_fixed_break_splits_the_session_and_is_not_staffed():
    doc = shifted({"start": "01:00", "end": "09:00", "count": 1,
                   "breaks": [{"start": "04:00", "duration": "30m"}]})
    doc["demand"][0]["rate"] = {"per_hour": 0.001}  # (almost) no calls: exact times
    result, rows = sessions(doc)
    assert [(s, e) for _, s, e in rows] == [(1 * HOUR, 4 * HOUR), (4.5 * HOUR, 9 * HOUR)]
    assert result.kpi("staffed_agents") == pytest.approx(7.5 / 10)


def test_an_agent_finishes_the_contact_in_hand_before_the_break():
    # one call at about 03:55 lasting 20 min: the break starts when it ends, ends on time
    doc = shifted({"start": "01:00", "end": "09:00", "count": 1,
                   "breaks": [{"start": "04:00", "duration": "30m"}]})
    doc["intents"]["general"]["handle_time"] = {"dist": "constant", "mean": "20m"}
    doc["demand"][0]["rate"] = {"per_hour": 0.001}
    scenario = load_scenario(doc)
    events = sorted((e.time_s, e.on) for e in shift_events(scenario, "team"))
    assert events == [(HOUR, True), (4 * HOUR, False), (4.5 * HOUR, True), (9 * HOUR, False)]
    from test_engine import scripted

    frames = scripted(doc, [3 * HOUR + 55 * MINUTE], [float("inf")], [20 * MINUTE])
    agents = frames["sessions"].sort_values("start_s")
    assert agents["end_s"].tolist()[0] == pytest.approx(4 * HOUR + 15 * MINUTE)
    assert agents["start_s"].tolist()[1] == pytest.approx(4.5 * HOUR)


def test_window_breaks_are_staggered_across_the_crew():
    shift = {"start": "00:00", "end": "08:00", "count": 3,
             "breaks": [{"window": ["02:00", "03:00"], "duration": "20m"}]}
    scenario = load_scenario(shifted(shift))
    offs = sorted(e.time_s for e in shift_events(scenario, "team")
                  if not e.on and e.time_s < 8 * HOUR)
    assert offs == [2 * HOUR, 2 * HOUR + 20 * MINUTE, 2 * HOUR + 40 * MINUTE]


def test_weekday_shifts_follow_the_calendar():
    shift = {"start": "08:00", "end": "16:00", "count": 2, "days": ["mon", "wed"]}
    doc = shifted(shift, calendar={"start_date": "2026-03-02"})  # a Monday
    doc["horizon"] = {"days": 7}
    ons = [e.time_s / HOUR for e in shift_events(load_scenario(doc), "team") if e.on]
    assert ons == [8.0, 2 * 24 + 8.0]


@pytest.mark.parametrize(("shift", "path", "text"), [
    ({"breaks": [{"start": "10:00", "duration": "30m"}]}, "agents.team.shifts[0]",
     "inside the shift"),
    ({"breaks": [{"start": "03:00", "window": ["02:00", "04:00"], "duration": "5m"}]},
     "agents.team.shifts[0].breaks[0]", "exactly one of 'start' or 'window'"),
    ({"breaks": [{"window": ["02:00", "02:10"], "duration": "15m"}]},
     "agents.team.shifts[0].breaks[0]", "shorter than the break"),
    ({"days": ["mon"]}, "agents.team.shifts[0].days", "calendar.start_date"),
    ({"days": ["monday"]}, "agents.team.shifts[0].days[0]", "'mon'"),
])
def test_break_and_day_errors_name_the_field(shift, path, text):
    with pytest.raises(ScenarioError) as error:
        load_scenario(shifted({"start": "01:00", "end": "09:00", "count": 1, **shift}))
    assert path in str(error.value) and text in str(error.value)


def test_absent_agents_miss_their_whole_workday_and_the_share_is_right():
    # 20 agents on a daily shift with a break, 30 days, absenteeism 0.1: the share of
    # agent-days absent is binomial(600, 0.1); an absent agent has no session that day
    # (break included), and the draws are the same under another routing policy.
    shift = {"start": "08:00", "end": "16:00", "count": 20,
             "breaks": [{"window": ["11:00", "13:00"], "duration": "30m"}]}
    doc = shifted(shift)
    doc["horizon"] = {"days": 30}
    doc["agents"]["team"]["absenteeism"] = 0.1
    doc["demand"][0]["rate"] = {"per_hour": 0.001}

    def first_sessions(routing: str):
        d = {**doc, "routing": {"policy": routing}}
        agents = simcc.simulate(d, replications=1, workers=1, records="all").agents
        morning = agents[(agents["start_s"] % (24 * HOUR)) == 8 * HOUR]
        assert len(agents) == 2 * len(morning)  # present: before and after the break
        return set(zip(morning["agent"], morning["start_s"] // (24 * HOUR), strict=True))

    present = first_sessions("skill_based")
    absent_share = 1 - len(present) / 600
    assert abs(absent_share - 0.1) < 4 * (0.1 * 0.9 / 600) ** 0.5
    assert present == first_sessions("fifo")
    with pytest.raises(ScenarioError, match="absenteeism applies to agents on shifts"):
        load_scenario(small(agents={"team": {"count": 3, "absenteeism": 0.1,
                                             "skills": {"general": 1.0},
                                             "channels": ["voice"]}}))


def test_scheduled_hours_leave_out_breaks_and_days_off():
    from simcc.model.staffing import scheduled_hours

    doc = small(horizon={"days": 7}, calendar={"start_date": "2026-03-02"})  # a Monday
    doc["agents"]["team"] = {
        "shifts": [{"start": "08:00", "end": "16:30", "count": 3,
                    "days": ["mon", "tue", "wed", "thu", "fri"],
                    "breaks": [{"start": "12:00", "duration": "30m"}]}],
        "skills": {"general": 1.0}, "channels": ["voice"]}
    assert scheduled_hours(load_scenario(doc), "team") == pytest.approx(3 * 8 * 5)
