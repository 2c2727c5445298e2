"""The one place contacts are made: first contacts from arrival batches, and the later
contacts of an issue (retrials, repeats, deflections) from their draws."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from simcc.model import draws as d
from simcc.model.demand import ArrivalBatch
from simcc.model.entities import Contact
from simcc.scenario.schema import Scenario

if TYPE_CHECKING:
    from simcc.model.center import Route
    from simcc.model.plan import Samplers, Vocabulary

ID_STRIDE = 1 << 40
"""Contact ids of later contacts: ``issue_id + attempt * ID_STRIDE`` (first contacts are
numbered 0, 1, ... in order of arrival)."""

Routes = Mapping[tuple[str, str], "Route"]
"""The replication's route objects by (channel, skill)."""


class ContactFactory:
    """Makes :class:`~simcc.model.entities.Contact` objects of one scenario."""

    def __init__(self, scenario: Scenario, vocabulary: Vocabulary, samplers: Samplers):
        self._names = {kind: np.asarray(names, dtype=object)
                       for kind, names in vocabulary.categories().items()}
        intents = scenario.intents
        self._skill = np.asarray([i.skill for i in intents.values()], dtype=object)
        self._resolution = np.asarray([i.resolution for i in intents.values()])
        self._resolution_factor = np.asarray(
            [ch.resolution_factor for ch in scenario.channels.values()])
        self._priority = np.asarray([s.priority for s in scenario.segments.values()])
        self._intents, self._channels = intents, scenario.channels
        self._patience_factor = {name: s.patience_factor
                                 for name, s in scenario.segments.items()}
        self._samplers = samplers

    def priorities(self, segment: np.ndarray) -> np.ndarray:
        """The priority of each segment code."""
        return self._priority[segment]

    def first_contacts(self, batch: ArrivalBatch, first_id: int,
                       routes: Routes) -> list[Contact]:
        """The first contacts of a batch of arrivals, numbered from ``first_id``."""
        names, skill = self._names, self._skill[batch.intent].tolist()
        channel = names["channel"][batch.channel].tolist()
        route = [routes[key] for key in zip(channel, skill, strict=True)]
        resolution = self._resolution[batch.intent] * self._resolution_factor[batch.channel]
        contacts = list(map(
            Contact, range(first_id, first_id + len(batch)), channel,
            names["intent"][batch.intent].tolist(), skill,
            names["segment"][batch.segment].tolist(), self._priority[batch.segment].tolist(),
            batch.time_s.tolist(), batch.patience_s.tolist(), batch.base_handle_s.tolist(),
            resolution.tolist(), batch.resolution_u.tolist(), batch.wrap_u.tolist(), route))
        if batch.acw_s is not None:
            for k in np.flatnonzero(~np.isnan(batch.acw_s)).tolist():
                contacts[k].acw_s = float(batch.acw_s[k])
        return contacts

    def later_contact(self, prev: Contact, attempt: int, kind: int, channel: str,
                      arrival_s: float, u: list[float], routes: Routes) -> Contact:
        """Contact ``attempt`` (1, 2, ...) of the issue of ``prev``, of ``kind``, arriving
        on ``channel`` at ``arrival_s``, with its draws ``u`` (purpose 0)."""
        intent = self._intents[prev.intent]
        patience = self._samplers.patience[channel]
        patience_s = (math.inf if patience is None else
                      patience.quantile(u[d.PATIENCE]) * self._patience_factor[prev.segment])
        contact = Contact(
            prev.issue_id + attempt * ID_STRIDE, channel, prev.intent, intent.skill,
            prev.segment, prev.priority, arrival_s, patience_s,
            self._samplers.handle[prev.intent].quantile(u[d.HANDLE]),
            intent.resolution * self._channels[channel].resolution_factor, u[d.RESOLUTION],
            u[d.WRAP], routes[channel, intent.skill])
        contact.issue_id, contact.attempt, contact.kind = prev.issue_id, attempt, kind
        contact.previous_agent = prev.handled_by or prev.previous_agent
        contact.issue_start_s = prev.arrival_s if prev.issue_start_s is None else prev.issue_start_s
        contact.draws = u
        return contact
