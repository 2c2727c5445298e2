"""Built-in routing policies."""

from __future__ import annotations

from collections.abc import Sequence

from simcc.routing.protocol import (
    AgentLike,
    CenterViewLike,
    ContactLike,
    IdlePoolLike,
    RoutingPolicy,
    WaitQueueLike,
)
from simcc.routing.registry import register_policy


@register_policy("fifo")
class Fifo(RoutingPolicy):
    """First come, first served across skills and segments.

    An arriving contact takes the longest-idle eligible agent; a freed agent takes the
    longest-waiting contact among the queues it can serve. Segment priority is ignored.
    """

    name = "fifo"  # the base class hooks are first come, first served


@register_policy("skill_based")
class SkillBased(RoutingPolicy):
    """Priority and proficiency aware skill-based routing.

    - A freed agent takes, among the queues it can serve, the contact of the highest
      segment priority, then the one that has waited longest; asynchronous work only
      when no live contact waits for it.
    - An arriving contact goes to the most proficient idle eligible agent, ties broken
      by the longest idle.
    """

    name = "skill_based"

    def select_agent(
        self, contact: ContactLike, pools: Sequence[IdlePoolLike], view: CenterViewLike
    ) -> AgentLike | None:
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

    def select_contact(
        self, agent: AgentLike, queues: Sequence[WaitQueueLike], view: CenterViewLike
    ) -> ContactLike | None:
        best = None
        for queue in queues:
            if best is not None and queue.asynchronous:
                break
            contact = queue.head()
            if contact is None:
                continue
            if (best is None or contact.priority > best.priority
                    or (contact.priority == best.priority and contact.queued_s < best.queued_s)):
                best = contact
        return best
