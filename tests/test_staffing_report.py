"""``simcc staff --report``: the HTML page of a staffing plan and its figures
(simcc/report/staffing_html.py, simcc/report/figures/staffing.py).

One channel, two hours, four half-hour intervals, 3 replications, one process."""

from __future__ import annotations

import copy
import re
from typing import Any

import numpy as np
import pytest
import yaml
from matplotlib.container import BarContainer, ErrorbarContainer
from typer.testing import CliRunner

import simcc
from simcc.cli import app
from simcc.planning.grid import plan_grid
from simcc.report.figures import service_level_figure, staffing_figure
from simcc.report.figures.staffing import FIXED_HATCH, VERDICT_STYLES
from simcc.report.format import MISSED
from simcc.report.staffing_html import render_staffing_report, verification_rows
from simcc.units import format_clock

HOSTILE = "<script>alert(1)</script>"

CENTER: dict[str, Any] = {
    "name": "small center",
    "horizon": {"duration": "2h", "interval": "30m", "start": "08:00"},
    "seed": 7,
    "replications": 3,
    "currency": "EUR",
    "channels": {"voice": {"patience": {"dist": "exponential", "mean": 300},
                           "service_level": {"threshold": 20, "target": 0.8}}},
    "intents": {"general": {"skill": "general",
                            "handle_time": {"dist": "exponential", "mean": 240}}},
    "profiles": {"day": {"weights": [2, 4, 3, 1]}},
    "demand": [{"channel": "voice", "rate": {"per_day": 300, "profile": "day"},
                "mix": {"general": 1.0}}],
    "agents": {"team": {"count": 1, "skills": {"general": 1.0}, "channels": ["voice"],
                        "cost_per_hour": 20},
               "backup": {"count": 1, "skills": {"general": 1.0}, "channels": ["voice"],
                          "cost_per_hour": 25}},
    "staffable": {"team": {"max": 40}},
    "targets": {"items": [{"channel": "voice", "kpi": "asa_s", "max": 60, "per": "day"}]},
}
"""``team`` is planned, ``backup`` keeps its one agent; service level per interval and
an ASA target over the day."""


def center(**changes: Any) -> dict[str, Any]:
    document = copy.deepcopy(CENTER)
    document.update(copy.deepcopy(changes))
    return document


@pytest.fixture(scope="module")
def plan():
    return simcc.staff(CENTER, replications=3, workers=1)


def write(tmp_path, document: dict[str, Any]):
    path = tmp_path / "center.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def staff_cli(*args: str):
    return CliRunner().invoke(app, ["staff", *args, "-n", "3", "--workers", "1", "--quiet"])


def test_report_page_has_summary_both_figures_and_tables(tmp_path):
    source = write(tmp_path, CENTER)
    out, report = tmp_path / "staffed.yaml", tmp_path / "page" / "staff.html"
    proc = staff_cli(str(source), "-o", str(out), "--report", str(report))
    assert proc.exit_code in (0, 1), proc.output
    assert out.exists() and report.exists()
    assert f"written: {report}" in " ".join(proc.output.split())
    page = report.read_text()
    assert page.count('src="data:image/png;base64,') == 2
    assert "planned agents per group" in page.lower()
    assert "verified service level per interval" in page.lower()
    assert "EUR" in page and "agent-hours per day" in page
    assert ("feasible" if proc.exit_code == 0 else "INFEASIBLE") in page
    for heading in ("Staffing per interval", "Verification", "Method"):
        assert f"<h2>{heading}</h2>" in page
    assert "asa" in page.lower() and "service level ≥ 80.0% within 20 s" in page
    assert "http://" not in page and "https://" not in page  # self-contained


def test_staffing_figure_plots_the_plan(plan):
    fig = staffing_figure(plan)
    top, bottom = fig.axes[:2]
    bars = [c for c in top.containers if isinstance(c, BarContainer)]
    assert [c.get_label() for c in bars] == ["team", "backup (not planned)"]
    team = [p.get_height() for p in bars[0].patches]
    assert team == [float(c) for c in plan.groups["team"]]
    assert all(p.get_y() == 0 for p in bars[0].patches)
    backup = bars[1].patches
    assert [p.get_height() for p in backup] == pytest.approx([1.0] * 4)
    assert [p.get_y() for p in backup] == team  # stacked on the planned agents
    assert all(p.get_hatch() == FIXED_HATCH for p in backup)
    lines = {line.get_label(): line for line in top.get_lines()}
    requirement = np.sum(list(plan.requirement.values()), axis=0)
    assert list(lines["Erlang requirement"].get_ydata()) == list(requirement)
    need = plan_grid(plan.scenario).needs[0]
    assert np.allclose(lines["offered load"].get_ydata(), need.rate * need.handle_s)
    queue = lines_of(bottom)
    assert list(queue["voice/general requirement"]) == plan.requirement["voice/general"]
    assert np.allclose(queue["voice/general load"], need.rate * need.handle_s)
    # 300 contacts in half-hours of 2, 4, 3, 1 tenths: 120 in the peak, 240 s each
    assert np.allclose(need.rate * need.handle_s, [8, 16, 12, 4])
    assert [t.get_text() for t in bottom.get_xticklabels()] == \
        [format_clock(8 * 3600 + t * 1800) for t in range(4)]


def lines_of(ax) -> dict[str, list[float]]:
    return {line.get_label(): list(line.get_ydata()) for line in ax.get_lines()}


def test_service_level_figure_plots_the_verification(plan):
    fig = service_level_figure(plan)
    ax = fig.axes[0]
    rows = plan.verification[(plan.verification["kpi"] == "service_level")
                             & plan.verification["interval"].notna()]
    assert len(rows) == 4
    seen = 0
    for container in ax.containers:
        assert isinstance(container, ErrorbarContainer)
        verdict = container.get_label()
        part = rows[rows["verdict"] == verdict]
        data, _caps, (bars,) = container.lines
        assert data.get_marker() == VERDICT_STYLES[verdict][0]
        assert list(data.get_xdata()) == list(part["interval"].astype(int))
        assert np.allclose(data.get_ydata(), part["mean"] * 100)
        lows = [segment[0][1] for segment in bars.get_segments()]
        highs = [segment[1][1] for segment in bars.get_segments()]
        assert np.allclose(lows, part["ci_low"] * 100)
        assert np.allclose(highs, part["ci_high"] * 100)
        seen += len(part)
    assert seen == len(rows)
    (target,) = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert list(target.get_ydata()) == [80.0, 80.0]
    assert "20 s" in ax.get_title()


def test_service_level_figure_is_none_without_interval_targets(plan):
    day_only = copy.copy(plan)
    day_only.verification = plan.verification[plan.verification["interval"].isna()]
    assert service_level_figure(day_only) is None
    page = render_staffing_report(day_only)
    assert page.count("data:image/png") == 1 and "No service-level figure" in page


def test_verification_rows_carry_units(plan):
    rows = {(r[0].split(":")[0], r[1]): r for r in verification_rows(plan)}
    asa = rows[("voice (channel)", "day")]
    assert asa[0] == "voice (channel): ASA ≤ 60.0 s, per day"
    assert asa[2].endswith(" s") and asa[3].endswith(" s") and asa[5].endswith(" s")
    first = rows[("voice (channel)", "08:00")]
    assert re.fullmatch(r"\d+\.\d%", first[2]) and first[3].endswith("%")
    assert first[5].endswith(" pp") or first[5] == "0 pp"
    assert len(rows) == len(plan.verification)


def test_hostile_names_are_escaped(tmp_path):
    document = center(name=HOSTILE, description=HOSTILE)
    document["agents"] = {HOSTILE: document["agents"]["team"],
                          "backup": document["agents"]["backup"]}
    document["staffable"] = {HOSTILE: {"max": 40}}
    plan = simcc.staff(document, replications=2, workers=1)
    page = render_staffing_report(plan)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count('src="data:image/png;base64,') == 2


def test_infeasible_plan_still_gets_its_report(tmp_path):
    source = write(tmp_path, center(staffable={"team": {"max": 1}}))
    out, report = tmp_path / "staffed.yaml", tmp_path / "staff.html"
    proc = staff_cli(str(source), "-o", str(out), "--report", str(report))
    assert proc.exit_code == 1, proc.output
    page = report.read_text()
    assert "INFEASIBLE (best plan found)" in page and f"{MISSED} missed" in page
    assert out.exists()


@pytest.mark.parametrize("where", ["under_a_file", "a_folder", "same_as_output"])
def test_unwritable_report_exits_2_and_writes_nothing(tmp_path, where):
    source = write(tmp_path, CENTER)
    (tmp_path / "afile").write_text("x")
    out = tmp_path / "staffed.yaml"
    report = {"under_a_file": tmp_path / "afile" / "staff.html", "a_folder": tmp_path,
              "same_as_output": out}[where]
    proc = staff_cli(str(source), "-o", str(out), "--report", str(report))
    assert proc.exit_code == 2, proc.output
    assert "--report" in proc.output and "Traceback" not in proc.output
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "center.yaml"]


def test_unwritable_output_exits_2_before_the_search(tmp_path):
    source = write(tmp_path, CENTER)
    (tmp_path / "afile").write_text("x")
    proc = staff_cli(str(source), "-o", str(tmp_path / "afile" / "s.yaml"))
    assert proc.exit_code == 2, proc.output
    assert "-o" in proc.output and "is not a folder" in proc.output
