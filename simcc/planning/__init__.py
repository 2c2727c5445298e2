"""Decisions built on many simulations: staffing optimisation (``simcc staff``)."""

from simcc.planning.plan import StaffingPlan
from simcc.planning.staff import staff

__all__ = ["StaffingPlan", "staff"]
