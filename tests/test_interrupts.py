"""Interrupted runs: SIGINT and SIGTERM cancel queued replications and exit promptly
with 130, worker processes never outlive the command (not even a SIGKILLed one), and
the staging folder a killed run leaves is removed by the next run."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import interruptible

from simcc.errors import SimccError
from simcc.experiment.executors import dask_timeout, wait_for_futures

psutil = pytest.importorskip("psutil")
ROOT = Path(__file__).resolve().parents[1]
SLOW = "benchmarks/erlang_a_500k.yaml"  # about ten seconds per replication


def start(out, *extra):
    return subprocess.Popen([sys.executable, "-m", "simcc", "run", SLOW, "-n", "8",
                             "--workers", "2", "--out", str(out), "--records", "all", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT, preexec_fn=interruptible)


def workers_of(proc, count=2, within_s=30.0):
    """The worker processes of ``proc`` once it has started ``count`` of them."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        children = psutil.Process(proc.pid).children(recursive=True)
        if len(children) >= count:
            time.sleep(1.0)  # let them begin a replication
            return children
        time.sleep(0.2)
    raise AssertionError("the workers did not start")


def gone(processes, within_s=10.0):
    _, alive = psutil.wait_procs(processes, timeout=within_s)
    for process in alive:
        process.kill()
    return not alive


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_cancels_queued_work_and_exits_promptly(tmp_path, sig):
    out = tmp_path / "out"
    proc = start(out)
    children = workers_of(proc)
    sent = time.monotonic()
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert time.monotonic() - sent < 8  # not after the 8 queued replications
    assert proc.returncode == 130
    assert "interrupted" in err and "Traceback" not in err
    assert gone(children)
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no output, no staging


def test_workers_die_with_a_killed_command_and_its_staging_is_cleaned(tmp_path):
    out = tmp_path / "out"
    proc = start(out)
    children = workers_of(proc)
    proc.kill()
    proc.communicate(timeout=30)
    assert gone(children)
    stale = [p for p in tmp_path.iterdir() if ".simcc-staging." in p.name]
    assert len(stale) == 1  # SIGKILL gives no chance to clean up
    quick = subprocess.run([sys.executable, "-m", "simcc", "run", "scenarios/erlang_a.yaml",
                            "-n", "1", "--set", "horizon.duration=2h", "-q", "--out",
                            str(out)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert quick.returncode == 0, quick.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


class FakeFuture:
    def __init__(self, key):
        self.key = key


def test_waiting_on_a_cluster_without_workers_times_out():
    futures = [FakeFuture(k) for k in range(3)]
    clock = iter(range(0, 1000, 10))
    finished = []

    def wait_some(pending, seconds):  # one future finishes, then nothing ever again
        return {pending[0]} if len(pending) == 3 else set()

    workers = iter([1, 0, 0, 0, 0, 0, 0])
    with pytest.raises(SimccError, match="no worker for 30 s and 2 of 3 replications"):
        for future in wait_for_futures(futures, wait_some, lambda: next(workers), 30,
                                       clock=lambda: next(clock)):
            finished.append(future.key)
    assert finished == [0]


def test_waiting_goes_on_while_workers_are_present_and_a_worker_resets_the_clock():
    futures = [FakeFuture(k) for k in range(2)]
    calls = iter([set(), set(), set(), {futures[0]}, set(), {futures[1]}])
    workers = iter([0, 0, 1, 1, 0, 0])  # no worker for 20 s, then one joins
    clock = iter(range(0, 1000, 10))
    done = list(wait_for_futures(futures, lambda p, s: next(calls), lambda: next(workers),
                                 25, clock=lambda: next(clock)))
    assert [f.key for f in done] == [0, 1]


def test_the_dask_timeout_comes_from_the_environment():
    assert dask_timeout({}) == 300
    assert dask_timeout({"SIMCC_DASK_TIMEOUT": "90s"}) == 90
    assert dask_timeout({"SIMCC_DASK_TIMEOUT": "2m"}) == 120
    for bad in ("soon", "0s"):
        with pytest.raises(SimccError, match="SIMCC_DASK_TIMEOUT"):
            dask_timeout({"SIMCC_DASK_TIMEOUT": bad})


def test_a_dask_run_whose_last_worker_dies_stops_with_a_clear_error():
    distributed = pytest.importorskip("distributed")
    from simcc.experiment.executors import DaskExecutor

    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        executor = DaskExecutor(client=client, timeout_s=2)
        cluster.scale(0)  # the only worker goes away before the tasks can run
        started = time.monotonic()
        with pytest.raises(SimccError, match="no worker for 2 s"):
            executor.map(time.sleep, [(30,), (30,)])
        assert time.monotonic() - started < 30

