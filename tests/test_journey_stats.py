"""Journey behaviours checked statistically: against closed forms where they exist, and
as paired (common random numbers) effects where they do not."""

import numpy as np
from helpers import small

import simcc


def per_replication(result, kpi, scope="overall", key="all"):
    table = result.replication_kpis
    rows = table[(table["scope"] == scope) & (table["key"] == key) & (table["kpi"] == kpi)]
    return rows.sort_values("replication")["value"].to_numpy()


def within(values, expected, sigmas=4.0, floor=0.0):
    mean = values.mean()
    se = values.std(ddof=1) / np.sqrt(len(values))
    assert abs(mean - expected) <= sigmas * se + floor, (mean, expected, se)


def roomy(**changes):
    """A center with plenty of agents: nothing but the behaviour under test matters."""
    doc = small(horizon={"duration": "8h", "warmup": "30m"},
                demand=[{"channel": "voice", "rate": {"per_hour": 120}, "mix": {"general": 1}}],
                agents={"team": {"count": 30, "skills": {"general": 1.0},
                                 "channels": ["voice"]}},
                replications=8)
    doc["channels"]["voice"].pop("patience")
    doc.update(changes)
    return doc


def test_fcr_equals_the_resolution_probability_when_nothing_interferes():
    doc = roomy()
    doc["intents"]["general"]["resolution"] = 0.7
    result = simcc.simulate(doc, workers=1, records="none")
    within(per_replication(result, "fcr"), 0.7)
    # a 20% error in the expected value would be caught
    assert abs(result.kpi("fcr") - 0.7 * 1.2) > 0.05


def test_contacts_per_issue_follows_the_geometric_law_of_repeats():
    resolution, repeat = 0.6, 0.5
    doc = roomy(repeats={"probability": repeat, "delay": "10m", "window": "7d"})
    doc["intents"]["general"]["resolution"] = resolution
    result = simcc.simulate(doc, workers=1, records="none")
    expected = 1 / (1 - repeat * (1 - resolution))
    within(per_replication(result, "contacts_per_issue"), expected)
    within(per_replication(result, "resolution_rate"),
           resolution / (1 - repeat * (1 - resolution)))


def test_containment_rate_matches_the_configured_probability():
    doc = roomy()
    doc["channels"]["voice"]["self_service"] = {"duration": "30s",
                                                "containment": {"general": 0.35}}
    result = simcc.simulate(doc, workers=1, records="none")
    within(per_replication(result, "containment_rate"), 0.35)
    assert result.kpi("offered") < result.kpi("arrivals") * 0.7


def test_concurrency_lowers_chat_waits_at_equal_headcount():
    base = small(channels={"chat": {"patience": {"dist": "exponential", "mean": "3m"}}},
                 intents={"g": {"skill": "g", "handle_time": {"dist": "exponential",
                                                              "mean": "8m"}}},
                 demand=[{"channel": "chat", "rate": {"per_hour": 60}, "mix": {"g": 1}}],
                 agents={"t": {"count": 6, "skills": {"g": 1.0}, "channels": ["chat"]}},
                 replications=6, variants={"three": {"channels.chat.concurrency": 3}})
    comparison = simcc.compare(base, workers=1)
    diff = comparison.differences.set_index(["scope", "variant", "kpi"])
    wait = diff.loc[("overall", "three", "mean_wait_s")]
    assert wait["diff_ci_high"] < 0  # lower with a CI that excludes 0
    occupancy = diff.loc[("overall", "three", "occupancy")]
    assert occupancy["diff_mean"] < 0  # the same work spread over three times the slots


def test_callbacks_lower_live_abandonment_on_common_random_numbers():
    base = small(horizon={"duration": "6h", "warmup": "30m"},
                 demand=[{"channel": "voice", "rate": {"per_hour": 70}, "mix": {"general": 1}}],
                 replications=6,
                 variants={"callbacks": {"channels.voice.callback": {
                     "threshold": "2m", "acceptance": 0.6, "success": 0.9}}})
    base["channels"]["voice"]["patience"] = {"dist": "exponential", "mean": "3m"}
    comparison = simcc.compare(base, workers=1)
    diff = comparison.differences.set_index(["scope", "variant", "kpi"])
    abandon = diff.loc[("overall", "callbacks", "abandon_rate")]
    assert abandon["diff_ci_high"] < 0
    result = comparison.results["callbacks"]
    assert result.kpi("callbacks_offered") > 0
    within(per_replication(result, "callback_acceptance"), 0.6)
