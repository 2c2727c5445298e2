"""Reading scenarios: YAML text or a mapping -> validated, frozen :class:`Scenario`.

All problems surface as one :class:`~simcc.errors.ScenarioError` naming the place in
the document (``agents.team.count: must be >= 0``) and, for YAML syntax errors, the line.
"""

from __future__ import annotations

import copy
import difflib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from simcc.errors import ScenarioError, shown
from simcc.scenario.checks import check_scenario
from simcc.scenario.overrides import apply_overrides
from simcc.scenario.schema import MAX_TEXT_CHARS, Scenario
from simcc.scenario.types import MAX_NAME_CHARS
from simcc.scenario.wfm_files import resolve_files
from simcc.scenario.yamltext import parse_yaml, read_text_file


def load_scenario(
    source: str | Path | Mapping[str, Any] | Scenario,
    overrides: Mapping[str, Any] | None = None,
) -> Scenario:
    """Return the validated scenario of a YAML file path, a mapping or a scenario.

    ``overrides`` maps dotted paths (``agents.team.count``) to new values, applied to
    the document before validation.
    """
    label = None
    if isinstance(source, Scenario):
        if not overrides:
            return source
        document = source.model_dump(mode="python")
    elif isinstance(source, Mapping):
        document = with_files(copy.deepcopy(dict(source)), None, label)
    else:
        label = str(source)
        document = read_document(Path(source))
    if overrides:
        document = apply_overrides(document, overrides, label)
    return validate_document(document, label)


def read_document(path: Path) -> dict[str, Any]:
    """Parse a YAML scenario file into a mapping, with readable errors (the file and
    YAML limits of :mod:`simcc.scenario.yamltext` apply)."""
    label = str(path)
    document = parse_yaml(read_text_file(path), label)
    if document is None:
        raise ScenarioError([("", "the file is empty; a scenario needs name, horizon, "
                                  "channels, intents, demand and agents")], label)
    if not isinstance(document, dict):
        raise ScenarioError([("", "the document must be a mapping of keys (name, horizon, "
                                  f"channels, ...), not a {type(document).__name__}")], label)
    return with_files(document, path.parent, label)


def with_files(document: dict[str, Any], base_dir: Path | None, label: str | None,
               overridden: bool = False) -> dict[str, Any]:
    """``document`` with its forecast and plan files read in
    (:func:`simcc.scenario.wfm_files.resolve_files`); errors name ``label``."""
    try:
        return resolve_files(document, base_dir, overridden)
    except ScenarioError as exc:
        raise ScenarioError(exc.problems, label) from None


def validate_document(document: dict[str, Any], label: str | None = None) -> Scenario:
    """Validate a parsed document: sizes of names and texts first, then the schema,
    then cross-references, then each variant applied to the base. Forecast and plan
    files still named by path come from overrides (files and mappings have theirs read
    first): they are read relative to the working directory, and a plan replaces its
    group's other staffing."""
    document = with_files(document, None, label, overridden=True)
    oversized = _oversized_texts(document)
    if oversized:
        raise ScenarioError(oversized, label)
    try:
        scenario = Scenario.model_validate(document)
    except ValidationError as exc:
        raise ScenarioError(pydantic_problems(exc), label) from None
    problems = check_scenario(scenario)
    if problems:
        raise ScenarioError(problems, label)
    for name in scenario.variants:
        try:
            variant_scenario(scenario, name)
        except ScenarioError as exc:
            raise ScenarioError([(f"variants.{name}" + (f" -> {path}" if path else ""), msg)
                                 for path, msg in exc.problems], label) from None
    return scenario


def _oversized_texts(document: Any) -> list[tuple[str, str]]:
    """Keys longer than :data:`MAX_NAME_CHARS` and texts longer than
    :data:`MAX_TEXT_CHARS` anywhere in ``document``, as problems (checked before the
    schema, so that no later step ever compares or prints megabytes of text)."""
    problems: list[tuple[str, str]] = []
    stack: list[tuple[tuple[Any, ...], Any]] = [((), document)]
    while stack and len(problems) < 10:
        loc, node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(key, str) and len(key) > MAX_NAME_CHARS:
                    problems.append((format_path(loc), f"the key {shown(key, 40)} is too "
                                     f"long: names are at most {MAX_NAME_CHARS} characters"))
                else:
                    stack.append(((*loc, key), value))
        elif isinstance(node, list):
            stack.extend(((*loc, i), item) for i, item in enumerate(node))
        elif isinstance(node, str) and len(node) > MAX_TEXT_CHARS:
            problems.append((format_path(loc), f"text of {len(node):,} characters: at "
                             f"most {MAX_TEXT_CHARS:,} are accepted"))
    return problems


def flatten_overrides(overrides: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings -> dotted paths: ``{"agents": {"t1": {"count": 5}}}`` ->
    ``{"agents.t1.count": 5}`` (dotted keys may be mixed in)."""
    flat: dict[str, Any] = {}
    for key, value in overrides.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping) and value:
            flat.update(flatten_overrides(value, path))
        else:
            flat[path] = value
    return flat


def variant_scenario(scenario: Scenario, name: str) -> Scenario:
    """Variant ``name`` of ``scenario``: the base without ``variants`` plus the
    variant's overrides, validated."""
    if name not in scenario.variants:
        known = ", ".join(scenario.variants) or "none"
        raise ScenarioError([("variants", f"unknown variant '{name}' (known: {known})")])
    base = scenario.model_dump(mode="python", exclude={"variants"})
    overrides = flatten_overrides(scenario.variants[name])
    if any(path.split(".")[0].split("[")[0] == "variants" for path in overrides):
        raise ScenarioError([(f"variants.{name}", "a variant cannot define variants")])
    return validate_document(apply_overrides(base, overrides))


def format_path(loc: tuple[Any, ...]) -> str:
    """``('demand', 0, 'rate')`` -> ``'demand[0].rate'``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def pydantic_problems(exc: ValidationError) -> list[tuple[str, str]]:
    """The (path, readable message) problems of a pydantic error, one per place (the
    most specific branch of a union)."""
    problems: list[tuple[str, str]] = []
    for error in exc.errors():
        loc = _clean_loc(error["loc"])
        problems.append((format_path(loc), _message(error, loc)))
    problems = list(dict.fromkeys(problems))
    # A union reports one error per branch; keep the most specific ones.
    paths = [path for path, _ in problems]
    return [(path, msg) for path, msg in problems
            if not any(other.startswith(path + ".") or other.startswith(path + "[")
                       for other in paths if path)]


def _clean_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Drop pydantic's union-branch markers ('Distribution', 'function-before[...]')."""
    return tuple(p for p in loc if not (isinstance(p, str) and (
        p[:1].isupper() or "[" in p or p in ("float", "int", "str", "none"))))


def _message(error: dict[str, Any], loc: tuple[Any, ...]) -> str:
    kind, ctx, value = error["type"], error.get("ctx", {}), error.get("input")
    limits = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=",
              "less_than": "<"}
    if kind in limits:
        bound = next(iter(ctx.values()))
        return f"must be {limits[kind]} {bound}, got {shown(value)}"
    if kind == "extra_forbidden":
        return _unknown_key_message(loc)
    if kind == "finite_number":
        return f"must be a finite number, got {shown(value)}"
    if kind == "string_too_long":
        return (f"must be at most {ctx.get('max_length')} characters, got "
                f"{len(value):,}: {shown(value, 40)}")
    if kind == "missing":
        return "required key is missing"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}, got {shown(value)}"
    if kind in ("too_short",):
        return "must not be empty"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"must be a whole number, got {shown(value)}"
    if kind in ("float_type", "float_parsing"):
        return f"must be a number, got {shown(value)}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"must be a mapping of keys, got {type(value).__name__} {shown(value)}"
    if kind == "list_type":
        return f"must be a list, got {shown(value)}"
    if kind == "string_type":
        return f"must be text, got {shown(value)}"
    message = error["msg"]
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def _unknown_key_message(loc: tuple[Any, ...]) -> str:
    if not loc:
        return "unknown key"
    allowed = _allowed_keys(loc[:-1])
    key = str(loc[-1])
    if not allowed:
        return f"unknown key '{key}'"
    hint = difflib.get_close_matches(key, allowed, n=1)
    did_you_mean = f"; did you mean '{hint[0]}'?" if hint else ""
    return f"unknown key '{key}' (allowed: {', '.join(allowed)}){did_you_mean}"


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    """The field names of the model found at ``loc`` in the scenario schema."""
    tp: Any = Scenario
    for part in loc:
        tp = _unwrap(tp)
        if _is_model(tp):
            field = tp.model_fields.get(part) if isinstance(part, str) else None
            if field is None:
                return []
            tp = field.annotation
        else:
            args = typing.get_args(tp)
            if not args:
                return []
            tp = args[-1]  # list[X] -> X, dict[K, X] -> X
    tp = _unwrap(tp)
    return list(tp.model_fields) if _is_model(tp) else []


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _unwrap(tp: Any) -> Any:
    """Strip Annotated and Optional/Union down to a model or a container type."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            options = [a for a in typing.get_args(tp) if a is not type(None)]
            models = [a for a in options if _is_model(a)]
            tp = models[0] if models else options[0]
        else:
            return tp
