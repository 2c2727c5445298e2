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

import ctypes
import math
import multiprocessing
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

from simcc.errors import SimccError, shown
from simcc.units import parse_duration

SCHEDULER_ENV = "SIMCC_SCHEDULER"
EXECUTORS = ("local", "serial", "dask")
DASK_TIMEOUT_ENV = "SIMCC_DASK_TIMEOUT"
DASK_TIMEOUT_S = 300.0
CONNECT_TIMEOUT_S = 20.0  # how long to try reaching a Dask scheduler before giving up
"""Default seconds a Dask run waits while the cluster has no worker."""
PR_SET_PDEATHSIG = 1
"""``prctl`` option: the signal a Linux process gets when its parent dies."""

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
        pool = ProcessPoolExecutor(max_workers=min(self.workers, len(tasks)),
                                   mp_context=context, initializer=worker_setup,
                                   initargs=(os.getpid(),))
        try:
            futures = {pool.submit(fn, *task): index for index, task in enumerate(tasks)}
            for future in as_completed(futures):
                collect(futures[future], future.result())
        except BaseException:
            _stop_now(pool)
            raise
        pool.shutdown()


def _stop_now(pool: ProcessPoolExecutor) -> None:
    """Cancel the queued tasks and end the worker processes without waiting for the
    running ones (Ctrl-C, a failed task)."""
    processes = list(getattr(pool, "_processes", {}).values())  # no public accessor
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)


def worker_setup(parent_pid: int) -> None:
    """Run in each worker process as it starts: leave Ctrl-C to the parent (which
    cancels the work), and die with the parent even when it is killed (SIGKILL gives it
    no chance to clean up): the kernel's parent-death signal on Linux, and on every
    system a watchdog thread that ends the worker once its parent has gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler (fork)
    _set_parent_death_signal()
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True,
                     name="simcc-parent-watchdog").start()


def _set_parent_death_signal() -> bool:
    """Ask Linux to send SIGKILL to this process when its parent dies; False where that
    is not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent_pid: int, every_s: float = 1.0) -> None:
    """End this process as soon as its parent is no longer ``parent_pid`` (the parent
    died and the process was re-parented)."""
    while os.getppid() == parent_pid:
        time.sleep(every_s)
    os._exit(1)


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
        futures = [self.client.submit(fn, *task, pure=False) for task in tasks]
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
