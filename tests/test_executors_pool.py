"""The shared local worker pool: reused across calls, rebuilt after a failure, an
interrupt, a dead worker or a fork, closed by ``simcc.shutdown_workers``; shared task
arguments pickled once per map and unpickled once per worker."""

import multiprocessing
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import simcc
from simcc.experiment import pool as shared_pools
from simcc.experiment import shared
from simcc.experiment.executors import LocalExecutor, SerialExecutor, chunk_size
from simcc.experiment.shared import Shared
from tests.helpers import small

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def fresh_pools():
    simcc.shutdown_workers()
    yield
    simcc.shutdown_workers()


def square(x):
    return x * x


def fail_on(x, bad):
    if x == bad:
        raise ValueError(f"task {x} failed")
    return x


def pid_and_id(value, _index):
    return os.getpid(), id(value), value


def dead(pids, within_s=10.0):
    """Whether every process of ``pids`` has exited (reaped) within ``within_s``."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if not any(_alive(pid) for pid in pids):
            return True
        time.sleep(0.05)
    return False


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_second_simulate_reuses_the_same_worker_processes():
    doc = small(replications=4)
    first = simcc.simulate(doc, workers=2, records="none")
    pids = shared_pools.pool_pids(2)
    assert len(pids) == 2
    second = simcc.simulate(doc, workers=2, records="none")
    simcc.compare(doc | {"variants": {"more": {"agents": {"team": {"count": 6}}}}}, workers=2)
    assert shared_pools.pool_pids(2) == pids
    assert first.to_json() == second.to_json()


def test_closing_an_executor_leaves_the_shared_pool_to_the_others():
    with LocalExecutor(2) as executor:
        assert executor.map(square, [(k,) for k in range(4)]) == [0, 1, 4, 9]
    pids = shared_pools.pool_pids(2)
    LocalExecutor(2).close()
    assert LocalExecutor(2).map(square, [(5,), (6,)]) == [25, 36]
    assert shared_pools.pool_pids(2) == pids


def test_shutdown_ends_the_workers_and_the_next_run_starts_new_ones():
    LocalExecutor(2).map(square, [(1,), (2,)])
    pids = shared_pools.pool_pids(2)
    simcc.shutdown_workers()
    simcc.shutdown_workers()  # twice is fine
    assert dead(pids)
    assert shared_pools.pool_pids(2) == []
    assert LocalExecutor(2).map(square, [(3,), (4,)]) == [9, 16]
    assert not set(shared_pools.pool_pids(2)) & set(pids)


def test_the_workers_end_with_the_python_process():
    program = ("import simcc; from simcc.experiment.pool import pool_pids; "
               "from tests.helpers import small; "
               "simcc.simulate(small(replications=2), workers=2, records='none'); "
               "print(*pool_pids(2))")
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    pids = [int(pid) for pid in proc.stdout.split()]
    assert len(pids) == 2 and dead(pids, within_s=1.0)
    assert time.monotonic() - started < 60


def test_a_failed_map_ends_its_workers_and_the_next_map_gets_a_fresh_pool():
    LocalExecutor(2).map(square, [(1,), (2,)])
    pids = shared_pools.pool_pids(2)
    with pytest.raises(ValueError, match="task 3 failed"):
        LocalExecutor(2).map(fail_on, [(k, 3) for k in range(6)])
    assert dead(pids)
    assert LocalExecutor(2).map(fail_on, [(k, -1) for k in range(6)]) == list(range(6))
    assert not set(shared_pools.pool_pids(2)) & set(pids)


def test_an_interrupted_map_ends_its_workers_and_the_next_map_gets_a_fresh_pool():
    def interrupt(index, result):
        raise KeyboardInterrupt

    LocalExecutor(2).map(square, [(1,), (2,)])
    pids = shared_pools.pool_pids(2)
    with pytest.raises(KeyboardInterrupt):
        LocalExecutor(2).map(time.sleep, [(0.01,)] + [(30,)] * 3, interrupt)
    assert dead(pids)  # the 30 s tasks did not run on
    doc = small(replications=3)
    serial = simcc.simulate(doc, executor=SerialExecutor(), records="none")
    assert simcc.simulate(doc, workers=2, records="none").to_json() == serial.to_json()
    assert not set(shared_pools.pool_pids(2)) & set(pids)


def test_a_worker_killed_while_idle_is_replaced_transparently():
    LocalExecutor(2).map(square, [(1,), (2,)])
    victim = shared_pools.pool_pids(2)[0]
    os.kill(victim, signal.SIGKILL)
    assert dead([victim])
    assert LocalExecutor(2).map(square, [(k,) for k in range(5)]) == [0, 1, 4, 9, 16]
    assert victim not in shared_pools.pool_pids(2)


def _child_pool(queue):
    queue.put((LocalExecutor(2).map(square, [(2,), (3,)]), shared_pools.pool_pids(2)))
    simcc.shutdown_workers()


def test_a_forked_child_never_uses_its_parents_pool():
    LocalExecutor(2).map(square, [(1,), (2,)])
    pids = shared_pools.pool_pids(2)
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_child_pool, args=(queue,))
    child.start()
    results, child_pids = queue.get(timeout=60)
    child.join(timeout=30)
    assert child.exitcode == 0
    assert results == [4, 9]
    assert len(child_pids) == 2 and not set(child_pids) & set(pids)
    assert LocalExecutor(2).map(square, [(5,), (6,)]) == [25, 36]  # the parent's still works
    assert shared_pools.pool_pids(2) == pids


def where_am_i(_index):
    return os.getcwd(), os.environ.get("SIMCC_POOL_TEST"), sys.path[0]


def test_reused_workers_follow_the_parents_directory_environment_and_path(
        tmp_path, monkeypatch):
    LocalExecutor(2).map(square, [(1,), (2,)])  # workers forked before the changes
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SIMCC_POOL_TEST", "later")
    monkeypatch.syspath_prepend(str(tmp_path / "policies"))
    seen = set(LocalExecutor(2).map(where_am_i, [(k,) for k in range(4)]))
    assert seen == {(str(tmp_path), "later", str(tmp_path / "policies"))}


def test_a_pool_of_another_process_id_is_left_alone(monkeypatch):
    """As after a fork that skipped Python's fork hooks: the registry still holds the
    parent's pool, which the child must neither use nor shut down."""
    LocalExecutor(2).map(square, [(1,), (2,)])
    parents = shared_pools._pools[2]
    monkeypatch.setattr(parents, "pid", os.getpid() + 1)
    try:
        assert LocalExecutor(2).map(square, [(3,), (4,)]) == [9, 16]
        assert shared_pools._pools[2].executor is not parents.executor
        assert not parents.executor._shutdown_thread  # not shut down by the "child"
        simcc.shutdown_workers()
        assert not parents.executor._shutdown_thread
    finally:
        parents.executor.shutdown()


def test_a_pool_grows_when_a_map_can_use_more_workers():
    LocalExecutor(4).map(square, [(1,), (2,)])
    assert len(shared_pools.pool_pids(4)) == 2  # two tasks need two processes only
    assert LocalExecutor(4).map(square, [(k,) for k in range(8)]) == [k * k for k in range(8)]
    assert len(shared_pools.pool_pids(4)) == 4


def test_chunked_results_come_back_in_task_order_and_each_is_reported():
    seen = []
    tasks = [(k,) for k in range(101)]
    results = LocalExecutor(2, chunks_per_worker=3).map(square, tasks,
                                                      lambda i, r: seen.append((i, r)))
    assert results == [k * k for k in range(101)]
    assert sorted(seen) == [(k, k * k) for k in range(101)]


def test_chunk_sizes():
    assert chunk_size(200, 2, 8) == 12
    assert chunk_size(10, 2, 8) == 1
    assert chunk_size(200, 2, None) == 1


def test_numbers_do_not_depend_on_chunking_or_workers():
    doc = small(replications=5)
    serial = simcc.simulate(doc, executor=SerialExecutor(), records="none").to_json()
    for executor in (LocalExecutor(2), LocalExecutor(2, chunks_per_worker=1),
                     LocalExecutor(2, chunks_per_worker=8), LocalExecutor(3)):
        assert simcc.simulate(doc, executor=executor, records="none").to_json() == serial


class Counted:
    """A value that counts how often it is pickled in this process."""

    pickled = 0

    def __init__(self, label):
        self.label = label

    def __getstate__(self):
        Counted.pickled += 1
        return {"label": self.label}

    def __eq__(self, other):
        return isinstance(other, Counted) and other.label == self.label


def test_a_shared_argument_is_pickled_once_per_map_and_unpickled_once_per_worker():
    Counted.pickled = 0
    value = Shared(Counted("scenario"))
    out = LocalExecutor(2).map(pid_and_id, [(value, k) for k in range(40)])
    assert Counted.pickled == 1
    LocalExecutor(2, chunks_per_worker=4).map(pid_and_id, [(value, k) for k in range(40)])
    assert Counted.pickled == 1  # the payload is kept with the wrapper
    assert all(v == Counted("scenario") for _, _, v in out)
    by_worker = {}
    for pid, identity, _ in out:
        by_worker.setdefault(pid, set()).add(identity)
    assert by_worker and all(len(ids) == 1 for ids in by_worker.values())


def test_a_shared_argument_reaches_in_process_tasks_unwrapped():
    value = Shared(Counted("x"))
    for executor in (SerialExecutor(), LocalExecutor(1), LocalExecutor(2)):
        (_, _, got), = executor.map(pid_and_id, [(value, 0)])
        assert isinstance(got, Counted) and got.label == "x"


def test_restoring_a_payload_unpickles_it_once_and_keeps_a_bounded_cache():
    before = shared.cache_stats()
    digest, payload = Shared({"a": [1, 2]}).packed()
    first = pickle.loads(pickle.dumps(Shared({"a": [1, 2]})))
    again = shared.restore(digest, payload)
    assert first == {"a": [1, 2]} and again is first
    after = shared.cache_stats()
    assert after["unpickled"] - before["unpickled"] == 1
    assert after["hits"] - before["hits"] == 1
    for k in range(shared.CACHE_SIZE + 1):
        shared.restore(*Shared(k).packed())
    assert len(shared._cache) == shared.CACHE_SIZE
    assert digest not in shared._cache
