"""The staffing sweep figure: simulated KPIs (mean and 95% CI) against the number of
agents, beside an analytic curve (e.g. Erlang A)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from simcc.report.figures.style import COLORS, kpi_label, panel_grid, require_columns, style_axes

SWEEP_COLUMNS = ("agents", "kpi", "mean", "ci_low", "ci_high")
"""Columns a sweep table must have (:func:`staffing_sweep_figure`)."""


def staffing_sweep_figure(sweep: pd.DataFrame, theory: pd.DataFrame | None = None,
                          title: str = "staffing sweep") -> Figure:
    """Simulated KPIs (mean and 95% CI) against the number of agents.

    One panel per KPI present in ``sweep`` (order of first appearance, at most three
    per row); rates are drawn in %, waits in seconds (see :func:`kpi_label`).

    Parameters
    ----------
    sweep : pandas.DataFrame
        Columns ``agents`` (count), ``kpi`` (e.g. service_level, abandon_rate, asa_s),
        ``mean``, ``ci_low``, ``ci_high`` (KPI units: fractions for rates, seconds for
        waits). A missing CI (NaN, fewer than two replications) draws no error bar.
    theory : pandas.DataFrame, optional
        Columns ``agents``, ``kpi``, ``value`` (same units), e.g. Erlang A values from
        :mod:`simcc.theory`; drawn as a dashed "Erlang A" line on the KPI's panel.
    title : str
        Figure title.

    Returns
    -------
    Figure
        One axes per KPI, each with one errorbar container (simulated) and, when
        ``theory`` has that KPI, one "Erlang A" line.

    Raises
    ------
    ValueError
        If ``sweep`` is empty or misses a column.
    """
    require_columns(sweep, SWEEP_COLUMNS, "sweep")
    if sweep.empty:
        raise ValueError("sweep is empty")
    kpis = list(dict.fromkeys(sweep["kpi"]))
    fig, axes = panel_grid(len(kpis), 3, row_height=3.6, extra_height=0.6)
    for ax, kpi in zip(axes.flat, kpis, strict=False):
        label, scale = kpi_label(kpi)
        part = sweep[sweep["kpi"] == kpi].sort_values("agents")
        mean = part["mean"].to_numpy(dtype=float)
        below = (mean - part["ci_low"].to_numpy(dtype=float)) * scale
        above = (part["ci_high"].to_numpy(dtype=float) - mean) * scale
        yerr = np.clip(np.nan_to_num(np.vstack([below, above])), 0.0, None)
        ax.errorbar(part["agents"], mean * scale, yerr=yerr, fmt="o-", capsize=3,
                    color=COLORS["simulated"], label="simulated (mean, 95% CI)")
        if theory is not None:
            line = theory[theory["kpi"] == kpi].sort_values("agents")
            if not line.empty:
                ax.plot(line["agents"], line["value"].to_numpy(dtype=float) * scale, "--",
                        color=COLORS["theory"], lw=2, zorder=3, label="Erlang A")
        ax.set_xlabel("agents (count)")
        ax.set_ylabel(label)
        ax.set_title(label.rsplit(" (", 1)[0])
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        style_axes(ax)
    handles: dict[str, Any] = {}
    for ax in axes.flat[:len(kpis)]:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    fig.legend(handles.values(), handles.keys(), loc="outside lower center",
               ncols=len(handles), frameon=False)  # one legend, clear of the data
    fig.suptitle(title)
    return fig
