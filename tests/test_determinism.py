"""Same scenario and seed => identical results, serially or in parallel; common random
numbers across routing policies."""

import json

import numpy as np
from helpers import scenario, small

import simcc
from simcc.metrics.records import to_frames
from simcc.model import build, compile_scenario, replication_seedseq
from simcc.model.demand import arrival_batches
from simcc.model.streams import Streams


def test_same_seed_same_json_and_workers_do_not_matter():
    doc = small(replications=3)
    one = simcc.simulate(doc, workers=1, records="none").to_json()
    again = simcc.simulate(doc, workers=1, records="none").to_json()
    two = simcc.simulate(doc, workers=2, records="none").to_json()
    assert json.dumps(one) == json.dumps(again) == json.dumps(two)


def test_different_seed_different_numbers():
    a = simcc.simulate(small(), seed=1, workers=1, records="none")
    b = simcc.simulate(small(), seed=2, workers=1, records="none")
    assert a.kpi("arrivals") != b.kpi("arrivals")


def test_streams_depend_on_name_not_creation_order():
    seq = replication_seedseq(4, 2)
    first, second = Streams(seq), Streams(seq)
    a = first("arrivals/0").random(3)
    second("something else").random(10)
    assert np.array_equal(a, second("arrivals/0").random(3))
    assert not np.array_equal(first("patience/0").random(3), Streams(seq)("handle/0").random(3))


def test_customers_are_the_same_whatever_the_policy():
    """Common random numbers: arrival times, intents, segments and patience do not
    depend on the routing policy."""
    doc = scenario(
        horizon={"duration": "2h", "warmup": "0s"},
        segments={"std": {"share": 0.7, "priority": 1}, "gold": {"share": 0.3, "priority": 2}},
    )
    frames = {}
    for policy in ("fifo", "skill_based"):
        doc["routing"] = {"policy": policy}
        records = build(simcc.load_scenario(doc), replication_seedseq(1, 0)).run()
        frames[policy] = to_frames(records)["contacts"]
    a, b = frames["fifo"], frames["skill_based"]
    for column in ("arrival_s", "intent", "segment"):
        assert a[column].tolist() == b[column].tolist()
    # ...while the outcomes do differ: gold waits less under skill_based.
    gold_wait = {p: f.loc[f["segment"] == "gold", "wait_s"].mean() for p, f in frames.items()}
    assert gold_wait["skill_based"] < gold_wait["fifo"]


def first_batch(doc: dict):
    """The first window of arrivals of replication 0 of scenario ``doc``."""
    plan = compile_scenario(simcc.load_scenario(doc))
    return next(arrival_batches(plan.demands, plan.length_s, Streams(replication_seedseq(1, 0))))


def test_adding_a_stream_does_not_change_another_streams_customers():
    doc = scenario(horizon={"duration": "3h"})
    base = first_batch(doc)
    doc["channels"]["chat"] = {}
    doc["agents"]["team"]["channels"] = ["voice", "chat"]
    doc["demand"].append({"channel": "chat", "rate": {"per_hour": 300}, "mix": {"general": 1}})
    more = first_batch(doc)
    voice_code = list(doc["channels"]).index("voice")
    assert np.array_equal(more.time_s[more.channel == voice_code], base.time_s)
