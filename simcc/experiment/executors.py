"""Executors: where replication tasks run.

An executor runs independent tasks ``fn(*args)`` and hands back their results in task
order. Tasks are pure functions of their arguments (a replication is a function of the
scenario, the seed and its index), so every executor gives the same numbers:

- ``serial``: in this process, one after the other;
- ``local`` (default): worker processes of this machine (one per core by default);
- ``dask``: the workers of an existing Dask distributed cluster, reached through its
  scheduler address (``--scheduler`` or the ``SIMCC_SCHEDULER`` environment variable).
  Dask is the optional extra ``simcc[dask]``; see docs/scale.md for deploying a cluster.

An argument shared by many tasks (the scenario) can be wrapped in
:class:`~simcc.experiment.shared.Shared`: it is then pickled once per map and unpickled
once per worker process; task functions always receive the value itself.
"""

from __future__ import annotations

import math
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import as_completed
from typing import Any

from simcc.errors import SimccError, shown
from simcc.experiment.pool import (
    ProcessContext,
    adopt,
    discard_pool,
    parent_context,
    shared_pool,
)
from simcc.experiment.shared import Shared, call_resolved
from simcc.units import parse_duration

SCHEDULER_ENV = "SIMCC_SCHEDULER"
EXECUTORS = ("local", "serial", "dask")
DASK_TIMEOUT_ENV = "SIMCC_DASK_TIMEOUT"
DASK_TIMEOUT_S = 300.0
CONNECT_TIMEOUT_S = 20.0  # how long to try reaching a Dask scheduler before giving up
"""Default seconds a Dask run waits while the cluster has no worker."""
OnResult = Callable[[int, Any], None]
"""Called as ``on_result(task_index, result)`` as each task finishes (any order)."""


class Executor:
    """Runs tasks; subclasses implement :meth:`_run`. Use as a context manager or call
    :meth:`close` to release workers."""

    name = "executor"

    def map(self, fn: Callable[..., Any], tasks: Sequence[tuple],
            on_result: OnResult | None = None) -> list[Any]:
        """``[fn(*task) for task in tasks]``, computed by the executor's workers;
        ``on_result`` sees each result as soon as its task ends."""
        results: list[Any] = [None] * len(tasks)

        def collect(index: int, value: Any) -> None:
            results[index] = value
            if on_result is not None:
                on_result(index, value)

        if tasks:
            self._run(fn, list(tasks), collect)
        return results

    def _run(self, fn: Callable[..., Any], tasks: list[tuple], collect: OnResult) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Release the executor's workers (nothing to do by default)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SerialExecutor(Executor):
    """Every task in this process, in order."""

    name = "serial"

    def _run(self, fn, tasks, collect) -> None:
        for index, task in enumerate(tasks):
            collect(index, call_resolved(fn, *task))


class LocalExecutor(Executor):
    """Worker processes on this machine (``workers``: default one per core); with one
    worker or one task, runs in this process.

    The processes are the shared pool of that worker count (:mod:`simcc.experiment.pool`):
    started by the first map that needs them and reused by every later map of any
    ``LocalExecutor`` with the same ``workers``, until ``simcc.shutdown_workers()`` or
    exit; :meth:`close` leaves them to the other users. A map that fails or is
    interrupted ends the pool's workers at once; the next map starts new ones.

    By default each task is one message to a worker and its result one message back.
    With ``chunks_per_worker=K`` tasks go in chunks of consecutive tasks, at least
    ``K`` chunks per process (:func:`chunk_size`), and ``on_result`` sees a chunk's
    results when the whole chunk is done. Chunks save about 0.1 ms of messaging per
    task, which matters only for tasks of a few milliseconds, and cost balance: with
    few chunks a process can sit idle while another finishes its last chunk
    (benchmarks/README.md, *Worker pool*).
    """

    name = "local"

    def __init__(self, workers: int | None = None,
                 chunks_per_worker: int | None = None):
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.chunks_per_worker = chunks_per_worker

    def _run(self, fn, tasks, collect) -> None:
        if self.workers <= 1 or len(tasks) <= 1:
            SerialExecutor()._run(fn, tasks, collect)
            return
        size = min(self.workers, len(tasks))
        pool = shared_pool(self.workers, size)
        step = chunk_size(len(tasks), size, self.chunks_per_worker)
        context = Shared(parent_context())
        try:
            futures = {pool.submit(run_chunk, context, fn, tasks[start:start + step]): start
                       for start in range(0, len(tasks), step)}
            for future in as_completed(futures):
                for offset, result in enumerate(future.result()):
                    collect(futures[future] + offset, result)
        except BaseException:
            discard_pool(pool)
            raise


def chunk_size(tasks: int, processes: int, chunks_per_worker: int | None) -> int:
    """Tasks per chunk: as many as leave each of ``processes`` at least
    ``chunks_per_worker`` chunks; one task per chunk for few tasks, or when
    ``chunks_per_worker`` is None (no chunking)."""
    if chunks_per_worker is None:
        return 1
    return max(1, tasks // (processes * chunks_per_worker))


def run_chunk(context: ProcessContext, fn: Callable[..., Any],
              tasks: Sequence[tuple]) -> list[Any]:
    """``[fn(*task) for task in tasks]`` in a worker that first adopts its parent's
    working directory, environment and ``sys.path`` (``context``; see
    :func:`~simcc.experiment.pool.adopt`); :class:`Shared` arguments unwrapped."""
    adopt(context)
    return [call_resolved(fn, *task) for task in tasks]


class DaskExecutor(Executor):
    """Tasks shipped to a Dask distributed cluster through its scheduler ``address``
    (``tcp://host:8786``), or to an existing ``distributed.Client``.

    The cluster's workers need the same simcc (and policy modules) installed. A task
    that fails raises its error here; the client closes with the executor unless it was
    handed in. When the cluster has had no worker for ``timeout_s`` seconds while tasks
    are waiting (default: ``SIMCC_DASK_TIMEOUT``, else 5 minutes) the run stops with a
    :class:`SimccError` instead of waiting forever.
    """

    name = "dask"

    def __init__(self, address: str | None = None, client: Any = None,
                 timeout_s: float | None = None):
        distributed = _import_distributed()
        self.timeout_s = dask_timeout() if timeout_s is None else timeout_s
        self._owns_client = client is None
        if client is None:
            origin = "--scheduler" if address else SCHEDULER_ENV
            address = address or os.environ.get(SCHEDULER_ENV)
            if not address:
                raise SimccError(f"the dask executor needs a scheduler address: give "
                                 f"--scheduler ADDRESS or set {SCHEDULER_ENV}")
            check_scheduler_address(address, origin)
            try:
                client = distributed.Client(address, timeout=f"{CONNECT_TIMEOUT_S}s")
            except (OSError, TimeoutError, ValueError) as error:
                raise SimccError(f"cannot reach the Dask scheduler at {address}: "
                                 f"{error}") from None
        self.client = client
        self._wait = distributed.wait

    def _run(self, fn, tasks, collect) -> None:
        futures = [self.client.submit(call_resolved, fn, *task, pure=False)
                   for task in tasks]
        index = {future.key: i for i, future in enumerate(futures)}
        try:
            for future in wait_for_futures(futures, self._wait_some, self._worker_count,
                                           self.timeout_s):
                collect(index[future.key], future.result())
        finally:
            for future in futures:
                future.release()

    def _wait_some(self, pending: list, seconds: float) -> set:
        """The futures of ``pending`` done within ``seconds`` (at least one, or none
        when the time is up)."""
        try:
            done, _ = self._wait(pending, timeout=seconds, return_when="FIRST_COMPLETED")
        except TimeoutError:
            return set()
        return set(done)

    def _worker_count(self) -> int:
        return len(self.client.scheduler_info().get("workers", {}))

    def close(self) -> None:
        if self._owns_client:
            self.client.close()


def dask_timeout(environ: Mapping[str, str] | None = None) -> float:
    """Seconds without any worker after which a Dask run stops: ``SIMCC_DASK_TIMEOUT``
    (a duration: ``90s``, ``10m``, or seconds), default :data:`DASK_TIMEOUT_S`."""
    text = (os.environ if environ is None else environ).get(DASK_TIMEOUT_ENV)
    if not text:
        return DASK_TIMEOUT_S
    try:
        seconds = parse_duration(text)
    except ValueError as error:
        raise SimccError(f"{DASK_TIMEOUT_ENV}={text!r}: {error}") from None
    if not 0 < seconds < math.inf:
        raise SimccError(f"{DASK_TIMEOUT_ENV}={text!r}: must be a positive duration")
    return seconds


def wait_for_futures(futures: Sequence[Any], wait_some: Callable[[list, float], set],
                     worker_count: Callable[[], int], timeout_s: float,
                     poll_s: float = 1.0, clock: Callable[[], float] = time.monotonic
                     ) -> Iterator[Any]:
    """Yield ``futures`` as they finish (any order). ``wait_some(pending, seconds)``
    returns those done within ``seconds``; between waits ``worker_count()`` tells how
    many workers the cluster has. Raises :class:`SimccError` once there has been no
    worker for ``timeout_s`` seconds with futures still pending."""
    pending = list(futures)
    alone_since: float | None = None
    while pending:
        done = wait_some(pending, poll_s)
        if done:
            pending = [future for future in pending if future not in done]
            yield from done
        if worker_count() > 0:
            alone_since = None
            continue
        now = clock()
        alone_since = now if alone_since is None else alone_since
        if now - alone_since >= timeout_s:
            raise SimccError(
                f"the Dask cluster has had no worker for {timeout_s:g} s and "
                f"{len(pending)} of {len(futures)} replications are unfinished: start "
                f"workers and run the command again (set {DASK_TIMEOUT_ENV} to wait "
                "longer)")


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise SimccError('the dask executor needs Dask: pip install "simcc[dask]"') from None
    return distributed


SCHEDULER_ADDRESS = re.compile(
    r"^(?:(?:tcp|tls|ws|wss|ucx)://)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):\d{1,5}/?$"
    r"|^inproc://\S+$")
"""A Dask scheduler address: ``[protocol://]host:port`` (IPv6 hosts in brackets)."""


def check_scheduler_address(address: str, origin: str = "--scheduler") -> None:
    """Raise :class:`SimccError` naming ``origin`` unless ``address`` reads as a Dask
    scheduler address (:data:`SCHEDULER_ADDRESS`)."""
    if not SCHEDULER_ADDRESS.match(address):
        raise SimccError(f"{origin}: expected a Dask scheduler address such as "
                         f"tcp://host:8786 or host:8786, got {shown(address, 80)}")


def make_executor(kind: str | None = None, workers: int | None = None,
                  scheduler: str | None = None) -> Executor:
    """The executor called ``kind`` (default ``local``, or ``dask`` when a scheduler is
    given or ``SIMCC_SCHEDULER`` is set)."""
    if kind is None:
        kind = "dask" if scheduler or os.environ.get(SCHEDULER_ENV) else "local"
    if kind == "local":
        return LocalExecutor(workers)
    if kind == "serial":
        return SerialExecutor()
    if kind == "dask":
        return DaskExecutor(scheduler)
    raise SimccError(f"unknown executor {kind!r}: use one of {', '.join(EXECUTORS)}")
