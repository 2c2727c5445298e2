"""Scenario format v1: schema, loading, overrides and cross-reference checks."""

from simcc.scenario.load import load_scenario, read_document, validate_document
from simcc.scenario.overrides import apply_overrides, parse_assignment
from simcc.scenario.schema import (
    AgentGroup,
    Busyness,
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
    Staffing,
)

__all__ = [
    "AgentGroup", "Busyness", "Channel", "Demand", "Distribution", "Horizon", "Intent",
    "Profile", "Rate", "Routing", "Scenario", "Segment", "ServiceLevel", "Shift", "Staffing",
    "apply_overrides", "load_scenario", "parse_assignment", "read_document", "validate_document",
]
