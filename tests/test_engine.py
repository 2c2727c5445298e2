"""Engine behaviour read off the records of single replications (SimPy log tests)."""

import numpy as np
import pytest
from helpers import small

import simcc
from simcc.errors import ModelError
from simcc.metrics.records import to_frames
from simcc.model import build, replication_seedseq
from simcc.model.arrivals import ArrivalFeed
from simcc.model.demand import ArrivalBatch
from simcc.routing import RoutingPolicy


def run(doc, replication=0, policy=None):
    model = simcc.load_scenario(doc)
    return to_frames(build(model, replication_seedseq(model.seed, replication), policy).run())


def test_every_contact_gets_exactly_one_outcome_and_handled_ones_one_leg():
    frames = run(small())
    contacts, legs = frames["contacts"], frames["legs"]
    assert contacts["contact_id"].is_unique
    assert set(contacts["outcome"]) <= {"handled", "abandoned"}
    handled = contacts[contacts["outcome"] == "handled"]
    assert sorted(legs["contact_id"]) == sorted(handled["contact_id"])
    merged = legs.merge(contacts, on="contact_id")
    assert np.allclose(merged["answered_s"] - merged["arrival_s"], merged["wait_s"])


def test_agents_never_overlap_and_wrap_up_delays_the_next_contact():
    doc = small()
    doc["agents"]["team"]["wrap_up"] = "45s"
    legs = run(doc)["legs"]
    assert (legs["wrap_s"] == 45).all()
    for _, mine in legs.sort_values("answered_s").groupby("agent"):
        assert (mine["answered_s"].to_numpy()[1:] >= mine["end_s"].to_numpy()[:-1] - 1e-9).all()


def test_constant_patience_abandons_exactly_then():
    doc = small(demand=[{"channel": "voice", "rate": {"per_hour": 90}, "mix": {"general": 1}}])
    doc["channels"]["voice"]["patience"] = {"dist": "constant", "mean": "1m"}
    contacts = run(doc)["contacts"]
    abandoned = contacts[contacts["outcome"] == "abandoned"]
    assert len(abandoned) > 10
    assert np.allclose(abandoned["wait_s"], 60.0)
    assert (contacts.loc[contacts["outcome"] == "handled", "wait_s"] <= 60.0).all()


def scripted(doc: dict, arrivals_s: list[float], patience_s: list[float],
             handle_s: list[float]) -> dict:
    """The record frames of replication 0 of ``doc`` with its random arrivals replaced by
    these contacts (one intent, one segment)."""
    scenario = simcc.load_scenario(doc)
    replication = build(scenario, replication_seedseq(scenario.seed, 0))
    n = len(arrivals_s)
    batch = ArrivalBatch(
        time_s=np.asarray(arrivals_s, dtype=float), channel=np.zeros(n, dtype=int),
        intent=np.zeros(n, dtype=int), segment=np.zeros(n, dtype=int),
        patience_s=np.asarray(patience_s, dtype=float),
        base_handle_s=np.asarray(handle_s, dtype=float),
        resolution_u=np.zeros(n), wrap_u=np.zeros(n))
    center = replication.center
    replication.feed = ArrivalFeed(replication.env, iter([batch]), center.on_arrival,
                                   replication.plan.contacts, center.routes,
                                   replication.records.arrivals.append)
    return to_frames(replication.run())


def test_patience_ending_as_an_agent_frees_up_abandons_before_the_agent_chooses():
    # One agent. Contact 0 arrives at 0 and is served until 60. Contact 1 arrives at 10
    # with patience 50: its patience ends at 60, the instant the agent frees up. The
    # agent's completion was scheduled first (at time 0), yet the abandonment comes
    # first (urgent timer): contact 1 abandons after 50 s, and contact 2 (arrived at 20,
    # patient) is the one the agent takes at 60.
    doc = small()
    doc["agents"]["team"]["count"] = 1
    contacts = scripted(doc, [0.0, 10.0, 20.0], [np.inf, 50.0, np.inf],
                        [60.0, 60.0, 60.0])["contacts"].set_index("contact_id")
    assert contacts.loc[1, "outcome"] == "abandoned"
    assert contacts.loc[1, "wait_s"] == 50.0
    assert contacts.loc[2, "outcome"] == "handled"
    assert contacts.loc[2, "wait_s"] == 40.0


def test_no_waiting_room_blocks_instead_of_queueing():
    doc = small()
    doc["channels"]["voice"]["queue_capacity"] = 0
    contacts = run(doc)["contacts"]
    assert (contacts["outcome"] == "blocked").sum() > 0
    assert (contacts.loc[contacts["outcome"] == "handled", "wait_s"] == 0).all()


def test_queue_capacity_bounds_the_number_waiting():
    doc = small(demand=[{"channel": "voice", "rate": {"per_hour": 90}, "mix": {"general": 1}}])
    doc["channels"]["voice"]["queue_capacity"] = 3
    doc["channels"]["voice"].pop("patience")
    contacts = run(doc)["contacts"]
    queued = contacts[contacts["outcome"] != "blocked"]
    starts = queued["arrival_s"].to_numpy()
    ends = starts + queued["wait_s"].to_numpy()
    for t in contacts.loc[contacts["outcome"] == "blocked", "arrival_s"]:
        assert ((starts < t) & (ends > t)).sum() == 3  # blocked only when the room is full


def test_shifts_log_agents_on_and_off_and_busy_agents_finish_first():
    doc = small(horizon={"duration": "6h", "start": "08:00"})
    doc["agents"] = {"early": {"shifts": [{"start": "08:00", "end": "10:00", "count": 3}],
                               "skills": {"general": 1.0}, "channels": ["voice"]},
                     "late": {"shifts": [{"start": "09:00", "end": "16:00", "count": 4}],
                              "skills": {"general": 1.0}, "channels": ["voice"]}}
    frames = run(doc)
    sessions, legs = frames["sessions"], frames["legs"]
    early = sessions[sessions["group"] == "early"]
    assert len(early) == 3 and (early["start_s"] == 0).all()
    assert (early["end_s"] >= 7200).all()
    early_legs = legs[legs["group"] == "early"]
    assert (early_legs["answered_s"] < 7200).all()  # no new contact after the shift
    ends = early.set_index("agent")["end_s"]
    last_leg_end = early_legs.groupby("agent")["end_s"].max()
    for agent, end in ends.items():  # off at 10:00 or when the contact in hand ends
        assert end == pytest.approx(max(7200.0, last_leg_end.get(agent, 0.0)))
    late = legs[legs["group"] == "late"]
    assert late["answered_s"].min() >= 3600


def test_contacts_nobody_can_take_are_unserved_at_the_end():
    doc = small(horizon={"duration": "4h", "start": "08:00"})
    doc["channels"]["voice"].pop("patience")
    doc["agents"]["team"] = {"shifts": [{"start": "08:00", "end": "09:00", "count": 1}],
                             "skills": {"general": 1.0}, "channels": ["voice"]}
    contacts = run(doc)["contacts"]
    assert (contacts["outcome"] == "unserved").sum() > 0
    assert (contacts.loc[contacts["arrival_s"] > 4000, "outcome"] == "unserved").all()


def test_proficiency_stretches_handle_time_and_most_proficient_goes_first():
    doc = small(demand=[{"channel": "voice", "rate": {"per_hour": 10}, "mix": {"general": 1}}])
    doc["intents"]["general"]["handle_time"] = {"dist": "constant", "mean": "4m"}
    doc["agents"] = {"novice": {"count": 3, "skills": {"general": 0.5}, "channels": ["voice"]},
                     "expert": {"count": 3, "skills": {"general": 1.0}, "channels": ["voice"]}}
    legs = run(doc)["legs"]
    assert np.allclose(legs.loc[legs["group"] == "expert", "handle_s"], 240.0)
    assert np.allclose(legs.loc[legs["group"] == "novice", "handle_s"], 480.0)
    assert (legs["group"] == "expert").mean() > 0.9  # low load: experts are usually idle


def test_resolution_probability_scales_with_proficiency():
    doc = small(demand=[{"channel": "voice", "rate": {"per_hour": 200}, "mix": {"general": 1}}],
                horizon={"duration": "10h"})
    doc["intents"]["general"]["resolution"] = 0.8
    doc["agents"]["team"] = {"count": 30, "skills": {"general": 0.5}, "channels": ["voice"]}
    contacts = run(doc)["contacts"]
    handled = contacts[contacts["answered"]]
    assert handled["resolved"].mean() == pytest.approx(0.4, abs=0.04)


def test_intraday_profile_shapes_arrivals():
    doc = small(horizon={"duration": "4h", "start": "08:00", "interval": "1h"},
                profiles={"day": {"start": "08:00", "interval": "1h", "weights": [1, 0, 3, 0]}},
                demand=[{"channel": "voice", "rate": {"per_day": 4000, "profile": "day"},
                         "mix": {"general": 1}}])
    hours = (run(doc)["contacts"]["arrival_s"] // 3600).value_counts()
    assert set(hours.index) == {0, 2}
    assert hours[0] == pytest.approx(1000, rel=0.15)
    assert hours[2] == pytest.approx(3000, rel=0.1)


class GreedyBroken(RoutingPolicy):
    """Returns an agent that is not idle: the engine must refuse it."""

    name = "broken"

    def select_agent(self, contact, pools, view):
        return pools[0].group_ref.agents[0] if pools[0].group_ref.agents[0].state == "busy" \
            else super().select_agent(contact, pools, view)


def test_a_policy_choosing_an_ineligible_agent_is_an_error():
    doc = small(demand=[{"channel": "voice", "rate": {"per_hour": 200}, "mix": {"general": 1}}])
    with pytest.raises(ModelError, match="not an available agent"):
        run(doc, policy=GreedyBroken())


def test_staffing_table_sets_agents_per_interval():
    doc = small(horizon={"duration": "4h", "start": "08:00", "interval": "1h"})
    doc["agents"]["team"] = {"staffing": {"start": "08:00", "interval": "1h",
                                          "counts": [2, 5, 0, 3]},
                             "skills": {"general": 1.0}, "channels": ["voice"]}
    doc["channels"]["voice"].pop("patience")
    frames = run(doc)
    sessions, legs = frames["sessions"], frames["legs"]
    assert sorted(sessions["agent"].unique()) == [f"team.{k}" for k in range(5)]
    for hour, expected in enumerate([2, 5, 0, 3]):
        t = hour * 3600 + 1800
        on = ((sessions["start_s"] <= t) & (sessions["end_s"] > t)).sum()
        busy_late = ((legs["answered_s"] < hour * 3600) & (legs["end_s"] > t)).sum()
        assert expected <= on <= expected + busy_late  # leavers finish their contact
    hour_three = legs[(legs["answered_s"] >= 7200) & (legs["answered_s"] < 10800)]
    assert hour_three.empty  # nobody on duty from 10:00 to 11:00 takes a new contact


def test_busyness_makes_daily_volumes_overdispersed():
    doc = small(horizon={"days": 60}, replications=1)
    doc["demand"][0]["rate"] = {"per_hour": 20}
    plain = run(doc)["contacts"]
    doc["demand"][0]["busyness"] = {"cv": 0.3}
    busy = run(doc)["contacts"]
    per_day = {name: (c["arrival_s"] // 86400).value_counts() for name, c in
               (("plain", plain), ("busy", busy))}
    assert per_day["plain"].std() / per_day["plain"].mean() < 0.07  # Poisson: 1/sqrt(480)
    cv = per_day["busy"].std() / per_day["busy"].mean()
    assert 0.2 < cv < 0.4  # sqrt(0.3^2 + 1/480)
    assert per_day["busy"].mean() == pytest.approx(480, rel=0.12)
