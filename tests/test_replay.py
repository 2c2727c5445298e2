"""Replay of history (`simcc replay LOG -s SCENARIO`, docs/calibration.md): the log's
own contacts under a scenario's center, day by day; on a log written by simcc, replaying
with the log's own staffing reproduces what the log observed."""

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
from simcc.calibrate.replay import day_trace, replay
from simcc.calibrate.synthetic import result_to_log
from simcc.dists import make_sampler
from simcc.errors import SimccError
from simcc.experiment.executors import SerialExecutor
from simcc.model import Streams, compile_scenario, replication_seedseq
from simcc.model.trace import cdf_at, trace_batches


@pytest.fixture(scope="module")
def log_path(tmp_path_factory):
    """Six days of a 10-agent center (exponential patience, 5 min), written by simcc."""
    doc = scenario(
        horizon={"duration": "8h", "start": "08:00"},
        channels={"voice": {"patience": {"dist": "exponential", "mean": 300}}},
        intents={"general": {"skill": "general", "handle_time": {
            "dist": "lognormal", "mean": 300, "cv": 0.8}}},
        demand=[{"channel": "voice", "rate": {"per_hour": 115}, "mix": {"general": 1.0}}],
        agents={"team": {"count": 10, "skills": {"general": 1.0}, "channels": ["voice"]}},
        replications=6)
    path = tmp_path_factory.mktemp("log") / "log.csv"
    result_to_log(simcc.simulate(doc, workers=2, seed=11)).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def calibrated(log_path):
    return simcc.load_scenario(estimate(offered_contacts(load_generic(log_path).records),
                                        "c").scenario)


def test_replay_with_the_logs_staffing_reproduces_the_log(log_path, calibrated):
    records = load_generic(log_path).records
    result = replay(records, calibrated, replications=4, staffing="log")
    overall = result.overall()
    assert overall["offered_per_day_sim"] == overall["offered_per_day_obs"]
    assert overall["abandon_rate_relerr"] == pytest.approx(0, abs=0.15)
    assert overall["asa_s_relerr"] == pytest.approx(0, abs=0.15)
    assert overall["abandon_rate_sim_ci_low"] <= overall["abandon_rate_sim"] \
        <= overall["abandon_rate_sim_ci_high"]
    # two more agents all day: fewer callers abandon than in the replay as it was
    doc = calibrated.model_dump(mode="json", exclude_defaults=True)
    counts = doc["agents"]["agents"]["staffing"]["counts"]
    doc["agents"]["agents"]["staffing"]["counts"] = [c + 2 if c else 0 for c in counts]
    more = replay(records, simcc.load_scenario(doc), replications=4).overall()
    assert more["abandon_rate_sim"] < 0.7 * overall["abandon_rate_sim"]


def test_the_replayed_days_give_the_same_numbers_on_any_executor(log_path, calibrated):
    """The days' replications run as tasks: two worker processes, serially in this
    process, with one worker: the same table to the last bit."""
    records = load_generic(log_path).records
    tables = [replay(records, calibrated, replications=2, staffing="log", **how).table
              for how in ({"workers": 2}, {"executor": SerialExecutor()}, {"workers": 1})]
    pd.testing.assert_frame_equal(tables[0], tables[1], check_exact=True)
    pd.testing.assert_frame_equal(tables[0], tables[2], check_exact=True)


def test_a_replay_too_large_is_refused_before_it_runs(log_path, calibrated, monkeypatch):
    """The work estimate counts the log's contacts (about 900 a day, six days)."""
    records = load_generic(log_path).records
    monkeypatch.setenv("SIMCC_LIMITS", "contacts=5000")
    with pytest.raises(SimccError, match="too large: contacts 1[01]"):
        replay(records, calibrated, replications=2, staffing="log")
    monkeypatch.setenv("SIMCC_LIMITS", "contacts=20000")
    overall = replay(records, calibrated, replications=2, staffing="log").overall()
    assert overall["offered_per_day_sim"] == overall["offered_per_day_obs"]


def test_the_replayed_contacts_are_the_logs(log_path, calibrated):
    day = offered_contacts(load_generic(log_path).records)
    day = day[day["date"] == day["date"].min()]
    trace = day_trace(day, calibrated)
    plan = compile_scenario(calibrated)
    batches = list(trace_batches(trace, plan, Streams(replication_seedseq(1, 0))))
    times = np.concatenate([b.time_s for b in batches])
    assert np.array_equal(times, np.sort(day["queued_s"].to_numpy()))
    # served calls keep their logged handle time; abandoned ones keep their wait as
    # patience; served ones get a patience beyond their wait
    ordered = day.sort_values("queued_s", kind="stable")
    handle = np.concatenate([b.base_handle_s for b in batches])
    patience = np.concatenate([b.patience_s for b in batches])
    served = ordered["handled"].to_numpy()
    assert np.allclose(handle[served], ordered["handle_s"].to_numpy()[served])
    assert np.array_equal(patience[~served], ordered["wait_s"].to_numpy()[~served])
    assert (patience[served] >= ordered["wait_s"].to_numpy()[served]).all()
    # another routing policy replays the same contacts (common random numbers)
    fifo = compile_scenario(calibrated.with_overrides({"routing.policy": "fifo"}))
    again = list(trace_batches(trace, fifo, Streams(replication_seedseq(1, 0))))
    assert all(np.array_equal(a.patience_s, b.patience_s) for a, b in zip(batches, again,
                                                                           strict=True))


def test_conditional_patience_inverts_the_distribution():
    exponential = make_sampler("exponential", mean=100.0)
    x = np.array([0.0, 50.0, 100.0, 400.0])
    assert cdf_at(exponential, x) == pytest.approx(1 - np.exp(-x / 100.0), abs=1e-9)


def test_the_command(log_path, calibrated, tmp_path):
    model = tmp_path / "c.yaml"
    model.write_text(json.dumps(calibrated.model_dump(mode="json", exclude_defaults=True)))
    run = [sys.executable, "-m", "simcc", "replay", str(log_path), "-s", str(model), "-n", "2"]
    proc = subprocess.run([*run, "--staffing", "log", "--json"], capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert rows[-1]["hour"] == "all" and "abandon_rate_sim_ci_high" in rows[-1]
    text = subprocess.run(run, capture_output=True, text=True)
    assert text.returncode == 0 and "replayed, pooled over 6 days" in text.stdout
    for bad in (["--staffing", "payroll"], ["--session-gap", "-5"]):
        proc = subprocess.run([*run, *bad], capture_output=True, text=True)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, bad
