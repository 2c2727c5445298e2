"""Process-level helpers shared by the engine and the record tables."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a block.

    A replication allocates millions of small acyclic objects (events, record tuples);
    the collector would repeatedly rescan all of them for cycles that do not exist.
    Reference counting still frees everything; the collector resumes afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
