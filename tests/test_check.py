"""`simcc check`: baselines, rules, exit codes, JSON, JUnit, the pytest helper, and
the project's own scenarios against their committed baselines (dogfood)."""

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from helpers import small

from simcc.testing import assert_no_regression

ROOT = Path(__file__).resolve().parents[1]


def cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "simcc", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=600, env=env)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A small scenario with a variant and its freshly written baseline."""
    folder = tmp_path_factory.mktemp("check")
    doc = small(replications=8, demand=[{"channel": "voice", "rate": {"per_hour": 90},
                                         "mix": {"general": 1.0}}])
    doc["variants"] = {"plus_1": {"agents.team.count": 6}}
    scenario = folder / "center.yaml"
    scenario.write_text(yaml.safe_dump(doc))
    baseline = folder / "center.json"
    proc = cli("check", str(scenario), "--baseline", str(baseline), "--update")
    assert proc.returncode == 0, proc.stderr
    return scenario, baseline


def test_baseline_is_readable_json_with_what_a_diff_needs(project):
    _, baseline = project
    document = json.loads(baseline.read_text())
    assert {"simcc_version", "scenario", "scenario_hash", "seed", "replications",
            "runs"} <= set(document)
    assert set(document["runs"]) == {"baseline", "plus_1"}
    fcr = document["runs"]["baseline"]["fcr"]
    assert set(fcr) == {"mean", "ci95", "values"} and len(fcr["values"]) == 8
    assert baseline.read_text().count("\n") > 100  # indented: one value a line


def test_same_scenario_same_seed_passes_exactly(project):
    scenario, baseline = project
    proc = cli("check", str(scenario), "--baseline", str(baseline), "--json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)[0]["kpis"]
    assert all(r["delta"] == 0 for r in rows if r["delta"] is not None)
    assert {r["verdict"] for r in rows} <= {"ok", "info"}


def test_fewer_agents_regress_more_agents_improve(project, tmp_path):
    scenario, baseline = project
    junit = tmp_path / "junit.xml"
    worse = cli("check", str(scenario), "--baseline", str(baseline), "--set",
                "agents.team.count=4", "--junit", str(junit))
    assert worse.returncode == 1
    assert "regressed" in worse.stdout and "asa_s regressed" in worse.stdout
    root = ET.parse(junit).getroot()
    suite = root.find("testsuite")
    assert int(suite.get("failures")) > 0
    failed = {case.get("name") for case in suite.iter("testcase")
              if case.find("failure") is not None}
    assert {"asa_s", "abandon_rate"} <= failed
    better = cli("check", str(scenario), "--baseline", str(baseline), "--set",
                 "agents.team.count=7", "--json")
    assert better.returncode == 0
    verdicts = {r["kpi"]: r["verdict"] for r in json.loads(better.stdout)[0]["kpis"]
                if r["run"] == "baseline"}
    assert verdicts["asa_s"] == "improved"


def test_limits_and_rules_from_the_scenario(project, tmp_path):
    scenario, baseline = project
    doc = yaml.safe_load(scenario.read_text())
    doc["checks"] = {"limits": ["service_level >= 0.999"], "ignore": ["asa_s"]}
    strict = tmp_path / "center.yaml"
    strict.write_text(yaml.safe_dump(doc))  # checks are outside the hash: same baseline
    proc = cli("check", str(strict), "--baseline", str(baseline))
    assert proc.returncode == 1 and "limit service_level >= 0.999 violated" in proc.stdout
    doc["checks"] = {"tolerance": {"asa": {"rel": 0.1}}}
    strict.write_text(yaml.safe_dump(doc))
    proc = cli("check", str(strict), "--baseline", str(baseline))
    assert proc.returncode == 2 and "checks.tolerance.asa: unknown KPI" in proc.stderr


def test_invalid_inputs_exit_2(project, tmp_path):
    scenario, baseline = project
    doc = yaml.safe_load(scenario.read_text())
    doc["agents"]["team"]["count"] = 9  # a different scenario
    other = tmp_path / "other.yaml"
    other.write_text(yaml.safe_dump(doc))
    proc = cli("check", str(other), "--baseline", str(baseline))
    assert proc.returncode == 2 and "different scenario" in proc.stderr
    proc = cli("check", str(scenario), "--baseline", str(tmp_path / "missing.json"))
    assert proc.returncode == 2 and "create it with --update" in proc.stderr
    proc = cli("check", str(scenario), "--baseline", str(baseline), "--update", "--set",
               "seed=3")
    assert proc.returncode == 2 and "--set cannot be combined with --update" in proc.stderr


def test_pytest_helper(project):
    scenario, baseline = project
    result = assert_no_regression(scenario, baseline, workers=1)
    assert result.passed
    with pytest.raises(AssertionError, match="asa_s regressed"):
        assert_no_regression(scenario, baseline, {"agents.team.count": 4}, workers=1)


# The README's `simcc check scenarios/*.yaml --baselines baselines/` (every scenario
# has a baseline and passes) runs as written in test_readme.py.


def test_a_worse_routing_policy_fails_the_check():
    env = dict(os.environ, PYTHONPATH=str(ROOT / "tests"))
    proc = cli("check", "scenarios/bank_multiskill.yaml", "--baseline",
               "baselines/bank_multiskill.json", "--set",
               "routing.policy=worse_policy:LeastProficient", env=env)
    assert proc.returncode == 1
    assert "fcr regressed" in proc.stdout
