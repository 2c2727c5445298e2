"""Project hygiene: layering, lint, example scenarios."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import simcc

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))


def _tool(name: str) -> str:
    local = Path(sys.executable).parent / name
    found = str(local) if local.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: pip install -e '.[test]'")
    return found


def test_layering_contract_holds():
    proc = subprocess.run([_tool("lint-imports")], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_is_clean():
    proc = subprocess.run([_tool("ruff"), "check", "simcc", "tests", "benchmarks"], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout


def test_importing_simcc_runs_no_simulation_and_needs_no_matplotlib():
    code = "import sys, simcc; assert 'matplotlib' not in sys.modules; print('ok')"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.stdout.strip() == "ok", proc.stderr


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_every_example_scenario_validates_and_runs(path):
    scenario = simcc.load_scenario(path, {"horizon.duration": "2h", "horizon.warmup": "30m",
                                            "horizon.start": "09:00"})
    result = simcc.simulate(scenario, replications=2, workers=1, records="none")
    assert result.kpi("handled") > 0
    assert 0 <= result.kpi("service_level") <= 1


def test_there_are_example_scenarios():
    assert {"erlang_a.yaml", "bank_multiskill.yaml"} <= {p.name for p in SCENARIOS}
