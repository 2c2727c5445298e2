"""`simcc sweep`: grid parsing, point order, equality with `simulate`, resume, the
`sweep:` section, bad input and the Dask executor."""

import json

import pandas as pd
import pytest
import yaml
from helpers import small
from typer.testing import CliRunner

import simcc
from simcc.cli import app
from simcc.experiment.executors import LocalExecutor, SerialExecutor
from simcc.experiment.sweep import (
    POINTS,
    grid_points,
    parse_grid,
    plan_sweep,
    point_id,
    simcc_version,
    sweep,
)

SEED = 5


def quick(**changes):
    """The small center over one hour: a replication takes milliseconds."""
    return small(horizon={"duration": "1h", "warmup": "10m"}, **changes)


class CountingExecutor(SerialExecutor):
    """A serial executor that counts the tasks submitted to it."""

    def __init__(self):
        self.tasks = 0

    def map(self, fn, tasks, on_result=None):
        self.tasks += len(tasks)
        return super().map(fn, tasks, on_result)


# ----------------------------------------------------------------------------- grids

def test_ranges_lists_and_single_values():
    grid = parse_grid(["agents.team.count=40:60:2", "routing.policy=skill_based,overflow",
                       "channels.voice.service_level.target=0.8:0.9:0.05",
                       "a.b=1, 2.5, true, null, fifo", "c=7", "d=3:3:1"])
    assert list(grid) == ["agents.team.count", "routing.policy",
                          "channels.voice.service_level.target", "a.b", "c", "d"]
    assert grid["agents.team.count"] == list(range(40, 61, 2))
    assert all(type(v) is int for v in grid["agents.team.count"])
    assert grid["routing.policy"] == ["skill_based", "overflow"]
    assert grid["channels.voice.service_level.target"] == [0.8, 0.85, 0.9]  # exactly
    assert grid["a.b"] == [1, 2.5, True, None, "fifo"]
    assert grid["c"] == [7] and grid["d"] == [3]
    assert parse_grid(["x=0.1:0.3:0.1"])["x"] == [0.1, 0.2, 0.3]  # no 0.30000000000000004
    assert parse_grid(["x=1:2:0.5"])["x"] == [1.0, 1.5, 2.0]


@pytest.mark.parametrize(("specs", "problem"), [
    (["agents.team.count"], "expected path=lo:hi:step"),
    (["=1,2"], "expected path=lo:hi:step"),
    (["a=1:5:0"], "the step must be > 0"),
    (["a=1:5:-1"], "the step must be > 0"),
    (["a=5:1:1"], "the end must be >= the start"),
    (["a="], "no values"),
    (["a=1,,2"], "empty value in the list"),
    (["a=1", "a=2"], "given twice"),
    (["demand[0].rate.per_hour=1", "demand.0.rate.per_hour=2"], "same path"),
    (["seed=1,2"], "cannot be swept"),
    (["a=0:1000000:1"], "more than"),
])
def test_bad_grid_options_name_the_option_and_the_problem(specs, problem):
    with pytest.raises(simcc.SimccError, match="--grid") as error:
        parse_grid(specs)
    assert problem in str(error.value)
    assert specs[-1] in str(error.value)


def test_points_are_the_product_in_option_order_last_fastest():
    points = grid_points({"a": [1, 2], "b": ["x", "y", "z"]})
    assert points == [{"a": 1, "b": "x"}, {"a": 1, "b": "y"}, {"a": 1, "b": "z"},
                      {"a": 2, "b": "x"}, {"a": 2, "b": "y"}, {"a": 2, "b": "z"}]


# ----------------------------------------------------------------------------- results

@pytest.fixture(scope="module")
def swept():
    return sweep(quick(), {"agents.team.count": range(4, 7, 2),
                           "routing.policy": ["skill_based", "fifo"]},
                 replications=2, seed=SEED, executor=SerialExecutor())


def test_each_point_equals_simulate_on_the_point_scenario(swept):
    assert swept.points == [{"agents.team.count": 4, "routing.policy": "skill_based"},
                            {"agents.team.count": 4, "routing.policy": "fifo"},
                            {"agents.team.count": 6, "routing.policy": "skill_based"},
                            {"agents.team.count": 6, "routing.policy": "fifo"}]
    for values, kpis in zip(swept.points, swept.point_kpis, strict=True):
        alone = simcc.simulate(simcc.load_scenario(quick(), values), replications=2,
                               seed=SEED, executor=SerialExecutor())
        pd.testing.assert_frame_equal(kpis, alone.replication_kpis, check_exact=True)
        overall = alone.kpis[alone.kpis["scope"] == "overall"]
        mine = swept.table[(swept.table["agents.team.count"] == values["agents.team.count"])
                           & (swept.table["routing.policy"] == values["routing.policy"])]
        columns = ["kpi", "mean", "ci_low", "ci_high", "n"]
        pd.testing.assert_frame_equal(mine[columns].reset_index(drop=True),
                                      overall[columns].reset_index(drop=True), check_exact=True)


def test_tables_and_json(swept):
    assert list(swept.table.columns) == ["agents.team.count", "routing.policy", "kpi", "mean",
                                         "ci_low", "ci_high", "n"]
    assert list(swept.replication_kpis.columns[:3]) == ["agents.team.count", "routing.policy",
                                                        "replication"]
    assert len(swept.replication_kpis) == sum(len(k) for k in swept.point_kpis)
    wide = swept.wide(["service_level", "asa_s"])
    assert list(wide.columns) == ["agents.team.count", "routing.policy", "service_level",
                                  "asa_s"]
    assert len(wide) == 4 and wide["asa_s"].iloc[0] > wide["asa_s"].iloc[2]  # more agents
    with pytest.raises(KeyError, match="no KPI 'nope'"):
        swept.wide(["nope"])
    document = json.loads(json.dumps(swept.to_json(), allow_nan=False))
    assert document["grid"] == {"agents.team.count": [4, 6],
                                "routing.policy": ["skill_based", "fifo"]}
    assert (document["seed"], document["replications"]) == (SEED, 2)
    first = document["points"][0]
    assert first["values"] == {"agents.team.count": 4, "routing.policy": "skill_based"}
    assert set(first["kpis"]["service_level"]) == {"mean", "ci95"}


# ----------------------------------------------------------------------------- resume

def test_resume_recomputes_only_the_missing_point(tmp_path):
    grid = {"agents.team.count": "4:6:1"}
    first = sweep(quick(), grid, replications=2, seed=SEED, executor=SerialExecutor(),
                  folder=tmp_path)
    files = sorted((tmp_path / POINTS).iterdir())
    assert len(files) == 3 and {p.name for p in tmp_path.iterdir()} == {
        POINTS, "sweep.csv", "sweep.json"}
    files[1].unlink()
    stale = tmp_path / POINTS / f".{files[0].name}.k2j4x9"  # a run killed mid-write
    stale.write_text("replication,scope,key,kpi,va")
    spy = CountingExecutor()
    again = sweep(quick(), grid, replications=2, seed=SEED, executor=spy, folder=tmp_path)
    assert spy.tasks == 2 and again.resumed == 2  # one point x two replications
    pd.testing.assert_frame_equal(again.table, first.table, check_exact=True)
    pd.testing.assert_frame_equal(again.replication_kpis, first.replication_kpis,
                                  check_exact=True)
    assert pd.read_csv(tmp_path / "sweep.csv").shape == first.table.shape
    spy = CountingExecutor()
    sweep(quick(), grid, replications=2, seed=SEED, executor=spy, folder=tmp_path)
    assert spy.tasks == 0


def test_points_depend_on_content_seed_and_replications(tmp_path):
    grid = {"agents.team.count": [4, 5]}
    sweep(quick(), grid, replications=2, seed=SEED, executor=SerialExecutor(), folder=tmp_path)
    assert len(plan_sweep(quick(), grid, 2, SEED, tmp_path).done) == 2
    assert not plan_sweep(quick(), grid, 2, SEED + 1, tmp_path).done
    assert not plan_sweep(quick(), grid, 3, SEED, tmp_path).done
    changed = plan_sweep(quick(), grid, 2, SEED, tmp_path, {"agents.team.cost_per_hour": 30})
    assert not changed.done


def test_an_edited_point_file_is_noticed_and_recomputed(tmp_path):
    grid = {"agents.team.count": [4, 5]}
    first = sweep(quick(), grid, replications=2, seed=SEED, executor=SerialExecutor(),
                  folder=tmp_path)
    edited = sorted((tmp_path / POINTS).iterdir())[0]
    edited.write_text(edited.read_text().replace("overall", "overall", 1) + "0,x,y,z,1\n")
    plan = plan_sweep(quick(), grid, 2, SEED, tmp_path)
    assert plan.rejected == (edited,) and len(plan.done) == 1
    spy = CountingExecutor()
    again = sweep(quick(), grid, replications=2, seed=SEED, executor=spy, folder=tmp_path)
    assert spy.tasks == 2  # the edited point, two replications
    pd.testing.assert_frame_equal(again.table, first.table, check_exact=True)
    assert edited.exists()  # simcc leaves the edited file alone and writes a fresh one
    assert len(plan_sweep(quick(), grid, 2, SEED, tmp_path).done) == 2


def test_point_ids_depend_on_the_simcc_version():
    scenario = simcc.load_scenario(quick())
    assert point_id(scenario, SEED, 2, "0.1.0") != point_id(scenario, SEED, 2, "0.2.0")
    assert point_id(scenario, SEED, 2) == point_id(scenario, SEED, 2, simcc_version())


# ----------------------------------------------------------------------------- scenario

def test_the_sweep_section_is_validated_and_removed_from_points():
    doc = quick(sweep={"grid": {"agents.team.count": "4:6:2", "routing.policy": "fifo"}},
                variants={"more": {"agents.team.count": 8}})
    scenario = simcc.load_scenario(doc)
    assert scenario.sweep.grid == {"agents.team.count": [4, 6], "routing.policy": ["fifo"]}
    plan = plan_sweep(doc, seed=SEED)
    assert plan.points == [{"agents.team.count": 4, "routing.policy": "fifo"},
                           {"agents.team.count": 6, "routing.policy": "fifo"}]
    assert all(s.sweep is None and not s.variants for s in plan.scenarios)
    for bad, message in ((quick(sweep={"grid": {"a": "6:4:1"}, "grdi": 1}), "sweep.grdi"),
                         (quick(sweep={"grid": {"a": "6:4:1"}}), "sweep.grid: a: range"),
                         (quick(sweep={"grid": {}}), "sweep.grid: must not be empty")):
        with pytest.raises(simcc.ScenarioError, match=message):
            simcc.load_scenario(bad)


def write_scenario(folder, **changes):
    path = folder / "swept.yaml"
    path.write_text(yaml.safe_dump(quick(**changes), sort_keys=False))
    return path


def test_cli_sweeps_the_section_and_resumes(tmp_path):
    path = write_scenario(tmp_path, sweep={"grid": {"agents.team.count": [4, 6]}})
    runner = CliRunner()
    base = ["sweep", str(path), "-n", "2", "--seed", str(SEED), "--executor", "serial"]
    proc = runner.invoke(app, [*base, "--json"])
    assert proc.exit_code == 0, proc.output
    document = json.loads(proc.stdout)
    assert [p["values"] for p in document["points"]] == [{"agents.team.count": 4},
                                                          {"agents.team.count": 6}]
    proc = runner.invoke(app, [*base, "--grid", "agents.team.count=5", "--json"])
    assert [p["values"] for p in json.loads(proc.stdout)["points"]] == [
        {"agents.team.count": 5}]  # --grid replaces the section
    out = tmp_path / "out"
    assert runner.invoke(app, [*base, "--out", str(out)]).exit_code == 0
    proc = runner.invoke(app, [*base, "--out", str(out)])
    assert proc.exit_code == 0, proc.output
    assert "resuming: 2 of 2 points already done" in proc.stderr
    assert "agents.team.count" in proc.stdout and "ASA" in proc.stdout
    assert json.loads((out / "sweep.json").read_text()) == document
    run = runner.invoke(app, ["run", str(path), "-n", "1", "--executor", "serial", "--json"])
    assert run.exit_code == 0, run.output  # simcc run ignores the section


@pytest.mark.parametrize(("grid", "problem"), [
    ("agents.team.count=6:4:1", "the end must be >= the start"),
    ("agents.team.count=4,-1", "sweep point 2 of 2 (agents.team.count=-1)"),
    ("routing.policy=skill_based,nonsense", "nonsense"),
])
def test_bad_grid_exits_2_and_writes_nothing(tmp_path, grid, problem):
    path = write_scenario(tmp_path)
    out = tmp_path / "out"
    proc = CliRunner().invoke(app, ["sweep", str(path), "--grid", grid, "--out", str(out)])
    assert proc.exit_code == 2
    assert problem in " ".join(proc.stderr.split())
    assert "Traceback" not in proc.output
    assert not out.exists()


# ----------------------------------------------------------------------------- Dask

def test_a_dask_cluster_gives_the_same_table():
    distributed = pytest.importorskip("distributed")
    from simcc.experiment.executors import DaskExecutor

    grid = {"agents.team.count": [4, 6]}
    local = sweep(quick(), grid, replications=2, seed=SEED, executor=LocalExecutor(2))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client, DaskExecutor(client=client) as executor:
        remote = sweep(quick(), grid, replications=2, seed=SEED, executor=executor)
    pd.testing.assert_frame_equal(remote.table, local.table, check_exact=True)
    pd.testing.assert_frame_equal(remote.replication_kpis, local.replication_kpis,
                                  check_exact=True)
