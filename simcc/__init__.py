"""simcc: a discrete-event contact-center simulator.

Public API::

    import simcc
    scenario = simcc.load_scenario("scenarios/erlang_a.yaml")
    result = simcc.simulate(scenario, replications=10)
    result.kpis              # scope, key, kpi, mean, ci_low, ci_high, n
    result.table("channel")  # wide table of KPI means
    swept = simcc.sweep(scenario, {"agents.team.count": "96:104:2"}, replications=5)
    swept.table              # agents.team.count, kpi, mean, ci_low, ci_high, n
    plan = simcc.staff(scenario)  # cheapest staffing per interval meeting the targets
    simcc.validate("scenarios/erlang_a.yaml")   # [] or ScenarioWarning objects
    simcc.shutdown_workers()  # end the worker processes kept for the next local run

The names are imported on first use: ``import simcc`` alone imports only the standard
library, so that ``python -m simcc`` can fix the import path (``simcc/__main__.py``)
before numpy, scipy or yaml are looked up.
"""

from importlib import import_module
from typing import TYPE_CHECKING

from simcc.errors import ScenarioError, ScenarioWarning, SimccError, SimccWarning

__version__ = "0.1.0"

_LAZY = {
    "Comparison": ("simcc.experiment", "Comparison"),
    "Result": ("simcc.experiment", "Result"),
    "SweepResult": ("simcc.experiment", "SweepResult"),
    "assert_policy": ("simcc.experiment", "assert_policy"),
    "check_policy": ("simcc.experiment", "check_policy"),
    "compare": ("simcc.experiment", "compare"),
    "simulate": ("simcc.experiment", "simulate"),
    "sweep": ("simcc.experiment", "sweep"),
    "validate": ("simcc.experiment", "validate"),
    "load_scenario": ("simcc.experiment", "prepare"),
    "Scenario": ("simcc.scenario", "Scenario"),
    "StaffingPlan": ("simcc.planning", "StaffingPlan"),
    "staff": ("simcc.planning", "staff"),
    "shutdown_workers": ("simcc.experiment.pool", "shutdown_workers"),
}
"""Public name -> (module, attribute), imported by :func:`__getattr__` on first use."""

__all__ = ["Comparison", "Result", "Scenario", "ScenarioError", "ScenarioWarning",
           "SimccError", "SimccWarning", "StaffingPlan", "SweepResult", "__version__",
           "assert_policy", "check_policy", "compare", "load_scenario", "shutdown_workers",
           "simulate", "staff", "sweep", "validate"]

if TYPE_CHECKING:  # for type checkers and editors: the names as if imported eagerly
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
    from simcc.experiment.pool import shutdown_workers
    from simcc.planning import StaffingPlan, staff
    from simcc.scenario import Scenario


SUBPACKAGES = ("calibrate", "catalogue", "dists", "experiment", "metrics", "model",
               "planning", "report", "routing", "runtime", "scenario", "testing", "theory",
               "units")
"""Modules reachable as attributes after a bare ``import simcc`` (``simcc.routing``),
as when this package imported them eagerly."""


def __getattr__(name: str):
    """Import a public name of :data:`_LAZY`, or a module of :data:`SUBPACKAGES`, on
    first use (PEP 562) and keep it."""
    if name in _LAZY:
        module, attribute = _LAZY[name]
        value = getattr(import_module(module), attribute)
    elif name in SUBPACKAGES:
        value = import_module(f"simcc.{name}")
    else:
        raise AttributeError(f"module 'simcc' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
