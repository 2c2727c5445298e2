"""Sweep grids: the values each dotted path of a parameter sweep takes.

A path's values are written as an inclusive numeric range ``"a:b:step"`` (``"40:60:2"``
-> 40, 42, ..., 60), a list, or a single value. On the command line (``--grid
path=...``) a list is ``v1,v2,...``, each item read as YAML (``105`` is a number,
``fifo`` a string); in a scenario's ``sweep.grid`` section it is a YAML list. Problems
raise :class:`ValueError` with a message naming the problem; callers add where it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from simcc.scenario.overrides import split_path
from simcc.scenario.yamltext import parse_yaml

MAX_RANGE_VALUES = 10_000
"""Most values one range may produce (a guard against a typo such as ``0:100000:1``)."""

RESERVED = {
    "seed": "every point uses the same seed (common random numbers): set it with --seed",
    "replications": "every point runs the same replications: set them with -n",
    "sweep": "a sweep cannot sweep its own grid",
    "variants": "points are the base scenario; variants are not run by a sweep",
}


def range_values(text: str) -> list[int] | list[float] | None:
    """The values of the inclusive range ``"a:b:step"``, or None when ``text`` is not
    three numbers separated by colons. Integers stay integers when all three are
    written as integers; otherwise the values are floats computed in decimal, so
    ``"0.8:0.9:0.05"`` gives exactly 0.8, 0.85, 0.9 (no float drift)."""
    parts = [part.strip() for part in text.split(":")]
    if len(parts) != 3:
        return None
    try:
        start, stop, step = (Decimal(part) for part in parts)
    except InvalidOperation:
        return None
    if not all(number.is_finite() for number in (start, stop, step)):
        raise ValueError(f"range {text!r}: start, end and step must be finite numbers")
    if step <= 0:
        raise ValueError(f"range {text!r}: the step must be > 0")
    if stop < start:
        raise ValueError(f"range {text!r}: the end must be >= the start")
    count = int((stop - start) // step) + 1
    if count > MAX_RANGE_VALUES:
        raise ValueError(f"range {text!r}: {count} values, more than {MAX_RANGE_VALUES}")
    numbers = [start + i * step for i in range(count)]
    if all(_is_int_text(part) for part in parts):
        return [int(number) for number in numbers]
    return [float(number) for number in numbers]


def _is_int_text(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def text_values(text: str) -> list[Any]:
    """Values of a command-line grid: ``"a:b:step"``, ``"v1,v2,..."`` or one value,
    each list item read as YAML."""
    if not text.strip():
        raise ValueError("no values after '='")
    numbers = range_values(text)
    if numbers is not None:
        return numbers
    items = [item.strip() for item in text.split(",")]
    if not all(items):
        raise ValueError("empty value in the list (two commas in a row, or one at an end)")
    return [_yaml_scalar(item) for item in items]


def _yaml_scalar(text: str) -> Any:
    return parse_yaml(text, where="--grid", text_if_invalid=True)


def values_of(spec: Any) -> list[Any]:
    """Values of one entry of a ``sweep.grid`` section (or of a grid given in Python): a
    range string, a list or other sequence (its items as they are) or a single value."""
    if isinstance(spec, Sequence) and not isinstance(spec, str | bytes):
        if not spec:
            raise ValueError("empty list")
        return list(spec)
    if isinstance(spec, str):
        numbers = range_values(spec)
        if numbers is not None:
            return numbers
    return [spec]


def check_paths(paths: Iterable[str]) -> None:
    """Each grid path once (``demand[0].x`` and ``demand.0.x`` are the same path) and
    none of the sections a sweep sets itself."""
    seen: dict[tuple, str] = {}
    for path in paths:
        parts = tuple(split_path(path))
        if not parts:
            raise ValueError(f"empty path {path!r}")
        if parts[0] in RESERVED:
            raise ValueError(f"'{path}' cannot be swept: {RESERVED[str(parts[0])]}")
        if parts in seen:
            raise ValueError(f"'{path}' is the same path as '{seen[parts]}' (given twice)")
        seen[parts] = path


def expand_grid(section: Mapping[str, Any]) -> dict[str, list[Any]]:
    """A ``sweep.grid`` section -> ``{path: values}``; a problem names its path."""
    check_paths(section)
    grid = {}
    for path, spec in section.items():
        try:
            grid[str(path)] = values_of(spec)
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None
    return grid
