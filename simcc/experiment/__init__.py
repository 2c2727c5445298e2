"""Experiments: replications, aggregation with confidence intervals, results."""

from simcc.experiment.aggregate import aggregate_kpis, mean_ci
from simcc.experiment.compare import Comparison, compare
from simcc.experiment.conformance import ConformanceReport, assert_policy, check_policy
from simcc.experiment.result import Result
from simcc.experiment.simulate import prepare, semantic_warnings, simulate, validate
from simcc.experiment.sweep import SweepResult, sweep

__all__ = ["Comparison", "ConformanceReport", "Result", "SweepResult", "aggregate_kpis",
           "assert_policy", "check_policy", "compare", "mean_ci", "prepare", "semantic_warnings",
           "simulate", "sweep", "validate"]
