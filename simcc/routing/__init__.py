"""Routing policies: the three-hook protocol, the registry and the built-in policies.

This package does not import SimPy: policies are plain objects testable on their own.
"""

from simcc.routing.protocol import (
    CALLBACK,
    QUEUE,
    SELF_SERVICE,
    Entry,
    RoutingPolicy,
    longest_idle,
    longest_waiting,
)
from simcc.routing.registry import make_policy, register_policy, registered_policies, resolve_policy
from simcc.routing.selection import AGENT_RULES, by_priority, heads

__all__ = [
    "AGENT_RULES", "CALLBACK", "QUEUE", "SELF_SERVICE", "Entry", "RoutingPolicy",
    "by_priority", "heads", "longest_idle", "longest_waiting", "make_policy",
    "register_policy", "registered_policies", "resolve_policy",
]
