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


DurationSpec = Distribution | Duration
"""A fixed duration or a distribution of durations."""


def duration_sampler(spec: Distribution | float | None) -> Sampler | None:
    """The sampler of a duration-or-distribution field; None when absent or zero."""
    if spec is None or spec == 0:
        return None
    if isinstance(spec, Distribution):
        return spec.sampler()
    return make_sampler("constant", mean=float(spec))
