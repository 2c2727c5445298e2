"""Journey behaviours read off the records of single replications: each behaviour on a
tiny case whose outcome is exact (constant distributions, probabilities 0 or 1)."""

import numpy as np
import pandas as pd
from helpers import small

import simcc
from simcc.metrics.records import to_frames
from simcc.model import build, replication_seedseq
from simcc.model.entities import WAITING, Contact, WaitQueue

H = 300.0  # constant handle time of the tiny cases, seconds


def run(doc, replication=0):
    model = simcc.load_scenario(doc)
    return to_frames(build(model, replication_seedseq(model.seed, replication)).run())


def two_skills(**changes):
    """Voice with intents a (skill sa) and b (skill sb), a group per skill."""
    doc = small(
        intents={"a": {"skill": "sa", "handle_time": {"dist": "constant", "mean": H}},
                 "b": {"skill": "sb", "handle_time": {"dist": "constant", "mean": H}}},
        demand=[{"channel": "voice", "rate": {"per_hour": 20}, "mix": {"a": 0.5, "b": 0.5}}],
        agents={"ta": {"count": 10, "skills": {"sa": 1.0}, "channels": ["voice"]},
                "tb": {"count": 10, "skills": {"sb": 1.0}, "channels": ["voice"]}})
    doc.update(changes)
    return doc


def concurrent_load(legs):
    """Conversations the agent holds just after each leg starts (the leg included)."""
    held = []
    for row in legs.itertuples():
        same = legs[(legs["agent"] == row.agent) & (legs["answered_s"] <= row.answered_s)
                    & (legs["end_s"] > row.answered_s)]
        held.append(len(same))
    return np.array(held)


def test_chat_concurrency_stretches_handle_time_by_the_load_at_the_start():
    doc = small(channels={"chat": {"concurrency": 3, "concurrency_stretch": 0.5}},
                intents={"g": {"skill": "g", "handle_time": {"dist": "constant", "mean": H}}},
                demand=[{"channel": "chat", "rate": {"per_hour": 40}, "mix": {"g": 1}}],
                agents={"t": {"count": 2, "skills": {"g": 1.0}, "channels": ["chat"]}})
    legs = run(doc)["legs"].sort_values("answered_s", ignore_index=True)
    held = concurrent_load(legs)
    assert held.max() == 3
    assert np.allclose(legs["handle_s"], H * (1 + 0.5 * (held - 1)))


def test_async_email_waits_for_opening_and_never_abandons():
    doc = small(horizon={"duration": "2d", "start": "00:00"},
                channels={"email": {"mode": "async", "hours": {"open": "09:00", "close": "17:00"},
                                    "service_level": {"threshold": "8h"}}},
                intents={"g": {"skill": "g", "handle_time": {"dist": "constant", "mean": H}}},
                demand=[{"channel": "email", "rate": {"per_hour": 4}, "mix": {"g": 1}}],
                agents={"t": {"shifts": [{"start": "09:00", "end": "17:00", "count": 2}],
                              "skills": {"g": 1.0}, "channels": ["email"]}})
    frames = run(doc)
    contacts, legs = frames["contacts"], frames["legs"]
    assert set(contacts["outcome"]) == {"handled"}
    clock = legs["answered_s"] % 86400
    assert ((clock >= 9 * 3600) & (clock < 17 * 3600 + H)).all()
    night = contacts[(contacts["arrival_s"] % 86400) < 9 * 3600]
    assert len(night) > 0 and (night["wait_s"] > 0).all()  # waited from arrival


def test_live_contacts_arriving_while_closed_are_counted_closed():
    doc = small(horizon={"duration": "1d", "start": "00:00"})
    doc["channels"]["voice"]["hours"] = {"open": "08:00", "close": "20:00"}
    contacts = run(doc)["contacts"]
    clock = contacts["arrival_s"] % 86400
    is_open = (clock >= 8 * 3600) & (clock < 20 * 3600)
    assert (contacts.loc[~is_open, "outcome"] == "closed").all()
    assert (contacts.loc[is_open, "outcome"] != "closed").all()
    assert (~is_open).sum() > 0


def test_self_service_contains_by_intent_and_delays_the_queue():
    doc = two_skills()
    doc["channels"]["voice"]["self_service"] = {"duration": "45s", "containment": {"a": 1.0}}
    frames = run(doc)
    contacts, legs = frames["contacts"], frames["legs"]
    a, b = contacts[contacts["intent"] == "a"], contacts[contacts["intent"] == "b"]
    assert (a["outcome"] == "contained").all() and a["resolved"].all()
    assert np.allclose(a["resolved_s"], a["arrival_s"] + 45)
    assert (b["outcome"] == "handled").all() and contacts["self_service"].all()
    queued = legs.merge(b, on="contact_id")
    assert np.allclose(queued["queued_s"], queued["arrival_s"] + 45)


def test_abandoned_contacts_retry_after_the_delay_as_the_same_issue():
    doc = small(demand=[{"channel": "voice", "rate": {"per_hour": 90}, "mix": {"general": 1}}])
    doc["channels"]["voice"]["patience"] = {"dist": "constant", "mean": "1m"}
    doc["channels"]["voice"]["retrial"] = {"probability": 1.0, "delay": "5m"}
    contacts = run(doc)["contacts"]
    abandoned = contacts[contacts["outcome"] == "abandoned"]
    retrials = contacts[contacts["kind"] == "retrial"].set_index("contact_id")
    assert len(abandoned) > 5
    by_issue = contacts.sort_values("arrival_s").groupby("issue_id")
    for _, issue in by_issue:
        if len(issue) < 2:
            continue
        gaps = issue["arrival_s"].diff().dropna().to_numpy()
        assert np.allclose(gaps, 60 + 300)  # patience, then the retrial delay
        assert (issue["kind"].iloc[1:] == "retrial").all()
    assert len(retrials) > 0


def test_keep_place_callbacks_leave_the_line_and_are_called_back():
    doc = small(demand=[{"channel": "voice", "rate": {"per_hour": 90}, "mix": {"general": 1}}])
    doc["channels"]["voice"]["callback"] = {"threshold": 0, "acceptance": 1.0, "success": 1.0}
    contacts = run(doc)["contacts"]
    waited = contacts["wait_s"] > 0
    assert waited.sum() > 10
    assert (contacts.loc[waited, "callback_accepted"]).all()
    assert (contacts["outcome"] == "handled").all()  # nobody abandons off the line
    called = contacts[contacts["callback_accepted"]]
    assert (called["callback_connected_s"] >= called["callback_accepted_s"]).all()


def test_scheduled_callbacks_are_placed_after_the_delay_and_failures_retry():
    doc = small(demand=[{"channel": "voice", "rate": {"per_hour": 90}, "mix": {"general": 1}}])
    doc["channels"]["voice"]["callback"] = {
        "threshold": 0, "acceptance": 1.0, "success": 0.0, "mode": "scheduled",
        "delay": "30m", "attempts": 2, "retry_after": "10m", "attempt_time": "40s"}
    frames = run(doc)
    contacts, legs = frames["contacts"], frames["legs"]
    failed = contacts[contacts["outcome"] == "callback_failed"]
    assert len(failed) > 5 and failed["callback_accepted"].all()
    tries = legs[legs["contact_id"].isin(failed["contact_id"])].sort_values("answered_s")
    assert (tries["kind"] == "attempt").all() and np.allclose(tries["handle_s"], 40)
    for cid, mine in tries.groupby("contact_id"):
        accepted = failed.set_index("contact_id").loc[cid, "callback_accepted_s"]
        assert len(mine) == 2
        assert mine["answered_s"].iloc[0] >= accepted + 1800 - 1e-9
        assert mine["answered_s"].iloc[1] >= mine["end_s"].iloc[0] + 600 - 1e-9


def test_misrouted_contacts_are_transferred_to_the_needed_skill():
    doc = two_skills()
    doc["intents"]["a"]["misroute"] = 1.0
    doc["transfers"] = {"misroute_time": "90s", "context": False, "explain_time": "60s"}
    frames = run(doc)
    contacts, legs = frames["contacts"], frames["legs"]
    a = contacts[contacts["intent"] == "a"]
    assert (a["transfers"] == 1).all() and (contacts.loc[contacts["intent"] == "b",
                                                          "transfers"] == 0).all()
    mine = legs[legs["contact_id"].isin(a["contact_id"])].sort_values(["contact_id", "leg"])
    first, second = mine[mine["leg"] == 0], mine[mine["leg"] == 1]
    assert (first["group"] == "tb").all() and np.allclose(first["handle_s"], 90)
    assert (second["group"] == "ta").all() and np.allclose(second["handle_s"], H + 60)
    assert (second["skill"] == "sa").all()


def test_escalation_hands_over_after_part_of_the_handling():
    doc = two_skills()
    doc["demand"][0]["mix"] = {"a": 1.0}
    doc["intents"]["a"]["escalation"] = {"probability": 1.0, "to": "sb", "after": 0.5}
    legs = run(doc)["legs"].sort_values(["contact_id", "leg"])
    assert set(legs.groupby("contact_id").size()) == {2}
    assert np.allclose(legs.loc[legs["leg"] == 0, "handle_s"], H / 2)
    assert (legs.loc[legs["leg"] == 1, "group"] == "tb").all()
    assert np.allclose(legs.loc[legs["leg"] == 1, "handle_s"], H)  # context carried


def test_unresolved_issues_repeat_on_the_switched_channel_within_the_window():
    doc = small(channels={"voice": {}, "chat": {}},
                intents={"g": {"skill": "g", "resolution": 0.0,
                               "handle_time": {"dist": "constant", "mean": H}}},
                demand=[{"channel": "voice", "rate": {"per_hour": 10}, "mix": {"g": 1}}],
                agents={"t": {"count": 10, "skills": {"g": 1.0}, "channels": ["voice", "chat"]}},
                repeats={"probability": 1.0, "delay": "1h", "window": "3h",
                         "switch": {"voice": {"chat": 1.0}}})
    frames = run(doc)
    contacts = frames["contacts"]
    for _, issue in contacts.sort_values("arrival_s").groupby("issue_id"):
        assert list(issue["channel"]) == ["voice"] + ["chat"] * (len(issue) - 1)
        # each repeat arrives 1h after the previous contact ended (no wait: 10 agents)
        assert np.allclose(issue["arrival_s"].diff().dropna(), H + 3600)
        assert issue["arrival_s"].iloc[-1] - issue["arrival_s"].iloc[0] <= 3 * 3600
        assert len(issue) == 3  # 0h, ~1h05, ~2h10; a 4th would be at ~3h15 > window
    assert not contacts["resolved"].any()


def test_issue_table_counts_contacts_channels_and_fcr():
    contacts = pd.DataFrame({
        "contact_id": [0, 1, 10, 2], "issue_id": [0, 1, 0, 2],
        "channel": pd.Categorical(["chat", "voice", "voice", "voice"]),
        "segment": ["s"] * 4, "intent": ["i"] * 4,
        "arrival_s": [0.0, 5.0, 100.0, 7.0], "answered": [True, True, True, False],
        "resolved": [False, True, True, False], "transfers": [0, 1, 0, 0],
        "resolved_s": [np.nan, 50.0, 400.0, np.nan]})
    issues = simcc.metrics.issues.issues_frame(contacts).set_index("issue_id")
    assert issues.loc[0, "contacts"] == 2 and issues.loc[0, "channels"] == 2
    assert issues.loc[0, "channels_used"] == "chat>voice"
    assert issues.loc[0, "resolved"] and not issues.loc[0, "fcr"]
    assert issues.loc[0, "time_to_resolution_s"] == 400.0
    assert not issues.loc[1, "fcr"]  # resolved, but after a transfer
    assert not issues.loc[2, "answered"] and not issues.loc[2, "fcr"]


def test_a_transfer_keeping_its_place_goes_ahead_of_later_contacts():
    queue = WaitQueue("voice", "g", 0)
    for cid, place in ((1, 10.0), (2, 30.0), (3, 20.0)):
        contact = Contact(cid, "voice", "g", "g", "s", 0, place, np.inf, H, 1.0, 0.5, 0.5)
        contact.state, contact.queued_s = WAITING, place
        (queue.push if cid < 3 else queue.insert_in_place)(contact)
    assert [c.id for c in queue] == [1, 3, 2]
