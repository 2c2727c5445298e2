"""Variants, paired comparisons on common random numbers, the conformance helper and
`simcc compare`."""

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import small

import simcc
from simcc.routing import RoutingPolicy

ROOT = Path(__file__).resolve().parents[1]


def with_variants():
    doc = small(replications=4, demand=[{"channel": "voice", "rate": {"per_hour": 90},
                                         "mix": {"general": 1.0}}])
    doc["variants"] = {"plus_2": {"agents.team.count": 7},
                       "minus_1": {"agents": {"team": {"count": 4}}},
                       "same": {"routing.policy": "skill_based"}}
    return doc


def test_variants_are_validated_with_their_path():
    doc = with_variants()
    doc["variants"]["bad"] = {"agents.team.count": -2}
    with pytest.raises(simcc.ScenarioError, match=r"variants.bad -> agents.team.count"):
        simcc.load_scenario(doc)
    doc["variants"]["bad"] = {"variants.x": {}}
    with pytest.raises(simcc.ScenarioError, match="cannot define variants"):
        simcc.load_scenario(doc)


def test_paired_differences_follow_staffing_and_vanish_for_an_identical_variant():
    comparison = simcc.compare(with_variants(), workers=2)
    assert comparison.variants == ["plus_2", "minus_1", "same"]
    d = comparison.differences.query("scope == 'overall'").set_index(["variant", "kpi"])
    assert d.loc[("plus_2", "asa_s"), "diff_ci_high"] < 0       # more agents: shorter waits
    assert d.loc[("minus_1", "asa_s"), "diff_ci_low"] > 0
    # Common random numbers: the same customers arrive in every run...
    assert d.loc[("plus_2", "arrivals"), "diff_mean"] == 0
    assert d.loc[("plus_2", "arrivals"), "diff_ci_low"] == 0
    # ...and a variant equal to the baseline gives exactly zero differences.
    same = comparison.differences.query("variant == 'same'")["diff_mean"].dropna()
    assert (same == 0).all()
    base = comparison.results["baseline"].kpi("asa_s")
    assert d.loc[("plus_2", "asa_s"), "diff_mean"] == pytest.approx(
        comparison.results["plus_2"].kpi("asa_s") - base)


def test_comparison_json_and_cli(tmp_path):
    path = tmp_path / "s.yaml"
    import yaml
    path.write_text(yaml.safe_dump(with_variants()))
    out, report = tmp_path / "cmp", tmp_path / "cmp.html"
    proc = subprocess.run([sys.executable, "-m", "simcc", "compare", str(path), "--variant",
                           "plus_2", "-n", "2", "--json", "--out", str(out), "--report",
                           str(report)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    document = json.loads(proc.stdout)
    assert set(document["variants"]) == {"baseline", "plus_2"}
    assert "diff" not in document["variants"]["baseline"]
    assert set(document["variants"]["plus_2"]["overall"]["asa_s"]) >= {"mean", "ci95"}
    assert set(document["variants"]["plus_2"]["diff"]["asa_s"]) == {"mean", "ci95"}
    assert {"kpis.csv", "differences.csv", "comparison.json"} <= {p.name for p in out.iterdir()}
    assert "Differences" in report.read_text()
    proc = subprocess.run([sys.executable, "-m", "simcc", "compare", str(path), "--variant",
                           "nope"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "unknown variant 'nope'" in proc.stderr


def test_bank_example_compares():
    proc = subprocess.run([sys.executable, "-m", "simcc", "compare",
                           "scenarios/bank_multiskill.yaml", "-n", "2", "--set",
                           "horizon.duration=3h"], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "fifo" in proc.stdout and "plus_4_morning" in proc.stdout


@pytest.mark.parametrize("name", ["fifo", "skill_based"])
def test_builtin_policies_conform(name):
    report = simcc.check_policy(name)
    assert report.passed, str(report)
    assert report.contacts > 300


class PicksBusyAgents(RoutingPolicy):
    name = "picks_busy"

    def select_agent(self, contact, pools, view):
        for pool in pools:
            for agent in pool.group_ref.agents:
                if agent.state == "busy":
                    return agent
        return super().select_agent(contact, pools, view)


class UsesGlobalRandom(RoutingPolicy):
    name = "global_random"

    def select_contact(self, agent, queues, view):
        heads = [q.head() for q in queues if q.head() is not None]
        return random.choice(heads) if heads else None


class UsesTieBreakStream(RoutingPolicy):
    name = "tiebreak_random"

    def select_contact(self, agent, queues, view):
        heads = [q.head() for q in queues if q.head() is not None]
        return heads[int(view.rng.integers(len(heads)))] if heads else None


def test_conformance_catches_broken_policies():
    busy = simcc.check_policy(PicksBusyAgents)
    assert not busy.passed and "not an available agent" in str(busy)
    nondeterministic = simcc.check_policy(UsesGlobalRandom)
    assert any("not deterministic" in f for f in nondeterministic.failures)
    simcc.assert_policy(UsesTieBreakStream)
    with pytest.raises(AssertionError, match="not an available agent"):
        simcc.assert_policy(PicksBusyAgents)
