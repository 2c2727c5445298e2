"""The comparison figure: a forest plot of the paired differences between variants and
the baseline, coloured by verdict (better, worse, not significant)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from simcc.catalogue import direction as kpi_direction
from simcc.report.figures.style import kpi_label, panel_grid, plain, require_columns, style_axes

COMPARISON_KPIS = ("service_level", "asa_s", "abandon_rate", "occupancy", "fcr",
                   "transfer_rate")
"""KPIs drawn by :func:`comparison_figure` by default (those present, in this order)."""

DIFF_STYLES: dict[str, tuple[Any, str, str]] = {
    "better": ("tab:green", "o", "better (95% CI excludes 0)"),
    "worse": ("tab:red", "o", "worse (95% CI excludes 0)"),
    "not significant": ("tab:gray", "o", "not significant (95% CI includes 0)"),
    "changed": ("dimgray", "D", "changed, no better/worse (e.g. occupancy)"),
    "no CI": ("tab:gray", "s", "no CI (fewer than 2 replications)"),
}
"""Verdict on a difference -> (color, marker, legend label) in :func:`comparison_figure`;
the markers of the :data:`HOLLOW` verdicts are hollow."""

HOLLOW = ("not significant", "no CI")
"""Verdicts drawn with a hollow marker: the CI includes 0, or there is none."""

_DIFF_COLUMNS = ("variant", "scope", "key", "kpi", "diff_mean", "diff_ci_low",
                 "diff_ci_high")


def _diff_verdict(kpi: str, low: float, high: float) -> str:
    """Verdict on a difference (variant - baseline) with 95% CI ``[low, high]``: "better",
    "worse", "changed" (significant, neutral KPI), "not significant" or "no CI"."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return "no CI"
    if low <= 0.0 <= high:
        return "not significant"
    direction = kpi_direction(kpi)
    if direction == 0:
        return "changed"
    return "better" if (low > 0.0) == (direction > 0) else "worse"


def _diff_label(kpi: str) -> tuple[str, str, float]:
    """KPI name (no unit), unit of its differences ("pp" for rates) and value scale."""
    label, scale = kpi_label(kpi)
    name, _, unit = label.rpartition(" (")
    if not name:
        return label, "", scale
    unit = unit.rstrip(")")
    return name, "pp" if unit == "%" else unit, scale


def comparison_figure(differences: pd.DataFrame, kpis: Sequence[str] | None = None,
                      scope: str = "overall", key: str = "all",
                      title: str = "variants vs baseline") -> Figure:
    """Forest plot of the paired differences between variants and the baseline.

    One panel per KPI (at most three per row, sharing the y axis), one row per variant
    (top to bottom in order of first appearance): a point at the mean difference
    (variant - baseline) with its 95% CI as a horizontal bar, and a vertical line at 0.
    Rates are drawn in percentage points (pp), waits in seconds. The color tells the
    verdict (:data:`DIFF_STYLES`): green "better" or red "worse" when the CI excludes 0,
    in the KPI's direction (:mod:`simcc.catalogue`: higher is better for service_level
    and fcr, lower for waits, abandonment, transfers, repeats); gray when the CI includes 0
    (hollow marker) or when the KPI has no better/worse direction (occupancy: a filled
    dark-gray diamond when the change is significant). A missing CI (NaN, n < 2) draws
    no bar and a hollow square. Panel titles give the baseline mean when all variants
    share it.

    Parameters
    ----------
    differences : pandas.DataFrame
        Columns ``variant``, ``scope``, ``key``, ``kpi``, ``diff_mean``, ``diff_ci_low``,
        ``diff_ci_high`` (KPI units: fractions for rates, seconds for waits); optional
        ``baseline_mean``, ``variant_mean``, ``n``.
    kpis : sequence of str, optional
        KPIs to draw, in panel order. Default: those present among
        :data:`COMPARISON_KPIS` (service_level, asa_s, abandon_rate, occupancy, fcr,
        transfer_rate).
    scope, key : str
        Rows drawn: those with this scope and key (default: overall, all).
    title : str
        Figure title.

    Returns
    -------
    Figure
        One axes per KPI; y ticks at ``0..n_variants-1`` labelled with the variant names
        (y axis inverted: the first variant on top); per drawn difference one errorbar
        container labelled with its verdict.

    Raises
    ------
    ValueError
        If a column is missing, no row has this scope and key, no default KPI is present,
        or a requested KPI has no row.
    """
    rows, kpis = _selected_rows(differences, kpis, scope, key)
    variants = list(dict.fromkeys(rows["variant"].astype(str)))
    fig, axes = panel_grid(len(kpis), 3, row_height=max(2.2, 1.0 + 0.42 * len(variants)),
                           extra_height=0.9, sharey=True)
    seen: set[str] = set()
    for ax, kpi in zip(axes.flat, kpis, strict=False):
        seen |= _difference_panel(ax, kpi, rows[rows["kpi"].astype(str) == kpi], variants)
    for ax in axes[:, 0]:
        ax.set_ylabel("variant")
    handles = [Line2D([], [], ls="none", marker=_marker(v), **_marker_style(v),
                      label=DIFF_STYLES[v][2])
               for v in DIFF_STYLES if v in seen]
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 3),
               frameon=False)
    fig.suptitle(f"{plain(title)} ({plain(scope)}: {plain(key)}; paired differences, "
                 "mean and 95% CI)")
    return fig


def _marker(verdict: str) -> str:
    """The marker of a verdict (:data:`DIFF_STYLES`)."""
    return DIFF_STYLES[verdict][1]


def _marker_style(verdict: str) -> dict[str, Any]:
    """Color, face color (white: hollow, :data:`HOLLOW`), edge width and size of the
    marker of a verdict."""
    color = DIFF_STYLES[verdict][0]
    return {"color": color, "mfc": "white" if verdict in HOLLOW else color, "mew": 1.5,
            "ms": 7}


def _selected_rows(differences: pd.DataFrame, kpis: Sequence[str] | None, scope: str,
                   key: str) -> tuple[pd.DataFrame, list[str]]:
    """The rows of ``scope``/``key`` and the KPIs to draw (see :func:`comparison_figure`
    for the defaults and the ValueErrors)."""
    require_columns(differences, _DIFF_COLUMNS, "differences")
    rows = differences[(differences["scope"].astype(str) == scope)
                       & (differences["key"].astype(str) == key)]
    if rows.empty:
        pairs = sorted({(str(s), str(k)) for s, k in
                        zip(differences["scope"], differences["key"], strict=True)})
        raise ValueError(f"no differences with scope={scope!r} and key={key!r}; "
                         f"available (scope, key): {pairs[:20]}")
    present = list(dict.fromkeys(rows["kpi"].astype(str)))
    if kpis is None:
        kpis = [kpi for kpi in COMPARISON_KPIS if kpi in present]
        if not kpis:
            raise ValueError(f"none of the default KPIs {list(COMPARISON_KPIS)} in the "
                             f"differences for {scope}/{key}; present: {present}")
    else:
        kpis = list(kpis)
        absent = [kpi for kpi in kpis if kpi not in present]
        if not kpis or absent:
            raise ValueError(f"no differences for KPIs {absent or 'none requested'} "
                             f"({scope}/{key}); present: {present}")
    return rows, kpis


def _difference_panel(ax: Axes, kpi: str, part: pd.DataFrame,
                      variants: list[str]) -> set[str]:
    """One KPI's panel: per row of ``part`` its variant's mean difference and 95% CI,
    colored by verdict; returns the verdicts drawn."""
    name, unit, scale = _diff_label(kpi)
    n_var = len(variants)
    seen: set[str] = set()
    extent = [0.0]
    for variant, row in zip(part["variant"].astype(str), part.itertuples(), strict=True):
        y = variants.index(variant)
        mean = float(row.diff_mean)
        low, high = float(row.diff_ci_low), float(row.diff_ci_high)
        verdict = _diff_verdict(kpi, low, high)
        seen.add(verdict)
        xerr = None
        if verdict != "no CI":
            xerr = [[max(mean - low, 0.0) * scale], [max(high - mean, 0.0) * scale]]
            extent += [low * scale, high * scale]
        extent.append(mean * scale)
        ax.errorbar([mean * scale], [y], xerr=xerr, fmt=_marker(verdict),
                    **_marker_style(verdict), capsize=4, elinewidth=2, label=verdict,
                    zorder=3)
    ax.axvline(0.0, color="black", lw=1.0, zorder=2)
    lo, hi = np.nanmin(extent), np.nanmax(extent)
    pad = 0.12 * (hi - lo) if hi > lo else 1.0
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_yticks(range(n_var), [plain(v) for v in variants])
    ax.set_ylim(n_var - 0.5, -0.5)
    direction = {1: "higher is better", -1: "lower is better"}.get(
        kpi_direction(kpi), "neutral")
    panel_title = f"{name}\n{direction}"
    if "baseline_mean" in part.columns:
        base = part["baseline_mean"].to_numpy(dtype=float) * scale
        if len(base) and np.all(np.isfinite(base)) and np.allclose(base, base[0]):
            shown = "%" if unit == "pp" else f" {unit}" if unit else ""
            panel_title += f"; baseline {base[0]:.3g}{shown}"
    ax.set_title(panel_title, fontsize=10)
    ax.set_xlabel(f"variant − baseline ({unit})" if unit else "variant − baseline")
    style_axes(ax, grid="x")
    return seen
