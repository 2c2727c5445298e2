"""Cross-reference checks of a schema-valid scenario.

Each check returns ``(path, message)`` problems; :func:`check_scenario` collects them
all so a user sees every mistake of a file at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator

from simcc.scenario.forecast import MAX_PIECES, laid_intervals
from simcc.scenario.outcomes import DEFAULT_KEY
from simcc.scenario.schema import Scenario
from simcc.scenario.types import formula_problem
from simcc.units import DAY

Problem = tuple[str, str]
SHARE_TOLERANCE = 1e-6


def check_scenario(scenario: Scenario) -> list[Problem]:
    """Every cross-reference problem of ``scenario`` (empty when it is consistent)."""
    checks = (_names, _horizon, _shares, _demand_references, _agent_references, _coverage,
              _profiles, _journey_references, _escalation_coverage, _repeat_switch,
              _targets, _staffable, _outcome_segments, _calendar_profiles, _shift_days)
    return [problem for check in checks for problem in check(scenario)]


def _unknown(kind: str, name: str, known: Iterable[str]) -> str:
    known = list(known)
    hint = difflib.get_close_matches(name, known, n=1)
    did_you_mean = f"; did you mean '{hint[0]}'?" if hint else ""
    return f"unknown {kind} '{name}' (known: {', '.join(known) or 'none'}){did_you_mean}"


def _sum_problem(path: str, shares: dict[str, float]) -> Iterator[Problem]:
    total = sum(shares.values())
    if abs(total - 1.0) > SHARE_TOLERANCE:
        yield path, f"shares must sum to 1, they sum to {total:.6g}"


NAMED_SECTIONS = ("channels", "segments", "intents", "profiles", "agents", "variants")
"""Sections whose keys are names (checked like :data:`~simcc.scenario.types.Name`)."""


def _names(s: Scenario) -> Iterator[Problem]:
    for section in NAMED_SECTIONS:
        for key in getattr(s, section):
            problem = formula_problem(key)
            if problem:
                yield f"{section}.{key}", problem


def _horizon(s: Scenario) -> Iterator[Problem]:
    if s.horizon.warmup >= s.horizon.length_s:
        yield "horizon.warmup", "must be shorter than the duration (warm-up is its first part)"


def _shares(s: Scenario) -> Iterator[Problem]:
    yield from _sum_problem("segments", {k: v.share for k, v in s.segments.items()})
    for i, demand in enumerate(s.demand):
        yield from _sum_problem(f"demand[{i}].mix", demand.mix)
        if demand.segments is not None:
            yield from _sum_problem(f"demand[{i}].segments", demand.segments)


def _demand_references(s: Scenario) -> Iterator[Problem]:
    for i, demand in enumerate(s.demand):
        if demand.channel not in s.channels:
            yield f"demand[{i}].channel", _unknown("channel", demand.channel, s.channels)
        by_forecast = demand.forecast is not None and demand.forecast.by_intent
        for intent in demand.mix:
            if intent not in s.intents:
                place = f"demand[{i}].forecast" if by_forecast else f"demand[{i}].mix.{intent}"
                yield place, _unknown("intent", intent, s.intents)
        if demand.forecast is not None and demand.forecast.dated and s.calendar is None:
            yield (f"demand[{i}].forecast", "a dated forecast needs calendar.start_date "
                   "(YYYY-MM-DD) to place its days")
        if demand.forecast is not None:
            laid = laid_intervals(demand.forecast, (s.horizon.start + s.horizon.length_s) / DAY)
            if laid > MAX_PIECES:
                yield (f"demand[{i}].forecast", f"its {len(demand.forecast.volume):,} rows "
                       f"repeated over the horizon make {laid:,} intervals; at most "
                       f"{MAX_PIECES:,}: shorten the horizon or give dated rows")
        for segment in demand.segments or {}:
            if segment not in s.segments:
                yield f"demand[{i}].segments.{segment}", _unknown("segment", segment, s.segments)
        profile = demand.rate.profile
        if profile is not None and profile not in s.profiles:
            yield f"demand[{i}].rate.profile", _unknown("profile", profile, s.profiles)
    fed = {d.channel for d in s.demand}
    for name, channel in s.channels.items():
        if channel.backlog and name not in fed:
            yield (f"channels.{name}.backlog", "no demand stream on this channel gives the "
                   "mix of the waiting contacts")


def _agent_references(s: Scenario) -> Iterator[Problem]:
    skills = s.skills
    for name, group in s.agents.items():
        for skill in group.skills:
            if skill not in skills:
                yield (f"agents.{name}.skills.{skill}",
                       _unknown("skill", skill, skills) + " (skills come from intents.*.skill)")
        for channel in group.channels:
            if channel not in s.channels:
                yield f"agents.{name}.channels", _unknown("channel", channel, s.channels)


def _coverage(s: Scenario) -> Iterator[Problem]:
    """Every (channel, intent) with demand needs a group holding its skill on the channel."""
    for i, demand in enumerate(s.demand):
        for intent_name in demand.mix:
            intent = s.intents.get(intent_name)
            if intent is None or demand.channel not in s.channels:
                continue
            if not _served(s, intent.skill, demand.channel):
                yield (f"demand[{i}].mix.{intent_name}",
                       f"no agent group has skill '{intent.skill}' on channel "
                       f"'{demand.channel}', so these contacts could never be answered")


def _profiles(s: Scenario) -> Iterator[Problem]:
    tables = [(f"profiles.{name}", p.interval, len(p.weights), "weights", DAY)
              for name, p in s.profiles.items()]
    tables += [(f"agents.{name}.staffing", g.staffing.interval, len(g.staffing.counts), "counts",
                g.staffing.period_s) for name, g in s.agents.items() if g.staffing is not None]
    for path, own_interval, length, field, period in tables:
        interval = own_interval if own_interval is not None else s.horizon.interval
        if interval <= 0:
            yield f"{path}.interval", "must be > 0"
        elif length * interval > period + 1e-9:
            span = "a day" if period == DAY else f"the period ({period / DAY:g} days)"
            yield f"{path}.{field}", f"{length} intervals of {interval:g}s cover more than {span}"


def _served(s: Scenario, skill: str, channel: str) -> bool:
    """Whether some agent group has ``skill`` on ``channel``."""
    return any(skill in g.skills and channel in g.channels for g in s.agents.values())


def _journey_references(s: Scenario) -> Iterator[Problem]:
    for name, channel in s.channels.items():
        if channel.self_service is None:
            continue
        for intent in channel.self_service.containment:
            if intent not in s.intents:
                yield (f"channels.{name}.self_service.containment.{intent}",
                       _unknown("intent", intent, s.intents))


def _escalation_coverage(s: Scenario) -> Iterator[Problem]:
    """Escalated contacts need a group with the target skill on their channel."""
    for name, intent in s.intents.items():
        if intent.escalation is None:
            continue
        target = intent.escalation.to
        for channel in _channels_of(s, name):
            if not _served(s, target, channel):
                yield (f"intents.{name}.escalation.to",
                       f"no agent group has skill '{target}' on channel '{channel}', so "
                       "escalated contacts could never be answered")


def _channels_of(s: Scenario, intent: str) -> list[str]:
    """Channels on which contacts of ``intent`` can arrive: its demand channels and every
    channel repeat contacts can switch to from them, hop after hop."""
    channels = [d.channel for d in s.demand if intent in d.mix and d.channel in s.channels]
    switch = s.repeats.switch if s.repeats is not None else {}
    for source in channels:  # grows while iterating: a breadth-first closure
        channels += [c for c, share in switch.get(source, {}).items()
                     if share > 0 and c in s.channels and c not in channels]
    return channels


def _repeat_switch(s: Scenario) -> Iterator[Problem]:
    if s.repeats is None:
        return
    for source, shares in s.repeats.switch.items():
        path = f"repeats.switch.{source}"
        if source not in s.channels:
            yield path, _unknown("channel", source, s.channels)
        yield from _sum_problem(path, shares)
        for target in shares:
            if target not in s.channels:
                yield f"{path}.{target}", _unknown("channel", target, s.channels)
    for name, intent in s.intents.items():
        direct = {d.channel for d in s.demand if name in d.mix}  # checked by _coverage
        for channel in _channels_of(s, name):
            if channel not in direct and not _served(s, intent.skill, channel):
                yield ("repeats.switch",
                       f"repeats of '{name}' can reach channel '{channel}', where no agent "
                       f"group has skill '{intent.skill}', so they could never be answered")


def _targets(s: Scenario) -> Iterator[Problem]:
    """Staffing targets name known channels, segments and intents; an asynchronous
    channel is judged over the day; one service-level threshold per channel."""
    if s.targets is None:
        return
    known = {"channel": s.channels, "segment": s.segments, "intent": s.intents}
    thresholds: dict[str, float] = {}
    for i, item in enumerate(s.targets.items):
        path = f"targets.items[{i}]"
        if item.key not in known[item.scope]:
            yield f"{path}.{item.scope}", _unknown(item.scope, item.key, known[item.scope])
            continue
        if item.scope != "channel":
            continue
        channel = s.channels[item.channel]
        if channel.asynchronous and item.per == "interval":
            yield f"{path}.per", (f"channel '{item.channel}' is asynchronous: its contacts "
                                  "wait across intervals, so it is judged over the day "
                                  "(per: day)")
        if item.kpi == "service_level":
            threshold = channel.service_level.threshold if item.threshold is None \
                else item.threshold
            if thresholds.setdefault(item.channel, threshold) != threshold:
                yield f"{path}.threshold", (f"channel '{item.channel}' already has a "
                                            "service-level target with another threshold: "
                                            "one threshold per channel")


def _staffable(s: Scenario) -> Iterator[Problem]:
    """``staffable`` names known agent groups."""
    for name in s.staffable or {}:
        if name not in s.agents:
            yield f"staffable.{name}", _unknown("agent group", name, s.agents)


def _outcome_segments(s: Scenario) -> Iterator[Problem]:
    """Segments named in ``outcomes.satisfaction.baseline`` exist (or are 'default')."""
    if s.outcomes is None or not isinstance(s.outcomes.satisfaction.baseline, dict):
        return
    for name in s.outcomes.satisfaction.baseline:
        if name != DEFAULT_KEY and name not in s.segments:
            yield (f"outcomes.satisfaction.baseline.{name}",
                   _unknown("segment", name, dict.fromkeys([*s.segments, DEFAULT_KEY])))


def _calendar_profiles(s: Scenario) -> Iterator[Problem]:
    """Profiles named by calendar day rules exist."""
    if s.calendar is None:
        return
    rules = [(f"calendar.weekdays.{day}", rule) for day, rule in s.calendar.weekdays.items()]
    rules += [(f"calendar.dates.{date.isoformat()}", rule)
              for date, rule in s.calendar.dates.items()]
    for path, rule in rules:
        if rule.profile is not None and rule.profile not in s.profiles:
            yield f"{path}.profile", _unknown("profile", rule.profile, s.profiles)


def _shift_days(s: Scenario) -> Iterator[Problem]:
    """Weekday-limited shifts need a calendar (to know each day's weekday)."""
    if s.calendar is not None:
        return
    for name, group in s.agents.items():
        for k, shift in enumerate(group.shifts or []):
            if shift.days is not None:
                yield (f"agents.{name}.shifts[{k}].days",
                       "weekdays need calendar.start_date (the date at simulated time 0)")
