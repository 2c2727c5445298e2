"""Customer journeys around the dispatcher: opening hours, self-service, callbacks,
transfers, retrials, repeat contacts and concurrency (docs/journeys.md).

:class:`Journeys` is called by the :class:`~simcc.model.center.Center` at fixed points:
``admit`` when a contact arrives, ``offer_callback`` when no agent is available,
``plan_leg`` when an agent answers, ``after_leg`` when a leg ends and ``after_failure``
when a live contact abandons, is blocked or finds the channel closed. Every random
decision of a contact comes from its counter-based draws (:mod:`simcc.model.draws`), so
the same customer decides the same way under every routing policy.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from simpy.events import Event

from simcc.dists import Sampler
from simcc.errors import ModelError
from simcc.metrics.records import (
    ATTEMPT,
    CALLBACK_ACCEPTED,
    CALLBACK_CONNECTED,
    CALLBACK_FAILED,
    CALLBACK_OFFERED,
    CLOSED,
    CONTAINED,
    CONVERSATION,
    DEFLECTED,
    ESCALATED,
    MISROUTED,
    OFFERED_CHANNEL,
    OFFERED_SELF_SERVICE,
    SELF_SERVICE,
    Records,
)
from simcc.model import draws as d
from simcc.model.entities import DEFLECTION, DONE, NEW, REPEAT, RETRIAL, Agent, Contact
from simcc.model.events import Call
from simcc.routing import protocol as routing
from simcc.scenario.schema import Scenario
from simcc.units import DAY

if TYPE_CHECKING:
    from simcc.model.omnichannel import JourneyCenter
    from simcc.model.plan import Plan

DEFAULT_MAX_CONTACTS = 10
"""Contacts per issue at most, when the scenario has no ``repeats`` section."""


def needs_journeys(scenario: Scenario) -> bool:
    """Whether ``scenario`` uses any behaviour beyond the plain queueing model."""
    channels = scenario.channels.values()
    return (scenario.repeats is not None
            or any(ch.asynchronous or ch.concurrency > 1 or ch.hours or ch.retrial
                   or ch.callback or (ch.self_service and ch.self_service.mode == "always")
                   for ch in channels)
            or any(i.misroute > 0 or i.escalation for i in scenario.intents.values()))


def _quantile(sampler: Sampler | None, u: float) -> float:
    return 0.0 if sampler is None else sampler.quantile(u)


class Journeys:
    """Journey decisions of one replication (see the module docstring)."""

    def __init__(self, plan: Plan, center: JourneyCenter, generator: np.random.Generator,
                 records: Records):
        scenario = plan.scenario
        self.center = center
        self.env = center.env
        self.draws = d.ContactDraws(generator)
        self.clock0 = scenario.horizon.start
        self.channels = scenario.channels
        self.intents = scenario.intents
        self.segments = scenario.segments
        self.transfers = scenario.transfers
        self.repeats = scenario.repeats
        self.max_contacts = (scenario.repeats.max_contacts if scenario.repeats
                             else DEFAULT_MAX_CONTACTS)
        self._callback = plan.callbacks
        self._samplers = plan.samplers
        self._contacts = plan.contacts
        self._others = {(channel, skill): [s for (c, s) in center.routes if c == channel
                                           and s != skill]
                        for (channel, skill) in center.routes}
        self._switch = {source: (list(shares), np.cumsum(list(shares.values())))
                        for source, shares in (scenario.repeats.switch if scenario.repeats
                                               else {}).items()}
        self._codes = plan.vocabulary.codes
        self._followup = records.followups.appenders()
        self._event_row = records.events.appenders()

    def _u(self, contact: Contact) -> list[float]:
        if contact.draws is None:
            contact.draws = self.draws(contact.issue_id, contact.attempt)
        return contact.draws

    def _event(self, contact: Contact, code: int, now: float) -> None:
        contact_id, event, time_s = self._event_row
        contact_id(contact.id)
        event(code)
        time_s(now)

    # -- entry ------------------------------------------------------------------------
    def admit(self, contact: Contact, now: float) -> bool:
        """A contact arrives: True when it goes to routing now."""
        hours = self.channels[contact.channel].hours
        if hours is not None:
            until_open = hours.until_open_s((self.clock0 + now) % DAY)
            if until_open > 0:
                if self.channels[contact.channel].asynchronous:
                    Call(self.env, until_open, contact, self._on_open)
                else:
                    contact.state = DONE
                    self.center.record_outcome(contact, CLOSED, 0.0)
                    self.after_failure(contact, now)
                return False
        return self._self_service(contact, now)

    def _on_open(self, event: Event) -> None:
        contact = event._value
        if self._self_service(contact, self.env.now):
            self._route(contact)

    def _self_service(self, contact: Contact, now: float) -> bool:
        spec = self.channels[contact.channel].self_service
        if spec is None or spec.mode == "on_offer":
            self._choose_route(contact)
            return True
        self._start_self_service(contact, now, self._after_self_service)
        return False

    def _start_self_service(self, contact: Contact, now: float,
                            then: Callable[[Event], None]) -> None:
        self._event(contact, SELF_SERVICE, now)
        duration = _quantile(self._samplers.self_service[contact.channel],
                             self._u(contact)[d.SELF_SERVICE])
        Call(self.env, duration, contact, then)

    def _contained(self, contact: Contact) -> bool:
        """Self-service ended: True (and the contact is done) when it solved the issue."""
        containment = self.channels[contact.channel].self_service.containment
        if contact.draws[d.CONTAIN] < containment.get(contact.intent, 0.0):
            contact.state = DONE
            contact.resolved = True
            self.center.record_outcome(contact, CONTAINED, 0.0)
            return True
        return False

    def _after_self_service(self, event: Event) -> None:
        contact = event._value
        if not self._contained(contact):
            self._choose_route(contact)
            self._route(contact)

    def _after_offered_self_service(self, event: Event) -> None:
        contact = event._value
        if not self._contained(contact):
            self._route(contact)

    def _route(self, contact: Contact) -> None:
        """Route a contact after a pause (self-service, closed hours); an asynchronous
        contact keeps its place from its arrival."""
        place = contact.arrival_s if self.channels[contact.channel].asynchronous else None
        self.center.route(contact, self.env.now, place)

    def _choose_route(self, contact: Contact) -> None:
        """Misroute: with the intent's probability the contact is routed for another skill
        of its channel (uniformly among them)."""
        share = self.intents[contact.intent].misroute
        if share <= 0:
            return
        others = self._others.get((contact.channel, contact.need), [])
        u = self._u(contact)[d.MISROUTE]
        if others and u < share:
            skill = others[min(int(u / share * len(others)), len(others) - 1)]
            contact.skill = skill
            contact.route = self.center.routes[contact.channel, skill]

    def offer_callback(self, contact: Contact, now: float) -> bool:
        """No agent is available: offer a callback when the predicted wait exceeds the
        channel's threshold; True when the customer accepts (it then waits off the line)."""
        spec = self.channels[contact.channel].callback
        if (spec is None or contact.offered
                or self.center.view.predicted_wait_s(contact) <= spec.threshold):
            return False
        self._event(contact, CALLBACK_OFFERED, now)
        acceptance = self.segments[contact.segment].callback_acceptance
        if self._u(contact)[d.CALLBACK_ACCEPT] >= (
                spec.acceptance if acceptance is None else acceptance):
            return False
        self._accept_callback(contact, now)
        return True

    def _accept_callback(self, contact: Contact, now: float) -> None:
        """The customer accepted a callback: it waits off the line for it."""
        self._event(contact, CALLBACK_ACCEPTED, now)
        contact.callback = True
        contact.patience_s = math.inf
        spec = self._callback[contact.channel]
        if spec.mode == "keep_place":
            self.center.enqueue(contact, now)
        else:
            contact.state = NEW
            Call(self.env, spec.delay, contact, self._requeue)

    # -- the routing's entry decisions -------------------------------------------------
    def enter(self, contact: Contact, decision: routing.Entry, now: float) -> bool:
        """Apply a policy's :class:`~simcc.routing.protocol.Entry`: route for the detected
        skill, then make the offer. True when the customer takes the offer (the contact
        leaves the queueing path), False when it queues."""
        if decision.skill is not None and decision.skill != contact.skill:
            route = self.center.routes.get((contact.channel, decision.skill))
            if route is None:
                raise self._bad_entry(contact, f"routes it for skill '{decision.skill}', "
                                               f"which no group serves on {contact.channel}")
            contact.skill, contact.route = decision.skill, route
        offer = decision.offer
        if offer is None:
            return False
        contact.offered = True  # one offer per contact: no channel callback offer after it
        accepted = self._u(contact)[d.OFFER_ACCEPT] < decision.acceptance
        if offer == routing.CALLBACK:
            if self.channels[contact.channel].asynchronous:
                raise self._bad_entry(contact, "offers a callback on an asynchronous channel")
            self._event(contact, CALLBACK_OFFERED, now)
            if accepted:
                self._accept_callback(contact, now)
            return accepted
        if offer == routing.SELF_SERVICE:
            spec = self.channels[contact.channel].self_service
            if spec is None or spec.mode != "on_offer":
                raise self._bad_entry(contact, f"offers self-service on {contact.channel}, "
                                               "which has no self_service section with "
                                               "mode: on_offer")
            self._event(contact, OFFERED_SELF_SERVICE, now)
            if accepted:
                self._start_self_service(contact, now, self._after_offered_self_service)
            return accepted
        return self._offer_channel(contact, offer, accepted, now)

    def _offer_channel(self, contact: Contact, channel: str, accepted: bool,
                       now: float) -> bool:
        if (channel, contact.need) not in self.center.routes:
            raise self._bad_entry(contact, f"offers channel '{channel}', where nobody serves "
                                           f"skill '{contact.need}' (or no such channel)")
        self._event(contact, OFFERED_CHANNEL, now)
        if not accepted:
            return False
        contact.state = DONE
        self.center.record_outcome(contact, DEFLECTED, 0.0)
        self._follow_up(contact, DEFLECTION, channel, 0.0, now)
        return True

    def _bad_entry(self, contact: Contact, problem: str) -> ModelError:
        return ModelError(f"policy {self.center.policy.name}: the entry decision for "
                          f"{contact!r} {problem}")

    def _requeue(self, event: Event) -> None:
        self.center.requeue(event._value, self.env.now)

    # -- legs -------------------------------------------------------------------------
    def plan_leg(self, contact: Contact, agent: Agent, now: float) -> tuple[float, bool, int]:
        """``agent`` answers ``contact``: ``(handle_s, resolved, leg kind)`` of the leg;
        a leg that ends in a transfer sets ``contact.transfer_to``."""
        if contact.callback and not self._callback_reaches(contact, now):
            return self._callback[contact.channel].attempt_time, False, ATTEMPT
        group = agent.group_ref
        proficiency = group.skills.get(contact.need, 0.0)
        u = self._u(contact)
        if proficiency == 0.0:
            contact.transfer_to = contact.need
            self._event(contact, MISROUTED, now)
            return _quantile(self._samplers.misroute, u[d.MISROUTE_TIME]), False, CONVERSATION
        channel = self.channels[contact.channel]
        handle = contact.base_handle_s / proficiency
        handle *= 1.0 + channel.concurrency_stretch * (agent.load - 1)
        escalation = self.intents[contact.intent].escalation
        if (escalation is not None and not contact.escalated
                and escalation.to not in group.skills and u[d.ESCALATE] < escalation.probability):
            contact.escalated = True
            contact.transfer_to = escalation.to
            self._event(contact, ESCALATED, now)
            return handle * escalation.after, False, CONVERSATION
        chance = contact.resolution_p * proficiency
        if contact.context_lost:
            contact.context_lost = False
            handle += _quantile(self._samplers.explain, u[d.EXPLAIN])
            chance *= self.transfers.lost_context_resolution
        contact.resolved = contact.resolution_u < chance
        return handle, contact.resolved, CONVERSATION

    def _callback_reaches(self, contact: Contact, now: float) -> bool:
        """One outbound attempt of a callback: True when it reaches the customer."""
        spec = self._callback[contact.channel]
        contact.callback_tries += 1
        if self.draws(contact.issue_id, contact.attempt, contact.callback_tries)[0] >= spec.success:
            contact.failed_attempt = True
            return False
        contact.callback = False
        self._event(contact, CALLBACK_CONNECTED, now)
        return True

    def after_leg(self, contact: Contact, now: float) -> None:
        """A leg ended: transfer, retry a failed callback, or end the contact (an
        unresolved issue may come back as a repeat contact)."""
        if contact.failed_attempt:
            contact.failed_attempt = False
            spec = self._callback[contact.channel]
            if contact.callback_tries < spec.attempts:
                contact.state = NEW
                Call(self.env, spec.retry_after, contact, self._requeue)
                return
            contact.state = DONE
            self.center.record_outcome(contact, CALLBACK_FAILED, 0.0)
            self._maybe_repeat(contact, now)
            return
        if contact.transfer_to is not None:
            self._transfer(contact, now)
            return
        contact.state = DONE
        self.center.mark_ended(contact.id)
        if not contact.resolved:
            self._maybe_repeat(contact, now)

    def _transfer(self, contact: Contact, now: float) -> None:
        skill, contact.transfer_to = contact.transfer_to, None
        contact.need = contact.skill = skill
        contact.route = self.center.routes[contact.channel, skill]
        contact.context_lost = not self.transfers.context
        contact.patience_s = math.inf  # a transferred customer waits for the next agent
        place = contact.queued_s if self.transfers.keep_place else None
        self.center.requeue(contact, now, place)

    # -- follow-up contacts -----------------------------------------------------------
    def after_failure(self, contact: Contact, now: float) -> None:
        """A live contact abandoned, was blocked or found the channel closed: it may
        come back as a retrial."""
        spec = self.channels[contact.channel].retrial
        if spec is None:
            return
        u = self._u(contact)
        if u[d.FOLLOW] < spec.probability:
            delay = _quantile(self._samplers.retrial[contact.channel], u[d.FOLLOW_DELAY])
            self._follow_up(contact, RETRIAL, contact.channel, delay, now)

    def _maybe_repeat(self, contact: Contact, now: float) -> None:
        """An agent (or a failed callback) left the issue unresolved: a repeat contact with
        the repeat probability, if it falls within the window of the issue's start."""
        repeats = self.repeats
        if repeats is None:
            return
        u = self._u(contact)
        if u[d.FOLLOW] >= repeats.probability:
            return
        delay = _quantile(self._samplers.repeat, u[d.FOLLOW_DELAY])
        start = contact.arrival_s if contact.issue_start_s is None else contact.issue_start_s
        if now + delay - start > repeats.window:
            return
        channel = contact.channel
        if channel in self._switch:
            names, cdf = self._switch[channel]
            channel = names[min(int(np.searchsorted(cdf, u[d.FOLLOW_CHANNEL] * cdf[-1],
                                                    side="right")), len(names) - 1)]
        self._follow_up(contact, REPEAT, channel, delay, now)

    def _follow_up(self, prev: Contact, kind: int, channel: str, delay: float,
                   now: float) -> None:
        """Schedule the issue's next contact, ``delay`` seconds from now."""
        attempt = prev.attempt + 1
        if attempt >= self.max_contacts:
            return
        u = self.draws(prev.issue_id, attempt)
        contact = self._contacts.later_contact(prev, attempt, kind, channel, now + delay, u,
                                               self.center.routes)
        self._record_followup(contact)
        Call(self.env, delay, contact, self.center.on_arrival)

    def _record_followup(self, contact: Contact) -> None:
        codes = self._codes
        values = (contact.id, contact.issue_id, codes["channel"][contact.channel],
                  codes["intent"][contact.intent], codes["segment"][contact.segment],
                  contact.priority, contact.arrival_s, contact.kind)
        for append, value in zip(self._followup, values, strict=True):
            append(value)
