"""The engine's mutable objects: contacts, agents, idle pools and waiting queues.

They carry the attributes the routing protocol documents
(:mod:`simcc.routing.protocol`). Removal from pools and queues is lazy: an entry whose
owner has moved on is skipped when it reaches the front, so every operation is O(1)
amortised.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Any

# Contact states
NEW, WAITING, IN_SERVICE, DONE = "new", "waiting", "in_service", "done"
# Agent states
OFF, IDLE, BUSY = "off", "idle", "busy"


class Contact:
    """One attempt of a customer to get an issue solved (times in simulation seconds)."""

    __slots__ = (
        "id", "issue_id", "channel", "intent", "skill", "segment", "priority", "arrival_s",
        "queued_s", "patience_s", "base_handle_s", "resolution_p", "resolution_u", "wrap_u",
        "state", "queue", "deadline_s", "route",
    )

    def __init__(self, cid: int, channel: str, intent: str, skill: str, segment: str,
                 priority: int, arrival_s: float, patience_s: float, base_handle_s: float,
                 resolution_p: float, resolution_u: float, wrap_u: float, route: Any = None):
        self.id = self.issue_id = cid
        self.channel, self.intent, self.skill = channel, intent, skill
        self.segment, self.priority = segment, priority
        self.arrival_s = self.queued_s = arrival_s
        self.patience_s, self.base_handle_s = patience_s, base_handle_s
        self.resolution_p, self.resolution_u, self.wrap_u = resolution_p, resolution_u, wrap_u
        self.state = NEW
        self.queue: WaitQueue | None = None
        self.deadline_s = float("inf")
        self.route = route  # the engine's Route of (channel, skill)

    def __repr__(self) -> str:
        return f"Contact({self.id}, {self.channel}/{self.intent}/{self.segment}, {self.state})"


class Group:
    """An agent group: proficiencies, channels, wrap-up, and its idle pool."""

    def __init__(self, name: str, skills: dict[str, float], channels: list[str],
                 wrap_up: Any | None, cost_per_hour: float):
        self.name = name
        self.skills = dict(skills)
        self.channels = list(channels)
        self.wrap_up = wrap_up  # a Sampler or None
        self.cost_per_hour = cost_per_hour
        self.pool = IdlePool(self)
        self.queues: list[WaitQueue] = []  # queues this group serves, highest priority first
        self.agents: list[Agent] = []

    def proficiency(self, skill: str) -> float:
        """Proficiency in (0, 1] for ``skill``, 0 when the group lacks it."""
        return self.skills.get(skill, 0.0)


class Agent:
    """One agent. ``idle_since_s`` is when the agent last became free."""

    __slots__ = ("index", "name", "group_ref", "group", "state", "idle_since_s", "leaving",
                 "logon_s", "contact")

    def __init__(self, index: int, name: str, group: Group):
        self.index, self.name = index, name
        self.group_ref, self.group = group, group.name
        self.state = OFF
        self.idle_since_s = 0.0
        self.leaving = False
        self.logon_s = 0.0
        self.contact: Contact | None = None

    def proficiency(self, skill: str) -> float:
        """Proficiency in (0, 1] for ``skill``, 0 when the agent lacks it."""
        return self.group_ref.skills.get(skill, 0.0)

    def __repr__(self) -> str:
        return f"Agent({self.name}, {self.state})"


class IdlePool:
    """Idle agents of one group in order of becoming idle (longest idle first)."""

    __slots__ = ("group", "group_ref", "_entries", "count")

    def __init__(self, group: Group):
        self.group_ref, self.group = group, group.name
        self._entries: deque[tuple[float, Agent]] = deque()
        self.count = 0

    def proficiency(self, skill: str) -> float:
        """The group's proficiency for ``skill`` (0 when it lacks the skill)."""
        return self.group_ref.skills.get(skill, 0.0)

    def push(self, agent: Agent) -> None:
        self._entries.append((agent.idle_since_s, agent))
        self.count += 1

    def first(self) -> Agent | None:
        """The longest-idle agent, or None."""
        entries = self._entries
        while entries:
            since, agent = entries[0]
            if agent.state is IDLE and agent.idle_since_s == since:
                return agent
            entries.popleft()
        return None

    def discard(self, agent: Agent) -> None:
        """Forget ``agent`` (its state has already changed from IDLE)."""
        self.count -= 1
        entries = self._entries
        if entries and entries[0][1] is agent:
            entries.popleft()

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[Agent]:
        return (a for since, a in self._entries if a.state is IDLE and a.idle_since_s == since)


class WaitQueue:
    """Contacts of one (channel, skill, priority) in order of queue entry."""

    __slots__ = ("channel", "skill", "priority", "_entries", "count")

    def __init__(self, channel: str, skill: str, priority: int):
        self.channel, self.skill, self.priority = channel, skill, priority
        self._entries: deque[Contact] = deque()
        self.count = 0

    def push(self, contact: Contact) -> None:
        contact.queue = self
        self._entries.append(contact)
        self.count += 1

    def head(self) -> Contact | None:
        """The longest-waiting contact, or None."""
        entries = self._entries
        while entries:
            contact = entries[0]
            if contact.state is WAITING and contact.queue is self:
                return contact
            entries.popleft()
        return None

    def discard(self, contact: Contact) -> None:
        """Forget ``contact`` (its state has already changed from WAITING)."""
        self.count -= 1
        contact.queue = None
        entries = self._entries
        if entries and entries[0] is contact:
            entries.popleft()

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[Contact]:
        return (c for c in self._entries if c.state is WAITING and c.queue is self)

    def __repr__(self) -> str:
        return f"WaitQueue({self.channel}/{self.skill}/p{self.priority}, {self.count})"
