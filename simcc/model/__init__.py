"""The SimPy engine: ``build(scenario, seedseq) -> Replication``; ``.run() -> Records``."""

from simcc.model.build import Replication, build
from simcc.model.streams import Streams, replication_seedseq

__all__ = ["Replication", "Streams", "build", "replication_seedseq"]
