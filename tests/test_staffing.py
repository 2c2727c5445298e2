"""``simcc staff`` and ``simcc.staff``: staffing by simulation (docs/staffing.md).

Sizes are bounded: horizons of two hours, at most four intervals, a few agents."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

import simcc
from simcc.cli import app
from simcc.errors import ScenarioError
from simcc.theory import erlang_a_metrics

HANDLE_S, PATIENCE_S, THRESHOLD_S, TARGET = 300.0, 300.0, 20.0, 0.8

SINGLE: dict[str, Any] = {
    "name": "single",
    "horizon": {"duration": "2h", "interval": "2h"},
    "seed": 3,
    "replications": 8,
    "channels": {"voice": {"patience": {"dist": "exponential", "mean": PATIENCE_S},
                           "service_level": {"threshold": THRESHOLD_S, "target": TARGET}}},
    "intents": {"general": {"skill": "general",
                            "handle_time": {"dist": "exponential", "mean": HANDLE_S}}},
    "demand": [{"channel": "voice", "rate": {"per_hour": 120}, "mix": {"general": 1.0}}],
    "agents": {"team": {"count": 1, "skills": {"general": 1.0}, "channels": ["voice"],
                        "cost_per_hour": 20}},
}

WEIGHTS = [2, 4, 3, 1]
PER_DAY = 300
"""Four half-hours of 2, 4, 3 and 1 tenths of 300 contacts (60 to 240 per hour)."""


def varying(**changes: Any) -> dict[str, Any]:
    """Four half-hour intervals with different rates, one skill."""
    document = copy.deepcopy(SINGLE)
    document.update(name="varying", replications=6, seed=5,
                    horizon={"duration": "2h", "interval": "30m"},
                    profiles={"day": {"weights": WEIGHTS}},
                    demand=[{"channel": "voice", "rate": {"per_day": PER_DAY, "profile": "day"},
                             "mix": {"general": 1.0}}])
    document.update(copy.deepcopy(changes))
    return document


def multiskill(**changes: Any) -> dict[str, Any]:
    """Two skills, two specialist groups and a cross-trained one (dearer per hour)."""
    document = varying(name="multiskill")
    document["intents"] = {s: {"skill": s, "handle_time": {"dist": "exponential",
                                                           "mean": HANDLE_S}} for s in "ab"}
    document["demand"][0]["mix"] = {"a": 0.5, "b": 0.5}
    document["agents"] = {
        "spec_a": {"count": 1, "skills": {"a": 1.0}, "channels": ["voice"], "cost_per_hour": 20},
        "spec_b": {"count": 1, "skills": {"b": 1.0}, "channels": ["voice"], "cost_per_hour": 20},
        "cross": {"count": 1, "skills": {"a": 1.0, "b": 1.0}, "channels": ["voice"],
                  "cost_per_hour": 22}}
    document.update(copy.deepcopy(changes))
    return document


def erlang_a_agents(per_hour: float) -> int:
    """Smallest n with exact Erlang A service level >= TARGET."""
    n = 1
    while erlang_a_metrics(n, per_hour / 3600, HANDLE_S, PATIENCE_S,
                           THRESHOLD_S).service_level < TARGET:
        n += 1
    return n


def interval_rates() -> list[float]:
    """Contacts per hour of each half-hour of :func:`varying`."""
    return [PER_DAY * w / sum(WEIGHTS) / 0.5 for w in WEIGHTS]


def test_single_skill_stationary_matches_erlang_a():
    plan = simcc.staff(SINGLE, workers=2)
    assert plan.feasible
    assert abs(plan.groups["team"][0] - erlang_a_agents(120)) <= 1
    assert plan.groups["team"] == plan.scenario.agents["team"].staffing.counts
    assert plan.simulations >= 2 and plan.seconds > 0


def test_time_varying_demand_meets_every_interval_near_erlang_a_hours():
    plan = simcc.staff(varying(), workers=2)
    assert plan.feasible
    assert plan.verification["met"].all() and len(plan.verification) == len(WEIGHTS)
    erlang_hours = sum(erlang_a_agents(rate) for rate in interval_rates()) * 0.5
    assert abs(plan.agent_hours - erlang_hours) <= 0.1 * erlang_hours
    assert plan.cost == pytest.approx(20 * plan.agent_hours)


@pytest.mark.slow
def test_multiskill_plan_meets_targets_and_costs_no_more_than_dedicated():
    plan = simcc.staff(multiskill(), workers=2)
    assert plan.feasible and plan.verification["met"].all()
    dedicated = sum(2 * erlang_a_agents(rate / 2) for rate in interval_rates()) * 0.5 * 20
    assert plan.cost <= dedicated
    assert sum(plan.groups["cross"]) > 0  # pooling is used where it pays


def test_bounds_too_tight_are_infeasible_and_exit_1(tmp_path):
    document = multiskill(staffable={"spec_a": {"max": 2}, "spec_b": {"max": 2},
                                     "cross": {"fixed": 0}})
    source, staffed = tmp_path / "tight.yaml", tmp_path / "staffed.yaml"
    source.write_text(yaml.safe_dump(document))
    result = CliRunner().invoke(app, ["staff", str(source), "-o", str(staffed), "-n", "3",
                                      "--json"])
    assert result.exit_code == 1, result.output
    answer = yaml.safe_load(result.stdout)
    assert answer["feasible"] is False
    assert any("bound" in row["note"] for row in answer["verification"])
    assert answer["groups"]["cross"] == [0, 0, 0, 0]
    assert max(answer["groups"]["spec_a"]) <= 2
    assert simcc.load_scenario(staffed).agents["spec_a"].staffing is not None  # best plan


def test_output_yaml_validates_and_runs_and_keeps_other_groups(tmp_path):
    document = multiskill(staffable={"spec_a": {}, "spec_b": {"min": 1}})
    document["agents"]["cross"]["count"] = 2
    source, staffed = tmp_path / "in.yaml", tmp_path / "out.yaml"
    source.write_text(yaml.safe_dump(document))
    result = CliRunner().invoke(app, ["staff", str(source), "-o", str(staffed), "-n", "3"])
    assert result.exit_code in (0, 1), result.output
    assert "spec_a" in result.stdout and "SL voice" in result.stdout
    model = simcc.load_scenario(staffed)
    assert model.agents["cross"].count == 2 and model.agents["cross"].staffing is None
    assert min(model.agents["spec_b"].staffing.counts) >= 1
    assert math.isfinite(simcc.simulate(model, replications=2, records="none")
                         .kpi("service_level"))


@pytest.mark.parametrize(("section", "path"), [
    ({"targets": {"items": [{"segment": "default", "kpi": "service_level",
                             "target": 0.8}]}}, "targets.items[0]"),
    ({"targets": {"items": [{"channel": "fax", "kpi": "asa_s", "max": 30}]}},
     "targets.items[0].channel"),
    ({"targets": {"items": [{"channel": "voice", "kpi": "abandon_rate", "target": 0.1}]}},
     "targets.items[0]"),
    ({"targets": {"items": [{"channel": "voice", "kpi": "service_level", "target": 0.8,
                             "threshold": 10},
                            {"channel": "voice", "kpi": "service_level", "target": 0.9,
                             "threshold": 30}]}}, "targets.items[1].threshold"),
    ({"staffable": {"tem": {}}}, "staffable.tem"),
    ({"staffable": {"team": {"min": 3, "max": 2}}}, "staffable.team"),
])
def test_bad_targets_and_staffable_exit_2_naming_the_path(tmp_path, section, path):
    source = tmp_path / "bad.yaml"
    source.write_text(yaml.safe_dump({**SINGLE, **section}))
    with pytest.raises(ScenarioError, match=path.replace("[", r"\[").replace("]", r"\]")):
        simcc.load_scenario(source)
    result = CliRunner().invoke(app, ["staff", str(source), "-o", str(tmp_path / "o.yaml")])
    assert result.exit_code == 2
    assert path in result.output and not (tmp_path / "o.yaml").exists()
    assert CliRunner().invoke(app, ["validate", str(source)]).exit_code == 2


def test_day_and_abandonment_targets_are_measured():
    document = varying(targets={"replace_defaults": True, "items": [
        {"channel": "voice", "kpi": "abandon_rate", "max": 0.1},
        {"intent": "general", "kpi": "service_level", "target": 0.7, "per": "day"}]})
    plan = simcc.staff(document, replications=4, workers=2)
    table = plan.verification
    assert set(table["kpi"]) == {"abandon_rate", "service_level"}
    day = table[table["interval"].isna()]
    assert list(day["clock"]) == ["day"] and day["scope"].iloc[0] == "intent"
    assert plan.to_json()["targets"][0].startswith("voice abandon_rate <= 0.1")


def test_seed_counts_every_shared_agent_hour_once():
    from simcc.planning.grid import plan_grid
    from simcc.planning.seed import cover, need_requirements, pooled_needs
    from simcc.planning.staff import decision_of
    from simcc.planning.targets import scenario_targets

    document = multiskill(staffable={"cross": {}, "spec_a": {"fixed": 0},
                                     "spec_b": {"fixed": 0}})
    model = simcc.load_scenario(document)
    grid = plan_grid(model)
    needs = need_requirements(model, grid, scenario_targets(model))
    plan, short = cover(model, grid, needs, decision_of(model, grid))
    assert list(plan["cross"]) == list(needs.sum(axis=0))  # not max(a, b): pyworkforce's slip
    assert list(needs[0]) == [erlang_a_agents(rate / 2) for rate in interval_rates()]
    assert short.sum() == 0
    pooled, _ = cover(model, grid, needs, decision_of(model, grid),
                      pooled_needs(model, grid, scenario_targets(model)))
    assert list(pooled["cross"]) == [erlang_a_agents(rate) for rate in interval_rates()]


def test_one_replication_is_refused_with_exit_2(tmp_path):
    source = tmp_path / "one.yaml"
    source.write_text(yaml.safe_dump(SINGLE))
    result = CliRunner().invoke(app, ["staff", str(source), "-o", str(tmp_path / "o.yaml"),
                                      "-n", "1"])
    assert result.exit_code == 2 and "at least 2 replications" in result.output


def test_uncertain_per_interval_results_get_a_note():
    import pandas as pd

    from simcc.planning.verify import VERIFICATION_COLUMNS, uncertainty_note

    def table(half):
        rows = [("t", "channel", "voice", t, "08:00", "service_level", 0.8, 0.8 - half,
                 0.8 + half, 0.8, "met", True, 0.0, "") for t in range(4)]
        return pd.DataFrame(rows, columns=VERIFICATION_COLUMNS)

    assert uncertainty_note(table(0.02), 8) is None
    note = uncertainty_note(table(0.11), 8)
    assert note is not None and "+/-11 points with 8 verification replications" in note


def test_a_small_skill_keeps_an_agent_under_a_channel_wide_target():
    """A rare skill (2% of the calls) served by a dear desk: the channel-wide service
    level would tolerate its queue going unstaffed, the plan never leaves it so."""
    document = varying(name="rare", replications=3)
    document["intents"] = {s: {"skill": s, "handle_time": {"dist": "exponential",
                                                           "mean": HANDLE_S}}
                           for s in ("common", "rare")}
    document["demand"][0]["mix"] = {"common": 0.98, "rare": 0.02}
    document["agents"] = {
        "main": {"count": 1, "skills": {"common": 1.0}, "channels": ["voice"],
                 "cost_per_hour": 20},
        "desk": {"count": 1, "skills": {"rare": 1.0}, "channels": ["voice"],
                 "cost_per_hour": 200}}
    plan = simcc.staff(document, workers=1)
    assert min(plan.groups["desk"]) >= 1


def test_the_seed_grosses_up_for_shrinkage_and_the_plan_meets_the_target():
    from simcc.planning.grid import plan_grid
    from simcc.planning.seed import cover, need_requirements
    from simcc.planning.staff import decision_of
    from simcc.planning.targets import scenario_targets

    def seed(shrinkage: float) -> list[int]:
        document = varying()
        document["agents"]["team"]["shrinkage"] = shrinkage
        model = simcc.load_scenario(document)
        grid = plan_grid(model)
        needs = need_requirements(model, grid, scenario_targets(model))
        return list(cover(model, grid, needs, decision_of(model, grid))[0]["team"])

    on_queue = seed(0.0)
    assert on_queue == [erlang_a_agents(rate) for rate in interval_rates()]
    assert seed(0.25) == [math.ceil(n / 0.75 - 1e-9) for n in on_queue]  # paid agents
    document = varying()
    document["agents"]["team"]["shrinkage"] = 0.25
    plan = simcc.staff(document, workers=2)
    assert plan.feasible and sum(plan.groups["team"]) > sum(on_queue)
