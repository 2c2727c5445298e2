"""The planner's backtest (`simcc backtest LOG -s SCENARIO --plan-from LOG`, docs/
calibration.md): each day of the plan log simulated with its own volume and staffing and
the log's handle times, pooled like the observed side; on a log written by simcc from a
known center it reproduces that center."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from helpers import scenario

import simcc
from simcc.calibrate.estimate import estimate
from simcc.calibrate.logs import load_generic
from simcc.calibrate.observed import offered_contacts
from simcc.calibrate.planfrom import planned_backtest
from simcc.calibrate.synthetic import result_to_log
from simcc.errors import SimccError


def center(per_hour: float, agents: int, handle_s: float = 300.0) -> dict:
    return scenario(
        horizon={"duration": "8h", "start": "08:00"},
        channels={"voice": {"patience": {"dist": "exponential", "mean": 300}}},
        intents={"general": {"skill": "general", "handle_time": {
            "dist": "lognormal", "mean": handle_s, "cv": 0.8}}},
        demand=[{"channel": "voice", "rate": {"per_hour": per_hour},
                 "mix": {"general": 1.0}}],
        agents={"team": {"count": agents, "skills": {"general": 1.0},
                         "channels": ["voice"]}},
        replications=6)


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    """A log of 6 days of a 10-agent center, and one of a busier month (16 agents,
    150 calls an hour, 20 % longer calls) written by simcc."""
    folder = tmp_path_factory.mktemp("logs")
    paths = {}
    for name, doc in (("a", center(110, 10)), ("b", center(150, 16, 360.0))):
        result = simcc.simulate(doc, workers=2, seed=3 if name == "a" else 4)
        paths[name] = folder / f"{name}.csv"
        result_to_log(result).to_csv(paths[name], index=False)
    return paths


def calibrated(path) -> simcc.Scenario:
    contacts = offered_contacts(load_generic(path).records)
    return simcc.load_scenario(estimate(contacts, "a").scenario)


def test_the_plan_of_another_month_predicts_that_month(logs):
    # Scenario calibrated on month a; month b brings more calls, longer calls and more
    # agents. With b's plan the prediction lands near b's observed service, and the
    # handle-time drift is reported.
    model = calibrated(logs["a"])
    month_b = load_generic(logs["b"]).records
    result = planned_backtest(month_b, model, month_b, replications=6, workers=2)
    overall = result.overall()
    assert overall["offered_per_day_relerr"] == pytest.approx(0, abs=0.03)
    assert overall["abandon_rate_relerr"] == pytest.approx(0, abs=0.3)
    assert overall["asa_s_relerr"] == pytest.approx(0, abs=0.3)
    low, high = overall["abandon_rate_sim_ci_low"], overall["abandon_rate_sim_ci_high"]
    assert low < overall["abandon_rate_sim"] < high
    assert len(result.days) == 6 and (result.days["agent_hours"] > 8 * 14).all()
    drift = result.handle_time_drift.set_index("intent")
    assert drift.loc["general", "ratio"] == pytest.approx(1.2, abs=0.08)
    # month a's scenario as is (no plan) misses month b badly: the plan is what helps
    plain = simcc.calibrate.backtest.backtest(month_b, model, replications=6, workers=2)
    assert abs(plain.overall()["offered_per_day_relerr"]) > 0.2


def test_each_day_gets_its_own_volume_and_staffing(logs):
    records = load_generic(logs["a"]).records
    day = records["arrival"].dt.normalize()
    # thin the third day to 70 % of its calls and its agents' services: its plan follows
    third = sorted(day.unique())[2]
    rng = np.random.default_rng(1)
    thinned = records[(day != third) | (rng.random(len(records)) < 0.7)]
    result = planned_backtest(thinned, calibrated(logs["a"]), thinned, replications=2,
                              workers=2)
    offered = result.days.set_index("date")["offered"]
    assert offered[third] == (offered_contacts(thinned)["date"] == third).sum()
    assert offered[third] < 0.8 * offered.drop(third).mean()


def test_a_scenario_with_two_groups_is_refused(logs):
    doc = center(110, 10)
    doc["agents"]["other"] = {"count": 1, "skills": {"general": 1.0}, "channels": ["voice"]}
    records = load_generic(logs["a"]).records
    with pytest.raises(SimccError, match="one agent group"):
        planned_backtest(records, simcc.load_scenario(doc), records, replications=1)


def test_the_command(logs, tmp_path):
    model = tmp_path / "a.yaml"
    run = [sys.executable, "-m", "simcc"]
    assert subprocess.run([*run, "calibrate", str(logs["a"]), "-o", str(model)],
                          capture_output=True).returncode == 0
    proc = subprocess.run([*run, "backtest", str(logs["b"]), "-s", str(model), "--plan-from",
                           str(logs["b"]), "-n", "2", "--json"], capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert rows[-1]["hour"] == "all" and "abandon_rate_sim_ci_low" in rows[-1]
    assert {r["hour"] for r in rows[:-1]} <= set(range(24))
    text = subprocess.run([*run, "backtest", str(logs["b"]), "-s", str(model),
                           "--plan-from", str(logs["b"]), "-n", "2"], capture_output=True,
                          text=True)
    assert text.returncode == 0 and "95% interval over replications" in text.stdout
    assert "handle-time drift" in text.stdout
    missing = subprocess.run([*run, "backtest", str(logs["b"]), "-s", str(model),
                              "--plan-from", str(tmp_path / "nope.csv")],
                             capture_output=True, text=True)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr


def test_day_by_day_output_lays_each_day_on_a_calendar(logs, tmp_path):
    """`simcc calibrate --days-out`: each day's offered contacts per interval and call
    type, its AHT and its own inferred staffing, as a calendar scenario that reproduces
    the known center."""
    out = tmp_path / "days"
    run = subprocess.run([sys.executable, "-m", "simcc", "calibrate", str(logs["b"]), "-o",
                          str(tmp_path / "typical.yaml"), "--days-out", str(out)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    contacts = offered_contacts(load_generic(logs["b"]).records)
    model = simcc.load_scenario(out / "scenario.yaml")
    forecast = model.demand[0].forecast
    assert sum(forecast.volume) == len(contacts)  # every offered contact, on its day
    assert model.horizon.days == contacts["date"].nunique() == len(set(forecast.dates))
    assert str(model.calendar.start_date) == str(min(contacts["date"]))[:10]
    table = next(iter(model.agents.values())).staffing
    assert table.period_s >= model.horizon.days * 86400 and max(table.counts) >= 14
    result = simcc.simulate(model, replications=4, workers=2, records="none")
    observed = contacts["abandoned"].mean()
    assert result.kpi("abandon_rate") == pytest.approx(observed, rel=0.35)
    assert result.kpi("offered") == pytest.approx(len(contacts), rel=0.05)


def test_days_out_that_is_a_file_is_refused_before_anything_is_written(logs, tmp_path):
    blocker = tmp_path / "days"
    blocker.write_text("not a folder")
    run = subprocess.run([sys.executable, "-m", "simcc", "calibrate", str(logs["a"]), "-o",
                          str(tmp_path / "typical.yaml"), "--days-out", str(blocker)],
                         capture_output=True, text=True)
    assert run.returncode == 2 and "--days-out" in run.stderr and "not a folder" in run.stderr
    assert "Traceback" not in run.stderr and not (tmp_path / "typical.yaml").exists()


def test_day_by_day_aht_is_the_interval_s_own_with_the_day_s_as_fallback():
    """Handle times follow the time of day: each forecast row carries the mean handle
    time of its interval's contacts, the day's mean when none of them was served."""
    from simcc.calibrate.daily import _forecast_rows

    day = pd.Timestamp("1999-03-01")
    contacts = pd.DataFrame({
        "date": [day] * 5, "intent": ["PS"] * 5,
        "queued_s": [8 * 3600.0, 8 * 3600 + 60, 9 * 3600.0, 10 * 3600.0, 10 * 3600 + 5],
        "handle_s": [100.0, 200.0, 400.0, np.nan, np.nan]})
    rows = _forecast_rows(contacts, "voice", 1800.0)
    assert rows[["start", "volume", "aht"]].values.tolist() == [
        ["08:00", 2, 150.0], ["09:00", 1, 400.0], ["10:00", 2, round(700 / 3, 1)]]
