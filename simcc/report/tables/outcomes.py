"""The outcome side of a run or a comparison: the KPIs of the ``outcome`` family of the
catalogue (csat, effort, disloyalty_rate, value_at_risk; docs/outcomes.md), which exist
only for a scenario with an ``outcomes:`` section.

They are a *model* with assumptions, never a measurement, so they get their own table,
titled :data:`OUTCOME_TITLE` and captioned with :data:`OUTCOME_NOTE`, instead of sitting
among the operational KPIs. The cells are built here once, as text, for the terminal
tables (rich) and the HTML report alike. Value at risk is in the units of the segments'
``value`` (which the scenario defines: a margin, a multiple of one, customers), so it is
shown without the scenario's currency.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rich.table import Table

from simcc.catalogue import keys
from simcc.experiment.result import Result
from simcc.report.format import LABELS, NO_VALUE, column_header, fmt, fmt_range, signed
from simcc.report.terminal import markup_safe

OUTCOME_KPIS = keys(family="outcome")
"""The outcome KPIs, in catalogue order (the columns of the outcome tables)."""
OUTCOME_TITLE = "Customer outcomes (model)"
OUTCOME_DOC = "docs/outcomes.md"
OUTCOME_NOTE = ("A model with assumptions, not a measurement: satisfaction (CSAT), effort "
                "events and the probability of disloyalty are computed per issue from its "
                "journey with benchmark coefficients (correlational figures, not causal "
                "effects); value at risk = the segment's value x that probability, summed "
                f"over issues, in the units of the segments' value. Formulas, sources and "
                f"caveats: {OUTCOME_DOC}.")
"""The caption of every outcome table."""
OVERALL = "all"


@dataclass(frozen=True)
class Cell:
    """One KPI value for people: the mean and its 95% interval (``–`` when undefined)."""

    mean: str
    ci: str


@dataclass(frozen=True)
class Difference:
    """A variant's value of one KPI for people: its mean, the paired difference from the
    baseline, that difference's 95% interval, and whether the interval excludes 0."""

    mean: str
    diff: str
    ci: str
    significant: bool


def has_outcomes(result: Result) -> bool:
    """Whether the run measured outcome KPIs (its scenario has an ``outcomes:`` section)."""
    return bool(result.kpis["kpi"].isin(OUTCOME_KPIS).any())


def outcome_keys(result: Result) -> list[tuple[str, str]]:
    """The (scope, key) rows of the outcome table: overall, then each segment the run
    has, in the scenario's order."""
    part = result.kpis[(result.kpis["scope"] == "segment")
                       & result.kpis["kpi"].isin(OUTCOME_KPIS)]
    present = set(part["key"].astype(str))
    return [("overall", OVERALL), *(("segment", name) for name in result.scenario.segments
                                    if name in present)]


def outcome_cells(result: Result) -> list[tuple[str, list[Cell]]]:
    """Rows of the run's outcome table: (``all`` or a segment name, one :class:`Cell`
    per :data:`OUTCOME_KPIS`); empty without outcome KPIs."""
    if not has_outcomes(result):
        return []
    table = result.kpis.set_index(["scope", "key", "kpi"])
    rows = []
    for scope, key in outcome_keys(result):
        cells = []
        for kpi in OUTCOME_KPIS:
            if (scope, key, kpi) not in table.index:
                cells.append(Cell(NO_VALUE, NO_VALUE))
                continue
            row = table.loc[(scope, key, kpi)]
            cells.append(Cell(fmt(kpi, row["mean"]),
                              fmt_range(kpi, row["ci_low"], row["ci_high"], row["mean"])))
        rows.append((key, cells))
    return rows


def difference_of(comparison, variant: str, kpi: str, scope: str = "overall",
                  key: str = OVERALL) -> Difference | None:
    """The :class:`Difference` of ``variant`` for one KPI and scope (None when the
    comparison has no such row)."""
    r = comparison.difference(variant, kpi, scope, key)
    if r is None:
        return None
    finite = math.isfinite(r.diff_ci_low) and math.isfinite(r.diff_ci_high)
    ci = f"[{signed(kpi, r.diff_ci_low)}, {signed(kpi, r.diff_ci_high)}]" if finite else ""
    return Difference(fmt(kpi, r.variant_mean), signed(kpi, r.diff_mean), ci,
                      finite and (r.diff_ci_low > 0 or r.diff_ci_high < 0))


def comparison_outcome_rows(comparison, by_segment: bool = True
                            ) -> list[tuple[str, str, str, list[Difference | None]]]:
    """Rows of a comparison's outcome table: (KPI key, ``all`` or a segment, the
    baseline mean, one :class:`Difference` per variant), overall for each outcome KPI,
    then (``by_segment``) each KPI by segment; empty without outcome KPIs."""
    base = comparison.results["baseline"]
    if not has_outcomes(base):
        return []
    places = outcome_keys(base) if by_segment else [("overall", OVERALL)]
    rows = []
    for scope, key in places:
        for kpi in OUTCOME_KPIS:
            rows.append((kpi, key, fmt(kpi, base.kpi(kpi, scope, key)),
                         [difference_of(comparison, name, kpi, scope, key)
                          for name in comparison.variants]))
    return rows


def outcome_label(kpi: str, key: str) -> str:
    """The row label of one outcome KPI in a scope: ``CSAT (model)``, or
    ``value at risk · gold`` for a segment."""
    return LABELS[kpi] if key == OVERALL else f"{LABELS[kpi]} · {key}"


def outcome_table(result: Result) -> Table | None:
    """The run's outcome KPIs by segment, each mean with its 95% interval below it
    (None without outcome KPIs); captioned as a model (:data:`OUTCOME_NOTE`)."""
    rows = outcome_cells(result)
    if not rows:
        return None
    table = Table(title=OUTCOME_TITLE.lower(), title_justify="left",
                  caption=markup_safe(OUTCOME_NOTE), caption_justify="left")
    table.add_column("segment", no_wrap=True)
    for kpi in OUTCOME_KPIS:
        table.add_column(column_header(LABELS[kpi]), justify="right", no_wrap=True)
    for key, cells in rows:
        table.add_row(markup_safe(key), *(f"{cell.mean}\n[dim]{cell.ci}[/]"
                                          for cell in cells))
    return table
