"""Terminal tables of a staffing plan (``simcc staff``): interval x group, and the
targets that are not met."""

from __future__ import annotations

import datetime as dt
import math

from rich.table import Table

from simcc.planning import StaffingPlan
from simcc.report.format import fmt, signed
from simcc.report.terminal import markup_safe
from simcc.units import DAY, format_clock


def staffing_table(plan: StaffingPlan) -> Table:
    """One row per interval: the Erlang requirement per queue (seed, at full
    proficiency), the agents of each planned group, the verified service level of each
    channel with per-interval targets, and the interval's cost."""
    verdict = "feasible" if plan.feasible else "INFEASIBLE (best plan found)"
    table = Table(title=markup_safe(
        f"{plan.scenario.name}: staffing per {plan.interval_s / 60:g} min, {verdict}"),
        title_justify="left", caption_justify="left", caption=markup_safe(
            f"cost {plan.cost:,.2f} {plan.span}, {plan.agent_hours:,.1f} agent-hours; "
            f"{plan.simulations} simulations x {plan.replications} replications, "
            f"{plan.seconds:.1f} s"))
    if plan.dates:
        table.add_column("date")
    table.add_column("interval")
    for queue in plan.requirement:
        table.add_column(markup_safe(f"need {queue}"), justify="right")
    for group in plan.groups:
        table.add_column(markup_safe(group), justify="right")
    channels = _sl_channels(plan)
    for channel in channels:
        table.add_column(markup_safe(f"SL {channel}"), justify="right")
    table.add_column("cost", justify="right")
    hours = plan.interval_s / 3600.0
    for t in range(len(next(iter(plan.groups.values()), []))):
        cells = [format_clock(plan.start_clock + t * plan.interval_s)]
        if plan.dates:
            cells.insert(0, _interval_date(plan, t))
        cells += [str(counts[t]) for counts in plan.requirement.values()]
        cells += [str(counts[t]) for counts in plan.groups.values()]
        cells += [_sl_cell(plan, channel, t) for channel in channels]
        cost = sum(plan.scenario.agents[g].cost_per_hour * counts[t] * hours
                   for g, counts in plan.groups.items())
        cells.append(f"{cost:,.2f}")
        table.add_row(*cells)
    return table


def _interval_date(plan: StaffingPlan, t: int) -> str:
    """The date (``YYYY-MM-DD``) at the start of interval ``t`` of a calendar plan."""
    per_day = len(next(iter(plan.groups.values()))) // len(plan.dates)
    offset = plan.start_clock + (t % per_day) * plan.interval_s
    return (plan.dates[t // per_day] + dt.timedelta(days=int(offset // DAY))).isoformat()


def _sl_channels(plan: StaffingPlan) -> list[str]:
    """Channels with a per-interval service-level target."""
    rows = plan.verification
    mine = rows[(rows["kpi"] == "service_level") & rows["interval"].notna()]
    return list(dict.fromkeys(mine["key"]))


def _sl_cell(plan: StaffingPlan, channel: str, t: int) -> str:
    """``82.1% [79.0, 85.0]``, marked ``!`` when missed and ``~`` within noise."""
    rows = plan.verification
    row = rows[(rows["kpi"] == "service_level") & (rows["key"] == channel)
               & (rows["interval"] == t)]
    if row.empty or math.isnan(row["mean"].iloc[0]):
        return "-"
    r = row.iloc[0]
    mark = {"met": "", "within noise": " ~", "missed": " !"}[r["verdict"]]
    return f"{100 * r['mean']:.1f}% [{100 * r['ci_low']:.0f}, {100 * r['ci_high']:.0f}]{mark}"


def verdict_table(plan: StaffingPlan) -> Table | None:
    """The day targets and every target not met in some interval, with the verdict;
    None when there is nothing to show."""
    rows = plan.verification
    shown = rows[rows["interval"].isna() | (rows["verdict"] != "met")]
    if shown.empty:
        return None
    table = Table(title="targets (verified on fresh seeds; ~ within noise, ! missed)",
                  title_justify="left")
    dated = "date" in shown.columns
    for column in ("target", "interval", "mean", "95% CI", "verdict", "gap", "note"):
        table.add_column(column)
    for r in shown.itertuples():
        when = f"{r.date} {r.clock}" if dated else r.clock
        table.add_row(markup_safe(r.target), when, fmt(r.kpi, r.mean),
                      f"[{fmt(r.kpi, r.ci_low)}, {fmt(r.kpi, r.ci_high)}]", r.verdict,
                      signed(r.kpi, r.gap), markup_safe(r.note))
    return table
