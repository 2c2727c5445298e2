"""The policy registry: built-in names and user policies (``package.module:Class``)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from simcc.errors import ScenarioError
from simcc.routing.protocol import RoutingPolicy

_REGISTRY: dict[str, type] = {}


def register_policy(name: str) -> Callable[[type], type]:
    """Class decorator registering a policy under ``name``."""

    def decorate(cls: type) -> type:
        _REGISTRY[name] = cls
        return cls

    return decorate


def registered_policies() -> list[str]:
    """Names of the built-in (and registered) policies."""
    _load_builtins()
    return sorted(_REGISTRY)


def resolve_policy(name: str) -> type:
    """The policy class named ``name``: a registered name or ``package.module:Class``."""
    _load_builtins()
    if name in _REGISTRY:
        return _REGISTRY[name]
    if ":" not in name:
        known = ", ".join(sorted(_REGISTRY))
        raise ScenarioError([("routing.policy", f"unknown policy '{name}' (built in: {known}; "
                                                "or give package.module:Class)")])
    module_name, _, class_name = name.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ScenarioError(
            [("routing.policy", f"cannot import module '{module_name}': {exc}")]) from None
    cls = getattr(module, class_name, None)
    if not isinstance(cls, type):
        raise ScenarioError([("routing.policy", f"module '{module_name}' has no class "
                                                f"'{class_name}'")])
    return cls


def make_policy(name: str, params: Mapping[str, Any]) -> RoutingPolicy:
    """Instantiate policy ``name`` with ``params``; bad parameters are scenario errors."""
    cls = resolve_policy(name)
    try:
        policy = cls(**dict(params))
    except (TypeError, ValueError) as exc:
        raise ScenarioError([("routing.params", f"{name}: {exc}")]) from None
    missing = [hook for hook in ("on_entry", "select_agent", "select_contact")
               if not callable(getattr(policy, hook, None))]
    if missing:
        raise ScenarioError([("routing.policy", f"{name} lacks the hooks {', '.join(missing)}")])
    return policy


def _load_builtins() -> None:
    if "fifo" not in _REGISTRY:
        importlib.import_module("simcc.routing.builtin")
