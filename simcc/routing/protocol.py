"""The routing policy protocol (docs/routing.md, "Writing your own policy").

A policy is a small object whose constructor only stores parameters. The dispatcher
calls it at three moments and passes read-only views of the center; the policy
returns decisions and never changes the center itself:

1. ``on_entry(contact, view)`` before a contact queues: return :data:`QUEUE` (or None)
   to let it wait for an agent, or an :class:`Entry` to route it for another skill
   (intent detection) or to offer the customer a callback, self-service or another
   channel;
2. ``select_agent(contact, pools, view)``: a contact is ready and agents are idle; pick
   an idle agent from the eligible ``pools`` or return None (the contact waits);
3. ``select_contact(agent, queues, view)``: an agent has capacity; pick the head of one
   of the ``queues`` it may serve, or return None (the agent stays idle). The queues
   come live first, then asynchronous (email), each group by priority, highest first;
   an agent already holding conversations (chat concurrency) is offered only the queues
   of that channel.

A policy whose eligibility changes while a contact waits (overflow after a delay, a
maximum wait, a sticky agent) also defines ``reoffer_after(contact)``: the waits
(seconds after the contact's place) at which the engine offers a still-waiting contact
to the available agents again through ``select_agent``.

A contact's ``queued_s`` is its place in the queue: when it joined it; for a transfer
that keeps its place, when it first queued; for an asynchronous contact, its arrival.
An agent is *available* when it is idle or, on a channel with concurrency, holds fewer
conversations than it may: ``pools`` hold both kinds.

The objects a policy sees have the attributes below (the engine's own classes provide
them; this module only documents them, so that routing never imports the engine).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

QUEUE = "queue"
"""Entry decision: the contact waits in the queue of its channel and skill."""
CALLBACK = "callback"
"""Offer of an :class:`Entry`: a callback (the channel's ``callback`` settings, or their
defaults, say how it is made)."""
SELF_SERVICE = "self_service"
"""Offer of an :class:`Entry`: the channel's self-service (its ``self_service``
settings); a contact it does not contain comes back to the queue."""


@dataclass(frozen=True, slots=True)
class Entry:
    """An entry decision beyond plain queueing.

    ``skill``: route the contact for this skill of its channel instead of its own (what
    an IVR menu, an NLU model or a bot detected); when the detection is wrong, the agent
    who answers transfers it to the right skill. ``offer``: :data:`CALLBACK`,
    :data:`SELF_SERVICE` or the name of another channel; the customer accepts with
    probability ``acceptance`` (a draw of the customer, the same under every policy),
    otherwise the contact queues as usual. A customer who accepts another channel ends
    this contact (outcome ``deflected``) and contacts that channel at once, as a new
    contact of the same issue.
    """

    skill: str | None = None
    offer: str | None = None
    acceptance: float = 1.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.acceptance <= 1.0:
            raise ValueError(f"acceptance must lie in [0, 1], not {self.acceptance}")


class ContactLike(Protocol):
    """A contact as routing sees it. Times are simulation seconds."""

    id: int
    channel: str
    intent: str
    skill: str
    segment: str
    priority: int          # larger is served first
    arrival_s: float       # when the contact arrived
    queued_s: float        # its place in the queue: when it joined (see below)
    previous_agent: str | None  # who answered the previous contact (follow-ups)


class AgentLike(Protocol):
    """An agent as routing sees it."""

    name: str
    group: str
    idle_since_s: float    # last took or finished a conversation, or logged on
    logon_s: float         # when its current shift started
    busy_s: float          # work given to it since then: handle + wrap-up, seconds
    load: int              # conversations it holds now

    def proficiency(self, skill: str) -> float:
        """Proficiency in (0, 1] for ``skill``, 0 when the agent lacks it."""


class IdlePoolLike(Protocol):
    """Available agents of one group, longest available first: idle agents, or with
    ``channel`` set, agents holding conversations of that channel with room for more."""

    group: str
    channel: str | None

    def proficiency(self, skill: str) -> float:
        """The group's proficiency for ``skill`` (0 when it lacks the skill)."""

    def first(self) -> AgentLike | None:
        """The longest-idle agent of the pool, or None when nobody is idle."""

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[AgentLike]: ...


class WaitQueueLike(Protocol):
    """Contacts of one (channel, skill, priority) waiting in order of their place."""

    channel: str
    skill: str
    priority: int
    asynchronous: bool     # an email-like backlog: no abandonment

    def head(self) -> ContactLike | None:
        """The longest-waiting contact, or None when the queue is empty."""

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[ContactLike]: ...


class CenterViewLike(Protocol):
    """What a policy may read about the whole center."""

    rng: np.random.Generator   # the tie-break stream of this replication

    @property
    def now(self) -> float: ...

    def waiting(self, channel: str, skill: str | None = None) -> int:
        """Contacts waiting on ``channel`` (for ``skill`` when given)."""

    def staffed(self, group: str) -> int:
        """Agents of ``group`` logged in now."""

    def predicted_wait_s(self, contact: ContactLike, skill: str | None = None) -> float:
        """Predicted wait in seconds of a contact joining its queue now (the queue of
        ``skill`` when given)."""

    def available(self, contact: ContactLike) -> int:
        """Available agents eligible for ``contact`` right now."""

    def skills(self, channel: str) -> list[str]:
        """The skills contacts of ``channel`` can be routed for."""

    def contact_uniform(self, contact: ContactLike, key: int = 0) -> float:
        """A uniform in (0, 1) owned by the contact: the same for this (issue, contact,
        ``key``) under every policy. Use it for what the customer or the contact is
        (common random numbers), ``rng`` for the policy's own tie-breaks."""


class RoutingPolicy:
    """Base class of routing policies; subclasses override the hooks they need.

    The default behaviour is ``fifo``: every contact queues; an arriving contact takes
    the longest-available eligible agent; a freed agent takes the longest-waiting live
    contact, and asynchronous work only when no live contact waits for it.
    """

    name = "base"

    def __init__(self, **params: Any) -> None:
        if params:
            raise TypeError(f"unexpected parameters: {', '.join(sorted(params))}")

    def on_entry(self, contact: ContactLike, view: CenterViewLike) -> str | Entry | None:
        """Decide what happens to an arriving contact: :data:`QUEUE` (the default) or
        an :class:`Entry`."""
        return QUEUE

    def select_agent(
        self, contact: ContactLike, pools: Sequence[IdlePoolLike], view: CenterViewLike
    ) -> AgentLike | None:
        """Pick an idle agent for ``contact`` from ``pools`` (eligible groups)."""
        return longest_idle(pools)

    def select_contact(
        self, agent: AgentLike, queues: Sequence[WaitQueueLike], view: CenterViewLike
    ) -> ContactLike | None:
        """Pick a waiting contact for ``agent`` among the heads of ``queues``."""
        return longest_waiting(queues)

    @property
    def decides_entry(self) -> bool:
        """Whether ``on_entry`` can decide anything but :data:`QUEUE` (when False the
        engine skips it). True when a subclass overrides ``on_entry``."""
        return type(self).on_entry is not RoutingPolicy.on_entry

    @property
    def reoffers(self) -> bool:
        """Whether ``reoffer_after`` can ask for reoffers (True when overridden)."""
        return type(self).reoffer_after is not RoutingPolicy.reoffer_after

    def reoffer_after(self, contact: ContactLike) -> Sequence[float]:
        """Waits (s after the contact's place) at which a still-waiting ``contact`` is
        offered to the available agents again; none by default."""
        return ()


def longest_idle(pools: Sequence[IdlePoolLike]) -> AgentLike | None:
    """The agent idle the longest across ``pools`` (first pool wins ties)."""
    best = None
    for pool in pools:
        agent = pool.first()
        if agent is not None and (best is None or agent.idle_since_s < best.idle_since_s):
            best = agent
    return best


def longest_waiting(queues: Sequence[WaitQueueLike]) -> ContactLike | None:
    """The head contact with the earliest place across the live ``queues``; across the
    asynchronous ones when no live contact waits (queues come live first)."""
    best = None
    for queue in queues:
        if best is not None and queue.asynchronous:
            break
        contact = queue.head()
        if contact is not None and (best is None or contact.queued_s < best.queued_s):
            best = contact
    return best
