"""Resource limits: enormous but valid inputs are refused up front with the estimate
and how to lift the limit; every shipped scenario stays within the defaults."""

import time
from pathlib import Path

import pytest
import yaml
from helpers import small
from typer.testing import CliRunner

import simcc
from simcc.cli import app
from simcc.errors import SimccError
from simcc.experiment.limits import (
    Limits,
    check_work,
    command_limits,
    estimate_work,
)

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml")) + [
    ROOT / "benchmarks" / "retail_year_12m.yaml", ROOT / "benchmarks" / "erlang_a_500k.yaml"]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_scenarios_and_benchmarks_fit_the_default_limits(path):
    model = simcc.load_scenario(path)
    runs = [model, *(model.variant(name) for name in model.variants)]
    check_work(estimate_work(runs, model.replications), Limits())


def test_the_estimate_counts_contacts_days_agents_and_tasks():
    doc = small(horizon={"duration": "48h", "warmup": 0},
                demand=[{"channel": "voice", "rate": {"per_hour": 100}, "mix": {"general": 1}}],
                agents={"team": {"shifts": [{"start": "08:00", "end": "16:00", "count": 7},
                                            {"start": "12:00", "end": "20:00", "count": 5}],
                                 "skills": {"general": 1.0}, "channels": ["voice"]}})
    estimate = estimate_work([simcc.load_scenario(doc)] * 2, replications=3, workers=1)
    assert estimate.contacts == pytest.approx(100 * 48 * 2 * 3)
    assert estimate.day_contacts == pytest.approx(100 * 24)
    assert estimate.agents == 12 and estimate.tasks == 6
    fast, slow = estimate.seconds
    assert 0 < fast < slow


def test_limits_are_changed_by_assignments_and_the_environment():
    limits = Limits.from_environment({"SIMCC_LIMITS": "contacts=2e8, agents=none"})
    assert limits.contacts == 2e8 and limits.agents is None
    assert limits.with_assignments(["tasks=5"], "--limit").tasks == 5
    for bad in ("contacts", "speed=3", "contacts=-1", "contacts=inf", "contacts=lots"):
        with pytest.raises(SimccError, match="--limit"):
            Limits().with_assignments([bad], "--limit")


ERLANG = str(ROOT / "scenarios" / "erlang_a.yaml")
BIG_CASES = {
    "per_hour 1e6": (["run", ERLANG, "--set", "demand[0].rate.per_hour=1000000"],
                     "day_contacts 8M > limit 2M"),
    "per_hour 1e9": (["run", ERLANG, "--set", "demand[0].rate.per_hour=1e9"],
                     "contacts 160G > limit 50M"),
    "count 1e7": (["run", ERLANG, "--set", "agents.team.count=10000000"],
                  "agents 10M > limit 100k"),
    "-n 1e8": (["run", ERLANG, "-n", "100000000"], "tasks 100M > limit 100k"),
    "compare": (["compare", ERLANG, "--set", "agents.team.count=10000000"],
                "agents 10M > limit 100k"),
    "sweep": (["sweep", ERLANG, "--grid", "demand[0].rate.per_hour=1e9"],
              "contacts 160G > limit 50M"),
}


@pytest.mark.parametrize("case", BIG_CASES, ids=list(BIG_CASES))
def test_enormous_inputs_exit_2_fast_with_the_estimate(case, tmp_path):
    args, reason = BIG_CASES[case]
    started = time.monotonic()
    proc = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "out")])
    assert time.monotonic() - started < 10
    assert proc.exit_code == 2, proc.output
    message = " ".join(proc.stderr.split())
    assert reason in message
    assert "expected contacts" in message and "of memory per worker" in message
    assert "--limit" in message and "SIMCC_LIMITS" in message
    assert "Traceback" not in proc.output
    assert not (tmp_path / "out").exists()


def test_a_lifted_limit_lets_the_run_through(monkeypatch):
    doc = simcc.load_scenario(small())

    def check(assignments=()):
        return check_work(estimate_work([doc], 2), command_limits(assignments))

    with pytest.raises(SimccError, match="contacts .* > limit 10"):
        check(["contacts=10"])
    monkeypatch.setenv("SIMCC_LIMITS", "contacts=10")
    with pytest.raises(SimccError, match="contacts .* > limit 10"):
        check()
    assert check(["contacts=none"]).tasks == 2


@pytest.mark.filterwarnings("ignore::simcc.ScenarioWarning")
def test_the_python_api_refuses_enormous_runs_before_simulating(monkeypatch):
    """simulate, compare and sweep check the limits too (defaults and SIMCC_LIMITS),
    and an explicit ``limits=`` replaces them."""
    from simcc.experiment.sweep import plan_sweep, run_sweep

    huge = small(demand=[{"channel": "voice", "rate": {"per_hour": 1e9},
                          "mix": {"general": 1}}])
    for call in (lambda: simcc.simulate(huge, workers=1),
                 lambda: simcc.compare({**huge, "variants": {"same": {}}}, workers=1),
                 lambda: run_sweep(plan_sweep(huge, {"agents.team.count": [5, 6]}))):
        started = time.monotonic()
        with pytest.raises(SimccError, match="too large"):
            call()
        assert time.monotonic() - started < 10
    monkeypatch.setenv("SIMCC_LIMITS", "contacts=10")
    with pytest.raises(SimccError, match="contacts .* > limit 10"):
        simcc.simulate(small(), workers=1, records="none")
    result = simcc.simulate(small(), replications=1, workers=1, records="none",
                            limits=Limits.unbounded())
    assert result.kpi("handled") > 0


def test_the_cli_applies_the_limit_option(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(small()))
    base = ["run", str(path), "--executor", "serial", "--json"]
    refused = CliRunner().invoke(app, [*base, "--limit", "contacts=10"])
    assert refused.exit_code == 2 and "contacts" in refused.stderr
    assert CliRunner().invoke(app, [*base, "--limit", "contacts=1e6"]).exit_code == 0
    bad = CliRunner().invoke(app, [*base, "--limit", "contact=5"])
    assert bad.exit_code == 2 and "NAME one of contacts" in " ".join(bad.stderr.split())


def test_long_runs_announce_themselves_and_report_progress_lines(monkeypatch, tmp_path):
    import simcc.cli as cli

    monkeypatch.setattr(cli, "LONG_RUN_S", 0.0)  # every run counts as long
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(small()))
    proc = CliRunner().invoke(app, ["run", str(path), "--executor", "serial", "--json"])
    assert proc.exit_code == 0, proc.output
    assert "large run:" in proc.stderr and "progress: 2/2 replications" in proc.stderr
    quiet = CliRunner().invoke(app, ["run", str(path), "--executor", "serial", "-q"])
    assert "large run" not in quiet.stderr and "progress" not in quiet.stderr
