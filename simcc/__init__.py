"""simcc: a discrete-event contact-center simulator.

Public API::

    import simcc
    scenario = simcc.load_scenario("scenarios/erlang_a.yaml")
    result = simcc.simulate(scenario, replications=10)
    result.kpis              # scope, key, kpi, mean, ci_low, ci_high, n
    result.table("channel")  # wide table of KPI means
    swept = simcc.sweep(scenario, {"agents.team.count": "96:104:2"}, replications=5)
    swept.table              # agents.team.count, kpi, mean, ci_low, ci_high, n
    simcc.validate("scenarios/erlang_a.yaml")   # [] or ScenarioWarning objects
"""

from simcc.errors import ScenarioError, ScenarioWarning, SimccError, SimccWarning
from simcc.experiment import (
    Comparison,
    Result,
    SweepResult,
    assert_policy,
    check_policy,
    compare,
    simulate,
    sweep,
    validate,
)
from simcc.experiment import prepare as load_scenario
from simcc.scenario import Scenario

__version__ = "0.1.0"

__all__ = ["Comparison", "Result", "Scenario", "ScenarioError", "ScenarioWarning",
           "SimccError", "SimccWarning", "SweepResult", "__version__", "assert_policy",
           "check_policy", "compare", "load_scenario", "simulate", "sweep", "validate"]
