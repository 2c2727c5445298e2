"""What the terminal tables print, as a planner or a CI log reads them (stdout piped):
durations with units, service levels with targets and misses, cost with currency and
period, the per-interval view, variant changes, notation notes, and the glossary."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from helpers import scenario, small

from simcc.catalogue import CATALOGUE
from simcc.errors import ScenarioError
from simcc.report import tables
from simcc.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
WIDE = {**os.environ, "COLUMNS": "200"}  # rich reads COLUMNS when stdout is not a tty


def cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "simcc", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300, env=WIDE)


def row(text: str, first_cell: str) -> list[str]:
    """The cells of the table row whose first cell is ``first_cell``."""
    for line in text.splitlines():
        cells = [c.strip() for c in re.split(r"[│┃]", line)]
        cells = [c for c in cells if c]
        if cells and cells[0] == first_cell:
            return cells
    raise AssertionError(f"no row {first_cell!r} in:\n{text}")


@pytest.mark.parametrize(("seconds", "text"), [
    (8.26, "8.3 s"), (508.1, "508 s"), (744, "12.4 min"), (6060.5, "101 min"),
    (20059.3, "5.6 h"), (3 * 86400, "3.0 d"), (-6.0, "-6.0 s")])
def test_durations_take_the_unit_of_their_magnitude(seconds, text):
    assert tables.fmt_duration(seconds) == text
    assert tables.fmt("asa_s", seconds) == text  # every "seconds" KPI goes through it


def test_a_duration_interval_is_written_in_the_unit_of_its_mean():
    assert tables.fmt_range("time_to_resolution_s", 500, 23532, 12017) == "0.1 – 6.5 h"
    assert tables.fmt_range("cost", 17335.3, 17790.9, 17563, "EUR") == "17,335 – 17,791 EUR"


def test_money_carries_the_currency_and_settings_read_exactly():
    assert tables.fmt("cost", 17563.1, "EUR") == "17,563 EUR"
    assert tables.fmt("cost_per_handled", 3.9, "€") == "3.90 €"
    assert tables.fmt("cost", 17563.1) == "17,563"
    assert [tables.fmt_span(s) for s in (20, 90, 120, 3600, 5400, 86400)] == [
        "20 s", "90 s", "2 min", "1 h", "1 h 30 min", "24 h"]


@pytest.mark.parametrize(("horizon", "period"), [
    ({"duration": "1d"}, "per day"), ({"days": 3}, "over 3 days"),
    ({"duration": "4d", "warmup": "1d"}, "over 3 days"),
    ({"duration": "12h", "warmup": "30m"}, "over 11 h 30 min")])
def test_cost_names_the_counted_period(horizon, period):
    model = load_scenario(scenario(horizon=horizon))
    assert tables.counted_period(model) == period
    assert tables.label("cost", model) == f"agent cost ({period})"


@pytest.mark.parametrize("code", ["EUR", "USD", "€", "R$", "zł"])
def test_currency_accepts_short_codes_and_symbols(code):
    assert load_scenario(scenario(currency=code)).currency == code
    assert load_scenario(scenario()).currency is None


@pytest.mark.parametrize("code", ["", "EUROS1", "12", "E U", "<b>", "EURO$$"])
def test_currency_rejects_anything_else_naming_the_key(code):
    with pytest.raises(ScenarioError, match="currency: must be a currency code"):
        load_scenario(scenario(currency=code))


def test_variant_changes_read_as_paths_and_yaml_values():
    describe = tables.describe_changes
    assert describe({"agents": {"team": {"count": 102}}}) == "agents.team.count=102"
    assert describe({"agents.team.count": 102, "routing.policy": "fifo"}) == \
        "agents.team.count=102, routing.policy=fifo"
    assert describe({"channels.voice.callback": None}) == "channels.voice.callback=null"
    assert describe({"routing.params.accuracy": {"default": 0.92, "tech": 0.9}}) == \
        "routing.params.accuracy={default: 0.92, tech: 0.9}"
    assert describe({"agents.t.shifts": [{"start": "08:00", "count": 3}]}) == \
        "agents.t.shifts=[{start: '08:00', count: 3}]"
    assert describe({}) == "no changes"


@pytest.fixture(scope="module")
def erlang_run():
    """Erlang A understaffed (95 agents for ~98 Erlangs): service level below 80 %."""
    proc = cli("run", "scenarios/erlang_a.yaml", "--set", "horizon.duration=2h",
               "--set", "horizon.warmup=30m", "--set", "agents.team.count=95",
               "--set", "agents.team.cost_per_hour=30", "--set", "currency=EUR", "-n", "2")
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_service_level_shows_its_target_and_flags_the_miss(erlang_run):
    label, mean, _ = row(erlang_run, "service level (80% in 20 s)")
    assert mean.endswith(tables.MISSED) and float(mean.split("%")[0]) < 80
    channel = row(erlang_run, "voice")
    assert "80% in 20 s" in channel and any(c.endswith(tables.MISSED) for c in channel)
    assert erlang_run.count(tables.MISSED_NOTE) == 2  # legend under both tables


def test_cost_shows_currency_and_period_and_durations_their_unit(erlang_run):
    _, mean, ci = row(erlang_run, "agent cost (over 1 h 30 min)")
    assert mean == f"{95 * 30 * 1.5:,.0f} EUR" and ci.endswith(" EUR")
    _, asa, asa_ci = row(erlang_run, "ASA")
    assert re.fullmatch(r"[\d.]+ (s|min)", asa) and re.search(r" (s|min)$", asa_ci)
    assert "(s)" not in erlang_run  # the unit is in the cells, not the labels


def test_a_met_service_level_is_not_flagged():
    proc = cli("run", "scenarios/erlang_a.yaml", "--set", "horizon.duration=2h",
               "--set", "horizon.warmup=30m", "--set", "agents.team.count=110", "-n", "2")
    assert proc.returncode == 0, proc.stderr
    assert tables.MISSED not in proc.stdout and "80% in 20 s" in proc.stdout


def test_asynchronous_waits_read_in_hours(tmp_path):
    """Retail email: a 24 h threshold, a backlog across the night: ASA in hours; the
    intervals' occupancy counts concurrent conversations 1/c (never above 100 %)."""
    out = tmp_path / "out"
    proc = cli("run", "scenarios/retail_omnichannel.yaml", "--set", "horizon.duration=1d",
               "-n", "2", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    email = row(proc.stdout.split("by channel")[1], "email")
    assert "90% in 24 h" in email
    assert any(re.fullmatch(r"[\d.]+ h", cell) for cell in email), email
    issues = row(proc.stdout.split("issues by first channel")[1], "email")
    assert re.fullmatch(r"[\d.]+ h", issues[-1])  # time to resolution
    intervals = pd.read_csv(out / "intervals.csv")
    assert intervals["occupancy"].max() <= 1 + 1e-9


@pytest.fixture(scope="module")
def bank_intervals(tmp_path_factory):
    out = tmp_path_factory.mktemp("bank") / "out"
    proc = cli("run", "scenarios/bank_multiskill.yaml", "--set", "horizon.duration=4h",
               "-n", "2", "--intervals", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    return proc.stdout, pd.read_csv(out / "intervals.csv")


def test_intervals_print_every_interval_and_flag_the_misses(bank_intervals):
    text, intervals = bank_intervals
    table = text.split("per 30 min interval")[1]
    assert "voice per 30 min interval, means of 2 replications" in text
    for name in ("from", "offered", "handled", "abandon", "service", "ASA", "agents",
                 "occupancy"):
        assert name in table.splitlines()[2] + table.splitlines()[3]
    printed = [line.split()[0] for line in table.splitlines()
               if re.match(r"^\s+\d\d:\d\d\s", line)]
    assert printed == list(intervals["clock"])  # one row per interval, in order
    misses = intervals["service_level"] < 0.8
    flagged = [line.split()[0] for line in table.splitlines()
               if re.match(r"^\s+\d\d:\d\d\s", line) and tables.MISSED in line]
    assert flagged == list(intervals.loc[misses, "clock"]) and flagged  # the peak misses
    assert f"{len(flagged)} of {len(intervals)} intervals" in " ".join(table.split())
    first = intervals.iloc[0]
    cells = next(re.split(r"\s{2,}", line.strip()) for line in table.splitlines()
                 if line.strip().startswith(first["clock"]))  # no vertical rules here
    assert cells[1] == tables.fmt("offered", first["offered"])
    assert cells[3] == tables.fmt("abandon_rate", first["abandoned"] / first["offered"])


def test_intervals_of_one_channel_and_option_errors():
    base = ["run", "scenarios/retail_omnichannel.yaml", "--set", "horizon.duration=4h",
            "-n", "1"]
    proc = cli(*base, "--intervals", "--channel", "email")
    assert proc.returncode == 0, proc.stderr
    table = proc.stdout.split("email per 30 min interval")[1]
    assert "voice" not in table and "email 90% in 24 h" in " ".join(table.split())
    for extra, message in ((["--channel", "email"], "use it with --intervals"),
                           (["--intervals", "--channel", "fax"], "not a channel"),
                           (["--intervals", "--json"], "use --out")):
        proc = cli(*base, *extra)
        assert proc.returncode == 2 and message in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr


def test_compare_names_variants_by_their_changes_and_explains_the_notation(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(small(
        variants={"plus_2": {"agents.team.count": 7},
                  "nested": {"routing": {"policy": "fifo"}}})))
    report = tmp_path / "r.html"
    proc = cli("compare", str(path), "-n", "2", "--report", str(report))
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert "plus_2: agents.team.count=7" in text and "nested: routing.policy=fifo" in text
    assert "* 95% CI of the difference excludes 0; pp = percentage points" in \
        " ".join(text.split())
    assert "{" not in text  # no Python dicts
    page = report.read_text()
    assert "agents.team.count=7" in page and "{&#x27;" not in page and "{'" not in page
    document = json.loads(cli("compare", str(path), "-n", "2", "--json").stdout)
    assert document["variants"]["plus_2"]["overrides"] == {"agents.team.count": 7}


def test_check_table_explains_pp(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(small()))
    base = tmp_path / "base.json"
    assert cli("check", str(path), "--baseline", str(base), "--update").returncode == 0
    proc = cli("check", str(path), "--baseline", str(base))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert tables.CHECK_NOTE in " ".join(proc.stdout.split())


def test_glossary_lists_every_catalogue_kpi_with_its_definition():
    glossary = (ROOT / "docs" / "glossary.md").read_text()
    rows = [line for line in glossary.splitlines() if line.startswith("| `")]
    assert rows == [f"| `{k.key}` | {k.label} | {k.kind} | {k.definition} |"
                    for k in CATALOGUE]
    for term in ("Service level", "Service-level threshold", "Service-level target",
                 "ASA", "AHT", "Occupancy", "Timed contacts", "Warm-up", "Replication",
                 "Confidence interval", "Common random numbers", "Paired difference",
                 "Percentage points", "Baseline", "Variant", "Sweep", "Intent", "Segment",
                 "Skill", "Proficiency", "Concurrency", "Callback", "Deflection",
                 "Containment", "FCR window", "Repeat contact", "Currency"):
        assert f"**{term}" in glossary, term
    assert "docs/glossary.md" in (ROOT / "README.md").read_text()
    assert "(glossary.md)" in (ROOT / "docs" / "kpis.md").read_text()


def test_the_display_currency_does_not_invalidate_a_baseline():
    from simcc.experiment.regression import scenario_hash

    assert scenario_hash(load_scenario(scenario(currency="EUR"))) == \
        scenario_hash(load_scenario(scenario()))
