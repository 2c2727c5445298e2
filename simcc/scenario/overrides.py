"""Dotted-path overrides (``--set agents.team.count=105``) applied to a raw document."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from simcc.errors import ScenarioError
from simcc.scenario.yamltext import parse_yaml

_INDEX = re.compile(r"^(.*?)\[([^\[\]]*)\]$")


def parse_assignment(text: str) -> tuple[str, Any]:
    """Split ``"key.path=value"``; the value is read as YAML (``105`` is a number)."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ScenarioError([("--set", f"expected key.path=value, got {text!r}")])
    value = parse_yaml(raw, where=f"--set {key}", text_if_invalid=True) if raw.strip() else ""
    return key, value


def split_path(path: str) -> list[str | int]:
    """``"demand[0].rate.per_hour"`` or ``"demand.0.rate"`` -> ``['demand', 0, 'rate', ...]``.

    List indices are whole numbers from 0; ``ValueError`` for anything else in brackets
    (``demand[-1]``, ``demand[x]``) and for an unmatched bracket (``demand[0.rate``)."""
    parts: list[str | int] = []
    for piece in path.split("."):
        indices = []
        while (match := _INDEX.match(piece)):
            piece, index = match.group(1), match.group(2).strip()
            if not index.isdigit():
                raise ValueError(f"a list index is a whole number from 0, got {index!r}")
            indices.insert(0, int(index))
        if "[" in piece or "]" in piece:
            raise ValueError(f"unmatched bracket in {piece!r}: write list items as "
                             "name[0]")
        if piece:
            parts.append(int(piece) if piece.isdigit() else piece)
        parts.extend(indices)
    return parts


def apply_overrides(
    document: dict[str, Any], overrides: Mapping[str, Any], label: str | None = None
) -> dict[str, Any]:
    """Return a copy of ``document`` with each dotted path set to its value.

    Missing mapping keys are created (validation then judges them); a path through a
    list needs an existing index.
    """
    result = copy.deepcopy(document)
    for path, value in overrides.items():
        try:
            parts = split_path(path)
        except ValueError as exc:
            raise ScenarioError([(path, str(exc))], label) from None
        if not parts:
            raise ScenarioError([("--set", f"empty key in override {path!r}")], label)
        _set(result, parts, copy.deepcopy(value), path, label)
    return result


def _set(node: Any, parts: list[str | int], value: Any, path: str, label: str | None) -> None:
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        if isinstance(node, list):
            if not isinstance(part, int) or not -len(node) <= part < len(node):
                raise ScenarioError(
                    [(path, f"no list item {part!r} here (the list has {len(node)} items)")],
                    label)
        elif isinstance(node, dict):
            part = str(part)
            if not last and not isinstance(node.get(part), dict | list):
                node[part] = {}
        else:
            raise ScenarioError([(path, f"cannot set a key inside the value {node!r}")], label)
        if last:
            node[part] = value
        else:
            node = node[part]
