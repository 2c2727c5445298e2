"""The outcome side in the report (docs/outcomes.md): the HTML run and comparison pages
and the terminal tables show the modelled outcome KPIs in a section of their own,
labelled as a model, with the numbers of the KPI tables; names are escaped; nothing of
it appears without an ``outcomes:`` section."""

import html
import io
import re

import pytest
from helpers import small
from rich.console import Console

import simcc
from simcc.report.format import fmt, fmt_range, signed
from simcc.report.html import render_comparison_report, render_report
from simcc.report.tables import (
    OUTCOME_KPIS,
    OUTCOME_TITLE,
    comparison_table,
    outcome_table,
    overall_rows,
)

HOSTILE = "<script>alert(1)</script>"


def scenario(**changes):
    """Two segments (one with a hostile name, worth 5), short patience so that some
    customers give up, outcomes at their defaults, and a variant with one agent more."""
    doc = small(replications=3,
                segments={"standard": {"share": 0.8, "priority": 1, "value": 1},
                          HOSTILE: {"share": 0.2, "priority": 2, "value": 5}},
                routing={"policy": "priority"}, outcomes={},
                variants={"more": {"agents.team.count": 6}})
    doc["channels"]["voice"]["patience"] = {"dist": "exponential", "mean": "3m"}
    doc.update(changes)
    return doc


@pytest.fixture(scope="module")
def comparison():
    return simcc.compare(scenario(), workers=1)


@pytest.fixture(scope="module")
def result(comparison):
    return comparison.results["baseline"]


def section(page: str) -> str:
    """The outcome section of a page: from its heading to the next one."""
    match = re.search(r'<h2 id="outcomes">(.*?)(<h2|$)', page, flags=re.S)
    assert match, "no outcome section"
    return match.group(1)


def text_of(table) -> str:
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(table)
    return console.export_text()


def kpi_row(result, kpi, scope="overall", key="all"):
    return result.kpis.set_index(["scope", "key", "kpi"]).loc[(scope, key, kpi)]


def test_run_report_shows_the_outcome_kpis_by_segment_as_a_model(result):
    page = render_report(result)
    part = section(page)
    assert part.startswith(OUTCOME_TITLE)
    assert "A model with assumptions, not a measurement" in part
    assert "<code>docs/outcomes.md</code>" in part
    for kpi in OUTCOME_KPIS:
        for scope, key in (("overall", "all"), ("segment", "standard"),
                           ("segment", HOSTILE)):
            row = kpi_row(result, kpi, scope, key)
            assert html.escape(fmt(kpi, row["mean"])) in part
            ci = fmt_range(kpi, row["ci_low"], row["ci_high"], row["mean"])
            assert html.escape(ci) in part
    assert kpi_row(result, "value_at_risk")["mean"] > 0
    assert "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>" in part
    assert HOSTILE not in page


def test_outcome_kpis_leave_the_operational_tables(result):
    labels = {label for label, _, _ in overall_rows(result)}
    assert labels and not labels & {"CSAT (model)", "value at risk", "disloyalty (model)"}
    assert "CSAT" in text_of(outcome_table(result))  # the header wraps: CSAT / (model)


def test_terminal_outcome_table_has_every_segment_and_the_caveat(result):
    text = text_of(outcome_table(result))
    assert OUTCOME_TITLE.lower() in text and "docs/outcomes.md" in text
    assert "not a measurement" in text and HOSTILE in text  # shown as written
    for key in ("standard", HOSTILE):
        row = kpi_row(result, "csat", "segment", key)
        assert fmt("csat", row["mean"]) in text


def test_comparison_page_and_table_show_the_outcome_paired_differences(comparison):
    page = render_comparison_report(comparison)
    part = section(page)
    table = text_of(comparison_table(comparison))
    assert "docs/outcomes.md" in part and "docs/outcomes.md" in table
    for kpi in OUTCOME_KPIS:
        r = comparison.difference("more", kpi)
        assert f"{html.escape(fmt(kpi, r.variant_mean))}<br>" in part
        assert html.escape(f"{signed(kpi, r.diff_mean)} [{signed(kpi, r.diff_ci_low)}, "
                           f"{signed(kpi, r.diff_ci_high)}]") in part
        assert signed(kpi, r.diff_mean) in table
        seg = comparison.difference("more", kpi, "segment", HOSTILE)
        assert html.escape(signed(kpi, seg.diff_mean)) in part
    assert "value at risk · &lt;script&gt;alert(1)&lt;/script&gt;" in part
    assert HOSTILE not in page
    assert comparison.difference("more", "disloyalty_rate").diff_mean != 0


def test_nothing_of_it_without_an_outcomes_section():
    doc = scenario()
    doc.pop("outcomes")
    comparison = simcc.compare(doc, workers=1)
    result = comparison.results["baseline"]
    assert 'id="outcomes"' not in render_report(result)
    assert 'id="outcomes"' not in render_comparison_report(comparison)
    assert outcome_table(result) is None
    table = text_of(comparison_table(comparison))
    assert "CSAT" not in table and "docs/outcomes.md" not in table
