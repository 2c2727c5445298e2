"""The outcome model (docs/outcomes.md): exact per-issue values, the KPIs on the
streaming path, their closed form, no movement when every coefficient has no effect,
schema errors, and nothing at all without an ``outcomes:`` section."""

import re
from pathlib import Path

import numpy as np
import pytest
from helpers import small
from test_engine import scripted

import simcc
from simcc import ScenarioError, load_scenario
from simcc.catalogue import keys, reported
from simcc.metrics.flags import Period
from simcc.metrics.issues import issues_frame
from simcc.metrics.kpis import replication_kpis
from simcc.metrics.outcomes import OutcomeModel, issue_outcomes
from simcc.metrics.records import ABANDONED, HANDLED
from simcc.scenario.outcomes import Outcomes

OUTCOME_KPIS = ("csat", "effort", "disloyalty_rate", "value_at_risk")
LABELS = {"channel": ["chat", "voice"], "segment": ["gold", "standard"]}
VOICE, CHAT, GOLD = 1, 0, 0


def model(context: bool = True, **spec) -> OutcomeModel:
    """The outcome model of ``spec`` (the ``outcomes:`` mapping) with gold worth 3."""
    return OutcomeModel(Outcomes(**spec), {"gold": 3.0, "standard": 1.0}, context)


def one_issue(*contacts: dict) -> dict[str, np.ndarray]:
    """The contact columns of one issue (id 0) whose contacts arrive 1 h apart; each
    contact: voice, gold, answered, no transfer, unresolved, no callback, wait 0, unless
    given."""
    rows = [{"channel": VOICE, "segment": GOLD, "outcome": HANDLED, "wait_s": 0.0,
             "transfers": 0, "resolved": False, "callback_accepted": False, **c}
            for c in contacts]
    columns = {name: np.array([row[name] for row in rows]) for name in rows[0]}
    n = len(rows)
    columns.update(issue_id=np.zeros(n, dtype=np.int64), contact_id=np.arange(n),
                   arrival_s=3600.0 * np.arange(n))
    return columns


def values_of(contacts: dict, outcome_model: OutcomeModel) -> dict[str, float]:
    values = issue_outcomes(contacts, outcome_model, LABELS,
                            one_per_issue=len(contacts["issue_id"]) == 1)
    return {name: float(v[0]) for name, v in values.items() if name != "issue_id"}


# --- exact tiny cases -------------------------------------------------------------

def test_one_transfer_and_one_repeat_give_the_documented_numbers():
    # docs/outcomes.md, worked example: a gold issue (baseline 0.80, value 3), first
    # contact transferred once and unresolved, a repeat contact resolves it; waits 30 s
    # each (60 s in total: not beyond the 60 s threshold).
    v = values_of(one_issue({"transfers": 1, "wait_s": 30.0},
                            {"resolved": True, "wait_s": 30.0}), model())
    assert v["transfers"] == 1 and v["later"] == 1 and v["switches"] == 0
    assert v["satisfaction"] == pytest.approx(0.80 * 0.75 * 0.88)  # 0.528
    assert v["effort"] == 2.0                                       # transfer + repeat
    assert v["disloyalty"] == pytest.approx(0.61)
    assert v["value_at_risk"] == pytest.approx(3 * 0.61)            # 1.83
    lost_context = values_of(one_issue({"transfers": 1, "wait_s": 30.0},
                                       {"resolved": True, "wait_s": 30.0}), model(False))
    assert lost_context["effort"] == 3.0 and lost_context["disloyalty"] == pytest.approx(0.86)


def test_channel_switch_long_wait_callback_and_interpolation():
    # voice unresolved after 6 min on hold, then a chat that resolves: 1 repeat, 1 switch,
    # 1 long wait (> 2 min); the total wait is 5 min beyond the 1 min threshold.
    v = values_of(one_issue({"wait_s": 360.0}, {"channel": CHAT, "resolved": True}), model())
    assert (v["later"], v["switches"], v["long_waits"]) == (1, 1, 1)
    assert v["satisfaction"] == pytest.approx(0.80 * 0.75 * 0.90 * (1 - 0.02 * 5))
    assert v["effort"] == 3.0 and v["disloyalty"] == pytest.approx(0.86)
    # an accepted callback is an effort event and its time off the line is no wait
    v = values_of(one_issue({"callback_accepted": True, "wait_s": 3000.0, "resolved": True}),
                  model())
    assert v["ocr"] and v["satisfaction"] == pytest.approx(0.80) and v["effort"] == 1.0
    # half-weight events fall between the table's entries, linearly
    v = values_of(one_issue({"transfers": 1, "resolved": True}),
                  model(effort={"weights": {"transfer": 0.5}}))
    assert v["effort"] == 0.5 and v["disloyalty"] == pytest.approx((0.09 + 0.28) / 2)
    # beyond the table: its last entry; the wait factor stops at its floor
    v = values_of(one_issue({"transfers": 9, "wait_s": 36000.0, "resolved": True}), model())
    assert v["disloyalty"] == pytest.approx(0.96)
    assert v["satisfaction"] == pytest.approx(0.80 * 0.75 * 0.88 ** 9 * 0.5)


def test_an_issue_the_customer_gave_up_on():
    abandoned = one_issue({"outcome": ABANDONED, "wait_s": 30.0})
    v = values_of(abandoned, model())
    assert v["gave_up"] and v["disloyalty"] == pytest.approx(0.96)
    assert v["value_at_risk"] == pytest.approx(3 * 0.96)
    assert v["satisfaction"] == pytest.approx(0.80 * 0.75)
    v = values_of(abandoned, model(effort={"gave_up": None},
                                   value_at_risk={"include_gave_up": False},
                                   satisfaction={"unresolved": 0.5}))
    assert v["disloyalty"] == pytest.approx(0.09) and v["value_at_risk"] == 0.0
    assert v["satisfaction"] == pytest.approx(0.80 * 0.75 * 0.5)


def test_scripted_simulation_records_and_kpis():
    # One agent, constant 60 s handle time, everything resolved at first contact:
    # arrivals 0, 10 and 100 s wait 0, 50 and 20 s. With the wait effect starting at
    # 30 s (-0.6 per minute) and effort waits at 40 s, only the second customer is
    # touched: satisfaction 0.8 x (1 - 0.6 x 20/60) = 0.64, one effort event (0.28).
    doc = small(horizon={"duration": "10m"}, outcomes={
        "satisfaction": {"wait": {"threshold": "30s", "per_minute": 0.6}},
        "effort": {"wait_threshold": "40s"}})
    doc["channels"]["voice"].pop("patience")
    doc["agents"]["team"]["count"] = 1
    frames = scripted(doc, [0.0, 10.0, 100.0], [np.inf] * 3, [60.0] * 3)
    scenario = load_scenario(doc)
    period = Period.of(scenario)
    issues = issues_frame(frames["contacts"], outcomes=period.outcomes)
    assert issues["satisfaction"].tolist() == pytest.approx([0.8, 0.64, 0.8])
    assert issues["effort_events"].tolist() == [0.0, 1.0, 0.0]
    assert issues["disloyalty"].tolist() == pytest.approx([0.09, 0.28, 0.09])
    kpis = replication_kpis(frames, period).set_index(["scope", "kpi"])["value"]
    assert kpis["overall", "csat"] == pytest.approx((0.8 + 0.64 + 0.8) / 3)
    assert kpis["overall", "effort"] == pytest.approx(1 / 3)
    assert kpis["overall", "disloyalty_rate"] == pytest.approx((0.09 + 0.28 + 0.09) / 3)
    assert kpis["overall", "value_at_risk"] == pytest.approx(0.09 + 0.28 + 0.09)


# --- simulations ------------------------------------------------------------------

def transfer_center(**outcomes) -> dict:
    """Voice, two skills; intent a is misrouted to skill b one time in five (one
    transfer at most), resolves 70 %; ample agents, nobody abandons."""
    return small(
        horizon={"duration": "3h", "warmup": "30m"}, replications=3,
        intents={"a": {"skill": "a", "handle_time": {"dist": "exponential", "mean": "4m"},
                       "resolution": 0.7, "misroute": 0.2},
                 "b": {"skill": "b", "handle_time": {"dist": "exponential", "mean": "4m"}}},
        demand=[{"channel": "voice", "rate": {"per_hour": 60}, "mix": {"a": 0.8, "b": 0.2}}],
        agents={"ta": {"count": 8, "skills": {"a": 1.0}, "channels": ["voice"]},
                "tb": {"count": 4, "skills": {"b": 1.0}, "channels": ["voice"]}},
        outcomes=outcomes)


def test_csat_equals_its_closed_form_given_fcr_and_the_transfer_rate():
    # Waits never reach the (1 h) threshold and nobody switches channel, so each issue
    # is base x 0.75^(not FCR) x 0.88^transfers with at most one transfer:
    # csat = base x (fcr + 0.75 (1 - fcr - t) + 0.75 x 0.88 t), t the transfer rate.
    doc = transfer_center(satisfaction={"baseline": 0.9, "wait": {"threshold": "1h"}})
    doc["channels"]["voice"].pop("patience")
    result = simcc.simulate(doc, workers=1)
    by_rep = result.replication_kpis
    wide = by_rep[by_rep["scope"] == "overall"].pivot(index="replication", columns="kpi",
                                                      values="value")
    assert (wide["handled"] == wide["issues"]).all() and (wide["transfer_rate"] > 0).all()
    fcr, t = wide["fcr"], wide["transfer_rate"]
    closed = 0.9 * (fcr + 0.75 * (1 - fcr - t) + 0.75 * 0.88 * t)
    assert np.allclose(wide["csat"], closed, rtol=0, atol=1e-12)
    assert result.kpi("csat") == pytest.approx(closed.mean(), abs=1e-12)


ZERO_EFFECT = {
    "satisfaction": {"baseline": {"standard": 0.75, "gold": 0.875},
                     "not_resolved_first": 1, "unresolved": 1, "transfer_factor": 1,
                     "switch_factor": 1, "wait": {"per_minute": 0}},
    "effort": {"weights": {name: 0 for name in ("transfer", "repeat", "switch", "callback",
                                                "long_wait", "explain_again")},
               "disloyalty": [0.25], "gave_up": None},
}
"""Every coefficient without effect; values with exact binary fractions, so that sums
in any order (chunks differ between routings) are exact."""


def test_outcome_kpis_do_not_move_between_routings_when_nothing_has_an_effect():
    doc = transfer_center(**ZERO_EFFECT)
    doc["segments"] = {"standard": {"share": 0.75, "priority": 0, "value": 1},
                       "gold": {"share": 0.25, "priority": 5, "value": 4}}
    doc["channels"]["voice"]["patience"] = {"dist": "exponential", "mean": "1m"}
    doc["agents"]["ta"]["count"] = 4  # waits and abandonment
    doc["variants"] = {"fifo": {"routing.policy": "fifo"},
                       "priority": {"routing.policy": "priority"}}
    comparison = simcc.compare(doc, workers=1)
    d = comparison.differences
    moved = d[d["kpi"].isin(["asa_s", "abandon_rate"]) & (d["scope"] == "overall")]
    assert (moved["diff_mean"].abs() > 0).any()  # the routings do differ
    outcome = d[d["kpi"].isin(OUTCOME_KPIS)]
    assert len(outcome) == 2 * 4 * (1 + 1 + 2 + 2)  # variants x kpis x (all, channel,...)
    assert (outcome["diff_mean"] == 0).all()
    assert (outcome["diff_ci_low"] == 0).all() and (outcome["diff_ci_high"] == 0).all()


def test_streaming_kpis_agree_with_the_issue_records_on_a_journey_scenario():
    scenario = load_scenario("scenarios/retail_omnichannel.yaml").with_overrides(
        {"horizon.duration": "1d", "horizon.warmup": "2h", "horizon.drain": "1d",
         "outcomes": {"satisfaction": {"baseline": {"premium": 0.85}}}})
    result = simcc.simulate(scenario, replications=1, workers=1, records="all")
    issues = result.issues
    counted = issues[(issues["arrival_s"] >= scenario.horizon.warmup)
                     & (issues["arrival_s"] < scenario.horizon.length_s)]
    assert counted["switches"].sum() > 0 and counted["gave_up"].any()
    assert result.kpi("csat") == pytest.approx(counted["satisfaction"].mean(), rel=1e-12)
    assert result.kpi("effort") == pytest.approx(counted["effort_events"].mean(), rel=1e-12)
    assert result.kpi("value_at_risk") == pytest.approx(counted["value_at_risk"].sum(),
                                                        rel=1e-12)
    premium = counted[counted["segment"] == "premium"]
    assert result.kpi("disloyalty_rate", scope="segment", key="premium") == pytest.approx(
        premium["disloyalty"].mean(), rel=1e-12)


# --- schema and absence -----------------------------------------------------------

@pytest.mark.parametrize(("outcomes", "path", "text"), [
    ({"satisfaction": {"transfer_factor": 1.5}}, "outcomes.satisfaction.transfer_factor",
     "<= 1"),
    ({"satisfaction": {"wait": {"threshold": "soon"}}}, "outcomes.satisfaction.wait.threshold",
     "duration"),
    ({"effort": {"disloyalty": [0.5, 0.2]}}, "outcomes.effort.disloyalty", "must not decrease"),
    ({"effort": {"disloyalty": []}}, "outcomes.effort.disloyalty", "must not be empty"),
    ({"effort": {"weights": {"transfers": 1}}}, "outcomes.effort.weights.transfers", ""),
    ({"satisfaction": {"baseline": {"gold": 0.9}}}, "outcomes.satisfaction.baseline.gold",
     "unknown segment 'gold'"),
    ({"value_at_risk": {"include_abandonment": True}},
     "outcomes.value_at_risk.include_abandonment", ""),
])
def test_schema_errors_name_the_field(outcomes, path, text):
    with pytest.raises(ScenarioError) as error:
        load_scenario(small(outcomes=outcomes))
    assert path in str(error.value) and text in str(error.value)


def test_an_empty_section_takes_the_documented_defaults():
    spec = load_scenario(small(outcomes={})).outcomes
    assert spec.satisfaction.baseline_of("anyone") == 0.80
    assert spec.effort.disloyalty == [0.09, 0.28, 0.61, 0.86, 0.96]
    gold = Outcomes(satisfaction={"baseline": {"gold": 0.9, "default": 0.7}}).satisfaction
    assert (gold.baseline_of("gold"), gold.baseline_of("other")) == (0.9, 0.7)


def test_without_outcomes_no_outcome_kpi_and_no_outcome_column():
    result = simcc.simulate(small(), replications=1, workers=1, records="all")
    assert not set(result.kpis["kpi"]) & set(OUTCOME_KPIS)
    assert "satisfaction" not in result.issues.columns
    assert set(OUTCOME_KPIS) == set(keys(family="outcome"))
    assert not set(reported(False)) & set(OUTCOME_KPIS)
    with_outcomes = simcc.simulate(small(outcomes={}), replications=1, workers=1)
    for scope in ("overall", "channel", "segment", "intent"):
        rows = with_outcomes.kpis[with_outcomes.kpis["scope"] == scope]
        assert set(OUTCOME_KPIS) <= set(rows["kpi"]), scope
    groups = with_outcomes.kpis[with_outcomes.kpis["scope"] == "group"]
    assert not set(groups["kpi"]) & set(OUTCOME_KPIS)


# --- the documentation ------------------------------------------------------------

DOC = Path(__file__).resolve().parents[1] / "docs" / "outcomes.md"


def _documented_defaults() -> dict[str, str]:
    """The ``default`` column of the key table of docs/outcomes.md, by key."""
    rows = [line.split(" | ") for line in DOC.read_text().splitlines()
            if line.startswith("| `")]
    return {row[0].strip("| `"): row[-1].strip(" |") for row in rows if len(row) == 4}


def test_the_documented_defaults_are_the_schema_defaults():
    documented = _documented_defaults()
    spec = Outcomes()
    numbers = {"satisfaction.baseline": spec.satisfaction.baseline,
               "satisfaction.not_resolved_first": spec.satisfaction.not_resolved_first,
               "satisfaction.unresolved": spec.satisfaction.unresolved,
               "satisfaction.transfer_factor": spec.satisfaction.transfer_factor,
               "satisfaction.switch_factor": spec.satisfaction.switch_factor,
               "satisfaction.wait.per_minute": spec.satisfaction.wait.per_minute,
               "satisfaction.wait.floor": spec.satisfaction.wait.floor,
               "effort.gave_up": spec.effort.gave_up}
    for key, value in numbers.items():
        assert float(documented[key]) == value, key
    assert documented["satisfaction.wait.threshold"] == "1 min"
    assert spec.satisfaction.wait.threshold == 60.0
    assert documented["effort.wait_threshold"] == "2 min" and spec.effort.wait_threshold == 120
    assert set(spec.effort.weights.model_dump().values()) == {1.0}
    assert "0.09, 0.28, 0.61, 0.86, 0.96" in DOC.read_text()
    assert documented["value_at_risk.include_gave_up"] == "true"
    assert spec.value_at_risk.include_gave_up


def test_links_into_outcomes_md_reach_its_headings():
    root = DOC.parents[1]
    headings = {re.sub(r"[^a-z0-9 -]", "", line.lstrip("# ").lower()).replace(" ", "-")
                for line in DOC.read_text().splitlines() if line.startswith("#")}
    texts = [p.read_text() for folder in ("docs", "simcc", "tests", "notebooks")
             for p in (root / folder).rglob("*") if p.suffix in (".md", ".py", ".ipynb")]
    anchors = {a for text in texts for a in re.findall(r"outcomes\.md#([a-z0-9-]+)", text)}
    assert anchors and anchors <= headings, anchors - headings
