"""The scenario schema (format v1): pydantic models of the YAML document.

Models are frozen and reject unknown keys. Durations are stored in seconds, clock
times in seconds after midnight, rates in contacts per second. Cross-references
(an intent named in a mix exists, ...) are checked in :mod:`simcc.scenario.checks`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)

from simcc.dists import Sampler, make_sampler
from simcc.units import DAY, HOUR, MINUTE, format_clock_exact, parse_clock, parse_duration

_DURATION_JSON = {
    "anyOf": [
        {"type": "number", "minimum": 0},
        {"type": "string",
         "pattern": r"^\s*((\d+(\.\d*)?|\.\d+)\s*[dhms]\s*)+$|^\s*\d+(\.\d*)?\s*$"},
    ],
    "description": "seconds, or a string such as '20s', '4m30s', '1h30m', '2d'",
}
Duration = Annotated[float, BeforeValidator(parse_duration), WithJsonSchema(_DURATION_JSON)]
"""A duration in seconds, written as a number or as a string with units."""

ClockTime = Annotated[
    float,
    BeforeValidator(parse_clock),
    PlainSerializer(format_clock_exact, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^\d{1,2}:\d{2}(:\d{2})?$",
                    "description": "clock time of day, 'HH:MM'"}),
]
"""A clock time of day ("08:00"), stored as seconds after midnight."""

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]


class Spec(BaseModel):
    """Base of every scenario model: frozen, unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


_DIST_PARAMS: dict[str, tuple[str, ...]] = {
    "exponential": ("mean",),
    "constant": ("mean",),
    "uniform": ("low", "high"),
    "lognormal": ("mean", "cv"),
    "gamma": ("mean", "cv"),
    "erlang": ("mean", "k"),
    "weibull": ("mean", "shape"),
    "empirical": ("values",),
}


class Distribution(Spec):
    """A distribution of durations (see :mod:`simcc.dists` for the parameterisation)."""

    dist: Literal[
        "exponential", "constant", "uniform", "lognormal", "gamma", "erlang", "weibull", "empirical"
    ]
    mean: Duration | None = None
    cv: float | None = Field(default=None, gt=0)
    k: int | None = Field(default=None, ge=1)
    shape: float | None = Field(default=None, gt=0)
    low: Duration | None = None
    high: Duration | None = None
    values: list[Duration] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _parameters_match_the_distribution(self) -> Distribution:
        needed = _DIST_PARAMS[self.dist]
        given = {name for name in ("mean", "cv", "k", "shape", "low", "high", "values")
                 if getattr(self, name) is not None}
        missing = [name for name in needed if name not in given]
        extra = sorted(given - set(needed))
        if missing:
            raise ValueError(
                f"{self.dist} needs {', '.join(needed)}; missing {', '.join(missing)}")
        if extra:
            raise ValueError(
                f"{self.dist} takes only {', '.join(needed)}; remove {', '.join(extra)}")
        if self.mean is not None and self.mean <= 0:
            raise ValueError("mean must be > 0")
        if self.dist == "uniform" and not self.low <= self.high:
            raise ValueError("uniform needs low <= high")
        return self

    def sampler(self) -> Sampler:
        """The sampler of this distribution (values in seconds)."""
        return make_sampler(**self.model_dump(exclude_none=True))


class Horizon(Spec):
    """Simulated time. ``warmup`` is the first part of the duration: arrivals before it
    are simulated but not counted."""

    duration: Duration | None = Field(default=None, description="simulated time (arrivals)")
    days: int | None = Field(default=None, ge=1, description="alternative to duration: N x 24h")
    warmup: Duration = 0.0
    start: ClockTime = Field(default=0.0, description="clock time at simulated time 0")
    interval: Duration = Field(default=30 * MINUTE, description="reporting interval")

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
    """A live channel: customers wait on the line and may abandon."""

    patience: Distribution | None = Field(
        default=None, description="time a customer is willing to wait; omit: nobody abandons")
    service_level: ServiceLevel = ServiceLevel()
    queue_capacity: int | None = Field(
        default=None, ge=0, description="waiting places; 0 = blocked when no agent is free")


class Segment(Spec):
    """A customer segment. A larger ``priority`` is served first."""

    share: Share
    priority: int = 0
    patience_factor: float = Field(default=1.0, gt=0)
    value: float = Field(default=1.0, ge=0, description="relative value of a customer")


class Intent(Spec):
    """A contact reason: the skill it needs, its handle time and resolution probability."""

    skill: str = Field(min_length=1)
    handle_time: Distribution
    resolution: Probability = 1.0


class Rate(Spec):
    """An arrival rate: exactly one of ``per_second|per_minute|per_hour|per_day``.

    With ``profile`` (only with ``per_day``) the daily volume is spread over the day
    in proportion to the profile weights.
    """

    per_second: float | None = Field(default=None, gt=0)
    per_minute: float | None = Field(default=None, gt=0)
    per_hour: float | None = Field(default=None, gt=0)
    per_day: float | None = Field(default=None, gt=0)
    profile: str | None = None

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

    cv: float = Field(gt=0)


class Demand(Spec):
    """One arrival stream: a channel, a rate, an intent mix and a segment mix."""

    channel: str
    rate: Rate
    mix: dict[str, Share] = Field(min_length=1, description="intent -> share")
    segments: dict[str, Share] | None = Field(
        default=None, description="segment -> share; default: the segments' own shares")
    busyness: Busyness | None = None


class Profile(Spec):
    """Intraday weights, one per interval from ``start``; repeated every day; zero
    outside the span they cover."""

    weights: list[Annotated[float, Field(ge=0)]] = Field(min_length=1)
    start: ClockTime | None = Field(default=None, description="default: horizon.start")
    interval: Duration | None = Field(default=None, description="default: horizon.interval")

    @model_validator(mode="after")
    def _positive(self) -> Profile:
        if sum(self.weights) <= 0:
            raise ValueError("weights must not all be zero")
        return self


class Shift(Spec):
    """``count`` agents logged in from ``start`` to ``end`` every day (clock times;
    ``end`` before ``start`` crosses midnight)."""

    start: ClockTime
    end: ClockTime
    count: int = Field(ge=1)

    @model_validator(mode="after")
    def _not_empty(self) -> Shift:
        if self.start % DAY == self.end % DAY:
            raise ValueError("start and end must differ")
        return self

    @property
    def length_s(self) -> float:
        """Shift length in seconds (a shift crossing midnight wraps)."""
        return (self.end - self.start) % DAY


class Staffing(Spec):
    """Agents logged in per interval of the day (a staffing table), repeated every day;
    zero outside the span the counts cover."""

    counts: list[Annotated[int, Field(ge=0)]] = Field(min_length=1)
    start: ClockTime | None = Field(default=None, description="default: horizon.start")
    interval: Duration | None = Field(default=None, description="default: horizon.interval")


class AgentGroup(Spec):
    """Agents with the same skills and channels, logged in by ``count``, ``shifts`` or a
    per-interval ``staffing`` table."""

    count: int | None = Field(default=None, ge=0, description="agents logged in all the time")
    shifts: list[Shift] | None = Field(default=None, min_length=1)
    staffing: Staffing | None = None
    skills: dict[str, Annotated[float, Field(gt=0.0, le=1.0)]] = Field(
        min_length=1, description="skill -> proficiency in (0, 1]")
    channels: list[str] = Field(min_length=1)
    wrap_up: Distribution | Duration | None = Field(
        default=None, description="after-contact work: a duration or a distribution")
    cost_per_hour: float = Field(default=0.0, ge=0)

    @model_validator(mode="after")
    def _one_way_to_staff(self) -> AgentGroup:
        given = [k for k in ("count", "shifts", "staffing") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'count', 'shifts' or 'staffing'")
        return self

    def wrap_up_sampler(self) -> Sampler | None:
        """The wrap-up distribution, or None when there is no after-contact work."""
        if self.wrap_up is None or self.wrap_up == 0:
            return None
        if isinstance(self.wrap_up, Distribution):
            return self.wrap_up.sampler()
        return make_sampler("constant", mean=self.wrap_up)


class Routing(Spec):
    """The routing policy: a registered name or ``package.module:Class``."""

    policy: str = "skill_based"
    params: dict[str, Any] = Field(default_factory=dict)


class Tolerance(Spec):
    """How much worse a KPI may get before a check calls it a regression: an absolute
    amount (in the KPI's unit: 0.01 = one percentage point for a rate) or a relative
    share of the baseline value."""

    abs: float | None = Field(default=None, ge=0)
    rel: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one(self) -> Tolerance:
        if (self.abs is None) == (self.rel is None):
            raise ValueError("give exactly one of 'abs' or 'rel'")
        return self


class Checks(Spec):
    """Rules of ``simcc check``: tolerances per KPI, KPIs to ignore, hard limits such as
    ``"service_level >= 0.8"``."""

    tolerance: dict[str, Tolerance] = Field(default_factory=dict)
    ignore: list[str] = Field(default_factory=list)
    limits: list[str] = Field(default_factory=list)


DEFAULT_SEGMENT = "default"


class Scenario(Spec):
    """A contact center, its demand and its routing: one validated, frozen scenario."""

    name: str = Field(min_length=1)
    description: str = ""
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

    @property
    def skills(self) -> list[str]:
        """The skills the intents need, in order of first appearance."""
        return list(dict.fromkeys(intent.skill for intent in self.intents.values()))

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
