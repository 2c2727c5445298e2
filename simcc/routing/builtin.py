"""Built-in routing policies (docs/routing.md says when to use each).

Every built-in policy takes the common parameters of :class:`Builtin`:
``agent_selection`` (:mod:`simcc.routing.selection`), ``detection`` and ``offers``
(:mod:`simcc.routing.entry`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from simcc.routing.entry import EntryRules
from simcc.routing.protocol import (
    QUEUE,
    AgentLike,
    CenterViewLike,
    ContactLike,
    Entry,
    IdlePoolLike,
    RoutingPolicy,
    WaitQueueLike,
    longest_waiting,
)
from simcc.routing.registry import register_policy
from simcc.routing.selection import agent_rule, by_priority, heads
from simcc.units import parse_duration


class Builtin(RoutingPolicy):
    """Common parameters: ``agent_selection`` (``longest_idle``, ``most_proficient`` or
    ``least_occupied``; each policy has its default), ``detection`` (intent detection
    accuracy at entry) and ``offers`` (callback, self-service or channel offers at
    entry)."""

    default_agent_selection = "longest_idle"
    entry = EntryRules()  # no detection, no offers: also for subclasses that skip __init__

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # The class's default rule, for subclasses whose __init__ does not call ours.
        cls._agent_rule = staticmethod(agent_rule(cls.default_agent_selection))

    def __init__(self, agent_selection: str | None = None, detection: Any = None,
                 offers: Any = None):
        self.agent_selection = agent_selection or self.default_agent_selection
        self._agent_rule = agent_rule(self.agent_selection)
        self.entry = EntryRules(detection, offers)

    @property
    def decides_entry(self) -> bool:
        return bool(self.entry)

    def on_entry(self, contact: ContactLike, view: CenterViewLike) -> str | Entry | None:
        return self.entry.decide(contact, view) or QUEUE

    def select_agent(self, contact: ContactLike, pools: Sequence[IdlePoolLike],
                     view: CenterViewLike) -> AgentLike | None:
        return self._agent_rule(contact, pools, view)


@register_policy("fifo")
class Fifo(Builtin):
    """First come, first served across skills and segments.

    A freed agent takes the longest-waiting contact among the queues it can serve
    (segment priority ignored); an arriving contact takes the agent chosen by
    ``agent_selection`` (default: the longest idle).
    """

    name = "fifo"

    def select_contact(self, agent: AgentLike, queues: Sequence[WaitQueueLike],
                       view: CenterViewLike) -> ContactLike | None:
        return longest_waiting(queues)


@register_policy("skill_based")
class SkillBased(Builtin):
    """Priority and proficiency aware skill-based routing.

    - A freed agent takes, among the queues it can serve, the contact of the highest
      segment priority, then the one that has waited longest; asynchronous work only
      when no live contact waits for it.
    - An arriving contact goes to the agent chosen by ``agent_selection`` (default: the
      most proficient idle eligible agent, then the longest idle).
    """

    name = "skill_based"
    default_agent_selection = "most_proficient"

    def select_contact(self, agent: AgentLike, queues: Sequence[WaitQueueLike],
                       view: CenterViewLike) -> ContactLike | None:
        return by_priority(heads(queues))


@register_policy("intent_based")
class IntentBased(SkillBased):
    """Skill-based routing on the intent detected at entry with ``accuracy`` (one
    number, or ``{default: p, intent: p, ...}``): a detection error routes the contact
    for another skill, where an agent without the needed skill transfers it."""

    name = "intent_based"

    def __init__(self, accuracy: Any, **common: Any):
        if common.get("detection") is not None:
            raise ValueError("give the detection accuracy as 'accuracy' only")
        super().__init__(detection=accuracy, **common)


@register_policy("priority")
class Priority(SkillBased):
    """Value-based routing: segment tiers (their ``priority``) served in order, with

    - ``reserve: {segment: n}``: a contact of that segment gets an agent only while more
      than ``n`` eligible agents are available, so ``n`` stay free for higher tiers
      (trunk reservation);
    - ``max_wait: {segment: duration}``: a live contact of that segment that has waited
      longer goes before every other contact (and may take reserved agents);
    - ``offers`` (common parameter): e.g. a callback offer to low tiers when the
      predicted wait is long.
    """

    name = "priority"

    def __init__(self, reserve: Mapping[str, int] | None = None,
                 max_wait: Mapping[str, Any] | None = None, **common: Any):
        super().__init__(**common)
        self.reserve = {str(k): _count(v, f"reserve.{k}") for k, v in (reserve or {}).items()}
        self.max_wait_s = {str(k): parse_duration(v) for k, v in (max_wait or {}).items()}

    @property
    def reoffers(self) -> bool:
        return bool(self.max_wait_s)

    def reoffer_after(self, contact: ContactLike) -> Sequence[float]:
        wait = self.max_wait_s.get(contact.segment)
        return () if wait is None else (wait,)

    def _overdue(self, contact: ContactLike, now: float) -> bool:
        wait = self.max_wait_s.get(contact.segment)
        return wait is not None and now - contact.queued_s >= wait

    def select_agent(self, contact: ContactLike, pools: Sequence[IdlePoolLike],
                     view: CenterViewLike) -> AgentLike | None:
        reserved = self.reserve.get(contact.segment, 0)
        if (reserved and not self._overdue(contact, view.now)
                and sum(len(pool) for pool in pools) <= reserved):
            return None
        return super().select_agent(contact, pools, view)

    def select_contact(self, agent: AgentLike, queues: Sequence[WaitQueueLike],
                       view: CenterViewLike) -> ContactLike | None:
        now = view.now
        candidates = list(heads(queues))
        overdue = [c for q, c in candidates if not q.asynchronous and self._overdue(c, now)]
        if overdue:
            return min(overdue, key=lambda c: c.queued_s)
        # The freed agent would be one more available agent than the view counts.
        return by_priority((q, c) for q, c in candidates
                           if view.available(c) >= self.reserve.get(c.segment, 0))


@register_policy("overflow")
class Overflow(Builtin):
    """Time-based widening ("bullseye"): ``rings`` lists who may take a contact after
    how long it has waited, cumulatively::

        rings:
          - {after: 0s, groups: [billing_experts]}       # or min_proficiency: 0.9
          - {after: 45s, min_proficiency: 0.6}
          - {after: 3m, min_proficiency: 0}               # everyone eligible

    The first ring starts at 0 s. Among the contacts it may take, a freed agent serves
    the highest priority, then the longest waiting.
    """

    name = "overflow"

    def __init__(self, rings: Sequence[Mapping[str, Any]], **common: Any):
        super().__init__(**common)
        if not isinstance(rings, list | tuple) or not rings:
            raise ValueError("rings: give a list of {after, groups | min_proficiency}")
        self.rings = [_ring(ring, i) for i, ring in enumerate(rings)]
        afters = [after for after, _, _ in self.rings]
        if afters[0] != 0.0 or afters != sorted(afters):
            raise ValueError("rings: the first starts at 0s and 'after' never decreases")

    def reoffer_after(self, contact: ContactLike) -> Sequence[float]:
        return [after for after, _, _ in self.rings if after > 0]

    def _admits(self, contact: ContactLike, group: str, proficiency: float,
                now: float) -> bool:
        waited = now - contact.queued_s
        for after, groups, minimum in self.rings:
            if after > waited:
                return False
            if (groups is not None and group in groups) or (
                    minimum is not None and proficiency >= minimum):
                return True
        return False

    def select_agent(self, contact: ContactLike, pools: Sequence[IdlePoolLike],
                     view: CenterViewLike) -> AgentLike | None:
        now = view.now
        allowed = [pool for pool in pools
                   if self._admits(contact, pool.group, pool.proficiency(contact.skill), now)]
        return self._agent_rule(contact, allowed, view) if allowed else None

    def select_contact(self, agent: AgentLike, queues: Sequence[WaitQueueLike],
                       view: CenterViewLike) -> ContactLike | None:
        now = view.now
        return by_priority((q, c) for q, c in heads(queues)
                           if self._admits(c, agent.group, agent.proficiency(q.skill), now))


@register_policy("sticky")
class Sticky(SkillBased):
    """Sticky agent: a follow-up contact (repeat, retrial) waits up to ``wait`` for the
    agent who last talked with the customer about the issue, who takes it as soon as
    it is free; after ``wait``, or for other contacts, skill-based routing. Freed agents
    pass over contacts kept for a colleague.

    A freed agent looks through the waiting contacts of its queues for its own, so the
    cost of a routing decision grows with the queue length.
    """

    name = "sticky"

    def __init__(self, wait: Any = "3m", **common: Any):
        super().__init__(**common)
        self.wait_s = parse_duration(wait)

    def reoffer_after(self, contact: ContactLike) -> Sequence[float]:
        return (self.wait_s,) if contact.previous_agent is not None else ()

    def _kept_for(self, contact: ContactLike, now: float) -> str | None:
        """The agent ``contact`` waits for now, or None."""
        if contact.previous_agent is not None and now - contact.queued_s < self.wait_s:
            return contact.previous_agent
        return None

    def select_agent(self, contact: ContactLike, pools: Sequence[IdlePoolLike],
                     view: CenterViewLike) -> AgentLike | None:
        wanted = self._kept_for(contact, view.now)
        if wanted is None:
            return super().select_agent(contact, pools, view)
        return next((a for pool in pools for a in pool if a.name == wanted), None)

    def select_contact(self, agent: AgentLike, queues: Sequence[WaitQueueLike],
                       view: CenterViewLike) -> ContactLike | None:
        now = view.now
        free: list[tuple[WaitQueueLike, ContactLike]] = []
        for queue in queues:
            first_free = None
            for contact in queue:
                kept = self._kept_for(contact, now)
                if kept == agent.name:
                    return contact
                if kept is None and first_free is None:
                    first_free = contact
            if first_free is not None:
                free.append((queue, first_free))
        return by_priority(free)


def _count(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{where}: give a whole number >= 0, not {value!r}")
    return value


def _ring(ring: Any, index: int) -> tuple[float, frozenset[str] | None, float | None]:
    where = f"rings[{index}]"
    if not isinstance(ring, Mapping) or ("groups" in ring) == ("min_proficiency" in ring):
        raise ValueError(f"{where}: give 'after' and one of 'groups' or 'min_proficiency'")
    unknown = set(ring) - {"after", "groups", "min_proficiency"}
    if unknown:
        raise ValueError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    groups = ring.get("groups")
    minimum = ring.get("min_proficiency")
    return (parse_duration(ring.get("after", 0)),
            None if groups is None else frozenset(map(str, groups)),
            None if minimum is None else float(minimum))
