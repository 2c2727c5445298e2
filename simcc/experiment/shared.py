"""Task arguments shared by many tasks: pickled once per map, unpickled once per worker.

The replications of a run all take the same scenario (or compiled plan). Sent as a plain
argument it is pickled with every task and unpickled by every task. Wrapped in
:class:`Shared` it is pickled once (on first need) into a bytes payload named by its
digest; a task carries the digest and the payload (bytes cost a copy, not a rebuild, and
several tasks sent together in one message share one copy), and each worker process
unpickles a given digest once, keeping the object in a small per-process cache
(:data:`CACHE_SIZE` most recent objects).

So the value must be picklable and treated as immutable: tasks that run in the same
worker share one copy. Executors hand task functions the value itself, never the
wrapper: in worker processes unpickling gives the value; in this process
:func:`call_resolved` unwraps it.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

CACHE_SIZE = 16
"""Objects kept per process by :func:`restore` (least recently used dropped first)."""
DIGEST_BYTES = 16

_cache: OrderedDict[bytes, Any] = OrderedDict()
_lock = threading.Lock()
_stats = {"unpickled": 0, "hits": 0}


def _after_fork_in_child() -> None:
    """In a forked child: a fresh lock (another thread may have held it at the fork)."""
    global _lock
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)


class Shared:
    """``value`` as a task argument pickled at most once, whatever the number of tasks
    it is sent with."""

    __slots__ = ("value", "_packed")

    def __init__(self, value: Any):
        self.value = value
        self._packed: tuple[bytes, bytes] | None = None

    def packed(self) -> tuple[bytes, bytes]:
        """``(digest, payload)``: the pickled value and the BLAKE2b digest naming it,
        computed on first call."""
        if self._packed is None:
            payload = pickle.dumps(self.value, protocol=pickle.HIGHEST_PROTOCOL)
            digest = hashlib.blake2b(payload, digest_size=DIGEST_BYTES).digest()
            self._packed = (digest, payload)
        return self._packed

    def __reduce__(self) -> tuple[Callable[..., Any], tuple[bytes, bytes]]:
        return restore, self.packed()

    def __repr__(self) -> str:
        return f"Shared({type(self.value).__name__})"


def restore(digest: bytes, payload: bytes) -> Any:
    """The object pickled as ``payload``: unpickled on the first call for ``digest`` in
    this process, then taken from the cache."""
    with _lock:
        if digest in _cache:
            _cache.move_to_end(digest)
            _stats["hits"] += 1
            return _cache[digest]
    value = pickle.loads(payload)
    with _lock:
        _cache[digest] = value
        _stats["unpickled"] += 1
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return value


def cache_stats() -> dict[str, int]:
    """How many payloads this process unpickled and how many it found in its cache."""
    with _lock:
        return dict(_stats)


def call_resolved(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` with :class:`Shared` arguments unwrapped (those still wrapped: the
    call did not cross a process boundary)."""
    return fn(*(arg.value if isinstance(arg, Shared) else arg for arg in args))
