"""Named random streams (docs/model.md, "Random streams and common random numbers").

Replication ``r`` of seed ``s`` starts from ``SeedSequence(s, spawn_key=(r,))``. Each
random source gets its own ``numpy.random.Generator`` derived from that sequence and a
stable hash of the source's *name* (``"arrivals/0"``, ``"patience/0"``, ``"tiebreak"``),
so a stream does not depend on which other streams exist or in which order they are
created: that is what keeps customers' exogenous draws identical across routing
policies (common random numbers).
"""

from __future__ import annotations

import hashlib

import numpy as np


def replication_seedseq(seed: int, replication: int) -> np.random.SeedSequence:
    """The seed sequence of replication ``replication`` (0-based) of ``seed``."""
    return np.random.SeedSequence(seed, spawn_key=(replication,))


def _name_key(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


class Streams:
    """Factory of named generators for one replication."""

    def __init__(self, seedseq: np.random.SeedSequence):
        self._seedseq = seedseq
        self._cache: dict[str, np.random.Generator] = {}

    def __call__(self, name: str) -> np.random.Generator:
        """The generator of stream ``name`` (the same object on every call)."""
        generator = self._cache.get(name)
        if generator is None:
            child = np.random.SeedSequence(
                self._seedseq.entropy,
                spawn_key=(*self._seedseq.spawn_key, _name_key(name)),
                pool_size=self._seedseq.pool_size,
            )
            generator = self._cache[name] = np.random.Generator(np.random.PCG64(child))
        return generator
