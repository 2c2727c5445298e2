"""Baselines of `simcc check`: a damaged baseline is an error (exit 2 naming the file and
the problem), never a pass; verdicts survive re-drawn customers (a numpy, scipy or engine
upgrade); piped output keeps every column; `checks:` is validated before simulating."""

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from simcc.catalogue import KPIS
from simcc.cli import app
from simcc.experiment import compare, prepare
from simcc.experiment.baseline import MAX_BASELINE_BYTES
from simcc.experiment.regression import (
    FAMILY_CONFIDENCE,
    _verdict,
    baseline_document,
    run_check,
    simultaneous_confidence,
)
from simcc.scenario.schema import Checks

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "erlang_a.yaml"
BASELINE = json.loads((ROOT / "baselines" / "erlang_a.json").read_text())
OTHER_HASH = json.loads((ROOT / "baselines" / "bank_multiskill.json").read_text())["scenario_hash"]


def cli(*args):
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}  # as in a CI log
    return subprocess.run([sys.executable, "-m", "simcc", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=600, env=env)


def edited(change):
    """The committed erlang_a baseline as JSON text after ``change(document)``."""
    document = copy.deepcopy(BASELINE)
    change(document)
    return json.dumps(document, indent=1)


def kpi(document, name="service_level", run="baseline"):
    return document["runs"][run][name]


def set_kpi_values(values):
    """Every KPI's values replaced by ``values(old)`` (mean kept consistent)."""
    def change(document):
        for summary in document["runs"]["baseline"].values():
            summary["values"] = values(summary["values"])
            finite = [v for v in summary["values"] if v is not None]
            summary["mean"] = sum(finite) / len(finite) if finite else None
    return change


def nulled(document):
    kpi(document).update(mean=None, ci95=[None, None], values=[None] * 20)


def huge(path):
    with path.open("wb") as file:  # sparse: no disk used
        file.truncate(MAX_BASELINE_BYTES + 1)


# (case id, file content: text, bytes or a function writing the path, expected fragment)
DAMAGED = [
    ("not-json", "{runs: oops", "not valid JSON"),
    ("empty-file", "", "not valid JSON"),
    ("json-array", "[]", "must be a JSON object"),
    ("json-number", "42", "must be a JSON object"),
    ("non-utf8", b"\xff\xfe{}", "cannot be read"),
    ("deep-nesting", "[" * 100_000 + "]" * 100_000, "not valid JSON"),
    ("duplicate-key", '{"seed": 1, "seed": 2}', "appears twice"),
    ("missing-runs", edited(lambda d: d.pop("runs")), "runs: Field required"),
    ("missing-hash", edited(lambda d: d.pop("scenario_hash")), "scenario_hash: Field required"),
    ("hash-not-hex", edited(lambda d: d.update(scenario_hash="abc")), "scenario_hash"),
    ("replications-text", edited(lambda d: d.update(replications="20")),
     "replications: Input should be a valid integer"),
    ("negative-seed", edited(lambda d: d.update(seed=-1)), "seed"),
    ("values-text", edited(lambda d: kpi(d).update(values="0.7")),
     "runs.baseline.service_level.values"),
    ("values-bool", edited(lambda d: kpi(d).update(values=[True] * 20)),
     "runs.baseline.service_level.values[0]"),
    ("nan-value", edited(lambda d: kpi(d)["values"].__setitem__(0, float("nan"))),
     "NaN is not a number JSON allows"),
    ("infinite-mean", edited(lambda d: kpi(d).update(mean=float("inf"))), "Infinity"),
    ("huge-number", edited(lambda d: kpi(d).update(mean=1e308)).replace("1e+308", "1e999"),
     "finite number"),
    ("empty-values", edited(lambda d: kpi(d).update(values=[])), "at least 1 item"),
    ("short-values", edited(lambda d: (kpi(d)["values"].pop(), kpi(d).update(
        mean=sum(kpi(d)["values"]) / 19))), "19 values for 20 replications"),
    ("short-inconsistent", edited(lambda d: kpi(d)["values"].pop()), "does not match the mean"),
    ("missing-values", edited(lambda d: kpi(d).pop("values")),
     "runs.baseline.service_level.values: Field required"),
    ("mean-disagrees", edited(lambda d: kpi(d)["values"].__setitem__(0, 0.0)),
     "does not match the mean of the values"),
    ("reversed-ci", edited(lambda d: kpi(d).update(ci95=[1.0, 0.0])), "reversed"),
    ("replications-mismatch", edited(lambda d: d.update(replications=10)),
     "20 values for 10 replications"),
    ("all-lists-short", edited(lambda d: (set_kpi_values(lambda v: v[:19])(d),
                                          d.update(replications=19))),
     "19 replications, the scenario has seed 1 and 20"),
    ("unknown-kpi", edited(lambda d: d["runs"]["baseline"].update(sl=kpi(d))),
     "unknown KPI 'sl'"),
    ("missing-judged-kpi", edited(lambda d: d["runs"]["baseline"].pop("service_level")),
     "lacks the judged KPIs service_level"),
    ("no-baseline-run", edited(lambda d: d.update(runs={"other": d["runs"]["baseline"]})),
     "has no 'baseline' run"),
    ("extra-run", edited(lambda d: d["runs"].update(ghost=d["runs"]["baseline"])),
     "it has the runs baseline, ghost"),
    ("wrong-scenario", edited(lambda d: d.update(scenario_hash=OTHER_HASH)),
     "different scenario"),
    ("unknown-key", edited(lambda d: d.update(comment="hand-edited")), "comment: Extra inputs"),
    ("nulled-judged-kpi", edited(nulled), "the baseline has no value but the current run"),
    ("huge-file", huge, "more than the 32 MiB"),
    ("directory", lambda path: path.mkdir(), "is not a regular file"),
]


@pytest.mark.parametrize("content, fragment", [case[1:] for case in DAMAGED],
                         ids=[case[0] for case in DAMAGED])
def test_a_damaged_baseline_is_invalid_input_never_a_pass(tmp_path, content, fragment):
    path = tmp_path / "erlang_a.json"
    if callable(content):
        content(path)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    result = CliRunner().invoke(app, ["check", str(SCENARIO), "--baseline", str(path),
                                      "--workers", "1", "--set", "horizon.duration=2h"])
    assert result.exit_code == 2, result.output
    assert str(path) in result.output and fragment in result.output, result.output
    assert "internal error" not in result.output and "Traceback" not in result.output


def test_the_issue_case_regressed_with_a_valid_baseline_invalid_with_a_damaged_one(tmp_path):
    """erlang_a with 90 agents instead of 100: service level falls from ~0.70 to ~0.21.
    The committed baseline fails the check (exit 1); the same baseline with short, empty
    or missing per-replication values used to pass it and is now exit 2."""
    args = ("check", "scenarios/erlang_a.yaml", "--set", "agents.team.count=90")
    proc = cli(*args, "--baseline", "baselines/erlang_a.json")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "service_level regressed" in proc.stdout
    for name, damage in (("short", lambda v: v[:5]), ("empty", lambda v: [])):
        path = tmp_path / f"{name}.json"
        path.write_text(edited(set_kpi_values(damage)) if name == "short" else
                        edited(lambda d: [s.update(values=[]) for s in d["runs"]["baseline"]
                                          .values()]))
        proc = cli(*args, "--baseline", str(path))
        assert proc.returncode == 2 and str(path) in proc.stderr, proc.stdout + proc.stderr
    missing = tmp_path / "missing.json"
    missing.write_text(edited(lambda d: [s.pop("values") for s in d["runs"]["baseline"]
                                         .values()]))
    proc = cli(*args, "--baseline", str(missing))
    assert proc.returncode == 2 and "values: Field required" in proc.stderr


def test_piped_check_output_keeps_every_column_and_readable_deltas():
    proc = cli("check", "scenarios/erlang_a.yaml", "--baselines", "baselines",
               "--set", "agents.team.count=98")
    assert proc.returncode == 1, proc.stderr
    header = next(line for line in proc.stdout.splitlines() if " KPI " in line)
    for column in ("run", "KPI", "baseline", "now", "delta", "verdict"):
        assert column in header
    assert " pp [" in proc.stdout  # a rate delta with its interval, in percentage points
    assert " 0 pp " in proc.stdout  # a rate that did not move: no +1.15e-15
    assert "pp = percentage points" in proc.stdout
    assert "e-1" not in proc.stdout and "e+" not in proc.stdout
    assert max(len(line) for line in proc.stdout.splitlines()) > 80  # not cut to 80


def test_validate_rejects_an_invalid_checks_section_before_simulating(tmp_path):
    document = yaml.safe_load(SCENARIO.read_text())
    cases = {"tolerance": ({"asa": {"rel": 0.1}}, "checks.tolerance.asa: unknown KPI 'asa'; "
                                                  "did you mean 'asa_s'?"),
             "ignore": (["cost", "cost"], "checks.ignore: KPI ignored more than once"),
             "limits": (["p_wait <= 0.9", "servce_level >= 0.5"],
                        "checks.limits[1]: unknown KPI 'servce_level'")}
    for key, (value, message) in cases.items():
        path = tmp_path / f"{key}.yaml"
        path.write_text(yaml.safe_dump({**document, "checks": {key: value}}))
        for command in ("validate", "check"):
            proc = cli(command, str(path), *(("--baseline", "baselines/erlang_a.json")
                                             if command == "check" else ()))
            assert proc.returncode == 2 and message in proc.stderr, proc.stderr
            assert str(path) in proc.stderr
    checks = {"limits": ["p_wait < 1e999", "p_wait << 1"], "tolerance": {"fcr": {"abs": 1e999}}}
    path.write_text(yaml.safe_dump({**document, "checks": checks}))
    proc = cli("validate", str(path))
    assert proc.returncode == 2
    assert "checks.limits[0]: cannot read limit" in proc.stderr
    assert "checks.limits[1]: cannot read limit 'p_wait << 1'" in proc.stderr
    assert "checks.tolerance.fcr.abs: must be a finite number, got inf" in proc.stderr


def test_re_drawn_customers_do_not_fail_an_unchanged_scenario():
    """What a library upgrade can do at worst: every customer different. A baseline
    recorded with other seeds (under this scenario's hash) still passes."""
    scenario = prepare(SCENARIO, {"horizon.duration": "3h", "replications": 10})
    for shift in (1, 2, 3):
        other = scenario.with_overrides({"seed": scenario.seed + shift})
        document = baseline_document(compare(other, [], workers=1), scenario, "test")
        document["seed"] = scenario.seed
        result = run_check(scenario, document, workers=1)
        judged = result.rows[result.rows["verdict"].isin(["ok", "regressed", "improved"])]
        assert (judged["delta"].abs() > 0).any()  # the customers really changed
        assert result.passed, result.describe_failures()


def test_the_rule_keeps_false_alarms_under_five_percent_per_check():
    """Family-wise error of the verdict rule on synthetic checks with no true change:
    40 judged rate KPIs per check, 10 replications of independent noise (sd 2.5 pp, so a
    1 pp tolerance is well inside the noise of a mean difference). Per-KPI 95 % intervals
    fail most such checks; the simultaneous intervals fail at most 5 %."""
    rng = np.random.default_rng(7)
    checks, kpis, n = 400, 40, 10
    confidence = simultaneous_confidence(kpis)
    assert confidence == pytest.approx(1 - (1 - FAMILY_CONFIDENCE) / kpis)
    failed = {"simultaneous": 0, "per_kpi": 0}
    for _ in range(checks):
        base, now = rng.normal(0.7, 0.025, (2, kpis, n))
        for rule, level in (("simultaneous", confidence), ("per_kpi", 0.95)):
            verdicts = [_verdict("baseline", "service_level", _summary(b), c, Checks(), level)
                        ["verdict"] for b, c in zip(base, now, strict=True)]
            failed[rule] += "regressed" in verdicts
    assert KPIS["service_level"].tolerance.abs == 0.01
    assert failed["simultaneous"] / checks <= 0.05
    assert failed["per_kpi"] / checks > 0.2


def _summary(values):
    from simcc.experiment.baseline import KpiSummary

    values = [float(v) for v in values]
    return KpiSummary(mean=sum(values) / len(values), ci95=(None, None), values=values)


def test_sections_that_are_not_simulated_leave_the_baseline_hash_alone():
    """Staffing targets and bounds (simcc staff), check rules, sweep grids and the
    display currency may be added without invalidating committed baselines."""
    from simcc.experiment.baseline import scenario_hash

    model = prepare(SCENARIO)
    extra = {"currency": "EUR", "targets": {"occupancy_max": 0.9},
             "staffable": {"team": {"max": 200}}, "checks": {"ignore": ["cost"]}}
    assert scenario_hash(model.with_overrides(extra)) == scenario_hash(model)
    assert scenario_hash(model.with_overrides({"agents.team.count": 99})) != \
        scenario_hash(model)


OUTCOME_KPIS = ("csat", "effort", "disloyalty_rate", "value_at_risk")


def test_an_outcome_model_leaves_the_hash_alone_and_is_judged_only_against_its_own():
    """``outcomes:`` changes what is measured, not what is simulated: it may be added to
    a scenario with a committed baseline. The outcome KPIs are judged only against a
    baseline made with the same outcome model (``outcomes_hash``), never against none
    or another model's numbers."""
    from simcc.experiment.baseline import outcomes_hash, scenario_hash

    plain = prepare(SCENARIO, {"horizon.duration": "2h", "replications": 3})
    model = plain.with_overrides({"outcomes": {"effort": {"wait_threshold": "1m"}}})
    tuned = model.with_overrides({"outcomes.satisfaction.baseline": 0.7})
    assert scenario_hash(model) == scenario_hash(plain) == scenario_hash(tuned)
    assert outcomes_hash(plain) is None
    assert outcomes_hash(model) != outcomes_hash(tuned)

    def judged(result):
        rows = result.rows[result.rows["verdict"].isin(["ok", "regressed", "improved"])]
        return set(rows["kpi"])

    old = baseline_document(compare(plain, [], workers=1), plain, "test")
    assert "outcomes_hash" not in old and "csat" not in old["runs"]["baseline"]
    result = run_check(model, old, workers=1)
    assert result.passed and not judged(result) & set(OUTCOME_KPIS)

    own = baseline_document(compare(model, [], workers=1), model, "test")
    assert own["outcomes_hash"] == outcomes_hash(model)
    result = run_check(model, own, workers=1)
    assert result.passed and set(OUTCOME_KPIS) <= judged(result)
    assert (result.rows.set_index("kpi").loc[list(OUTCOME_KPIS), "delta"] == 0).all()

    result = run_check(tuned, own, workers=1)
    assert result.passed and not judged(result) & set(OUTCOME_KPIS)


def test_keys_left_at_their_defaults_do_not_change_the_scenario_hash():
    # A section or field added later (calendar, outcomes, ...) keeps existing baselines
    # valid as long as a scenario leaves it at its default; a real change still counts.
    from simcc import load_scenario
    from simcc.experiment.baseline import scenario_hash

    document = yaml.safe_load(Path("scenarios/erlang_a.yaml").read_text())
    explicit = copy.deepcopy(document)
    explicit["calendar"] = None
    explicit["routing"] = {**explicit.get("routing", {}), "params": {}}
    assert scenario_hash(load_scenario(explicit)) == scenario_hash(load_scenario(document))
    changed = copy.deepcopy(document)
    changed["calendar"] = {"start_date": "2026-03-02"}
    assert scenario_hash(load_scenario(changed)) != scenario_hash(load_scenario(document))
