"""Which chat agent gets the next conversation: an exact, scripted case.

The rule (docs/routing.md, agent_selection): an available agent's place in line is the
last time it took or finished a conversation (or logged on). So the agent who just took
a chat goes to the back of the line, and conversations spread over the agents.
"""

import numpy as np
import pytest
from helpers import small

import simcc
from simcc.metrics.records import to_frames
from simcc.model import build, replication_seedseq
from simcc.model.arrivals import ArrivalFeed
from simcc.model.demand import ArrivalBatch

HANDLE_S = 100.0


def chat_center(agent_selection: str, agents: int, concurrency: int) -> dict:
    """One chat queue, ``agents`` agents holding up to ``concurrency`` chats, constant
    100 s handle time with no stretch, nobody abandons."""
    return small(
        horizon={"duration": "10m", "start": "00:00"},
        channels={"chat": {"concurrency": concurrency, "concurrency_stretch": 0}},
        intents={"g": {"skill": "g", "handle_time": {"dist": "constant", "mean": HANDLE_S}}},
        demand=[{"channel": "chat", "rate": {"per_hour": 1}, "mix": {"g": 1}}],
        agents={"t": {"count": agents, "skills": {"g": 1.0}, "channels": ["chat"]}},
        routing={"policy": "skill_based", "params": {"agent_selection": agent_selection}})


def agents_of_scripted_chats(doc: dict, arrivals_s: list[float]) -> list[str]:
    """The agent who answers each chat arriving at ``arrivals_s`` (the demand stream's
    random arrivals replaced by these)."""
    scenario = simcc.load_scenario(doc)
    replication = build(scenario, replication_seedseq(scenario.seed, 0))
    n = len(arrivals_s)
    batch = ArrivalBatch(
        time_s=np.asarray(arrivals_s, dtype=float), channel=np.zeros(n, dtype=int),
        intent=np.zeros(n, dtype=int), segment=np.zeros(n, dtype=int),
        patience_s=np.full(n, np.inf), base_handle_s=np.full(n, HANDLE_S),
        resolution_u=np.zeros(n), wrap_u=np.zeros(n))
    center = replication.center
    replication.feed = ArrivalFeed(replication.env, iter([batch]), center.on_arrival,
                                   replication.plan.contacts, center.routes,
                                   replication.records.arrivals.append)
    legs = to_frames(replication.run())["legs"].sort_values("contact_id")
    assert len(legs) == n
    return legs["agent"].tolist()


@pytest.mark.parametrize("agent_selection", ["longest_idle", "most_proficient"])
def test_the_agent_who_just_took_a_chat_goes_to_the_back(agent_selection):
    # Two agents (t.0 = A, t.1 = B), three chats each. Places: both 0 at log-on (A first
    # in scenario order). 10: A takes chat 0 (A at 10). 20: B (B at 20). 30: A (10 < 20;
    # A at 30). 40: B (B at 40). 110: chat 0 ends (A at 110). 115: B (40 < 110) and B is
    # full. 120: chat 1 ends (B at 120). 125: A (110 < 120; A at 125). 130: chat 2 ends
    # (A at 130). 135: B (120 < 130).
    # Were the place kept when an agent takes a chat, A would take chats 0, 1 and 2.
    doc = chat_center(agent_selection, agents=2, concurrency=3)
    got = agents_of_scripted_chats(doc, [10, 20, 30, 40, 115, 125, 135])
    assert got == ["t.0", "t.1", "t.0", "t.1", "t.1", "t.0", "t.1"]


def test_an_agent_who_took_a_chat_long_ago_goes_before_one_who_just_finished_one():
    # Three agents, concurrency 2. 10, 20, 30: one chat each (A, B, C at 10, 20, 30).
    # 110: A's chat ends (A idle at 110). 115: B (B, holding a chat since 20, has had
    # no new work for longer than A, who just finished one; B is then full). 120: B's
    # first chat ends (B at 120). 125: C (30 < 110; C full). 135: A (110 < 120).
    doc = chat_center("longest_idle", agents=3, concurrency=2)
    got = agents_of_scripted_chats(doc, [10, 20, 30, 115, 125, 135])
    assert got == ["t.0", "t.1", "t.2", "t.1", "t.2", "t.0"]
