"""The policy registry: built-in names and user policies (``package.module:Class``).

A user policy is Python code: naming ``mypolicies:VipFirst`` in a scenario imports the
module ``mypolicies`` (running its top-level code, as any plug-in does) and builds the
class with ``routing.params``. Two guards apply before anything is built:

1. the class must be a routing policy: a subclass of :class:`RoutingPolicy`, or a class
   defining ``on_entry``, ``select_agent`` and ``select_contact`` as plain Python
   functions. Anything else (``subprocess:Popen``, ``io:FileIO``) is refused unbuilt;
2. user policies can be refused altogether (``user_code=False``, or the environment
   variable :data:`NO_USER_CODE_ENV` set to ``1``): then nothing is imported and only
   registered names (the built-in policies) are accepted.
"""

from __future__ import annotations

import importlib
import inspect
import os
from collections.abc import Callable, Mapping
from typing import Any

from simcc.errors import ScenarioError
from simcc.routing.protocol import RoutingPolicy

_REGISTRY: dict[str, type] = {}
HOOKS = ("on_entry", "select_agent", "select_contact")
"""The methods every routing policy has (docs/routing.md, *The protocol*)."""
NO_USER_CODE_ENV = "SIMCC_NO_USER_CODE"
"""Environment variable: set to ``1`` (or ``true``, ``yes``) to refuse user policies."""


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


def user_code_allowed(user_code: bool | None = None) -> bool:
    """Whether user policies may be imported: ``user_code`` when given, else True
    unless :data:`NO_USER_CODE_ENV` is set to ``1``, ``true`` or ``yes``."""
    if user_code is not None:
        return user_code
    return os.environ.get(NO_USER_CODE_ENV, "").strip().lower() not in ("1", "true", "yes")


def resolve_policy(name: str, user_code: bool | None = None) -> type:
    """The policy class named ``name``: a registered name or ``package.module:Class``
    (imported only when :func:`user_code_allowed`, and only returned when the class is
    a routing policy, see :func:`is_policy_class`). Problems are scenario errors at
    ``routing.policy``."""
    _load_builtins()
    if name in _REGISTRY:
        return _REGISTRY[name]
    known = ", ".join(sorted(_REGISTRY))
    if ":" not in name:
        raise _policy_error(f"unknown policy '{name}' (built in: {known}; or give "
                            "package.module:Class)")
    module_name, _, class_name = name.partition(":")
    if not user_code_allowed(user_code):
        raise _policy_error(f"'{name}' is a user policy (Python code), refused because user "
                            f"code is disabled (--no-user-code or {NO_USER_CODE_ENV}=1); "
                            f"use a built-in policy: {known}")
    cls = getattr(_import(module_name), class_name, None)
    if not isinstance(cls, type):
        raise _policy_error(f"module '{module_name}' has no class '{class_name}'")
    if not is_policy_class(cls):
        raise _policy_error(f"'{name}' is not a routing policy: give a subclass of "
                            "simcc.routing.RoutingPolicy (or a class defining "
                            f"{', '.join(HOOKS)}); it was not built")
    return cls


def is_policy_class(cls: type) -> bool:
    """Whether ``cls`` is a routing policy class, judged without running any of its code:
    a subclass of :class:`RoutingPolicy`, or a class whose :data:`HOOKS` are all plain
    Python functions (read statically, so no descriptor or metaclass code runs)."""
    if issubclass(cls, RoutingPolicy):
        return True
    return all(inspect.isfunction(inspect.getattr_static(cls, hook, None)) for hook in HOOKS)


def make_policy(name: str, params: Mapping[str, Any], user_code: bool | None = None
                ) -> RoutingPolicy:
    """Build policy ``name`` with ``params`` once :func:`resolve_policy` accepted its
    class; a constructor that refuses its parameters is a scenario error at
    ``routing.params``."""
    cls = resolve_policy(name, user_code)
    try:
        policy = cls(**dict(params))
    except (TypeError, ValueError) as exc:
        raise ScenarioError([("routing.params", f"{name}: {exc}")]) from None
    except Exception as exc:  # a user policy's constructor failing otherwise
        if cls.__module__.split(".")[0] == "simcc":
            raise
        raise ScenarioError([("routing.params", f"{name}: building the policy failed: "
                                                f"{exc.__class__.__name__}: {exc}")]) from None
    missing = [hook for hook in HOOKS if not callable(getattr(policy, hook, None))]
    if missing:
        raise _policy_error(f"{name} lacks the hooks {', '.join(missing)}")
    return policy


def _import(module_name: str):
    """Import a user policy module; any failure (missing, syntax error, an exception at
    import) is a scenario error."""
    try:
        return importlib.import_module(module_name)
    except ImportError as exc:
        raise _policy_error(f"cannot import module '{module_name}': {exc}") from None
    except Exception as exc:
        raise _policy_error(f"importing module '{module_name}' failed: "
                            f"{exc.__class__.__name__}: {exc}") from None


def _policy_error(message: str) -> ScenarioError:
    return ScenarioError([("routing.policy", message)])


def _load_builtins() -> None:
    if "fifo" not in _REGISTRY:
        importlib.import_module("simcc.routing.builtin")
