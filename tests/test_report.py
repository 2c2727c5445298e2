"""The HTML report and the analyst API additions."""

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from helpers import small

import simcc
from simcc.report.html import render_report

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def result():
    return simcc.simulate(small(replications=3), workers=1)


class _Checker(HTMLParser):
    """Collects tags and fails on unbalanced ones."""

    VOID = {"meta", "img", "br", "link"}

    def __init__(self):
        super().__init__()
        self.stack, self.images = [], []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"unbalanced </{tag}> after {self.stack}"
        self.stack.pop()


def test_report_is_well_formed_self_contained_and_has_the_numbers(result):
    text = render_report(result)
    checker = _Checker()
    checker.feed(text)
    assert checker.stack == ["html"] or checker.stack == []
    # one channel: its intraday profile, occupancy, wait CDF; no repeat nor transfer, so
    # no journey figure (the page says so)
    assert len(checker.images) == 3
    assert "No journey figure" in text
    assert all(img["src"].startswith("data:image/png;base64,") for img in checker.images)
    assert not re.search(r"(src|href)=\"https?://", text)  # no network
    overall = result.kpis.query("scope == 'overall'").set_index("kpi")["mean"]
    assert f"{100 * overall['service_level']:.1f}%" in text
    assert f"{overall['asa_s']:,.1f}" in text
    assert "Assumptions" in text and result.scenario.name in text


def test_cli_report_option(tmp_path):
    report = tmp_path / "r.html"
    proc = subprocess.run([sys.executable, "-m", "simcc", "run", "scenarios/erlang_a.yaml", "-n",
                           "2", "--set", "horizon.duration=2h", "--set", "horizon.warmup=30m",
                           "--report", str(report)], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert report.read_text().startswith("<!DOCTYPE html>")


def test_with_overrides_and_summary(result):
    scenario = result.scenario
    changed = scenario.with_overrides({"agents.team.count": 7})
    assert changed.agents["team"].count == 7 and scenario.agents["team"].count == 5
    with pytest.raises(simcc.ScenarioError, match="agents.team.count"):
        scenario.with_overrides({"agents.team.count": -1})
    table = result.summary()
    assert list(table.columns) == ["mean", "ci_low", "ci_high", "n"]
    assert table.loc["service_level", "mean"] == pytest.approx(result.kpi("service_level"))
    assert result.summary("group").index.names == ["key", "kpi"]
