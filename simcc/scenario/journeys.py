"""Scenario sections for customer journeys: opening hours, self-service, retrials,
callbacks, transfers and repeat contacts (see docs/journeys.md for the semantics)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from simcc.scenario.types import (
    MAX_NAME_CHARS,
    ClockTime,
    Duration,
    DurationSpec,
    Probability,
    Share,
    Spec,
)
from simcc.units import DAY, HOUR, MINUTE


class Hours(Spec):
    """Daily opening hours, clock times; ``close`` before ``open`` crosses midnight."""

    open: ClockTime
    close: ClockTime

    @model_validator(mode="after")
    def _not_empty(self) -> Hours:
        if self.open % DAY == self.close % DAY:
            raise ValueError("open and close must differ")
        return self

    def is_open(self, clock_s: float) -> bool:
        """Whether the channel is open at clock time ``clock_s`` (seconds, any day)."""
        return (clock_s - self.open) % DAY < (self.close - self.open) % DAY

    def until_open_s(self, clock_s: float) -> float:
        """Seconds from clock time ``clock_s`` to the next opening (0 when open)."""
        return 0.0 if self.is_open(clock_s) else (self.open - clock_s) % DAY


class SelfService(Spec):
    """An IVR, bot or self-service step of the channel.

    ``mode``: ``always``, every contact goes through it first; ``on_offer``, only
    contacts whose customer takes the routing policy's offer of it (docs/routing.md).
    ``containment``: per intent, the probability that self-service resolves the contact
    without an agent (intents not listed: 0).
    """

    mode: Literal["always", "on_offer"] = "always"
    duration: DurationSpec = Field(default=60.0, description="time spent in self-service")
    containment: dict[str, Probability] = Field(default_factory=dict,
                                                description="intent -> probability")


class Retrial(Spec):
    """A live contact that abandoned, was blocked or arrived while closed comes back
    (a new contact of the same issue, same channel) with ``probability`` after ``delay``."""

    probability: Probability
    delay: DurationSpec = Field(default=10 * MINUTE)


class Callback(Spec):
    """Callback offers on a live channel.

    A contact whose predicted wait at entry exceeds ``threshold`` is offered a callback and
    accepts with ``acceptance`` (a segment's ``callback_acceptance`` overrides it).
    ``keep_place``: the contact keeps its place in the queue without waiting on the line
    and is called when it would have reached an agent; ``scheduled``: it re-enters the
    queue ``delay`` after acceptance. Each outbound attempt reaches the customer with
    ``success``; a failed attempt costs the agent ``attempt_time`` and is retried
    ``retry_after`` later, at most ``attempts`` attempts in all.
    """

    threshold: Duration
    acceptance: Probability = 0.5
    mode: Literal["keep_place", "scheduled"] = "keep_place"
    delay: Duration = Field(default=HOUR, description="scheduled mode: time to the callback")
    success: Probability = 0.8
    attempts: int = Field(default=3, ge=1)
    retry_after: Duration = 15 * MINUTE
    attempt_time: Duration = 30.0


class Escalation(Spec):
    """Tier 1 -> tier 2: with ``probability`` an agent who lacks skill ``to`` transfers the
    contact to it after ``after`` (a share) of the handle time."""

    probability: Probability
    to: str = Field(min_length=1, max_length=MAX_NAME_CHARS,
                    description="the skill that takes escalated contacts")
    after: float = Field(default=0.5, gt=0, le=1)


class Transfers(Spec):
    """How transfers (misroutes and escalations) behave.

    ``keep_place``: a transferred contact is queued by the time it first queued (ahead of
    later contacts of its priority); otherwise at the back. Without ``context`` the next
    agent spends ``explain_time`` more and resolves with probability multiplied by
    ``lost_context_resolution``. ``misroute_time``: how long an agent without the needed
    skill talks before transferring.
    """

    keep_place: bool = True
    context: bool = True
    explain_time: DurationSpec = 60.0
    lost_context_resolution: Probability = 0.85
    misroute_time: DurationSpec = 60.0


class Repeats(Spec):
    """Repeat contacts: an issue left unresolved by an agent (or by a failed callback)
    comes back with ``probability`` after ``delay`` on a channel drawn from ``switch``
    (from channel -> shares of next channels; a channel not listed: the same channel),
    while within ``window`` of the issue's first contact (the FCR window) and up to
    ``max_contacts`` contacts per issue."""

    probability: Probability
    delay: DurationSpec = Field(default=DAY)
    window: Duration = Field(default=7 * DAY, gt=0)
    switch: dict[str, dict[str, Share]] = Field(default_factory=dict)
    max_contacts: int = Field(default=10, ge=2)
