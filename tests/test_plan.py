"""The compiled plan: built once per scenario, picklable, and read by every replication."""

import pickle

import numpy as np
from helpers import small

import simcc
from simcc.experiment.replications import run_replication
from simcc.metrics.codes import ContactKind, Outcome, names
from simcc.metrics.records import KINDS, OUTCOMES, to_frames
from simcc.model import Plan, build, compile_scenario, replication_seedseq
from simcc.model.contacts import ID_STRIDE
from simcc.model.demand import arrival_batches
from simcc.model.entities import REPEAT
from simcc.model.streams import Streams

RETAIL = "scenarios/retail_omnichannel.yaml"


def records_of(plan: Plan, replication: int = 0) -> dict:
    return to_frames(build(plan, replication_seedseq(1, replication)).run())


def test_a_pickled_plan_is_recompiled_and_simulates_the_same_customers():
    plan = compile_scenario(simcc.load_scenario(RETAIL, {"horizon.duration": "6h"}))
    copy = pickle.loads(pickle.dumps(plan))
    assert isinstance(copy, Plan) and copy is not plan
    assert copy.vocabulary == plan.vocabulary and copy.routes == plan.routes
    assert copy.groups == plan.groups
    first, second = records_of(plan), records_of(copy)
    for name in ("contacts", "legs", "sessions"):
        assert first[name].equals(second[name]), name


def test_replications_of_a_plan_equal_replications_of_its_scenario():
    scenario = simcc.load_scenario(small())
    plan = compile_scenario(scenario)
    assert compile_scenario(plan) is plan
    from_plan = run_replication(plan, 3, 1)
    from_scenario = run_replication(scenario, 3, 1)
    assert from_plan.kpis.equals(from_scenario.kpis)
    assert from_plan.intervals.equals(from_scenario.intervals)


def test_the_plan_lays_out_each_shift_once_over_the_schedule():
    # Horizon 2 days from 06:00 with no drain beyond the default; a 08:00-16:00 shift of
    # 2 agents logs on at 2 h and 26 h and off at 10 h and 34 h (simulated seconds).
    doc = small(horizon={"duration": "2d", "start": "06:00", "drain": "0s"})
    doc["agents"]["team"] = {"shifts": [{"start": "08:00", "end": "16:00", "count": 2}],
                             "skills": {"general": 1.0}, "channels": ["voice"]}
    group = compile_scenario(simcc.load_scenario(doc)).groups["team"]
    assert group.agent_names == ("team.s0.0", "team.s0.1")
    hour = 3600.0
    assert [(e.time_s, e.on, e.agents) for e in sorted(group.shifts, key=lambda e: e.time_s)
            ] == [(2 * hour, True, (0, 1)), (10 * hour, False, (0, 1)),
                  (26 * hour, True, (0, 1)), (34 * hour, False, (0, 1))]


def test_vocabulary_codes_are_scenario_positions():
    plan = compile_scenario(simcc.load_scenario(RETAIL))
    vocabulary = plan.vocabulary
    assert vocabulary.channel == tuple(plan.scenario.channels)
    assert vocabulary.codes["skill"] == {s: k for k, s in enumerate(plan.scenario.skills)}
    assert {r.skill_code for r in plan.routes} <= set(range(len(vocabulary.skill)))


def test_record_categories_keep_their_names_in_code_order():
    assert OUTCOMES == ("handled", "abandoned", "blocked", "unserved", "closed", "contained",
                        "callback_failed", "deflected")
    assert OUTCOMES[Outcome.CALLBACK_FAILED] == "callback_failed"
    assert KINDS == ("first", "retrial", "repeat", "deflection") == names(ContactKind)
    assert KINDS[REPEAT] == "repeat"


def test_a_later_contact_continues_its_issue():
    plan = compile_scenario(simcc.load_scenario(RETAIL))
    replication = build(plan, replication_seedseq(1, 0))
    routes = replication.center.routes
    batch = next(iter_batches(plan))
    first = plan.contacts.first_contacts(batch, 0, routes)[0]
    first.handled_by = "agent-7"
    u = [0.5] * 16
    later = plan.contacts.later_contact(first, 2, REPEAT, "chat", 1000.0, u, routes)
    assert later.id == first.id + 2 * ID_STRIDE and later.issue_id == first.id
    assert (later.attempt, later.kind, later.channel) == (2, REPEAT, "chat")
    assert later.previous_agent == "agent-7" and later.issue_start_s == first.arrival_s
    assert later.route is routes["chat", later.skill] and later.draws is u
    handle = plan.samplers.handle[first.intent]
    assert later.base_handle_s == handle.quantile(0.5)


def iter_batches(plan: Plan):
    return arrival_batches(plan.demands, plan.length_s, Streams(np.random.SeedSequence(1)))
