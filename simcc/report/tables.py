"""Readable KPI tables (rich) built from a :class:`Result`; no computation here."""

from __future__ import annotations

import math

from rich.markup import escape
from rich.table import Table
from rich.text import Text

from simcc.catalogue import CATALOGUE, KPI, keys
from simcc.experiment.result import Result


def _table_label(entry: KPI) -> str:
    """Label of a KPI row or column: durations carry "(s)"; rates show "%" in the cells."""
    return entry.axis_label if entry.kind == "seconds" else entry.label


PERCENT = set(keys(kind="rate"))
COUNTS = set(keys(kind="count"))
RATIOS = set(keys(kind="ratio"))
LABELS = {entry.key: _table_label(entry) for entry in CATALOGUE}
"""KPI key -> table label, in catalogue order (the order of the overall table)."""
JOURNEY_ROWS = set(keys(family="journey"))
ISSUE_ROWS = set(keys(family="issue")) | set(keys(family="cost"))
SCOPE_COLUMNS = {
    "channel": ("offered", "handled", "abandon_rate", "service_level", "asa_s", "aht_s"),
    "segment": ("offered", "abandon_rate", "service_level", "asa_s", "fcr"),
    "intent": ("offered", "abandon_rate", "service_level", "asa_s", "aht_s", "fcr"),
    "group": ("handled", "occupancy", "staffed_agents", "asa_s", "aht_s", "cost"),
}


def fmt(kpi: str, value: float) -> str:
    """Format one KPI value for people (percentages, counts, seconds)."""
    if value is None or not math.isfinite(value):
        return "–"
    if kpi in PERCENT:
        return f"{100 * value:.1f}%"
    if kpi in COUNTS:
        return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"
    if kpi in RATIOS:
        return f"{value:.3f}"
    return f"{value:,.1f}" if abs(value) < 1e5 else f"{value:,.0f}"


def overall_rows(result: Result) -> list[tuple[str, str, str]]:
    """(label, mean, 95% CI) texts of the overall KPIs, in the order of LABELS."""
    overall = result.kpis[result.kpis["scope"] == "overall"].set_index("kpi")
    rows = []
    several = overall["mean"].get("contacts_per_issue", 1.0) > 1.0
    for kpi, label in LABELS.items():
        if kpi not in overall.index or (kpi in ISSUE_ROWS and not several):
            continue
        row = overall.loc[kpi]
        if kpi in JOURNEY_ROWS and not (math.isfinite(row["mean"]) and row["mean"] > 0):
            continue
        ci = ("–" if not math.isfinite(row["ci_low"])
              else f"{fmt(kpi, row['ci_low'])} – {fmt(kpi, row['ci_high'])}")
        rows.append((label, fmt(kpi, row["mean"]), ci))
    return rows


def overall_table(result: Result) -> Table:
    """Overall KPIs: mean and 95% confidence interval over replications."""
    table = Table(title=f"{result.scenario.name}: {result.replications} replications, "
                        f"seed {result.seed}", title_justify="left")
    table.add_column("KPI")
    table.add_column("mean", justify="right")
    table.add_column("95% CI", justify="right")
    for row in overall_rows(result):
        table.add_row(*row)
    return table


def issue_table(result: Result) -> Table | None:
    """Issue KPIs by the channel of the issue's first contact (None when every issue has
    a single contact: the contact tables say it all)."""
    part = result.kpis[(result.kpis["scope"] == "channel")
                       & result.kpis["kpi"].isin(["fcr", *ISSUE_ROWS])]
    overall = result.kpis[(result.kpis["scope"] == "overall")
                          & (result.kpis["kpi"] == "contacts_per_issue")]["mean"]
    if part.empty or overall.empty or not overall.iloc[0] > 1.0:
        return None
    wide = part.pivot(index="key", columns="kpi", values="mean")
    columns = [k for k in ("issues", "fcr", "resolution_rate", "contacts_per_issue",
                           "channels_per_issue", "time_to_resolution_s") if k in wide.columns]
    table = Table(title="issues by first channel", title_justify="left")
    table.add_column("channel", no_wrap=True)
    for kpi in columns:
        table.add_column(LABELS[kpi], justify="right")
    for key, row in wide.iterrows():
        table.add_row(str(key), *(fmt(kpi, row[kpi]) for kpi in columns))
    return table


def scope_table(result: Result, scope: str) -> Table | None:
    """KPI means by channel, segment, intent or agent group (None when empty)."""
    part = result.kpis[result.kpis["scope"] == scope]
    if part.empty:
        return None
    wide = part.pivot(index="key", columns="kpi", values="mean")
    table = Table(title=f"by {scope}", title_justify="left")
    table.add_column(scope, no_wrap=True)
    columns = [k for k in SCOPE_COLUMNS[scope] if k in wide.columns]
    for kpi in columns:
        table.add_column(LABELS[kpi], justify="right")
    for key, row in wide.iterrows():
        table.add_row(str(key), *(fmt(kpi, row[kpi]) for kpi in columns))
    return table


BACKTEST_COLUMNS = (("offered_per_day", "offered/day"), ("abandon_rate", "abandon"),
                    ("asa_s", "ASA (s)"), ("service_level", "SL"))


def backtest_table(table) -> Table:
    """Observed vs simulated by hour, with relative errors of the overall row."""
    out = Table(title="backtest: observed / simulated (relative error)", title_justify="left")
    out.add_column("hour", no_wrap=True)
    for _, label in BACKTEST_COLUMNS:
        out.add_column(label, justify="right")
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


COMPARED = ("service_level", "asa_s", "abandon_rate", "occupancy", "fcr", "transfer_rate",
            "repeat_rate", "cost", "cost_per_resolved_issue")


def comparison_table(comparison) -> Table:
    """Baseline and variants side by side; for variants the paired difference with its
    95% CI (``*`` when the interval excludes 0)."""
    base = comparison.results["baseline"]
    table = Table(title=f"{base.scenario.name}: variants vs baseline, {base.replications} "
                        f"replications on common random numbers", title_justify="left",
                  caption=Text(COMPARE_NOTE), caption_justify="left")
    table.add_column("KPI", no_wrap=True)
    table.add_column("baseline", justify="right")
    for name in comparison.variants:
        table.add_column(name, justify="right")
    for kpi in COMPARED:
        cells = [fmt(kpi, base.kpi(kpi))]
        for name in comparison.variants:
            r = comparison.difference(name, kpi)
            if r is None:
                cells.append("–")
                continue
            significant = math.isfinite(r.diff_ci_low) and (r.diff_ci_low > 0 or
                                                            r.diff_ci_high < 0)
            cells.append(f"{fmt(kpi, r.variant_mean)} ({signed(kpi, r.diff_mean)}"
                         f"{'*' if significant else ''})")
        table.add_row(LABELS[kpi], *cells)
    return table


SWEPT = ("service_level", "asa_s", "abandon_rate", "occupancy", "fcr", "cost")


def sweep_table(result) -> Table:
    """One row per sweep point: its grid values, then the means of the :data:`SWEPT`
    KPIs (95% intervals are in ``result.table``)."""
    kpis = [kpi for kpi in SWEPT if kpi in set(result.table["kpi"])]
    wide = result.wide(kpis)
    table = Table(title=f"{result.scenario.name}: sweep of {len(result.points)} points, "
                        f"{result.replications} replications each on common random numbers "
                        f"(seed {result.seed})", title_justify="left")
    for path in result.grid:
        table.add_column(path, no_wrap=True)
    for kpi in kpis:
        table.add_column(LABELS[kpi], justify="right")
    for values, row in zip(result.points, wide.to_dict("records"), strict=True):
        table.add_row(*(escape(str(value)) for value in values.values()),
                      *(fmt(kpi, row[kpi]) for kpi in kpis))
    return table


VERDICT_STYLE = {"regressed": "bold red", "improved": "green", "ok": "", "info": "dim",
                 "ignored": "dim"}


CHECK_NOTE = ("delta: now - baseline, paired over replications (pp = percentage points); "
              "[low, high]: its simultaneous 95% interval over all judged KPIs, shown for "
              "regressed and improved KPIs")
COMPARE_NOTE = ("(difference from the baseline; pp = percentage points; * = its 95% "
                "interval excludes 0)")


def check_table(result) -> Table:
    """KPI, baseline, now, delta and verdict for every judged KPI of every run (KPIs
    without a direction are in the JSON output only); a caption explains the delta."""
    table = Table(title=f"{result.scenario}: check against the baseline", title_justify="left",
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
        table.add_row(escape(row.run), LABELS.get(row.kpi, row.kpi), fmt(row.kpi, row.baseline),
                      fmt(row.kpi, row.now), delta,
                      f"[{style}]{row.verdict}[/]" if style else row.verdict)
    for row in (result.limits.itertuples() if not result.limits.empty else []):
        verdict = "[green]ok[/]" if row.passed else "[bold red]violated[/]"
        table.add_row(escape(row.run), f"limit {escape(row.limit)}", "",
                      fmt(row.limit.split()[0], row.value), "", verdict)
    return table


def signed(kpi: str, value: float) -> str:
    """A difference for people, rounded to the KPI's display unit: percentage points
    (2 decimals) for rates, 3 decimals for ratios, 1 decimal otherwise (seconds, counts,
    money); a difference that rounds to zero is ``0`` (never ``+1.15e-15``)."""
    if not math.isfinite(value):
        return "–"
    if kpi in PERCENT:
        points = round(100 * value, 2)
        return "0 pp" if points == 0 else f"{points:+.2f} pp"
    decimals = 3 if kpi in RATIOS else 1
    rounded = round(value, decimals)
    return "0" if rounded == 0 else f"{rounded:+,.{decimals}f}"
