"""Readable KPI tables (rich) built from a :class:`Result`; no computation here.

Every value is formatted by :func:`fmt` from its catalogue kind: rates in %, durations
with a unit chosen by magnitude (:func:`fmt_duration`), money with the scenario's
currency. Service levels are shown with their target (``80% in 30 s``) and flagged
with :data:`MISSED` when the mean is below it.
"""

from __future__ import annotations

import math
import textwrap

import yaml
from rich import box
from rich.table import Table
from rich.text import Text

from simcc.catalogue import CATALOGUE, KPIS, keys
from simcc.experiment.result import Result
from simcc.report.terminal import markup_safe
from simcc.scenario.schema import Scenario
from simcc.units import DAY, HOUR, MINUTE

PERCENT = set(keys(kind="rate"))
COUNTS = set(keys(kind="count"))
RATIOS = set(keys(kind="ratio"))
LABELS = {entry.key: entry.label for entry in CATALOGUE}
"""KPI key -> table label, in catalogue order (the order of the overall table). Units
are in the cells (``8.3 s``, ``5.6 h``, ``72.1%``, ``12,345 EUR``), not in the labels."""
JOURNEY_ROWS = set(keys(family="journey"))
ISSUE_ROWS = set(keys(family="issue")) | set(keys(family="cost"))
SCOPE_COLUMNS = {
    "channel": ("offered", "handled", "abandon_rate", "service_level", "asa_s", "aht_s"),
    "segment": ("offered", "abandon_rate", "service_level", "asa_s", "fcr"),
    "intent": ("offered", "abandon_rate", "service_level", "asa_s", "aht_s", "fcr"),
    "group": ("handled", "occupancy", "staffed_agents", "asa_s", "aht_s", "cost"),
}
MISSED = "✗"
"""Marker after a service level below its target (a sign, not only a colour)."""
MISSED_NOTE = f"{MISSED} service level below the channel's target"
DURATION_UNITS = ((10 * MINUTE, "s", 1.0), (2 * HOUR, "min", MINUTE), (2 * DAY, "h", HOUR),
                  (math.inf, "d", DAY))
"""(below this many seconds, unit, seconds per unit): how durations are shown."""


def duration_unit(seconds: float) -> tuple[str, float]:
    """The unit a duration reads best in, and its length in seconds: seconds below
    10 minutes, minutes below 2 hours, hours below 2 days, days beyond."""
    for below, unit, size in DURATION_UNITS:
        if abs(seconds) < below:
            return unit, size
    raise AssertionError("unreachable: the last unit has no bound")


def _number(value: float) -> str:
    """One decimal below 100, whole numbers with thousands separators above."""
    return f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"


def fmt_duration(seconds: float, unit: str | None = None) -> str:
    """A duration for people with its unit: ``8.3 s``, ``508 s``, ``12.4 min``,
    ``5.6 h``, ``3.2 d`` (unit by magnitude, see :func:`duration_unit`, unless given)."""
    if seconds is None or not math.isfinite(seconds):
        return "–"
    size = dict((u, s) for _, u, s in DURATION_UNITS)[unit] if unit else None
    if size is None:
        unit, size = duration_unit(seconds)
    return f"{_number(seconds / size)} {unit}"


def fmt_span(seconds: float) -> str:
    """A setting's duration, exact and short: ``30 s``, ``2 min``, ``24 h``, ``1 h 30 min``."""
    whole = int(round(seconds))
    if whole < MINUTE or whole % MINUTE:
        return f"{seconds:g} s"
    hours, minutes = divmod(whole // 60, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h" + (f" {minutes} min" if minutes else "")


def fmt_money(value: float, currency: str | None = None) -> str:
    """An amount: cents below 100, whole units above; the currency after it if any."""
    if value is None or not math.isfinite(value):
        return "–"
    text = f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    return f"{text} {currency}" if currency else text


def fmt(kpi: str, value: float, currency: str | None = None) -> str:
    """Format one KPI value for people from its catalogue kind: rates in %, counts,
    ratios, durations with a unit, money (with ``currency``), agents."""
    if value is None or not math.isfinite(value):
        return "–"
    kind = KPIS[kpi].kind if kpi in KPIS else None
    if kind == "rate":
        return f"{100 * value:.1f}%"
    if kind == "count":
        return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"
    if kind == "ratio":
        return f"{value:.3f}"
    if kind == "seconds":
        return fmt_duration(value)
    if kind == "money":
        return fmt_money(value, currency)
    return f"{value:,.1f}" if abs(value) < 1e5 else f"{value:,.0f}"


def fmt_range(kpi: str, low: float, high: float, mean: float,
              currency: str | None = None) -> str:
    """A 95% interval: durations in the unit of the mean, the unit once (``0.5 – 16.0 s``)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return "–"
    if kpi in KPIS and KPIS[kpi].kind == "seconds":
        unit, size = duration_unit(mean if math.isfinite(mean) else high)
        return f"{_number(low / size)} – {_number(high / size)} {unit}"
    if kpi in KPIS and KPIS[kpi].kind == "money":
        return f"{fmt_money(low)} – {fmt_money(high, currency)}"
    return f"{fmt(kpi, low)} – {fmt(kpi, high)}"


def sl_target(scenario: Scenario, channel: str) -> str:
    """A channel's service-level goal as planners say it: ``80% in 30 s``."""
    goal = scenario.channels[channel].service_level
    return f"{100 * goal.target:g}% in {fmt_span(goal.threshold)}"


def fmt_service_level(value: float, target: float) -> str:
    """A service level, followed by :data:`MISSED` when below ``target``."""
    text = fmt("service_level", value)
    return f"{text} {MISSED}" if math.isfinite(value) and value < target else text


def counted_period(scenario: Scenario) -> str:
    """What a run's totals (agent cost) cover: ``per day``, ``over 3 days`` or
    ``over 11 h 30 min`` (the counted period, horizon minus warm-up)."""
    counted = scenario.horizon.length_s - scenario.horizon.warmup
    days = counted / DAY
    if math.isclose(days, 1.0):
        return "per day"
    if math.isclose(days, round(days)):
        return f"over {round(days)} days"
    return f"over {fmt_span(counted)}"


def label(kpi: str, scenario: Scenario) -> str:
    """The label of a KPI in the tables of ``scenario``: agent cost names its period."""
    text = LABELS.get(kpi, kpi)
    return f"{text} ({counted_period(scenario)})" if kpi == "cost" else text


def _header(text: str) -> str:
    """A column header on lines of at most 10 characters, so that value columns need
    not wrap (``agents\nstaffed``)."""
    return "\n".join(textwrap.wrap(text, 10, break_long_words=False)) or text


def _single_target(scenario: Scenario) -> float | None:
    """The service-level target of a one-channel scenario (None with several)."""
    if len(scenario.channels) != 1:
        return None
    return next(iter(scenario.channels.values())).service_level.target


def overall_rows(result: Result) -> list[tuple[str, str, str]]:
    """(label, mean, 95% CI) texts of the overall KPIs, in the order of LABELS."""
    overall = result.kpis[result.kpis["scope"] == "overall"].set_index("kpi")
    scenario, currency = result.scenario, result.scenario.currency
    target = _single_target(scenario)
    rows = []
    several = overall["mean"].get("contacts_per_issue", 1.0) > 1.0
    for kpi in LABELS:
        if kpi not in overall.index or (kpi in ISSUE_ROWS and not several):
            continue
        row = overall.loc[kpi]
        if kpi in JOURNEY_ROWS and not (math.isfinite(row["mean"]) and row["mean"] > 0):
            continue
        name, mean = label(kpi, scenario), fmt(kpi, row["mean"], currency)
        if kpi == "service_level" and target is not None:
            name = f"{name} ({sl_target(scenario, next(iter(scenario.channels)))})"
            mean = fmt_service_level(row["mean"], target)
        rows.append((name, mean,
                     fmt_range(kpi, row["ci_low"], row["ci_high"], row["mean"], currency)))
    return rows


def overall_table(result: Result) -> Table:
    """Overall KPIs: mean and 95% confidence interval over replications."""
    table = Table(title=markup_safe(f"{result.scenario.name}: {result.replications} "
                                    f"replications, seed {result.seed}"),
                  title_justify="left", caption_justify="left")
    table.add_column("KPI")
    table.add_column("mean", justify="right")
    table.add_column("95% CI", justify="right")
    rows = overall_rows(result)
    for row in rows:
        table.add_row(*(markup_safe(cell) for cell in row))
    if any(mean.endswith(MISSED) for _, mean, _ in rows):
        table.caption = MISSED_NOTE
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
        table.add_row(markup_safe(str(key)), *(fmt(kpi, row[kpi]) for kpi in columns))
    return table


def scope_table(result: Result, scope: str) -> Table | None:
    """KPI means by channel, segment, intent or agent group (None when empty). The
    channel table adds each channel's service-level target and flags misses."""
    part = result.kpis[result.kpis["scope"] == scope]
    if part.empty:
        return None
    wide = part.pivot(index="key", columns="kpi", values="mean")
    table = Table(title=f"by {scope}", title_justify="left", caption_justify="left")
    table.add_column(scope, no_wrap=True)
    columns = [k for k in SCOPE_COLUMNS[scope] if k in wide.columns]
    by_channel = scope == "channel"
    for kpi in columns:
        table.add_column(_header(label(kpi, result.scenario)), justify="right", no_wrap=True)
        if by_channel and kpi == "service_level":
            table.add_column("SL target", justify="right")
    missed = False
    for key, row in wide.iterrows():
        cells = [markup_safe(str(key))]
        for kpi in columns:
            if by_channel and kpi == "service_level":
                goal = result.scenario.channels[key].service_level
                cells.append(fmt_service_level(row[kpi], goal.target))
                cells.append(sl_target(result.scenario, key))
                missed |= cells[-2].endswith(MISSED)
            else:
                cells.append(fmt(kpi, row[kpi], result.scenario.currency))
        table.add_row(*cells)
    if missed:
        table.caption = MISSED_NOTE
    return table


BACKTEST_COLUMNS = (("offered_per_day", "offered/day"), ("abandon_rate", "abandon"),
                    ("asa_s", "ASA"), ("service_level", "SL"))


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
COMPARISON_NOTE = ("Variant mean (paired difference from the baseline, same customers in "
                   "every run); * 95% CI of the difference excludes 0; pp = percentage points.")
"""Footnote printed under the comparison table."""


def fmt_value(value) -> str:
    """A scenario value as written in YAML flow style: ``102``, ``null``, ``08:00``,
    ``{default: 0.92, tech: 0.9}``, ``[{start: 08:00, count: 33}]``."""
    if isinstance(value, str):
        return value
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10**6)
    return text.strip().removesuffix("...").strip()


def _chains(overrides: dict, prefix: str = "") -> list[tuple[str, object]]:
    """(path, value) pairs: a mapping with a single key joins its parent's path
    (``{agents: {team: {count: 102}}}`` -> ``agents.team.count``); a mapping of several
    keys is a value (a new agent group stays one ``agents.tech={...}``)."""
    pairs: list[tuple[str, object]] = []
    for key, value in overrides.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and len(value) == 1:
            pairs.extend(_chains(value, path))
        else:
            pairs.append((path, value))
    return pairs


def describe_changes(overrides: dict) -> str:
    """A variant's changes as ``path=value`` pairs in YAML flow style:
    ``agents.team.count=102, routing.policy=fifo``; ``no changes`` when empty."""
    return ", ".join(f"{path}={fmt_value(value)}" for path, value in _chains(overrides)) \
        or "no changes"


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
    changes = [f"{name}: {describe_changes(comparison.overrides[name])}"
               for name in comparison.variants]
    table.caption = markup_safe("\n".join([*changes, COMPARISON_NOTE]))
    return table


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


INTERVAL_KPIS = ("offered", "handled", "abandon_rate", "service_level", "asa_s",
                 "staffed_agents", "occupancy")
"""Columns of :func:`interval_table` after the interval's day, clock and channel."""


def interval_rows(result: Result, channel: str | None = None):
    """The result's per-interval table with an ``abandon_rate`` column and a ``day``
    (1 = the horizon's first day), restricted to ``channel`` when given, without the
    rows of a closed and unstaffed channel (nothing offered, nobody logged in)."""
    rows = result.intervals.copy()
    if channel is not None:
        rows = rows[rows["channel"] == channel]
    offered = rows["offered"].to_numpy(dtype=float)
    rows["abandon_rate"] = [a / o if o > 0 else math.nan
                            for a, o in zip(rows["abandoned"], offered, strict=True)]
    start = result.scenario.horizon.start
    rows["day"] = [int((start + s) // DAY) + 1 for s in rows["start_s"]]
    active = (offered > 0) | (rows["staffed_agents"].fillna(0).to_numpy() > 0)
    return rows[active]


def interval_table(result: Result, channel: str | None = None) -> Table:
    """KPIs per reporting interval and channel (means over replications), flagging
    intervals whose service level is below the channel's target: the overall service
    level averages a morning peak away."""
    scenario = result.scenario
    rows = interval_rows(result, channel)
    several_days = rows["day"].nunique() > 1
    one = channel or (next(iter(scenario.channels)) if len(scenario.channels) == 1 else None)
    table = Table(title=markup_safe(f"{scenario.name}: {one + ' ' if one else ''}per "
                                    f"{fmt_span(scenario.horizon.interval)} interval, means "
                                    f"of {result.replications} replications"),
                  title_justify="left", caption_justify="left", box=box.SIMPLE_HEAD)
    for name in ["day"] * several_days + ["from"] + ["channel"] * (one is None):
        table.add_column(name, no_wrap=True)
    for kpi in INTERVAL_KPIS:
        table.add_column(_header(LABELS[kpi]), justify="right", no_wrap=True)
    missed = 0
    for row in rows.to_dict("records"):
        target = scenario.channels[row["channel"]].service_level.target
        sl = fmt_service_level(row["service_level"], target)
        missed += sl.endswith(MISSED)
        cells = [fmt(kpi, row[kpi]) if kpi != "service_level" else sl for kpi in INTERVAL_KPIS]
        table.add_row(*[str(row["day"])] * several_days, markup_safe(row["clock"]),
                      *[markup_safe(row["channel"])] * (one is None), *cells)
    targets = ", ".join(f"{name} {sl_target(scenario, name)}" for name in scenario.channels
                        if channel in (None, name))
    table.caption = markup_safe(
        f"{MISSED} service level below the channel's target ({targets}): {missed} of "
        f"{len(rows)} intervals. Contacts by interval of arrival; agents staffed and "
        "occupancy of the groups serving the channel.")
    return table
