"""Figures of a staffing plan (``simcc staff``, :class:`~simcc.planning.StaffingPlan`):
agents against demand per interval, and the verified service level per interval.

The x axis is the plan's interval grid (one day from ``plan.start_clock``, labelled
with clock times: :func:`~simcc.report.figures.timeaxis.clock_axis`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.axes import Axes
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from simcc.planning.grid import fixed_agents, plan_grid
from simcc.planning.staff import VERIFY_FACTOR
from simcc.report.figures.style import (
    COLORS,
    bar_style,
    new_figure,
    panel_grid,
    plain,
    series_color,
    style_axes,
    suptitle,
)
from simcc.report.figures.timeaxis import clock_axis, duration_label

if TYPE_CHECKING:
    from simcc.planning import StaffingPlan

VERDICT_STYLES = {"met": ("o", "tab:blue"), "within noise": ("D", "tab:orange"),
                  "missed": ("X", "tab:red")}
"""Marker and color of a verified service level by verdict (the shape tells them apart
without color)."""
FIXED_HATCH = "//"
"""Hatching of the groups the plan does not decide (their own staffing, counted as
capacity)."""


def interval_count(plan: StaffingPlan) -> int:
    """Intervals of the plan's grid (one day, or the whole horizon when shorter)."""
    return len(next(iter(plan.groups.values()), [])) or len(
        next(iter(plan.requirement.values()), []))


def interval_starts(plan: StaffingPlan) -> np.ndarray:
    """Start of each interval of the plan, seconds after midnight (may pass 24 h when
    the grid crosses midnight; shown as the time of day)."""
    return plan.start_clock + np.arange(interval_count(plan)) * plan.interval_s


def fixed_groups(plan: StaffingPlan) -> dict[str, np.ndarray]:
    """Mean agents logged in per interval of each group the plan does not decide
    (those outside ``staffable``), under their own count, shifts or staffing table;
    scenario order, groups serving nobody on the grid (all zero) left out."""
    scenario = plan.scenario
    grid = plan_grid(scenario)
    out = {}
    for name in scenario.agents:
        if name not in plan.groups:
            agents = fixed_agents(scenario, grid, name)
            if plan.dates:  # a calendar plan: the same day on every date
                agents = np.tile(agents, len(plan.dates))[:interval_count(plan)]
            if np.any(agents > 0):
                out[name] = agents
    return out


def queue_loads(plan: StaffingPlan) -> dict[str, np.ndarray]:
    """Offered load per interval of each ``channel/skill`` queue of
    ``plan.requirement``, Erlangs (arrival rate x mean handle time at full
    proficiency: :class:`~simcc.planning.grid.Need`)."""
    if plan.dates:  # a calendar plan: each date's own loads
        loads = {queue: np.asarray(v, dtype=float) for queue, v in plan.loads.items()}
    else:
        loads = {f"{n.channel}/{n.skill}": n.load for n in plan_grid(plan.scenario).needs}
    return {queue: loads.get(queue, np.zeros(interval_count(plan)))
            for queue in plan.requirement}


def staffing_figure(plan: StaffingPlan) -> Figure:
    """Staffing against demand per interval of the plan.

    Top panel: the planned agents of each decided group stacked (one bar container per
    group in ``plan.groups`` order, bar heights = ``plan.groups[group]``), then the
    groups the plan does not decide, hatched (mean agents logged in under their own
    staffing, :func:`fixed_groups`); the step line is the total Erlang requirement
    (sum over queues of ``plan.requirement``: the analytic agents at full proficiency
    that meet each queue's targets alone) and the dotted line the total offered load
    (Erlangs). Bottom panel: per queue (``channel/skill``), the Erlang requirement
    (solid, ydata = ``plan.requirement[queue]``) and its offered load (dotted, same
    color).

    Returns
    -------
    Figure
        Two axes: the agents (bar containers labelled with the group names, then two
        lines labelled ``Erlang requirement`` and ``offered load``) and the queues
        (per queue a line labelled ``QUEUE requirement``, then ``QUEUE load``).
    """
    n = interval_count(plan)
    x = np.arange(n)
    fig, (top, bottom) = new_figure(2, 1, height=7.0, sharex=True, height_ratios=(3, 2))
    below = np.zeros(n)
    colors = (series_color(i) for i in range(len(plan.scenario.agents)))
    bars = bar_style(n)
    for name, counts in plan.groups.items():
        values = np.asarray(counts, dtype=float)
        top.bar(x, values, bottom=below, color=next(colors), label=plain(name), **bars)
        below = below + values
    for name, agents in fixed_groups(plan).items():
        top.bar(x, agents, bottom=below, color=next(colors), alpha=0.55,
                hatch=FIXED_HATCH, label=f"{plain(name)} (not planned)", **bars)
        below = below + agents
    requirement = np.sum([np.asarray(v, dtype=float) for v in plan.requirement.values()],
                         axis=0) if plan.requirement else np.zeros(n)
    loads = queue_loads(plan)
    load = np.sum(list(loads.values()), axis=0) if loads else np.zeros(n)
    top.step(x, requirement, where="mid", color="black", lw=1.6,
             label="Erlang requirement")
    top.plot(x, load, ":", color="0.25", lw=1.6, label="offered load")
    top.set_ylim(0, max(float(np.max(below, initial=0)), float(np.max(requirement, initial=0)),
                        float(np.max(load, initial=0))) * 1.15 or 1.0)
    top.set_ylabel("agents")
    handles, labels = top.get_legend_handles_labels()
    order = sorted(range(len(handles)), key=lambda i: not isinstance(handles[i], BarContainer))
    top.legend([handles[i] for i in order], [labels[i] for i in order], loc="lower left",
               bbox_to_anchor=(0.0, 1.0), frameon=False, ncols=min(6, len(handles)),
               borderaxespad=0.1)  # bars first, then the lines; above the axes
    style_axes(top, grid="y")
    _queue_panel(bottom, plan, loads, x)
    clock_axis(bottom, interval_starts(plan), dates=plan.dates)
    state = "feasible" if plan.feasible else "INFEASIBLE (best plan found)"
    suptitle(fig, f"{plain(plan.scenario.name)}: planned agents against demand per "
                  f"interval ({state})")
    return fig


def _queue_panel(ax: Axes, plan: StaffingPlan, loads: dict[str, np.ndarray],
                 x: np.ndarray) -> None:
    """Per queue: Erlang requirement (solid) and offered load (dotted), same color."""
    for i, (queue, counts) in enumerate(plan.requirement.items()):
        color = series_color(i)
        ax.plot(x, np.asarray(counts, dtype=float), _marker(x), ms=3, color=color,
                label=f"{plain(queue)} requirement")
        ax.plot(x, loads[queue], ":", color=color, label=f"{plain(queue)} load")
    ax.set_ylabel("agents / Erlangs per queue")
    top = max([float(np.max(v, initial=0)) for v in plan.requirement.values()], default=0)
    ax.set_ylim(0, top * 1.35 or 1.0)  # room for the legend above the lines
    ax.set_title("per channel/skill queue: Erlang requirement (solid) and offered load "
                 "in Erlangs (dotted)", fontsize=9)
    handles = [Line2D([], [], color=series_color(i), marker="o", ms=3, label=plain(q))
               for i, q in enumerate(plan.requirement)]
    if handles:
        ax.legend(handles=handles, fontsize=8, loc="upper left", frameon=False,
                  ncols=min(4, len(handles)))
    style_axes(ax)


def _marker(x: np.ndarray) -> str:
    """Line style of a per-interval series: with point markers up to 48 intervals."""
    return "o-" if len(x) <= 48 else "-"


def service_level_channels(plan: StaffingPlan) -> list[str]:
    """Channels with a per-interval service-level target, in verification order."""
    rows = plan.verification
    mine = rows[(rows["kpi"] == "service_level") & (rows["scope"] == "channel")
                & rows["interval"].notna()]
    return list(dict.fromkeys(mine["key"]))


def service_level_figure(plan: StaffingPlan) -> Figure | None:
    """The verified service level per interval of each channel with a per-interval
    service-level target (one panel per channel, at most two per row), from
    ``plan.verification`` (fresh seeds, twice the search's replications): the mean
    (marker by verdict: :data:`VERDICT_STYLES`), its 95% confidence interval (error
    bar) and the goal (dashed). Intervals without a verdict (no contacts, warm-up)
    are empty. None when no channel has such a target.

    Returns
    -------
    Figure or None
        One axes per channel (scenario order of the verification), titled with the
        channel; on each, one errorbar container per verdict present (label = the
        verdict; data = the mean in %, at the interval positions) and one dashed line
        (label ``target ...``: the goal in %).
    """
    channels = service_level_channels(plan)
    if not channels:
        return None
    fig, axes = panel_grid(len(channels), 2 if len(channels) > 1 else 1, row_height=3.3,
                           extra_height=0.9, sharey=True)
    rows = plan.verification
    starts = interval_starts(plan)
    for ax, channel in zip(axes.flat, channels, strict=False):
        mine = rows[(rows["kpi"] == "service_level") & (rows["key"] == channel)
                    & rows["interval"].notna()]
        for verdict, (marker, color) in VERDICT_STYLES.items():
            part = mine[mine["verdict"] == verdict]
            if part.empty:
                continue
            mean = part["mean"].to_numpy(dtype=float) * 100.0
            low = part["ci_low"].to_numpy(dtype=float) * 100.0
            high = part["ci_high"].to_numpy(dtype=float) * 100.0
            ax.errorbar(part["interval"].to_numpy(dtype=int), mean,
                        yerr=np.vstack([mean - low, high - mean]), fmt=marker, ms=5,
                        color=color, ecolor=color, elinewidth=1.2, capsize=3, label=verdict)
        goal = float(mine["goal"].iloc[0])
        threshold = _threshold(plan, channel)
        ax.axhline(goal * 100.0, ls="--", color=COLORS["target"],
                   label=f"target {goal:.0%} within {threshold}")
        ax.set_title(f"{plain(channel)}: target {goal:.0%} within {threshold} (dashed)",
                     fontsize=10)
        ax.set_ylim(0, 105)
        ax.set_ylabel("service level (%)")
        ax.legend(loc="lower left", fontsize=8, frameon=False, ncols=3)
        style_axes(ax)
        clock_axis(ax, starts, max_labels=13 if len(channels) == 1 else 7, dates=plan.dates)
    suptitle(fig, f"{plain(plan.scenario.name)}: verified service level per interval "
                  f"(mean and 95% CI of {VERIFY_FACTOR * plan.replications} fresh replications)")
    return fig


def _threshold(plan: StaffingPlan, channel: str) -> str:
    """The service-level threshold of ``channel``'s per-interval target (``20 s``)."""
    for target in plan.targets:
        if target.kpi == "service_level" and target.key == channel and \
                target.threshold is not None:
            return duration_label(target.threshold)
    return duration_label(plan.scenario.channels[channel].service_level.threshold)
