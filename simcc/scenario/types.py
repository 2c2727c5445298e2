"""Building blocks of the scenario schema: the frozen base model and the value types
(durations, clock times, probabilities, distributions) every section uses."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)

from simcc.dists import Sampler, make_sampler
from simcc.units import format_clock_exact, parse_clock, parse_duration

_DURATION_JSON = {
    "anyOf": [
        {"type": "number", "minimum": 0, "maximum": 1e9},
        {"type": "string",
         "pattern": r"^\s*((\d+(\.\d*)?|\.\d+)\s*[dhms]\s*)+$|^\s*\d+(\.\d*)?\s*$"},
    ],
    "description": "seconds, or a string such as '20s', '4m30s', '1h30m', '2d'",
}
MAX_DURATION_S = 1e9
"""Longest duration a scenario may give, seconds (about 31.7 years)."""


def _bounded_duration(seconds: float) -> float:
    if seconds > MAX_DURATION_S:
        raise ValueError(f"a duration must be at most {MAX_DURATION_S:.0e} s (about 31 "
                         f"years), got {seconds:.4g} s")
    return seconds


Duration = Annotated[float, BeforeValidator(parse_duration), AfterValidator(_bounded_duration),
                     WithJsonSchema(_DURATION_JSON)]
"""A duration in seconds, written as a number or as a string with units; finite, from 0
to :data:`MAX_DURATION_S`."""

MAX_NAME_CHARS = 200
"""Longest name (scenario, channel, intent, skill, segment, group, variant, ...)."""
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a CSV cell as a formula."""


def formula_problem(name: str) -> str | None:
    """Why ``name`` cannot be a name (it starts like a spreadsheet formula), or None."""
    if name.startswith(FORMULA_STARTS):
        return (f"a name must not start with {name[0]!r}: names go into the CSV exports, "
                "and a spreadsheet would run such a cell as a formula")
    return None


def _not_a_formula(text: str) -> str:
    problem = formula_problem(text)
    if problem:
        raise ValueError(problem)
    return text


Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME_CHARS),
                 AfterValidator(_not_a_formula)]
"""A name given by the user: 1 to :data:`MAX_NAME_CHARS` characters, not starting with
one of :data:`FORMULA_STARTS` (CSV exports stay safe to open in a spreadsheet)."""

ClockTime = Annotated[
    float,
    BeforeValidator(parse_clock),
    PlainSerializer(format_clock_exact, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^\d{1,2}:\d{2}(:\d{2})?$",
                    "description": "clock time of day, 'HH:MM'"}),
]
"""A clock time of day ("08:00"), stored as seconds after midnight."""

CURRENCY_SIGNS = "$€£¥₹₩₽¢₺₪₫₴₦₱฿¤"
"""Currency symbols a ``currency`` may use besides letters."""


def check_currency(text: str) -> str:
    """A currency code or symbol (``EUR``, ``€``, ``R$``): 1 to 5 letters or currency
    signs, nothing else (it is printed after amounts in tables and reports)."""
    if not 1 <= len(text) <= 5 or not all(c.isalpha() or c in CURRENCY_SIGNS for c in text):
        raise ValueError(f"must be a currency code or symbol of 1 to 5 letters or signs "
                         f"such as EUR, USD, € or R$, got {text!r}")
    return text


Currency = Annotated[str, AfterValidator(check_currency), WithJsonSchema(
    {"type": "string", "minLength": 1, "maxLength": 5,
     "description": "currency code or symbol (letters or currency signs), e.g. EUR or €"})]
"""A currency code or symbol shown after money amounts."""

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]


class Spec(BaseModel):
    """Base of every scenario model: frozen, unknown keys are errors, numbers are finite
    (``.inf`` and ``.nan`` are errors everywhere)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


MIN_CV, MAX_CV = 0.001, 10.0
"""Range of a coefficient of variation (lognormal, gamma, busyness): beyond 10 the
samplers return 0 for most draws and astronomically large values for the rest; below
0.001 a gamma's shape (1/cv^2) exceeds what its quantile function handles."""
MIN_SHAPE, MAX_SHAPE = 0.25, 1000.0
"""Range of a Weibull shape: 0.25 is a cv of about 8.3 (the heavy-tail bound of cv)."""
MAX_ERLANG_K = 1_000_000
"""Largest Erlang k (cv = 1/sqrt(k) >= 0.001, the bound of cv)."""
MIN_MEAN_S = 0.001
"""Smallest distribution mean, seconds (one millisecond)."""
CV = Annotated[float, Field(ge=MIN_CV, le=MAX_CV)]
"""A coefficient of variation in [:data:`MIN_CV`, :data:`MAX_CV`]."""


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
    cv: CV | None = None
    k: int | None = Field(default=None, ge=1, le=MAX_ERLANG_K)
    shape: float | None = Field(default=None, ge=MIN_SHAPE, le=MAX_SHAPE)
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
        if self.mean is not None and self.mean < MIN_MEAN_S:
            raise ValueError(f"mean must be >= {MIN_MEAN_S} s (one millisecond), got "
                             f"{self.mean:.4g}")
        if self.dist == "uniform" and not self.low <= self.high:
            raise ValueError("uniform needs low <= high")
        return self

    def sampler(self) -> Sampler:
        """The sampler of this distribution (values in seconds)."""
        return make_sampler(**self.model_dump(exclude_none=True))


DurationSpec = Distribution | Duration
"""A fixed duration or a distribution of durations."""


def duration_sampler(spec: Distribution | float | None) -> Sampler | None:
    """The sampler of a duration-or-distribution field; None when absent or zero."""
    if spec is None or spec == 0:
        return None
    if isinstance(spec, Distribution):
        return spec.sampler()
    return make_sampler("constant", mean=float(spec))
