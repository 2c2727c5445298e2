"""Property-based invariants of the engine: small random scenarios with every journey
option (async backlog, concurrency, opening hours, self-service, retrials, callbacks,
misroutes, escalations, repeats with channel switches) must give consistent records.

Plus one statistical identity of exponential patience (abandon rate = mean wait /
mean patience over all offered contacts).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

import simcc
from simcc.errors import ScenarioError
from simcc.metrics.issues import issues_frame
from simcc.metrics.records import OUTCOMES, to_frames
from simcc.model import build, replication_seedseq
from simcc.model.journeys import DEFAULT_MAX_CONTACTS

CHANNELS = ("voice", "chat", "email")
SKILLS = ("billing", "tech", "sales")
TIER2 = "tier2"
PROFICIENCIES = (0.5, 0.75, 1.0)
TIME_EPS = 1e-6

# No example database: a failure prints the scenario dict, which reproduces it.
SETTINGS = settings(deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def clock(minutes: int) -> str:
    """A clock time "HH:MM" from minutes after midnight (any day)."""
    minutes %= 24 * 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def shares(draw: Any, names: list[str]) -> dict[str, float]:
    """Random shares of ``names`` summing to 1."""
    weights = [draw(st.integers(1, 5)) for _ in names]
    total = sum(weights)
    return {name: w / total for name, w in zip(names, weights, strict=True)}


def duration_dist(draw: Any, low_s: float, high_s: float) -> dict[str, Any]:
    """A short duration distribution with a mean in [low_s, high_s] seconds."""
    mean = draw(st.floats(low_s, high_s))
    kind = draw(st.sampled_from(["exponential", "constant", "lognormal", "uniform"]))
    if kind == "lognormal":
        return {"dist": kind, "mean": mean, "cv": draw(st.floats(0.3, 1.5))}
    if kind == "uniform":
        return {"dist": kind, "low": mean / 2, "high": mean * 1.5}
    return {"dist": kind, "mean": mean}


def live_channel(draw: Any, name: str) -> dict[str, Any]:
    """A live channel: chat with concurrency; optional patience, waiting room, retrials
    and callbacks."""
    spec: dict[str, Any] = {}
    if name == "chat":
        spec["concurrency"] = draw(st.integers(1, 3))
    if draw(st.booleans()):
        spec["patience"] = duration_dist(draw, 30, 300)
    if draw(st.integers(0, 4)) == 0:
        spec["queue_capacity"] = draw(st.integers(0, 4))
    if draw(st.booleans()):
        spec["retrial"] = {"probability": draw(st.floats(0.2, 0.9)),
                           "delay": draw(st.sampled_from([60, "3m", "10m"]))}
    if draw(st.booleans()):
        spec["callback"] = {
            "threshold": draw(st.sampled_from([0, 30, 120])),
            "acceptance": draw(st.floats(0.2, 1.0)),
            "mode": draw(st.sampled_from(["keep_place", "scheduled"])),
            "delay": draw(st.sampled_from(["2m", "10m", "30m"])),
            "success": draw(st.floats(0.3, 1.0)),
            "attempts": draw(st.integers(1, 3)),
            "retry_after": draw(st.sampled_from(["1m", "5m"])),
            "attempt_time": draw(st.sampled_from([10, 30])),
        }
    return spec


def reachable_channels(demand: list[dict[str, Any]], switch: dict[str, dict[str, float]],
                       intent: str) -> set[str]:
    """Channels contacts of ``intent`` can reach: its demand channels and every channel
    repeats can switch to from there, any number of hops."""
    reached = {d["channel"] for d in demand if intent in d["mix"]}
    frontier = list(reached)
    while frontier:
        source = frontier.pop()
        for target, share in switch.get(source, {}).items():
            if share > 0 and target not in reached:
                reached.add(target)
                frontier.append(target)
    return reached


def staffing(draw: Any, start_min: int) -> dict[str, Any]:
    """Agents logged in all the time, by shifts or by a staffing table (half hours from
    the horizon's start, so some agents log off and on during the run)."""
    kind = draw(st.sampled_from(["count", "count", "shifts", "staffing"]))
    if kind == "count":
        return {"count": draw(st.integers(1, 5))}
    if kind == "shifts":
        shifts = []
        for _ in range(draw(st.integers(1, 2))):
            begin = start_min + 30 * draw(st.integers(-2, 6))
            shifts.append({"start": clock(begin),
                           "end": clock(begin + 30 * draw(st.integers(1, 8))),
                           "count": draw(st.integers(1, 4))})
        return {"shifts": shifts}
    return {"staffing": {"start": clock(start_min), "interval": "30m",
                         "counts": draw(st.lists(st.integers(0, 4), min_size=1, max_size=8))}}


@st.composite
def scenarios(draw: Any) -> dict[str, Any]:
    """A small random scenario using the journey options, valid by construction."""
    channels = draw(st.lists(st.sampled_from(CHANNELS), min_size=1, max_size=3, unique=True))
    start_min = draw(st.sampled_from([0, 8 * 60, 22 * 60 + 30]))
    length_h = draw(st.integers(1, 4))
    doc: dict[str, Any] = {
        "name": "random",
        "horizon": {"duration": f"{length_h}h", "warmup": draw(st.sampled_from(["5m", "15m"])),
                    "start": clock(start_min)},
        "seed": draw(st.integers(0, 2**16)),
        "replications": 1,
        "channels": {},
        "routing": {"policy": draw(st.sampled_from(["skill_based", "fifo"]))},
    }
    for name in channels:
        spec = {"mode": "async"} if name == "email" else live_channel(draw, name)
        if draw(st.booleans()):  # opening hours, possibly closed at the start
            open_min = start_min + draw(st.integers(-60, 120))
            spec["hours"] = {"open": clock(open_min),
                             "close": clock(open_min + draw(st.integers(30, 600)))}
        doc["channels"][name] = spec

    # Intents, skills and escalations.
    n_intents = draw(st.integers(1, 3))
    intents: dict[str, Any] = {}
    for k in range(n_intents):
        intent: dict[str, Any] = {
            "skill": draw(st.sampled_from(SKILLS)),
            "handle_time": duration_dist(draw, 60, 360),
            "resolution": draw(st.floats(0.3, 1.0)),
        }
        if draw(st.booleans()):
            intent["misroute"] = draw(st.floats(0.05, 0.6))
        if draw(st.booleans()):
            target = draw(st.sampled_from([TIER2, *SKILLS]))
            intent["escalation"] = {"probability": draw(st.floats(0.1, 0.9)), "to": target,
                                    "after": draw(st.floats(0.1, 1.0))}
        intents[f"i{k}"] = intent
    doc["intents"] = intents
    names = list(intents)

    for spec in doc["channels"].values():
        if draw(st.integers(0, 2)) == 0:
            contained = draw(st.lists(st.sampled_from(names), unique=True))
            spec["self_service"] = {
                "duration": draw(st.sampled_from([20, "1m", {"dist": "exponential",
                                                             "mean": "40s"}])),
                "containment": {i: draw(st.floats(0.0, 1.0)) for i in contained}}

    if draw(st.booleans()):
        doc["segments"] = {
            "gold": {"share": 0.3, "priority": 1, "patience_factor": 2.0,
                     "callback_acceptance": draw(st.floats(0.0, 1.0))},
            "basic": {"share": 0.7},
        }

    doc["demand"] = [
        {"channel": name, "rate": {"per_hour": draw(st.integers(20, 120))},
         "mix": shares(draw, draw(st.lists(st.sampled_from(names), min_size=1, unique=True)))}
        for name in channels]

    switch: dict[str, dict[str, float]] = {}
    if draw(st.booleans()):
        repeats: dict[str, Any] = {
            "probability": draw(st.floats(0.2, 0.9)),
            "delay": draw(st.sampled_from([60, "5m", {"dist": "exponential", "mean": "10m"}])),
            "window": draw(st.sampled_from(["1h", "4h", "1d"])),
            "max_contacts": draw(st.integers(2, 5)),
        }
        for source in channels:
            if len(channels) > 1 and draw(st.booleans()):
                switch[source] = shares(draw, channels)
        if switch:
            repeats["switch"] = switch
        doc["repeats"] = repeats
    if draw(st.booleans()):
        doc["transfers"] = {"keep_place": draw(st.booleans()), "context": draw(st.booleans()),
                            "explain_time": draw(st.sampled_from([0, 30, "1m"])),
                            "misroute_time": draw(st.sampled_from([10, "1m"]))}

    # Agent groups with random skills and channels, then made to cover what is needed.
    needed = {skill for i in intents.values()
              for skill in (i["skill"], *([i["escalation"]["to"]] if "escalation" in i else []))}
    skills = sorted(needed)
    n_groups = draw(st.integers(1, 3))
    groups = []
    for _ in range(n_groups):
        groups.append({
            **staffing(draw, start_min),
            "skills": {s: draw(st.sampled_from(PROFICIENCIES))
                       for s in draw(st.lists(st.sampled_from(skills), min_size=1,
                                              unique=True))},
            "channels": draw(st.lists(st.sampled_from(channels), min_size=1, unique=True)),
        })
        if draw(st.integers(0, 2)) == 0:
            groups[-1]["wrap_up"] = draw(st.sampled_from(["20s", {"dist": "exponential",
                                                                  "mean": "30s"}]))
    for name, intent in intents.items():
        targets = [intent["skill"], *([intent["escalation"]["to"]] if "escalation" in intent
                                      else [])]
        for channel in sorted(reachable_channels(doc["demand"], switch, name)):
            for skill in targets:
                if not any(skill in g["skills"] and channel in g["channels"] for g in groups):
                    group = groups[draw(st.integers(0, n_groups - 1))]
                    group["skills"].setdefault(skill, draw(st.sampled_from(PROFICIENCIES)))
                    if channel not in group["channels"]:
                        group["channels"].append(channel)
    doc["agents"] = {f"g{k}": g for k, g in enumerate(groups)}
    return doc


def run(doc: dict[str, Any], replication: int = 0) -> dict[str, pd.DataFrame]:
    model = simcc.load_scenario(doc)
    return to_frames(build(model, replication_seedseq(model.seed, replication)).run())


# -- the invariants -------------------------------------------------------------------
def check_terminal_states(contacts: pd.DataFrame) -> None:
    """1. Every contact ends in exactly one terminal state."""
    assert contacts["contact_id"].is_unique, "a contact id appears twice"
    outcome = contacts["outcome"].astype(object)
    assert outcome.notna().all(), "a contact has no outcome"
    assert set(outcome) <= set(OUTCOMES), f"unknown outcomes {set(outcome) - set(OUTCOMES)}"
    handled = (outcome == "handled").to_numpy()
    answered = contacts["answered"].to_numpy()
    resolved = contacts["resolved"].to_numpy()
    contained = (outcome == "contained").to_numpy()
    bad = contacts[answered != handled]
    assert bad.empty, f"answered but not handled (or the reverse):\n{bad}"
    bad = contacts[contained & ~resolved]
    assert bad.empty, f"contained but not resolved:\n{bad}"
    bad = contacts[resolved & ~(handled | contained)]
    assert bad.empty, f"resolved but neither handled nor contained:\n{bad}"
    assert (contacts["wait_s"].dropna() >= -1e-9).all(), "a negative wait"


def check_conservation(contacts: pd.DataFrame, legs: pd.DataFrame, max_contacts: int) -> None:
    """2. No contact lost or duplicated."""
    ids = set(contacts["contact_id"])
    orphan = legs[~legs["contact_id"].isin(ids)]
    assert orphan.empty, f"legs of unknown contacts:\n{orphan}"
    talked = set(legs.loc[legs["kind"] == "conversation", "contact_id"])
    with_talk = contacts[contacts["contact_id"].isin(talked)]
    bad = with_talk[with_talk["outcome"] != "handled"]
    assert bad.empty, f"contacts with a conversation leg that are not handled:\n{bad}"
    first = contacts["kind"] == "first"
    bad = contacts[first & (contacts["issue_id"] != contacts["contact_id"])]
    assert bad.empty, f"first contacts whose issue id is not their id:\n{bad}"
    first_ids = set(contacts.loc[first, "contact_id"])
    later = contacts[~first]
    bad = later[~later["issue_id"].isin(first_ids)]
    assert bad.empty, f"later contacts without their issue's first contact:\n{bad}"
    arrival = contacts.set_index("contact_id")["arrival_s"]
    bad = later[later["arrival_s"] < later["issue_id"].map(arrival)]
    assert bad.empty, f"later contacts arriving before their issue's first contact:\n{bad}"
    per_issue = contacts.groupby("issue_id").size()
    assert per_issue.max() <= max_contacts, (
        f"an issue has {per_issue.max()} contacts, at most {max_contacts} allowed")
    issues = issues_frame(contacts)
    assert len(issues) == len(first_ids), "issues_frame does not give one row per issue"
    assert issues["contacts"].sum() == len(contacts), "issues_frame lost contacts"
    early = legs[legs["answered_s"] < legs["contact_id"].map(arrival) - 1e-9]
    assert early.empty, f"legs answered before their contact arrived:\n{early}"


def check_async(contacts: pd.DataFrame, async_channels: set[str]) -> None:
    """3. Asynchronous contacts wait: they never abandon, are blocked or closed."""
    backlog = contacts[contacts["channel"].astype(object).isin(async_channels)]
    bad = backlog[backlog["outcome"].isin(["abandoned", "blocked", "closed"])]
    assert bad.empty, f"asynchronous contacts that left without waiting:\n{bad}"


def check_agent_load(legs: pd.DataFrame, concurrency: dict[str, int]) -> None:
    """4. At any instant an agent holds at most its channel's concurrency of legs, all of
    one channel. A leg holds its agent over [answered_s, end_s); the load peaks at some
    leg's start, so it is counted there. ``end_s`` is summed in another order than the
    engine's clock, hence a tolerance."""
    for agent, mine in legs.groupby("agent"):
        start = mine["answered_s"].to_numpy()
        end = mine["end_s"].to_numpy()
        channel = mine["channel"].astype(object).to_numpy()
        held = (start[None, :] <= start[:, None]) & (start[:, None] < end[None, :] - TIME_EPS)
        for i in np.flatnonzero(held.sum(axis=1) > 1):
            channels = set(channel[held[i]])
            at = f"agent {agent} at t={start[i]} holds legs {mine['contact_id'][held[i]].tolist()}"
            assert len(channels) == 1, f"{at} of channels {sorted(channels)}"
            assert held[i].sum() <= concurrency[channel[i]], (
                f"{at}: more than the {channel[i]} concurrency {concurrency[channel[i]]}")


def check_eligibility(legs: pd.DataFrame, agents: dict[str, Any]) -> None:
    """5. Legs are answered by groups serving the leg's channel and its routed skill."""
    channel_ok = [channel in agents[group]["channels"]
                  for group, channel in zip(legs["group"], legs["channel"], strict=True)]
    bad = legs[~np.array(channel_ok, dtype=bool)]
    assert bad.empty, f"legs answered by a group without their channel:\n{bad}"
    skill_ok = [skill in agents[group]["skills"]
                for group, skill in zip(legs["group"], legs["skill"], strict=True)]
    bad = legs[~np.array(skill_ok, dtype=bool)]
    assert bad.empty, f"legs answered by a group without their routed skill:\n{bad}"


def check_transfers(contacts: pd.DataFrame, legs: pd.DataFrame) -> None:
    """7. transfers = conversation legs - 1 (at least 0)."""
    talks = legs[legs["kind"] == "conversation"].groupby("contact_id").size()
    expected = (contacts["contact_id"].map(talks).fillna(0) - 1).clip(lower=0)
    bad = contacts[contacts["transfers"].to_numpy() != expected.to_numpy()]
    assert bad.empty, f"transfers differ from conversation legs - 1:\n{bad}"


def check_sessions(legs: pd.DataFrame, sessions: pd.DataFrame) -> None:
    """8. An agent answers only while logged in, and logs off after its legs end."""
    for agent, mine in legs.groupby("agent"):
        theirs = sessions[sessions["agent"] == agent]
        start = theirs["start_s"].to_numpy()
        end = theirs["end_s"].to_numpy()
        for row in mine.itertuples(index=False):
            inside = (start <= row.answered_s) & (row.end_s <= end + TIME_EPS)
            assert inside.any(), (
                f"agent {agent} holds contact {row.contact_id} over "
                f"[{row.answered_s}, {row.end_s}) outside its sessions "
                f"{theirs[['start_s', 'end_s']].to_numpy().tolist()}")


def _keep_the_record_invariants(doc) -> None:
    """Every record invariant of this module on one run of ``doc``."""
    model = simcc.load_scenario(doc)
    frames = run(doc)
    contacts, legs = frames["contacts"], frames["legs"]
    max_contacts = (model.repeats.max_contacts if model.repeats is not None
                    else DEFAULT_MAX_CONTACTS)
    check_terminal_states(contacts)
    check_conservation(contacts, legs, max_contacts)
    check_async(contacts, {n for n, ch in model.channels.items() if ch.asynchronous})
    check_agent_load(legs, {n: ch.concurrency for n, ch in model.channels.items()})
    check_eligibility(legs, doc["agents"])
    check_transfers(contacts, legs)
    check_sessions(legs, frames["sessions"])


@settings(SETTINGS, max_examples=100)
@given(scenarios())
def test_random_scenarios_keep_the_record_invariants(doc):
    note(f"scenario: {doc}")
    _keep_the_record_invariants(doc)


@pytest.mark.slow
@settings(SETTINGS, max_examples=400)
@given(scenarios())
def test_many_more_random_scenarios_keep_the_record_invariants(doc):
    """The same property on four times as many scenarios (CI's slow step)."""
    note(f"scenario: {doc}")
    _keep_the_record_invariants(doc)


@settings(SETTINGS, max_examples=60)
@given(scenarios(), st.integers(0, 3))
def test_same_scenario_and_seed_give_identical_records(doc, replication):
    note(f"scenario: {doc}")
    first, second = run(doc, replication), run(doc, replication)
    for name in ("contacts", "legs", "sessions"):
        assert first[name].equals(second[name]), f"{name} differ between two identical runs"


def test_a_scenario_that_validates_runs_when_repeats_switch_channel_twice():
    """Repeats switch channel again from a switched channel (voice -> chat -> email), so
    billing contacts reach email although no group has billing there: validation must
    reject the scenario, or the engine must run it."""
    doc = {
        "name": "two-hops", "horizon": {"duration": "2h"}, "seed": 1,
        "channels": {"voice": {}, "chat": {}, "email": {"mode": "async"}},
        "intents": {"i0": {"skill": "billing", "resolution": 0.0,
                           "handle_time": {"dist": "exponential", "mean": "2m"}}},
        "demand": [{"channel": "voice", "rate": {"per_hour": 60}, "mix": {"i0": 1.0}}],
        "agents": {"a": {"count": 3, "skills": {"billing": 1.0},
                         "channels": ["voice", "chat"]}},
        "repeats": {"probability": 1.0, "delay": "5m", "window": "1d",
                    "switch": {"voice": {"chat": 1.0}, "chat": {"email": 1.0}}},
    }
    try:
        simcc.load_scenario(doc)
    except ScenarioError:
        return
    frames = run(doc)
    check_terminal_states(frames["contacts"])
    check_conservation(frames["contacts"], frames["legs"], max_contacts=10)


def test_exponential_patience_abandon_rate_is_mean_wait_over_mean_patience():
    """For exponential patience (hazard 1/mean) every waiting customer abandons at the
    same rate, so P(abandon) = E[wait] / mean patience over all offered contacts. The
    tolerance is 4 standard errors of the per-replication difference of the two sides."""
    patience_s = 120.0
    doc = {
        "name": "identity",
        "horizon": {"duration": "8h", "warmup": "1h"},
        "seed": 7,
        "replications": 20,
        "channels": {"voice": {"patience": {"dist": "exponential", "mean": patience_s}}},
        "intents": {"general": {"skill": "general",
                                "handle_time": {"dist": "exponential", "mean": "5m"}}},
        "demand": [{"channel": "voice", "rate": {"per_hour": 120}, "mix": {"general": 1.0}}],
        "agents": {"team": {"count": 10, "skills": {"general": 1.0}, "channels": ["voice"]}},
    }
    result = simcc.simulate(simcc.load_scenario(doc), replications=20, workers=1)
    per_rep = result.replication_kpis
    per_rep = per_rep[per_rep["scope"] == "overall"].pivot(
        index="replication", columns="kpi", values="value")
    difference = per_rep["abandon_rate"] - per_rep["mean_wait_s"] / patience_s
    se = difference.std(ddof=1) / math.sqrt(len(difference))
    abandon, wait = result.kpi("abandon_rate"), result.kpi("mean_wait_s")
    assert abandon > 0.02, f"too little abandonment to test the identity: {abandon}"
    assert abs(abandon - wait / patience_s) <= 4 * se, (
        f"abandon rate {abandon:.4f} vs mean wait / patience {wait / patience_s:.4f} "
        f"(4 SE = {4 * se:.4f})")
