"""The shared local worker pool: worker processes kept alive across API calls.

Forking workers and importing nothing new costs tens of milliseconds per call, which
dominates an analyst loop of small runs (``simulate`` in a loop, ``compare``, ``sweep``,
the staffing search). So every :class:`~simcc.experiment.executors.LocalExecutor` of
the same worker count uses one pool of processes, created on first use and kept:

- **lazily created, per worker count**: the pool for ``workers=N`` is started by the
  first map that needs more than one process, with as many processes as that map can
  use (at most ``N``), and grown (replaced) when a later map can use more;
- **rebuilt transparently**: a map that fails or is interrupted (Ctrl-C, SIGTERM turned
  into ``KeyboardInterrupt``) terminates the pool's workers at once (:func:`stop_now`)
  and drops the pool; so does a pool found broken (a worker killed while idle). The
  next map starts a fresh one;
- **owned by one process**: a forked child never uses (nor shuts down) its parent's
  pools, it starts its own: the registry is emptied in the child after ``os.fork``, and
  each pool remembers the process id that created it for forks that skip Python's
  fork hooks;
- **closed at exit** (an ``atexit`` hook) or by :func:`shutdown_workers`
  (``simcc.shutdown_workers()``), which also forces the next call to start fresh
  workers: call it after changing a policy module that workers have already imported,
  since workers are forked once and keep the code they had.

Workers never outlive their parent: :func:`worker_setup` runs in each (SIGINT left to
the parent, the kernel's parent-death signal, a watchdog thread). And they work in the
parent's present, not in the past they were forked in: each task carries the parent's
working directory, environment and ``sys.path`` (:func:`parent_context`), which the
worker adopts before running it (:func:`adopt`), so that relative record folders,
``SIMCC_*`` variables and policy modules on a path added later resolve as in the
parent.

This registry is the one piece of module-level state in the experiment layer (the
design's "no module-level state" yields to the issue asking for a persistent pool); it
holds processes only, never results, so numbers do not depend on it.
"""

from __future__ import annotations

import atexit
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

PR_SET_PDEATHSIG = 1
"""``prctl`` option: the signal a Linux process gets when its parent dies."""


@dataclass
class _Pool:
    """A started pool: its executor, its number of processes and its creator's pid."""

    executor: ProcessPoolExecutor
    size: int
    pid: int


_pools: dict[int, _Pool] = {}
"""Worker count -> the pool of that count (entries of another pid are a fork's copy)."""
_lock = threading.Lock()
_atexit_registered = False


def _after_fork_in_child() -> None:
    """In a forked child: forget the parent's pools and take a fresh lock (another
    thread of the parent may have held it at the fork)."""
    global _lock
    _lock = threading.Lock()
    _pools.clear()


os.register_at_fork(after_in_child=_after_fork_in_child)


def shared_pool(workers: int, size: int) -> ProcessPoolExecutor:
    """The shared pool of ``workers`` worker count, with at least ``size`` processes
    (``size <= workers``): the existing one when it is healthy, belongs to this process
    and is big enough, else a new one (a smaller one is shut down without waiting; its
    running tasks finish)."""
    global _atexit_registered
    with _lock:
        entry = _pools.get(workers)
        if entry is not None and _usable(entry) and entry.size >= size:
            return entry.executor
        if entry is not None and entry.pid == os.getpid():
            entry.executor.shutdown(wait=False)
        _pools[workers] = entry = _Pool(_start(size), size, os.getpid())
        if not _atexit_registered:
            atexit.register(shutdown_workers)
            _atexit_registered = True
        return entry.executor


def _usable(entry: _Pool) -> bool:
    """Whether ``entry`` was created by this process and none of its workers died."""
    if entry.pid != os.getpid() or getattr(entry.executor, "_broken", False):
        return False
    return all(process.is_alive() for process in _processes(entry.executor).values())


def _processes(executor: ProcessPoolExecutor) -> dict:
    """The executor's worker processes by pid (``_processes``: it has no public accessor;
    empty before the first submit and after shutdown)."""
    return getattr(executor, "_processes", None) or {}


def _start(size: int) -> ProcessPoolExecutor:
    """A new pool of ``size`` processes (fork where available: workers start with the
    parent's imports, policies included)."""
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    # Linux sends the parent-death signal when the creating *thread* ends: only ask for
    # it from the main thread, which lives as long as the process (the watchdog covers
    # a pool started from another thread).
    main = threading.current_thread() is threading.main_thread()
    return ProcessPoolExecutor(max_workers=size, mp_context=context,
                               initializer=worker_setup, initargs=(os.getpid(), main))


def discard_pool(executor: ProcessPoolExecutor) -> None:
    """Terminate the workers of ``executor`` now (:func:`stop_now`) and forget it, so
    that the next map starts a fresh pool (after a failed or interrupted map)."""
    with _lock:
        for workers, entry in list(_pools.items()):
            if entry.executor is executor:
                del _pools[workers]
    stop_now(executor)


def shutdown_workers() -> None:
    """Shut down every shared worker pool of this process, waiting for the workers to
    exit (queued tasks are cancelled). The next local run starts new workers. Runs at
    interpreter exit; safe to call at any time and more than once. A forked child's
    copies of its parent's pools are forgotten, not shut down."""
    with _lock:
        entries = list(_pools.values())
        _pools.clear()
    for entry in entries:
        if entry.pid == os.getpid():
            entry.executor.shutdown(wait=True, cancel_futures=True)


def pool_pids(workers: int) -> list[int]:
    """Process ids of the live workers of the shared pool of ``workers`` worker count
    in this process (empty when there is none)."""
    entry = _pools.get(workers)
    if entry is None or entry.pid != os.getpid():
        return []
    return sorted(pid for pid, process in _processes(entry.executor).items()
                  if process.is_alive())


ProcessContext = tuple[str, dict[str, str], list[str]]
"""What a worker takes over from its parent for each task: working directory,
environment variables, ``sys.path``."""


def parent_context() -> ProcessContext:
    """This process's working directory, environment and module search path."""
    return os.getcwd(), dict(os.environ), list(sys.path)


def adopt(context: ProcessContext) -> None:
    """Make this (worker) process's working directory, environment and ``sys.path``
    those of ``context``, changing only what differs."""
    cwd, environ, path = context
    if os.getcwd() != cwd:
        os.chdir(cwd)
    if dict(os.environ) != environ:
        os.environ.clear()
        os.environ.update(environ)
    if sys.path != path:
        sys.path[:] = path


def stop_now(executor: ProcessPoolExecutor) -> None:
    """Cancel the queued tasks and end the worker processes without waiting for the
    running ones (Ctrl-C, a failed task)."""
    processes = list(_processes(executor).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)


def worker_setup(parent_pid: int, death_signal: bool = True) -> None:
    """Run in each worker process as it starts: leave Ctrl-C to the parent (which
    cancels the work), and die with the parent even when it is killed (SIGKILL gives it
    no chance to clean up): the kernel's parent-death signal on Linux (when
    ``death_signal``), and on every system a watchdog thread that ends the worker once
    its parent has gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler (fork)
    if death_signal:
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
