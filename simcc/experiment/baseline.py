"""Baseline files of ``simcc check``: the schema, reading, and the fit to a scenario.

A baseline that cannot support a verdict is invalid input, never a pass: every problem
(not JSON, wrong shape or types, NaN or infinite numbers, per-replication lists that are
empty, short or disagree with their mean, unknown KPIs, a missing judged KPI, another
scenario, seed, replication count or set of runs) raises :class:`~simcc.errors.SimccError`
naming the file and the place in it (``runs.baseline.service_level.values``), which the
command line turns into exit code 2.

File layout (written by :func:`simcc.experiment.regression.baseline_document`)::

    {"simcc_version": "0.1.0", "scenario": "erlang-a", "scenario_hash": "<sha256 hex>",
     "seed": 1, "replications": 20, "outcomes_hash": "<sha256 hex>",
     "runs": {"baseline": {"service_level": {"mean": 0.71, "ci95": [0.69, 0.73],
                                             "values": [0.70, ...one per replication]},
                           ...one entry per KPI},
              "<variant>": {...}}}

``null`` stands for a KPI undefined in a replication (no answered contact, no callback).

The ``outcomes:`` section (docs/outcomes.md) changes what is measured, not what is
simulated, so it is left out of ``scenario_hash``: adding or tuning an outcome model
does not invalidate a baseline of the operational KPIs. Its own hash,
``outcomes_hash`` (absent: no outcome model), says which model the stored outcome KPIs
come from; they are judged only when it equals the scenario's
(:meth:`Baseline.comparable_kpis`), never against another model's numbers.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from simcc.catalogue import ALL_KPIS, reported, unknown_kpi_message
from simcc.errors import SimccError
from simcc.scenario.schema import Scenario

MAX_BASELINE_BYTES = 32 * 2**20
"""Largest baseline file read (32 MiB; 100 replications of 10 runs take about 3 MiB)."""
MEAN_TOLERANCE = 1e-9
"""Relative agreement required between a stored mean and the mean of its values."""
BASELINE_RUN = "baseline"
IN_MEMORY = "(not from a file)"
MAX_LISTED = 8

Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Value = Number | None


class KpiSummary(BaseModel):
    """One KPI of one run: mean and 95 % CI over replications (``null`` when undefined)
    and the value of every replication, in replication order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mean: Value
    ci95: tuple[Value, Value]
    values: list[Value] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> KpiSummary:
        defined = [v for v in self.values if v is not None]
        if not defined:
            if self.mean is not None:
                raise ValueError("mean is given but every value is null")
            return self
        expected = math.fsum(defined) / len(defined)
        if self.mean is None or not math.isclose(self.mean, expected, rel_tol=MEAN_TOLERANCE,
                                                 abs_tol=1e-12):
            raise ValueError(f"mean {self.mean} does not match the mean of the values "
                             f"({expected:.12g}): the file was edited or truncated")
        low, high = self.ci95
        if low is not None and high is not None and low > high:
            raise ValueError(f"ci95 [{low}, {high}] is reversed")
        return self

    @property
    def array(self) -> list[float]:
        """The per-replication values with ``nan`` for undefined ones."""
        return [math.nan if v is None else v for v in self.values]


class Baseline(BaseModel):
    """A baseline file (see the module docstring). ``source`` names the file in
    messages."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    simcc_version: Annotated[str, Field(strict=True, min_length=1)]
    scenario: Annotated[str, Field(strict=True)]
    scenario_hash: Annotated[str, Field(strict=True, pattern=r"^[0-9a-f]{64}$")]
    seed: Annotated[int, Field(strict=True, ge=0)]
    replications: Annotated[int, Field(strict=True, ge=1)]
    runs: dict[str, dict[str, KpiSummary]] = Field(min_length=1)
    outcomes_hash: Annotated[str | None, Field(strict=True, pattern=r"^[0-9a-f]{64}$")] = None
    _source: str = PrivateAttr(default=IN_MEMORY)

    @model_validator(mode="after")
    def _complete(self) -> Baseline:
        if BASELINE_RUN not in self.runs:
            raise ValueError(f"runs: has no '{BASELINE_RUN}' run")
        for run, kpis in self.runs.items():
            for kpi, summary in kpis.items():
                if kpi not in ALL_KPIS:
                    raise ValueError(f"runs.{run}.{kpi}: {unknown_kpi_message(kpi)}")
                if len(summary.values) != self.replications:
                    raise ValueError(
                        f"runs.{run}.{kpi}.values: {len(summary.values)} values for "
                        f"{self.replications} replications")
        return self

    @property
    def source(self) -> str:
        return self._source

    def fail(self, problem: str) -> SimccError:
        """The error for a baseline that cannot support a verdict."""
        return SimccError(f"baseline {self.source}: {problem}; refresh it on purpose with "
                          "--update")

    def comparable_kpis(self, scenario: Scenario) -> tuple[str, ...]:
        """The KPIs a check may compare with this baseline: the operational ones, plus
        the outcome KPIs when this baseline was made with the scenario's own outcome
        model (same :func:`outcomes_hash`)."""
        own = outcomes_hash(scenario)
        return reported(own is not None and own == self.outcomes_hash)

    def require_fit(self, scenario: Scenario, judged: Iterable[str]) -> None:
        """Raise unless this baseline was made from ``scenario`` (hash, seed,
        replications, runs) and holds every KPI in ``judged`` for every run."""
        actual = scenario_hash(scenario)
        if self.scenario_hash != actual:
            raise self.fail(f"it was made from a different scenario (hash "
                            f"{self.scenario_hash[:12]}, this scenario {actual[:12]}) and "
                            "cannot be compared")
        if (self.seed, self.replications) != (scenario.seed, scenario.replications):
            raise self.fail(f"it was made with seed {self.seed} and {self.replications} "
                            f"replications, the scenario has seed {scenario.seed} and "
                            f"{scenario.replications}")
        expected = {BASELINE_RUN, *scenario.variants}
        if set(self.runs) != expected:
            raise self.fail(f"it has the runs {', '.join(sorted(self.runs))}, the scenario "
                            f"{', '.join(sorted(expected))}")
        for run, kpis in self.runs.items():
            missing = [kpi for kpi in judged if kpi not in kpis]
            if missing:
                raise self.fail(f"runs.{run} lacks the judged KPIs {', '.join(missing)}")


NOT_SIMULATED = frozenset({"checks", "sweep", "currency", "targets", "staffable",
                           "outcomes"})
"""Scenario sections that do not change what is simulated: check rules, sweep grids,
the display currency, the staffing targets and bounds of ``simcc staff`` and the
outcome model (it changes what is measured; :func:`outcomes_hash` tracks it)."""


def scenario_hash(scenario: Scenario) -> str:
    """sha256 of the scenario's canonical JSON without the :data:`NOT_SIMULATED`
    sections (they may change without invalidating a baseline) and without the values
    left at their defaults, so that a new optional key (a section, a field with a
    default) leaves the hash of every scenario that does not use it unchanged."""
    return _sha256_of(scenario.model_dump(mode="json", exclude=set(NOT_SIMULATED),
                                          exclude_defaults=True))


def outcomes_hash(scenario: Scenario) -> str | None:
    """sha256 of the scenario's ``outcomes`` section as canonical JSON (None without
    one): the outcome model the outcome KPIs of a baseline were computed with."""
    if scenario.outcomes is None:
        return None
    return _sha256_of(scenario.outcomes.model_dump(mode="json"))


def _sha256_of(document: dict) -> str:
    """sha256 hex of ``document`` as canonical JSON (sorted keys, no spaces)."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def read_baseline(path: Path) -> Baseline:
    """Read and validate the baseline file at ``path``."""
    label = str(path)
    try:
        if not path.is_file():
            raise SimccError(f"baseline {label} is not a regular file" if path.exists()
                             else f"baseline {label} not found: create it with --update")
        size = path.stat().st_size
        if size > MAX_BASELINE_BYTES:
            raise SimccError(f"baseline {label} is {size / 2**20:.0f} MiB, more than the "
                             f"{MAX_BASELINE_BYTES // 2**20} MiB a baseline may have")
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SimccError(f"baseline {label} cannot be read ({exc.__class__.__name__})") from None
    return parse_baseline(text, label)


def parse_baseline(text: str, source: str = IN_MEMORY) -> Baseline:
    """Parse and validate the JSON text of a baseline file."""
    try:
        document = json.loads(text, parse_constant=_no_constant,
                              object_pairs_hook=_no_duplicate_keys)
    except (ValueError, RecursionError) as exc:
        raise SimccError(f"baseline {source} is not valid JSON ({_short(exc)})") from None
    return validate_baseline(document, source)


def validate_baseline(document: Any, source: str = IN_MEMORY) -> Baseline:
    """A :class:`Baseline` from a parsed JSON document, or a :class:`SimccError` listing
    what is wrong with it."""
    if not isinstance(document, dict):
        raise SimccError(f"baseline {source} must be a JSON object (simcc_version, scenario, "
                         f"scenario_hash, seed, replications, runs), not a "
                         f"{type(document).__name__}")
    try:
        baseline = Baseline.model_validate(document)
    except ValidationError as exc:
        raise SimccError(f"invalid baseline {source}:\n" + _problems(exc)) from None
    baseline._source = source
    return baseline


def _problems(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False)
    lines = [f"  - {_place(e['loc'])}{_short(e['msg'])}" for e in errors[:MAX_LISTED]]
    if len(errors) > MAX_LISTED:
        lines.append(f"  - ... and {len(errors) - MAX_LISTED} more problems")
    return "\n".join(lines)


def _place(loc: tuple) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    return f"{path}: " if path else ""


def _short(message: Any, limit: int = 200) -> str:
    text = str(message).removeprefix("Value error, ")
    return text if len(text) <= limit else text[:limit] + "..."


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise ValueError(f"key {key!r} appears twice in one object")
        document[key] = value
    return document
