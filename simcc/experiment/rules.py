"""The ``checks:`` section of a scenario against the KPIs simcc knows.

The schema (:class:`simcc.scenario.schema.Checks`) already checks the shape of the
section: tolerances with exactly one finite, non-negative ``abs`` or ``rel``, limits
that read as ``kpi op number``, no KPI ignored twice. What it cannot know from its layer
is which KPI names exist; :func:`rule_problems` adds that, and
:func:`simcc.experiment.simulate.prepare` runs it, so ``simcc validate`` and ``simcc
check`` reject a misspelt KPI before anything is simulated.
"""

from __future__ import annotations

from simcc.catalogue import ALL_KPIS, unknown_kpi_message
from simcc.scenario.schema import Checks, parse_limit

Problem = tuple[str, str]


def rule_problems(checks: Checks) -> list[Problem]:
    """``(path, message)`` for every KPI named in ``checks`` that simcc does not know."""
    named = [(f"checks.tolerance.{kpi}", kpi) for kpi in checks.tolerance]
    named += [(f"checks.ignore[{i}]", kpi) for i, kpi in enumerate(checks.ignore)]
    named += [(f"checks.limits[{i}]", parse_limit(text)[0])
              for i, text in enumerate(checks.limits)]
    return [(path, unknown_kpi_message(kpi)) for path, kpi in named if kpi not in ALL_KPIS]
