"""KPI functions on hand-built record tables."""

import numpy as np
import pandas as pd
import pytest

from simcc.metrics.kpis import Period, replication_kpis
from simcc.metrics.timeweighted import overlap_per_bin

PERIOD = Period(warmup_s=100.0, end_s=1100.0, thresholds={"voice": 20.0},
                cost_per_hour={"team": 36.0})


def frames():
    contacts = pd.DataFrame({
        "contact_id": [0, 1, 2, 3, 4, 5],
        "issue_id": [0, 1, 2, 3, 4, 5],
        "channel": ["voice"] * 6,
        "intent": ["a", "a", "b", "b", "a", "a"],
        "segment": ["s"] * 6,
        "priority": [0] * 6,
        "arrival_s": [50.0, 200.0, 300.0, 400.0, 500.0, 600.0],   # contact 0 is warm-up
        "outcome": ["handled", "handled", "handled", "abandoned", "blocked", "handled"],
        "wait_s": [0.0, 0.0, 30.0, 15.0, 0.0, 10.0],
        "answered": [True, True, True, False, False, True],
        "resolved": [True, True, False, False, False, True],
    })
    legs = pd.DataFrame({
        "contact_id": [0, 1, 2, 5], "leg": [0, 0, 0, 0], "agent": ["t.0"] * 4,
        "group": ["team"] * 4, "queued_s": [50.0, 200.0, 300.0, 600.0],
        "answered_s": [50.0, 200.0, 330.0, 610.0], "handle_s": [100.0, 90.0, 60.0, 200.0],
        "wrap_s": [0.0, 10.0, 0.0, 0.0]})
    legs["end_s"] = legs["answered_s"] + legs["handle_s"] + legs["wrap_s"]
    sessions = pd.DataFrame({"agent": ["t.0"], "group": ["team"], "start_s": [0.0],
                             "end_s": [1200.0]})
    return {"contacts": contacts, "legs": legs, "sessions": sessions}


def kpis():
    table = replication_kpis(frames(), PERIOD)
    overall = table[table["scope"] == "overall"].set_index("kpi")["value"]
    return table, overall


def test_counts_and_rates_follow_the_definitions():
    _, k = kpis()
    assert k["arrivals"] == 5          # contact 0 arrived in the warm-up
    assert k["offered"] == 4           # the blocked one never reached the queue
    assert k["handled"] == 3 and k["abandoned"] == 1
    assert k["blocked_rate"] == pytest.approx(1 / 5)
    assert k["abandon_rate"] == pytest.approx(1 / 4)
    assert k["p_wait"] == pytest.approx(3 / 4)       # contacts 2, 3 and 5 waited
    assert k["asa_s"] == pytest.approx((0 + 30 + 10) / 3)
    assert k["mean_wait_s"] == pytest.approx((0 + 30 + 15 + 10) / 4)
    assert k["service_level"] == pytest.approx(2 / 4)  # 1 and 5 within 20 s
    assert k["aht_s"] == pytest.approx((100 + 60 + 200) / 3)
    assert k["fcr"] == pytest.approx(2 / 3)
    assert k["transfer_rate"] == 0 and k["repeat_rate"] == 0


def test_occupancy_and_cost_are_time_weighted_over_the_counted_period():
    _, k = kpis()
    busy = (150 - 100) + 100 + 60 + 200   # contact 0's leg is cut at the warm-up
    assert k["occupancy"] == pytest.approx(busy / 1000)
    assert k["staffed_agents"] == pytest.approx(1.0)
    assert k["cost"] == pytest.approx(36.0 * 1000 / 3600)


def test_scopes_split_the_overall_numbers():
    table, _ = kpis()
    by_intent = table[(table["scope"] == "intent") & (table["kpi"] == "offered")]
    assert dict(zip(by_intent["key"], by_intent["value"], strict=True)) == {"a": 2, "b": 2}
    group = table[table["scope"] == "group"].set_index("kpi")["value"]
    assert group["handled"] == 3
    assert "abandon_rate" not in group.index


def test_overlap_per_bin():
    starts, ends = np.array([0.0, 5.0, 12.0]), np.array([10.0, 7.0, 30.0])
    out = overlap_per_bin(starts, ends, np.array([0.0, 5.0, 10.0, 20.0]))
    assert out.tolist() == [5.0, 7.0, 8.0]
