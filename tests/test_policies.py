"""Each built-in routing policy shows its intended effect on a tiny scenario, and
passes the conformance check; common random numbers make paired comparisons sharp."""

import numpy as np
import pandas as pd
import pytest
from helpers import small
from scipy import stats

import simcc


def diff(comparison, variant, kpi, scope="overall", key="all"):
    row = comparison.difference(variant, kpi, scope, key)
    assert row is not None, (variant, kpi, scope, key)
    return row


def two_segments(**changes):
    """Gold (20%, priority 2) and standard customers on 8 busy voice agents."""
    doc = small(horizon={"duration": "6h", "warmup": "30m"},
                segments={"gold": {"share": 0.2, "priority": 2},
                          "std": {"share": 0.8, "priority": 1}},
                demand=[{"channel": "voice", "rate": {"per_hour": 88}, "mix": {"general": 1}}],
                agents={"team": {"count": 8, "skills": {"general": 1.0},
                                 "channels": ["voice"]}},
                replications=6)
    doc["channels"]["voice"]["patience"] = {"dist": "exponential", "mean": "6m"}
    doc.update(changes)
    return doc


def test_priority_reserve_keeps_agents_for_the_top_tier():
    doc = two_segments(variants={"reserve": {"routing": {
        "policy": "priority", "params": {"reserve": {"std": 2}}}}})
    comparison = simcc.compare(doc, workers=1)
    assert diff(comparison, "reserve", "mean_wait_s", "segment", "gold")["diff_ci_high"] < 0
    assert diff(comparison, "reserve", "mean_wait_s", "segment", "std")["diff_ci_low"] > 0


def test_priority_max_wait_bounds_the_long_waits_of_the_low_tier():
    doc = two_segments(variants={"max_wait": {"routing": {
        "policy": "priority", "params": {"max_wait": {"std": "90s"}}}}})
    doc["segments"]["gold"]["share"], doc["segments"]["std"]["share"] = 0.5, 0.5
    comparison = simcc.compare(doc, workers=1)
    for kpi in ("mean_wait_s", "abandon_rate"):  # fewer standard customers left waiting
        assert diff(comparison, "max_wait", kpi, "segment", "std")["diff_ci_high"] < 0
    assert diff(comparison, "max_wait", "mean_wait_s", "segment", "gold")["diff_ci_low"] > 0


def test_priority_offers_callbacks_to_the_low_tier_only():
    doc = two_segments(routing={"policy": "priority", "params": {"offers": [
        {"offer": "callback", "when_wait_over": "1m", "acceptance": 0.5,
         "segments": ["std"]}]}})
    result = simcc.simulate(doc, workers=1)
    assert result.kpi("callbacks_offered", "segment", "gold") == 0
    assert result.kpi("callbacks_offered", "segment", "std") > 20
    assert result.kpi("callback_acceptance", "segment", "std") == pytest.approx(0.5, abs=0.12)


def experts_and_generalists(**changes):
    doc = small(horizon={"duration": "4h", "warmup": "30m"},
                demand=[{"channel": "voice", "rate": {"per_hour": 60}, "mix": {"general": 1}}],
                agents={"experts": {"count": 4, "skills": {"general": 1.0},
                                    "channels": ["voice"]},
                        "generalists": {"count": 4, "skills": {"general": 0.6},
                                        "channels": ["voice"]}},
                replications=4)
    doc.update(changes)
    return doc


def test_overflow_widens_to_the_second_ring_only_after_its_delay():
    rings = [{"after": "0s", "groups": ["experts"]}, {"after": "45s", "min_proficiency": 0}]
    doc = experts_and_generalists(routing={"policy": "overflow", "params": {"rings": rings}},
                                  variants={"skill_based": {"routing.policy": "skill_based",
                                                            "routing.params": {}}})
    comparison = simcc.compare(doc, workers=1, records="all")
    legs = comparison.results["baseline"].legs
    waits = (legs["answered_s"] - legs["queued_s"])[legs["group"] == "generalists"]
    assert len(waits) > 20 and waits.min() >= 45.0 - 1e-6
    base = comparison.results["skill_based"].legs
    quick = ((base["answered_s"] - base["queued_s"]) < 45.0) & (base["group"] == "generalists")
    assert quick.sum() > 50  # without rings the generalists take contacts at once
    assert diff(comparison, "skill_based", "handled", "group", "experts")["diff_ci_high"] < 0


def two_skills(accuracy, **changes):
    """Billing and tech specialists; a wrong detection ends in a transfer that loses
    the context."""
    doc = small(horizon={"duration": "6h", "warmup": "30m"},
                intents={"billing": {"skill": "billing", "resolution": 0.9,
                                     "handle_time": {"dist": "exponential", "mean": "4m"}},
                         "tech": {"skill": "tech", "resolution": 0.9,
                                  "handle_time": {"dist": "exponential", "mean": "4m"}}},
                demand=[{"channel": "voice", "rate": {"per_hour": 90},
                         "mix": {"billing": 0.5, "tech": 0.5}}],
                agents={"billing": {"count": 6, "skills": {"billing": 1.0},
                                    "channels": ["voice"]},
                        "tech": {"count": 6, "skills": {"tech": 1.0}, "channels": ["voice"]}},
                transfers={"context": False, "lost_context_resolution": 0.7},
                routing={"policy": "intent_based", "params": {"accuracy": accuracy}},
                replications=6)
    doc["channels"]["voice"].pop("patience")
    doc.update(changes)
    return doc


def test_intent_detection_errors_become_transfers_and_lower_fcr():
    doc = two_skills(0.7, variants={"nlu": {"routing.params.accuracy": 0.95}})
    comparison = simcc.compare(doc, workers=1)
    baseline = comparison.results["baseline"]
    rates = baseline.replication_kpis.query("scope == 'overall' and kpi == 'transfer_rate'")
    values = rates["value"].to_numpy()
    assert abs(values.mean() - 0.3) < 4 * values.std(ddof=1) / np.sqrt(len(values)) + 0.01
    assert diff(comparison, "nlu", "transfer_rate")["diff_ci_high"] < 0
    assert diff(comparison, "nlu", "fcr")["diff_ci_low"] > 0


def test_accuracy_per_intent():
    doc = two_skills({"default": 1.0, "tech": 0.5})
    result = simcc.simulate(doc, workers=1)
    assert result.kpi("transfer_rate", "intent", "billing") == 0
    assert result.kpi("transfer_rate", "intent", "tech") == pytest.approx(0.5, abs=0.08)


def test_channel_offer_deflects_accepting_customers_to_chat():
    doc = experts_and_generalists(
        channels={"voice": {"patience": {"dist": "exponential", "mean": "5m"}},
                  "chat": {}},
        demand=[{"channel": "voice", "rate": {"per_hour": 100}, "mix": {"general": 1}}],
        agents={"voice": {"count": 5, "skills": {"general": 1.0}, "channels": ["voice"]},
                "chat": {"count": 4, "skills": {"general": 1.0}, "channels": ["chat"]}},
        routing={"policy": "fifo", "params": {"offers": [
            {"offer": "chat", "when_wait_over": "30s", "acceptance": 0.4}]}})
    result = simcc.simulate(doc, workers=1, records="all")
    contacts = result.contacts
    deflected = contacts[contacts["outcome"] == "deflected"]
    moved = contacts[contacts["kind"] == "deflection"]
    assert len(deflected) > 50 and len(moved) == len(deflected)
    assert set(moved["channel"]) == {"chat"} and set(deflected["channel"]) == {"voice"}
    assert result.kpi("deflected", "channel", "voice") > 0
    issues = result.issues
    assert (issues["channels_used"] == "voice>chat").sum() == len(moved)


def test_self_service_offer_contains_a_share_and_returns_the_rest():
    doc = two_segments(routing={"policy": "skill_based", "params": {"offers": [
        {"offer": "self_service", "when_wait_over": "0s", "acceptance": 1.0}]}})
    doc["channels"]["voice"]["self_service"] = {"mode": "on_offer", "duration": "1m",
                                                "containment": {"general": 0.3}}
    result = simcc.simulate(doc, workers=1)
    assert result.kpi("containment_rate") == pytest.approx(0.3, abs=0.05)
    assert 0 < result.kpi("contained") < 0.5 * result.kpi("arrivals")  # only those offered
    doc["channels"]["voice"]["self_service"]["mode"] = "always"  # a second pass: refused
    with pytest.raises(simcc.SimccError, match="mode: on_offer"):
        simcc.simulate(doc, workers=1)


def test_sticky_agent_takes_the_repeat_contacts_of_its_customers():
    doc = small(horizon={"duration": "6h", "warmup": "0s"},
                demand=[{"channel": "voice", "rate": {"per_hour": 24}, "mix": {"general": 1}}],
                repeats={"probability": 1.0, "delay": "10m", "window": "1d"},
                routing={"policy": "sticky", "params": {"wait": "10m"}},
                variants={"skill_based": {"routing.policy": "skill_based",
                                          "routing.params": {}}})
    doc["intents"]["general"]["resolution"] = 0.5
    comparison = simcc.compare(doc, workers=1, records="all")
    assert same_agent_share(comparison.results["baseline"]) > 0.9
    assert same_agent_share(comparison.results["skill_based"]) < 0.4


def same_agent_share(result):
    """Share of repeat contacts answered by the agent of the issue's previous contact."""
    first_agent = (result.legs.sort_values("answered_s").drop_duplicates(
        ["replication", "contact_id"]).set_index(["replication", "contact_id"])["agent"])
    contacts = result.contacts[result.contacts["answered"]].sort_values("arrival_s")
    contacts = contacts.assign(agent=first_agent.reindex(
        pd.MultiIndex.from_frame(contacts[["replication", "contact_id"]])).to_numpy())
    previous = contacts.groupby(["replication", "issue_id"])["agent"].shift()
    repeats = previous.notna()
    assert repeats.sum() > 50
    return float((contacts["agent"][repeats] == previous[repeats]).mean())


@pytest.mark.parametrize("rule, spread_below", [("most_proficient", None),
                                                ("least_occupied", 0.05)])
def test_agent_selection_rules(rule, spread_below):
    doc = experts_and_generalists(
        demand=[{"channel": "voice", "rate": {"per_hour": 40}, "mix": {"general": 1}}],
        routing={"policy": "skill_based", "params": {"agent_selection": rule}})
    result = simcc.simulate(doc, workers=1)
    experts = result.kpi("occupancy", "group", "experts")
    generalists = result.kpi("occupancy", "group", "generalists")
    if spread_below is None:  # the experts take nearly all the work
        assert experts > 2 * generalists
    else:  # the same share of each agent's time
        assert abs(experts - generalists) < spread_below


POLICIES = {
    "fifo": {"agent_selection": "least_occupied"},
    "skill_based": {"offers": [{"offer": "chat", "when_wait_over": "2m", "acceptance": 0.3,
                                "channels": ["voice"]},
                               {"offer": "self_service", "when_wait_over": "1m",
                                "acceptance": 0.5, "channels": ["voice"]}]},
    "priority": {"reserve": {"std": 1}, "max_wait": {"std": "1m"},
                 "offers": [{"offer": "callback", "when_wait_over": "1m", "acceptance": 0.5,
                             "segments": ["std"], "channels": ["voice"]}]},
    "overflow": {"rings": [{"after": "0s", "min_proficiency": 0.9},
                           {"after": "30s", "min_proficiency": 0}]},
    "intent_based": {"accuracy": {"default": 0.8, "tech": 0.6}},
    "sticky": {"wait": "2m"},
}


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_builtin_policies_conform_with_their_parameters(name):
    report = simcc.check_policy(name, POLICIES[name])
    assert report.passed, str(report)
    assert report.contacts > 1000


def test_all_builtins_are_covered():
    assert set(simcc.routing.registered_policies()) == set(POLICIES)


def test_bad_policy_parameters_name_the_field():
    for name, params, message in [
            ("overflow", {"rings": [{"after": "1m", "min_proficiency": 0}]}, "first starts"),
            ("priority", {"reserve": {"std": -1}}, "reserve.std"),
            ("fifo", {"agent_selection": "random"}, "unknown agent_selection"),
            ("fifo", {"offers": [{"offer": "chat", "acceptance": 2}]}, "offers[0].acceptance"),
            ("intent_based", {}, "accuracy")]:
        with pytest.raises(simcc.ScenarioError, match="routing.params") as info:
            simcc.routing.make_policy(name, params)
        assert message in str(info.value)


def test_common_random_numbers_make_the_paired_interval_much_narrower():
    doc = two_segments(variants={"plus_one": {"agents.team.count": 9}}, replications=8)
    comparison = simcc.compare(doc, workers=1)
    paired = diff(comparison, "plus_one", "mean_wait_s")
    paired_width = paired["diff_ci_high"] - paired["diff_ci_low"]
    independent = simcc.simulate(simcc.load_scenario(doc).variant("plus_one"), workers=1,
                                 seed=doc["seed"] + 1000)

    def values(result):
        table = result.replication_kpis
        return table.query("scope == 'overall' and kpi == 'mean_wait_s'")["value"].to_numpy()

    a, b = values(comparison.results["baseline"]), values(independent)
    se = np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    unpaired_width = 2 * stats.t.ppf(0.975, len(a) + len(b) - 2) * se
    assert paired_width < 0.5 * unpaired_width


USER_POLICY = '''
from simcc.routing import RoutingPolicy, by_priority, heads


class SegmentFirst(RoutingPolicy):
    """Contacts of one segment before all others, then skill-based order."""

    name = "segment_first"

    def __init__(self, segment):
        self.segment = segment

    def select_contact(self, agent, queues, view):
        candidates = list(heads(queues))
        chosen = [(q, c) for q, c in candidates if c.segment == self.segment]
        return by_priority(chosen or candidates)
'''


def test_a_user_policy_outside_the_package_runs_from_a_scenario_file(tmp_path):
    import json
    import subprocess
    import sys
    from pathlib import Path

    import yaml

    (tmp_path / "mypolicies.py").write_text(USER_POLICY)
    doc = two_segments(routing={"policy": "mypolicies:SegmentFirst",
                                "params": {"segment": "std"}}, replications=2)
    (tmp_path / "center.yaml").write_text(yaml.safe_dump(doc))
    console_script = Path(sys.executable).parent / "simcc"  # not python -m: no cwd on sys.path
    proc = subprocess.run([str(console_script), "run", "center.yaml", "--json"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    by_segment = json.loads(proc.stdout)["kpis"]["by_segment"]
    # the policy serves standard customers first although gold has the higher priority
    assert by_segment["std"]["asa_s"]["mean"] < by_segment["gold"]["asa_s"]["mean"]
