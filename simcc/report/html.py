"""A single self-contained HTML page for a run: scenario summary, KPI tables with
confidence intervals, figures (inline PNG) and the modelling assumptions. No network:
CSS and images are inline."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from simcc.experiment.compare import BASELINE, Comparison
from simcc.experiment.result import Result
from simcc.report.figures import (
    comparison_figure,
    intraday_figure,
    journey_figure,
    occupancy_heatmap,
    wait_cdf_figure,
)
from simcc.report.format import LABELS, describe_changes, fmt, signed
from simcc.report.page import escape, figure_html, html_page
from simcc.report.sample import RecordSample, record_sample
from simcc.report.tables import COMPARED, SCOPE_COLUMNS, overall_rows
from simcc.report.tables.outcomes import (
    OUTCOME_DOC,
    OUTCOME_KPIS,
    OUTCOME_NOTE,
    OUTCOME_TITLE,
    comparison_outcome_rows,
    outcome_cells,
    outcome_label,
)
from simcc.units import format_clock_exact

HEADLINE = ("service_level", "asa_s", "abandon_rate", "occupancy", "fcr", "handled")

ASSUMPTIONS = (
    "KPIs count contacts whose arrival falls after the warm-up; time-weighted KPIs "
    "(occupancy, staffing, cost) are measured over the same counted period.",
    "Service level = contacts answered within the channel threshold / offered "
    "(abandoned contacts count against it).",
    "Arrivals are non-homogeneous Poisson with piecewise-constant rates; each customer's "
    "random draws are common to all variants of the same seed.",
    "An agent of proficiency p handles a contact in base handle time / p and resolves it "
    "with probability resolution × p.",
    "Agents whose shift ends finish the contact in hand; after the horizon the center "
    "drains: every counted contact has an outcome.",
    "Confidence intervals: 95 % over independent replications, Student t; for "
    "proportions (rates, service level, FCR) an adjusted Wilson interval that stays "
    "within 0-100 %.",
)


def _overall_table(result: Result) -> str:
    body = [f'<tr><td>{escape(label)}</td><td>{escape(mean)}</td>'
            f'<td class="ci">{escape(ci)}</td></tr>' for label, mean, ci in overall_rows(result)]
    return ("<table><tr><th>KPI</th><th>mean</th><th>95% CI</th></tr>"
            + "".join(body) + "</table>")


def _scope_table(result: Result, scope: str) -> str:
    part = result.kpis[result.kpis["scope"] == scope]
    if part.empty:
        return ""
    means = part.pivot(index="key", columns="kpi", values="mean")
    lows = part.pivot(index="key", columns="kpi", values="ci_low")
    highs = part.pivot(index="key", columns="kpi", values="ci_high")
    columns = [k for k in SCOPE_COLUMNS[scope] if k in means.columns]
    head = "".join(f"<th>{escape(LABELS[k])}</th>" for k in columns)
    body = []
    for key in _in_scenario_order(result, scope, means.index):
        cells = []
        for kpi in columns:
            low, high = lows.loc[key, kpi], highs.loc[key, kpi]
            ci = (f'<br><span class="ci">{escape(fmt(kpi, low))} – {escape(fmt(kpi, high))}</span>'
                  if math.isfinite(low) else "")
            cells.append(f"<td>{escape(fmt(kpi, means.loc[key, kpi]))}{ci}</td>")
        body.append(f"<tr><td>{escape(key)}</td>{''.join(cells)}</tr>")
    return (f"<h3>by {escape(scope)}</h3><table><tr><th>{escape(scope)}</th>{head}</tr>"
            + "".join(body) + "</table>")


def _in_scenario_order(result: Result, scope: str, keys) -> list:
    """``keys`` in the order the scenario declares them (channels, segments, intents,
    agent groups), unknown ones last in their given order."""
    s = result.scenario
    declared = {"channel": s.channels, "segment": s.segments, "intent": s.intents,
                "group": s.agents}.get(scope, {})
    order = {str(name): i for i, name in enumerate(declared)}
    return sorted(keys, key=lambda key: order.get(str(key), len(order)))


def _names(names) -> str:
    """Escaped names joined by commas."""
    return ", ".join(escape(name) for name in names)


def _scenario_summary(result: Result) -> str:
    s = result.scenario
    h = s.horizon
    groups = []
    for name, group in s.agents.items():
        if group.count is not None:
            staff = f"{group.count} agents"
        elif group.shifts is not None:
            staff = ", ".join(f"{sh.count} × {format_clock_exact(sh.start)[:5]}–"
                              f"{format_clock_exact(sh.end)[:5]}" for sh in group.shifts)
        else:
            staff = f"staffing table (peak {max(group.staffing.counts)})"
        if group.shrinkage:
            staff += f", shrinkage {group.shrinkage:.0%}"
        skills = ", ".join(f"{escape(k)} {v:g}" for k, v in group.skills.items())
        groups.append(f"<li><b>{escape(name)}</b>: {escape(staff)}; skills {skills}; "
                      f"channels {_names(group.channels)}</li>")
    demand = "".join(f"<li>{escape(d.channel)}: {_volume(d)}; intents {_names(d.mix)}</li>"
                     for d in s.demand)
    days = f" ({h.length_s / 86400:g} days)" if h.length_s > 86400 else ""
    return (f"<ul><li>horizon {h.length_s / 3600:g} h{days} from "
            f"{format_clock_exact(h.start)[:5]}, warm-up {h.warmup / 3600:g} h, reporting "
            f"interval {h.interval / 60:g} min</li>"
            f"<li>routing policy <b>{escape(s.routing.policy)}</b></li></ul>"
            f"<h3>demand</h3><ul>{demand}</ul><h3>agents</h3><ul>{''.join(groups)}</ul>")


def _volume(demand) -> str:
    rate = demand.rate
    if demand.forecast is not None:
        forecast = demand.forecast
        source = f" ({escape(forecast.source)})" if forecast.source else ""
        return (f"forecast{source}: {len(forecast.volume):,} rows over "
                f"{forecast.days()} day(s), {rate.per_day:,.0f} contacts per day on average")
    if rate.per_day is not None:
        shape = f" spread by profile {escape(rate.profile)}" if rate.profile else ""
        return f"{rate.per_day:,.0f} per day{shape}"
    return f"{rate.mean_per_second * 3600:,.0f} per hour"


def _cards(result: Result) -> str:
    overall = result.kpis[result.kpis["scope"] == "overall"].set_index("kpi")["mean"]
    return '<div class="cards">' + "".join(
        f'<div class="card">{escape(LABELS[k])}<b>{escape(fmt(k, overall[k]))}</b></div>'
        for k in HEADLINE if k in overall.index) + "</div>"


def _page(title: str, subtitle: str, body: str) -> str:
    return html_page("simcc report", title, subtitle, body, "Assumptions", ASSUMPTIONS)


def _differences_table(comparison: Comparison) -> str:
    head = "".join(f"<th>{escape(name)}</th>" for name in comparison.variants)
    body = []
    for kpi in COMPARED:
        cells = [f"<td>{escape(fmt(kpi, comparison.results[BASELINE].kpi(kpi)))}</td>"]
        for name in comparison.variants:
            r = comparison.difference(name, kpi)
            if r is None:
                cells.append("<td>–</td>")
                continue
            ci = (f"[{signed(kpi, r.diff_ci_low)}, {signed(kpi, r.diff_ci_high)}]"
                  if math.isfinite(r.diff_ci_low) else "")
            cells.append(f"<td>{escape(fmt(kpi, r.variant_mean))}<br><span class=\"ci\">"
                         f"{escape(signed(kpi, r.diff_mean))} {escape(ci)}</span></td>")
        body.append(f"<tr><td>{escape(LABELS[kpi])}</td>{''.join(cells)}</tr>")
    return (f"<table><tr><th>KPI</th><th>{escape(BASELINE)}</th>{head}</tr>{''.join(body)}"
            "</table><p class=\"meta\">Variant mean, then the paired difference from the "
            "baseline with its 95% confidence interval (same customers in every run).</p>")


def _outcome_note() -> str:
    """The caption of an outcome table: it is a model, and where it is documented."""
    text = escape(OUTCOME_NOTE).replace(escape(OUTCOME_DOC),
                                        f"<code>{escape(OUTCOME_DOC)}</code>")
    return f'<p class="meta outcome-note">{text}</p>'


def _outcomes_section(result: Result) -> str:
    """The run's modelled outcome KPIs (overall and by segment, means with their 95%
    intervals) under the heading :data:`OUTCOME_TITLE`; empty without outcome KPIs."""
    rows = outcome_cells(result)
    if not rows:
        return ""
    head = "".join(f"<th>{escape(LABELS[kpi])}</th>" for kpi in OUTCOME_KPIS)
    body = "".join(
        f"<tr><td>{escape(key)}</td>" + "".join(
            f'<td>{escape(c.mean)}<br><span class="ci">{escape(c.ci)}</span></td>'
            for c in cells) + "</tr>" for key, cells in rows)
    return (f'<h2 id="outcomes">{escape(OUTCOME_TITLE)}</h2>{_outcome_note()}'
            f"<table><tr><th>segment</th>{head}</tr>{body}</table>")


def _comparison_outcomes(comparison: Comparison) -> str:
    """The outcome KPIs of a comparison, overall then by segment: baseline mean, each
    variant's mean with its paired difference and 95% interval; empty without them."""
    rows = comparison_outcome_rows(comparison)
    if not rows:
        return ""
    head = "".join(f"<th>{escape(name)}</th>" for name in comparison.variants)
    body = []
    for kpi, key, baseline, differences in rows:
        cells = "".join(
            "<td>–</td>" if d is None else
            f'<td>{escape(d.mean)}<br><span class="ci">{escape(d.diff)} {escape(d.ci)}'
            "</span></td>" for d in differences)
        body.append(f"<tr><td>{escape(outcome_label(kpi, key))}</td>"
                    f"<td>{escape(baseline)}</td>{cells}</tr>")
    return (f'<h2 id="outcomes">{escape(OUTCOME_TITLE)}</h2>{_outcome_note()}'
            f"<table><tr><th>KPI</th><th>{escape(BASELINE)}</th>{head}</tr>{''.join(body)}"
            "</table><p class=\"meta\">Variant mean, then the paired difference from the "
            "baseline with its 95% confidence interval (same customers in every run).</p>")


def render_comparison_report(comparison: Comparison) -> str:
    """The report of a comparison (baseline and variants) as one HTML document; every
    name from the scenario is escaped."""
    base = comparison.results[BASELINE]
    variants = "".join(
        f"<li><b>{escape(name)}</b>: {escape(describe_changes(comparison.overrides[name]))}</li>"
        for name in comparison.variants)
    body = (f"<h2>Variants</h2><ul>{variants}</ul><h2>Baseline scenario</h2>"
            f"{_scenario_summary(base)}<h2>Differences</h2>{_differences_table(comparison)}"
            + (figure_html(comparison_figure(comparison.differences),
                       "Paired differences from the baseline with 95% CIs.")
               if comparison.variants else "")
            + _comparison_outcomes(comparison))
    return _page(base.scenario.name, f"{base.replications} replications per run on common "
                 f"random numbers, seed {base.seed}", body)


TOTALS_NOTE = ("Drawn from the run's accumulated totals (every counted contact, the same "
               "numbers as the interval table), whatever records were kept.")


def _serving(result: Result) -> str:
    """``voice: generalists, lending; chat: chat_team`` (the groups serving each channel)."""
    agents = result.scenario.agents
    return "; ".join(f"{name}: " + (", ".join(g for g, spec in agents.items()
                                              if name in spec.channels) or "no group")
                     for name in result.scenario.channels)


def totals_figures(result: Result) -> list[tuple[Figure, str]]:
    """The figures drawn from the run's totals (``result.intervals``), with captions."""
    s = result.scenario
    out = []
    if len(s.channels) > 1:
        out.append((intraday_figure(result), "Offered contacts per interval stacked by "
                    "channel, and each channel's service level against its own target "
                    "(dashed). " + TOTALS_NOTE))
    for name in s.channels:
        out.append((intraday_figure(result, name), f"{name}: offered contacts, staffed "
                    "agents of the groups serving the channel, and service level per "
                    "interval. " + TOTALS_NOTE))
    out.append((occupancy_heatmap(result), "Occupancy (busy / logged-in time) per interval "
                f"of the agents serving each channel ({_serving(result)}); a conversation "
                "on a channel of concurrency c counts 1/c. " + TOTALS_NOTE))
    return out


def sample_figures(result: Result, sample: RecordSample) -> list[tuple[Figure, str]]:
    """The figures that need per-contact records, drawn from ``sample`` and labelled
    with it (title and caption)."""
    s = result.scenario
    channels = pd.Categorical(sample.contacts["channel"], categories=list(s.channels))
    groups = pd.Categorical(sample.legs["group"], categories=list(s.agents))
    contacts = sample.contacts.assign(channel=channels)
    legs = sample.legs.assign(group=groups)
    note = sample.describe()
    caption = (f" Drawn from a {note}; the KPI tables count every contact, so shares here "
               "differ from them by sampling error.")
    out = []
    if not contacts.empty:
        out.append((wait_cdf_figure(result, contacts, note), "Waiting time of answered "
                    "contacts, one panel per channel on its own time axis; dashed: the "
                    "channel's service-level threshold." + caption))
        if _has_journeys(contacts, legs):
            out.append((journey_figure(contacts, legs, note), "How issues move across "
                        "channels (repeat contacts) and agent groups (transfers)." + caption))
    return out


def _has_journeys(contacts: pd.DataFrame, legs: pd.DataFrame) -> bool:
    """Whether the sample has a repeat contact or a transfer (else the journey figure
    would be one cell of first contacts)."""
    repeats = contacts.duplicated(["replication", "issue_id"]).any()
    transfers = legs.duplicated(["replication", "contact_id"]).any()
    return bool(repeats or transfers)


def render_report(result: Result, records: Path | None = None) -> str:
    """The report of ``result`` as one HTML document (string); every name from the
    scenario is escaped.

    The intraday and occupancy figures come from the run's totals; the wait and journey
    figures from a fixed sample of the records (:mod:`simcc.report.sample`), taken from
    the records in memory or, when there are none, from the Parquet files in
    ``records`` (``OUT/records``): the page is the same whatever records were kept.
    Without any records the page says that those two figures need them.
    """
    s = result.scenario
    sample = record_sample(result, records)
    drawn = totals_figures(result)
    if sample is not None:
        drawn += sample_figures(result, sample)
    figures = "".join(figure_html(fig, caption) for fig, caption in drawn)
    if sample is not None and not _has_journeys(sample.contacts, sample.legs):
        figures += ("<p class=\"meta\">No journey figure: the record sample has no repeat "
                    "contact and no transfer.</p>")
    if sample is None:
        figures += ("<p class=\"meta\">The wait-time and journey figures need per-contact "
                    "records, and this run kept none (simulate with records='sample' or "
                    "'all'; <code>simcc run --report</code> always keeps a sample).</p>")
    scopes = "".join(_scope_table(result, scope) for scope in ("channel", "segment", "intent",
                                                                 "group"))
    body = (f"{_cards(result)}<h2>Scenario</h2>{_scenario_summary(result)}"
            f"<h2>KPIs</h2>{_overall_table(result)}{scopes}{_outcomes_section(result)}"
            f"<h2>Figures</h2>{figures}")
    return _page(s.name, f"{s.description} — {result.replications} replications, seed "
                 f"{result.seed}", body)
