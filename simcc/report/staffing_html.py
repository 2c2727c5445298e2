"""The HTML page of a staffing plan (``simcc staff --report``): the plan's summary, the
staffing-vs-demand and service-level figures, the plan per interval and the
verification table. One self-contained file in the style of the run report
(:mod:`simcc.report.html`: same CSS, inline PNG figures, every name escaped)."""

from __future__ import annotations

from simcc.catalogue import KPIS
from simcc.planning import StaffingPlan
from simcc.planning.staff import VERIFY_FACTOR
from simcc.planning.targets import Target
from simcc.report.figures.staffing import (
    fixed_groups,
    interval_count,
    interval_starts,
    service_level_figure,
    staffing_figure,
)
from simcc.report.format import (
    LABELS,
    MISSED,
    fmt,
    fmt_duration,
    fmt_money,
    fmt_range,
    fmt_span,
    signed,
)
from simcc.report.page import escape, figure_html, html_page
from simcc.units import format_clock

VERDICT_CSS = "td.missed{color:#b42318;font-weight:600}td.noise{color:#a15c07}"
"""Verdict colours of the verification table (the text says the verdict too)."""
VERDICT_MARKS = {"met": "met", "within noise": "~ within noise", "missed": f"{MISSED} missed"}
VERDICT_CLASSES = {"met": "", "within noise": "noise", "missed": "missed"}

METHOD = (
    "The plan is the cheapest staffing per interval found by simulation on common random "
    "numbers, starting from an Erlang seed (docs/staffing.md, Method).",
    "Erlang requirement: per channel/skill queue and interval, the smallest number of "
    "agents at full proficiency whose Erlang A (or C) metrics meet the queue's targets on "
    "their own; the simulated plan may differ (cross-trained groups pool, proficiency "
    "below 1 slows agents down, backlog carries over).",
    "Offered load: arrival rate × mean handle time at full proficiency (Erlangs).",
    "Verification: the final plan simulated on fresh seeds with "
    f"{VERIFY_FACTOR} × the search's replications; 95% confidence intervals over "
    "replications (Student t; bounded Wilson-type for rates).",
    "Verdicts: met (the mean meets the goal); within noise (it does not, but the 95% "
    "interval contains the goal); missed (the whole interval is on the wrong side). Gap: "
    "how far the mean is on the good side of the goal (negative: short of it). The plan "
    "is feasible when nothing is missed and no target was found out of reach.",
)


def _goal(target: Target) -> str:
    """``service level ≥ 80.0% within 20 s``, ``ASA ≤ 45.0 s``."""
    sign = "≥" if target.minimum else "≤"
    within = (f" within {fmt_span(target.threshold)}"
              if target.threshold is not None else "")
    return f"{LABELS.get(target.kpi, target.kpi)} {sign} {fmt(target.kpi, target.goal)}{within}"


def target_text(target: Target) -> str:
    """A target for people: ``voice (channel): service level ≥ 80.0% within 20 s, per
    interval``."""
    return f"{target.key} ({target.scope}): {_goal(target)}, per {target.per}"


def fmt_gap(kpi: str, value: float) -> str:
    """A gap with its unit: percentage points for rates, seconds for durations."""
    text = signed(kpi, value)
    if kpi in KPIS and KPIS[kpi].kind == "seconds" and text not in ("0", "–"):
        return f"{text} s"
    return text


def _cards(plan: StaffingPlan) -> str:
    currency = plan.scenario.currency
    state = "feasible" if plan.feasible else "INFEASIBLE (best plan found)"
    cards = (("plan", state), (f"cost {plan.span}", fmt_money(plan.cost, currency)),
             (f"agent-hours {plan.span}", f"{plan.agent_hours:,.1f}"),
             ("simulations", f"{plan.simulations} × {plan.replications} replications"),
             ("time", fmt_duration(plan.seconds)))
    return '<div class="cards">' + "".join(
        f'<div class="card">{escape(label)}<b>{escape(value)}</b></div>' for label, value in cards
    ) + "</div>"


def _summary(plan: StaffingPlan) -> str:
    """The grid, the decided and fixed groups, the targets and the plan's notes."""
    s = plan.scenario
    n = interval_count(plan)
    planned = ", ".join(
        f"<b>{escape(g)}</b> ({escape(fmt_money(s.agents[g].cost_per_hour, s.currency))}/h)"
        for g in plan.groups)
    fixed = ", ".join(f"<b>{escape(g)}</b>" for g in fixed_groups(plan))
    items = [f"{n} intervals of {plan.interval_s / 60:g} min from "
             f"{escape(format_clock(plan.start_clock))} " + (
                 f"(each of the {len(plan.dates)} dates from {plan.dates[0].isoformat()} "
                 "planned on its own)" if plan.dates else "(the plan repeats every day)"),
             f"planned groups: {planned or 'none'}"]
    if fixed:
        items.append(f"groups kept at their own staffing (counted as capacity): {fixed}")
    targets = "".join(f"<li>{escape(target_text(t))}</li>" for t in plan.targets)
    notes = "".join(f"<li>{escape(note)}</li>" for note in plan.notes)
    return ("<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>"
            f"<h3>targets</h3><ul>{targets}</ul>"
            + (f"<h3>notes</h3><ul>{notes}</ul>" if notes else ""))


def _plan_table(plan: StaffingPlan) -> str:
    """One row per interval: the Erlang requirement per queue, the planned agents per
    group, and the interval's cost of the planned groups."""
    s = plan.scenario
    hours = plan.interval_s / 3600.0
    head = ("<tr><th>interval</th>"
            + "".join(f"<th>need {escape(q)}</th>" for q in plan.requirement)
            + "".join(f"<th>{escape(g)}</th>" for g in plan.groups) + "<th>cost</th></tr>")
    body = []
    for t, start in enumerate(interval_starts(plan)):
        cost = sum(s.agents[g].cost_per_hour * counts[t] * hours
                   for g, counts in plan.groups.items())
        cells = ([format_clock(start)] + [str(v[t]) for v in plan.requirement.values()]
                 + [str(v[t]) for v in plan.groups.values()] + [fmt_money(cost, s.currency)])
        body.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
    total = ("<tr><th>day</th>" + "<th></th>" * len(plan.requirement)
             + "".join(f"<th>{escape(f'{sum(v) * hours:,.1f} h')}</th>"
                       for v in plan.groups.values())
             + f"<th>{escape(fmt_money(plan.cost, s.currency))}</th></tr>")
    return f"<table>{head}{''.join(body)}{total}</table>"


def verification_rows(plan: StaffingPlan) -> list[tuple[str, ...]]:
    """The verification table for people, one tuple per (target, interval): target,
    interval (clock or ``day``), mean, 95% CI, verdict, gap and note, each formatted
    with its unit (rates in %, ASA in seconds, gaps in pp or s)."""
    labels = {t.label: target_text(t) for t in plan.targets}
    rows = []
    for r in plan.verification.itertuples():
        rows.append((labels.get(r.target, r.target), r.clock, fmt(r.kpi, r.mean),
                     fmt_range(r.kpi, r.ci_low, r.ci_high, r.mean), r.verdict,
                     fmt_gap(r.kpi, r.gap), r.note or ""))
    return rows


def _verification_table(plan: StaffingPlan) -> str:
    """One table per target (its intervals in order), the note column only when some
    row has a note."""
    rows = verification_rows(plan)
    with_notes = any(row[-1] for row in rows)
    columns = ("interval", "mean", "95% CI", "verdict", "gap") + (("note",) if with_notes
                                                                 else ())
    head = "<tr>" + "".join(f"<th>{escape(c)}</th>" for c in columns) + "</tr>"
    tables: dict[str, list[str]] = {}
    for target, clock, mean, ci, verdict, gap, note in rows:
        css = VERDICT_CLASSES.get(verdict, "")
        verdict_cell = (f'<td class="{css}">' if css else "<td>") + \
            f"{escape(VERDICT_MARKS.get(verdict, verdict))}</td>"
        tables.setdefault(target, []).append(
            f"<tr><td>{escape(clock)}</td><td>{escape(mean)}</td><td class=\"ci\">{escape(ci)}</td>"
            f"{verdict_cell}<td>{escape(gap)}</td>"
            + (f"<td>{escape(note)}</td>" if with_notes else "") + "</tr>")
    missed = int((plan.verification["verdict"] == "missed").sum())
    noise = int((plan.verification["verdict"] == "within noise").sum())
    return (f'<p class="meta">{len(rows)} target intervals verified on fresh seeds: '
            f"{missed} missed, {noise} within noise.</p>"
            + "".join(f"<h3>{escape(target)}</h3><table>{head}{''.join(body)}</table>"
                      for target, body in tables.items()))


def _figures(plan: StaffingPlan) -> str:
    out = figure_html(staffing_figure(plan), "Planned agents per group (stacked; hatched: "
                  "groups the plan does not decide, at their own staffing) against the "
                  "Erlang requirement (step line) and the offered load (dotted), per "
                  "interval; below, the same per channel/skill queue.")
    sl = service_level_figure(plan)
    if sl is None:
        return out + ('<p class="meta">No service-level figure: no channel has a '
                      "per-interval service-level target.</p>")
    return out + figure_html(sl, "Verified service level per interval and channel: mean "
                         "(marker by verdict) with its 95% confidence interval over "
                         f"{VERIFY_FACTOR * plan.replications} fresh replications; dashed: "
                         "the target. Empty intervals have no verdict (no contacts or "
                         "warm-up).")


def render_staffing_report(plan: StaffingPlan) -> str:
    """The report of a staffing plan as one HTML document (string); every name from the
    scenario (scenario, groups, channels, skills, notes) is escaped."""
    s = plan.scenario
    subtitle = (f"staffing plan by simulation: {plan.simulations} simulations of "
                f"{plan.replications} replications, verified on "
                f"{VERIFY_FACTOR * plan.replications} fresh ones")
    body = (f"{_cards(plan)}<h2>Plan</h2>{_summary(plan)}<h2>Figures</h2>{_figures(plan)}"
            f"<h2>Staffing per interval</h2>{_plan_table(plan)}"
            f"<h2>Verification</h2>{_verification_table(plan)}")
    return html_page("simcc staffing", s.name, subtitle, body, "Method", METHOD,
                     VERDICT_CSS)

