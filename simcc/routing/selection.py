"""Agent selection rules and contact selection helpers shared by the built-in policies.

An *agent selection rule* picks, among the available agents of the eligible pools, the
one a contact goes to:

- ``longest_idle``: the agent available the longest (spreads work by idle time);
- ``most_proficient``: the agent of the most proficient group for the contact's skill,
  then the longest idle (best handle time and resolution, concentrates work on experts);
- ``least_occupied``: the agent with the smallest share of its logged-in time given to
  work (``busy_s / (now - logon_s)``), then the longest idle (fairness across agents).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from simcc.routing.protocol import (
    AgentLike,
    CenterViewLike,
    ContactLike,
    IdlePoolLike,
    WaitQueueLike,
    longest_idle,
)

AgentRule = Callable[[ContactLike, Sequence[IdlePoolLike], CenterViewLike], "AgentLike | None"]


def most_proficient(contact: ContactLike, pools: Sequence[IdlePoolLike]) -> AgentLike | None:
    """The longest-idle agent of the most proficient pools for the contact's skill."""
    skill = contact.skill
    best = None
    best_proficiency = 0.0
    for pool in pools:
        proficiency = pool.proficiency(skill)
        if best is not None and proficiency < best_proficiency:
            continue
        agent = pool.first()
        if agent is None:
            continue
        if (best is None or proficiency > best_proficiency
                or agent.idle_since_s < best.idle_since_s):
            best, best_proficiency = agent, proficiency
    return best


def occupancy(agent: AgentLike, now: float) -> float:
    """Share of the agent's logged-in time given to work so far (0 right at log-on)."""
    logged_in = now - agent.logon_s
    return agent.busy_s / logged_in if logged_in > 0 else 0.0


def least_occupied(pools: Sequence[IdlePoolLike], now: float) -> AgentLike | None:
    """The available agent with the lowest :func:`occupancy`, then the longest idle."""
    best, best_key = None, None
    for pool in pools:
        for agent in pool:
            key = (occupancy(agent, now), agent.idle_since_s)
            if best_key is None or key < best_key:
                best, best_key = agent, key
    return best


AGENT_RULES: dict[str, AgentRule] = {
    "longest_idle": lambda contact, pools, view: longest_idle(pools),
    "most_proficient": lambda contact, pools, view: most_proficient(contact, pools),
    "least_occupied": lambda contact, pools, view: least_occupied(pools, view.now),
}


def agent_rule(name: str) -> AgentRule:
    """The agent selection rule called ``name`` (ValueError names the known ones)."""
    try:
        return AGENT_RULES[name]
    except KeyError:
        raise ValueError(f"unknown agent_selection '{name}' "
                         f"(choose from {', '.join(AGENT_RULES)})") from None


def by_priority(candidates: Iterable[tuple[WaitQueueLike, ContactLike]]) -> ContactLike | None:
    """The candidate of the highest priority, then the earliest place; asynchronous
    candidates only when there is no live one (candidates come live first)."""
    best = None
    for queue, contact in candidates:
        if best is not None and queue.asynchronous:
            break
        if (best is None or contact.priority > best.priority
                or (contact.priority == best.priority and contact.queued_s < best.queued_s)):
            best = contact
    return best


def heads(queues: Sequence[WaitQueueLike]) -> Iterable[tuple[WaitQueueLike, ContactLike]]:
    """``(queue, head)`` of every non-empty queue, in the order of ``queues``."""
    for queue in queues:
        contact = queue.head()
        if contact is not None:
            yield queue, contact
