"""The ``outcomes:`` section: an optional, assumption-laden model of customer and
business outcomes (satisfaction, effort, disloyalty, value at risk) computed per issue
from its journey. The formulas, the sources of the defaults and their caveats are in
docs/outcomes.md; :mod:`simcc.metrics.outcomes` computes them.

Every coefficient can be set; a factor of 1, a weight of 0 or a constant disloyalty
table switches its effect off.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator

from simcc.scenario.types import Duration, Name, Probability, Spec
from simcc.units import MINUTE

DEFAULT_KEY = "default"
"""Key of :attr:`Satisfaction.baseline` for the segments it does not list."""
DEFAULT_BASELINE = 0.80
"""Top-box probability of an ideal issue when ``baseline`` lists neither the segment nor
``default`` (an assumption: see docs/outcomes.md)."""
CEB_DISLOYALTY = (0.09, 0.28, 0.61, 0.86, 0.96)
"""P(disloyal) after 0, 1, 2, 3 and >= 4 effort events: CEB's 9 % (low effort) and 96 %
(high effort) at the ends, linear in log-odds between them (docs/outcomes.md)."""
MAX_TABLE = 100
"""Longest disloyalty table."""

Factor = Annotated[float, Field(ge=0.0, le=1.0)]
"""A multiplicative factor in [0, 1] (1: no effect)."""
Weight = Annotated[float, Field(ge=0.0, le=100.0)]
"""How many effort events one occurrence counts for, in [0, 100] (0: not an effort)."""


class Wait(Spec):
    """The wait effect on satisfaction: 1 up to ``threshold`` seconds of total on-line
    wait, then minus ``per_minute`` per minute beyond it, never below ``floor``."""

    threshold: Duration = Field(default=MINUTE, description="flat below this total wait")
    per_minute: Factor = Field(default=0.02, description="loss per minute beyond threshold")
    floor: Factor = Field(default=0.5, description="smallest wait factor")


class Satisfaction(Spec):
    """Top-box probability of an issue (see docs/outcomes.md#satisfaction):
    ``baseline[segment] x not_resolved_first^(not OCR) x unresolved^(never resolved)
    x transfer_factor^transfers x switch_factor^switches x wait factor``, clipped to
    [0, 1]."""

    baseline: Probability | dict[Name, Probability] = Field(
        default=DEFAULT_BASELINE,
        description="top-box probability of an issue resolved at its first contact with "
        "no transfer, no switch and a short wait: one value, or per segment (key "
        "'default' for the segments not listed)")
    not_resolved_first: Factor = Field(
        default=0.75, description="factor of an issue not resolved at its first contact")
    unresolved: Factor = Field(
        default=1.0, description="further factor of an issue never resolved")
    transfer_factor: Factor = Field(default=0.88, description="factor per transfer")
    switch_factor: Factor = Field(default=0.90, description="factor per channel switch")
    wait: Wait = Wait()

    def baseline_of(self, segment: str) -> float:
        """The baseline of ``segment``."""
        if isinstance(self.baseline, float):
            return self.baseline
        return self.baseline.get(segment, self.baseline.get(DEFAULT_KEY, DEFAULT_BASELINE))


class EffortWeights(Spec):
    """Effort events counted per occurrence of each effort driver."""

    transfer: Weight = 1.0
    repeat: Weight = Field(default=1.0, description="per contact after the first "
                           "(retrial, repeat, contact on an offered channel)")
    switch: Weight = Field(default=1.0, description="per change of channel between "
                           "consecutive contacts")
    callback: Weight = Field(default=1.0, description="per accepted callback")
    long_wait: Weight = Field(default=1.0, description="per contact waiting on the line "
                              "longer than wait_threshold")
    explain_again: Weight = Field(default=1.0, description="per transfer without context "
                                  "(transfers.context: false)")


class Effort(Spec):
    """Effort events of an issue and the disloyalty they lead to (see
    docs/outcomes.md#effort-and-disloyalty)."""

    wait_threshold: Duration = Field(default=2 * MINUTE,
                                     description="a wait on the line longer than this "
                                     "is an effort event")
    weights: EffortWeights = EffortWeights()
    disloyalty: list[Probability] = Field(
        default=list(CEB_DISLOYALTY), min_length=1, max_length=MAX_TABLE,
        description="P(disloyal) after 0, 1, 2, ... effort events (linear between "
        "entries, the last one beyond)")
    gave_up: Probability | None = Field(
        default=0.96, description="P(disloyal) of an issue the customer gave up on "
        "(never resolved, last contact not answered); null: the table, as any issue")

    @field_validator("disloyalty")
    def _nondecreasing(cls, table: list[float]) -> list[float]:
        if any(b < a for a, b in zip(table[:-1], table[1:], strict=True)):
            raise ValueError("must not decrease: more effort cannot make a customer "
                             "more loyal")
        return table


class ValueAtRisk(Spec):
    """Value at risk: the segment's ``value`` x the issue's disloyalty probability."""

    include_gave_up: bool = Field(
        default=True, description="count the issues the customer gave up on (false: "
        "only the issues an agent or self-service finished)")


class Outcomes(Spec):
    """Customer and business outcomes per issue: a model with assumptions, not a
    measurement (docs/outcomes.md)."""

    satisfaction: Satisfaction = Satisfaction()
    effort: Effort = Effort()
    value_at_risk: ValueAtRisk = ValueAtRisk()
