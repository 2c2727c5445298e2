"""WFM files (docs/wfm_files.md): forecast CSVs (`demand[i].forecast`), staffing-plan
CSVs (`agents.NAME.plan`), starting backlogs, and the errors that name file, line and
column."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from helpers import small

import simcc
from simcc import ScenarioError, load_scenario
from simcc.scenario.load import read_document
from simcc.units import HOUR, MINUTE


def write(folder: Path, name: str, text: str) -> str:
    (folder / name).write_text(text)
    return name


HORIZON = {"duration": "2h", "start": "08:00", "interval": "30m"}


def with_forecast(folder: Path, csv_text: str, horizon: dict | None = None) -> Path:
    """A small scenario file in ``folder`` whose demand is the forecast ``csv_text``
    (``horizon`` updates the two-hour horizon from 08:00)."""
    doc = small(horizon=_horizon(horizon))
    doc["demand"] = [{"channel": "voice", "forecast": write(folder, "fc.csv", csv_text)}]
    doc["intents"] = {"billing": {"skill": "general",
                                  "handle_time": {"dist": "constant", "mean": "100s"}},
                      "tech": {"skill": "general",
                               "handle_time": {"dist": "constant", "mean": "200s"}}}
    doc["channels"]["voice"].pop("patience")
    doc["agents"]["team"]["count"] = 40
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


FORECAST = """Interval Start,Queue,Call Type,Offered,AHT (s),ACW
08:00,voice,billing,30,250,
08:00,voice,tech,10,,45
08:30,voice,billing,0,,
08:30,voice,tech,0,,
09:00,voice,billing,20,,
09:00,voice,tech,20,0:05:00,
"""


def test_forecast_headers_of_a_wfm_export_are_read_and_rate_and_mix_derived(tmp_path):
    model = load_scenario(with_forecast(tmp_path, FORECAST))
    demand = model.demand[0]
    assert demand.forecast.source == "fc.csv"
    assert demand.forecast.interval == 30 * MINUTE
    assert demand.rate.per_day == pytest.approx(80)
    assert demand.mix == pytest.approx({"billing": 50 / 80, "tech": 30 / 80})
    assert demand.forecast.aht == [250, None, None, None, None, 300]
    assert demand.forecast.acw == [None, 45, None, None, None, None]


def test_forecast_rows_place_arrivals_and_set_handle_and_wrap_exactly(tmp_path):
    path = with_forecast(tmp_path, FORECAST)
    doc = read_document(path)
    doc["agents"]["team"]["wrap_up"] = "30s"
    result = simcc.simulate(doc, replications=3, workers=1, records="all", seed=4)
    contacts = result.contacts
    clock = contacts.arrival_s  # simulated time 0 is 08:00
    assert not ((clock >= 30 * MINUTE) & (clock < HOUR)).any()  # the empty interval
    legs = result.legs.merge(contacts[["replication", "contact_id", "intent", "arrival_s"]],
                             on=["replication", "contact_id"])
    first = legs.arrival_s < 30 * MINUTE
    billing, tech = legs.intent == "billing", legs.intent == "tech"
    assert set(legs.handle_s[first & billing].round(6)) == {250.0}  # AHT column
    assert set(legs.handle_s[~first & billing].round(6)) == {100.0}  # blank: the intent's
    assert set(legs.handle_s[~first & tech].round(6)) == {300.0}  # 0:05:00
    assert set(legs.wrap_s[first & tech].round(6)) == {45.0}  # ACW replaces the group's
    assert set(legs.wrap_s[~(first & tech)].round(6)) == {30.0}


def test_forecast_volume_is_the_poisson_mean_of_each_interval(tmp_path):
    text = "start,intent,volume\n08:00,billing,400\n08:30,billing,100\n"
    doc = read_document(with_forecast(tmp_path, text, horizon={"duration": "1h",
                                                                "start": "08:00"}))
    result = simcc.simulate(doc, replications=40, workers=1, records="all", seed=9)
    per_rep = result.contacts.groupby(
        ["replication", result.contacts.arrival_s >= 30 * MINUTE]).size().unstack()
    for column, volume in ((False, 400), (True, 100)):
        mean, sd = per_rep[column].mean(), per_rep[column].std()
        assert abs(mean - volume) < 4 * math.sqrt(volume / 40)
        assert sd == pytest.approx(math.sqrt(volume), rel=0.35)  # Poisson spread


def test_a_forecast_without_intents_is_split_by_the_demand_mix(tmp_path):
    path = with_forecast(tmp_path, "Interval;Calls\n08:00;12,5\n08:30;7,5\n")
    doc = read_document(path)  # ';' separated, decimal commas
    assert doc["demand"][0]["forecast"]["volume"] == [12.5, 7.5]
    with pytest.raises(ScenarioError, match="give the 'mix'"):
        load_scenario(doc)
    doc["demand"][0]["mix"] = {"billing": 0.75, "tech": 0.25}
    model = load_scenario(doc)
    from simcc.scenario.forecast import intent_pieces

    pieces = intent_pieces(model, model.demand[0])
    assert pieces["billing"][0, 2] * 30 * MINUTE == pytest.approx(12.5 * 0.75)
    assert pieces["tech"][1, 2] * 30 * MINUTE == pytest.approx(7.5 * 0.25)


def test_dated_forecast_follows_the_calendar_and_ignores_day_rules(tmp_path):
    text = ("date,start,intent,volume\n2027-03-01,08:00,billing,50\n"
            "2027-03-02,09:00,billing,50\n")
    doc = read_document(with_forecast(tmp_path, text, horizon={"days": 2}))
    with pytest.raises(ScenarioError, match="dated forecast needs calendar.start_date"):
        load_scenario(doc)
    doc["calendar"] = {"start_date": "2027-03-01", "weekdays": {"tue": {"volume": 0}}}
    result = simcc.simulate(doc, replications=2, workers=1, records="all")
    t = result.contacts.arrival_s  # simulated time 0 is 08:00 on 1 March
    day1, day2 = t < HOUR, (t >= 25 * HOUR) & (t < 26 * HOUR)  # one-hour rows
    assert (day1 | day2).all() and day2.sum() > 40  # the weekday rule is not applied


def test_typical_day_forecast_repeats_and_takes_the_calendar_volume(tmp_path):
    doc = read_document(with_forecast(tmp_path, "start,intent,volume\n08:00,billing,60\n",
                                      horizon={"days": 3}))
    doc["calendar"] = {"start_date": "2027-03-01", "dates": {"2027-03-02": {"volume": 0}}}
    result = simcc.simulate(doc, replications=2, workers=1, records="all")
    day = (result.contacts.arrival_s // (24 * HOUR)).astype(int)
    assert set(day) == {0, 2}


def test_forecast_survives_variants_overrides_and_a_written_scenario(tmp_path):
    doc = read_document(with_forecast(tmp_path, FORECAST))
    doc["variants"] = {"more": {"agents.team.count": 50}}
    model = load_scenario(doc)
    assert model.variant("more").demand[0].forecast == model.demand[0].forecast
    again = load_scenario(yaml.safe_load(yaml.safe_dump(model.model_dump(mode="json"))))
    assert again.demand[0] == model.demand[0]
    doc["demand"][0]["rate"] = {"per_day": 10}
    with pytest.raises(ScenarioError, match="remove 'rate'"):
        load_scenario(doc)


@pytest.mark.parametrize(("text", "message"), [
    ("start,intent,volume\n08:00,billing,ten\n",
     r"fc.csv line 2, column 'volume': must be a number from 0 to 1e\+09, got 'ten'"),
    ("start,intent,volume\n08:00,billing,10\n8h,billing,3\n",
     r"line 3, column 'start': '8h' is not a clock time"),
    ("start,intent,volume\n08:00,billing,10\n08:00,billing,3\n", "two rows for the same"),
    ("start,queue,intent,volume\n08:00,fax,billing,10\n", r"'fax' is not a channel"),
    ("start,intent,volume\n08:00,bill,10\n", r"unknown intent 'bill'.*did you mean 'billing'"),
    ("start,intent\n08:00,billing\n", r"no column for 'volume' \(accepted names: volume"),
    ("start,intent,Volume,volume\n08:00,billing,1,2\n", "the column 'volume' is written twice"),
    ("start,intent,volume,aht\n08:00,billing,3,0\n", r"column 'aht': must be > 0"),
    ("start,intent,volume,aht\n08:00,billing,3,9999:00\n",
     r"line 2, column 'aht': must be at most 24 hours"),
    ("start,intent,volume\n", "no data rows"),
    ("start,intent,volume\n08:00,billing,1\n08:25,billing,1\n08:40,billing,1\n",
     "not on one grid"),
])
def test_forecast_errors_name_the_line_and_the_column(tmp_path, text, message):
    with pytest.raises(ScenarioError, match=message) as caught:
        load_scenario(with_forecast(tmp_path, text))
    assert caught.value.problems[0][0] == "demand[0].forecast"


def test_a_forecast_reference_must_be_a_csv_file(tmp_path):
    path = with_forecast(tmp_path, FORECAST)
    doc = read_document(path)
    doc["demand"][0]["forecast"] = str(path)  # the YAML itself
    with pytest.raises(ScenarioError, match="a WFM file is a .csv"):
        load_scenario(doc)


def test_cli_reports_a_forecast_error_without_traceback(tmp_path):
    path = with_forecast(tmp_path, "start,intent,volume\n08:00,billing,-1\n")
    run = subprocess.run([sys.executable, "-m", "simcc", "run", str(path)],
                         capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 2
    assert "line 2, column 'volume'" in run.stderr and "Traceback" not in run.stderr


# --- staffing plans -------------------------------------------------------------------

def _horizon(changes: dict | None) -> dict:
    horizon = {k: v for k, v in HORIZON.items() if not (changes and "days" in changes
                                                          and k == "duration")}
    return horizon | (changes or {})


def with_plan(folder: Path, csv_text: str, horizon: dict | None = None) -> Path:
    """A small scenario file in ``folder`` whose group ``team`` follows the plan
    ``csv_text`` (almost no calls: sessions are exact)."""
    doc = small(horizon=_horizon(horizon))
    doc["demand"][0]["rate"] = {"per_hour": 0.001}
    doc["agents"]["team"] = {"plan": write(folder, "plan.csv", csv_text),
                             "skills": {"general": 1.0}, "channels": ["voice"]}
    doc["agents"]["backup"] = {"count": 1, "skills": {"general": 1.0}, "channels": ["voice"]}
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_a_typical_day_plan_becomes_the_groups_staffing_table(tmp_path):
    text = ("Interval,Team,Scheduled Agents\n08:00,team,4\n08:30,team,6\n09:30,team,2\n"
            "08:00,backup,9\n")
    model = load_scenario(with_plan(tmp_path, text))
    table = model.agents["team"].staffing
    assert table.counts == [4, 6, 0, 2]  # 09:00 not listed: no agents
    assert (table.start, table.interval, table.period_s) == (8 * HOUR, 30 * MINUTE, 24 * HOUR)
    result = simcc.simulate(model, replications=1, workers=1, records="all")
    team = result.agents[result.agents.group == "team"]
    on = [int(((team.start_s <= t) & (team.end_s > t)).sum())
          for t in np.arange(4) * 30 * MINUTE + 15 * MINUTE]
    assert on == [4, 6, 0, 2]


def test_a_dated_plan_starts_on_its_date_and_repeats_by_whole_weeks(tmp_path):
    text = "date,start,agents\n2027-03-02,08:00,3\n2027-03-02,08:30,5\n"
    path = with_plan(tmp_path, text, horizon={"days": 2, "start": "08:00"})
    with pytest.raises(ScenarioError, match="dated plan needs calendar.start_date"):
        load_scenario(path)
    doc = yaml.safe_load(path.read_text())
    doc["calendar"] = {"start_date": "2027-03-01"}
    path.write_text(yaml.safe_dump(doc))
    table = load_scenario(path).agents["team"].staffing
    assert table.start == 8 * HOUR and table.period_s == 7 * 24 * HOUR  # a week
    assert table.counts[-2:] == [3, 5] and sum(table.counts) == 8
    assert len(table.counts) == 48 + 2  # a day of zeros, then the plan's day


@pytest.mark.parametrize(("text", "message"), [
    ("start,agents\n08:00,2.5\n", r"line 2, column 'agents': must be a whole number"),
    ("start,group,agents\n08:00,night,2\n", r"'night' is not an agent group"),
    ("start,group,agents\n08:00,backup,2\n", "no row for group 'team'"),
    ("start,agents\n08:00,2\n08:00,3\n", "the same interval twice"),
    ("start,people\n08:00,2\n", "no column for 'agents'"),
])
def test_plan_errors_name_the_line_and_the_column(tmp_path, text, message):
    with pytest.raises(ScenarioError, match=message) as caught:
        load_scenario(with_plan(tmp_path, text))
    assert caught.value.problems[0][0] == "agents.team.plan"


def test_a_plan_replaces_count_shifts_and_staffing(tmp_path):
    doc = yaml.safe_load(with_plan(tmp_path, "start,agents\n08:00,2\n").read_text())
    doc["agents"]["team"]["count"] = 3
    edited = tmp_path / "edited.yaml"
    edited.write_text(yaml.safe_dump(doc))
    with pytest.raises(ScenarioError, match="a plan gives the group's agents: remove 'count'"):
        load_scenario(edited)


# --- starting backlog -----------------------------------------------------------------

def test_a_starting_backlog_arrives_at_time_zero_and_keeps_the_other_draws():
    doc = small(horizon={"duration": "2h", "warmup": 0})
    plain = simcc.simulate(doc, replications=2, workers=1, records="all", seed=3)
    doc["channels"]["voice"]["backlog"] = 25
    with_backlog = simcc.simulate(doc, replications=2, workers=1, records="all", seed=3)
    at_zero = with_backlog.contacts[with_backlog.contacts.arrival_s == 0]
    assert at_zero.groupby("replication").size().tolist() == [25, 25]
    later = with_backlog.contacts[with_backlog.contacts.arrival_s > 0]
    assert np.array_equal(np.sort(later.arrival_s), np.sort(plain.contacts.arrival_s))
    assert with_backlog.kpi("asa_s") > plain.kpi("asa_s")


def test_a_backlog_needs_demand_on_its_channel():
    doc = small()
    doc["channels"]["chat"] = {"backlog": 3}
    with pytest.raises(ScenarioError, match=r"channels.chat.backlog: no demand stream"):
        load_scenario(doc)


def test_of_two_volume_columns_the_preferred_name_wins(tmp_path):
    text = "start,intent,handled,offered\n08:00,billing,7,9\n08:30,billing,1,2\n"
    model = load_scenario(with_forecast(tmp_path, text))
    assert model.demand[0].forecast.volume == [9, 2]  # offered, not handled


def test_a_runs_wfm_interval_export_reads_back_as_a_forecast(tmp_path):
    doc = read_document(with_forecast(tmp_path, FORECAST))
    result = simcc.simulate(doc, replications=2, workers=1, records="none", seed=1)
    from simcc.report.files import write_result

    write_result(result, tmp_path / "out")
    export = (tmp_path / "out" / "intervals_wfm.csv").read_text()
    assert export.splitlines()[0] == ("date,day,start,interval_s,channel,offered,handled,"
                                      "abandoned,service_level,asa_s,handle_s,acw_s,agents,occupancy")
    offered = [float(line.split(",")[5]) for line in export.splitlines()[1:]]
    assert sum(offered) == pytest.approx(result.kpi("offered"))
    doc["demand"] = [{"channel": "voice", "forecast": "out/intervals_wfm.csv",
                      "mix": {"billing": 1.0}}]
    (tmp_path / "again.yaml").write_text(yaml.safe_dump(doc))
    again = load_scenario(tmp_path / "again.yaml")
    assert again.demand[0].forecast.volume == offered
    assert again.demand[0].forecast.starts[:2] == [8 * HOUR, 8.5 * HOUR]
    # the forecast's AHT (250 s for billing at 08:00, 100 s later) and ACW come back
    rows = {line.split(",")[2]: line.split(",") for line in export.splitlines()[1:]}
    first, later = rows["08:00"], rows["09:00"]
    assert 100 < float(first[10]) < 250 and float(first[11]) > 0  # billing and tech mixed
    assert 100 < float(later[10]) < 300 and float(later[11]) == 0  # 100 s and 300 s, no ACW
    assert again.demand[0].forecast.aht[0] == pytest.approx(float(first[10]))


def test_docs_list_every_accepted_header():
    from simcc.scenario.wfm_files import COLUMN_ALIASES

    text = (Path(__file__).parent.parent / "docs" / "wfm_files.md").read_text()
    for column, names in COLUMN_ALIASES.items():
        assert f"| `{column}` | {', '.join(names)} |" in text


def test_staff_requirements_read_back_as_a_plan(tmp_path):
    (tmp_path / "req.csv").write_text("group,date,start,required,interval\n"
                                      "team,,08:00,3,1800\nteam,,08:30,4,1800\n")
    doc = small(horizon={"duration": "1h", "start": "08:00"})
    doc["agents"]["team"] = {"plan": "req.csv", "skills": {"general": 1.0},
                             "channels": ["voice"]}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(doc))
    assert load_scenario(tmp_path / "s.yaml").agents["team"].staffing.counts == [3, 4]


def test_the_planners_week_from_a_forecast_file(tmp_path):
    """forecast CSV -> simcc staff -> simcc schedule -> simcc run, on the example week."""
    week = Path(__file__).parent.parent / "scenarios" / "wfm"

    def simcc_cli(*args):
        run = subprocess.run([sys.executable, "-m", "simcc", *map(str, args)],
                             capture_output=True, text=True, cwd=tmp_path)
        assert run.returncode in (0, 1), run.stderr
        return run

    simcc_cli("staff", week / "week.yaml", "-o", "staffed.yaml", "--requirements", "req.csv",
              "-n", "2", "-q")
    schedule = simcc_cli("schedule", "req.csv", "-p", week / "patterns.yaml", "-s",
                         week / "week.yaml", "-o", "rostered.yaml", "--json")
    roster = json.loads(schedule.stdout)
    assert roster["shortfall"] == 0
    rostered = load_scenario(tmp_path / "rostered.yaml")
    assert rostered.demand[0].forecast == load_scenario(week / "week.yaml").demand[0].forecast
    simcc_cli("run", "rostered.yaml", "-n", "2", "--out", "out", "-q")
    export = (tmp_path / "out" / "intervals_wfm.csv").read_text().splitlines()
    sunday = [line for line in export[1:] if line.startswith("2027-03-07")]
    assert len(export) == 1 + 7 * 48 and all(",0.0,0.0,0.0," in line for line in sunday)


def test_the_json_schema_accepts_the_file_references():
    import jsonschema

    run = subprocess.run([sys.executable, "-m", "simcc", "schema"], capture_output=True,
                         text=True, check=True)
    schema = json.loads(run.stdout)
    week = yaml.safe_load((Path(__file__).parent.parent / "scenarios" / "wfm" /
                           "week.yaml").read_text())
    week["calendar"]["start_date"] = str(week["calendar"]["start_date"])  # JSON has no dates
    jsonschema.validate(week, schema)
    week["agents"]["team"]["plan"] = "plan.xlsx"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(week, schema)


def test_the_week_plan_leaves_the_unlisted_sunday_empty():
    model = load_scenario(Path(__file__).parent.parent / "scenarios" / "wfm" / "week.yaml")
    result = simcc.simulate(model, replications=1, workers=1, records="all")
    sunday = (result.agents.start_s >= 6 * 24 * HOUR)
    assert not sunday.any()  # the plan lists Monday to Saturday: nobody on Sunday
    assert model.agents["team"].staffing.period_s == 7 * 24 * HOUR


def test_a_typical_day_forecast_over_a_very_long_horizon_is_refused(tmp_path):
    rows = "".join(f"{k // 2:02d}:{'30' if k % 2 else '00'},billing,1\n" for k in range(48))
    doc = read_document(with_forecast(tmp_path, "start,intent,volume\n" + rows))
    doc["horizon"] = {"days": 50_000}
    with pytest.raises(ScenarioError, match="make 2,400,096 intervals; at most 2,000,000"):
        load_scenario(doc)


def test_the_work_estimate_counts_forecast_rows_and_the_backlog():
    from simcc.experiment.limits import estimate_work

    week = load_scenario(Path(__file__).parent.parent / "scenarios" / "wfm" / "week.yaml")
    volume = sum(week.demand[0].forecast.volume)
    estimate = estimate_work([week], 2)
    assert estimate.contacts == pytest.approx(2 * volume)
    monday = sum(v for d, v in zip(week.demand[0].forecast.dates,
                                   week.demand[0].forecast.volume, strict=True)
                 if str(d) == "2027-03-01")
    assert estimate.day_contacts == pytest.approx(monday)
    waiting = week.with_overrides({"channels.voice.backlog": 500})
    assert estimate_work([waiting], 2).contacts == pytest.approx(2 * (volume + 500))


def test_a_plan_given_by_an_override_or_a_variant_replaces_the_staffing(tmp_path, monkeypatch):
    path = with_plan(tmp_path, "start,agents\n08:00,2\n08:30,3\n")
    (tmp_path / "other.csv").write_text("start,agents\n08:00,7\n08:30,7\n")
    monkeypatch.chdir(tmp_path)  # override paths are relative to the working directory
    model = load_scenario(path, {"agents.team.plan": "other.csv"})
    assert model.agents["team"].staffing.counts == [7, 7]
    doc = yaml.safe_load(path.read_text())
    doc["variants"] = {"more": {"agents.team.plan": "other.csv"}}
    path.write_text(yaml.safe_dump(doc))
    monkeypatch.chdir(tmp_path.parent)  # a variant's file is beside the scenario
    model = load_scenario(path)
    assert model.agents["team"].staffing.counts == [2, 3]
    assert model.variant("more").agents["team"].staffing.counts == [7, 7]
