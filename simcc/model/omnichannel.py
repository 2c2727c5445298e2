"""The dispatcher of scenarios with customer journeys.

:class:`JourneyCenter` extends the plain :class:`~simcc.model.center.Center` (whose lean
hot path serves scenarios without journeys) with the calls into
:class:`~simcc.model.journeys.Journeys` and with concurrency: an agent may hold several
conversations of one channel and stays available (in a spare-capacity pool) until it
holds as many as the channel allows.
"""

from __future__ import annotations

from simpy.events import Event

from simcc.errors import ModelError
from simcc.metrics.records import CONVERSATION
from simcc.model.center import Center
from simcc.model.entities import BUSY, IDLE, IN_SERVICE, Agent, Contact
from simcc.routing.protocol import QUEUE, Entry


class JourneyCenter(Center):
    """A center whose contacts have journeys (``self.journeys`` is set)."""

    def on_arrival(self, event: Event) -> None:
        """Arrival event callback: the journey's entry steps, then routing."""
        contact = event._value
        now = self.env._now  # the clock behind SimPy's `now` property, read directly: hot path
        if self.journeys.admit(contact, now):
            self.route(contact, now)
        # else: closed, in self-service or held until opening; journeys go on later

    def route(self, contact: Contact, now: float, place_s: float | None = None) -> None:
        """A new contact reaches routing: the policy's entry decision (once per contact),
        then an available agent at once, a callback, or the queue with its place at
        ``place_s`` (default: now)."""
        if self._entry_hook and not contact.entered:
            contact.entered = True
            decision = self.policy.on_entry(contact, self.view)
            if decision is not None and decision != QUEUE:
                if not isinstance(decision, Entry):
                    raise ModelError(f"policy {self.policy.name}: unknown entry decision "
                                     f"{decision!r} (give 'queue' or an Entry)")
                if self.journeys.enter(contact, decision, now):
                    return  # the customer took an offer
        contact.queued_s = now if place_s is None else place_s
        if self._to_agent(contact, now) or self.journeys.offer_callback(contact, now):
            return
        if not self._has_room(contact):
            self._block(contact, now)
            return
        self.enqueue(contact, now)

    def requeue(self, contact: Contact, now: float, place_s: float | None = None) -> None:
        """A transferred or called-back contact waits again, off the line (no patience, no
        capacity limit, no entry decision); ``place_s``: keep that place in the queue."""
        contact.queued_s = now if place_s is None else place_s
        if not self._to_agent(contact, now):
            self.enqueue(contact, now, in_place=place_s is not None)

    def _to_agent(self, contact: Contact, now: float) -> bool:
        """Give ``contact`` to an available agent the policy picks; False if none."""
        pools = contact.route.pools
        for pool in pools:
            if pool.count:
                agent = self._available_agent(contact, pools)
                if agent is None:
                    return False
                self._start(agent, contact, now)
                return True
        return False

    def _start(self, agent: Agent, contact: Contact, now: float) -> None:
        """``agent`` takes ``contact``, then stays available if it has room for more."""
        self._answer(agent, contact, now)
        self._park(agent, now)

    def _answer(self, agent: Agent, contact: Contact, now: float) -> None:
        """``agent`` (out of its pools) starts a leg of ``contact``, planned by the journey."""
        group = agent.group_ref
        contact.state = IN_SERVICE
        contact.agent = agent
        agent.state = BUSY
        agent.load += 1
        agent.channel = contact.channel
        handle, resolved, kind = self.journeys.plan_leg(contact, agent, now)
        wrap = 0.0
        if kind == CONVERSATION:
            contact.answered = True
            contact.handled_by = agent.name
            wrap = group.wrap_up_s(contact)
        self.record_leg(agent, contact, now, handle, wrap, resolved, kind)

    def _on_done(self, event: Event) -> None:
        """A leg ended: the contact's journey goes on; the agent takes more work, or
        leaves when its shift is over and its last conversation ended."""
        contact = event._value
        agent = contact.agent
        contact.agent = None
        agent.load -= 1
        self.journeys.after_leg(contact, self.env._now)
        if agent.pool is not None:  # it had spare capacity
            agent.pool.discard(agent)
        if not agent.leaving:
            self.agent_free(agent)
        elif agent.load == 0:
            agent.leaving = False
            self._log_out(agent)

    def agent_free(self, agent: Agent) -> None:
        """The agent (in no pool) has room: it takes waiting contacts while it can (only
        its current channel's while it holds conversations), then becomes available."""
        now = self.env._now  # the clock behind SimPy's `now` property, read directly: hot path
        group = agent.group_ref
        while agent.load == 0 or agent.load < group.capacity[agent.channel]:
            queues = group.queues if agent.load == 0 else group.channel_queues[agent.channel]
            contact = self._pick_contact(agent, queues)
            if contact is None:
                break
            contact.queue.discard(contact)
            contact.route.channel_state.waiting -= 1
            self._answer(agent, contact, now)
        self._park(agent, now)

    def _park(self, agent: Agent, now: float) -> None:
        """Put an agent that may take more work in its idle or spare-capacity pool, at
        the back of the line: its place is now, the last time it took or finished a
        conversation (docs/routing.md, agent_selection)."""
        group = agent.group_ref
        if agent.load == 0:
            agent.state = IDLE
            agent.idle_since_s = now
            group.pool.push(agent)
        elif agent.load < group.capacity[agent.channel]:
            agent.idle_since_s = now
            group.spare[agent.channel].push(agent)

