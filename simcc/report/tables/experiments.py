"""Tables of runs set against each other (rich): variants vs baseline, a sweep's
points, a check against a stored baseline, and a backtest against observed data."""

from __future__ import annotations

import math

from rich.table import Table
from rich.text import Text

from simcc.report.format import LABELS, describe_changes, fmt, label, signed
from simcc.report.tables.outcomes import (
    OUTCOME_NOTE,
    Difference,
    comparison_outcome_rows,
    outcome_label,
)
from simcc.report.terminal import markup_safe

BACKTEST_COLUMNS = (("offered_per_day", "offered/day"), ("abandon_rate", "abandon"),
                    ("asa_s", "ASA"), ("service_level", "SL"))


def backtest_table(table, title: str = "backtest: observed / simulated") -> Table:
    """Observed vs simulated by hour, with relative errors of the overall row."""
    out = Table(title=f"{title} (relative error)", title_justify="left")
    out.add_column("hour", no_wrap=True)
    for _, heading in BACKTEST_COLUMNS:
        out.add_column(heading, justify="right")
    kinds = {"offered_per_day": "offered", "abandon_rate": "abandon_rate", "asa_s": "asa_s",
             "service_level": "service_level"}
    for hour, row in table.iterrows():
        cells = []
        for metric, _ in BACKTEST_COLUMNS:
            obs, sim, err = (row[f"{metric}_obs"], row[f"{metric}_sim"],
                             row[f"{metric}_relerr"])
            text = f"{fmt(kinds[metric], obs)} / {fmt(kinds[metric], sim)}"
            if math.isfinite(err):
                text += f" ({100 * err:+.0f}%)"
            cells.append(text)
        out.add_row(str(hour), *cells)
    return out


def pooled_notes(table, days: int, what: str = "simulated") -> str:
    """The line under a table of rates pooled over ``days`` simulated days: the 95 %
    intervals over replications of the overall abandonment, ASA and service level."""
    row = table.loc["all"]
    ci = "; ".join(
        f"{LABELS.get(m, m)} {fmt(m, row[f'{m}_sim'])} [{fmt(m, row[f'{m}_sim_ci_low'])}, "
        f"{fmt(m, row[f'{m}_sim_ci_high'])}]" for m in ("abandon_rate", "asa_s",
                                                       "service_level"))
    return f"{what}, pooled over {days} days (95% interval over replications): {ci}"


def planned_backtest_notes(result) -> str:
    """The lines under a planner's backtest table: the 95 % intervals of the simulated
    overall rates, the days planned and the handle-time drift of the plan."""
    days = result.days
    lines = [pooled_notes(result.table, len(days)),
             f"plan: {days['offered'].sum():,} offered contacts, "
             f"{days['agent_hours'].sum():,.0f} staffed agent-hours"]
    drift = result.handle_time_drift
    if not drift.empty:
        moves = ", ".join(f"{r.intent} {r.scenario_mean_s:.0f} s -> {r.plan_mean_s:.0f} s "
                          f"({100 * (r.ratio - 1):+.0f}%)" for r in drift.itertuples())
        lines.append(f"handle-time drift, scenario -> plan: {moves}")
    return "\n".join(lines)


COMPARED = ("service_level", "asa_s", "abandon_rate", "occupancy", "fcr", "transfer_rate",
            "repeat_rate", "cost", "cost_per_resolved_issue")
COMPARISON_NOTE = ("Variant mean (paired difference from the baseline, same customers in "
                   "every run); * 95% CI of the difference excludes 0; pp = percentage points.")
"""Footnote printed under the comparison table."""


def comparison_table(comparison) -> Table:
    """Baseline and variants side by side; for variants the paired difference with its
    95% CI (``*`` when the interval excludes 0). The caption lists each variant's
    changes and explains the notation."""
    base = comparison.results["baseline"]
    currency = base.scenario.currency
    table = Table(title=markup_safe(f"{base.scenario.name}: variants vs baseline, "
                                    f"{base.replications} replications on common random "
                                    "numbers"), title_justify="left",
                  caption_justify="left")
    table.add_column("KPI", no_wrap=True)
    table.add_column("baseline", justify="right")
    for name in comparison.variants:
        table.add_column(markup_safe(name), justify="right")
    for kpi in COMPARED:
        cells = [fmt(kpi, base.kpi(kpi), currency)]
        for name in comparison.variants:
            r = comparison.difference(name, kpi)
            if r is None:
                cells.append("–")
                continue
            significant = math.isfinite(r.diff_ci_low) and (r.diff_ci_low > 0 or
                                                            r.diff_ci_high < 0)
            cells.append(f"{fmt(kpi, r.variant_mean, currency)} ({signed(kpi, r.diff_mean)}"
                         f"{'*' if significant else ''})")
        table.add_row(markup_safe(label(kpi, base.scenario)), *cells)
    outcomes = comparison_outcome_rows(comparison, by_segment=False)
    if outcomes:
        table.add_section()
    for kpi, key, baseline, differences in outcomes:
        table.add_row(markup_safe(outcome_label(kpi, key)), baseline,
                      *(_difference_cell(d) for d in differences))
    changes = [f"{name}: {describe_changes(comparison.overrides[name])}"
               for name in comparison.variants]
    notes = [COMPARISON_NOTE, *([f"Outcome rows (below the line): {OUTCOME_NOTE}"]
                                if outcomes else [])]
    table.caption = markup_safe("\n".join([*changes, *notes]))
    return table


def _difference_cell(d: Difference | None) -> str:
    """``mean (difference*)`` of a variant, as in the rows above the outcome rows."""
    if d is None:
        return "–"
    return f"{d.mean} ({d.diff}{'*' if d.significant else ''})"


SWEPT = ("service_level", "asa_s", "abandon_rate", "occupancy", "fcr", "cost")


def sweep_table(result) -> Table:
    """One row per sweep point: its grid values, then the means of the :data:`SWEPT`
    KPIs (95% intervals are in ``result.table``)."""
    kpis = [kpi for kpi in SWEPT if kpi in set(result.table["kpi"])]
    wide = result.wide(kpis)
    table = Table(title=markup_safe(f"{result.scenario.name}: sweep of {len(result.points)} "
                                    f"points, {result.replications} replications each on "
                                    f"common random numbers (seed {result.seed})"),
                  title_justify="left")
    for path in result.grid:
        table.add_column(markup_safe(path), no_wrap=True)
    for kpi in kpis:
        table.add_column(markup_safe(label(kpi, result.scenario)), justify="right")
    for values, row in zip(result.points, wide.to_dict("records"), strict=True):
        table.add_row(*(markup_safe(str(value)) for value in values.values()),
                      *(fmt(kpi, row[kpi], result.scenario.currency) for kpi in kpis))
    return table


VERDICT_STYLE = {"regressed": "bold red", "improved": "green", "ok": "", "info": "dim",
                 "ignored": "dim"}


CHECK_NOTE = ("delta: now - baseline, paired over replications (pp = percentage points); "
              "[low, high]: its simultaneous 95% interval over all judged KPIs, shown for "
              "regressed and improved KPIs")
"""Footnote printed under the check table."""


def check_table(result) -> Table:
    """KPI, baseline, now, delta and verdict for every judged KPI of every run (KPIs
    without a direction are in the JSON output only); a caption explains the delta."""
    table = Table(title=markup_safe(f"{result.scenario}: check against the baseline"),
                  title_justify="left",
                  caption=Text(CHECK_NOTE), caption_justify="left")
    for name, justify in (("run", "left"), ("KPI", "left"), ("baseline", "right"),
                          ("now", "right"), ("delta", "right"), ("verdict", "left")):
        table.add_column(name, justify=justify, no_wrap=True)
    for row in result.rows.itertuples():
        if row.verdict in ("info", "ignored"):
            continue
        delta = signed(row.kpi, row.delta)
        if row.verdict in ("regressed", "improved") and math.isfinite(row.ci_low):
            delta += f" [{signed(row.kpi, row.ci_low)}, {signed(row.kpi, row.ci_high)}]"
        style = VERDICT_STYLE[row.verdict]
        table.add_row(markup_safe(row.run), markup_safe(LABELS.get(row.kpi, row.kpi)),
                      fmt(row.kpi, row.baseline),
                      fmt(row.kpi, row.now), delta,
                      f"[{style}]{row.verdict}[/]" if style else row.verdict)
    for row in (result.limits.itertuples() if not result.limits.empty else []):
        verdict = "[green]ok[/]" if row.passed else "[bold red]violated[/]"
        table.add_row(markup_safe(row.run), f"limit {markup_safe(row.limit)}", "",
                      fmt(row.limit.split()[0], row.value), "", verdict)
    return table
