"""Scenario format v1: schema, loading, overrides and cross-reference checks."""

from simcc.scenario.load import load_scenario, read_document, validate_document
from simcc.scenario.overrides import apply_overrides, parse_assignment
from simcc.scenario.schema import (
    AgentGroup,
    Channel,
    Demand,
    Distribution,
    Horizon,
    Intent,
    Profile,
    Rate,
    Routing,
    Scenario,
    Segment,
    ServiceLevel,
    Shift,
)

__all__ = [
    "AgentGroup", "Channel", "Demand", "Distribution", "Horizon", "Intent", "Profile", "Rate",
    "Routing", "Scenario", "Segment", "ServiceLevel", "Shift", "apply_overrides",
    "load_scenario", "parse_assignment", "read_document", "validate_document",
]
