"""The dispatcher: contacts meet agents through the routing policy.

Event handling uses lean SimPy timeouts with callbacks
(:class:`~simcc.model.events.Call`; no generator processes, no condition events) on the
hot path. Patience is handled by one *abandonment timer*: deadlines sit in a heap and a
single timeout is armed for the earliest live one, so a contact that is answered before
its patience runs out costs no event at all.

Simultaneous events: SimPy processes events at the same instant in the order they were
scheduled, except that the abandonment timer is *urgent*: it fires at the exact deadline
before every other event of that instant. So every contact whose patience ends at or
before ``t`` has abandoned before any routing decision at ``t``: a contact whose
patience runs out at the very instant an agent frees up has abandoned (the agent does not
take it).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import simpy
from simpy.events import Event

from simcc.errors import ModelError
from simcc.metrics.records import ABANDONED, BLOCKED, CONVERSATION, UNSERVED, Records
from simcc.model.draws import ContactDraws
from simcc.model.entities import (
    BUSY,
    DONE,
    IDLE,
    IN_SERVICE,
    OFF,
    WAITING,
    Agent,
    Contact,
    Group,
    IdlePool,
    WaitQueue,
)
from simcc.model.events import Call, UrgentCall, schedule
from simcc.routing.protocol import RoutingPolicy

if TYPE_CHECKING:
    from simcc.model.journeys import Journeys

POLICY_PURPOSE = 1 << 20
"""Purposes of the contact draws handed to policies start here (journeys use 0 and the
callback attempt numbers)."""


class ChannelState:
    """Per-channel settings the dispatcher needs, and the live count of waiting contacts."""

    __slots__ = ("name", "capacity", "concurrency", "asynchronous", "waiting")

    def __init__(self, name: str, capacity: int | None, concurrency: int = 1,
                 asynchronous: bool = False):
        self.name, self.capacity = name, capacity
        self.concurrency, self.asynchronous = concurrency, asynchronous
        self.waiting = 0


class Route:
    """Where contacts of one (channel, skill) wait and who may answer them."""

    __slots__ = ("channel", "skill", "skill_code", "channel_state", "groups", "pools",
                 "queues", "mean_handle_s")

    def __init__(self, channel_state: ChannelState, skill: str, groups: Sequence[Group],
                 queues: dict[int, WaitQueue], mean_handle_s: float, skill_code: int = 0):
        self.channel, self.skill, self.skill_code = channel_state.name, skill, skill_code
        self.channel_state = channel_state
        # Eligible groups, most proficient first (stable in scenario order); per group its
        # spare-capacity pool of this channel (with concurrency) and its idle pool.
        self.groups = sorted(groups, key=lambda g: -g.proficiency(skill))
        self.pools = [pool for g in self.groups
                      for pool in ([g.spare[self.channel]] if self.channel in g.spare else [])
                      + [g.pool]]
        self.queues = queues
        self.mean_handle_s = mean_handle_s


class Center:
    """The contact center of one replication: queues, available agents and the policy.

    This class is the lean dispatcher of the plain queueing model (one conversation per
    agent, no journeys). Scenarios with journeys (opening hours, self-service, callbacks,
    transfers, retrials, repeats, concurrency) use its subclass
    :class:`~simcc.model.omnichannel.JourneyCenter`, which calls the scenario's
    :class:`~simcc.model.journeys.Journeys` (``self.journeys``).
    """

    def __init__(self, env: simpy.Environment, routes: dict[tuple[str, str], Route],
                 channels: dict[str, ChannelState], groups: dict[str, Group],
                 policy: RoutingPolicy, tiebreak: np.random.Generator, records: Records,
                 draws: ContactDraws):
        self.env = env
        self.routes = routes
        self.channels = channels
        self.groups = groups
        self.policy = policy
        self.records = records
        self.view = CenterView(self, tiebreak, draws)
        self.journeys: Journeys | None = None  # set by the builder when the scenario needs it
        self._deadlines: list[tuple[float, int, Contact]] = []
        self._timer_at: float | None = None
        self._out_id, self._out_code, self._out_wait, self._out_end = (
            records.outcomes.appenders())
        (self._leg_id, self._leg_agent, self._leg_queued, self._leg_answered,
         self._leg_handle, self._leg_wrap, self._leg_resolved, self._leg_kind,
         self._leg_skill) = (
            records.legs.appenders())
        # mark_ended(contact_id): the contact ended (no further leg or outcome).
        self.mark_ended = records.ended.appenders()[0]
        # Skip the hooks the policy does not override (every contact queues; no reoffers).
        self._entry_hook = getattr(policy, "decides_entry", True)
        self._reoffer_hook = getattr(policy, "reoffers", hasattr(policy, "reoffer_after"))
        self._done_callbacks = (self._on_done,)

    # -- contacts ---------------------------------------------------------------------
    def on_arrival(self, event: Event) -> None:
        """Arrival event callback (the event's value is the contact): an available agent
        at once, or the queue (or blocked when it is full). Policies with an entry hook
        run in the :class:`~simcc.model.omnichannel.JourneyCenter`."""
        contact = event._value
        now = self.env._now  # the clock behind SimPy's `now` property, read directly: hot path
        contact.queued_s = now
        pools = contact.route.pools
        for pool in pools:
            if pool.count:
                agent = self._available_agent(contact, pools)
                if agent is not None:
                    self._answer(agent, contact, now)
                    return
                break
        if not self._has_room(contact):
            self._block(contact, now)
            return
        self.enqueue(contact, now)

    def _available_agent(self, contact: Contact, pools: list[IdlePool]) -> Agent | None:
        """The available agent the policy picks for ``contact`` (validated and taken out
        of its pool), or None."""
        agent = self.policy.select_agent(contact, pools, self.view)
        if agent is not None:
            if agent.pool is None or agent.pool not in pools:
                self._reject_agent(agent, contact)
            agent.pool.discard(agent)
        return agent

    def _start(self, agent: Agent, contact: Contact, now: float) -> None:
        """``agent`` (out of its pool) takes ``contact`` (out of every queue)."""
        self._answer(agent, contact, now)

    def _has_room(self, contact: Contact) -> bool:
        """Whether the contact's channel has a free waiting place."""
        channel = contact.route.channel_state
        return channel.capacity is None or channel.waiting < channel.capacity

    def _block(self, contact: Contact, now: float) -> None:
        contact.state = DONE
        self.record_outcome(contact, BLOCKED, 0.0)
        if self.journeys is not None:
            self.journeys.after_failure(contact, now)

    def enqueue(self, contact: Contact, now: float, in_place: bool = False) -> None:
        """``contact`` waits in the queue of its route and priority (its place set)."""
        route = contact.route
        contact.state = WAITING
        queue = route.queues[contact.priority]
        if in_place:
            queue.insert_in_place(contact)
        else:
            queue.push(contact)
        route.channel_state.waiting += 1
        if contact.patience_s != math.inf:
            deadline = now + contact.patience_s
            contact.deadline_s = deadline
            heapq.heappush(self._deadlines, (deadline, contact.id, contact))
            if self._timer_at is None or deadline < self._timer_at:
                self._arm_timer(deadline)
        else:
            contact.deadline_s = math.inf  # void a deadline left from an earlier wait
        if self._reoffer_hook:
            for wait in self.policy.reoffer_after(contact):
                at = contact.queued_s + wait
                if at > now:
                    Call(self.env, at - now, contact, self._on_reoffer)

    def _on_reoffer(self, event: Event) -> None:
        """A waiting contact reached a wait the policy asked for: offer it again to the
        available agents."""
        contact = event._value
        now = self.env._now
        if contact.state is not WAITING:
            return
        pools = contact.route.pools
        if not any(pool.count for pool in pools):
            return
        agent = self._available_agent(contact, pools)
        if agent is not None:
            contact.queue.discard(contact)
            contact.route.channel_state.waiting -= 1
            self._start(agent, contact, now)

    def _answer(self, agent: Agent, contact: Contact, now: float) -> None:
        """``agent`` (taken out of its pool) starts on ``contact`` at ``now``: one leg, one
        completion. The leg row also carries the resolution."""
        group = agent.group_ref
        contact.state = IN_SERVICE
        contact.agent = agent
        agent.state = BUSY
        agent.load = 1
        agent.channel = contact.channel
        proficiency = group.skills[contact.need]
        handle = contact.base_handle_s / proficiency
        wrap = group.wrap_up_s(contact)
        resolved = contact.resolution_u < contact.resolution_p * proficiency
        self.record_leg(agent, contact, now, handle, wrap, resolved, CONVERSATION)

    def record_leg(self, agent: Agent, contact: Contact, now: float, handle: float,
                   wrap: float, resolved: bool, kind: int) -> None:
        """Write the leg row and schedule the end of the leg (handle + wrap-up)."""
        self._leg_id(contact.id)
        self._leg_agent(agent.index)
        self._leg_queued(contact.queued_s)
        self._leg_answered(now)
        self._leg_handle(handle)
        self._leg_wrap(wrap)
        self._leg_resolved(resolved)
        self._leg_kind(kind)
        self._leg_skill(contact.route.skill_code)
        agent.busy_s += handle + wrap
        schedule(self.env, self.env._now + (handle + wrap), contact, self._done_callbacks)

    def record_outcome(self, contact: Contact, outcome: int, wait: float) -> None:
        """Record the outcome of a contact that did not end with an agent."""
        self._out_id(contact.id)
        self._out_code(outcome)
        self._out_wait(wait)
        self._out_end(self.env._now)
        self.mark_ended(contact.id)

    # -- patience ---------------------------------------------------------------------
    def _arm_timer(self, at: float) -> None:
        """Expire patience at ``at`` (a deadline), before any other event of that time."""
        self._timer_at = at
        UrgentCall(self.env, max(at, self.env._now), self._on_timer)

    def _on_timer(self, _event: Event) -> None:
        if self._timer_at is not None and self._timer_at <= self.env.now:
            self._timer_at = None
        self.expire_patience()
        heap = self._deadlines
        while heap and heap[0][2].state is not WAITING:
            heapq.heappop(heap)
        if heap and (self._timer_at is None or heap[0][0] < self._timer_at):
            self._arm_timer(heap[0][0])

    def expire_patience(self) -> None:
        """Every waiting contact whose patience ended at or before now abandons."""
        heap = self._deadlines
        now = self.env._now  # the clock behind SimPy's `now` property, read directly: hot path
        while heap and heap[0][0] <= now:
            deadline, _, contact = heapq.heappop(heap)
            if contact.state is WAITING and contact.deadline_s == deadline:
                self._abandon(contact, now)

    def _abandon(self, contact: Contact, now: float) -> None:
        contact.state = DONE
        contact.queue.discard(contact)
        contact.route.channel_state.waiting -= 1
        self.record_outcome(contact, ABANDONED, contact.deadline_s - contact.queued_s)
        if self.journeys is not None:
            self.journeys.after_failure(contact, now)

    # -- agents -----------------------------------------------------------------------
    def _on_done(self, event: Event) -> None:
        """Completion (the event's value is the contact): its agent takes the next contact
        or leaves at the end of its shift."""
        contact = event._value
        contact.state = DONE
        self.mark_ended(contact.id)
        agent = contact.agent
        agent.load = 0
        if agent.leaving:
            agent.leaving = False
            self._log_out(agent)
        else:
            self.agent_free(agent)

    def agent_free(self, agent: Agent) -> None:
        """The agent is free: take a waiting contact or become idle."""
        now = self.env._now  # the clock behind SimPy's `now` property, read directly: hot path
        group = agent.group_ref
        contact = self._pick_contact(agent, group.queues)
        if contact is not None:
            contact.queue.discard(contact)
            contact.route.channel_state.waiting -= 1
            self._answer(agent, contact, now)
            return
        agent.state = IDLE
        agent.idle_since_s = now
        group.pool.push(agent)

    def _pick_contact(self, agent: Agent, queues: list[WaitQueue]) -> Contact | None:
        """The policy's pick among ``queues`` (validated), None when it picks nobody."""
        for queue in queues:
            if queue.count:
                contact = self.policy.select_contact(agent, queues, self.view)
                if contact is not None and (
                        contact.state is not WAITING or contact.queue not in queues):
                    self._reject_contact(agent, contact)
                return contact
        return None

    def log_on(self, agent: Agent) -> None:
        """The agent's shift starts."""
        if agent.leaving:  # still finishing the previous shift's work
            agent.leaving = False
            if agent.load < agent.group_ref.capacity[agent.channel]:
                self.agent_free(agent)  # room for more conversations (concurrency)
            return
        if agent.state is not OFF:
            raise ModelError(f"agent {agent.name} logs on twice")
        agent.logon_s = self.env.now
        agent.busy_s = 0.0
        agent.group_ref.logged_in += 1
        self.agent_free(agent)

    def log_off(self, agent: Agent) -> None:
        """The agent's shift ends; an agent holding conversations finishes them first."""
        if agent.state is OFF:
            return
        if agent.pool is not None:
            agent.pool.discard(agent)
        if agent.load:
            agent.leaving = True
        else:
            self._log_out(agent)

    def _log_out(self, agent: Agent) -> None:
        agent.state = OFF
        agent.group_ref.logged_in -= 1
        self._close_session(agent)

    def _close_session(self, agent: Agent) -> None:
        index, start, end = self.records.sessions.appenders()
        index(agent.index)
        start(agent.logon_s)
        end(self.env.now)

    # -- broken policy decisions ------------------------------------------------------
    def _reject_agent(self, agent: Agent, contact: Contact) -> None:
        raise ModelError(f"policy {self.policy.name} chose {agent!r} for {contact!r}: "
                         "not an available agent eligible for its channel and skill")

    def _reject_contact(self, agent: Agent, contact: Contact) -> None:
        raise ModelError(f"policy {self.policy.name} gave {contact!r} to {agent!r}: "
                         "not a waiting contact of a queue the agent serves")

    # -- end of run -------------------------------------------------------------------
    def finish(self) -> None:
        """After the drain: contacts nobody could take are unserved; sessions close."""
        self.expire_patience()
        for route in self.routes.values():
            for queue in route.queues.values():
                for contact in list(queue):
                    contact.state = DONE
                    if not contact.answered:  # else it ends handled, unresolved
                        self.record_outcome(contact, UNSERVED, self.env.now - contact.queued_s)
        for group in self.groups.values():
            for agent in group.agents:
                if agent.state is not OFF:
                    self._close_session(agent)


class CenterView:
    """Read-only view of the center handed to routing policies."""

    def __init__(self, center: Center, rng: np.random.Generator, draws: ContactDraws):
        self._center = center
        self.rng = rng
        self._draws = draws
        self._skills: dict[str, list[str]] = {}
        for channel, skill in center.routes:
            self._skills.setdefault(channel, []).append(skill)

    @property
    def now(self) -> float:
        """Current simulation time, seconds."""
        return self._center.env.now

    def waiting(self, channel: str, skill: str | None = None) -> int:
        """Contacts waiting on ``channel`` (and for ``skill`` when given)."""
        if skill is None:
            return self._center.channels[channel].waiting
        route = self._center.routes.get((channel, skill))
        return sum(q.count for q in route.queues.values()) if route else 0

    def staffed(self, group: str) -> int:
        """Agents of ``group`` logged in now (busy or idle)."""
        return self._center.groups[group].logged_in

    def available(self, contact: Contact) -> int:
        """Available agents (idle, or with spare capacity) eligible for ``contact``."""
        return sum(pool.count for pool in contact.route.pools)

    def predicted_wait_s(self, contact: Contact, skill: str | None = None) -> float:
        """Predicted wait of ``contact`` if it joined its queue now (for ``skill`` when
        given, else its own), seconds.

        ``(contacts waiting ahead at the same or higher priority + 1) x mean handle time
        of the skill / (agents logged in that can take it x channel concurrency)``; 0 when
        an eligible agent is available, infinite when nobody eligible is logged in.
        """
        route = self._center.routes[contact.channel, skill or contact.skill]
        if any(pool.count for pool in route.pools):
            return 0.0
        slots = sum(g.logged_in for g in route.groups) * route.channel_state.concurrency
        if slots == 0:
            return math.inf
        ahead = sum(q.count for p, q in route.queues.items() if p >= contact.priority)
        return (ahead + 1) * route.mean_handle_s / slots

    def skills(self, channel: str) -> list[str]:
        """The skills contacts of ``channel`` can be routed for (some group serves them)."""
        return list(self._skills.get(channel, ()))

    def contact_uniform(self, contact: Contact, key: int = 0) -> float:
        """A uniform in (0, 1) of this contact and ``key``, the same under every policy
        (keyed by issue, attempt and ``key``; see :mod:`simcc.model.draws`)."""
        return self._draws(contact.issue_id, contact.attempt, POLICY_PURPOSE + key)[0]
