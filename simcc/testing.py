"""pytest helpers for teams that keep routing policies and scenarios in a repository.

.. code-block:: python

    from simcc.testing import assert_no_regression

    def test_routing_does_not_regress():
        assert_no_regression("scenarios/retail.yaml", "baselines/retail.json")
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from simcc.experiment import prepare
from simcc.experiment.baseline import read_baseline
from simcc.experiment.regression import CheckResult, run_check


def assert_no_regression(scenario: str | Path, baseline: str | Path,
                         overrides: Mapping[str, Any] | None = None,
                         workers: int | None = None) -> CheckResult:
    """Run ``simcc check`` in-process; raise ``AssertionError`` listing every regressed
    KPI and violated limit. Returns the check result when it passes; a baseline that
    cannot support a verdict raises :class:`~simcc.errors.SimccError`."""
    result = run_check(prepare(scenario), read_baseline(Path(baseline)), dict(overrides or {}),
                       workers)
    assert result.passed, (f"{result.scenario} regressed against {baseline}:\n"
                           + result.describe_failures())
    return result
