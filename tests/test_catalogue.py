"""The KPI catalogue is the one source of KPI facts: the KPI functions, tables, figures,
regression rules and docs/kpis.md agree with it; rate intervals stay inside [0, 1]."""

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import small

from simcc import catalogue, simulate
from simcc.catalogue import CATALOGUE, KPIS
from simcc.experiment.aggregate import aggregate_kpis, mean_ci, wilson_interval
from simcc.metrics import kpis as kpi_functions
from simcc.report import figures, tables

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "kpis.md"


@pytest.fixture(scope="module")
def small_result():
    return simulate(small(), replications=2)


def _doc_rows(header: str) -> list[list[str]]:
    """Cells of the markdown table of docs/kpis.md whose header row starts with
    ``header``."""
    lines = DOC.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def test_docs_catalogue_table_is_exactly_the_catalogue():
    rows = _doc_rows("| key | label | kind |")
    better = {1: "higher", -1: "lower", 0: "—"}

    def tolerance(entry):
        t = entry.tolerance
        return "—" if t is None else f"abs {t.abs:g}" if t.abs is not None else f"rel {t.rel:g}"

    expected = [[f"`{k.key}`", k.label, k.kind, k.unit or "—", better[k.direction],
                 tolerance(k), ", ".join(k.scopes)] for k in CATALOGUE]
    assert rows == expected


def test_docs_definitions_cover_exactly_the_catalogue():
    keys = [key for row in _doc_rows("| key | definition |")
            for key in re.findall(r"`([a-z_0-9]+)`", row[0])]
    assert sorted(keys) == sorted(KPIS) and len(keys) == len(set(keys))


def test_computed_kpis_are_the_catalogue_in_every_scope(small_result):
    """Every KPI a run reports is in the catalogue, in the scopes it names, and vice
    versa (for scopes the run has; outcome KPIs only with an outcomes: section, see
    tests/test_outcomes.py)."""
    table = small_result.kpis
    for scope in ("overall", "channel", "group"):
        reported = set(table.loc[table["scope"] == scope, "kpi"])
        assert reported == set(catalogue.keys(scope)) & set(catalogue.reported(False)), scope
    assert catalogue.keys("group") == kpi_functions.GROUP_KPIS


def test_presentation_reads_the_catalogue():
    assert list(tables.LABELS) == list(KPIS)
    assert tables.LABELS["asa_s"] == "ASA" and tables.LABELS["fcr"] == "FCR"
    assert tables.fmt("callback_success", 0.995) == "99.5%"
    for entry in CATALOGUE:
        assert figures.kpi_label(entry.key) == (entry.axis_label, entry.scale)
        assert (entry.key in tables.PERCENT) == entry.bounded


def test_every_judged_kpi_has_a_default_tolerance_and_no_neutral_one_does():
    for entry in CATALOGUE:
        assert (entry.direction != 0) == (entry.tolerance is not None), entry.key
        if entry.tolerance is not None:
            assert (entry.tolerance.abs is None) != (entry.tolerance.rel is None)
        if entry.bounded and entry.tolerance is not None:
            assert entry.tolerance.abs is not None, "rates move in percentage points"


def test_unknown_kpi_message_suggests_the_close_key():
    assert "did you mean 'asa_s'" in catalogue.unknown_kpi_message("asa")
    assert catalogue.direction("not_a_kpi") == 0 and not catalogue.is_bounded("asa_s")


# ------------------------------------------------------------------- bounded intervals

@pytest.mark.parametrize("values", [[1.0, 1.0, 0.97], [0.0, 0.02, 0.0], [0.99, 1.0, 0.995],
                                    [0.921, 1.0, 0.95], [0.0, 1.0]])
def test_rate_intervals_stay_in_the_unit_interval_and_contain_the_mean(values):
    mean, low, high, n = mean_ci(np.array(values), bounded=True)
    student = mean_ci(np.array(values))
    assert student[1] < 0.0 or student[2] > 1.0  # the cases the issue measured
    assert 0.0 <= low <= mean <= high <= 1.0 and n == len(values)


def test_rate_interval_is_student_t_far_from_the_bounds():
    rng = np.random.default_rng(7)
    values = rng.normal(0.5, 0.01, size=20)
    bounded, student = mean_ci(values, bounded=True), mean_ci(values)
    assert bounded[0] == student[0]
    assert bounded[1] == pytest.approx(student[1], abs=1e-5)
    assert bounded[2] == pytest.approx(student[2], abs=1e-5)


def test_wilson_interval_matches_the_textbook_formula_and_degenerate_cases():
    # a binomial proportion: 8 of 10, se = sqrt(p(1-p)/n), z = 1.96 -> [0.490, 0.943]
    _, low, high = wilson_interval(0.8, np.sqrt(0.8 * 0.2 / 10), 1.96)
    assert (low, high) == (pytest.approx(0.4902, abs=1e-4), pytest.approx(0.9433, abs=1e-4))
    assert wilson_interval(1.0, 0.0, 4.3) == (1.0, 1.0, 1.0)
    assert wilson_interval(0.3, 0.0, 4.3) == (0.3, 0.3, 0.3)


def test_rate_interval_covers_a_proportion_near_one():
    """Replications of a 99 % success rate (200 trials each, 3 replications): the
    interval covers the truth at least about as often as promised and never leaves
    [0, 1]."""
    rng = np.random.default_rng(11)
    draws = rng.binomial(200, 0.99, size=(4000, 3)) / 200
    bounds = np.array([mean_ci(row, bounded=True)[1:3] for row in draws])
    assert bounds.min() >= 0.0 and bounds.max() <= 1.0
    covered = np.mean((bounds[:, 0] <= 0.99) & (bounds[:, 1] >= 0.99))
    assert covered >= 0.90


def test_aggregate_bounds_rates_and_leaves_other_kpis_student_t():
    frame = pd.DataFrame({"scope": "overall", "key": "all",
                          "kpi": ["callback_success"] * 3 + ["asa_s"] * 3,
                          "value": [1.0, 1.0, 0.97, 1.0, 1.0, 0.97]})
    out = aggregate_kpis(frame).set_index("kpi")
    assert out.loc["callback_success", "ci_high"] <= 1.0
    assert out.loc["asa_s", "ci_high"] > 1.0


def test_intervals_of_counts_durations_and_costs_stop_at_zero():
    """A rarely positive count (e.g. two transfers in one of three replications) has a
    Student-t interval reaching below 0; no KPI of the catalogue can be negative."""
    frame = pd.DataFrame({"scope": "overall", "key": "all",
                          "kpi": ["handled"] * 3 + ["asa_s"] * 3 + ["custom"] * 3,
                          "value": [0.0, 0.0, 2.0, 0.0, 0.5, 9.0, 0.0, 0.0, 2.0]})
    out = aggregate_kpis(frame).set_index("kpi")
    assert out.loc["handled", "ci_low"] == 0.0 and out.loc["asa_s", "ci_low"] == 0.0
    assert out.loc["handled", "ci_high"] == pytest.approx(
        2 / 3 + 4.302653 * np.std([0, 0, 2], ddof=1) / np.sqrt(3), rel=1e-5)
    assert out.loc["custom", "ci_low"] < 0  # not a catalogue KPI: no bound assumed


def test_every_rate_interval_of_the_retail_example_json_is_in_the_unit_interval():
    """The issue's case: ``simcc run scenarios/retail_omnichannel.yaml -n 3`` printed
    callback success 99.0 %-100.6 % and email service level 92.1 %-103.4 %."""
    proc = subprocess.run([sys.executable, "-m", "simcc", "run",
                           "scenarios/retail_omnichannel.yaml", "-n", "3", "--json"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    kpis = json.loads(proc.stdout)["kpis"]
    scopes = [kpis["overall"]] + [entry for scope in ("by_channel", "by_segment",
                                                      "by_intent", "by_group")
                                  for entry in kpis[scope].values()]
    bounds = [value["ci95"] for entries in scopes for kpi, value in entries.items()
              if catalogue.is_bounded(kpi) and value["ci95"][0] is not None]
    assert len(bounds) > 50
    assert all(0.0 <= low <= high <= 1.0 for low, high in bounds)
    lows = [value["ci95"][0] for entries in scopes for value in entries.values()
            if value["ci95"][0] is not None]
    assert min(lows) >= 0.0
