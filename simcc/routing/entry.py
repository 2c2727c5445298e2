"""Entry rules of the built-in policies: intent detection and offers at entry.

Both are parameters of every built-in policy (``routing.params``):

``detection``
    The contact's intent is detected at entry (IVR menu, NLU model or bot) with a given
    accuracy: ``0.85`` for every intent, or ``{default: 0.85, roaming: 0.6}``. A wrong
    detection routes the contact for another skill of its channel, chosen uniformly; an
    agent lacking the needed skill then transfers it (``transfers`` in the scenario).
    Whether a contact is detected correctly is the contact's own draw: at a higher
    accuracy every contact detected correctly before still is (common random numbers).

``offers``
    A list of rules, the first that matches a contact applies::

        offers:
          - offer: callback          # callback | self_service | another channel's name
            when_wait_over: 2m       # the predicted wait exceeds this (default 0)
            acceptance: 0.6          # the customer accepts with this probability
            channels: [voice]        # optional filters: channels, segments, intents
            segments: [bronze]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from simcc.routing.protocol import CenterViewLike, ContactLike, Entry
from simcc.units import parse_duration

DETECT_KEY, CONFUSE_KEY = 0, 1
"""Keys of the contact uniforms used by detection (see ``view.contact_uniform``)."""
_RULE_KEYS = {"offer", "when_wait_over", "acceptance", "channels", "segments", "intents"}


@dataclass(frozen=True)
class Detection:
    """Intent detection at entry with an accuracy per intent (``default`` for others)."""

    accuracy: Mapping[str, float]
    default: float

    @classmethod
    def parse(cls, value: Any) -> Detection:
        """From ``0.9`` or ``{default: 0.9, intent: accuracy, ...}``."""
        if isinstance(value, Mapping):
            table = {str(k): _probability(v, f"detection.{k}") for k, v in value.items()}
            return cls(table, table.pop("default", 1.0))
        return cls({}, _probability(value, "detection"))

    def skill(self, contact: ContactLike, view: CenterViewLike) -> str:
        """The skill the contact is routed for: its own when detected correctly, else
        another skill of its channel (uniformly)."""
        accuracy = self.accuracy.get(contact.intent, self.default)
        if view.contact_uniform(contact, DETECT_KEY) < accuracy:
            return contact.skill
        others = [s for s in view.skills(contact.channel) if s != contact.skill]
        if not others:
            return contact.skill
        u = view.contact_uniform(contact, CONFUSE_KEY)
        return others[min(int(u * len(others)), len(others) - 1)]


@dataclass(frozen=True)
class OfferRule:
    """Offer ``offer`` with ``acceptance`` to matching contacts whose predicted wait
    exceeds ``when_wait_over_s`` seconds."""

    offer: str
    when_wait_over_s: float = 0.0
    acceptance: float = 1.0
    channels: frozenset[str] | None = None
    segments: frozenset[str] | None = None
    intents: frozenset[str] | None = None

    @classmethod
    def parse(cls, value: Any, where: str) -> OfferRule:
        """From one mapping of ``offers``."""
        if not isinstance(value, Mapping) or "offer" not in value:
            raise ValueError(f"{where}: give a mapping with 'offer' (callback, self_service "
                             "or a channel)")
        unknown = set(value) - _RULE_KEYS
        if unknown:
            raise ValueError(f"{where}: unknown keys {', '.join(sorted(unknown))}")

        def names(key: str) -> frozenset[str] | None:
            given = value.get(key)
            if given is None:
                return None
            return frozenset([given] if isinstance(given, str) else map(str, given))

        return cls(str(value["offer"]), parse_duration(value.get("when_wait_over", 0)),
                   _probability(value.get("acceptance", 1.0), f"{where}.acceptance"),
                   names("channels"), names("segments"), names("intents"))

    def matches(self, contact: ContactLike) -> bool:
        """Whether the rule's filters select ``contact`` (not its wait)."""
        return ((self.channels is None or contact.channel in self.channels)
                and (self.segments is None or contact.segment in self.segments)
                and (self.intents is None or contact.intent in self.intents)
                and self.offer != contact.channel)


class EntryRules:
    """Detection and offers of one policy: the :class:`Entry` for an arriving contact."""

    def __init__(self, detection: Any = None, offers: Any = None):
        self.detection = None if detection is None else Detection.parse(detection)
        if offers is not None and not isinstance(offers, list | tuple):
            raise ValueError("offers: give a list of rules")
        self.offers = [OfferRule.parse(rule, f"offers[{i}]")
                       for i, rule in enumerate(offers or ())]

    def __bool__(self) -> bool:
        return self.detection is not None or bool(self.offers)

    def decide(self, contact: ContactLike, view: CenterViewLike) -> Entry | None:
        """The entry decision for ``contact``, None to queue it as it is."""
        skill = None
        if self.detection is not None:
            detected = self.detection.skill(contact, view)
            if detected != contact.skill:
                skill = detected
        rule = self._offer(contact, view, skill)
        if skill is None and rule is None:
            return None
        return Entry(skill=skill, offer=rule.offer if rule else None,
                     acceptance=rule.acceptance if rule else 1.0)

    def _offer(self, contact: ContactLike, view: CenterViewLike,
               skill: str | None) -> OfferRule | None:
        matching = [rule for rule in self.offers if rule.matches(contact)]
        if not matching:
            return None
        wait = view.predicted_wait_s(contact, skill)
        return next((rule for rule in matching if wait > rule.when_wait_over_s), None)


def _probability(value: Any, where: str) -> float:
    try:
        p = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: {value!r} is not a probability") from None
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{where}: {p} is not a probability in [0, 1]")
    return p
