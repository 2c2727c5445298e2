"""Experiments: replications, aggregation with confidence intervals, results."""

from simcc.experiment.aggregate import aggregate_kpis, mean_ci
from simcc.experiment.result import Result
from simcc.experiment.simulate import prepare, simulate

__all__ = ["Result", "aggregate_kpis", "mean_ci", "prepare", "simulate"]
