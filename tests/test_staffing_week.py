"""Staffing over a week (docs/staffing.md, *Calendar scenarios*, *Requirements*,
*Shifts*): ``staffing.period``, ``simcc staff`` per date of a calendar, the requirements
CSV and ``simcc staff --shifts``. Sizes are bounded: a few intervals, two replications."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import numpy as np
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
        "intents": {"general": {"skill": "general",
                                "handle_time": {"dist": "constant", "mean": 300}}},
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
    ({"counts": [1], "period": "367d"}, "from 1 to 366"),
    ({"counts": [1, 1, 1, 1, 1], "period": "2d"}, "more than the period (2 days)"),
    ({"counts": [1, 1, 1]}, "more than a day"),
])
def test_period_errors_name_the_field(staffing, text):
    with pytest.raises(ScenarioError) as error:
        prepare(table_scenario(staffing))
    assert "agents.team.staffing" in str(error.value)
    assert text in str(error.value)


# ---------------------------------------------------------------- calendar scenarios

WEIGHTS = [1, 3, 2, 2]
"""Four six-hour intervals of a day."""


def small_day(**changes: Any) -> dict[str, Any]:
    """One skill, one priced group, a day of four six-hour intervals with a profile."""
    document: dict[str, Any] = {
        "name": "week", "seed": 11, "replications": 2,
        "horizon": {"duration": "1d", "interval": "6h"},
        "channels": {"voice": {"patience": {"dist": "exponential", "mean": 300},
                               "service_level": {"threshold": 20, "target": 0.8}}},
        "intents": {"general": {"skill": "general",
                                "handle_time": {"dist": "exponential", "mean": 240}}},
        "profiles": {"day": {"weights": WEIGHTS}, "flat": {"weights": [1, 1, 1, 1]}},
        "demand": [{"channel": "voice", "rate": {"per_day": 1200, "profile": "day"},
                    "mix": {"general": 1.0}}],
        "agents": {"team": {"count": 1, "skills": {"general": 1.0}, "channels": ["voice"],
                            "cost_per_hour": 20}}}
    document.update(copy.deepcopy(changes))
    return document


def small_week(days: int = 3, **calendar: Any) -> dict[str, Any]:
    """``days`` days from Monday 2026-03-02; Wednesday at half volume and flat."""
    rules = {"weekdays": {"wed": {"volume": 0.5, "profile": "flat"}}} | calendar
    return small_day(horizon={"days": days, "interval": "6h"},
                     calendar={"start_date": "2026-03-02", **rules})


@pytest.fixture(scope="module")
def week_plan():
    import simcc

    return simcc.staff(small_week(), workers=1)


def test_each_date_is_planned_like_a_typical_day_of_its_own(week_plan):
    import simcc

    monday = simcc.staff(small_day(), workers=1)
    per_day = len(WEIGHTS)
    counts = week_plan.groups["team"]
    assert week_plan.dates == [dt.date(2026, 3, 2), dt.date(2026, 3, 3), dt.date(2026, 3, 4)]
    assert len(counts) == 3 * per_day
    # Monday and Tuesday are typical days: the plan of the scenario without a calendar.
    assert counts[:per_day] == counts[per_day:2 * per_day] == monday.groups["team"]
    # Wednesday has half the contacts, spread flat: fewer agents, the same in each interval.
    wednesday = counts[2 * per_day:]
    assert sum(wednesday) < sum(monday.groups["team"]) and len(set(wednesday)) == 1
    assert week_plan.cost == pytest.approx(2 * monday.cost + sum(wednesday) * 6 * 20)


def test_dates_with_the_same_rates_are_planned_once(week_plan):
    import simcc

    wednesday = simcc.staff(small_day(calendar={
        "start_date": "2026-03-04", "weekdays": {"wed": {"volume": 0.5, "profile": "flat"}}}),
        workers=1)
    monday = simcc.staff(small_day(), workers=1)
    assert week_plan.simulations == monday.simulations + wednesday.simulations
    assert wednesday.groups["team"] == week_plan.groups["team"][2 * len(WEIGHTS):]
    assert "2026-03-03: the plan of 2026-03-02 (same arrival rates, planned once)" \
        in week_plan.notes


def test_the_staffed_week_is_one_table_with_a_period_of_the_horizons_days(week_plan):
    table = week_plan.document["agents"]["team"]["staffing"]
    assert table == {"counts": week_plan.groups["team"], "start": "00:00:00",
                     "interval": 21600.0, "period": "3d"}
    assert "count" not in week_plan.document["agents"]["team"]
    staffing = week_plan.scenario.agents["team"].staffing
    assert staffing.period_s == 3 * DAY
    # The engine's log-ons follow the week: each interval has its date's count.
    events = sorted(shift_events(week_plan.scenario, "team"), key=lambda e: e.time_s)

    def on_duty(time_s: float) -> int:
        return sum((1 if e.on else -1) * len(e.agents) for e in events if e.time_s <= time_s)

    middles = [(k + 0.5) * 0.25 * DAY for k in range(3 * len(WEIGHTS))]
    assert [on_duty(t) for t in middles] == week_plan.groups["team"]


def test_verification_has_one_section_per_date(week_plan):
    table = week_plan.verification
    assert list(table.columns[:2]) == ["date", "target"]
    assert sorted(set(table["date"])) == ["2026-03-02", "2026-03-03", "2026-03-04"]
    wednesday = table[table["date"] == "2026-03-04"]
    assert list(wednesday["interval"]) == [8, 9, 10, 11]
    assert list(wednesday["clock"]) == ["00:00", "06:00", "12:00", "18:00"]
    document = week_plan.to_json()
    assert document["dates"] == ["2026-03-02", "2026-03-03", "2026-03-04"]
    assert document["period_days"] == 3 and document["verification"][0]["date"] == "2026-03-02"
    assert document["per_date"]["2026-03-04"] == {"team": week_plan.groups["team"][8:]}


def test_a_calendar_horizon_longer_than_the_period_limit_is_refused():
    import simcc
    from simcc.errors import SimccError

    with pytest.raises(SimccError, match="at most 28 dates"):
        simcc.staff(small_week(days=29), workers=1)


# ---------------------------------------------------------------- requirements


def test_requirements_frame_of_a_calendar_plan(week_plan):
    frame = week_plan.requirements_frame()
    assert list(frame.columns) == ["group", "date", "start", "required", "interval"]
    assert len(frame) == 12
    assert frame.iloc[8].tolist() == ["team", "2026-03-04", "00:00",
                                      week_plan.groups["team"][8], 21600]
    assert week_plan.requirements_csv().splitlines()[:2] == [
        "group,date,start,required,interval",
        f"team,2026-03-02,00:00,{week_plan.groups['team'][0]},21600"]


def test_requirements_dates_follow_the_clock_past_midnight():
    from simcc.planning.plan import StaffingPlan

    plan = StaffingPlan({"team": [1, 2, 3, 4]}, 6 * HOUR, 12 * HOUR, 0.0, None, {}, [],
                        None, 0, 2, 0.0, True, dates=[dt.date(2026, 3, 2), dt.date(2026, 3, 3)])
    frame = plan.requirements_frame()
    assert frame[["date", "start"]].values.tolist() == [
        ["2026-03-02", "12:00"], ["2026-03-02", "18:00"],
        ["2026-03-03", "12:00"], ["2026-03-03", "18:00"]]
    typical = StaffingPlan({"a": [1, 0], "b": [2, 3]}, 1800.0, 8 * HOUR, 0.0, None, {}, [],
                           None, 0, 2, 0.0, True)
    assert typical.requirements_csv() == ("group,date,start,required,interval\n"
                                          "a,,08:00,1,1800\na,,08:30,0,1800\n"
                                          "b,,08:00,2,1800\nb,,08:30,3,1800\n")


def test_cli_writes_the_requirements_csv(tmp_path):
    import yaml
    from typer.testing import CliRunner

    from simcc.cli import app

    source = tmp_path / "day.yaml"
    source.write_text(yaml.safe_dump(small_day()))
    out, csv = tmp_path / "staffed.yaml", tmp_path / "req" / "requirements.csv"
    result = CliRunner().invoke(app, ["staff", str(source), "-o", str(out), "--requirements",
                                      str(csv), "--workers", "1", "--quiet"])
    assert result.exit_code == 0, result.output
    lines = csv.read_text().splitlines()
    assert lines[0] == "group,date,start,required,interval" and len(lines) == 5
    assert lines[1].startswith("team,,00:00,")
    counts = yaml.safe_load(out.read_text())["agents"]["team"]["staffing"]["counts"]
    assert [int(row.split(",")[3]) for row in lines[1:]] == counts


def test_cli_refuses_an_unwritable_requirements_path_before_the_search(tmp_path):
    import yaml
    from typer.testing import CliRunner

    from simcc.cli import app

    source = tmp_path / "day.yaml"
    source.write_text(yaml.safe_dump(small_day()))
    (tmp_path / "folder").mkdir()
    out = tmp_path / "staffed.yaml"
    for bad in (tmp_path / "folder", out):
        result = CliRunner().invoke(app, ["staff", str(source), "-o", str(out),
                                          "--requirements", str(bad), "--quiet"])
        assert result.exit_code == 2 and "--requirements" in result.output
    assert not out.exists()


# ---------------------------------------------------------------- --shifts

SHIFTS = [{"start": "00:00", "end": "12:00", "count": 1},
          {"start": "06:00", "end": "18:00", "count": 1},
          {"start": "12:00", "end": "00:00", "count": 1}]


def shift_day() -> dict[str, Any]:
    """:func:`small_day` with three overlapping 12-hour shifts."""
    document = small_day()
    document["agents"]["team"] = {"shifts": copy.deepcopy(SHIFTS), "skills": {"general": 1.0},
                                  "channels": ["voice"], "cost_per_hour": 20}
    return document


@pytest.fixture(scope="module")
def shift_plan():
    import simcc

    return simcc.staff(shift_day(), workers=1, shifts=True)


def test_shift_counts_meet_every_target_on_verification(shift_plan):
    assert shift_plan.feasible
    assert set(shift_plan.verification["verdict"]) == {"met"}
    counts = shift_plan.shifts["team"]
    shifts = shift_plan.document["agents"]["team"]["shifts"]
    assert [s["count"] for s in shifts] == [c for c in counts if c > 0]
    assert [(s["start"], s["end"]) for s in shifts] == [
        (s["start"], s["end"]) for s, c in zip(SHIFTS, counts, strict=True) if c > 0]
    # An interval's staffing is the sum of the shifts on duty in it.
    a, b, c = counts
    assert shift_plan.groups["team"] == [a, a + b, b + c, c]
    assert shift_plan.cost == pytest.approx(20 * 12 * sum(counts))
    assert not any("verification round" in note for note in shift_plan.notes)


def test_one_agent_fewer_in_any_shift_misses_a_target(shift_plan):
    """Local optimality on the search's draws (same seed and replications)."""
    from simcc.experiment.executors import LocalExecutor
    from simcc.planning.grid import plan_grid
    from simcc.planning.shifts import ShiftSearch, shift_decision
    from simcc.planning.staff import decision_of

    model = prepare(shift_day())
    grid = plan_grid(model)
    decision, _ = shift_decision(model, decision_of(model, grid), grid)
    with LocalExecutor(1) as runner:
        search = ShiftSearch(model, grid, decision, 2, model.seed, runner, None)
        counts = {"team": np.array(shift_plan.shifts["team"])}
        assert search.search.misses(search.search.evaluate([counts])[0]).empty
        for j in range(3):
            if counts["team"][j] == 0:
                continue
            fewer = {"team": counts["team"].copy()}
            fewer["team"][j] -= 1
            measured = search.search.evaluate([fewer])[0]
            assert not search.search.misses(measured).empty, j


def test_cli_shifts_writes_the_new_counts_and_refuses_groups_without_shifts(tmp_path):
    import yaml
    from typer.testing import CliRunner

    from simcc.cli import app

    source, out = tmp_path / "shifts.yaml", tmp_path / "staffed.yaml"
    source.write_text(yaml.safe_dump(shift_day()))
    result = CliRunner().invoke(app, ["staff", str(source), "-o", str(out), "--shifts",
                                      "--workers", "1", "--json"])
    assert result.exit_code == 0, result.output
    shifts = yaml.safe_load(out.read_text())["agents"]["team"]["shifts"]
    assert sum(s["count"] for s in shifts) == sum(json.loads(result.stdout)["shifts"]["team"])
    source.write_text(yaml.safe_dump(small_day()))
    result = CliRunner().invoke(app, ["staff", str(source), "-o", str(out), "--shifts"])
    assert result.exit_code == 2 and "no decided group has 'shifts'" in result.output


def test_the_report_of_a_calendar_plan_shows_every_date(week_plan):
    from simcc.report.figures.staffing import queue_loads
    from simcc.report.staffing_html import render_staffing_report

    page = render_staffing_report(week_plan)
    assert "each of the 3 dates from 2026-03-02 planned on its own" in page
    assert "cost over 3 dates" in page
    from simcc.report.figures.staffing import staffing_figure

    axes = staffing_figure(week_plan).axes
    labels = [t.get_text() for t in axes[1].get_xticklabels()]
    assert labels and all(t.split("\n")[0] in ("2026-03-02", "2026-03-03", "2026-03-04")
                          for t in labels)  # dated ticks: the days are told apart
    load = queue_loads(week_plan)["voice/general"]
    # Wednesday's load: half the daily volume, flat (1200 / 2 / 4 per 6 h, 240 s each).
    assert load[8:] == pytest.approx([150 / (6 * 3600) * 240] * 4)
    assert load[:4] == pytest.approx([1200 * w / 8 / (6 * 3600) * 240 for w in WEIGHTS])


def test_a_closed_date_gets_nobody_and_no_verification_rows():
    import simcc

    plan = simcc.staff(small_week(weekdays={"wed": {"volume": 0}}), workers=1)
    assert plan.groups["team"][2 * len(WEIGHTS):] == [0] * len(WEIGHTS)
    assert plan.feasible and "2026-03-04" not in set(plan.verification["date"])
    assert plan.requirements_frame()["required"].tolist()[8:] == [0] * 4


def test_staffable_bounds_apply_to_each_shift_count():
    import simcc

    document = shift_day()
    document["staffable"] = {"team": {"max": 4}}
    plan = simcc.staff(document, workers=1, shifts=True)
    assert max(plan.shifts["team"]) == 4 and not plan.feasible
    # 18:00-24:00 is covered by the last shift alone: at its bound, it misses.
    last = plan.verification[plan.verification["interval"] == 3].iloc[0]
    assert last["verdict"] == "missed"
    assert last["note"] == "every shift that covers it is at its bound"
