"""Parameter sweeps: a grid of scenario values x replications, resumable.

A grid maps dotted paths (``agents.team.count``) to the values each takes; its points
are the Cartesian product of those values, in the order the paths are given (the last
varies fastest). Every point is the base scenario with the point's values set (and
without its ``sweep`` and ``variants`` sections), and every point runs replications
``0..n-1`` of the same seed: common random numbers, so point-to-point differences are
paired as in :mod:`simcc.experiment.compare`. All points' replications go to the
executor as one batch.

With a folder, each point is written to ``points/<point id>.<content hash>.csv`` as
soon as its replications are done; the id hashes the point's full scenario, the seed,
the number of replications and the simcc version, so a re-run with the same folder
reads finished points back instead of recomputing them, and a changed scenario or
another simcc never reuses a stale point. The content hash (of the file's bytes) is
verified on resume: a point file edited or damaged since it was written is ignored and
the point recomputed.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from simcc.errors import SimccError
from simcc.experiment.aggregate import aggregate_kpis
from simcc.experiment.executors import Executor, LocalExecutor
from simcc.experiment.limits import Limits
from simcc.experiment.replications import (
    Progress,
    ReplicationOutput,
    run_scenarios,
)
from simcc.experiment.result import json_number
from simcc.experiment.simulate import prepare, replication_table, warn_semantics
from simcc.runtime import write_atomic
from simcc.scenario import read_document
from simcc.scenario.grid import check_paths, expand_grid, text_values
from simcc.scenario.schema import Scenario

Grid = dict[str, list[Any]]
"""Dotted path -> the values it takes, in order."""

POINTS = "points"
POINT_COLUMNS = ["replication", "scope", "key", "kpi", "value"]
SUMMARY_COLUMNS = ["kpi", "mean", "ci_low", "ci_high", "n"]
DETACHED = {"sweep": None, "variants": {}}
"""Set on every point: a point is the base scenario, not a sweep nor a comparison."""


def parse_grid(specs: Sequence[str]) -> Grid:
    """Command-line grid options -> ``{path: values}``, in the order given.

    Each spec is ``path=lo:hi:step`` (inclusive range; integers stay integers, floats are
    computed without drift), ``path=v1,v2,...`` (each item read as YAML) or
    ``path=value``. Raises :class:`SimccError` naming the option and the problem.
    """
    grid: Grid = {}
    for spec in specs:
        path, sep, text = spec.partition("=")
        path = path.strip()
        try:
            if not sep or not path:
                raise ValueError("expected path=lo:hi:step, path=v1,v2,... or path=value")
            check_paths([*grid, path])
            grid[path] = text_values(text)
        except ValueError as exc:
            raise SimccError(f"--grid {spec!r}: {exc}") from None
    return grid


def grid_points(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of the grid's values, ``{path: value}`` each; the first path
    varies slowest, the last fastest (``itertools.product`` order)."""
    paths = list(grid)
    return [dict(zip(paths, values, strict=True))
            for values in itertools.product(*(grid[path] for path in paths))]


def describe_point(values: Mapping[str, Any]) -> str:
    """``"agents.team.count=40, routing.policy=fifo"``."""
    return ", ".join(f"{path}={value}" for path, value in values.items())


def point_id(scenario: Scenario, seed: int, replications: int,
             version: str | None = None) -> str:
    """A stable name for a point's results: 16 hex digits of the SHA-256 of the point
    scenario's full content (JSON dump), the seed, the number of replications and the
    simcc ``version`` (default: the installed one)."""
    content = {"scenario": scenario.model_dump(mode="json"), "seed": seed,
               "replications": replications, "simcc": version or simcc_version()}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def simcc_version() -> str:
    """The installed simcc version (``unknown`` when simcc is not installed)."""
    try:
        return metadata.version("simcc")
    except metadata.PackageNotFoundError:
        return "unknown"


def content_hash(data: bytes) -> str:
    """16 hex digits of the SHA-256 of a point file's bytes."""
    return hashlib.sha256(data).hexdigest()[:16]


@dataclass(frozen=True)
class SweepPlan:
    """A validated sweep, before it runs: every point's scenario and id, and the points
    already finished in ``folder`` (``done``: point index -> per-replication KPIs)."""

    scenario: Scenario
    grid: Grid
    points: list[dict[str, Any]]
    scenarios: list[Scenario]
    ids: list[str]
    seed: int
    replications: int
    folder: Path | None
    done: dict[int, pd.DataFrame]
    rejected: tuple[Path, ...] = ()
    """Point files of this sweep whose content no longer matches their hash (edited or
    damaged): ignored, their points are recomputed."""

    @property
    def remaining(self) -> list[int]:
        """Indices of the points still to run, in point order."""
        return [k for k in range(len(self.points)) if k not in self.done]

    def write_point(self, k: int, kpis: pd.DataFrame) -> Path:
        """Store point ``k``'s per-replication KPIs as
        ``points/<id>.<content hash>.csv`` (needs a folder), atomically."""
        if self.folder is None:
            raise ValueError("this sweep has no folder")
        data = kpis.to_csv(index=False).encode()
        target = self.folder / POINTS / f"{self.ids[k]}.{content_hash(data)}.csv"
        return write_atomic(target, lambda p: Path(p).write_bytes(data))


def plan_sweep(scenario: str | Path | Mapping[str, Any] | Scenario,
               grid: Mapping[str, Any] | None = None, replications: int | None = None,
               seed: int | None = None, folder: Path | None = None,
               overrides: Mapping[str, Any] | None = None, *,
               user_code: bool | None = None) -> SweepPlan:
    """Validate a sweep without running it: the base scenario (with ``overrides``),
    the grid (``grid``, else the scenario's ``sweep.grid``), then every point; read the
    points already finished in ``folder``. Writes nothing. Raises :class:`SimccError`
    naming the grid problem or the first invalid point. ``user_code``: as for
    :func:`~simcc.experiment.simulate.prepare`."""
    overrides = dict(overrides or {})
    base = prepare(scenario, overrides, user_code=user_code)
    grid = _grid_of(base, grid)
    replications = base.replications if replications is None else replications
    seed = base.seed if seed is None else seed
    if replications < 1:
        raise SimccError("replications must be >= 1")
    points = grid_points(grid)
    scenarios = _point_scenarios(_source(scenario), overrides, points, user_code)
    ids = [point_id(model, seed, replications) for model in scenarios]
    folder = None if folder is None else Path(folder)
    done, rejected = ({}, []) if folder is None else _finished_points(folder, ids,
                                                                        replications)
    return SweepPlan(base, grid, points, scenarios, ids, seed, replications, folder, done,
                     tuple(rejected))


def _grid_of(base: Scenario, grid: Mapping[str, Any] | None) -> Grid:
    """The given grid (values: range strings, sequences or single values), else the
    scenario's ``sweep`` section."""
    if grid is None:
        if base.sweep is None:
            raise SimccError("nothing to sweep: give --grid path=values or a 'sweep: "
                             "{grid: ...}' section in the scenario")
        return dict(base.sweep.grid)
    if not grid:
        raise SimccError("nothing to sweep: the grid is empty")
    try:
        return expand_grid(grid)
    except ValueError as exc:
        raise SimccError(f"grid: {exc}") from None


def _source(scenario: str | Path | Mapping[str, Any] | Scenario
            ) -> Mapping[str, Any] | Scenario:
    """The scenario as a document or model, so that a file is read once."""
    if isinstance(scenario, str | Path):
        return read_document(Path(scenario))
    return scenario


def _point_scenarios(source: Mapping[str, Any] | Scenario, overrides: Mapping[str, Any],
                     points: list[dict[str, Any]], user_code: bool | None = None
                     ) -> list[Scenario]:
    """Each point's validated scenario: ``source`` with ``overrides``, then the point's
    values, then without ``sweep`` and ``variants``."""
    scenarios = []
    for k, values in enumerate(points):
        try:
            scenarios.append(prepare(source, {**overrides, **values, **DETACHED},
                                     user_code=user_code))
        except SimccError as exc:
            raise SimccError(f"sweep point {k + 1} of {len(points)} "
                             f"({describe_point(values)}): {exc}") from None
    return scenarios


def _finished_points(folder: Path, ids: list[str], replications: int
                     ) -> tuple[dict[int, pd.DataFrame], list[Path]]:
    """Per-replication KPIs of the points with a verified file in ``folder``, and the
    files of these points that fail their content hash."""
    done, rejected = {}, []
    for k, point in enumerate(ids):
        for path in sorted((folder / POINTS).glob(f"{point}.*.csv")):
            if path.name.split(".")[1] == content_hash(path.read_bytes()):
                done[k] = read_point(path, replications)
                break
            rejected.append(path)
    return done, rejected


def read_point(path: Path, replications: int) -> pd.DataFrame:
    """A point file back as written (floats exactly, keys as text); a file that is not
    a finished point of ``replications`` replications raises :class:`SimccError`."""
    try:
        frame = pd.read_csv(path, dtype={"scope": str, "key": str, "kpi": str},
                            keep_default_na=False, converters={"value": _exact_float})
    except (ValueError, pd.errors.ParserError) as exc:
        raise _bad_point(path, f"unreadable ({exc})") from None
    if list(frame.columns) != POINT_COLUMNS:
        raise _bad_point(path, f"columns {list(frame.columns)}, expected {POINT_COLUMNS}")
    if sorted(set(frame["replication"])) != list(range(replications)):
        raise _bad_point(path, f"not replications 0..{replications - 1}")
    return frame.astype({"value": float})


def _exact_float(text: str) -> float:
    """A CSV number exactly as written (pandas' fast parser may be off by one ulp);
    empty is NaN."""
    return float(text) if text else math.nan


def _bad_point(path: Path, problem: str) -> SimccError:
    return SimccError(f"{path}: not a finished sweep point: {problem}; delete the file "
                      f"to recompute the point")


def run_sweep(plan: SweepPlan, executor: Executor | None = None, workers: int | None = None,
              progress: Progress | None = None, limits: Limits | None = None) -> SweepResult:
    """Run the points of ``plan`` not done yet as one batch on ``executor`` (default:
    ``workers`` local processes, one per core). With a folder, each point is written as
    soon as its replications are done, and ``sweep.csv`` (:attr:`SweepResult.table`)
    and ``sweep.json`` (:meth:`SweepResult.to_json`) at the end, each atomically.
    ``progress(done, total)`` counts the replications of the points that run; their work
    is checked against ``limits`` first (as in :func:`simcc.experiment.simulate`)."""
    kpis = dict(plan.done)
    todo = plan.remaining

    def finished(j: int, outputs: list[ReplicationOutput]) -> None:
        k = todo[j]
        kpis[k] = replication_table(outputs)
        if plan.folder is not None:
            plan.write_point(k, kpis[k])

    if todo:
        if executor is None:
            executor = LocalExecutor(workers)
        run_scenarios([plan.scenarios[k] for k in todo], plan.replications, plan.seed,
                      executor, records="none", progress=progress, on_scenario=finished,
                      limits=limits)
    result = SweepResult(plan.scenario, plan.seed, plan.replications, plan.grid, plan.points,
                         [kpis[k] for k in range(len(plan.points))], resumed=len(plan.done))
    if plan.folder is not None:
        write_sweep(result, plan.folder)
    return result


def sweep(scenario: str | Path | Mapping[str, Any] | Scenario,
          grid: Mapping[str, Any] | None = None, replications: int | None = None,
          seed: int | None = None, executor: Executor | None = None,
          workers: int | None = None, folder: str | Path | None = None,
          progress: Progress | None = None,
          overrides: Mapping[str, Any] | None = None,
          limits: Limits | None = None, *, user_code: bool | None = None) -> SweepResult:
    """Run every point of ``grid`` x ``replications`` on common random numbers.

    ``grid`` maps dotted paths to a range string ``"a:b:step"``, a sequence of values or
    one value (default: the scenario's ``sweep.grid``); ``overrides`` (dotted paths, as
    ``--set``) apply to every point before its grid values. ``replications`` and
    ``seed`` default to the scenario's. Every point is validated before anything runs.
    With ``folder`` the sweep is resumable (finished points are stored there and read
    back on the next call) and ``sweep.csv``/``sweep.json`` are written at the end;
    without it nothing is written. ``limits``: as in :func:`simcc.simulate`;
    ``user_code``: as for :func:`~simcc.experiment.simulate.prepare`.
    """
    plan = plan_sweep(scenario, grid, replications, seed,
                      None if folder is None else Path(folder), overrides, user_code=user_code)
    warn_semantics(plan.scenario)
    return run_sweep(plan, executor, workers, progress, limits)


@dataclass
class SweepResult:
    """The KPIs of every point of a sweep.

    ``points``: the grid values of each point, ``{path: value}``; ``point_kpis``: per
    point, its per-replication KPIs (replication, scope, key, kpi, value); ``resumed``:
    how many points were read back from the folder instead of run.
    """

    scenario: Scenario
    seed: int
    replications: int
    grid: Grid
    points: list[dict[str, Any]]
    point_kpis: list[pd.DataFrame]
    resumed: int = 0

    @cached_property
    def summaries(self) -> list[pd.DataFrame]:
        """Per point, its overall KPIs: kpi, mean, ci_low, ci_high, n (95% Student-t
        interval over replications)."""
        return [aggregate_kpis(kpis[kpis["scope"] == "overall"])[SUMMARY_COLUMNS]
                for kpis in self.point_kpis]

    @cached_property
    def table(self) -> pd.DataFrame:
        """Tidy table, one row per point x overall KPI: one column per grid path, then
        kpi, mean, ci_low, ci_high, n."""
        return self._stack(self.summaries, [*self.grid, *SUMMARY_COLUMNS])

    @cached_property
    def replication_kpis(self) -> pd.DataFrame:
        """Every point's per-replication KPIs (all scopes): one column per grid path,
        then replication, scope, key, kpi, value."""
        return self._stack(self.point_kpis, [*self.grid, *POINT_COLUMNS])

    def _stack(self, frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
        parts = [_with_values(frame, values) for frame, values in zip(frames, self.points,
                                                                       strict=True)]
        return pd.concat(parts, ignore_index=True)[columns]

    def wide(self, kpis: Sequence[str] | None = None) -> pd.DataFrame:
        """One row per point: its grid values, then the mean of each of ``kpis``
        (default: every overall KPI). Raises KeyError for a KPI no point has."""
        means = [summary.set_index("kpi")["mean"] for summary in self.summaries]
        names = list(dict.fromkeys(itertools.chain(*(m.index for m in means))))
        chosen = names if kpis is None else list(kpis)
        unknown = [kpi for kpi in chosen if kpi not in names]
        if unknown:
            raise KeyError(f"no KPI {', '.join(map(repr, unknown))} in this sweep")
        rows = [{**values, **{kpi: m.get(kpi, math.nan) for kpi in chosen}}
                for values, m in zip(self.points, means, strict=True)]
        return pd.DataFrame(rows, columns=[*self.grid, *chosen])

    def to_json(self) -> dict[str, Any]:
        """``{"scenario", "seed", "replications", "grid": {path: [values]}, "points":
        [{"values": {path: value}, "kpis": {kpi: {"mean", "ci95": [low, high]}}}]}``,
        overall KPIs only; undefined numbers are null."""
        points = [{"values": dict(values),
                   "kpis": {row.kpi: {"mean": json_number(row.mean),
                                      "ci95": [json_number(row.ci_low),
                                               json_number(row.ci_high)]}
                            for row in summary.itertuples(index=False)}}
                  for values, summary in zip(self.points, self.summaries, strict=True)]
        return {"scenario": self.scenario.name, "seed": self.seed,
                "replications": self.replications,
                "grid": {path: list(values) for path, values in self.grid.items()},
                "points": points}


def _with_values(frame: pd.DataFrame, values: Mapping[str, Any]) -> pd.DataFrame:
    """``frame`` with one leading constant column per grid path."""
    front = pd.DataFrame({path: [value] * len(frame) for path, value in values.items()},
                         index=frame.index)
    return pd.concat([front, frame], axis=1)


def write_sweep(result: SweepResult, folder: Path) -> list[Path]:
    """Write ``sweep.csv`` (the tidy table) and ``sweep.json`` into ``folder``, each
    atomically; return their paths."""
    text = json.dumps(result.to_json(), indent=2) + "\n"
    return [write_atomic(folder / "sweep.csv", lambda p: result.table.to_csv(p, index=False)),
            write_atomic(folder / "sweep.json", lambda p: Path(p).write_text(text))]
