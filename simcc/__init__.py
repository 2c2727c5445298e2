"""simcc: a discrete-event contact-center simulator.

Public API::

    import simcc
    scenario = simcc.load_scenario("scenarios/erlang_a.yaml")
    result = simcc.simulate(scenario, replications=10)
    result.kpis              # scope, key, kpi, mean, ci_low, ci_high, n
    result.table("channel")  # wide table of KPI means
"""

from simcc.errors import ScenarioError, SimccError
from simcc.experiment import Result, simulate
from simcc.experiment import prepare as load_scenario
from simcc.scenario import Scenario

__version__ = "0.1.0"

__all__ = ["Result", "Scenario", "ScenarioError", "SimccError", "__version__", "load_scenario",
           "simulate"]
