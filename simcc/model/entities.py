"""The engine's mutable objects: contacts, agents, idle pools and waiting queues.

They carry the attributes the routing protocol documents
(:mod:`simcc.routing.protocol`). Removal from pools and queues is lazy: an entry whose
owner has moved on is skipped when it reaches the front, so every operation is O(1)
amortised.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING

from simcc.metrics.codes import ContactKind
from simcc.model.events import SelfScheduled

if TYPE_CHECKING:
    from simcc.dists import Sampler
    from simcc.model.center import Route

_INF = float("inf")

# Contact states
NEW, WAITING, IN_SERVICE, DONE = "new", "waiting", "in_service", "done"
# Agent states
OFF, IDLE, BUSY = "off", "idle", "busy"


# Contact kinds (plain ints of simcc.metrics.codes.ContactKind)
FIRST, RETRIAL, REPEAT, DEFLECTION = map(int, sorted(ContactKind))


class JourneyState:
    """Journey state of a contact, as class-level defaults: a contact only stores its own
    value once its journey changes one (see :mod:`simcc.model.journeys`), so contacts of
    a plain queueing model pay nothing for it."""

    attempt = 0  # 0 for the issue's first contact, then 1, 2, ...
    kind = FIRST
    issue_start_s: float | None = None  # arrival of the issue's first contact (later ones)
    draws: list[float] | None = None  # its uniforms, drawn when first needed
    callback = False  # accepted a callback: waits off the line
    callback_tries = 0
    transfer_to: str | None = None  # the current leg ends with a transfer to this skill
    escalated = context_lost = resolved = failed_attempt = False
    answered = False  # an agent talked with the customer
    handled_by: str | None = None  # the agent of its last conversation
    previous_agent: str | None = None  # the agent of the issue's previous contact
    entered = False  # the routing's entry decision was made
    offered = False  # the routing made it an offer at entry


class Contact(JourneyState, SelfScheduled):
    """One attempt of a customer to get an issue solved (times in simulation seconds).

    ``skill`` is the skill the contact is routed for; ``need`` the skill its issue really
    needs (they differ for a misrouted contact, and ``need`` changes on escalation).
    ``queued_s`` is its place in the queue (see :mod:`simcc.routing.protocol`);
    ``agent`` the agent handling it now (set when answered). Its arrival and the end of
    each leg go on SimPy's queue as the contact itself (:class:`SelfScheduled`).
    """

    __slots__ = (
        "id", "issue_id", "channel", "intent", "skill", "need", "segment", "priority",
        "arrival_s", "queued_s", "patience_s", "base_handle_s", "resolution_p", "resolution_u",
        "wrap_u", "acw_s", "state", "queue", "deadline_s", "route", "agent", "callbacks",
    )

    def __init__(self, cid: int, channel: str, intent: str, skill: str, segment: str,
                 priority: int, arrival_s: float, patience_s: float, base_handle_s: float,
                 resolution_p: float, resolution_u: float, wrap_u: float,
                 route: Route | None = None):
        self.id = self.issue_id = cid
        self.channel, self.intent, self.skill = channel, intent, skill
        self.need = skill
        self.segment, self.priority = segment, priority
        self.arrival_s = self.queued_s = arrival_s
        self.patience_s, self.base_handle_s = patience_s, base_handle_s
        self.resolution_p, self.resolution_u, self.wrap_u = resolution_p, resolution_u, wrap_u
        self.acw_s: float | None = None  # a forecast's mean wrap-up (None: the group's)
        self.state = NEW
        self.queue: WaitQueue | None = None
        self.deadline_s = _INF
        self.route = route  # the engine's Route of (channel, skill)

    def __repr__(self) -> str:
        return f"Contact({self.id}, {self.channel}/{self.intent}/{self.segment}, {self.state})"


class Group:
    """An agent group: proficiencies, channels, wrap-up, its idle pool and, per channel
    with concurrency, a pool of agents with spare capacity."""

    def __init__(self, name: str, skills: dict[str, float], channels: list[str],
                 wrap_up: Sampler | None, cost_per_hour: float, capacity: dict[str, int]):
        self.name = name
        self.skills = dict(skills)
        self.channels = list(channels)
        self.wrap_up = wrap_up  # a Sampler or None
        self.cost_per_hour = cost_per_hour
        self.capacity = {channel: capacity[channel] for channel in self.channels}
        self.pool = IdlePool(self)
        self.spare = {channel: IdlePool(self, channel)
                      for channel, slots in self.capacity.items() if slots > 1}
        # Queues this group serves: live before asynchronous, then highest priority first;
        # and the same per channel.
        self.queues: list[WaitQueue] = []
        self.channel_queues: dict[str, list[WaitQueue]] = {}
        self.agents: list[Agent] = []
        self.logged_in = 0

    def proficiency(self, skill: str) -> float:
        """Proficiency in (0, 1] for ``skill``, 0 when the group lacks it."""
        return self.skills.get(skill, 0.0)

    def wrap_up_s(self, contact: Contact) -> float:
        """After-contact work of a conversation with ``contact``, seconds: the group's
        wrap-up drawn at the contact's uniform; a forecast's ACW (``contact.acw_s``)
        rescales it to that mean (or is taken as is when the group has none)."""
        wrap = self.wrap_up
        acw = contact.acw_s
        if acw is None:
            return 0.0 if wrap is None else wrap.quantile(contact.wrap_u)
        if wrap is None or wrap.mean <= 0:
            return acw
        return wrap.quantile(contact.wrap_u) * acw / wrap.mean


class Agent:
    """One agent. ``idle_since_s`` is the last time the agent took or finished a
    conversation, or logged on (its place in line when available: for an idle agent,
    when it became free; an agent who just took a chat goes to the back); ``load`` is
    the number of conversations held, all of channel ``channel``; ``pool`` is the idle
    or spare-capacity pool the agent is available in, None when it cannot take work;
    ``busy_s`` the work (handle + wrap-up seconds) it was given since ``logon_s``."""

    __slots__ = ("index", "name", "group_ref", "group", "state", "idle_since_s", "leaving",
                 "logon_s", "busy_s", "load", "channel", "pool")

    def __init__(self, index: int, name: str, group: Group):
        self.index, self.name = index, name
        self.group_ref, self.group = group, group.name
        self.state = OFF
        self.idle_since_s = 0.0
        self.leaving = False
        self.logon_s = 0.0
        self.busy_s = 0.0
        self.load = 0
        self.channel: str | None = None
        self.pool: IdlePool | None = None

    def proficiency(self, skill: str) -> float:
        """Proficiency in (0, 1] for ``skill``, 0 when the agent lacks it."""
        return self.group_ref.skills.get(skill, 0.0)

    def __repr__(self) -> str:
        return f"Agent({self.name}, {self.state})"


class IdlePool:
    """Available agents of one group in order of becoming available (longest first):
    idle agents, or (``channel`` given) agents holding conversations of that channel with
    room for more."""

    __slots__ = ("group", "group_ref", "channel", "_entries", "count")

    def __init__(self, group: Group, channel: str | None = None):
        self.group_ref, self.group = group, group.name
        self.channel = channel
        self._entries: deque[tuple[float, Agent]] = deque()
        self.count = 0

    def proficiency(self, skill: str) -> float:
        """The group's proficiency for ``skill`` (0 when it lacks the skill)."""
        return self.group_ref.skills.get(skill, 0.0)

    def push(self, agent: Agent) -> None:
        """Make ``agent`` available here (its ``pool`` is set to this pool)."""
        agent.pool = self
        self._entries.append((agent.idle_since_s, agent))
        self.count += 1

    def first(self) -> Agent | None:
        """The agent available the longest, or None."""
        entries = self._entries
        while entries:
            since, agent = entries[0]
            if agent.pool is self and agent.idle_since_s == since:
                return agent
            entries.popleft()
        return None

    def discard(self, agent: Agent) -> None:
        """``agent`` (available here) is no longer available."""
        agent.pool = None
        self.count -= 1
        entries = self._entries
        if entries and entries[0][1] is agent:
            entries.popleft()

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[Agent]:
        return (a for since, a in self._entries if a.pool is self and a.idle_since_s == since)


class WaitQueue:
    """Contacts of one (channel, skill, priority) in order of their place ``queued_s``."""

    __slots__ = ("channel", "skill", "priority", "asynchronous", "_entries", "count")

    def __init__(self, channel: str, skill: str, priority: int, asynchronous: bool = False):
        self.channel, self.skill, self.priority = channel, skill, priority
        self.asynchronous = asynchronous
        self._entries: deque[Contact] = deque()
        self.count = 0

    def push(self, contact: Contact) -> None:
        """Queue ``contact`` at the back (its place must be the latest)."""
        contact.queue = self
        self._entries.append(contact)
        self.count += 1

    def insert_in_place(self, contact: Contact) -> None:
        """Queue ``contact`` behind the waiting contacts whose place is not later."""
        entries = self._entries
        position = len(entries)
        while position > 0:
            other = entries[position - 1]
            waiting = other.state is WAITING and other.queue is self
            if waiting and other.queued_s <= contact.queued_s:
                break
            position -= 1
        contact.queue = self
        entries.insert(position, contact)
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
