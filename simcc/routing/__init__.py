"""Routing policies: the three-hook protocol, the registry and the built-in policies.

This package does not import SimPy: policies are plain objects testable on their own.
"""

from simcc.routing.protocol import QUEUE, RoutingPolicy, longest_idle, longest_waiting
from simcc.routing.registry import make_policy, register_policy, registered_policies, resolve_policy

__all__ = [
    "QUEUE", "RoutingPolicy", "longest_idle", "longest_waiting", "make_policy",
    "register_policy", "registered_policies", "resolve_policy",
]
