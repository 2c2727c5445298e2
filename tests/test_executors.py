"""Executors: serial, local processes and a Dask cluster give identical numbers."""

import subprocess
import sys
from pathlib import Path

import pytest

import simcc
from simcc.errors import SimccError
from simcc.experiment.executors import (
    LocalExecutor,
    SerialExecutor,
    make_executor,
)
from tests.helpers import small

ROOT = Path(__file__).resolve().parents[1]


def square(x):
    return x * x


def test_results_come_back_in_task_order_and_each_is_reported():
    seen = []
    with LocalExecutor(2) as executor:
        results = executor.map(square, [(k,) for k in range(7)], lambda i, r: seen.append((i, r)))
    assert results == [k * k for k in range(7)]
    assert sorted(seen) == [(k, k * k) for k in range(7)]
    assert SerialExecutor().map(square, []) == []


def test_local_processes_and_serial_give_the_same_numbers():
    doc = small(replications=3)
    serial = simcc.simulate(doc, executor=SerialExecutor(), records="none")
    local = simcc.simulate(doc, executor=LocalExecutor(2), records="none")
    assert serial.to_json() == local.to_json()


def test_executor_choice_and_errors(monkeypatch):
    monkeypatch.delenv("SIMCC_SCHEDULER", raising=False)
    assert make_executor().name == "local"
    assert make_executor("serial").name == "serial"
    with pytest.raises(SimccError, match="unknown executor 'gpu'"):
        make_executor("gpu")
    with pytest.raises(SimccError, match="needs a scheduler address"):
        make_executor("dask")


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as local_cluster:
        yield local_cluster


def test_dask_cluster_gives_the_local_numbers(cluster):
    from distributed import Client

    from simcc.experiment.executors import DaskExecutor

    doc = small(replications=4)
    local = simcc.simulate(doc, workers=2, records="none")
    with Client(cluster) as client:
        on_dask = simcc.simulate(doc, executor=DaskExecutor(client=client), records="none")
        compared = simcc.compare(doc | {"variants": {"more": {"agents": {"team": {"count": 6}}}}},
                                 executor=DaskExecutor(client=client))
    assert on_dask.to_json() == local.to_json()
    assert on_dask.replication_kpis.equals(local.replication_kpis)
    local_compare = simcc.compare(doc | {"variants": {"more": {"agents": {"team": {"count": 6}}}}},
                                  workers=2)
    assert compared.to_json() == local_compare.to_json()


def test_cli_runs_on_a_scheduler_given_by_option_or_environment(cluster):
    command = [sys.executable, "-m", "simcc", "run", "scenarios/erlang_a.yaml", "--json", "-n",
               "2", "--set", "horizon.duration=1h", "--set", "horizon.warmup=0"]
    local = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=True)
    by_option = subprocess.run(command + ["--executor", "dask", "--scheduler",
                                          cluster.scheduler_address],
                               capture_output=True, text=True, cwd=ROOT)
    assert by_option.returncode == 0, by_option.stderr
    env = {**__import__("os").environ, "SIMCC_SCHEDULER": cluster.scheduler_address}
    by_env = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env)
    assert by_env.returncode == 0, by_env.stderr
    assert by_option.stdout == local.stdout == by_env.stdout


def test_an_unreachable_scheduler_is_a_clear_error():
    pytest.importorskip("distributed")
    # The real command line, with the 20 s connection timeout cut to 2 s so that the
    # refused connection is reported quickly (the path to the error is the same).
    program = ("import sys; import simcc.experiment.executors as e; e.CONNECT_TIMEOUT_S = 2.0;"
               " from simcc.cli import main; sys.argv[0] = 'simcc'; main()")
    proc = subprocess.run([sys.executable, "-c", program, "run", "scenarios/erlang_a.yaml",
                           "--executor", "dask", "--scheduler", "tcp://127.0.0.1:1"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:1" in proc.stderr
    assert "Traceback" not in proc.stderr
