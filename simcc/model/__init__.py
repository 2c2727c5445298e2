"""The SimPy engine: ``compile_scenario(scenario) -> Plan``; ``build(plan, seedseq) ->
Replication``; ``.run() -> Records``."""

from simcc.model.build import Replication, build
from simcc.model.plan import Plan, compile_scenario
from simcc.model.streams import Streams, replication_seedseq

__all__ = ["Plan", "Replication", "Streams", "build", "compile_scenario", "replication_seedseq"]
