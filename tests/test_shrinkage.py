"""Shrinkage (docs/model.md, Shrinkage): off-queue intervals drawn per agent and interval
on their own stream, the contact in hand finished first, paid time in the cost."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import small

import simcc
from simcc.units import HOUR, MINUTE


def shrunk(share: float, agents: int = 1, hours: int = 10, calls_per_hour: float = 0.001):
    doc = small(horizon={"duration": f"{hours}h", "warmup": 0, "interval": "30m"})
    doc["demand"][0]["rate"] = {"per_hour": calls_per_hour}
    doc["agents"]["team"].update(count=agents, shrinkage=share, cost_per_hour=30)
    return doc


def test_off_queue_time_is_whole_intervals_and_leaves_the_rest_staffed():
    result = simcc.simulate(shrunk(0.5), replications=1, workers=1, records="all", seed=5)
    sessions = result.agents.sort_values("start_s")
    edges = np.concatenate([sessions.start_s, sessions.end_s.clip(upper=10 * HOUR)])
    assert np.allclose(edges % (30 * MINUTE), 0)  # cut on interval boundaries only
    staffed = (sessions.end_s.clip(upper=10 * HOUR) - sessions.start_s).sum()
    assert 0 < staffed < 10 * HOUR
    assert result.kpi("staffed_agents") == pytest.approx(staffed / (10 * HOUR))
    # cost counts paid time: staffed time grossed up by 1 / (1 - shrinkage)
    assert result.kpi("cost") == pytest.approx(staffed / HOUR * 30 / 0.5)


def test_the_share_off_queue_matches_the_shrinkage():
    share, agents, hours = 0.25, 20, 24
    result = simcc.simulate(shrunk(share, agents, hours), replications=4, workers=1,
                            records="none", seed=2)
    cells = agents * hours * 2 * 4  # agent-intervals over the replications
    sd = math.sqrt(share * (1 - share) / cells) * agents
    assert abs(result.kpi("staffed_agents") - agents * (1 - share)) < 4 * sd
    assert result.kpi("cost") == pytest.approx(agents * hours * 30, rel=0.03)


def test_shrinkage_keeps_the_customers_draws():
    plain = simcc.simulate(shrunk(0.0, 5, 4, 40), replications=2, workers=1,
                           records="all", seed=8)
    shrunk_run = simcc.simulate(shrunk(0.3, 5, 4, 40), replications=2, workers=1,
                                records="all", seed=8)
    assert np.array_equal(plain.contacts.arrival_s.to_numpy(),
                          shrunk_run.contacts.arrival_s.to_numpy())
    assert shrunk_run.kpi("asa_s") > plain.kpi("asa_s")


def test_an_agent_finishes_the_contact_in_hand_before_going_off_queue():
    doc = shrunk(0.5, hours=10, calls_per_hour=3)
    doc["intents"]["general"]["handle_time"] = {"dist": "constant", "mean": "20m"}
    result = simcc.simulate(doc, replications=1, workers=1, records="all", seed=1)
    legs = result.legs
    for row in result.agents.itertuples():
        inside = legs[(legs.answered_s >= row.start_s) & (legs.answered_s < row.end_s)]
        assert (inside.end_s <= row.end_s + 1e-9).all()  # no session ends mid-call
    late = result.agents.end_s[result.agents.end_s < 10 * HOUR] % (30 * MINUTE)
    assert (late > 0).any()  # some agent went off queue only after finishing a call
