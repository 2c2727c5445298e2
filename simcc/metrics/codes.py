"""The code vocabularies of the engine and its records, one enum each.

Records store these codes as small integers (:mod:`simcc.metrics.records`), the engine
compares them on its hot path, and the record frames turn them back into names (the
lower-case member names, in code order). Hot-path modules use the module-level ``int``
aliases, which are plain ints (faster to compare and append than enum members).
"""

from __future__ import annotations

from enum import IntEnum


class Outcome(IntEnum):
    """How a contact ended: answered by an agent; left the queue; refused because the
    queue was full; still waiting when no agent could ever take it (end of the drain);
    arrived while its live channel was closed; resolved by self-service; no callback
    attempt reached the customer; took the routing's offer of another channel."""

    HANDLED = 0
    ABANDONED = 1
    BLOCKED = 2
    UNSERVED = 3
    CLOSED = 4
    CONTAINED = 5
    CALLBACK_FAILED = 6
    DEFLECTED = 7


class ContactKind(IntEnum):
    """What a contact is to its issue: the issue's first contact; a retrial after
    abandonment, blocking or a closed channel; a repeat contact of an issue an agent left
    unresolved; the contact on another channel of a customer who took the routing's
    offer of that channel."""

    FIRST = 0
    RETRIAL = 1
    REPEAT = 2
    DEFLECTION = 3


class LegKind(IntEnum):
    """A leg is a conversation with the customer, or a callback attempt that failed to
    reach the customer."""

    CONVERSATION = 0
    ATTEMPT = 1


class JourneyEvent(IntEnum):
    """Journey events of a contact: entered self-service; was offered a callback;
    accepted it; a callback attempt reached the customer; a leg ended in a transfer
    because the agent lacked the skill; a leg ended in an escalation; the routing offered
    another channel; the routing offered self-service (accepting it logs
    ``SELF_SERVICE``)."""

    SELF_SERVICE = 0
    CALLBACK_OFFERED = 1
    CALLBACK_ACCEPTED = 2
    CALLBACK_CONNECTED = 3
    MISROUTED = 4
    ESCALATED = 5
    OFFERED_CHANNEL = 6
    OFFERED_SELF_SERVICE = 7


class Draw(IntEnum):
    """Positions of a contact's uniforms in its counter-based draw of purpose 0
    (:mod:`simcc.model.draws`): one per random decision of its journey."""

    PATIENCE = 0
    HANDLE = 1
    RESOLUTION = 2
    WRAP = 3
    CONTAIN = 4
    SELF_SERVICE = 5
    MISROUTE = 6
    ESCALATE = 7
    CALLBACK_ACCEPT = 8
    FOLLOW = 9
    FOLLOW_DELAY = 10
    FOLLOW_CHANNEL = 11
    EXPLAIN = 12
    MISROUTE_TIME = 13
    OFFER_ACCEPT = 14


def names(codes: type[IntEnum]) -> tuple[str, ...]:
    """The names of an enum's codes in code order, lower case (``"callback_failed"``)."""
    return tuple(member.name.lower() for member in sorted(codes))
