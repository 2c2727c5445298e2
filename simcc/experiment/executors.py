"""Executors: where replication tasks run.

An executor runs independent tasks ``fn(*args)`` and hands back their results in task
order. Tasks are pure functions of their arguments (a replication is a function of the
scenario, the seed and its index), so every executor gives the same numbers:

- ``serial``: in this process, one after the other;
- ``local`` (default): worker processes of this machine (one per core by default);
- ``dask``: the workers of an existing Dask distributed cluster, reached through its
  scheduler address (``--scheduler`` or the ``SIMCC_SCHEDULER`` environment variable).
  Dask is the optional extra ``simcc[dask]``; see docs/scale.md for deploying a cluster.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

from simcc.errors import SimccError

SCHEDULER_ENV = "SIMCC_SCHEDULER"
EXECUTORS = ("local", "serial", "dask")

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
            collect(index, fn(*task))


class LocalExecutor(Executor):
    """Worker processes on this machine (``workers``: default one per core); with one
    worker or one task, runs in this process."""

    name = "local"

    def __init__(self, workers: int | None = None):
        self.workers = max(1, workers or os.cpu_count() or 1)

    def _run(self, fn, tasks, collect) -> None:
        if self.workers <= 1 or len(tasks) <= 1:
            SerialExecutor()._run(fn, tasks, collect)
            return
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        with ProcessPoolExecutor(max_workers=min(self.workers, len(tasks)),
                                 mp_context=context) as pool:
            futures = {pool.submit(fn, *task): index for index, task in enumerate(tasks)}
            for future in as_completed(futures):
                collect(futures[future], future.result())


class DaskExecutor(Executor):
    """Tasks shipped to a Dask distributed cluster through its scheduler ``address``
    (``tcp://host:8786``), or to an existing ``distributed.Client``.

    The cluster's workers need the same simcc (and policy modules) installed. A task
    that fails raises its error here; the client closes with the executor unless it was
    handed in.
    """

    name = "dask"

    def __init__(self, address: str | None = None, client: Any = None):
        distributed = _import_distributed()
        self._owns_client = client is None
        if client is None:
            address = address or os.environ.get(SCHEDULER_ENV)
            if not address:
                raise SimccError(f"the dask executor needs a scheduler address: give "
                                 f"--scheduler ADDRESS or set {SCHEDULER_ENV}")
            try:
                client = distributed.Client(address, timeout="20s")
            except (OSError, TimeoutError) as error:
                raise SimccError(f"cannot reach the Dask scheduler at {address}: "
                                 f"{error}") from None
        self.client = client
        self._as_completed = distributed.as_completed

    def _run(self, fn, tasks, collect) -> None:
        futures = [self.client.submit(fn, *task, pure=False) for task in tasks]
        index = {future.key: i for i, future in enumerate(futures)}
        try:
            for future in self._as_completed(futures):
                collect(index[future.key], future.result())
        finally:
            for future in futures:
                future.release()

    def close(self) -> None:
        if self._owns_client:
            self.client.close()


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise SimccError('the dask executor needs Dask: pip install "simcc[dask]"') from None
    return distributed


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
