"""`simcc schedule` (docs/scheduling.md): the least-cost roster of allowed shifts that
covers per-interval requirements, by integer programming; its coverage is what the
rostered scenario's shifts log in; shortfalls reported interval by interval."""

import subprocess
import sys

import numpy as np
import pytest
import yaml
from helpers import small

from simcc import ScenarioError, load_scenario
from simcc.errors import SimccError
from simcc.model.staffing import shift_events
from simcc.planning.schedule import (
    load_patterns,
    read_requirements,
    rostered_document,
    solve,
)
from simcc.units import DAY, HOUR

PATTERNS = {"group": "team", "patterns": [
    {"name": "long", "start": {"from": "08:00", "to": "12:00", "every": "1h"},
     "length": "4h", "cost": 1},
    {"name": "short", "start": {"from": "08:00", "to": "12:00", "every": "1h"},
     "length": "2h", "cost": 1.2}]}


def requirements(tmp_path, rows, header="group,date,start,required,interval"):
    path = tmp_path / "req.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def hourly(tmp_path, counts, date="", first=8):
    return requirements(tmp_path, [f"team,{date},{first + k:02d}:00,{c},3600"
                                   for k, c in enumerate(counts)])


def logged_in(document: dict, interval_s: float, days: int = 1, first: float = 8 * HOUR
              ) -> np.ndarray:
    """Agents logged in per interval from the rostered scenario's own shift events
    (simulated from midnight), each day's intervals from clock ``first`` as in the
    coverage table."""
    scenario = load_scenario(document)
    level = np.zeros(days * int(DAY // interval_s))
    for event in shift_events(scenario, "team"):
        k = int(round(event.time_s / interval_s))
        level[k:] += len(event.agents) * (1 if event.on else -1)
    return np.roll(level, -int(first // interval_s))


def test_a_small_roster_solved_by_hand(tmp_path):
    # [2, 2, 3, 3, 1] from 08:00: two 4-hour shifts at 08:00 and one at 09:00 (or
    # 10:00) cost 12 paid hours; any roster with 2-hour shifts costs more.
    roster = solve(read_requirements(hourly(tmp_path, [2, 2, 3, 3, 1]), "team"),
                   load_patterns(PATTERNS))
    assert roster.cost == pytest.approx(12.0) and roster.shortfall == 0
    covered = roster.coverage["covered"].to_numpy()[:5]
    assert (covered >= [2, 2, 3, 3, 1]).all()
    doc = small(horizon={"duration": "24h"})
    rostered = rostered_document(doc, roster)
    assert np.array_equal(logged_in(rostered, HOUR), roster.coverage["covered"])


def test_a_shortfall_is_reported_interval_by_interval(tmp_path):
    # at most 2 agents: 11 agent-hours required, 8 coverable (two 4-hour shifts)
    patterns = {**PATTERNS, "max_agents": 2}
    roster = solve(read_requirements(hourly(tmp_path, [2, 2, 3, 3, 1]), "team"),
                   load_patterns(patterns))
    table = roster.coverage
    assert roster.shortfall == 3 and table["covered"].sum() == 8
    assert (table["shortfall"] == (table["required"] - table["covered"]).clip(lower=0)).all()
    assert roster.shifts["agents"].sum() == 2


def test_breaks_are_placed_inside_their_window_and_leave_coverage(tmp_path):
    # 6 hours of 2 agents; one 6-hour pattern with a 1-hour break 2 or 3 hours in: two
    # agents break at 10:00 and two at 11:00 (each break hour needs the other pair).
    patterns = {"group": "team", "patterns": [
        {"name": "day", "start": "08:00", "length": "6h",
         "breaks": [{"after": ["2h", "3h"], "duration": "1h"}]}]}
    roster = solve(read_requirements(hourly(tmp_path, [2] * 6), "team"),
                   load_patterns(patterns))
    assert roster.shortfall == 0 and roster.shifts["agents"].sum() == 4
    assert sorted(b for row in roster.shifts.itertuples() for b in row.breaks) == [
        10 * HOUR, 11 * HOUR]
    rostered = rostered_document(small(horizon={"duration": "24h"}), roster)
    assert np.array_equal(logged_in(rostered, HOUR), roster.coverage["covered"])
    assert "breaks" in rostered["agents"]["team"]["shifts"][0]


def test_a_week_of_different_days_gets_weekday_shifts(tmp_path):
    rows = []
    for d in range(7):
        need = 0 if d == 6 else (1 if d == 5 else 3)  # Sunday closed, Saturday quiet
        rows += [f"team,2026-03-{2 + d:02d},{8 + k:02d}:00,{need},3600" for k in range(4)]
    roster = solve(read_requirements(requirements(tmp_path, rows), "team"),
                   load_patterns(PATTERNS))
    rostered = rostered_document(small(horizon={"days": 7}), roster)
    assert rostered["calendar"]["start_date"] == "2026-03-02"
    days = {d for s in rostered["agents"]["team"]["shifts"] for d in s["days"]}
    assert days == {"mon", "tue", "wed", "thu", "fri", "sat"}
    assert np.array_equal(logged_in(rostered, HOUR, days=7), roster.coverage["covered"])
    assert roster.cost == pytest.approx(4 * (3 * 5 + 1))


def week_of(tmp_path, need: list[int], hours: int = 8):
    return requirements(tmp_path, [f"team,2026-03-{2 + d:02d},{9 + k:02d}:00,{n},3600"
                                   for d, n in enumerate(need) for k in range(hours)])


def test_weekly_tours_with_two_days_off_in_a_row(tmp_path):
    # 5 agents every day, 8-hour shifts, 5 working days a week: 7 agents, one per
    # rotation of the two days off, cover every day exactly (35 agent-days, cost 280)
    patterns = load_patterns({"group": "team", "patterns": [
        {"name": "week", "start": "09:00", "length": "8h", "days_off": 2}]})
    roster = solve(read_requirements(week_of(tmp_path, [5] * 7), "team"), patterns)
    assert roster.variables == 7 and roster.shortfall == 0
    assert roster.cost == pytest.approx(7 * 5 * 8)
    per_date = roster.shifts.groupby("date")["agents"].sum()
    assert per_date.tolist() == [5] * 7
    rostered = rostered_document(small(horizon={"days": 7}), roster)
    assert np.array_equal(logged_in(rostered, HOUR, days=7, first=9 * HOUR),
                          roster.coverage["covered"])


def test_tours_cost_more_where_days_differ_and_need_a_week(tmp_path):
    # weekdays 4, weekend 0: tours with the weekend off cover it exactly (4 agents)
    patterns = load_patterns({"group": "team", "patterns": [
        {"name": "week", "start": "09:00", "length": "8h", "days_off": 2}]})
    roster = solve(read_requirements(week_of(tmp_path, [4] * 5 + [0, 0]), "team"), patterns)
    assert roster.shifts["agents"].sum() == 4 * 5 and roster.coverage["surplus"].sum() == 0
    scattered = load_patterns({"group": "team", "patterns": [
        {"name": "week", "start": "09:00", "length": "8h", "days_off": 2,
         "consecutive": False}]})
    assert solve(read_requirements(week_of(tmp_path, [4] * 5 + [0, 0]), "team"),
                 scattered).variables == 21  # C(7, 2)
    with pytest.raises(SimccError, match="need requirements for 7 consecutive dates"):
        solve(read_requirements(hourly(tmp_path, [2, 2]), "team"), patterns)


@pytest.mark.parametrize(("rows", "text"), [
    (["team,,08:00,two,3600"], "line 2, column required"),
    (["team,,8 o'clock,2,3600"], "line 2, column start"),
    (["team,03/02/2026,08:00,2,3600"], "line 2, column date"),
    (["other,,08:00,2,3600"], "no rows for group 'team'"),
])
def test_requirement_errors_name_line_and_column(tmp_path, rows, text):
    with pytest.raises(SimccError, match=text):
        read_requirements(requirements(tmp_path, rows), "team")
    with pytest.raises(SimccError, match="missing column"):
        read_requirements(requirements(tmp_path, ["team,08:00"], "group,start"), "team")


def test_pattern_errors_name_the_field():
    bad = {"group": "team", "patterns": [{"name": "x", "start": "08:00", "length": "-1h"}]}
    with pytest.raises(ScenarioError, match="patterns.0.length|patterns\\[0\\].length"):
        load_patterns(bad)


def test_the_command(tmp_path):
    req = hourly(tmp_path, [2, 2, 3, 3, 1])
    patterns = tmp_path / "p.yaml"
    patterns.write_text(yaml.safe_dump(PATTERNS))
    scenario = tmp_path / "s.yaml"
    scenario.write_text(yaml.safe_dump(small(horizon={"duration": "24h"})))
    out, cov = tmp_path / "out.yaml", tmp_path / "cov.csv"
    run = [sys.executable, "-m", "simcc", "schedule", str(req), "-p", str(patterns), "-s",
           str(scenario), "-o", str(out), "--coverage", str(cov)]
    proc = subprocess.run(run, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "0 uncovered agent-intervals" in proc.stdout and out.exists() and cov.exists()
    assert cov.read_text().startswith("group,date,start,required,covered,shortfall,surplus")
    load_scenario(out)
    patterns.write_text(yaml.safe_dump({**PATTERNS, "max_agents": 2}))
    short = subprocess.run(run, capture_output=True, text=True)
    assert short.returncode == 1 and "short 1 at" in short.stdout
    out.unlink()
    req.write_text("group,date,start,required\nteam,,08:00,x\n")
    bad = subprocess.run(run, capture_output=True, text=True)
    assert bad.returncode == 2 and "column required" in bad.stderr
    assert not out.exists() and "Traceback" not in bad.stderr


def test_the_planners_flow_staff_schedule_run(tmp_path):
    # A week of different days (Saturday at 60 %, Sunday closed): simcc staff plans each
    # date, its requirements feed the scheduler, and the rostered scenario runs with
    # exactly the coverage the solver reports and meets the service target it was
    # planned for on weekdays.
    import simcc

    doc = small(horizon={"days": 7, "interval": "1h"}, replications=2,
                calendar={"start_date": "2026-03-02",
                          "weekdays": {"sat": {"volume": 0.6}, "sun": {"volume": 0}}},
                profiles={"day": {"start": "08:00", "interval": "1h",
                                  "weights": [1, 2, 3, 3, 2, 2, 3, 3, 2, 1]}},
                demand=[{"channel": "voice", "rate": {"per_day": 600, "profile": "day"},
                         "mix": {"general": 1.0}}],
                targets={"items": [{"kpi": "service_level", "channel": "voice",
                                    "target": 0.8, "threshold": "20s"}]})
    doc["channels"]["voice"]["hours"] = {"open": "08:00", "close": "18:00"}
    doc["channels"]["voice"]["patience"] = {"dist": "exponential", "mean": "3m"}
    plan = simcc.staff(doc, replications=2, workers=2)
    req = tmp_path / "req.csv"
    req.write_text(plan.requirements_csv())
    patterns = load_patterns({"group": "team", "patterns": [
        {"name": "full", "start": {"from": "08:00", "to": "10:00", "every": "1h"},
         "length": "8h", "breaks": [{"after": ["3h", "5h"], "duration": "1h"}]},
        {"name": "part", "start": {"from": "08:00", "to": "14:00", "every": "1h"},
         "length": "4h", "cost": 1.1}]})
    roster = solve(read_requirements(req, "team"), patterns)
    assert roster.shortfall == 0
    rostered = rostered_document(doc, roster)
    assert np.array_equal(logged_in(rostered, HOUR, days=7, first=0.0),
                          roster.coverage["covered"])
    result = simcc.simulate(rostered, workers=2)
    assert result.kpi("service_level") > 0.8


def test_dated_requirements_must_start_on_the_calendar_start(tmp_path):
    rows = [f"team,2026-03-03,{8 + k:02d}:00,2,3600" for k in range(4)]
    roster = solve(read_requirements(requirements(tmp_path, rows), "team"),
                   load_patterns(PATTERNS))
    doc = small(horizon={"days": 1}, calendar={"start_date": "2026-03-02"})
    with pytest.raises(SimccError, match="calendar.start_date is 2026-03-02"):
        rostered_document(doc, roster)
    doc["calendar"]["start_date"] = "2026-03-03"
    assert rostered_document(doc, roster)["agents"]["team"]["shifts"][0]["days"] == ["tue"]


def test_the_roster_as_csv_in_wfm_columns(tmp_path):
    patterns = load_patterns({"group": "team", "patterns": [
        {"name": "day", "start": "08:00", "length": "6h",
         "breaks": [{"after": ["2h", "3h"], "duration": "1h"}]}]})
    roster = solve(read_requirements(hourly(tmp_path, [2] * 6), "team"), patterns)
    lines = roster.shifts_csv().splitlines()
    assert lines[0] == "group,date,pattern,start,end,breaks,agents"
    assert sorted(lines[1:]) == ["team,,day,08:00,14:00,10:00/60m,2",
                                 "team,,day,08:00,14:00,11:00/60m,2"]


@pytest.mark.parametrize("option", ["-o", "--coverage", "--shifts", "--plot"])
def test_an_output_that_cannot_be_written_is_refused_before_solving(tmp_path, option):
    req = hourly(tmp_path, [2, 2])
    patterns = tmp_path / "patterns.yaml"
    patterns.write_text(yaml.safe_dump(PATTERNS))
    scenario = tmp_path / "s.yaml"
    scenario.write_text(yaml.safe_dump(small(horizon={"duration": "24h"})))
    outputs = {"-o": tmp_path / "rostered.yaml", "--coverage": tmp_path / "c.csv",
               "--shifts": tmp_path / "shifts.csv", "--plot": tmp_path / "c.png"}
    outputs[option] = tmp_path  # a folder
    args = [arg for pair in outputs.items() for arg in map(str, pair)]
    run = subprocess.run([sys.executable, "-m", "simcc", "schedule", str(req), "-p",
                          str(patterns), "-s", str(scenario), *args],
                         capture_output=True, text=True)
    assert run.returncode == 2 and option in run.stderr and "Traceback" not in run.stderr
    assert not any(p.exists() for k, p in outputs.items() if k != option)
