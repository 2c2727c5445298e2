"""The scenario schema (format v1): pydantic models of the YAML document.

Models are frozen and reject unknown keys. Durations are stored in seconds, clock
times in seconds after midnight, rates in contacts per second. Cross-references
(an intent named in a mix exists, ...) are checked in :mod:`simcc.scenario.checks`.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from simcc.dists import Sampler
from simcc.scenario.calendar import Calendar, Weekday
from simcc.scenario.forecast import Forecast, check_derived, derived_rate_and_mix
from simcc.scenario.grid import expand_grid
from simcc.scenario.journeys import (
    Callback,
    Escalation,
    Hours,
    Repeats,
    Retrial,
    SelfService,
    Transfers,
)
from simcc.scenario.outcomes import Outcomes
from simcc.scenario.types import (
    CV,
    ClockTime,
    Currency,
    Distribution,
    Duration,
    DurationSpec,
    Name,
    Probability,
    Share,
    Spec,
    duration_sampler,
)
from simcc.units import DAY, HOUR, MINUTE

MAX_RATE = 1e9
"""Largest arrival rate in its unit (the resource limits refuse far less in practice)."""
MAX_AMOUNT = 1e9
"""Largest cost per hour, customer value and profile weight."""
MAX_PRIORITY = 1_000_000
"""Largest segment priority in absolute value."""
MAX_TEXT_CHARS = 10_000
"""Longest description."""


class Horizon(Spec):
    """Simulated time. ``warmup`` is the first part of the duration: arrivals before it
    are simulated but not counted."""

    duration: Duration | None = Field(default=None, description="simulated time (arrivals)")
    days: int | None = Field(default=None, ge=1, description="alternative to duration: N x 24h")
    warmup: Duration = 0.0
    start: ClockTime = Field(default=0.0, description="clock time at simulated time 0")
    interval: Duration = Field(default=30 * MINUTE, description="reporting interval")
    drain: Duration | None = Field(
        default=None, description="shifts keep running this long after the arrivals stop "
        "(default: see Scenario.drain_s)")

    @model_validator(mode="after")
    def _one_length(self) -> Horizon:
        if (self.duration is None) == (self.days is None):
            raise ValueError("give exactly one of 'duration' or 'days'")
        if self.length_s <= 0:
            raise ValueError("duration must be > 0")
        if self.interval <= 0:
            raise ValueError("interval must be > 0")
        return self

    @property
    def length_s(self) -> float:
        """Length of the arrival period in seconds."""
        return self.duration if self.duration is not None else self.days * DAY


class ServiceLevel(Spec):
    """Contacts answered within ``threshold`` count towards the service level."""

    threshold: Duration = 20.0
    target: Probability = 0.8


class Channel(Spec):
    """A channel. ``live`` (voice, chat, video): customers wait on the line and may
    abandon. ``async`` (email, asynchronous messaging): contacts wait in a backlog across
    closing hours and days and never abandon; the service level threshold is then
    usually in hours. See docs/journeys.md for every option."""

    mode: Literal["live", "async"] = "live"
    patience: Distribution | None = Field(
        default=None, description="time a customer is willing to wait; omit: nobody abandons")
    service_level: ServiceLevel = ServiceLevel()
    queue_capacity: int | None = Field(
        default=None, ge=0, description="waiting places; 0 = blocked when no agent is free")
    concurrency: int = Field(default=1, ge=1,
                             description="conversations of this channel an agent holds at once")
    concurrency_stretch: float = Field(
        default=0.25, ge=0, le=100,
        description="handle time x (1 + stretch x (conversations held - 1)) at its start")
    hours: Hours | None = Field(default=None, description="opening hours; omit: always open")
    self_service: SelfService | None = None
    retrial: Retrial | None = None
    callback: Callback | None = None
    resolution_factor: float = Field(
        default=1.0, gt=0, le=1, description="multiplies the resolution probability")
    backlog: int = Field(
        default=0, ge=0, le=1_000_000, description="contacts already waiting at the start "
        "(they arrive at simulated time 0, with the channel's demand mix)")

    @model_validator(mode="after")
    def _async_has_no_live_options(self) -> Channel:
        if self.mode == "async":
            live_only = [k for k in ("patience", "queue_capacity", "retrial", "callback")
                         if getattr(self, k) is not None]
            if live_only:
                raise ValueError(f"async channels never abandon nor block: remove "
                                 f"{', '.join(live_only)}")
        return self

    @property
    def asynchronous(self) -> bool:
        """True for an asynchronous (backlog) channel."""
        return self.mode == "async"


class Segment(Spec):
    """A customer segment. A larger ``priority`` is served first."""

    share: Share
    priority: int = Field(default=0, ge=-MAX_PRIORITY, le=MAX_PRIORITY)
    patience_factor: float = Field(default=1.0, gt=0, le=1000)
    value: float = Field(default=1.0, ge=0, le=MAX_AMOUNT,
                         description="relative value of a customer")
    callback_acceptance: Probability | None = Field(
        default=None, description="overrides the channels' callback acceptance")


class Intent(Spec):
    """A contact reason: the skill it needs, its handle time and resolution probability."""

    skill: Name
    handle_time: Distribution
    resolution: Probability = 1.0
    misroute: Probability = Field(
        default=0.0, description="share of contacts first queued for a wrong skill")
    escalation: Escalation | None = None


class Rate(Spec):
    """An arrival rate: exactly one of ``per_second|per_minute|per_hour|per_day``.

    With ``profile`` (only with ``per_day``) the daily volume is spread over the day
    in proportion to the profile weights.
    """

    per_second: float | None = Field(default=None, gt=0, le=MAX_RATE)
    per_minute: float | None = Field(default=None, gt=0, le=MAX_RATE)
    per_hour: float | None = Field(default=None, gt=0, le=MAX_RATE)
    per_day: float | None = Field(default=None, gt=0, le=MAX_RATE)
    profile: Name | None = None

    @model_validator(mode="after")
    def _one_rate(self) -> Rate:
        given = [k for k in ("per_second", "per_minute", "per_hour", "per_day")
                 if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of per_second, per_minute, per_hour, per_day")
        if self.profile is not None and self.per_day is None:
            raise ValueError("a profile spreads a daily volume: use per_day with profile")
        return self

    @property
    def mean_per_second(self) -> float:
        """The rate averaged over a whole day, contacts per second (profile aside)."""
        for key, unit in (("per_second", 1.0), ("per_minute", MINUTE), ("per_hour", HOUR),
                          ("per_day", DAY)):
            value = getattr(self, key)
            if value is not None:
                return value / unit
        raise AssertionError("unreachable: validated")


class Busyness(Spec):
    """Day-to-day overdispersion: each simulated day's rates are multiplied by a gamma
    factor with mean 1 and coefficient of variation ``cv``."""

    cv: CV


class Demand(Spec):
    """One arrival stream: a channel, a rate, an intent mix and a segment mix; or a
    channel and a ``forecast`` per interval (:mod:`simcc.scenario.forecast`), from which
    the rate and the mix are derived."""

    channel: Name
    rate: Rate | None = None
    mix: dict[str, Share] | None = Field(default=None, min_length=1,
                                         description="intent -> share")
    forecast: Forecast | None = Field(
        default=None, description="volume (and AHT, ACW) per interval: a CSV file "
        "(docs/wfm_files.md), read into this inline form")
    segments: dict[str, Share] | None = Field(
        default=None, description="segment -> share; default: the segments' own shares")
    busyness: Busyness | None = None

    @model_validator(mode="after")
    def _rate_mix_or_forecast(self) -> Demand:
        if self.forecast is None:
            missing = [k for k in ("rate", "mix") if getattr(self, k) is None]
            if missing:
                raise ValueError(f"give {' and '.join(repr(k) for k in missing)} (or a "
                                 "'forecast')")
            return self
        check_derived(self)
        rate, mix = derived_rate_and_mix(self.forecast)
        # Derived, not given: set once on the frozen model, as validation would.
        object.__setattr__(self, "rate", Rate(**rate))
        if mix is not None:
            object.__setattr__(self, "mix", mix)
        return self


class Profile(Spec):
    """Intraday weights, one per interval from ``start``; repeated every day; zero
    outside the span they cover."""

    weights: list[Annotated[float, Field(ge=0, le=MAX_AMOUNT)]] = Field(min_length=1)
    start: ClockTime | None = Field(default=None, description="default: horizon.start")
    interval: Duration | None = Field(default=None, description="default: horizon.interval")

    @model_validator(mode="after")
    def _positive(self) -> Profile:
        if sum(self.weights) <= 0:
            raise ValueError("weights must not all be zero")
        return self


MAX_BREAKS = 10
"""Most breaks per shift."""


class Break(Spec):
    """Time away during a shift: from clock time ``start`` for ``duration``, or, with a
    ``window`` of two clock times, staggered evenly across the shift's agents within it
    (agent ``k`` of ``n`` starts at ``window[0] + k (window length - duration) / (n -
    1)``). An agent finishes the contact in hand first; the break ends on time."""

    duration: Duration = Field(gt=0)
    start: ClockTime | None = None
    window: tuple[ClockTime, ClockTime] | None = None

    @model_validator(mode="after")
    def _one_placement(self) -> Break:
        if (self.start is None) == (self.window is None):
            raise ValueError("give exactly one of 'start' or 'window'")
        if self.window is not None and (self.window[1] - self.window[0]) % DAY < self.duration:
            raise ValueError("the window is shorter than the break")
        return self

    def offsets(self, shift_start: float, agents: int) -> list[float]:
        """Seconds after the shift's start at which each of its ``agents`` goes on
        break."""
        if self.start is not None:
            return [(self.start - shift_start) % DAY] * agents
        first = (self.window[0] - shift_start) % DAY
        slack = (self.window[1] - self.window[0]) % DAY - self.duration
        return [first + k * slack / max(agents - 1, 1) for k in range(agents)]


class Shift(Spec):
    """``count`` agents logged in from ``start`` to ``end`` every day (clock times;
    ``end`` before ``start`` crosses midnight), or only on ``days`` (weekdays, which
    needs ``calendar.start_date``; a shift's day is the date it starts), with
    ``breaks``."""

    start: ClockTime
    end: ClockTime
    count: int = Field(ge=1)
    days: list[Weekday] | None = Field(default=None, min_length=1, max_length=7,
                                       description="weekdays the shift works; omit: all")
    breaks: list[Break] = Field(default_factory=list, max_length=MAX_BREAKS)

    @model_validator(mode="after")
    def _not_empty(self) -> Shift:
        if self.start % DAY == self.end % DAY:
            raise ValueError("start and end must differ")
        for k, item in enumerate(self.breaks):
            if max(item.offsets(self.start, self.count)) + item.duration > self.length_s:
                raise ValueError(f"breaks[{k}] must lie inside the shift")
        return self

    @property
    def length_s(self) -> float:
        """Shift length in seconds (a shift crossing midnight wraps)."""
        return (self.end - self.start) % DAY


MAX_STAFFING_PERIOD_DAYS = 366
"""Longest period of a staffing table, days (a year of dated plan intervals)."""


class Staffing(Spec):
    """Agents logged in per interval (a staffing table) from ``start`` on the horizon's
    first day, repeated every ``period`` (a whole number of days, default one); zero
    outside the span the counts cover within each period."""

    counts: list[Annotated[int, Field(ge=0)]] = Field(min_length=1)
    start: ClockTime | None = Field(default=None, description="default: horizon.start")
    interval: Duration | None = Field(default=None, description="default: horizon.interval")
    period: Duration | None = Field(default=None, description="the counts repeat every "
                                    "period (whole days, at most 366; default: 1 day)")

    @field_validator("period")
    @classmethod
    def _whole_days(cls, value: float | None) -> float | None:
        if value is None:
            return None
        days = value / DAY
        if abs(days - round(days)) > 1e-9 or not 1 <= round(days) <= MAX_STAFFING_PERIOD_DAYS:
            raise ValueError(f"must be a whole number of days from 1 to "
                             f"{MAX_STAFFING_PERIOD_DAYS}, got {value:g}s")
        return float(round(days) * DAY)

    @property
    def period_s(self) -> float:
        """Seconds after which the counts repeat (one day by default)."""
        return DAY if self.period is None else self.period


class AgentGroup(Spec):
    """Agents with the same skills and channels, logged in by ``count``, ``shifts`` or a
    per-interval ``staffing`` table."""

    count: int | None = Field(default=None, ge=0, description="agents logged in all the time")
    shifts: list[Shift] | None = Field(default=None, min_length=1)
    staffing: Staffing | None = None
    skills: dict[str, Annotated[float, Field(gt=0.0, le=1.0)]] = Field(
        min_length=1, description="skill -> proficiency in (0, 1]")
    channels: list[Name] = Field(min_length=1)
    wrap_up: DurationSpec | None = Field(
        default=None, description="after-contact work: a duration or a distribution")
    cost_per_hour: float = Field(default=0.0, ge=0, le=MAX_AMOUNT)
    absenteeism: Probability = Field(
        default=0.0, description="probability that an agent of a shift does not show up "
        "for that day's shift (drawn per agent and day; shifts only)")
    shrinkage: float = Field(
        default=0.0, ge=0.0, le=0.95, description="share of paid time off the queues "
        "(meetings, training): each agent is away in each interval with this "
        "probability; cost counts paid time")

    @model_validator(mode="after")
    def _one_way_to_staff(self) -> AgentGroup:
        given = [k for k in ("count", "shifts", "staffing") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'count', 'shifts' or 'staffing'")
        if self.absenteeism and self.shifts is None:
            raise ValueError("absenteeism applies to agents on shifts: give 'shifts'")
        return self

    def wrap_up_sampler(self) -> Sampler | None:
        """The wrap-up distribution, or None when there is no after-contact work."""
        return duration_sampler(self.wrap_up)


class Routing(Spec):
    """The routing policy: a registered name or ``package.module:Class``."""

    policy: str = "skill_based"
    params: dict[str, Any] = Field(default_factory=dict)


class Tolerance(Spec):
    """How much worse a KPI may get before a check calls it a regression: an absolute
    amount (in the KPI's unit: 0.01 = one percentage point for a rate) or a relative
    share of the baseline value."""

    abs: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    rel: float | None = Field(default=None, ge=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _one(self) -> Tolerance:
        if (self.abs is None) == (self.rel is None):
            raise ValueError("give exactly one of 'abs' or 'rel'")
        return self


_LIMIT = re.compile(r"^\s*([a-z_0-9]+)\s*(<=|>=|<|>)\s*([-+0-9.eE]+)\s*$")


def parse_limit(text: str) -> tuple[str, str, float]:
    """``"service_level >= 0.8"`` -> ``("service_level", ">=", 0.8)``; ``ValueError``
    when the text is not ``kpi op number`` with a finite number."""
    match = _LIMIT.match(text)
    bound = _finite_float(match.group(3)) if match else None
    if bound is None:
        raise ValueError(f"cannot read limit {text!r}: write it as 'kpi >= value' (or <=, "
                         "<, >) with a finite number")
    return match.group(1), match.group(2), bound


def _finite_float(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _readable_limit(text: str) -> str:
    parse_limit(text)
    return text


class Checks(Spec):
    """Rules of ``simcc check``: tolerances per KPI, KPIs to ignore, hard limits such as
    ``"service_level >= 0.8"``. KPI names are checked against the KPIs simcc computes
    when the scenario is prepared (:mod:`simcc.experiment.rules`)."""

    tolerance: dict[str, Tolerance] = Field(default_factory=dict)
    ignore: list[str] = Field(default_factory=list)
    limits: list[Annotated[str, AfterValidator(_readable_limit)]] = Field(default_factory=list)

    @field_validator("ignore")
    @classmethod
    def _ignored_once(cls, value: list[str]) -> list[str]:
        twice = sorted({kpi for kpi in value if value.count(kpi) > 1})
        if twice:
            raise ValueError(f"KPI ignored more than once: {', '.join(twice)}")
        return value


class Sweep(Spec):
    """A parameter grid for ``simcc sweep`` (docs/sweep.md): ``grid`` maps dotted paths
    (``agents.team.count``) to the values each takes, an inclusive range ``"a:b:step"``
    (``"40:60:2"``), a list, or a single value. Every combination is one point, run on
    common random numbers. ``simcc run`` and ``simcc compare`` ignore this section."""

    grid: dict[str, list[Any]] = Field(
        min_length=1, description="dotted path -> 'a:b:step', a list of values, or one value")

    @field_validator("grid", mode="before")
    @classmethod
    def _expand(cls, value: Any) -> Any:
        return expand_grid(value) if isinstance(value, dict) else value


TARGET_KPIS = ("service_level", "abandon_rate", "asa_s")
"""KPIs a staffing target may name (docs/staffing.md)."""


class TargetItem(Spec):
    """One staffing target of ``simcc staff``: a KPI of one channel, segment or intent,
    judged in every interval (channels only) or over the day. ``service_level`` is a
    minimum (``target``, optional ``threshold``: default the channel's);
    ``abandon_rate`` and ``asa_s`` (seconds) are maxima (``max``)."""

    channel: Name | None = None
    segment: Name | None = None
    intent: Name | None = None
    kpi: Literal["service_level", "abandon_rate", "asa_s"]
    threshold: Duration | None = Field(
        default=None, description="service_level only, channel targets only; default: "
        "the channel's service_level.threshold")
    target: Probability | None = Field(default=None, description="service_level: minimum")
    max: float | None = Field(default=None, ge=0, le=MAX_AMOUNT, allow_inf_nan=False,
                              description="abandon_rate (share) or asa_s (seconds): maximum")
    per: Literal["interval", "day"] = "interval"

    @model_validator(mode="after")
    def _consistent(self) -> TargetItem:
        scopes = [k for k in ("channel", "segment", "intent") if getattr(self, k) is not None]
        if len(scopes) != 1:
            raise ValueError("give exactly one of 'channel', 'segment' or 'intent'")
        if self.kpi == "service_level":
            if self.target is None or self.max is not None:
                raise ValueError("a service_level target gives 'target' (the minimum), "
                                 "not 'max'")
        elif self.max is None or self.target is not None or self.threshold is not None:
            raise ValueError(f"a {self.kpi} target gives 'max' only (no 'target' nor "
                             "'threshold')")
        if self.kpi == "abandon_rate" and self.max > 1:
            raise ValueError("abandon_rate max is a share: at most 1")
        if self.scope != "channel" and self.per == "interval":
            raise ValueError(f"a {self.scope} target is judged over the day: write "
                             "per: day (per-interval results exist by channel only)")
        if self.scope != "channel" and self.threshold is not None:
            raise ValueError("threshold is for channel targets (segment and intent "
                             "targets use their channels' thresholds)")
        return self

    @property
    def scope(self) -> str:
        """``channel``, ``segment`` or ``intent``."""
        return next(k for k in ("channel", "segment", "intent") if getattr(self, k) is not None)

    @property
    def key(self) -> str:
        """The name of the channel, segment or intent."""
        return getattr(self, self.scope)


class Targets(Spec):
    """The service targets of ``simcc staff`` (docs/staffing.md). By default every
    channel's ``service_level`` in every interval with demand (over the day for an
    asynchronous channel); ``items`` add to these, or replace them with
    ``replace_defaults``; ``occupancy_max`` caps every channel's occupancy per interval."""

    replace_defaults: bool = False
    occupancy_max: Annotated[float, Field(gt=0, le=1)] | None = None
    items: list[TargetItem] = Field(default_factory=list)

    @model_validator(mode="after")
    def _something(self) -> Targets:
        if self.replace_defaults and not self.items and self.occupancy_max is None:
            raise ValueError("replace_defaults without items leaves no target")
        return self


class Staffable(Spec):
    """Bounds of one group's agents per interval decided by ``simcc staff``: ``min`` to
    ``max`` (None: unbounded), or exactly ``fixed`` in every interval."""

    min: int = Field(default=0, ge=0)
    max: int | None = Field(default=None, ge=0)
    fixed: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Staffable:
        if self.max is not None and self.max < self.min:
            raise ValueError(f"max ({self.max}) is below min ({self.min})")
        if self.fixed is not None and (self.fixed < self.min or
                                       (self.max is not None and self.fixed > self.max)):
            raise ValueError("fixed must lie between min and max")
        return self

    @property
    def low(self) -> int:
        """Fewest agents per interval."""
        return self.min if self.fixed is None else self.fixed

    @property
    def high(self) -> int | None:
        """Most agents per interval (None: unbounded)."""
        return self.max if self.fixed is None else self.fixed


DEFAULT_SEGMENT = "default"


class Scenario(Spec):
    """A contact center, its demand and its routing: one validated, frozen scenario."""

    name: Name
    description: str = Field(default="", max_length=MAX_TEXT_CHARS)
    horizon: Horizon
    seed: int = Field(default=1, ge=0)
    replications: int = Field(default=10, ge=1)
    channels: dict[str, Channel] = Field(min_length=1)
    segments: dict[str, Segment] = Field(
        default_factory=lambda: {DEFAULT_SEGMENT: Segment(share=1.0)})
    intents: dict[str, Intent] = Field(min_length=1)
    profiles: dict[str, Profile] = Field(default_factory=dict)
    demand: list[Demand] = Field(min_length=1)
    agents: dict[str, AgentGroup] = Field(min_length=1)
    routing: Routing = Routing()
    variants: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="named overrides of this scenario: dotted keys or nested mappings")
    checks: Checks = Checks()
    transfers: Transfers = Transfers()
    repeats: Repeats | None = Field(default=None, description="omit: no repeat contacts")
    sweep: Sweep | None = Field(default=None, description="parameter grid of simcc sweep")
    currency: Currency | None = Field(
        default=None, description="currency of cost_per_hour and the cost KPIs (display only)")
    targets: Targets | None = Field(
        default=None, description="service targets of simcc staff (docs/staffing.md)")
    staffable: dict[str, Staffable] | None = Field(
        default=None, description="groups simcc staff decides, with bounds; omit: all")
    calendar: Calendar | None = Field(
        default=None, description="dates of the simulated days and how days differ; "
        "omit: every day is the typical day")
    outcomes: Outcomes | None = Field(
        default=None, description="customer and business outcome model "
        "(docs/outcomes.md); omit: no outcome KPIs")

    @property
    def skills(self) -> list[str]:
        """The skills the intents need (escalation targets included), in order of first
        appearance."""
        needed = []
        for intent in self.intents.values():
            needed.append(intent.skill)
            if intent.escalation is not None:
                needed.append(intent.escalation.to)
        return list(dict.fromkeys(needed))

    @property
    def has_followups(self) -> bool:
        """Whether contacts can come back (retrials, callbacks or repeat contacts)."""
        return self.repeats is not None or any(
            ch.retrial is not None or ch.callback is not None for ch in self.channels.values())

    @property
    def drain_s(self) -> float:
        """How long shifts keep running after the arrival period, seconds: the horizon's
        ``drain`` when given; else the repeat window with repeats, one day with
        asynchronous channels, retrials or callbacks, and 0 otherwise."""
        if self.horizon.drain is not None:
            return self.horizon.drain
        if self.repeats is not None:
            return self.repeats.window
        if self.has_followups or any(ch.asynchronous for ch in self.channels.values()):
            return DAY
        return 0.0

    def variant(self, name: str) -> Scenario:
        """The scenario of variant ``name``: the base with the variant's overrides (and
        without the variants section)."""
        from simcc.scenario.load import variant_scenario  # load imports this module

        return variant_scenario(self, name)

    def with_overrides(self, overrides: dict[str, Any]) -> Scenario:
        """A new validated scenario with dotted-path overrides applied, e.g.
        ``scenario.with_overrides({"agents.team.count": 42})``."""
        from simcc.scenario.load import load_scenario  # load imports this module

        return load_scenario(self, overrides)

    def segment_mix(self, demand: Demand) -> dict[str, float]:
        """The segment shares of one demand stream."""
        if demand.segments is not None:
            return demand.segments
        return {name: seg.share for name, seg in self.segments.items()}
