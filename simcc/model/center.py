"""The dispatcher: contacts meet agents through the routing policy.

Event handling uses lean SimPy timeouts with callbacks
(:class:`~simcc.model.events.Call`; no generator processes, no condition events) on the
hot path. Patience is handled by one *abandonment timer*: deadlines sit in a heap and a
single timeout is armed for the earliest live one, so a contact that is answered before
its patience runs out costs no event at all.

Simultaneous events: SimPy processes events at the same instant in the order they were
scheduled. In addition, before any routing decision at time ``t`` every contact whose
patience ends at or before ``t`` abandons; so a contact whose patience runs out at the
very instant an agent frees up has abandoned (the agent does not take it).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import simpy
from simpy.events import Event

from simcc.errors import ModelError
from simcc.metrics.records import ABANDONED, BLOCKED, UNSERVED, Records
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
    WaitQueue,
)
from simcc.model.events import Call
from simcc.routing.protocol import QUEUE, RoutingPolicy


class ChannelState:
    """Live per-channel counters."""

    __slots__ = ("name", "capacity", "waiting")

    def __init__(self, name: str, capacity: int | None):
        self.name, self.capacity = name, capacity
        self.waiting = 0


class Route:
    """Where contacts of one (channel, skill) wait and who may answer them."""

    __slots__ = ("channel", "skill", "channel_state", "pools", "queues", "mean_handle_s")

    def __init__(self, channel_state: ChannelState, skill: str, groups: Sequence[Group],
                 queues: dict[int, WaitQueue], mean_handle_s: float):
        self.channel, self.skill = channel_state.name, skill
        self.channel_state = channel_state
        # Eligible idle pools, most proficient group first (stable in scenario order).
        ordered = sorted(groups, key=lambda g: -g.proficiency(skill))
        self.pools = [g.pool for g in ordered]
        self.queues = queues
        self.mean_handle_s = mean_handle_s


class Center:
    """The contact center of one replication: queues, idle agents and the policy."""

    def __init__(self, env: simpy.Environment, routes: dict[tuple[str, str], Route],
                 channels: dict[str, ChannelState], groups: dict[str, Group],
                 policy: RoutingPolicy, tiebreak: np.random.Generator, records: Records):
        self.env = env
        self.routes = routes
        self.channels = channels
        self.groups = groups
        self.policy = policy
        self.records = records
        self.view = CenterView(self, tiebreak)
        self._deadlines: list[tuple[float, int, Contact]] = []
        self._timer_at: float | None = None
        self._out_id, self._out_code, self._out_wait = records.outcomes.appenders()
        (self._leg_id, self._leg_agent, self._leg_queued, self._leg_answered,
         self._leg_handle, self._leg_wrap, self._leg_resolved) = records.legs.appenders()
        # Skip the entry hook when the policy keeps the default (every contact queues).
        self._entry_hook = type(policy).on_entry is not RoutingPolicy.on_entry

    # -- contacts ---------------------------------------------------------------------
    def on_arrival(self, event: Event) -> None:
        """Arrival event callback (the event's value is the contact): entry decision,
        then an idle agent at once or the queue."""
        contact = event._value
        now = self.env._now  # the clock behind SimPy's `now` property, read directly: hot path
        heap = self._deadlines
        if heap and heap[0][0] <= now:
            self._expire_patience()
        policy = self.policy
        if self._entry_hook:
            decision = policy.on_entry(contact, self.view)
            if decision is not None and decision != QUEUE:
                raise ModelError(f"policy {policy.name}: unknown entry decision {decision!r}")
        route = contact.route
        pools = route.pools
        for pool in pools:
            if pool.count:
                agent = policy.select_agent(contact, pools, self.view)
                if agent is not None:
                    if agent.state is not IDLE or agent.group_ref.pool not in pools:
                        self._reject_agent(agent, contact)
                    agent.state = BUSY
                    agent.group_ref.pool.discard(agent)
                    self._answer(agent, contact, now)
                    return
                break
        self._enqueue(contact, route, now)

    def _enqueue(self, contact: Contact, route: Route, now: float) -> None:
        channel = route.channel_state
        if channel.capacity is not None and channel.waiting >= channel.capacity:
            contact.state = DONE
            self._record_outcome(contact, BLOCKED, 0.0)
            return
        contact.state = WAITING
        contact.queued_s = now
        route.queues[contact.priority].push(contact)
        channel.waiting += 1
        if contact.patience_s != math.inf:
            deadline = now + contact.patience_s
            contact.deadline_s = deadline
            heapq.heappush(self._deadlines, (deadline, contact.id, contact))
            if self._timer_at is None or deadline < self._timer_at:
                self._arm_timer(deadline)

    def _answer(self, agent: Agent, contact: Contact, now: float) -> None:
        """Busy agent ``agent`` starts on ``contact`` at ``now``: one leg, one completion.

        The leg row also carries the resolution; unanswered contacts get an outcome row.
        """
        group = agent.group_ref
        contact.state = IN_SERVICE
        proficiency = group.skills[contact.skill]
        handle = contact.base_handle_s / proficiency
        wrap = 0.0 if group.wrap_up is None else group.wrap_up.quantile(contact.wrap_u)
        self._leg_id(contact.id)
        self._leg_agent(agent.index)
        self._leg_queued(contact.queued_s)
        self._leg_answered(now)
        self._leg_handle(handle)
        self._leg_wrap(wrap)
        self._leg_resolved(contact.resolution_u < contact.resolution_p * proficiency)
        agent.contact = contact
        Call(self.env, handle + wrap, agent, self._on_done)

    def _record_outcome(self, contact: Contact, outcome: int, wait: float) -> None:
        """Record the outcome of a contact that no agent answered."""
        self._out_id(contact.id)
        self._out_code(outcome)
        self._out_wait(wait)

    # -- patience ---------------------------------------------------------------------
    def _arm_timer(self, at: float) -> None:
        self._timer_at = at
        Call(self.env, max(at - self.env.now, 0.0), None, self._on_timer)

    def _on_timer(self, _event: Any) -> None:
        if self._timer_at is not None and self._timer_at <= self.env.now:
            self._timer_at = None
        self._expire_patience()
        heap = self._deadlines
        while heap and heap[0][2].state is not WAITING:
            heapq.heappop(heap)
        if heap and (self._timer_at is None or heap[0][0] < self._timer_at):
            self._arm_timer(heap[0][0])

    def _expire_patience(self) -> None:
        """Every waiting contact whose patience ended at or before now abandons."""
        heap = self._deadlines
        now = self.env._now  # the clock behind SimPy's `now` property, read directly: hot path
        while heap and heap[0][0] <= now:
            deadline, _, contact = heapq.heappop(heap)
            if contact.state is WAITING and contact.deadline_s == deadline:
                self._abandon(contact)

    def _abandon(self, contact: Contact) -> None:
        contact.state = DONE
        contact.queue.discard(contact)
        contact.route.channel_state.waiting -= 1
        self._record_outcome(contact, ABANDONED, contact.deadline_s - contact.queued_s)

    # -- agents -----------------------------------------------------------------------
    def _on_done(self, event: Event) -> None:
        """Completion: the agent (the event's value) finished handling and wrap-up."""
        agent = event._value
        agent.contact = None
        if agent.leaving:
            agent.leaving = False
            agent.state = OFF
            self._close_session(agent)
        else:
            self.agent_free(agent)

    def agent_free(self, agent: Agent) -> None:
        """The agent has capacity: take a waiting contact or become idle."""
        now = self.env._now  # the clock behind SimPy's `now` property, read directly: hot path
        heap = self._deadlines
        if heap and heap[0][0] <= now:
            self._expire_patience()
        group = agent.group_ref
        for queue in group.queues:
            if queue.count:
                contact = self.policy.select_contact(agent, group.queues, self.view)
                if contact is not None:
                    if contact.state is not WAITING or contact.queue not in group.queues:
                        self._reject_contact(agent, contact)
                    contact.queue.discard(contact)
                    contact.route.channel_state.waiting -= 1
                    agent.state = BUSY
                    self._answer(agent, contact, now)
                    return
                break
        agent.state = IDLE
        agent.idle_since_s = now
        group.pool.push(agent)

    def log_on(self, agent: Agent) -> None:
        """The agent's shift starts."""
        if agent.leaving:  # still finishing the previous shift's contact
            agent.leaving = False
            return
        if agent.state is not OFF:
            raise ModelError(f"agent {agent.name} logs on twice")
        agent.logon_s = self.env.now
        self.agent_free(agent)

    def log_off(self, agent: Agent) -> None:
        """The agent's shift ends; a busy agent first finishes the contact in hand."""
        if agent.state is BUSY:
            agent.leaving = True
        elif agent.state is IDLE:
            agent.state = OFF
            agent.group_ref.pool.discard(agent)
            self._close_session(agent)

    def _close_session(self, agent: Agent) -> None:
        index, start, end = self.records.sessions.appenders()
        index(agent.index)
        start(agent.logon_s)
        end(self.env.now)

    # -- broken policy decisions ------------------------------------------------------
    def _reject_agent(self, agent: Agent, contact: Contact) -> None:
        raise ModelError(f"policy {self.policy.name} chose {agent!r} for {contact!r}: "
                         "not an idle agent eligible for its channel and skill")

    def _reject_contact(self, agent: Agent, contact: Contact) -> None:
        raise ModelError(f"policy {self.policy.name} gave {contact!r} to {agent!r}: "
                         "not a waiting contact of a queue the agent serves")

    # -- end of run -------------------------------------------------------------------
    def finish(self) -> None:
        """After the drain: contacts nobody could take are unserved; sessions close."""
        self._expire_patience()
        for route in self.routes.values():
            for queue in route.queues.values():
                for contact in list(queue):
                    contact.state = DONE
                    self._record_outcome(contact, UNSERVED, self.env.now - contact.queued_s)
        for group in self.groups.values():
            for agent in group.agents:
                if agent.state is not OFF:
                    self._close_session(agent)


class CenterView:
    """Read-only view of the center handed to routing policies."""

    def __init__(self, center: Center, rng: np.random.Generator):
        self._center = center
        self.rng = rng

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
        return sum(a.state is not OFF for a in self._center.groups[group].agents)

    def predicted_wait_s(self, contact: Contact) -> float:
        """Predicted wait of ``contact`` if it joined its queue now, seconds.

        ``(contacts waiting ahead at the same or higher priority + 1) x mean handle time
        of the skill / agents logged in that can take it``; 0 when an eligible agent is
        idle, infinite when nobody eligible is logged in.
        """
        route = self._center.routes[contact.channel, contact.skill]
        if any(pool.count for pool in route.pools):
            return 0.0
        staffed = sum(self.staffed(pool.group) for pool in route.pools)
        if staffed == 0:
            return math.inf
        ahead = sum(q.count for p, q in route.queues.items() if p >= contact.priority)
        return (ahead + 1) * route.mean_handle_s / staffed
