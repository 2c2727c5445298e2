"""The staffing targets of a scenario: its ``targets`` section and the defaults.

A :class:`Target` is one KPI goal of one scope (channel, segment or intent), judged in
every interval of the day (channels only) or over the day. Service level is a minimum;
abandonment, ASA (seconds) and occupancy are maxima. Default targets (unless
``targets.replace_defaults``): each channel's ``service_level {threshold, target}``,
per interval for a live channel, over the day for an asynchronous one.
"""

from __future__ import annotations

from dataclasses import dataclass

from simcc.scenario.schema import Channel, Scenario

MINIMA = frozenset({"service_level"})
"""KPIs whose goal is a minimum; every other target KPI is a maximum."""


@dataclass(frozen=True)
class Target:
    """One goal: ``kpi`` of ``scope``/``key`` at least (service level) or at most
    (the others) ``goal``, judged ``per`` interval or day. ``threshold`` (seconds) is the
    service-level threshold (None for other KPIs)."""

    scope: str
    key: str
    kpi: str
    goal: float
    per: str
    threshold: float | None = None

    @property
    def minimum(self) -> bool:
        """True when the KPI must reach ``goal`` (service level), False when it must
        stay below it."""
        return self.kpi in MINIMA

    @property
    def label(self) -> str:
        """``voice service_level >= 0.8 (20s) per interval``."""
        sign = ">=" if self.minimum else "<="
        within = f" ({self.threshold:g}s)" if self.threshold is not None else ""
        return f"{self.key} {self.kpi} {sign} {self.goal:g}{within} per {self.per}"

    def met(self, value: float, margin: float = 0.0) -> bool:
        """Whether ``value`` meets the goal with ``margin`` to spare (same unit)."""
        if self.minimum:
            return value - margin >= self.goal
        return value + margin <= self.goal

    def gap(self, value: float) -> float:
        """How far ``value`` is on the good side of the goal (negative: short of it)."""
        return value - self.goal if self.minimum else self.goal - value


def scenario_targets(scenario: Scenario) -> list[Target]:
    """Every target of ``scenario``, defaults first (docs/staffing.md, *Targets*)."""
    section = scenario.targets
    found: list[Target] = []
    if section is None or not section.replace_defaults:
        found += [_default(name, ch, _threshold(scenario, name))
                  for name, ch in scenario.channels.items()]
    for item in section.items if section is not None else []:
        threshold = None
        if item.kpi == "service_level":
            threshold = (_threshold(scenario, item.key) if item.scope == "channel"
                         else None)
        goal = item.target if item.kpi == "service_level" else item.max
        found.append(Target(item.scope, item.key, item.kpi, float(goal), item.per, threshold))
    if section is not None and section.occupancy_max is not None:
        found += [Target("channel", name, "occupancy", section.occupancy_max, "interval")
                  for name, ch in scenario.channels.items() if not ch.asynchronous]
    return list(dict.fromkeys(found))


def _default(name: str, channel: Channel, threshold: float) -> Target:
    """A channel's own service-level goal."""
    per = "day" if channel.asynchronous else "interval"
    return Target("channel", name, "service_level", channel.service_level.target, per,
                  threshold)


def _threshold(scenario: Scenario, channel: str) -> float:
    """The service-level threshold the targets of ``channel`` use, seconds: the one a
    channel target gives (checked unique per channel), else the channel's own."""
    for item in scenario.targets.items if scenario.targets is not None else []:
        if item.channel == channel and item.threshold is not None:
            return item.threshold
    return scenario.channels[channel].service_level.threshold


def measured_scenario(scenario: Scenario) -> Scenario:
    """``scenario`` with each channel's service-level threshold set to its targets'
    (the threshold only changes what is measured, never what happens)."""
    channels = {}
    for name, ch in scenario.channels.items():
        threshold = _threshold(scenario, name)
        if threshold != ch.service_level.threshold:
            ch = ch.model_copy(update={"service_level": ch.service_level.model_copy(
                update={"threshold": threshold})})
        channels[name] = ch
    return scenario.model_copy(update={"channels": channels})
